//! What a query selects and the Rust value each row becomes ([`Selection`]): one model
//! (an [`Instance`]), a typed column (its Rust type), a typed expression, tuples of
//! these, [`Bundle`](crate::orm::Bundle)s, and untyped expressions read as keyed [`Row`]s (SQLAlchemy's
//! KeyedTuple). Selections compose, so `(Entity<User>, User::name, count)` decodes each
//! row into `(Instance<User>, String, i64)` straight from the driver's row, entities
//! through the identity map.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::engine::{Row, RowView};
use crate::error::{Error, Result};
use crate::orm::column::Column;
use crate::orm::deferred::ColumnLayout;
use crate::orm::identity::IdentityMap;
use crate::orm::inheritance::joined::FlatAlias;
use crate::orm::instance::Instance;
use crate::orm::mapper::Model;
use crate::orm::session::SessionInner;
use crate::sql::{Expr, FromItem, FromValueRef, Table};

/// What decoding a row needs: the session and its identity map (entities are the
/// session's objects). Made by the query that runs.
pub struct Decoder<'a> {
    pub(crate) session: &'a SessionInner,
    pub(crate) identity: &'a mut IdentityMap,
    pub(crate) populate_existing: bool,
}

/// One selected item's description (SQLAlchemy's `column_descriptions` entry).
///
/// ```
/// use aludel::orm::{Entity, Selection};
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
/// let d = (Entity::<User>::new(), User::name).descriptions();
/// assert_eq!((d[0].name.as_str(), d[0].entity), ("User", Some("User")));
/// assert_eq!((d[1].name.as_str(), d[1].type_name), ("name", "alloc::string::String"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDescription {
    /// The entity's name, the column's name, or the label.
    pub name: String,
    /// The Rust type a row gives for it.
    pub type_name: &'static str,
    /// The model it belongs to, if any.
    pub entity: Option<&'static str>,
    /// Whether it is a whole entity.
    pub is_entity: bool,
}

/// Something a query can select, and how its part of a row becomes a Rust value.
/// Implemented by [`Entity`], [`Aliased`], typed [`Column`](crate::orm::Column)s,
/// [`Typed`] expressions, [`Bundle`](crate::orm::Bundle)s, [`Exprs`] and tuples of selections (up to eight).
///
/// ```
/// use aludel::orm::{Entity, Selection};
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
/// let s = (Entity::<User>::new(), User::name);
/// assert_eq!(s.width(), 3);
/// assert!(!s.is_single_entity());
/// assert!(Entity::<User>::new().is_single_entity());
/// ```
pub trait Selection: Clone + Send + Sync + 'static {
    /// The Rust value one row gives.
    type Output;

    /// What [`Query::scalar`](crate::orm::Query::scalar) gives: the row's first element
    /// (SQLAlchemy's `scalar()` takes the first element of a tuple row); the row itself
    /// when it is not a tuple.
    type Scalar;

    /// The first element of a row (the row itself when it is not a tuple).
    fn first(output: Self::Output) -> Self::Scalar;

    /// The SELECT's column expressions for this selection, in order.
    fn columns(&self) -> Vec<Expr>;

    /// How many columns it reads.
    fn width(&self) -> usize;

    /// Builds the value from the row's columns starting at `offset`.
    fn decode(
        &self,
        cx: &mut Decoder<'_>,
        row: &dyn RowView,
        offset: usize,
    ) -> Result<Self::Output>;

    /// What is selected, item by item.
    fn descriptions(&self) -> Vec<ColumnDescription>;

    /// Whether the selection is one entity alone (rows are objects, not tuples).
    fn is_single_entity(&self) -> bool {
        false
    }
}

/// A whole model, read as the session's [`Instance`] (the query's primary entity, or one
/// added with `add_entity`).
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
/// use aludel::orm::{Entity, Selection};
/// assert_eq!(Entity::<User>::new().columns().len(), 1);
/// ```
pub struct Entity<M>(PhantomData<fn() -> M>);

impl<M: Model> Entity<M> {
    /// The entity of model `M`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// let _e = aludel::orm::Entity::<User>::new();
    /// ```
    pub fn new() -> Self {
        Entity(PhantomData)
    }
}

impl<M: Model> Default for Entity<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M> Clone for Entity<M> {
    fn clone(&self) -> Self {
        Entity(PhantomData)
    }
}

impl<M> std::fmt::Debug for Entity<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Entity<{}>", std::any::type_name::<M>())
    }
}

/// The model's columns, each read by `column` (from its own table, an alias or a
/// subquery); its deferred columns are left out (they load on first access, as for the
/// query's entity).
fn entity_columns(info: &crate::orm::ModelInfo, column: impl Fn(usize) -> Expr) -> Vec<Expr> {
    let layout = info.default_layout();
    (0..info.columns().len())
        .filter(|&i| layout.is_none_or(|l| l.has(i)))
        .map(column)
        .collect()
}

/// The session's object for `M`'s columns at `offset`; `None` when its key is NULL.
fn decode_entity<M: Model>(
    cx: &mut Decoder<'_>,
    row: &dyn RowView,
    offset: usize,
) -> Result<Option<Instance<M>>> {
    cx.session.instance_laid_out::<M>(
        cx.identity,
        row,
        offset,
        cx.populate_existing,
        M::info().default_layout(),
    )
}

/// How many columns an entity of `info` takes in the row (its deferred ones left out).
fn entity_width(info: &crate::orm::ModelInfo) -> usize {
    info.default_layout()
        .map_or(info.columns().len(), ColumnLayout::width)
}

fn entity_description<M: Model>(name: &str) -> ColumnDescription {
    ColumnDescription {
        name: name.to_owned(),
        type_name: std::any::type_name::<Instance<M>>(),
        entity: Some(M::info().name),
        is_entity: true,
    }
}

impl<M: Model> Selection for Entity<M> {
    type Output = Instance<M>;
    type Scalar = Instance<M>;

    fn first(output: Self::Output) -> Self::Scalar {
        output
    }

    fn columns(&self) -> Vec<Expr> {
        let info = M::info();
        entity_columns(info, |i| info.column_expr(i))
    }

    fn width(&self) -> usize {
        entity_width(M::info())
    }

    fn decode(
        &self,
        cx: &mut Decoder<'_>,
        row: &dyn RowView,
        offset: usize,
    ) -> Result<Instance<M>> {
        decode_entity::<M>(cx, row, offset)?.ok_or_else(|| {
            Error::invalid(format!(
                "a {} row came back with a NULL primary key (select it with Aliased or an outer join's Option form)",
                M::info().name
            ))
        })
    }

    fn descriptions(&self) -> Vec<ColumnDescription> {
        vec![entity_description::<M>(M::info().name)]
    }

    fn is_single_entity(&self) -> bool {
        true
    }
}

/// A model read from an alias or a subquery (SQLAlchemy's `aliased(Model, name)`), e.g.
/// the same table joined twice. The row gives `None` when the alias matched nothing (an
/// outer join).
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
/// use aludel::orm::{Aliased, Selection};
/// let boss = Aliased::<User>::new("boss");
/// assert_eq!(boss.c("id"), aludel::sql::Expr::from(boss.from_item().c("id")));
/// assert_eq!(boss.descriptions()[0].name, "boss");
/// ```
pub struct Aliased<M> {
    from: FromItem,
    name: Arc<str>,
    /// A joined-table subtype's two tables, each aliased (`from` joins them): its
    /// columns are read from the alias of the table that holds them.
    flat: Option<FlatAlias>,
    /// Per column of `M`, the name `from` exports it under (its lineage in a subquery),
    /// when that differs from the column's own name.
    renamed: Arc<[Option<Arc<str>>]>,
    _model: PhantomData<fn() -> M>,
}

impl<M: Model> Aliased<M> {
    /// `M`'s table under another name.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// let a = aludel::orm::Aliased::<User>::new("u2");
    /// assert_eq!(a.name(), "u2");
    /// ```
    ///
    /// A joined-table subtype's row spans two tables, so it is aliased *flat*
    /// (SQLAlchemy's `aliased(Engineer, name="e", flat=True)`): each table gets its own
    /// alias, `<name>_<table>`, and the FROM item joins them —
    /// `employee AS e_employee JOIN engineer AS e_engineer ON e_employee.id = e_engineer.id`.
    ///
    /// ```
    /// # use aludel::orm::{Aliased, Selection};
    /// # #[derive(aludel::Model)] #[model(table = "employee", polymorphic = "joined", polymorphic_on = "kind")]
    /// # struct Employee { #[column(primary_key)] id: i64, kind: String }
    /// # #[derive(aludel::Model)] #[model(table = "engineer", inherits = Employee)]
    /// # struct Engineer { #[column(primary_key)] id: i64, kind: String, language: String }
    /// use aludel::sql::{Executable, select};
    /// let e = Aliased::<Engineer>::new("e");
    /// let q = select(e.columns()).from(e.from_item().clone()).where_(e.c("language").eq("rust"));
    /// assert_eq!(
    ///     q.compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT e_employee.id, e_employee.kind, e_engineer.language FROM employee AS e_employee \
    ///      JOIN engineer AS e_engineer ON e_employee.id = e_engineer.id WHERE e_engineer.language = ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn new(name: &str) -> Self {
        Self::with_names(|t| format!("{name}_{}", t.name()), name)
    }

    /// `M` aliased with each of its tables named by `alias_of`: a joined-table subtype's
    /// tables each get their own alias (flat), a plain table its alias `name`.
    pub(crate) fn with_names(alias_of: impl Fn(&Table) -> String, name: &str) -> Self {
        let info = M::info();
        let flat = match info.joined_parts() {
            Ok(Some(parts)) => Some(FlatAlias::new(parts, &alias_of)),
            _ => None,
        };
        Aliased {
            from: flat
                .as_ref()
                .map_or_else(|| info.table.alias(name), |f| f.join.clone()),
            name: Arc::from(name),
            flat,
            renamed: Arc::from([]),
            _model: PhantomData,
        }
    }

    /// Column `index` of `M`, read from the alias, or for a flat-aliased joined-table
    /// subtype from the alias of the table holding it.
    fn column_at(&self, index: usize) -> Expr {
        let info = M::info();
        match &self.flat {
            Some(flat) => flat.column(info, index),
            None => match self.renamed.get(index) {
                Some(Some(exported)) => self.from.c(exported),
                _ => self.from.c(&info.columns()[index].name),
            },
        }
    }

    /// `M` read from a subquery (or any FROM item) holding its columns (SQLAlchemy's
    /// `aliased(Model, subquery)`). A column of the subquery that is the model's column,
    /// labelled or not, stands for it (its lineage: `users.id AS uid` is `User::id`); the
    /// other model columns are found by name, so a computed column labelled `age` stands
    /// for `User::age` (SQLAlchemy's `adapt_on_names=True`, which also follows lineage first).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// use aludel::orm::{Aliased, Model};
    /// use aludel::sql::{Executable, Expr, select};
    /// let sub = select([Expr::from(User::id).label("uid"), Expr::from(User::name).label("n")])
    ///     .from(&User::info().table)
    ///     .subquery("recent");
    /// let a = Aliased::<User>::of(sub);
    /// assert_eq!(a.name(), "recent");
    /// assert_eq!(a.c("id").compile(&aludel::dialects::Sqlite)?.sql, "recent.uid");
    /// assert_eq!(a.c("name").compile(&aludel::dialects::Sqlite)?.sql, "recent.n");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn of(from: FromItem) -> Self {
        let info = M::info();
        let renamed = info
            .columns()
            .iter()
            .map(|c| from.exported_name_of(&info.table, &c.name))
            .collect();
        Aliased {
            renamed,
            ..Self::by_names(from)
        }
    }

    /// `M` read from `from` with its columns found by name.
    fn by_names(from: FromItem) -> Self {
        let name: Arc<str> = match &from {
            FromItem::Table(t) => Arc::from(t.name()),
            FromItem::Alias(a) => a.name.clone(),
            FromItem::Subquery(s) => s.name.clone(),
            FromItem::Cte(c) => Arc::from(c.name()),
            FromItem::Join(_) => Arc::from(M::info().name),
        };
        Aliased {
            from,
            name,
            flat: None,
            renamed: Arc::from([]),
            _model: PhantomData,
        }
    }

    /// The alias's name.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// assert_eq!(aludel::orm::Aliased::<User>::new("x").name(), "x");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The alias as a FROM item, to join to.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// let a = aludel::orm::Aliased::<User>::new("x");
    /// assert_eq!(a.from_item().c("id"), a.c("id"));
    /// ```
    pub fn from_item(&self) -> &FromItem {
        &self.from
    }

    /// One of the alias's columns, by field or column name, for criteria.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// let a = aludel::orm::Aliased::<User>::new("x");
    /// assert_eq!(a.c("id"), a.from_item().c("id"));
    /// ```
    pub fn c(&self, name: &str) -> Expr {
        let info = M::info();
        match info.column_index(name) {
            Some(i) => self.column_at(i),
            None => self.from.c(name),
        }
    }

    /// One of the alias's columns as a typed selection (SQLAlchemy's `parts_alias.quantity`):
    /// selected as `alias.column AS column` and read as the column's Rust type.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "part")] struct Part { #[column(primary_key)] part: String, quantity: i64 }
    /// use aludel::orm::{Aliased, Selection};
    /// use aludel::sql::Executable;
    /// let p = Aliased::<Part>::new("p");
    /// let q = p.column(Part::quantity);
    /// assert_eq!(q.name(), "quantity");
    /// assert_eq!(q.columns()[0].compile(&aludel::dialects::Sqlite)?.sql, "p.quantity AS quantity");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn column<T: FromValueRef>(&self, column: Column<M, T>) -> Typed<T> {
        let name = &M::info().columns()[column.index()].name;
        typed(self.column_at(column.index()), name)
    }
}

impl<M> Clone for Aliased<M> {
    fn clone(&self) -> Self {
        Aliased {
            from: self.from.clone(),
            name: self.name.clone(),
            flat: self.flat.clone(),
            renamed: self.renamed.clone(),
            _model: PhantomData,
        }
    }
}

impl<M: Model> Selection for Aliased<M> {
    type Output = Option<Instance<M>>;
    type Scalar = Option<Instance<M>>;

    fn first(output: Self::Output) -> Self::Scalar {
        output
    }

    fn columns(&self) -> Vec<Expr> {
        entity_columns(M::info(), |i| self.column_at(i))
    }

    fn width(&self) -> usize {
        entity_width(M::info())
    }

    fn decode(
        &self,
        cx: &mut Decoder<'_>,
        row: &dyn RowView,
        offset: usize,
    ) -> Result<Option<Instance<M>>> {
        decode_entity::<M>(cx, row, offset)
    }

    fn descriptions(&self) -> Vec<ColumnDescription> {
        vec![entity_description::<M>(&self.name)]
    }
}

fn one_value<T: FromValueRef>(row: &dyn RowView, offset: usize, what: &str) -> Result<T> {
    T::from_value_ref(row.value(offset)?).map_err(|e| match e {
        Error::Conversion { expected, found } => Error::Conversion {
            expected,
            found: format!("{found} (selected {what})"),
        },
        other => other,
    })
}

impl<M: Model, T: FromValueRef + Send + Sync + 'static> Selection for Column<M, T> {
    type Output = T;
    type Scalar = T;

    fn first(output: Self::Output) -> Self::Scalar {
        output
    }

    fn columns(&self) -> Vec<Expr> {
        vec![self.expr()]
    }

    fn width(&self) -> usize {
        1
    }

    fn decode(&self, _cx: &mut Decoder<'_>, row: &dyn RowView, offset: usize) -> Result<T> {
        one_value(row, offset, &format!("{}.{}", M::info().name, self.name()))
    }

    fn descriptions(&self) -> Vec<ColumnDescription> {
        vec![ColumnDescription {
            name: self.name().to_owned(),
            type_name: std::any::type_name::<T>(),
            entity: Some(M::info().name),
            is_entity: false,
        }]
    }
}

/// An SQL expression read as Rust type `T` (`func::count(..)`, arithmetic, a subquery).
///
/// ```
/// use aludel::orm::{typed, Selection};
/// let n = typed::<i64>(aludel::sql::func::count_star(), "n");
/// assert_eq!(n.descriptions()[0].name, "n");
/// ```
pub struct Typed<T> {
    expr: Expr,
    name: Arc<str>,
    _type: PhantomData<fn() -> T>,
}

/// Reads `expr` as `T`, labelled `name` (its key in keyed rows and descriptions).
///
/// ```
/// let t = aludel::orm::typed::<String>(aludel::sql::literal_column("'x'"), "x");
/// assert_eq!(t.name(), "x");
/// ```
pub fn typed<T: FromValueRef>(expr: impl Into<Expr>, name: &str) -> Typed<T> {
    Typed {
        expr: expr.into(),
        name: Arc::from(name),
        _type: PhantomData,
    }
}

impl<T> Typed<T> {
    /// The label.
    ///
    /// ```
    /// assert_eq!(aludel::orm::typed::<i64>(aludel::sql::literal_column("1"), "one").name(), "one");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<T> Clone for Typed<T> {
    fn clone(&self) -> Self {
        Typed {
            expr: self.expr.clone(),
            name: self.name.clone(),
            _type: PhantomData,
        }
    }
}

impl<T: FromValueRef + Send + Sync + 'static> Selection for Typed<T> {
    type Output = T;
    type Scalar = T;

    fn first(output: Self::Output) -> Self::Scalar {
        output
    }

    fn columns(&self) -> Vec<Expr> {
        vec![self.expr.clone().label(&self.name)]
    }

    fn width(&self) -> usize {
        1
    }

    fn decode(&self, _cx: &mut Decoder<'_>, row: &dyn RowView, offset: usize) -> Result<T> {
        one_value(row, offset, &self.name)
    }

    fn descriptions(&self) -> Vec<ColumnDescription> {
        vec![ColumnDescription {
            name: self.name.to_string(),
            type_name: std::any::type_name::<T>(),
            entity: None,
            is_entity: false,
        }]
    }
}

/// Untyped expressions, each row read as a keyed [`Row`] (by position, by name, `keys()`,
/// `as_map()`): SQLAlchemy's KeyedTuple, for selections whose types are only known at run
/// time.
///
/// ```
/// use aludel::orm::{Exprs, Selection};
/// let e = Exprs::new([aludel::sql::literal_column("1").label("one")]);
/// assert_eq!(e.width(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct Exprs {
    exprs: Vec<Expr>,
    keys: Arc<[String]>,
}

impl Exprs {
    /// The expressions to select.
    ///
    /// ```
    /// let _e = aludel::orm::Exprs::new([aludel::sql::literal_column("1")]);
    /// ```
    pub fn new<E: Into<Expr>>(exprs: impl IntoIterator<Item = E>) -> Self {
        let exprs: Vec<Expr> = exprs.into_iter().map(Into::into).collect();
        let keys = exprs
            .iter()
            .enumerate()
            .map(|(i, e)| key_of(e, i))
            .collect();
        Exprs { exprs, keys }
    }
}

/// A row key for a selected expression, as SQLAlchemy names them: the label, the
/// column's name, the function's name, else `column_<n>`.
fn key_of(expr: &Expr, index: usize) -> String {
    match expr {
        Expr::Label { name, .. } => name.to_string(),
        Expr::Column(c) => c.name.to_string(),
        Expr::Function(f) => f.name.to_string(),
        _ => format!("column_{index}"),
    }
}

impl Selection for Exprs {
    type Output = Row;
    type Scalar = crate::sql::Value;

    fn first(output: Row) -> crate::sql::Value {
        output
            .into_values()
            .into_iter()
            .next()
            .unwrap_or(crate::sql::Value::Null)
    }

    fn columns(&self) -> Vec<Expr> {
        self.exprs.clone()
    }

    fn width(&self) -> usize {
        self.exprs.len()
    }

    fn decode(&self, _cx: &mut Decoder<'_>, row: &dyn RowView, offset: usize) -> Result<Row> {
        let values = (offset..offset + self.exprs.len())
            .map(|i| row.value(i).map(|v| v.to_value()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Row::new(self.keys.clone(), values))
    }

    fn descriptions(&self) -> Vec<ColumnDescription> {
        self.keys
            .iter()
            .map(|key| ColumnDescription {
                name: key.clone(),
                type_name: std::any::type_name::<crate::sql::Value>(),
                entity: None,
                is_entity: false,
            })
            .collect()
    }
}

macro_rules! tuple_selection {
    ($($name:ident $index:tt),+) => {
        impl<$($name: Selection),+> Selection for ($($name,)+) {
            type Output = ($($name::Output,)+);
            type Scalar = A::Output;

            fn first(output: Self::Output) -> A::Output {
                output.0
            }

            fn columns(&self) -> Vec<Expr> {
                let mut out = Vec::new();
                $(out.extend(self.$index.columns());)+
                out
            }

            fn width(&self) -> usize {
                0 $(+ self.$index.width())+
            }

            #[allow(unused_assignments)] // the last item's width is added to `at` and not read
            fn decode(&self, cx: &mut Decoder<'_>, row: &dyn RowView, offset: usize) -> Result<Self::Output> {
                let mut at = offset;
                Ok(($({
                    let value = self.$index.decode(cx, row, at)?;
                    at += self.$index.width();
                    value
                },)+))
            }

            fn descriptions(&self) -> Vec<ColumnDescription> {
                let mut out = Vec::new();
                $(out.extend(self.$index.descriptions());)+
                out
            }
        }
    };
}

tuple_selection!(A 0);
tuple_selection!(A 0, B 1);
tuple_selection!(A 0, B 1, C 2);
tuple_selection!(A 0, B 1, C 2, D 3);
tuple_selection!(A 0, B 1, C 2, D 3, E 4);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_selection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
