//! The internal driver interface every database client is wrapped in, and the error helpers
//! the three drivers share.
//!
//! The trait is small and object-safe: the pool stores `Box<dyn DriverConnection>` and the
//! engine never knows which database it talks to. Parameters cross it as [`Value`]s; rows
//! come back as a [`RowView`] of the client's current row, read in place (borrowed
//! [`ValueRef`](crate::sql::ValueRef) cells, no `Vec<Value>` per row). Each driver converts
//! to and from its client's types itself (in `drivers/`).

use std::sync::Arc;
use std::time::Duration;

use crate::engine::options::IsolationLevel;
use crate::engine::round_trips::RoundTrips;
use crate::engine::row_view::{EmptyRow, RowView};
use crate::engine::url::{Backend, Url};
use crate::error::{DatabaseError, DatabaseErrorKind, Error, Result};
use crate::sql::Value;

/// What a statement did: rows affected and the generated key, where the database reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ExecOutcome {
    pub rows_affected: u64,
    pub last_insert_id: Option<i64>,
}

/// A result being read row by row from the database, never buffered whole by the driver.
///
/// A streaming cursor: [`advance`](RowSource::advance) steps to the next row and
/// [`row`](RowSource::row) lends it, read in place, until the next step. (A lending design
/// rather than an `Iterator` of owned rows: the cells borrow the client's buffers, so no
/// row is copied unless the caller asks for owned values.)
pub(crate) trait RowSource {
    /// The column names; empty for a statement that returns no rows. Drivers may learn
    /// the final list only with the first row (SQLite after a schema change).
    fn columns(&self) -> &Arc<[String]>;
    /// Steps to the next row: `true` when there is one, `false` at the end (callers never
    /// ask again after `false` or an error).
    fn advance(&mut self) -> Result<bool>;
    /// The current row (an empty view before the first step and after the end).
    fn row(&self) -> &dyn RowView;
    /// Rows affected and generated key; complete once `advance` returned `false`.
    fn outcome(&self) -> ExecOutcome;
    /// The next row as owned values, `None` at the end (buffered results, tests).
    fn next_row(&mut self) -> Option<Result<Vec<Value>>> {
        match self.advance() {
            Ok(true) => Some(self.row().to_values()),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// The statement and lock timeouts a connection's session runs with; `None` is the
/// server's own setting, `Duration::ZERO` no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Timeouts {
    pub statement: Option<Duration>,
    pub lock: Option<Duration>,
}

/// One open database connection, as the pool keeps it.
pub(crate) trait DriverConnection: Send {
    /// Runs a statement (prepared and cached per connection), discarding any rows.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<ExecOutcome> {
        let mut rows = self.query(sql, params)?;
        while rows.advance()? {}
        Ok(rows.outcome())
    }
    /// Runs a statement once per parameter set and returns each run's outcome (rows
    /// affected; the generated key where the driver reports it without asking, as SQLite
    /// does), stopping at the first error. With `pipelined` (the caller is inside a
    /// transaction, where a failure aborts the rest anyway), a driver may write every run
    /// before reading any answer; the default runs them one by one.
    fn execute_each(
        &mut self,
        sql: &str,
        rows: &[Vec<Value>],
        pipelined: bool,
    ) -> Result<Vec<ExecOutcome>> {
        let _ = pipelined;
        execute_one_by_one(self, sql, rows)
    }
    /// Runs a statement (prepared and cached per connection) and reads its rows lazily.
    fn query<'a>(&'a mut self, sql: &str, params: &[Value]) -> Result<Box<dyn RowSource + 'a>>;
    /// Runs SQL without parameters and without preparing it (transaction control, scripts).
    fn execute_batch(&mut self, sql: &str) -> Result<()>;
    /// Checks the connection is alive with a round trip.
    fn ping(&mut self) -> Result<()>;
    /// Sets the session's isolation level (never [`IsolationLevel::Autocommit`], which the
    /// connection handles by not emitting BEGIN).
    fn set_isolation(&mut self, level: IsolationLevel) -> Result<()>;
    /// Sets the session's statement and lock timeouts (outside a transaction when the
    /// connection can: the caller sends it before a pending BEGIN).
    fn set_timeouts(&mut self, timeouts: Timeouts) -> Result<()>;
    /// Reads the session's isolation level back from the server.
    fn isolation(&mut self) -> Result<IsolationLevel>;
    /// Whether the client knows the connection is unusable.
    fn is_broken(&self) -> bool;
    /// Whether a transaction is open on the server, when the client can tell without a
    /// round trip (SQLite can); `None` when it cannot.
    fn in_server_transaction(&self) -> Option<bool> {
        None
    }
    /// Opens a transaction, called right before the first statement of one (so a
    /// transaction that runs nothing never reaches the server). Returns the SQL it sent,
    /// if any. The default sends `BEGIN`; a connection that runs with autocommit off
    /// (MySQL) sends nothing, the statement itself begins the transaction.
    fn begin(&mut self) -> Result<Option<&'static str>> {
        self.execute_batch("BEGIN")?;
        Ok(Some("BEGIN"))
    }
    /// Makes the next statement commit on its own (it runs outside any transaction).
    /// Returns the SQL it sent, if any. The default does nothing: outside BEGIN every
    /// statement commits on its own, except on a connection with autocommit off (MySQL).
    fn autocommit(&mut self) -> Result<Option<&'static str>> {
        Ok(None)
    }
    /// Adds this connection's server round trips to `counter` from now on (see
    /// [`RoundTrips`]). The default counts nothing (SQLite has no server).
    fn count_round_trips(&mut self, counter: RoundTrips) {
        let _ = counter;
    }
}

/// Runs `sql` once per parameter set, waiting for each answer: `execute_each` without
/// pipelining, for every driver.
pub(crate) fn execute_one_by_one<D: DriverConnection + ?Sized>(
    driver: &mut D,
    sql: &str,
    rows: &[Vec<Value>],
) -> Result<Vec<ExecOutcome>> {
    rows.iter()
        .map(|values| driver.execute(sql, values))
        .collect()
}

/// Opens a connection for `url`, with the driver compiled in for its backend.
pub(crate) fn connect(url: &Url) -> Result<Box<dyn DriverConnection>> {
    match url.backend() {
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => Ok(Box::new(crate::drivers::sqlite::SqliteDriver::open(url)?)),
        #[cfg(feature = "postgres")]
        Backend::Postgres => Ok(Box::new(crate::drivers::postgres::PostgresDriver::open(
            url,
        )?)),
        #[cfg(feature = "mysql")]
        Backend::MySql => Ok(Box::new(crate::drivers::mysql::MySqlDriver::open(url)?)),
        #[allow(unreachable_patterns)]
        other => Err(Error::config(format!(
            "aludel was built without the '{}' cargo feature, so '{}' URLs cannot be opened",
            feature_of(other),
            other.name()
        ))),
    }
}

fn feature_of(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
        Backend::MySql => "mysql",
    }
}

/// A row source for statements that return no rows.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) struct NoRows {
    pub columns: Arc<[String]>,
    pub outcome: ExecOutcome,
}

impl NoRows {
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) fn boxed<'a>(outcome: ExecOutcome) -> Box<dyn RowSource + 'a> {
        Box::new(NoRows {
            columns: Arc::from(Vec::new()),
            outcome,
        })
    }
}

impl RowSource for NoRows {
    fn columns(&self) -> &Arc<[String]> {
        &self.columns
    }
    fn advance(&mut self) -> Result<bool> {
        Ok(false)
    }
    fn row(&self) -> &dyn RowView {
        &EmptyRow
    }
    fn outcome(&self) -> ExecOutcome {
        self.outcome
    }
}

/// The one constructor of driver errors: classified kind, the driver's message, its code,
/// the constraint and the SQL (never the bound values).
pub(crate) fn db_error(
    kind: DatabaseErrorKind,
    message: impl Into<String>,
    code: Option<String>,
    constraint: Option<String>,
    sql: Option<&str>,
) -> Error {
    DatabaseError {
        kind,
        message: message.into(),
        code,
        constraint,
        sql: sql.map(str::to_owned),
    }
    .into_error()
}

/// The error for a lost connection (I/O failure, closed socket).
#[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
pub(crate) fn disconnect(message: impl std::fmt::Display, sql: Option<&str>) -> Error {
    db_error(
        DatabaseErrorKind::Disconnect,
        format!("connection to the database was lost: {message}"),
        None,
        None,
        sql,
    )
}

/// Classifies a SQLSTATE code (PostgreSQL and MySQL both report them).
#[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
pub(crate) fn classify_sqlstate(state: &str) -> DatabaseErrorKind {
    use DatabaseErrorKind::*;
    match state {
        "23505" => UniqueViolation,
        "23503" => ForeignKeyViolation,
        "23502" => NotNullViolation,
        "23514" => CheckViolation,
        "40P01" => Deadlock,
        "40001" => SerializationFailure,
        "55P03" => LockTimeout,
        "57014" => StatementTimeout,
        "25006" => ReadOnly,
        "57P01" | "57P02" | "57P03" | "08S01" => Disconnect,
        s if s.starts_with("08") => Disconnect,
        s if s.starts_with("42") => Syntax,
        s if s.starts_with("22") => InvalidData,
        _ => Other,
    }
}

/// The first name quoted with `quote` after `marker` in a driver message, e.g. the key in
/// MySQL's "Duplicate entry 'x' for key 'users.email'".
#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
pub(crate) fn quoted_after(message: &str, marker: &str, quote: char) -> Option<String> {
    let start = message.find(marker)? + marker.len();
    let rest = &message[start..];
    let open = rest.find(quote)? + quote.len_utf8();
    let close = rest[open..].find(quote)?;
    Some(rest[open..open + close].to_owned())
}

/// Everything after `marker` up to the end of the message's first line, trimmed.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) fn text_after(message: &str, marker: &str) -> Option<String> {
    let start = message.find(marker)? + marker.len();
    let rest = message[start..].lines().next().unwrap_or("").trim();
    (!rest.is_empty()).then(|| rest.to_owned())
}

/// Parses a connection option's value, naming the option in the error.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code)
)]
pub(crate) fn parse_option<T: std::str::FromStr>(key: &str, value: &str) -> Result<T> {
    value.parse().map_err(|_| {
        Error::config(format!(
            "invalid value '{value}' for connection option '{key}'"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstate_classes_map_to_kinds() {
        assert_eq!(
            classify_sqlstate("23505"),
            DatabaseErrorKind::UniqueViolation
        );
        assert_eq!(classify_sqlstate("42P01"), DatabaseErrorKind::Syntax);
        assert_eq!(classify_sqlstate("22003"), DatabaseErrorKind::InvalidData);
        assert_eq!(classify_sqlstate("08006"), DatabaseErrorKind::Disconnect);
    }

    #[test]
    fn constraint_names_are_extracted_from_messages() {
        let m = "Duplicate entry 'a' for key 'users.email'";
        assert_eq!(
            quoted_after(m, "for key", '\'').as_deref(),
            Some("users.email")
        );
        let s = "UNIQUE constraint failed: users.email";
        assert_eq!(text_after(s, "failed:").as_deref(), Some("users.email"));
    }
}
