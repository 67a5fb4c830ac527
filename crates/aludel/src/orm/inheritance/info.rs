//! What a model records about its place in a class hierarchy: [`Inheritance`], set by
//! `#[model(polymorphic = "...", polymorphic_on = "...")]` on the base and
//! `#[model(inherits = Base)]` on a subtype.

use std::any::TypeId;
use std::sync::Arc;

use crate::engine::RowView;
use crate::error::{Error, Result};
use crate::orm::inheritance::joined::{self, TablePart};
use crate::orm::mapper::ModelInfo;
use crate::sql::{Expr, FromItem, Select, Table, Value, ValueRef};

/// How the rows of a hierarchy are stored.
///
/// ```
/// use aludel::orm::{InheritanceKind, Model};
/// #[derive(aludel::Model)]
/// #[model(polymorphic = "joined", polymorphic_on = "kind")]
/// struct Employee { #[column(primary_key)] id: i64, kind: String }
/// let kind = Employee::info().inheritance.as_ref().map(|i| i.kind);
/// assert_eq!(kind, Some(InheritanceKind::Joined));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InheritanceKind {
    /// Every type in one table; the discriminator column says which type a row is, and
    /// a subtype's own columns are NULL in the rows of other types.
    Single,
    /// The base table holds the base's columns of every row; each subtype has its own
    /// table whose primary key is a foreign key to the base table's.
    Joined,
}

/// A model's place in a mapped hierarchy (SQLAlchemy's `polymorphic_on`,
/// `polymorphic_identity` and the inherited mapper).
///
/// ```
/// use aludel::orm::{InheritanceKind, Model};
///
/// #[derive(aludel::Model)]
/// #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
/// struct Employee { #[column(primary_key)] id: i64, name: String, kind: String }
///
/// #[derive(aludel::Model)]
/// #[model(inherits = Employee, polymorphic_identity = "eng")]
/// struct Engineer { #[column(primary_key)] id: i64, name: String, kind: String, language: Option<String> }
///
/// let base = Employee::info().inheritance.as_ref().unwrap();
/// assert_eq!((base.kind, base.polymorphic_on.as_str(), base.identity.as_str()), (InheritanceKind::Single, "kind", "Employee"));
/// let sub = Engineer::info().inheritance.as_ref().unwrap();
/// assert_eq!((sub.identity.as_str(), Engineer::info().table.name()), ("eng", "employee"));
/// assert!(sub.parent.is_some());
/// ```
#[derive(Debug, Clone)]
pub struct Inheritance {
    /// Single- or joined-table storage (the base's choice, shared by its subtypes).
    pub kind: InheritanceKind,
    /// The model this one inherits from; `None` for the base of the hierarchy.
    pub parent: Option<fn() -> &'static ModelInfo>,
    /// The discriminator column (its name in the base table).
    pub polymorphic_on: String,
    /// The value of the discriminator in this model's rows; the struct's name unless
    /// `polymorphic_identity` says otherwise.
    pub identity: String,
    /// The type ids of a joined-table subtype's table parts.
    part_types: [TypeId; joined::MAX_TABLES],
    /// A joined-table subtype's tables (built with the model's info), or why they cannot
    /// be.
    pub(crate) parts: Option<std::result::Result<Arc<Vec<TablePart>>, Error>>,
}

impl Inheritance {
    /// The base of a hierarchy (the derive builds this for `polymorphic = "..."`).
    ///
    /// ```
    /// use aludel::orm::{Inheritance, InheritanceKind};
    /// let base = Inheritance::base(InheritanceKind::Single, "kind", "Employee");
    /// assert!(base.parent.is_none());
    /// assert_eq!(base.identity, "Employee");
    /// ```
    pub fn base(kind: InheritanceKind, polymorphic_on: &str, identity: &str) -> Self {
        Inheritance {
            kind,
            parent: None,
            polymorphic_on: polymorphic_on.to_owned(),
            identity: identity.to_owned(),
            part_types: [TypeId::of::<()>(); joined::MAX_TABLES],
            parts: None,
        }
    }

    /// A subtype `M` of `parent` (the derive builds this for `inherits = Parent`):
    /// storage kind and discriminator column come from the parent.
    ///
    /// Inheriting from a model that is not polymorphic is recorded as a single-table
    /// subtype of it without discriminator column, a configuration error when the model
    /// is queried or flushed.
    ///
    /// ```
    /// use aludel::orm::{Inheritance, InheritanceKind, Model};
    /// # #[derive(aludel::Model)]
    /// # #[model(table = "e", polymorphic = "joined", polymorphic_on = "kind")]
    /// # struct Employee { #[column(primary_key)] id: i64, kind: String }
    /// struct Engineer;
    /// let sub = Inheritance::child::<Engineer>(Employee::info, "eng");
    /// assert_eq!((sub.kind, sub.polymorphic_on.as_str()), (InheritanceKind::Joined, "kind"));
    /// ```
    pub fn child<M: 'static>(parent: fn() -> &'static ModelInfo, identity: &str) -> Self {
        let (kind, polymorphic_on) = match &parent().inheritance {
            Some(p) => (p.kind, p.polymorphic_on.clone()),
            None => (InheritanceKind::Single, String::new()),
        };
        Inheritance {
            kind,
            parent: Some(parent),
            polymorphic_on,
            identity: identity.to_owned(),
            part_types: joined::part_types::<M>(),
            parts: None,
        }
    }
}

impl ModelInfo {
    /// Places the model in a mapped hierarchy (the derive does this for
    /// `#[model(polymorphic = ...)]` and `#[model(inherits = ...)]`); a joined-table
    /// subtype's tables are worked out here, once.
    ///
    /// ```
    /// # use aludel::orm::{Inheritance, InheritanceKind, ModelInfo};
    /// # use aludel::sql::{Column, SqlType, Table};
    /// # struct P;
    /// let t = Table::build("p").column(Column::new("kind", SqlType::Text)).finish();
    /// let info = ModelInfo::new::<P>("P", t, vec!["kind"])
    ///     .inheritance(Inheritance::base(InheritanceKind::Single, "kind", "P"));
    /// assert_eq!(info.inheritance.unwrap().identity, "P");
    /// ```
    pub fn inheritance(mut self, mut inheritance: Inheritance) -> Self {
        if let (InheritanceKind::Joined, Some(parent)) = (inheritance.kind, inheritance.parent) {
            inheritance.parts =
                Some(joined::build_parts(&self, parent(), inheritance.part_types).map(Arc::new));
        }
        self.inheritance = Some(inheritance);
        self
    }

    /// A joined-table subtype's table parts (base table first); `None` for any other
    /// model.
    pub(crate) fn joined_parts(&self) -> Result<Option<&[TablePart]>> {
        match self.inheritance.as_ref().and_then(|i| i.parts.as_ref()) {
            None => Ok(None),
            Some(Ok(parts)) => Ok(Some(parts)),
            Some(Err(e)) => Err(e.clone()),
        }
    }

    /// The table column `index` lives in: the model's table, except in a joined-table
    /// subtype, whose base columns (and primary key) are read from the base table.
    pub(crate) fn column_table(&self, index: usize) -> &Table {
        if let Ok(Some(parts)) = self.joined_parts()
            && let Some(part) = parts.iter().find(|p| p.columns.contains(&index))
        {
            return &part.info.table;
        }
        &self.table
    }

    /// The table a model's own rows are created in: a joined-table subtype's own table
    /// (its primary key and own columns), else the model's table.
    pub(crate) fn storage_table(&self) -> &Table {
        match self.joined_parts() {
            Ok(Some([.., own])) => &own.info.table,
            _ => &self.table,
        }
    }

    /// `stmt` reading from the model's table, or for a joined-table subtype from the base
    /// table joined to each subtype table down to its own.
    pub(crate) fn select_from(&self, stmt: Select) -> Select {
        match self.joined_parts() {
            Ok(Some(parts)) => (1..parts.len()).fold(
                stmt.from(FromItem::Table(parts[0].info.table.clone())),
                |stmt, k| {
                    stmt.join(
                        parts[k].info.table.clone(),
                        joined::join_condition(parts, k),
                    )
                },
            ),
            _ => stmt.from(&self.table),
        }
    }

    /// The type that keys this model's objects in the identity map: the hierarchy's base
    /// for a subtype, so a row is one object whatever type it was loaded through.
    pub(crate) fn identity_type(&self) -> TypeId {
        match self.inheritance.as_ref().and_then(|i| i.parent) {
            Some(parent) => parent().identity_type(),
            None => self.type_id,
        }
    }

    /// The base of this model's hierarchy (itself when it is the base or not inherited).
    pub(crate) fn hierarchy_base(&'static self) -> &'static ModelInfo {
        match self.inheritance.as_ref().and_then(|i| i.parent) {
            Some(parent) => parent().hierarchy_base(),
            None => self,
        }
    }

    /// The discriminator column's index among this model's columns and the value it holds
    /// in this model's rows; `None` for a model outside any polymorphic hierarchy. A
    /// subtype that does not map the discriminator column is a configuration error naming
    /// both.
    pub(crate) fn discriminator(&self) -> Result<Option<(usize, Value)>> {
        let Some(inh) = &self.inheritance else {
            return Ok(None);
        };
        self.joined_parts()?;
        if let (InheritanceKind::Single, Some(parent)) = (inh.kind, inh.parent)
            && parent().table.name() != self.table.name()
        {
            return Err(Error::config(format!(
                "{} inherits {}, stored in the single table '{}', but names table '{}': \
                 a single-table subtype maps its base's table (leave table out)",
                self.name,
                parent().name,
                parent().table.name(),
                self.table.name()
            )));
        }
        if inh.polymorphic_on.is_empty() {
            let parent = inh.parent.map_or("?", |p| p().name);
            return Err(Error::config(format!(
                "{} inherits {parent}, which is not polymorphic: declare \
                 #[model(polymorphic = \"single\" or \"joined\", polymorphic_on = \"column\")] on {parent}",
                self.name
            )));
        }
        let index = self
            .columns()
            .iter()
            .position(|c| c.name == inh.polymorphic_on)
            .ok_or_else(|| {
                Error::config(format!(
                    "{} is polymorphic on column '{}' but has no field for it (columns: {})",
                    self.name,
                    inh.polymorphic_on,
                    self.fields.join(", ")
                ))
            })?;
        Ok(Some((index, Value::Text(inh.identity.clone()))))
    }

    /// The values to bind to [`select_by_pk`](ModelInfo::select_by_pk): the primary key,
    /// then the discriminator value of a model in a polymorphic hierarchy (whose lookup by
    /// key only finds rows of its own type).
    pub(crate) fn by_pk_values(&self, mut pk: Vec<Value>) -> Result<Vec<Value>> {
        if let Some((_, identity)) = self.discriminator()? {
            pk.push(identity);
        }
        Ok(pk)
    }

    /// Refuses to build this model from a row of another type of its hierarchy (a row
    /// whose discriminator, among the model's columns starting at `offset`, is not this
    /// model's identity), so no statement — a relationship's, `from_statement`'s — can
    /// hand out an engineer's row as an `Employee`.
    pub(crate) fn check_row_type(&self, row: &dyn RowView, offset: usize) -> Result<()> {
        let Some((d, Value::Text(identity))) = self.discriminator()? else {
            return Ok(());
        };
        match row.value(offset + d)? {
            ValueRef::Text(found) if found == identity => Ok(()),
            found => Err(Error::invalid(format!(
                "a '{}' row whose {} is {:?} is not a {} (identity '{identity}'): load it as its \
                 own type or through the hierarchy's Polymorphic enum",
                self.table.name(),
                self.columns()[d].name,
                found.to_value(),
                self.name
            ))),
        }
    }

    /// The criterion that keeps a query for this model to the rows that are exactly this
    /// type (`discriminator = identity`), for a model in a polymorphic hierarchy.
    pub(crate) fn discriminator_criterion(&self) -> Result<Option<Expr>> {
        Ok(self
            .discriminator()?
            .map(|(index, identity)| self.column_expr(index).eq(identity)))
    }
}

/// The error for a row the session holds as model `found` when it was asked for as
/// `wanted` (two models sharing an identity, e.g. a subtype's row asked for as its base).
pub(crate) fn other_type(found: &ModelInfo, wanted: &ModelInfo) -> Error {
    Error::invalid(format!(
        "the session holds this row as a {}, not a {}: load it as {} or through the \
         hierarchy's Polymorphic enum",
        found.name, wanted.name, found.name
    ))
}
