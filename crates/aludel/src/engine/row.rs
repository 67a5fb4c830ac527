//! [`Row`]: one result row, its values plus the column names shared by the whole result.

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::sql::{FromValue, Value};

/// One row of a result: its values, in column order, and the result's column names
/// (shared, not copied per row).
///
/// ```
/// use aludel::sql::text;
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// let mut conn = engine.connect()?;
/// let row = conn.execute(&text("SELECT 1 AS id, 'ada' AS name"), ())?.one()?;
/// assert_eq!(row.get::<i64>("id")?, 1);
/// assert_eq!(row.get::<String>(1)?, "ada");
/// assert!(row.get::<i64>("nope").is_err());
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

/// A column position or name, for [`Row::get`] and [`Row::value`].
///
/// ```
/// use aludel::engine::RowIndex;
/// let cols = vec!["a".to_string(), "b".to_string()];
/// assert_eq!("b".index_in(&cols), Some(1));
/// assert_eq!(5usize.index_in(&cols), None);
/// ```
pub trait RowIndex: fmt::Display {
    /// The position of this column among `columns`, if it exists.
    fn index_in(&self, columns: &[String]) -> Option<usize>;
}

impl RowIndex for usize {
    fn index_in(&self, columns: &[String]) -> Option<usize> {
        (*self < columns.len()).then_some(*self)
    }
}

impl RowIndex for &str {
    fn index_in(&self, columns: &[String]) -> Option<usize> {
        columns.iter().position(|c| c == self)
    }
}

impl RowIndex for String {
    fn index_in(&self, columns: &[String]) -> Option<usize> {
        self.as_str().index_in(columns)
    }
}

impl Row {
    /// A row from its column names and values (used by drivers and tests).
    ///
    /// ```
    /// use aludel::{engine::Row, sql::Value};
    /// let row = Row::new(vec!["x".to_string()].into(), vec![Value::Int(1)]);
    /// assert_eq!(row.len(), 1);
    /// ```
    pub fn new(columns: Arc<[String]>, values: Vec<Value>) -> Row {
        Row { columns, values }
    }

    fn position(&self, index: &impl RowIndex) -> Result<usize> {
        index
            .index_in(&self.columns)
            .filter(|i| *i < self.values.len())
            .ok_or_else(|| Error::NoSuchColumn {
                column: index.to_string(),
                available: self.columns.to_vec(),
            })
    }

    /// The value of a column converted to `T`; a missing column is
    /// [`Error::NoSuchColumn`], a value that does not fit is [`Error::Conversion`] naming
    /// the column.
    ///
    /// ```
    /// use aludel::{engine::Row, sql::Value};
    /// let row = Row::new(vec!["n".to_string()].into(), vec![Value::Text("x".into())]);
    /// let err = row.get::<i32>("n").unwrap_err().to_string();
    /// assert!(err.contains("column 'n'"), "{err}");
    /// ```
    pub fn get<T: FromValue>(&self, index: impl RowIndex) -> Result<T> {
        let i = self.position(&index)?;
        T::from_value(self.values[i].clone()).map_err(|e| self.annotate(i, e))
    }

    /// Like [`Row::get`] but moves the value out, leaving `NULL` (no clone).
    ///
    /// ```
    /// use aludel::{engine::Row, sql::Value};
    /// let mut row = Row::new(vec!["s".to_string()].into(), vec![Value::Text("x".into())]);
    /// assert_eq!(row.take::<String>("s")?, "x");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn take<T: FromValue>(&mut self, index: impl RowIndex) -> Result<T> {
        let i = self.position(&index)?;
        let value = std::mem::replace(&mut self.values[i], Value::Null);
        T::from_value(value).map_err(|e| self.annotate(i, e))
    }

    fn annotate(&self, i: usize, err: Error) -> Error {
        match err {
            Error::Conversion { expected, found } => Error::Conversion {
                expected,
                found: format!("{found} in column '{}'", self.columns[i]),
            },
            other => other,
        }
    }

    /// The raw value of a column.
    ///
    /// ```
    /// use aludel::{engine::Row, sql::Value};
    /// let row = Row::new(vec!["x".to_string()].into(), vec![Value::Int(3)]);
    /// assert_eq!(row.value(0)?, &Value::Int(3));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn value(&self, index: impl RowIndex) -> Result<&Value> {
        let i = self.position(&index)?;
        Ok(&self.values[i])
    }

    /// All values, in column order.
    ///
    /// ```
    /// use aludel::{engine::Row, sql::Value};
    /// let row = Row::new(vec!["x".to_string()].into(), vec![Value::Null]);
    /// assert_eq!(row.values(), &[Value::Null]);
    /// ```
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The column names.
    ///
    /// ```
    /// use aludel::{engine::Row, sql::Value};
    /// let row = Row::new(vec!["x".to_string()].into(), vec![Value::Null]);
    /// assert_eq!(row.keys(), &["x".to_string()]);
    /// ```
    pub fn keys(&self) -> &[String] {
        &self.columns
    }

    /// The number of columns.
    ///
    /// ```
    /// use aludel::engine::Row;
    /// assert!(Row::new(Vec::<String>::new().into(), vec![]).is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no columns.
    ///
    /// ```
    /// use aludel::engine::Row;
    /// assert_eq!(Row::new(Vec::<String>::new().into(), vec![]).len(), 0);
    /// ```
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// An ordered `(name, value)` view (SQLAlchemy's `Row._asdict()`); duplicated names
    /// all appear, in column order.
    ///
    /// ```
    /// use aludel::{engine::Row, sql::Value};
    /// let row = Row::new(vec!["a".to_string(), "b".to_string()].into(), vec![Value::Int(1), Value::Null]);
    /// let map = row.as_map();
    /// assert_eq!(map[0], ("a", &Value::Int(1)));
    /// ```
    pub fn as_map(&self) -> Vec<(&str, &Value)> {
        self.columns
            .iter()
            .map(String::as_str)
            .zip(self.values.iter())
            .collect()
    }

    /// An owned ordered `(name, value)` list.
    ///
    /// ```
    /// use aludel::{engine::Row, sql::Value};
    /// let row = Row::new(vec!["a".to_string()].into(), vec![Value::Int(1)]);
    /// assert_eq!(row.to_map(), vec![("a".to_string(), Value::Int(1))]);
    /// ```
    pub fn to_map(&self) -> Vec<(String, Value)> {
        self.columns
            .iter()
            .cloned()
            .zip(self.values.iter().cloned())
            .collect()
    }

    /// The values, consuming the row.
    ///
    /// ```
    /// use aludel::{engine::Row, sql::Value};
    /// let row = Row::new(vec!["a".to_string()].into(), vec![Value::Int(1)]);
    /// assert_eq!(row.into_values(), vec![Value::Int(1)]);
    /// ```
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in self.as_map() {
            m.entry(&k, v);
        }
        m.finish()
    }
}
