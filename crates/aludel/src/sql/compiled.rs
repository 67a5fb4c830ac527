//! The output of compilation: SQL text plus the ordered bind values, and the named
//! parameters a caller supplies at execution time.

use std::sync::Arc;

use crate::dialects::Dialect;
use crate::error::{Error, Result};
use crate::sql::dml::{Delete, Insert, Update};
use crate::sql::selectable::{CompoundSelect, Select, SelectStatement};
use crate::sql::text::TextClause;
use crate::sql::value::{ToValue, Value};

/// A statement rendered for one dialect: the SQL text and one [`BindSlot`] per placeholder,
/// in placeholder order.
///
/// ```
/// use aludel::dialects::Sqlite;
/// use aludel::sql::{text, Executable};
/// let c = text("SELECT :a + :a").compile(&Sqlite).unwrap();
/// assert_eq!(c.sql, "SELECT ? + ?");
/// assert_eq!(c.binds.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// The SQL text, with the dialect's placeholders.
    pub sql: String,
    /// One slot per placeholder, in the order the placeholders appear.
    pub binds: Vec<BindSlot>,
}

/// One placeholder's value: fixed at build time, or looked up by name at execution.
#[derive(Debug, Clone, PartialEq)]
pub struct BindSlot {
    /// The parameter's name, for `:name` in `text()` and named `bindparam`s.
    pub name: Option<Arc<str>>,
    /// The value given when the statement was built, if any.
    pub value: Option<Value>,
    /// The column the value is stored in or compared with (`table.column`), when the
    /// placeholder is an INSERT value, an UPDATE SET value or the other side of a
    /// comparison with a column; errors about the value name it.
    pub column: Option<Arc<str>>,
}

impl BindSlot {
    /// What to call this placeholder in an error: its column, else its parameter name,
    /// else its position (`index` is 0-based).
    ///
    /// ```
    /// use aludel::dialects::MySql;
    /// use aludel::sql::{Executable, Table, Column, SqlType, insert, text};
    /// let t = Table::build("t").column(Column::new("x", SqlType::Double)).finish();
    /// let c = insert(&t).value("x", 1.5).compile(&MySql).unwrap();
    /// assert_eq!(c.binds[0].describe(0), "column t.x");
    /// let c = text("SELECT :p").compile(&MySql).unwrap();
    /// assert_eq!(c.binds[0].describe(0), "parameter :p");
    /// ```
    pub fn describe(&self, index: usize) -> String {
        match (&self.column, &self.name) {
            (Some(column), _) => format!("column {column}"),
            (None, Some(name)) => format!("parameter :{name}"),
            (None, None) => format!("parameter {}", index + 1),
        }
    }
}

impl Compiled {
    /// The values to send, in placeholder order: each named slot takes the supplied
    /// parameter of that name, else its build-time value; a slot with neither is an error
    /// naming the parameter. A supplied name that no slot uses is an error too, because it
    /// is almost always a typo.
    ///
    /// ```
    /// use aludel::dialects::Postgres;
    /// use aludel::params;
    /// use aludel::sql::{text, Executable, Value};
    /// let c = text("SELECT :x").compile(&Postgres).unwrap();
    /// assert_eq!(c.bind_values(&params! { "x" => 5 }).unwrap(), vec![Value::Int(5)]);
    /// assert!(c.bind_values(&params! {}).is_err());
    /// ```
    pub fn bind_values(&self, supplied: &Params) -> Result<Vec<Value>> {
        self.bind_with(supplied, |i| self.binds[i].value.clone())
    }

    /// [`bind_values`](Self::bind_values) with each slot's build-time value taken from
    /// `value_of(index)` instead of the slot (the compiled-shape cache re-binds a cached
    /// statement with the values of a new statement of the same shape).
    pub(crate) fn bind_with(
        &self,
        supplied: &Params,
        mut value_of: impl FnMut(usize) -> Option<Value>,
    ) -> Result<Vec<Value>> {
        for (name, _) in &supplied.0 {
            if !self
                .binds
                .iter()
                .any(|b| b.name.as_deref() == Some(name.as_str()))
            {
                return Err(Error::compile(format!(
                    "parameter '{name}' was supplied but the statement has no :{name} placeholder"
                )));
            }
        }
        self.binds
            .iter()
            .enumerate()
            .map(|(i, slot)| {
                if let Some(name) = &slot.name {
                    if let Some(v) = supplied.get(name) {
                        return Ok(v.clone());
                    }
                }
                match (value_of(i), &slot.name) {
                    (Some(v), _) => Ok(v),
                    (None, Some(name)) => Err(Error::compile(format!(
                        "no value supplied for bind parameter :{name}"
                    ))),
                    (None, None) => Err(Error::compile("an anonymous bind parameter has no value")),
                }
            })
            .collect()
    }
}

/// Named parameter values supplied when a statement runs, built with [`params!`](crate::params).
///
/// ```
/// use aludel::params;
/// let p = params! { "name" => "ada", "age" => 36 };
/// assert_eq!(p.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(pub Vec<(String, Value)>);

impl Params {
    /// No parameters.
    ///
    /// ```
    /// assert!(aludel::sql::Params::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Params(Vec::new())
    }

    /// Adds `name = value`, replacing an earlier value of the same name.
    ///
    /// ```
    /// let p = aludel::sql::Params::new().with("a", 1).with("a", 2);
    /// assert_eq!(p.len(), 1);
    /// ```
    pub fn with(mut self, name: impl Into<String>, value: impl ToValue) -> Self {
        let name = name.into();
        let value = value.to_value();
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
        self
    }

    /// The value of `name`, if supplied.
    ///
    /// ```
    /// let p = aludel::params! { "a" => 1 };
    /// assert!(p.get("a").is_some() && p.get("b").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// How many parameters there are.
    ///
    /// ```
    /// assert_eq!(aludel::params! {}.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    ///
    /// ```
    /// assert!(aludel::params! {}.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<()> for Params {
    fn from(_: ()) -> Self {
        Params::new()
    }
}

/// Builds [`Params`]: `params! { "name" => value, ... }`.
///
/// ```
/// let p = aludel::params! { "p" => "%treh%" };
/// assert_eq!(p.get("p"), Some(&aludel::sql::Value::Text("%treh%".into())));
/// ```
#[macro_export]
macro_rules! params {
    ($($name:expr => $value:expr),* $(,)?) => {
        $crate::sql::Params::new()$(.with($name, $value))*
    };
}

/// Anything that compiles to SQL for a dialect: Core statements and `text()` fragments.
///
/// ```
/// use aludel::dialects::MySql;
/// use aludel::sql::{text, Executable};
/// assert_eq!(text("SELECT 1").compile(&MySql).unwrap().sql, "SELECT 1");
/// ```
pub trait Executable {
    /// Renders the statement for `dialect`.
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled>;

    /// The statement as one of the Core statement kinds, when it is one: the engine caches
    /// the compiled form of these by shape (see [`ShapeKey`](crate::sql::ShapeKey)), and
    /// [`execute_many`] sends a single-row INSERT as multi-row batches. `None` (the
    /// default, and DDL) compiles on every run.
    ///
    /// [`execute_many`]: crate::engine::Connection::execute_many
    ///
    /// ```
    /// use aludel::sql::{insert, text, Executable, StatementRef, Table};
    /// let t = Table::build("t").finish();
    /// assert!(matches!(insert(&t).statement(), Some(StatementRef::Insert(_))));
    /// assert!(matches!(text("SELECT 1").statement(), Some(StatementRef::Text(_))));
    /// assert!(aludel::sql::CreateTable::new(&t).statement().is_none());
    /// ```
    fn statement(&self) -> Option<StatementRef<'_>> {
        None
    }
}

impl<T: Executable + ?Sized> Executable for &T {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        (**self).compile(dialect)
    }

    fn statement(&self) -> Option<StatementRef<'_>> {
        (**self).statement()
    }
}

/// A borrowed Core statement, as [`Executable::statement`] gives it.
///
/// ```
/// use aludel::sql::{select, Executable, StatementRef};
/// let s = select([aludel::sql::literal(1)]);
/// assert!(matches!(s.statement(), Some(StatementRef::Select(_))));
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum StatementRef<'a> {
    /// A SELECT.
    Select(&'a Select),
    /// A UNION / INTERSECT / EXCEPT.
    Compound(&'a CompoundSelect),
    /// Either of the above.
    Statement(&'a SelectStatement),
    /// An INSERT.
    Insert(&'a Insert),
    /// An UPDATE.
    Update(&'a Update),
    /// A DELETE.
    Delete(&'a Delete),
    /// A `text()` statement.
    Text(&'a TextClause),
}
