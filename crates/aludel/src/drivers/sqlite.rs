//! SQLite driver glue over `rusqlite`: value conversion, error mapping, statement stepping.
//!
//! URL options (or `connect_arg`s): `busy_timeout` (milliseconds; default 5000),
//! `foreign_keys` (`on`/`off`; default `on`, unlike SQLite's own legacy default),
//! `journal_mode` (default `wal` for file databases, so a session's long read transaction
//! never blocks another connection's commit), `statement_cache` (prepared statements
//! kept; default 128).

use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rusqlite::fallible_streaming_iterator::FallibleStreamingIterator;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{CachedStatement, ToSql};

use crate::engine::RowView;
use crate::engine::driver::{
    DriverConnection, ExecOutcome, NoRows, RowSource, Timeouts, db_error, parse_option, text_after,
};
use crate::engine::row_view::no_such_cell;
use crate::engine::{IsolationLevel, Url};
use crate::error::{DatabaseErrorKind, Error, Result};
use crate::sql::Value;

/// A rusqlite connection.
pub(crate) struct SqliteDriver {
    conn: rusqlite::Connection,
    /// The URL's `busy_timeout`, restored when no lock timeout is set.
    busy_default: Duration,
    /// The statement timeout, enforced by a progress handler (SQLite has no server).
    statement_timeout: Option<Duration>,
    /// When the running statement must stop, in nanoseconds after `epoch` (0: never).
    deadline: Arc<AtomicU64>,
    epoch: Instant,
}

/// How many virtual machine instructions SQLite runs between two deadline checks.
const PROGRESS_OPS: std::ffi::c_int = 1000;

/// The longest busy timeout SQLite takes (an `int` of milliseconds).
const MAX_BUSY: Duration = Duration::from_millis(i32::MAX as u64);

impl SqliteDriver {
    pub(crate) fn open(url: &Url) -> Result<SqliteDriver> {
        let mut busy_ms = 5000_u64;
        let mut foreign_keys = true;
        let mut cache = 128_usize;
        let mut journal_mode = url.database().map(|_| "wal".to_owned());
        for (key, value) in url.query() {
            match key.as_str() {
                "busy_timeout" => busy_ms = parse_option(key, value)?,
                "statement_cache" => cache = parse_option(key, value)?,
                "foreign_keys" => foreign_keys = parse_switch(key, value)?,
                "journal_mode" => {
                    if !value.chars().all(|c| c.is_ascii_alphabetic()) {
                        return Err(Error::config(format!(
                            "invalid SQLite journal_mode '{value}'"
                        )));
                    }
                    journal_mode = Some(value.to_string());
                }
                _ => {
                    return Err(Error::config(format!(
                        "unknown SQLite connection option '{key}' (known: busy_timeout, foreign_keys, journal_mode, statement_cache)"
                    )));
                }
            }
        }
        // Options are checked before the file is opened, so a typo creates no file.
        let conn = match url.database() {
            None => rusqlite::Connection::open_in_memory(),
            Some(path) => rusqlite::Connection::open(path),
        }
        .map_err(|e| map_error(e, None))?;
        // Clamped: rusqlite panics on a timeout past an `int` of milliseconds.
        let busy = Duration::from_millis(busy_ms).min(MAX_BUSY);
        conn.busy_timeout(busy).map_err(|e| map_error(e, None))?;
        if let Some(mode) = journal_mode {
            set_journal_mode(&conn, &mode, busy)?;
        }
        conn.pragma_update(None, "foreign_keys", foreign_keys)
            .map_err(|e| map_error(e, None))?;
        // `rarray(?)`, the table a long IN list is bound as (see `LongInList::CarrayTable`).
        rusqlite::vtab::array::load_module(&conn).map_err(|e| map_error(e, None))?;
        conn.set_prepared_statement_cache_capacity(cache);
        Ok(SqliteDriver {
            conn,
            busy_default: busy,
            statement_timeout: None,
            deadline: Arc::new(AtomicU64::new(0)),
            epoch: Instant::now(),
        })
    }

    /// Starts the statement timeout's clock for the statement about to run.
    fn arm_deadline(&self) {
        let deadline = match self.statement_timeout {
            Some(t) if !t.is_zero() => {
                let at = (self.epoch.elapsed() + t).as_nanos();
                u64::try_from(at).unwrap_or(u64::MAX).max(1)
            }
            _ => 0,
        };
        self.deadline.store(deadline, Ordering::Relaxed);
    }
}

/// Sets the journal mode, waiting out other connections: switching a file to WAL needs an
/// exclusive lock, and SQLite reports "database is locked" for it without consulting the
/// busy handler when other connections opening the same new file hold theirs. Retries with
/// short pauses until `patience` runs out.
fn set_journal_mode(conn: &rusqlite::Connection, mode: &str, patience: Duration) -> Result<()> {
    let deadline = std::time::Instant::now() + patience;
    loop {
        match conn.pragma_update(None, "journal_mode", mode) {
            Ok(()) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => return Err(map_error(e, None)),
        }
    }
}

fn parse_switch(key: &str, value: &str) -> Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "on" | "true" | "yes" => Ok(true),
        "0" | "off" | "false" | "no" => Ok(false),
        _ => Err(Error::config(format!(
            "invalid value '{value}' for connection option '{key}' (expected on or off)"
        ))),
    }
}

impl DriverConnection for SqliteDriver {
    fn query<'a>(&'a mut self, sql: &str, params: &[Value]) -> Result<Box<dyn RowSource + 'a>> {
        self.arm_deadline();
        let conn = &self.conn;
        let mut stmt = conn
            .prepare_cached(sql)
            .map_err(|e| map_error(e, Some(sql)))?;
        bind(&mut stmt, sql, params)?;
        if stmt.column_count() == 0 {
            let changed = stmt.raw_execute().map_err(|e| map_error(e, Some(sql)))?;
            if changes_schema(sql) {
                // Cached statements would keep their old column lists until first stepped.
                drop(stmt);
                conn.flush_prepared_statement_cache();
                return Ok(NoRows::boxed(ExecOutcome::default()));
            }
            return Ok(NoRows::boxed(ExecOutcome {
                rows_affected: changed as u64,
                last_insert_id: is_insert(sql).then(|| conn.last_insert_rowid()),
            }));
        }
        Ok(Box::new(SqliteRows::new(conn, stmt, sql)))
    }

    /// One prepared statement, bound and stepped once per parameter set: no statement-cache
    /// lookup, result box or row source per run (the unit of work's UPDATEs and row-by-row
    /// INSERTs). Statements that return rows or change the schema run one by one.
    fn execute_each(
        &mut self,
        sql: &str,
        rows: &[Vec<Value>],
        pipelined: bool,
    ) -> Result<Vec<ExecOutcome>> {
        let _ = pipelined;
        if changes_schema(sql) {
            return crate::engine::driver::execute_one_by_one(self, sql, rows);
        }
        let conn = &self.conn;
        let mut stmt = conn
            .prepare_cached(sql)
            .map_err(|e| map_error(e, Some(sql)))?;
        if stmt.column_count() != 0 {
            drop(stmt);
            return crate::engine::driver::execute_one_by_one(self, sql, rows);
        }
        let inserts = is_insert(sql);
        let mut outcomes = Vec::with_capacity(rows.len());
        for values in rows {
            self.arm_deadline();
            bind(&mut stmt, sql, values)?;
            let changed = stmt.raw_execute().map_err(|e| map_error(e, Some(sql)))?;
            outcomes.push(ExecOutcome {
                rows_affected: changed as u64,
                last_insert_id: inserts.then(|| conn.last_insert_rowid()),
            });
        }
        Ok(outcomes)
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.arm_deadline();
        self.conn
            .execute_batch(sql)
            .map_err(|e| map_error(e, Some(sql)))
    }

    fn ping(&mut self) -> Result<()> {
        self.execute_batch("SELECT 1")
    }

    fn set_timeouts(&mut self, timeouts: Timeouts) -> Result<()> {
        let busy = match timeouts.lock {
            None => self.busy_default,
            Some(d) if d.is_zero() => MAX_BUSY,
            Some(d) => d.min(MAX_BUSY),
        };
        self.conn
            .busy_timeout(busy)
            .map_err(|e| map_error(e, None))?;
        let on = timeouts.statement.is_some_and(|d| !d.is_zero());
        if on && self.statement_timeout.is_none_or(|d| d.is_zero()) {
            let (deadline, epoch) = (Arc::clone(&self.deadline), self.epoch);
            self.conn.progress_handler(
                PROGRESS_OPS,
                Some(move || {
                    let at = deadline.load(Ordering::Relaxed);
                    at != 0 && epoch.elapsed().as_nanos() >= u128::from(at)
                }),
            );
        } else if !on {
            self.conn.progress_handler(0, None::<fn() -> bool>);
        }
        self.statement_timeout = timeouts.statement;
        Ok(())
    }

    fn set_isolation(&mut self, level: IsolationLevel) -> Result<()> {
        let uncommitted = match level {
            IsolationLevel::ReadUncommitted => true,
            IsolationLevel::Serializable => false,
            other => {
                return Err(Error::Unsupported {
                    construct: format!("isolation level {other}"),
                    dialect: "sqlite",
                });
            }
        };
        self.conn
            .pragma_update(None, "read_uncommitted", uncommitted)
            .map_err(|e| map_error(e, Some("PRAGMA read_uncommitted")))
    }

    fn isolation(&mut self) -> Result<IsolationLevel> {
        let sql = "PRAGMA read_uncommitted";
        let on: i64 = self
            .conn
            .query_row(sql, [], |r| r.get(0))
            .map_err(|e| map_error(e, Some(sql)))?;
        Ok(if on != 0 {
            IsolationLevel::ReadUncommitted
        } else {
            IsolationLevel::Serializable
        })
    }

    fn is_broken(&self) -> bool {
        false
    }

    fn in_server_transaction(&self) -> Option<bool> {
        Some(!self.conn.is_autocommit())
    }
}

/// Whether `sql` begins with the keyword `word` (case-insensitive).
/// Binds `params` to `stmt`'s placeholders, refusing a count that does not match.
fn bind(stmt: &mut CachedStatement<'_>, sql: &str, params: &[Value]) -> Result<()> {
    if stmt.parameter_count() != params.len() {
        return Err(Error::compile(format!(
            "the statement has {} placeholders but {} values were given: {sql}",
            stmt.parameter_count(),
            params.len()
        )));
    }
    for (i, value) in params.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, Param(value))
            .map_err(|e| map_error(e, Some(sql)))?;
    }
    Ok(())
}

/// Whether `sql` is DDL, after which cached statements must be re-prepared.
fn changes_schema(sql: &str) -> bool {
    ["CREATE", "ALTER", "DROP"]
        .iter()
        .any(|w| starts_with_word(sql, w))
}

/// Whether `sql` inserts rows, so its run has a last-insert rowid.
fn is_insert(sql: &str) -> bool {
    starts_with_word(sql, "INSERT") || starts_with_word(sql, "REPLACE")
}

fn starts_with_word(sql: &str, word: &str) -> bool {
    sql.trim_start()
        .get(..word.len())
        .is_some_and(|w| w.eq_ignore_ascii_case(word))
}

/// A statement being stepped through its rows.
///
/// `rusqlite::Rows` borrows the `Statement` it steps, and the statement borrows the
/// connection; to return rows lazily from `query` both must live in one value. The
/// statement is therefore moved to the heap and held by a raw pointer (`stmt`, from
/// `Box::into_raw`, so its address never changes and no `Box` uniqueness is asserted while
/// `rows` borrows it), and `rows` is given the connection's lifetime `'c`. Soundness rests
/// on three rules kept by this type alone:
/// 1. `rows` is dropped before the statement is freed (see `Drop`);
/// 2. nothing touches the statement through `stmt` while `rows` is alive;
/// 3. `rows` never escapes: its cells are lent only through `&self` (the `RowView`), so
///    no borrow of the statement outlives this value.
///
/// The connection itself outlives `'c`, which the borrow checker enforces through `conn`.
struct SqliteRows<'c> {
    rows: Option<rusqlite::Rows<'c>>,
    stmt: NonNull<CachedStatement<'c>>,
    conn: &'c rusqlite::Connection,
    columns: Arc<[String]>,
    readonly: bool,
    checked: bool,
    sql: String,
}

impl<'c> SqliteRows<'c> {
    fn new(conn: &'c rusqlite::Connection, stmt: CachedStatement<'c>, sql: &str) -> Self {
        let columns: Arc<[String]> = stmt.column_names().into_iter().map(str::to_owned).collect();
        let readonly = stmt.readonly();
        let stmt = NonNull::from(Box::leak(Box::new(stmt)));
        // SAFETY: `stmt` points to a live heap allocation that this value owns and frees
        // only in `Drop`, after `rows` (rules 1-3 above), so the `'c` borrow never dangles.
        let statement: &'c mut CachedStatement<'c> = unsafe { &mut *stmt.as_ptr() };
        let rows = statement.raw_query();
        SqliteRows {
            rows: Some(rows),
            stmt,
            conn,
            columns,
            readonly,
            checked: false,
            sql: sql.to_owned(),
        }
    }
}

impl Drop for SqliteRows<'_> {
    fn drop(&mut self) {
        // Rule 1: end the borrow of the statement first (this resets it), then free it,
        // which returns it to the connection's statement cache.
        drop(self.rows.take());
        // SAFETY: the pointer came from `Box::leak` in `new` and is freed only here.
        drop(unsafe { Box::from_raw(self.stmt.as_ptr()) });
    }
}

impl RowSource for SqliteRows<'_> {
    fn columns(&self) -> &Arc<[String]> {
        &self.columns
    }

    fn advance(&mut self) -> Result<bool> {
        let Some(rows) = self.rows.as_mut() else {
            return Ok(false);
        };
        match rows.next() {
            Ok(Some(row)) => {
                if !self.checked {
                    // SQLite re-prepares a cached statement after a schema change at its
                    // first step, so the columns read before may be stale: refresh them.
                    self.checked = true;
                    let stmt: &rusqlite::Statement<'_> = row.as_ref();
                    if stmt.column_count() != self.columns.len() {
                        self.columns = stmt.column_names().into_iter().map(str::to_owned).collect();
                    }
                }
                Ok(true)
            }
            Ok(None) => {
                drop(self.rows.take());
                Ok(false)
            }
            Err(e) => {
                drop(self.rows.take());
                Err(map_error(e, Some(&self.sql)))
            }
        }
    }

    fn row(&self) -> &dyn RowView {
        self
    }

    fn outcome(&self) -> ExecOutcome {
        ExecOutcome {
            rows_affected: if self.readonly {
                0
            } else {
                self.conn.changes()
            },
            last_insert_id: None,
        }
    }
}

/// The current row's cells, straight from the statement (`sqlite3_column_*`).
impl RowView for SqliteRows<'_> {
    fn len(&self) -> usize {
        match self.rows.as_ref().and_then(|r| r.get()) {
            Some(_) => self.columns.len(),
            None => 0,
        }
    }

    fn value(&self, index: usize) -> Result<crate::sql::ValueRef<'_>> {
        let row = self.rows.as_ref().and_then(|r| r.get());
        match row {
            Some(row) if index < self.columns.len() => row
                .get_ref(index)
                .map(from_sqlite)
                .map_err(|e| map_error(e, Some(&self.sql))),
            _ => Err(no_such_cell(index, &self.columns)),
        }
    }
}

/// A SQLite cell as aludel's borrowed cell; text that is not UTF-8 is bytes.
fn from_sqlite(value: ValueRef<'_>) -> crate::sql::ValueRef<'_> {
    use crate::sql::ValueRef as V;
    match value {
        ValueRef::Null => V::Null,
        ValueRef::Integer(n) => V::Int(n),
        ValueRef::Real(f) => V::Float(f),
        ValueRef::Text(t) => match std::str::from_utf8(t) {
            Ok(s) => V::Text(s),
            Err(_) => V::Bytes(t),
        },
        ValueRef::Blob(b) => V::Bytes(b),
    }
}

/// A [`Value`] bound to a SQLite statement: text and blobs by reference; dates, times,
/// decimals, UUIDs and JSON as text in the forms SQLAlchemy stores.
struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        let text = |s: String| ToSqlOutput::Owned(rusqlite::types::Value::Text(s));
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*b))),
            Value::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Value::Float(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Value::Date(d) => text(d.format("%Y-%m-%d").to_string()),
            Value::Time(t) => text(t.format("%H:%M:%S%.f").to_string()),
            Value::DateTime(dt) => text(dt.format("%Y-%m-%d %H:%M:%S%.f").to_string()),
            Value::DateTimeUtc(dt) => text(dt.format("%Y-%m-%d %H:%M:%S%.f+00:00").to_string()),
            Value::Decimal(d) => text(d.to_string()),
            Value::Uuid(u) => text(u.hyphenated().to_string()),
            Value::Json(j) => text(j.to_string()),
            Value::Array(items) => ToSqlOutput::Array(std::rc::Rc::new(
                items
                    .iter()
                    .map(|item| match item {
                        Value::Array(_) => Err(rusqlite::Error::ToSqlConversionFailure(
                            "an array cannot hold another array on SQLite".into(),
                        )),
                        Value::Float(f) if f.is_nan() => {
                            Err(rusqlite::Error::ToSqlConversionFailure(
                                "SQLite cannot store NaN (it would become NULL)".into(),
                            ))
                        }
                        v => Param(v).to_sql().and_then(owned),
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            )),
        })
    }
}

/// The owned SQLite value of a bound parameter.
fn owned(output: ToSqlOutput<'_>) -> rusqlite::Result<rusqlite::types::Value> {
    match output {
        ToSqlOutput::Borrowed(v) => Ok(v.into()),
        ToSqlOutput::Owned(v) => Ok(v),
        // A single value never binds as anything else.
        _ => Err(rusqlite::Error::ToSqlConversionFailure(
            "unexpected SQLite parameter form in an array".into(),
        )),
    }
}

/// Maps a rusqlite error onto aludel's error kinds, keeping SQLite's extended result code
/// and, for constraint failures, the constraint (SQLite names the column or the CHECK).
pub(crate) fn map_error(err: rusqlite::Error, sql: Option<&str>) -> Error {
    use DatabaseErrorKind::*;
    match err {
        rusqlite::Error::SqliteFailure(e, msg) => {
            let message = msg.unwrap_or_else(|| e.to_string());
            let kind = match (e.extended_code, e.extended_code & 0xff) {
                (2067 | 1555, _) => UniqueViolation,
                (787, _) => ForeignKeyViolation,
                (1299, _) => NotNullViolation,
                (275, _) => CheckViolation,
                (_, 1) => Syntax,
                (_, 5 | 6) => LockTimeout,
                (_, 8) => ReadOnly,
                // Only the statement timeout's progress handler interrupts.
                (_, 9) => StatementTimeout,
                (_, 18 | 20 | 25) => InvalidData,
                _ => Other,
            };
            let message = if kind == StatementTimeout {
                format!("{message}: the statement ran past its statement timeout")
            } else {
                message
            };
            let constraint = match kind {
                UniqueViolation | NotNullViolation | CheckViolation => {
                    text_after(&message, "failed:")
                }
                _ => None,
            };
            db_error(
                kind,
                message,
                Some(e.extended_code.to_string()),
                constraint,
                sql,
            )
        }
        rusqlite::Error::SqlInputError {
            error, msg, offset, ..
        } => db_error(
            Syntax,
            format!("{msg} (at offset {offset})"),
            Some(error.extended_code.to_string()),
            None,
            sql,
        ),
        rusqlite::Error::InvalidParameterCount(given, expected) => Error::compile(format!(
            "the statement has {expected} placeholders but {given} values were given"
        )),
        other => db_error(Other, other.to_string(), None, None, sql),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects::{Dialect, Sqlite};
    use rusqlite::limits::Limit;

    #[test]
    fn an_array_binds_as_one_rarray_parameter_and_refuses_nan() {
        let mut driver = SqliteDriver::open(&Url::parse("sqlite://").unwrap()).unwrap();
        let sql = "SELECT count(*), sum(value) FROM rarray(?)";
        let list = Value::Array(vec![Value::Int(1), Value::Text("2".into()), Value::Null]);
        let mut rows = driver.query(sql, &[list]).unwrap();
        assert_eq!(
            rows.next_row().unwrap().unwrap(),
            vec![Value::Int(3), Value::Int(3)]
        );
        drop(rows);
        let nan = Value::Array(vec![Value::Float(f64::NAN)]);
        let err = driver.query(sql, &[nan]).err().expect("refused");
        assert!(err.to_string().contains("NaN"), "{err}");
    }

    #[test]
    fn the_dialect_bind_limit_is_the_bundled_sqlite_limit() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let limit = conn.limit(Limit::SQLITE_LIMIT_VARIABLE_NUMBER).unwrap();
        assert_eq!(usize::try_from(limit).unwrap(), Sqlite.max_bind_params());
    }
}
