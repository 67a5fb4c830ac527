//! Rows read in place: [`RowView`], the driver's current row with borrowed cells, and
//! [`RowRef`], the view a [`RowStream`](crate::engine::RowStream) lends with typed `get`.
//!
//! A driver keeps its client's row (a stepping SQLite statement, a PostgreSQL `Row`, a MySQL
//! `Row`) and answers cell reads from it; nothing is copied until a field is built.
//! `#[derive(Model)]` builds a struct from a view ([`Model::from_row`]), and the ORM reads
//! the primary key from it before building anything.
//!
//! [`Model::from_row`]: crate::orm::Model::from_row

use std::sync::Arc;

use crate::engine::row::{Row, RowIndex};
use crate::error::{Error, Result};
use crate::sql::{FromValueRef, Value, ValueRef};

/// One row, read in place: its cells by position, borrowed from the driver while the row
/// is current. Drivers implement it over their client's row; [`RowRef`] adds names and
/// typed access.
///
/// ```
/// use aludel::engine::RowView;
/// use aludel::sql::{text, ValueRef};
/// let engine = aludel::create_engine("sqlite://")?;
/// let mut conn = engine.connect()?;
/// let mut rows = conn.stream(&text("SELECT 7, 'ada'"), ())?;
/// let row = rows.next_ref().expect("one row")?;
/// let view: &dyn RowView = &row;
/// assert_eq!(view.len(), 2);
/// assert_eq!(view.value(1)?, ValueRef::Text("ada"));
/// assert!(view.value(2).is_err());
/// # Ok::<(), aludel::Error>(())
/// ```
pub trait RowView {
    /// The number of columns.
    fn len(&self) -> usize;

    /// Whether the row has no columns.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Cell `index`, borrowed from the row; an index past the end is
    /// [`Error::NoSuchColumn`], a cell the driver cannot read is a conversion error naming
    /// its column.
    fn value(&self, index: usize) -> Result<ValueRef<'_>>;

    /// Every cell as an owned [`Value`], in column order (for buffered results).
    fn to_values(&self) -> Result<Vec<Value>> {
        (0..self.len())
            .map(|i| self.value(i).map(|v| v.to_value()))
            .collect()
    }
}

/// The error for a cell past the end of a row (drivers and views share it).
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code) // used by the drivers only; a build without one (the fuzz crate) has none
)]
pub(crate) fn no_such_cell(index: usize, columns: &[String]) -> Error {
    Error::NoSuchColumn {
        column: index.to_string(),
        available: columns.to_vec(),
    }
}

/// A view with nothing current: no columns (a statement without rows, or a source
/// stepped past its end).
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code) // used by the drivers only; a build without one (the fuzz crate) has none
)]
pub(crate) struct EmptyRow;

impl RowView for EmptyRow {
    fn len(&self) -> usize {
        0
    }

    fn value(&self, index: usize) -> Result<ValueRef<'_>> {
        Err(no_such_cell(index, &[]))
    }
}

/// The current row of a [`RowStream`](crate::engine::RowStream), lent until the next one
/// is read: cells by position or name, converted straight from the driver's buffers with
/// [`RowRef::get`] (a `String` is copied once, into the result; an `i64` not at all).
///
/// ```
/// use aludel::sql::text;
/// let engine = aludel::create_engine("sqlite://")?;
/// let mut conn = engine.connect()?;
/// let mut rows = conn.stream(&text("SELECT 1 AS id, 'ada' AS name UNION ALL SELECT 2, NULL"), ())?;
/// let mut names = Vec::new();
/// while let Some(row) = rows.next_ref() {
///     let row = row?;
///     names.push((row.get::<i64>("id")?, row.get::<Option<String>>(1)?));
/// }
/// assert_eq!(names, vec![(1, Some("ada".to_string())), (2, None)]);
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct RowRef<'r> {
    view: &'r dyn RowView,
    columns: &'r Arc<[String]>,
}

impl<'r> RowRef<'r> {
    pub(crate) fn new(view: &'r dyn RowView, columns: &'r Arc<[String]>) -> Self {
        RowRef { view, columns }
    }

    fn position(&self, index: &impl RowIndex) -> Result<usize> {
        index
            .index_in(self.columns)
            .filter(|i| *i < self.view.len())
            .ok_or_else(|| Error::NoSuchColumn {
                column: index.to_string(),
                available: self.columns.to_vec(),
            })
    }

    /// The cell of a column converted to `T`; a missing column is
    /// [`Error::NoSuchColumn`], a value that does not fit is [`Error::Conversion`] naming
    /// the column (as [`Row::get`] does).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?; let mut conn = engine.connect()?;
    /// let mut rows = conn.stream(&aludel::sql::text("SELECT 'x' AS n"), ())?;
    /// let row = rows.next_ref().unwrap()?;
    /// let err = row.get::<i32>("n").unwrap_err().to_string();
    /// assert!(err.contains("column 'n'"), "{err}");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get<T: FromValueRef>(&self, index: impl RowIndex) -> Result<T> {
        let i = self.position(&index)?;
        T::from_value_ref(self.view.value(i)?).map_err(|e| match e {
            Error::Conversion { expected, found } => Error::Conversion {
                expected,
                found: format!("{found} in column '{}'", self.columns[i]),
            },
            other => other,
        })
    }

    /// The borrowed cell of a column.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?; let mut conn = engine.connect()?;
    /// let mut rows = conn.stream(&aludel::sql::text("SELECT 3 AS x"), ())?;
    /// let row = rows.next_ref().unwrap()?;
    /// assert_eq!(row.cell("x")?, aludel::sql::ValueRef::Int(3));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn cell(&self, index: impl RowIndex) -> Result<ValueRef<'r>> {
        let i = self.position(&index)?;
        self.view.value(i)
    }

    /// The column names.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?; let mut conn = engine.connect()?;
    /// let mut rows = conn.stream(&aludel::sql::text("SELECT 1 AS a"), ())?;
    /// assert_eq!(rows.next_ref().unwrap()?.keys(), &["a".to_string()]);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn keys(&self) -> &'r [String] {
        self.columns
    }

    /// An owned copy of the row.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?; let mut conn = engine.connect()?;
    /// let mut rows = conn.stream(&aludel::sql::text("SELECT 1 AS a"), ())?;
    /// let row = rows.next_ref().unwrap()?.to_row()?;
    /// assert_eq!(row.get::<i64>("a")?, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn to_row(&self) -> Result<Row> {
        Ok(Row::new(self.columns.clone(), self.view.to_values()?))
    }
}

impl RowView for RowRef<'_> {
    fn len(&self) -> usize {
        self.view.len()
    }

    fn value(&self, index: usize) -> Result<ValueRef<'_>> {
        self.view.value(index)
    }
}

impl std::fmt::Debug for RowRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for (i, name) in self.columns.iter().enumerate().take(self.view.len()) {
            match self.view.value(i) {
                Ok(v) => m.entry(name, &v),
                Err(_) => m.entry(name, &"<unreadable>"),
            };
        }
        m.finish()
    }
}
