//! INSERT, UPDATE and DELETE.
//!
//! ```
//! use aludel::dialects::{MySql, Postgres, Sqlite};
//! use aludel::sql::{insert, Column, Executable, SqlType, Table};
//! let users = Table::build("users")
//!     .column(Column::new("id", SqlType::Integer).primary_key())
//!     .column(Column::new("name", SqlType::Text))
//!     .finish();
//! let stmt = insert(&users).value("name", "ada").returning([users.c("id")]);
//! assert_eq!(stmt.compile(&Sqlite).unwrap().sql, "INSERT INTO users (name) VALUES (?) RETURNING users.id");
//! assert_eq!(stmt.compile(&Postgres).unwrap().sql, "INSERT INTO users (name) VALUES ($1) RETURNING users.id");
//! assert!(stmt.compile(&MySql).is_err());
//! ```

use crate::sql::elements::Expr;
use crate::sql::schema::Table;
use crate::sql::selectable::SelectStatement;

/// `INSERT INTO table ...`.
///
/// ```
/// use aludel::sql::{insert, Table};
/// let stmt = insert(&Table::build("t").finish());
/// ```
pub fn insert(table: &Table) -> Insert {
    Insert {
        table: table.clone(),
        columns: Vec::new(),
        rows: Vec::new(),
        from_select: None,
        returning: Vec::new(),
        on_conflict: None,
    }
}

/// `UPDATE table SET ...`.
///
/// ```
/// use aludel::sql::{update, Column, Executable, SqlType, Table};
/// let t = Table::build("t").column(Column::new("n", SqlType::Integer)).finish();
/// let stmt = update(&t).set("n", t.c("n") + 1).where_(t.c("n").lt(10));
/// assert_eq!(stmt.compile(&aludel::dialects::Sqlite).unwrap().sql, "UPDATE t SET n = t.n + ? WHERE t.n < ?");
/// ```
pub fn update(table: &Table) -> Update {
    Update {
        table: table.clone(),
        set: Vec::new(),
        where_: Vec::new(),
        returning: Vec::new(),
        prefixes: Vec::new(),
        mysql_limit: None,
    }
}

/// `DELETE FROM table ...`.
///
/// ```
/// use aludel::sql::{delete, Column, Executable, SqlType, Table};
/// let t = Table::build("t").column(Column::new("n", SqlType::Integer)).finish();
/// let stmt = delete(&t).where_(t.c("n").eq(1));
/// assert_eq!(stmt.compile(&aludel::dialects::Postgres).unwrap().sql, "DELETE FROM t WHERE t.n = $1");
/// ```
pub fn delete(table: &Table) -> Delete {
    Delete {
        table: table.clone(),
        where_: Vec::new(),
        returning: Vec::new(),
    }
}

/// An INSERT statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    pub(crate) table: Table,
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<Vec<Expr>>,
    pub(crate) from_select: Option<SelectStatement>,
    pub(crate) returning: Vec<Expr>,
    pub(crate) on_conflict: Option<OnConflict>,
}

/// What an upsert does on a key conflict.
#[derive(Debug, Clone, PartialEq)]
pub struct OnConflict {
    /// The conflict target columns (ignored on MySQL, which uses every unique key).
    pub target: Vec<String>,
    /// The assignments; empty means DO NOTHING.
    pub set: Vec<(String, Expr)>,
}

impl Insert {
    /// This single-row VALUES insert with its row repeated `n` times, when it can be sent
    /// that way: no INSERT ... SELECT and no ON CONFLICT clause (rows of one batch could
    /// conflict with each other, which a row-by-row upsert allows).
    pub(crate) fn repeated(&self, n: usize) -> Option<Insert> {
        if self.rows.len() != 1 || self.from_select.is_some() || self.on_conflict.is_some() {
            return None;
        }
        Some(Insert {
            rows: vec![self.rows[0].clone(); n],
            ..self.clone()
        })
    }

    /// Whether the statement has a RETURNING clause.
    pub(crate) fn has_returning(&self) -> bool {
        !self.returning.is_empty()
    }

    /// Sets one column of a single-row insert.
    ///
    /// ```
    /// use aludel::sql::{insert, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Integer)).column(Column::new("b", SqlType::Text)).finish();
    /// let s = insert(&t).value("a", 1).value("b", "x");
    /// assert_eq!(s.compile(&aludel::dialects::Postgres).unwrap().sql, "INSERT INTO t (a, b) VALUES ($1, $2)");
    /// ```
    pub fn value(mut self, column: &str, value: impl Into<Expr>) -> Self {
        if self.rows.is_empty() {
            self.rows.push(Vec::new());
        }
        match self.columns.iter().position(|c| c == column) {
            Some(i) => {
                if let Some(row) = self.rows.first_mut() {
                    row[i] = value.into();
                }
            }
            None => {
                self.columns.push(column.to_owned());
                if let Some(row) = self.rows.first_mut() {
                    row.push(value.into());
                }
            }
        }
        self
    }

    /// A multi-row insert: `columns` and one `Vec` of values per row, each as long as
    /// `columns` (a row of another length is a compile error naming it).
    ///
    /// ```
    /// use aludel::sql::{insert, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Integer)).finish();
    /// let s = insert(&t).rows(&["a"], vec![vec![1.into()], vec![2.into()]]);
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "INSERT INTO t (a) VALUES (?), (?)");
    /// ```
    pub fn rows(mut self, columns: &[&str], rows: Vec<Vec<Expr>>) -> Self {
        self.columns = columns.iter().map(|c| (*c).to_owned()).collect();
        self.rows = rows;
        self
    }

    /// `INSERT INTO table (columns) SELECT ...`.
    ///
    /// ```
    /// use aludel::sql::{insert, select, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Integer)).finish();
    /// let u = Table::build("u").column(Column::new("b", SqlType::Integer)).finish();
    /// let s = insert(&t).from_select(&["a"], select([u.c("b")]));
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "INSERT INTO t (a) SELECT u.b FROM u");
    /// ```
    pub fn from_select(mut self, columns: &[&str], select: impl Into<SelectStatement>) -> Self {
        self.columns = columns.iter().map(|c| (*c).to_owned()).collect();
        self.rows.clear();
        self.from_select = Some(select.into());
        self
    }

    /// `RETURNING exprs` (SQLite and PostgreSQL; a compile error on MySQL).
    ///
    /// ```
    /// use aludel::sql::{insert, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("id", SqlType::Integer).primary_key()).finish();
    /// let s = insert(&t).returning([t.c("id")]);
    /// assert_eq!(s.compile(&aludel::dialects::Postgres).unwrap().sql, "INSERT INTO t DEFAULT VALUES RETURNING t.id");
    /// ```
    pub fn returning(mut self, exprs: impl IntoIterator<Item = Expr>) -> Self {
        self.returning.extend(exprs);
        self
    }

    /// Ignore rows whose key already exists: `ON CONFLICT (target) DO NOTHING` on SQLite and
    /// PostgreSQL; on MySQL `ON DUPLICATE KEY UPDATE` assigning the first column to itself.
    ///
    /// ```
    /// use aludel::sql::{insert, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("k", SqlType::Integer).primary_key()).finish();
    /// let s = insert(&t).value("k", 1).on_conflict_do_nothing(&["k"]);
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "INSERT INTO t (k) VALUES (?) ON CONFLICT (k) DO NOTHING");
    /// assert_eq!(s.compile(&aludel::dialects::MySql).unwrap().sql, "INSERT INTO t (k) VALUES (?) ON DUPLICATE KEY UPDATE k = k");
    /// ```
    pub fn on_conflict_do_nothing(mut self, target: &[&str]) -> Self {
        self.on_conflict = Some(OnConflict {
            target: target.iter().map(|c| (*c).to_owned()).collect(),
            set: Vec::new(),
        });
        self
    }

    /// Update the existing row on a key conflict. Use [`excluded`](crate::sql::excluded) for
    /// the value that would have been inserted.
    ///
    /// ```
    /// use aludel::sql::{excluded, insert, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("k", SqlType::Integer).primary_key()).column(Column::new("v", SqlType::Text)).finish();
    /// let s = insert(&t).value("k", 1).value("v", "x").on_conflict_do_update(&["k"], vec![("v", excluded("v"))]);
    /// assert_eq!(
    ///     s.compile(&aludel::dialects::Postgres).unwrap().sql,
    ///     "INSERT INTO t (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
    /// );
    /// assert_eq!(
    ///     s.compile(&aludel::dialects::MySql).unwrap().sql,
    ///     "INSERT INTO t (k, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)"
    /// );
    /// ```
    pub fn on_conflict_do_update(mut self, target: &[&str], set: Vec<(&str, Expr)>) -> Self {
        self.on_conflict = Some(OnConflict {
            target: target.iter().map(|c| (*c).to_owned()).collect(),
            set: set.into_iter().map(|(c, e)| (c.to_owned(), e)).collect(),
        });
        self
    }
}

/// An UPDATE statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub(crate) table: Table,
    pub(crate) set: Vec<(String, Expr)>,
    pub(crate) where_: Vec<Expr>,
    pub(crate) returning: Vec<Expr>,
    pub(crate) prefixes: Vec<String>,
    pub(crate) mysql_limit: Option<u64>,
}

impl Update {
    /// Text after `UPDATE` (SQLAlchemy's `prefix_with`), e.g. MySQL's `LOW_PRIORITY` or
    /// `IGNORE`, SQLite's `OR IGNORE`; written as given, on every dialect.
    ///
    /// ```
    /// use aludel::sql::{update, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Integer)).finish();
    /// let s = update(&t).set("a", 1).prefix_with("OR IGNORE");
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "UPDATE OR IGNORE t SET a = ?");
    /// ```
    pub fn prefix_with(mut self, text: &str) -> Self {
        self.prefixes.push(text.to_owned());
        self
    }

    /// `LIMIT n` at the end of the UPDATE on MySQL/MariaDB (SQLAlchemy's `mysql_limit`);
    /// other dialects have no UPDATE ... LIMIT and leave it out, as SQLAlchemy does with
    /// another dialect's options.
    ///
    /// ```
    /// use aludel::sql::{update, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Integer)).finish();
    /// let s = update(&t).set("a", 1).mysql_limit(1);
    /// assert_eq!(s.compile(&aludel::dialects::MySql).unwrap().sql, "UPDATE t SET a = ? LIMIT 1");
    /// assert_eq!(s.compile(&aludel::dialects::Postgres).unwrap().sql, "UPDATE t SET a = $1");
    /// ```
    pub fn mysql_limit(mut self, n: u64) -> Self {
        self.mysql_limit = Some(n);
        self
    }

    /// `SET column = value` (a value or any expression).
    ///
    /// ```
    /// use aludel::sql::{update, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Integer)).finish();
    /// assert_eq!(update(&t).set("a", 1).compile(&aludel::dialects::Sqlite).unwrap().sql, "UPDATE t SET a = ?");
    /// ```
    pub fn set(mut self, column: &str, value: impl Into<Expr>) -> Self {
        self.set.push((column.to_owned(), value.into()));
        self
    }

    /// Adds a WHERE condition (AND-ed with earlier ones).
    ///
    /// ```
    /// use aludel::sql::{update, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Integer)).finish();
    /// let s = update(&t).set("a", 1).where_(t.c("a").is_null());
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "UPDATE t SET a = ? WHERE t.a IS NULL");
    /// ```
    pub fn where_(mut self, condition: Expr) -> Self {
        self.where_.push(condition);
        self
    }

    /// `RETURNING exprs` (SQLite and PostgreSQL).
    ///
    /// ```
    /// use aludel::sql::{update, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Integer)).finish();
    /// let s = update(&t).set("a", 1).returning([t.c("a")]);
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "UPDATE t SET a = ? RETURNING t.a");
    /// ```
    pub fn returning(mut self, exprs: impl IntoIterator<Item = Expr>) -> Self {
        self.returning.extend(exprs);
        self
    }
}

/// A DELETE statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    pub(crate) table: Table,
    pub(crate) where_: Vec<Expr>,
    pub(crate) returning: Vec<Expr>,
}

impl Delete {
    /// Adds a WHERE condition (AND-ed with earlier ones).
    ///
    /// ```
    /// use aludel::sql::{delete, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Integer)).finish();
    /// let s = delete(&t).where_(t.c("a").gt(1)).where_(t.c("a").lt(5));
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "DELETE FROM t WHERE t.a > ? AND t.a < ?");
    /// ```
    pub fn where_(mut self, condition: Expr) -> Self {
        self.where_.push(condition);
        self
    }

    /// `RETURNING exprs` (SQLite and PostgreSQL).
    ///
    /// ```
    /// use aludel::sql::{delete, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Integer)).finish();
    /// let s = delete(&t).returning([t.c("a")]);
    /// assert_eq!(s.compile(&aludel::dialects::Postgres).unwrap().sql, "DELETE FROM t RETURNING t.a");
    /// ```
    pub fn returning(mut self, exprs: impl IntoIterator<Item = Expr>) -> Self {
        self.returning.extend(exprs);
        self
    }
}
