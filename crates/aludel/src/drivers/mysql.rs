//! MySQL/MariaDB driver glue over the `mysql` client: the client's prepared statement
//! cache, [`Value`] conversion by column type, unbuffered row streaming, and error mapping
//! by native error code.
//!
//! Statements with parameters run through the binary protocol (prepared and cached);
//! statements without run through the text protocol, which also accepts statements MySQL
//! cannot prepare. URL options (or `connect_arg`s): `statement_cache` (default 256),
//! `connect_timeout` (seconds), `socket`, `init_command`, `sql_mode` (default
//! `DEFAULT_SQL_MODE`; `server` keeps the server's).

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use mysql::consts::ColumnType;
use mysql::prelude::{Protocol, Queryable};
use mysql::{Column, QueryResult};
use rust_decimal::Decimal;

use crate::engine::RowView;
use crate::engine::driver::{
    DriverConnection, ExecOutcome, RowSource, Timeouts, classify_sqlstate, db_error, disconnect,
    parse_option, quoted_after,
};
use crate::engine::round_trips::{PreparedMirror, RoundTrips};
use crate::engine::row_view::no_such_cell;
use crate::engine::{IsolationLevel, Url};
use crate::error::{DatabaseErrorKind, Error, Result};
use crate::sql::{Value, ValueRef};

/// A `mysql::Conn`, run with autocommit off (as DB-API drivers do), so the first statement
/// of a transaction begins it without a BEGIN.
pub(crate) struct MySqlDriver {
    conn: mysql::Conn,
    broken: bool,
    /// Whether the server session's `autocommit` is on (switched only on demand).
    autocommit: bool,
    trips: RoundTrips,
    /// Whether a `prep` costs a trip (the client's cache does not say).
    prepared: PreparedMirror,
    /// Whether the server is MariaDB (unknown until a timeout is set).
    mariadb: Option<bool>,
}

impl MySqlDriver {
    pub(crate) fn open(url: &Url) -> Result<MySqlDriver> {
        let mut opts = mysql::OptsBuilder::new()
            .ip_or_hostname(Some(url.host().unwrap_or("localhost")))
            .tcp_port(url.port().unwrap_or(3306))
            .user(url.username())
            .pass(url.password())
            .db_name(url.database())
            .prefer_socket(false)
            .stmt_cache_size(256)
            // Report rows *matched* by UPDATE, not only rows changed, as SQLite and
            // PostgreSQL do (and SQLAlchemy asks for): the ORM's stale-data check relies on it.
            .additional_capabilities(mysql::consts::CapabilityFlags::CLIENT_FOUND_ROWS);
        // Autocommit off: a transaction begins with its first statement, no BEGIN sent.
        // (An init_command must leave autocommit alone; the AUTOCOMMIT isolation level is
        // the way to run without transactions.)
        let mut init = vec!["SET NAMES utf8mb4, autocommit = 0".to_owned()];
        let mut cache_size = 256;
        let mut sql_mode = Some(DEFAULT_SQL_MODE.to_owned());
        for (key, value) in url.query() {
            opts = match key.as_str() {
                "statement_cache" => {
                    cache_size = parse_option::<usize>(key, value)?;
                    opts.stmt_cache_size(cache_size)
                }
                "connect_timeout" => {
                    opts.tcp_connect_timeout(Some(Duration::from_secs(parse_option(key, value)?)))
                }
                "socket" => opts.socket(Some(value.clone())),
                "init_command" => {
                    init.push(value.clone());
                    opts
                }
                "sql_mode" => {
                    sql_mode = parse_sql_mode(value)?;
                    opts
                }
                _ => {
                    return Err(Error::config(format!(
                        "unknown MySQL connection option '{key}' (known: statement_cache, connect_timeout, socket, init_command, sql_mode)"
                    )));
                }
            };
        }
        if let Some(mode) = sql_mode {
            // Before the user's init_command, which may still change it.
            init.insert(1, format!("SET SESSION sql_mode = '{mode}'"));
        }
        let conn = mysql::Conn::new(opts.init(init)).map_err(|e| map_error(e, None))?;
        Ok(MySqlDriver {
            conn,
            broken: false,
            autocommit: false,
            trips: RoundTrips::default(),
            prepared: PreparedMirror::new(cache_size),
            mariadb: None,
        })
    }

    /// Whether the server is MariaDB, asked once (its handshake poses as MySQL 5.5.5).
    fn is_mariadb(&mut self) -> Result<bool> {
        if let Some(known) = self.mariadb {
            return Ok(known);
        }
        let sql = "SELECT @@version";
        self.trips.add(1);
        let version: Option<String> = self.conn.query_first(sql).map_err(|e| self.fail(e, sql))?;
        let mariadb = version.is_some_and(|v| v.contains("MariaDB"));
        self.mariadb = Some(mariadb);
        Ok(mariadb)
    }

    fn fail(&mut self, err: mysql::Error, sql: &str) -> Error {
        let err = map_error(err, Some(sql));
        self.broken |= err.is_disconnect();
        err
    }
}

impl DriverConnection for MySqlDriver {
    fn query<'a>(&'a mut self, sql: &str, params: &[Value]) -> Result<Box<dyn RowSource + 'a>> {
        let MySqlDriver {
            conn,
            broken,
            trips,
            prepared,
            ..
        } = self;
        let fail = |e, broken: &mut bool| {
            let err = map_error(e, Some(sql));
            *broken |= err.is_disconnect();
            err
        };
        if params.is_empty() {
            trips.add(1);
            return match conn.query_iter(sql) {
                Ok(result) => Ok(Box::new(MyRows::new(result, sql))),
                Err(e) => Err(fail(e, broken)),
            };
        }
        let values = params
            .iter()
            .map(to_mysql)
            .collect::<Result<Vec<mysql::Value>, String>>()
            .map_err(|m| db_error(DatabaseErrorKind::InvalidData, m, None, None, Some(sql)))?;
        if prepared.prepare_misses(sql) {
            trips.add(1);
        }
        let stmt = match conn.prep(sql) {
            Ok(stmt) => stmt,
            Err(e) => {
                prepared.forget(sql);
                return Err(fail(e, broken));
            }
        };
        trips.add(1);
        match conn.exec_iter(&stmt, mysql::Params::Positional(values)) {
            Ok(result) => Ok(Box::new(MyRows::new(result, sql))),
            Err(e) => Err(fail(e, broken)),
        }
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.trips.add(1);
        self.conn.query_drop(sql).map_err(|e| self.fail(e, sql))
    }

    fn ping(&mut self) -> Result<()> {
        self.trips.add(1);
        self.conn.ping().map_err(|e| self.fail(e, "COM_PING"))
    }

    fn set_timeouts(&mut self, timeouts: Timeouts) -> Result<()> {
        // MariaDB's `max_statement_time` (seconds, microsecond precision) covers every
        // statement; MySQL's `max_execution_time` (milliseconds) only read-only SELECTs.
        let statement = if self.is_mariadb()? {
            match timeouts.statement {
                None => "max_statement_time = DEFAULT".to_owned(),
                Some(d) => {
                    let micros = d.as_nanos().div_ceil(1000);
                    format!(
                        "max_statement_time = {}.{:06}",
                        micros / 1_000_000,
                        micros % 1_000_000
                    )
                }
            }
        } else {
            match timeouts.statement {
                None => "max_execution_time = DEFAULT".to_owned(),
                Some(d) => format!(
                    "max_execution_time = {}",
                    d.as_nanos().div_ceil(1_000_000).min(u32::MAX as u128)
                ),
            }
        };
        // Whole seconds, at least 1 (0 is not allowed): a fraction is rounded up, never
        // down to "no wait"; no limit is the largest value the server accepts.
        let lock = match timeouts.lock {
            None => "DEFAULT".to_owned(),
            Some(d) if d.is_zero() => "1073741824".to_owned(),
            Some(d) => d
                .as_nanos()
                .div_ceil(1_000_000_000)
                .clamp(1, 1_073_741_824)
                .to_string(),
        };
        self.execute_batch(&format!(
            "SET SESSION {statement}, innodb_lock_wait_timeout = {lock}"
        ))
    }

    fn set_isolation(&mut self, level: IsolationLevel) -> Result<()> {
        self.execute_batch(&format!(
            "SET SESSION TRANSACTION ISOLATION LEVEL {}",
            level.as_sql()
        ))
    }

    fn isolation(&mut self) -> Result<IsolationLevel> {
        // MySQL 8 and MariaDB 11.1+ know `transaction_isolation`; older MariaDB only
        // `tx_isolation`.
        let mut last = None;
        for sql in [
            "SELECT @@session.transaction_isolation",
            "SELECT @@session.tx_isolation",
        ] {
            self.trips.add(1);
            match self.conn.query_first::<String, _>(sql) {
                Ok(Some(level)) => {
                    return IsolationLevel::parse(&level).ok_or_else(|| Error::Conversion {
                        expected: "IsolationLevel",
                        found: format!("'{level}' from {sql}"),
                    });
                }
                Ok(None) => {}
                Err(e) => last = Some(self.fail(e, sql)),
            }
        }
        Err(last.unwrap_or_else(|| Error::invalid("the server reported no isolation level")))
    }

    fn is_broken(&self) -> bool {
        self.broken
    }

    fn begin(&mut self) -> Result<Option<&'static str>> {
        if !self.autocommit {
            // The statement about to run begins the transaction.
            return Ok(None);
        }
        let sql = "SET autocommit = 0";
        self.execute_batch(sql)?;
        self.autocommit = false;
        Ok(Some(sql))
    }

    fn autocommit(&mut self) -> Result<Option<&'static str>> {
        if self.autocommit {
            return Ok(None);
        }
        let sql = "SET autocommit = 1";
        self.execute_batch(sql)?;
        self.autocommit = true;
        Ok(Some(sql))
    }

    fn count_round_trips(&mut self, counter: RoundTrips) {
        self.trips = counter;
    }
}

/// An unbuffered MySQL result: rows are read from the socket as the caller iterates.
struct MyRows<'a, P: Protocol> {
    result: QueryResult<'a, 'a, 'a, P>,
    /// The row `advance` read last, whose cells the `RowView` lends.
    current: Option<mysql::Row>,
    meta: Vec<Column>,
    /// The date, datetime and time columns, whose binary values may need rewriting as
    /// text (see [`text_for_unrepresentable`]).
    temporal: Vec<usize>,
    columns: Arc<[String]>,
    outcome: ExecOutcome,
    sql: String,
}

impl<'a, P: Protocol> MyRows<'a, P> {
    fn new(result: QueryResult<'a, 'a, 'a, P>, sql: &str) -> Self {
        use ColumnType::*;
        let meta: Vec<Column> = result.columns().as_ref().to_vec();
        let columns = meta.iter().map(|c| c.name_str().into_owned()).collect();
        let temporal = meta
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                matches!(
                    c.column_type(),
                    MYSQL_TYPE_DATE
                        | MYSQL_TYPE_NEWDATE
                        | MYSQL_TYPE_DATETIME
                        | MYSQL_TYPE_TIMESTAMP
                        | MYSQL_TYPE_DATETIME2
                        | MYSQL_TYPE_TIMESTAMP2
                        | MYSQL_TYPE_TIME
                        | MYSQL_TYPE_TIME2
                )
            })
            .map(|(i, _)| i)
            .collect();
        let outcome = ExecOutcome {
            rows_affected: result.affected_rows(),
            last_insert_id: result
                .last_insert_id()
                .filter(|id| *id != 0)
                .and_then(|id| i64::try_from(id).ok()),
        };
        MyRows {
            result,
            current: None,
            meta,
            temporal,
            columns,
            outcome,
            sql: sql.to_owned(),
        }
    }
}

impl<P: Protocol> RowSource for MyRows<'_, P> {
    fn columns(&self) -> &Arc<[String]> {
        &self.columns
    }

    fn advance(&mut self) -> Result<bool> {
        self.current = None;
        if self.meta.is_empty() {
            return Ok(false);
        }
        match self.result.next() {
            None => Ok(false),
            Some(Ok(mut row)) => {
                for &i in &self.temporal {
                    let date_only = matches!(
                        self.meta[i].column_type(),
                        ColumnType::MYSQL_TYPE_DATE | ColumnType::MYSQL_TYPE_NEWDATE
                    );
                    let text = row
                        .as_ref(i)
                        .and_then(|v| text_for_unrepresentable(v, date_only));
                    if let Some(text) = text {
                        row.place(i, mysql::Value::Bytes(text.into_bytes()));
                    }
                }
                self.current = Some(row);
                Ok(true)
            }
            Some(Err(e)) => Err(map_error(e, Some(&self.sql))),
        }
    }

    fn row(&self) -> &dyn RowView {
        self
    }

    fn outcome(&self) -> ExecOutcome {
        self.outcome
    }
}

/// The current row's cells, read from the client's row in place.
impl<P: Protocol> RowView for MyRows<'_, P> {
    fn len(&self) -> usize {
        self.current.as_ref().map_or(0, mysql::Row::len)
    }

    fn value(&self, index: usize) -> Result<ValueRef<'_>> {
        match (&self.current, self.meta.get(index)) {
            (Some(row), Some(column)) => match row.as_ref(index) {
                Some(value) => decode(value, column),
                None => Err(no_such_cell(index, &self.columns)),
            },
            _ => Err(no_such_cell(index, &self.columns)),
        }
    }
}

/// A binary-protocol temporal value chrono cannot hold (a zero date, a TIME beyond a day
/// or negative), as the text the server would have sent; `None` for a value that decodes.
/// Rewritten once when the row is read, so cells can always be lent by reference.
fn text_for_unrepresentable(value: &mysql::Value, date_only: bool) -> Option<String> {
    use mysql::Value as M;
    match value {
        M::Date(y, m, d, h, mi, s, us) => {
            let ok = NaiveDate::from_ymd_opt((*y).into(), (*m).into(), (*d).into())
                .and_then(|date| {
                    date.and_hms_micro_opt((*h).into(), (*mi).into(), (*s).into(), *us)
                })
                .is_some();
            (!ok).then(|| {
                if date_only {
                    format!("{y:04}-{m:02}-{d:02}")
                } else {
                    format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}")
                }
            })
        }
        M::Time(false, 0, h, m, s, us)
            if NaiveTime::from_hms_micro_opt((*h).into(), (*m).into(), (*s).into(), *us)
                .is_some() =>
        {
            None
        }
        M::Time(neg, days, h, m, s, us) => Some(format!(
            "{}{:02}:{m:02}:{s:02}.{us:06}",
            if *neg { "-" } else { "" },
            u32::from(*h) + days * 24
        )),
        _ => None,
    }
}

/// The `sql_mode` every connection runs in unless the `sql_mode` option says otherwise:
/// errors instead of silent truncation, zero dates or NULLs for bad values, on every
/// storage engine; no silent change of storage engine; and a 0 written to an
/// AUTO_INCREMENT column stored as 0 (as SQLite and PostgreSQL do), not replaced by a
/// generated key (the ORM leaves the column out when it wants one).
pub(crate) const DEFAULT_SQL_MODE: &str = "STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO";

/// The `sql_mode` option: `server` keeps the server's mode (`None`); anything else is a
/// comma-separated list of mode names (possibly empty), checked so it cannot carry SQL.
fn parse_sql_mode(value: &str) -> Result<Option<String>> {
    if value.eq_ignore_ascii_case("server") {
        return Ok(None);
    }
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ',')
    {
        return Ok(Some(value.to_ascii_uppercase()));
    }
    Err(Error::config(format!(
        "invalid value '{value}' for connection option 'sql_mode': expected 'server' or comma-separated mode names such as {DEFAULT_SQL_MODE}"
    )))
}

fn to_mysql(value: &Value) -> Result<mysql::Value, String> {
    use mysql::Value as M;
    let text = |s: String| M::Bytes(s.into_bytes());
    let datetime = |dt: &NaiveDateTime| match u16::try_from(chrono::Datelike::year(dt)) {
        Ok(y) => M::Date(
            y,
            chrono::Datelike::month(dt) as u8,
            chrono::Datelike::day(dt) as u8,
            dt.hour() as u8,
            dt.minute() as u8,
            dt.second() as u8,
            (dt.nanosecond() / 1000).min(999_999),
        ),
        Err(_) => text(dt.format("%Y-%m-%d %H:%M:%S%.f").to_string()),
    };
    Ok(match value {
        Value::Null => M::NULL,
        Value::Bool(b) => M::Int(i64::from(*b)),
        Value::Int(n) => M::Int(*n),
        Value::Float(f) => M::Double(*f),
        Value::Text(s) => M::Bytes(s.as_bytes().to_vec()),
        Value::Bytes(b) => M::Bytes(b.clone()),
        Value::Date(d) => datetime(&d.and_time(NaiveTime::MIN)),
        Value::Time(t) => M::Time(
            false,
            0,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
            (t.nanosecond() / 1000).min(999_999),
        ),
        Value::DateTime(dt) => datetime(dt),
        Value::DateTimeUtc(dt) => datetime(&dt.naive_utc()),
        Value::Decimal(d) => text(d.to_string()),
        Value::Uuid(u) => text(u.hyphenated().to_string()),
        Value::Json(j) => text(j.to_string()),
        Value::Array(items) => {
            let mut json = String::with_capacity(items.len() * 8);
            json_array(items, &mut json)?;
            text(json)
        }
    })
}

/// Writes `items` as the JSON array a `JSON_TABLE` column parses back into the same values
/// (see `LongInList::JsonTable`): numbers bare, temporal values in MySQL's text forms.
/// Refuses what JSON cannot hold exactly rather than changing it.
fn json_array(items: &[Value], out: &mut String) -> Result<(), String> {
    use std::fmt::Write;
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let quoted = |s: &str| serde_json::Value::from(s).to_string();
        match item {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push(if *b { '1' } else { '0' }),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => out.push_str(&n.to_string()),
                None => return Err(format!("{f} cannot be sent in a JSON list to MySQL")),
            },
            Value::Decimal(d) => {
                let _ = write!(out, "{d}");
            }
            Value::Text(s) => out.push_str(&quoted(s)),
            Value::Bytes(b) => match std::str::from_utf8(b) {
                Ok(s) => out.push_str(&quoted(s)),
                Err(_) => return Err("binary data cannot be sent in a JSON list to MySQL".into()),
            },
            Value::Date(d) => out.push_str(&quoted(&d.format("%Y-%m-%d").to_string())),
            Value::Time(t) => out.push_str(&quoted(&t.format("%H:%M:%S%.6f").to_string())),
            Value::DateTime(dt) => {
                out.push_str(&quoted(&dt.format("%Y-%m-%d %H:%M:%S%.6f").to_string()));
            }
            Value::DateTimeUtc(dt) => {
                let naive = dt.naive_utc();
                out.push_str(&quoted(&naive.format("%Y-%m-%d %H:%M:%S%.6f").to_string()));
            }
            Value::Uuid(u) => out.push_str(&quoted(&u.hyphenated().to_string())),
            Value::Json(j) => out.push_str(&j.to_string()),
            Value::Array(inner) => json_array(inner, out)?,
        }
    }
    out.push(']');
    Ok(())
}

/// Decodes one cell by its column's type, borrowing text and bytes. The binary protocol
/// sends typed values, the text protocol bytes; both are handled. `TINYINT(1)` is `BOOL`;
/// strings with the binary charset (63) are bytes; temporal values chrono cannot hold were
/// rewritten as text when the row was read, and stay text.
fn decode<'v>(value: &'v mysql::Value, column: &Column) -> Result<ValueRef<'v>> {
    use ColumnType::*;
    use mysql::Value as M;
    let bad = |what: &str, v: &M| Error::Conversion {
        expected: "a MySQL value",
        found: format!(
            "{what} {v:?} in column '{}' of type {:?}",
            column.name_str(),
            column.column_type()
        ),
    };
    let text = |v: &'v M| -> Option<&'v str> {
        match v {
            M::Bytes(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    };
    let unsigned = |u: u64| {
        i64::try_from(u)
            .map(ValueRef::Int)
            .unwrap_or_else(|_| ValueRef::Decimal(Decimal::from(u)))
    };
    if *value == M::NULL {
        return Ok(ValueRef::Null);
    }
    Ok(match column.column_type() {
        MYSQL_TYPE_NULL => ValueRef::Null,
        MYSQL_TYPE_TINY | MYSQL_TYPE_SHORT | MYSQL_TYPE_LONG | MYSQL_TYPE_INT24
        | MYSQL_TYPE_LONGLONG | MYSQL_TYPE_YEAR => {
            let n = match value {
                M::Int(n) => ValueRef::Int(*n),
                M::UInt(u) => unsigned(*u),
                other => match text(other).and_then(|s| s.parse::<i128>().ok()) {
                    Some(n) => i64::try_from(n)
                        .map(ValueRef::Int)
                        .unwrap_or_else(|_| ValueRef::Decimal(Decimal::from_i128_with_scale(n, 0))),
                    None => return Err(bad("integer", other)),
                },
            };
            match n {
                ValueRef::Int(b)
                    if column.column_type() == MYSQL_TYPE_TINY && column.column_length() == 1 =>
                {
                    ValueRef::Bool(b != 0)
                }
                other => other,
            }
        }
        MYSQL_TYPE_FLOAT | MYSQL_TYPE_DOUBLE => match value {
            M::Float(f) => ValueRef::Float(f64::from(*f)),
            M::Double(f) => ValueRef::Float(*f),
            other => ValueRef::Float(
                text(other)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad("float", other))?,
            ),
        },
        MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL => ValueRef::Decimal(
            text(value)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| bad("decimal", value))?,
        ),
        MYSQL_TYPE_DATE | MYSQL_TYPE_NEWDATE => match value {
            M::Date(y, m, d, ..) => NaiveDate::from_ymd_opt((*y).into(), (*m).into(), (*d).into())
                .map(ValueRef::Date)
                .ok_or_else(|| bad("date", value))?,
            other => text(other)
                .map(|s| {
                    NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map(ValueRef::Date)
                        .unwrap_or(ValueRef::Text(s))
                })
                .ok_or_else(|| bad("date", other))?,
        },
        MYSQL_TYPE_DATETIME
        | MYSQL_TYPE_TIMESTAMP
        | MYSQL_TYPE_DATETIME2
        | MYSQL_TYPE_TIMESTAMP2 => match value {
            M::Date(y, mo, d, h, mi, s, us) => {
                NaiveDate::from_ymd_opt((*y).into(), (*mo).into(), (*d).into())
                    .and_then(|date| {
                        date.and_hms_micro_opt((*h).into(), (*mi).into(), (*s).into(), *us)
                    })
                    .map(ValueRef::DateTime)
                    .ok_or_else(|| bad("datetime", value))?
            }
            other => text(other)
                .map(|s| {
                    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                        .map(ValueRef::DateTime)
                        .unwrap_or(ValueRef::Text(s))
                })
                .ok_or_else(|| bad("datetime", other))?,
        },
        MYSQL_TYPE_TIME | MYSQL_TYPE_TIME2 => match value {
            M::Time(false, 0, h, m, s, us) => {
                NaiveTime::from_hms_micro_opt((*h).into(), (*m).into(), (*s).into(), *us)
                    .map(ValueRef::Time)
                    .ok_or_else(|| bad("time", value))?
            }
            other => text(other)
                .map(|s| {
                    NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
                        .map(ValueRef::Time)
                        .unwrap_or(ValueRef::Text(s))
                })
                .ok_or_else(|| bad("time", other))?,
        },
        MYSQL_TYPE_JSON => match text(value) {
            Some(s) => ValueRef::Json(s),
            None => return Err(bad("json", value)),
        },
        _ => match value {
            M::Bytes(b) if column.character_set() == 63 => ValueRef::Bytes(b),
            M::Bytes(b) => match std::str::from_utf8(b) {
                Ok(s) => ValueRef::Text(s),
                Err(_) => ValueRef::Bytes(b),
            },
            M::Int(n) => ValueRef::Int(*n),
            M::UInt(u) => unsigned(*u),
            M::Float(f) => ValueRef::Float(f64::from(*f)),
            M::Double(f) => ValueRef::Float(*f),
            other => return Err(bad("value", other)),
        },
    })
}

/// Maps a `mysql` error by native code (constraint names parsed from the message), with
/// SQLSTATE as the fallback; I/O and protocol failures are disconnects.
pub(crate) fn map_error(err: mysql::Error, sql: Option<&str>) -> Error {
    use DatabaseErrorKind::*;
    use mysql::{DriverError as D, Error as E};
    match err {
        E::MySqlError(e) => {
            let kind = match e.code {
                1062 | 1586 | 1169 => UniqueViolation,
                1451 | 1452 | 1216 | 1217 => ForeignKeyViolation,
                1048 | 1364 => NotNullViolation,
                3819 | 4025 => CheckViolation,
                1213 => Deadlock,
                1205 => LockTimeout,
                1969 | 3024 => StatementTimeout,
                1792 => ReadOnly,
                // "option prevents statement" is also secure_file_priv's error: only the
                // read_only option makes it a read-only error.
                1290 if e.message.contains("read-only") || e.message.contains("read_only") => {
                    ReadOnly
                }
                1927 | 1053 | 2006 | 2013 => Disconnect,
                1064 | 1146 | 1054 | 1049 | 1051 | 1060 | 1061 | 1091 | 1109 | 1149 => Syntax,
                1264 | 1265 | 1292 | 1365 | 1366 | 1367 | 1406 | 4078 => InvalidData,
                _ => classify_sqlstate(&e.state),
            };
            let m = &e.message;
            let constraint = match kind {
                UniqueViolation => quoted_after(m, "for key", '\''),
                ForeignKeyViolation | CheckViolation => quoted_after(m, "CONSTRAINT", '`')
                    .or_else(|| quoted_after(m, "onstraint", '\'')),
                NotNullViolation => {
                    quoted_after(m, "olumn", '\'').or_else(|| quoted_after(m, "ield", '\''))
                }
                _ => None,
            };
            let message = if kind == Disconnect {
                format!("connection to the database was lost: {m}")
            } else {
                e.message.clone()
            };
            db_error(kind, message, Some(e.code.to_string()), constraint, sql)
        }
        E::IoError(e) => disconnect(e, sql),
        E::CodecError(e) => disconnect(e, sql),
        E::DriverError(D::MismatchedStmtParams(expected, given)) => Error::compile(format!(
            "the statement has {expected} placeholders but {given} values were given"
        )),
        E::DriverError(
            d @ (D::ConnectTimeout
            | D::CouldNotConnect(_)
            | D::PacketOutOfSync
            | D::UnexpectedPacket
            | D::Timeout),
        ) => disconnect(d, sql),
        E::UrlError(e) => Error::config(e.to_string()),
        other => db_error(Other, other.to_string(), None, None, sql),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(code: u16, state: &str, message: &str) -> Error {
        map_error(
            mysql::Error::MySqlError(mysql::MySqlError {
                state: state.into(),
                message: message.into(),
                code,
            }),
            Some("INSERT INTO t VALUES (?)"),
        )
    }

    fn kind(err: &Error) -> Option<DatabaseErrorKind> {
        err.database_error().map(|e| e.kind)
    }

    #[test]
    fn read_only_server_error_1290_is_read_only_but_secure_file_priv_is_not() {
        let read_only = server_error(
            1290,
            "HY000",
            "The MariaDB server is running with the --read-only option so it cannot execute this statement",
        );
        assert_eq!(kind(&read_only), Some(DatabaseErrorKind::ReadOnly));
        assert!(matches!(read_only, Error::Operational(_)));
        let file_priv = server_error(
            1290,
            "HY000",
            "The MariaDB server is running with the --secure-file-priv option so it cannot execute this statement",
        );
        assert_eq!(kind(&file_priv), Some(DatabaseErrorKind::Other));
    }
}
