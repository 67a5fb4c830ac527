//! Mapping Rust structs to tables: the [`Model`] trait (implemented by
//! `#[derive(Model)]`), its static [`ModelInfo`], and [`SqlTyped`], which gives each Rust
//! field type its SQL type. The typed column handles live in [`column`](super::Column).

use std::any::TypeId;
use std::sync::{Arc, Mutex};

use crate::dialects::Dialect;
use crate::engine::RowView;
use crate::error::Result;
use crate::orm::deferred::{ColumnLayout, DeferredColumn};
use crate::orm::inheritance::Inheritance;
use crate::orm::relationship::RelationshipInfo;
use crate::orm::validation::{ColumnValidator, ValidationErrors, check_column};
use crate::orm::versioning::VersionGenerator;
use crate::sql::{
    Column as ColumnDef, ColumnRef, Compiled, Executable, Expr, ForeignKey, FromItem, SqlType,
    Table, ToValue, Value, and_, select,
};

/// A struct mapped to a table. Implement it with `#[derive(aludel::Model)]`; the methods
/// move values between the struct's fields and the table's columns, in column order.
///
/// ```
/// use aludel::orm::Model;
///
/// #[derive(aludel::Model, Debug, Clone)]
/// #[model(table = "users")]
/// struct User {
///     #[column(primary_key)]
///     id: i64,
///     #[column(max_len = 50)]
///     name: String,
///     email: Option<String>,
/// }
///
/// let info = User::info();
/// assert_eq!(info.table.name(), "users");
/// assert_eq!(info.primary_key, vec![0]);
/// let u = User { id: 1, name: "ada".into(), email: None };
/// use aludel::sql::Value;
/// assert_eq!(u.values(), vec![Value::Int(1), Value::Text("ada".into()), Value::Null]);
/// ```
pub trait Model: Sized + Send + Sync + 'static {
    /// The static mapping information.
    fn info() -> &'static ModelInfo;

    /// Every column value, in column order.
    fn values(&self) -> Vec<Value>;

    /// The value of column `index`.
    fn value(&self, index: usize) -> Value;

    /// Sets column `index` from a database value (generated keys, refresh).
    fn set_value(&mut self, index: usize, value: Value) -> Result<()>;

    /// Builds an instance from values in column order.
    fn from_values(values: Vec<Value>) -> Result<Self>;

    /// Builds an instance straight from a row read in place, its columns (in column order)
    /// starting at `offset`: `#[derive(Model)]` converts each cell into its field with
    /// [`FromValueRef`](crate::sql::FromValueRef), so text is copied once, into the field,
    /// and no `Vec<Value>` is built. Errors name the model and column, like
    /// [`convert_column`]. The default goes through [`Model::from_values`].
    ///
    /// ```
    /// use aludel::orm::Model;
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, name: String }
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// let mut rows = conn.stream(&aludel::sql::text("SELECT 'x', 7, 'ada'"), ())?;
    /// let row = rows.next_ref().unwrap()?;
    /// let t = T::from_row(&row, 1)?;
    /// assert_eq!((t.id, t.name.as_str()), (7, "ada"));
    /// let err = T::from_row(&row, 0).unwrap_err().to_string();
    /// assert!(err.contains("T.id"), "{err}");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    fn from_row(row: &dyn RowView, offset: usize) -> Result<Self> {
        let width = Self::info().columns().len();
        if row.len() < offset + width {
            return Err(wrong_width(
                Self::info().name,
                width,
                row.len().saturating_sub(offset),
            ));
        }
        let values = (offset..offset + width)
            .map(|i| row.value(i).map(|v| v.to_value()))
            .collect::<Result<Vec<_>>>()?;
        Self::from_values(values)
    }

    /// Builds an instance from a row whose columns are laid out as `layout` says (the
    /// model's deferred columns may be missing: their fields start unloaded).
    /// `#[derive(Model)]` writes it for a model with `Deferred` fields; the default reads
    /// a row holding every column.
    ///
    /// ```
    /// use aludel::orm::{ColumnLayout, Deferred, Model};
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, body: Deferred<String> }
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// let mut rows = conn.stream(&aludel::sql::text("SELECT 7"), ())?;
    /// let row = rows.next_ref().unwrap()?;
    /// let t = T::from_row_in(&row, 0, &ColumnLayout::new(&[true, false]))?;
    /// assert_eq!(t.id, 7);
    /// assert!(!t.body.is_loaded());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    fn from_row_in(row: &dyn RowView, offset: usize, layout: &ColumnLayout) -> Result<Self> {
        if !layout.is_full() {
            return Err(crate::Error::invalid(format!(
                "model {} has no deferred columns, so its rows hold every column",
                Self::info().name
            )));
        }
        Self::from_row(row, offset)
    }

    /// The primary key values, in primary key order.
    fn primary_key_values(&self) -> Vec<Value> {
        Self::info()
            .primary_key
            .iter()
            .map(|&i| self.value(i))
            .collect()
    }
}

/// What a model maps to: its table and, per field, its column.
#[derive(Debug)]
pub struct ModelInfo {
    /// The Rust struct's name.
    pub name: &'static str,
    /// The Rust type, to key identity maps.
    pub type_id: TypeId,
    /// The Core table.
    pub table: Table,
    /// The Rust field name of each column, in column order.
    pub fields: Vec<&'static str>,
    /// Indexes (into the columns) of the primary key columns.
    pub primary_key: Vec<usize>,
    /// The index of the autoincrementing column, if any.
    pub autoincrement: Option<usize>,
    /// Per column, whether its field is an `Option` (see [`ModelInfo::optional_fields`]).
    pub optional: Vec<bool>,
    /// Whether objects are validated (see [`ModelInfo::validate`]); on unless the model
    /// says `#[model(validation = false)]`.
    pub validation: bool,
    /// Validators declared on columns with `#[column(validators = [...])]`.
    pub validators: Vec<ColumnValidator>,
    /// The version counter column and the function computing its next value, for
    /// optimistic locking (`#[model(version = "field")]`, see [`ModelInfo::versioned`]).
    pub version: Option<(usize, VersionGenerator)>,
    /// The relationships declared on `Many<T>` / `One<T>` fields, in field order.
    pub relationships: Vec<RelationshipInfo>,
    /// The [`Deferred`](crate::orm::Deferred) columns, in column order (see
    /// [`ModelInfo::with_deferred`]).
    pub deferred: Vec<DeferredColumn>,
    /// The layout of rows without the deferred columns; `None` when there are none.
    default_layout: Option<ColumnLayout>,
    /// The model's place in a mapped hierarchy (`polymorphic` / `inherits`), if any.
    pub inheritance: Option<Inheritance>,
    /// The [`DeclarativeBase`](crate::orm::DeclarativeBase) the model names with
    /// `#[model(base = ...)]`, if any (a session may bind it: `Binds::base`).
    pub declarative_base: Option<TypeId>,
    /// `SELECT <default columns> WHERE <pk> = ?`, compiled once per dialect.
    by_pk: Mutex<Vec<(&'static str, Arc<Compiled>)>>,
}

impl ModelInfo {
    /// Builds the info for model `M` from its table and field names (used by the derive).
    ///
    /// ```
    /// use aludel::orm::ModelInfo;
    /// use aludel::sql::{Column, SqlType, Table};
    /// struct Point;
    /// let t = Table::build("points").column(Column::new("x", SqlType::Integer).primary_key()).finish();
    /// let info = ModelInfo::new::<Point>("Point", t, vec!["x"]);
    /// assert_eq!(info.primary_key, vec![0]);
    /// ```
    pub fn new<M: 'static>(name: &'static str, table: Table, fields: Vec<&'static str>) -> Self {
        let columns = &table.def().columns;
        let primary_key = columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.primary_key)
            .map(|(i, _)| i)
            .collect();
        let autoincrement = table
            .autoincrement_column()
            .and_then(|a| columns.iter().position(|c| c.name == a.name));
        let optional = vec![false; columns.len()];
        ModelInfo {
            validation: true,
            validators: Vec::new(),
            version: None,
            relationships: Vec::new(),
            deferred: Vec::new(),
            default_layout: None,
            inheritance: None,
            declarative_base: None,
            name,
            type_id: TypeId::of::<M>(),
            table,
            fields,
            optional,
            primary_key,
            autoincrement,
            by_pk: Mutex::new(Vec::new()),
        }
    }

    /// Records which fields are `Option`s (the derive does this). It decides what "not
    /// set" means for the autoincrement key: `None` for an `Option` key (so `Some(0)` is
    /// stored as 0), and `0` for a plain integer key, which has no other way to say it.
    ///
    /// ```
    /// # use aludel::orm::ModelInfo;
    /// # use aludel::sql::{Column, SqlType, Table};
    /// # struct P;
    /// let t = Table::build("p").column(Column::new("id", SqlType::BigInteger).primary_key()).finish();
    /// let info = ModelInfo::new::<P>("P", t, vec!["id"]).optional_fields(vec![true]);
    /// assert_eq!(info.optional, vec![true]);
    /// ```
    pub fn optional_fields(mut self, optional: Vec<bool>) -> Self {
        self.optional = optional;
        self
    }

    /// Attaches validators to columns (the derive does this for
    /// `#[column(validators = [...])]`).
    ///
    /// ```
    /// # use aludel::orm::{ModelInfo, Required};
    /// # use aludel::sql::{Column, SqlType, Table};
    /// # struct P;
    /// let t = Table::build("p").column(Column::new("name", SqlType::Text)).finish();
    /// let info = ModelInfo::new::<P>("P", t, vec!["name"]).with_validators(vec![(0, std::sync::Arc::new(Required::new()))]);
    /// assert!(info.validate(&[aludel::sql::Value::Null], None).is_err());
    /// ```
    pub fn with_validators(mut self, validators: Vec<ColumnValidator>) -> Self {
        self.validators = validators;
        self
    }

    /// Records the model's relationships (the derive does this for its `Many<T>` /
    /// `One<T>` fields).
    ///
    /// ```
    /// # use aludel::orm::{Many, Model, ModelInfo, RelationshipInfo};
    /// # #[derive(aludel::Model)] #[model(table = "p")] struct P { #[column(primary_key)] id: i64, kids: Many<P> }
    /// let t = aludel::sql::Table::build("p").finish();
    /// let info = ModelInfo::new::<P>("P", t, vec![])
    ///     .with_relationships(vec![RelationshipInfo::new::<P, Many<P>>("kids", |p| &p.kids)]);
    /// assert_eq!(info.relationships[0].name, "kids");
    /// ```
    pub fn with_relationships(mut self, relationships: Vec<RelationshipInfo>) -> Self {
        self.relationships = relationships;
        self
    }

    /// Records the model's deferred columns (the derive does this for its `Deferred<T>`
    /// fields): the default SELECT leaves them out.
    ///
    /// ```
    /// # use aludel::orm::{Deferred, DeferredColumn, Model, ModelInfo};
    /// # use aludel::sql::{Column, SqlType, Table};
    /// struct Doc { id: i64, body: Deferred<String> }
    /// let t = Table::build("docs")
    ///     .column(Column::new("id", SqlType::BigInteger).primary_key())
    ///     .column(Column::new("body", SqlType::Text))
    ///     .finish();
    /// let info = ModelInfo::new::<Doc>("Doc", t, vec!["id", "body"])
    ///     .with_deferred(vec![DeferredColumn::new::<Doc, String>(1, None, |d| &d.body)]);
    /// assert_eq!(info.default_layout().map(|l| l.width()), Some(1));
    /// ```
    pub fn with_deferred(mut self, deferred: Vec<DeferredColumn>) -> Self {
        let mut present = vec![true; self.columns().len()];
        for d in &deferred {
            if let Some(p) = present.get_mut(d.column) {
                *p = false;
            }
        }
        self.default_layout = (!deferred.is_empty()).then(|| ColumnLayout::new(&present));
        self.deferred = deferred;
        self
    }

    /// The layout of rows the model's default SELECT returns (its deferred columns left
    /// out); `None` when rows hold every column (no deferred column, or a model in a
    /// polymorphic hierarchy).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// use aludel::orm::Model;
    /// assert!(T::info().default_layout().is_none());
    /// ```
    pub fn default_layout(&self) -> Option<&ColumnLayout> {
        // A polymorphic model's rows are read by column position across its hierarchy:
        // its deferred columns load with the row.
        match self.inheritance {
            Some(_) => None,
            None => self.default_layout.as_ref(),
        }
    }

    /// Makes column `column` the model's version counter (the derive does this for
    /// `#[model(version = "field")]`): a new row gets `generator(Null)`, and every UPDATE
    /// and DELETE the session flushes checks the version it loaded (`AND version = ?`), an
    /// UPDATE also writing `generator(loaded)`. A row count other than one is
    /// [`Error::StaleData`](crate::Error::StaleData).
    ///
    /// ```
    /// # use aludel::orm::{ModelInfo, next_version};
    /// # use aludel::sql::{Column, SqlType, Table};
    /// # struct P;
    /// let t = Table::build("p")
    ///     .column(Column::new("id", SqlType::BigInteger).primary_key())
    ///     .column(Column::new("version", SqlType::BigInteger))
    ///     .finish();
    /// let info = ModelInfo::new::<P>("P", t, vec!["id", "version"]).versioned(1, next_version);
    /// assert_eq!(info.version.map(|(c, _)| c), Some(1));
    /// ```
    pub fn versioned(mut self, column: usize, generator: VersionGenerator) -> Self {
        self.version = Some((column, generator));
        self
    }

    /// Turns validation on or off (`#[model(validation = false)]`).
    ///
    /// ```
    /// # use aludel::orm::ModelInfo;
    /// # use aludel::sql::{Column, SqlType, Table};
    /// # struct P;
    /// let t = Table::build("p").column(Column::new("n", SqlType::Integer).nullable(false)).finish();
    /// let info = ModelInfo::new::<P>("P", t, vec!["n"]).validation(false);
    /// assert!(info.validate(&[aludel::sql::Value::Null], None).is_ok());
    /// ```
    pub fn validation(mut self, on: bool) -> Self {
        self.validation = on;
        self
    }

    /// Records the model's declarative base (the derive does this for
    /// `#[model(base = Base)]`).
    ///
    /// ```
    /// # use aludel::orm::ModelInfo;
    /// # use aludel::sql::{Column, SqlType, Table};
    /// # struct P;
    /// struct Base;
    /// let t = Table::build("p").column(Column::new("id", SqlType::Integer).primary_key()).finish();
    /// let info = ModelInfo::new::<P>("P", t, vec!["id"]).declarative_base::<Base>();
    /// assert_eq!(info.declarative_base, Some(std::any::TypeId::of::<Base>()));
    /// ```
    pub fn declarative_base<B: 'static>(mut self) -> Self {
        self.declarative_base = Some(TypeId::of::<B>());
        self
    }

    /// Validates a row's `values` (in column order), every column or only those in
    /// `only` (a partial update): NOT NULL columns need a value unless the database fills
    /// them (autoincrement key, server or client default), `VARCHAR(n)` values must fit, and
    /// each declared validator must accept its column's value. All failures are reported
    /// together, by field name.
    ///
    /// ```
    /// # use aludel::orm::ModelInfo;
    /// # use aludel::sql::{Column, SqlType, Table, Value};
    /// # struct P;
    /// let t = Table::build("p")
    ///     .column(Column::new("code", SqlType::String { length: Some(2) }).nullable(false))
    ///     .finish();
    /// let info = ModelInfo::new::<P>("P", t, vec!["code"]);
    /// let errors = info.validate(&[Value::Text("abc".into())], None).unwrap_err();
    /// assert_eq!(errors.errors["code"], ["Code must be at most 2 characters (it has 3)."]);
    /// ```
    pub fn validate(
        &self,
        values: &[Value],
        only: Option<&[usize]>,
    ) -> std::result::Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if !self.validation {
            return Ok(());
        }
        let check = |i: usize, errors: &mut ValidationErrors| {
            let column = &self.columns()[i];
            let filled = self.autoincrement == Some(i)
                || column.default.is_some()
                || column.server_default.is_some();
            let validators = self
                .validators
                .iter()
                .filter(|(c, _)| *c == i)
                .map(|(_, v)| v);
            check_column(
                errors,
                self.fields[i],
                column,
                filled,
                &values[i],
                validators,
            );
        };
        match only {
            Some(columns) => columns.iter().for_each(|&i| check(i, &mut errors)),
            None => (0..values.len().min(self.columns().len())).for_each(|i| check(i, &mut errors)),
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.for_model(self.name))
        }
    }

    /// The columns an INSERT of a row with `values` leaves to the database, ascending:
    /// the autoincrement key when not set (NULL, or 0 in a non-`Option` field), and every
    /// column with a server default whose value is NULL — SQLAlchemy's rule that `None`
    /// means "not set" for such columns.
    pub(crate) fn unset_columns(&self, values: &[Value]) -> Vec<usize> {
        self.columns()
            .iter()
            .enumerate()
            .filter(|&(i, c)| {
                let optional = self.optional.get(i).copied().unwrap_or(false);
                match &values[i] {
                    Value::Null => self.autoincrement == Some(i) || c.server_default.is_some(),
                    Value::Int(0) => self.autoincrement == Some(i) && !optional,
                    _ => false,
                }
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The column definitions, in column order.
    ///
    /// ```
    /// # use aludel::orm::ModelInfo;
    /// # use aludel::sql::{Column, SqlType, Table};
    /// # struct P;
    /// let t = Table::build("p").column(Column::new("x", SqlType::Integer)).finish();
    /// assert_eq!(ModelInfo::new::<P>("P", t, vec!["x"]).columns()[0].name, "x");
    /// ```
    pub fn columns(&self) -> &[ColumnDef] {
        &self.table.def().columns
    }

    /// The index of the column mapped from field (or named) `name`.
    ///
    /// ```
    /// # use aludel::orm::ModelInfo;
    /// # use aludel::sql::{Column, SqlType, Table};
    /// # struct P;
    /// let t = Table::build("p").column(Column::new("x_col", SqlType::Integer)).finish();
    /// let info = ModelInfo::new::<P>("P", t, vec!["x"]);
    /// assert_eq!(info.column_index("x"), Some(0));
    /// assert_eq!(info.column_index("x_col"), Some(0));
    /// assert_eq!(info.column_index("y"), None);
    /// ```
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| *f == name)
            .or_else(|| self.columns().iter().position(|c| c.name == name))
    }

    /// The message for a name that is neither a field nor a column of this model, listing
    /// the model's fields: `model User has no column 'nope' (columns: id, name)`.
    pub(crate) fn no_such_name(&self, name: &str) -> String {
        format!(
            "model {} has no column '{name}' (columns: {})",
            self.name,
            self.fields.join(", ")
        )
    }

    /// The primary key values among a row's `values` (in column order).
    pub(crate) fn pk_of(&self, values: &[Value]) -> Vec<Value> {
        self.primary_key
            .iter()
            .map(|&i| values[i].clone())
            .collect()
    }

    /// The identity-map key of a row of this model; `None` while part of the key is NULL.
    pub(crate) fn identity_of(
        &self,
        values: &[Value],
    ) -> Option<crate::orm::identity::IdentityKey> {
        crate::orm::identity::IdentityKey::new(self.identity_type(), &self.pk_of(values))
    }

    /// `SELECT <default columns> FROM <table> WHERE <pk columns> = ?`, compiled for `dialect`
    /// on first use and cached: primary key lookups (`get`, refresh) skip the compiler.
    /// A model in a polymorphic hierarchy adds `AND <discriminator> = ?`: bind
    /// [`by_pk_values`](Self::by_pk_values).
    pub(crate) fn select_by_pk(&self, dialect: &dyn Dialect) -> Result<Arc<Compiled>> {
        let mut cache = self.by_pk.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, c)) = cache.iter().find(|(d, _)| *d == dialect.name()) {
            return Ok(c.clone());
        }
        let slot = || Expr::Value(Value::Int(0));
        let criteria = self
            .primary_key
            .iter()
            .map(|&i| self.column_expr(i).eq(slot()))
            .chain(self.discriminator_criterion()?);
        let layout = self.default_layout();
        let columns = (0..self.columns().len())
            .filter(|&i| layout.is_none_or(|l| l.has(i)))
            .map(|i| self.column_expr(i));
        let stmt = self.select_from(select(columns)).where_(and_(criteria));
        let compiled = Arc::new(stmt.compile(dialect)?);
        cache.push((dialect.name(), compiled.clone()));
        Ok(compiled)
    }

    /// An expression for column `index`, qualified by the table.
    pub(crate) fn column_expr(&self, index: usize) -> Expr {
        Expr::Column(ColumnRef {
            name: Arc::from(self.columns()[index].name.as_str()),
            source: Some(FromItem::Table(self.column_table(index).clone())),
        })
    }

    /// Whether a foreign key of this model references its own table.
    pub(crate) fn is_self_referential(&self) -> bool {
        self.referenced_tables().contains(&self.table.name())
    }

    /// The names of the tables this model's foreign keys reference.
    pub(crate) fn referenced_tables(&self) -> Vec<&str> {
        crate::sql::schema_referenced_tables(&self.table)
    }
}

/// The SQL type a Rust field type maps to, and whether it may be NULL.
///
/// ```
/// use aludel::orm::SqlTyped;
/// use aludel::sql::SqlType;
/// assert_eq!(<i32 as SqlTyped>::sql_type(), SqlType::Integer);
/// assert!(<Option<String> as SqlTyped>::NULLABLE);
/// ```
pub trait SqlTyped: ToValue {
    /// Whether the column may hold NULL (true only for `Option<T>`).
    const NULLABLE: bool = false;
    /// The column's SQL type.
    fn sql_type() -> SqlType;
}

macro_rules! sql_typed {
    ($($t:ty => $sql:expr),* $(,)?) => {$(
        impl SqlTyped for $t {
            fn sql_type() -> SqlType {
                $sql
            }
        }
    )*};
}

sql_typed! {
    i8 => SqlType::SmallInteger,
    i16 => SqlType::SmallInteger,
    u8 => SqlType::SmallInteger,
    i32 => SqlType::Integer,
    u16 => SqlType::Integer,
    i64 => SqlType::BigInteger,
    u32 => SqlType::BigInteger,
    f32 => SqlType::Float,
    f64 => SqlType::Double,
    bool => SqlType::Boolean,
    String => SqlType::String { length: None },
    Vec<u8> => SqlType::Binary,
    chrono::NaiveDate => SqlType::Date,
    chrono::NaiveTime => SqlType::Time,
    chrono::NaiveDateTime => SqlType::DateTime,
    chrono::DateTime<chrono::Utc> => SqlType::DateTimeTz,
    rust_decimal::Decimal => SqlType::Numeric { precision: None, scale: None },
    uuid::Uuid => SqlType::Uuid,
    serde_json::Value => SqlType::Json,
}

impl<T: SqlTyped> SqlTyped for Option<T> {
    const NULLABLE: bool = true;
    fn sql_type() -> SqlType {
        T::sql_type()
    }
}

/// Parses a `#[column(foreign_key = "table.column")]` target (used by the derive).
///
/// ```
/// let fk = aludel::orm::parse_foreign_key("users.id").unwrap();
/// assert_eq!((fk.table.as_str(), fk.column.as_str()), ("users", "id"));
/// assert!(aludel::orm::parse_foreign_key("users").is_err());
/// ```
pub fn parse_foreign_key(target: &str) -> Result<ForeignKey> {
    match target.rsplit_once('.') {
        Some((table, column)) if !table.is_empty() && !column.is_empty() => {
            Ok(ForeignKey::to(table, column))
        }
        _ => Err(crate::Error::config(format!(
            "foreign key target {target:?} must be written \"table.column\""
        ))),
    }
}

/// Converts a database value for field `column` of `model`, naming both on failure (used by
/// the derive).
///
/// ```
/// use aludel::sql::Value;
/// let n: i32 = aludel::orm::convert_column("User", "age", Value::Int(3)).unwrap();
/// let err = aludel::orm::convert_column::<i32>("User", "age", Value::Text("x".into())).unwrap_err();
/// assert!(err.to_string().contains("User.age"));
/// ```
pub fn convert_column<T: crate::sql::FromValue>(
    model: &str,
    column: &str,
    value: Value,
) -> Result<T> {
    T::from_value(value).map_err(|e| annotate(model, column, e))
}

/// Converts a cell read in place for field `column` of `model`, with the same rules and
/// the same error as [`convert_column`] (used by the derive's `from_row`).
///
/// ```
/// use aludel::sql::ValueRef;
/// let name: String = aludel::orm::convert_column_ref("User", "name", ValueRef::Text("ada")).unwrap();
/// assert_eq!(name, "ada");
/// let err = aludel::orm::convert_column_ref::<i32>("User", "age", ValueRef::Text("x")).unwrap_err();
/// assert!(err.to_string().contains("User.age"));
/// ```
pub fn convert_column_ref<T: crate::sql::FromValueRef>(
    model: &str,
    column: &str,
    value: crate::sql::ValueRef<'_>,
) -> Result<T> {
    T::from_value_ref(value).map_err(|e| annotate(model, column, e))
}

fn annotate(model: &str, column: &str, e: crate::Error) -> crate::Error {
    match e {
        crate::Error::Conversion { expected, found } => crate::Error::Conversion {
            expected,
            found: format!("{found} (column {model}.{column})"),
        },
        other => other,
    }
}

/// The error for a column index a model does not have (used by the derive).
///
/// ```
/// assert!(aludel::orm::no_such_column("User", 9).to_string().contains("User"));
/// ```
pub fn no_such_column(model: &str, index: usize) -> crate::Error {
    crate::Error::invalid(format!("model {model} has no column #{index}"))
}

/// The error for a row whose width does not match the model (used by the derive).
///
/// ```
/// assert!(aludel::orm::wrong_width("User", 3, 2).to_string().contains("3 columns"));
/// ```
pub fn wrong_width(model: &str, expected: usize, got: usize) -> crate::Error {
    crate::Error::invalid(format!(
        "model {model} maps {expected} columns but the row has {got}"
    ))
}

/// The error for a row layout that leaves out a column that is not deferred (used by the
/// derive: only `Deferred` fields can start unloaded).
///
/// ```
/// let e = aludel::orm::column_not_in_row("User", "name").to_string();
/// assert!(e.contains("User.name"), "{e}");
/// ```
pub fn column_not_in_row(model: &str, column: &str) -> crate::Error {
    crate::Error::invalid(format!(
        "the row leaves out {model}.{column}, which is not a Deferred field and cannot start unloaded"
    ))
}
