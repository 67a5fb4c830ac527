//! PostgreSQL driver glue over `tokio-postgres`, driven synchronously (see
//! `postgres_client.rs`): a bounded prepared statement cache, a transaction's `BEGIN`
//! pipelined with its first statement, [`Value`] encoding by the server-inferred parameter
//! type, decoding by column type, row streaming, and SQLSTATE error mapping.
//!
//! URL options (or `connect_arg`s): `options` (libpq's, e.g. `-c search_path=app`),
//! `search_path`, `application_name`, `connect_timeout` (seconds), `sslmode` (`disable` or
//! `prefer`; TLS is not compiled in), `statement_cache` (default 256), `host` (a Unix
//! socket directory, as in `postgresql:///db?host=/var/run/postgresql`),
//! `prepared_statements` (default `true`; `false` runs every statement unnamed, with text
//! parameters, for PgBouncer's transaction pooling: see `postgres_text.rs`).

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use postgres::Statement;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{IsNull, Kind, ToSql, Type, to_sql_checked};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::drivers::postgres_client::{PgClient, RowIter};
use crate::drivers::postgres_text::{TextParam, unspecified};
use crate::engine::RowView;
use crate::engine::driver::{
    DriverConnection, ExecOutcome, RowSource, Timeouts, classify_sqlstate, db_error, disconnect,
    parse_option,
};
use crate::engine::round_trips::RoundTrips;
use crate::engine::row_view::no_such_cell;
use crate::engine::{IsolationLevel, Url};
use crate::error::{DatabaseErrorKind, Error, Result};
use crate::sql::{FromValue, Value, ValueRef};

type BoxError = Box<dyn StdError + Sync + Send>;

/// A PostgreSQL connection with its prepared statements.
pub(crate) struct PostgresDriver {
    client: PgClient,
    /// A transaction began: BEGIN goes out with the next command, in the same round trip.
    begin_pending: bool,
    statements: HashMap<String, Prepared>,
    cache_size: usize,
    /// `false`: no named statement is ever prepared (every statement runs unnamed).
    prepared_statements: bool,
    trips: RoundTrips,
}

/// A prepared statement with what every execution of it needs: its result's column names
/// and how each column's cells are read, worked out once.
#[derive(Clone)]
struct Prepared {
    statement: Statement,
    columns: Arc<[String]>,
    cells: Arc<[Cell]>,
}

impl Prepared {
    fn new(statement: Statement) -> Prepared {
        let columns = statement.columns();
        Prepared {
            columns: columns.iter().map(|c| c.name().to_owned()).collect(),
            cells: columns.iter().map(|c| Cell::of(c.type_())).collect(),
            statement,
        }
    }
}

impl PostgresDriver {
    pub(crate) fn open(url: &Url) -> Result<PostgresDriver> {
        let mut config = tokio_postgres::Config::new();
        let socket_dir = url.query_value("host");
        config
            .host(url.host().or(socket_dir).unwrap_or("localhost"))
            .port(url.port().unwrap_or(5432))
            .user(url.username().unwrap_or("postgres"));
        if let Some(p) = url.password() {
            config.password(p);
        }
        if let Some(db) = url.database() {
            config.dbname(db);
        }
        let mut cache_size = 256;
        let mut prepared_statements = true;
        let mut options: Vec<String> = Vec::new();
        for (key, value) in url.query() {
            match key.as_str() {
                "options" => options.push(value.clone()),
                // libpq's `?host=/var/run/postgresql` names a Unix socket directory.
                "host" => {}
                "search_path" => options.push(format!("-c search_path={value}")),
                "application_name" => {
                    config.application_name(value);
                }
                "connect_timeout" => {
                    config.connect_timeout(Duration::from_secs(parse_option(key, value)?));
                }
                "statement_cache" => cache_size = parse_option(key, value)?,
                "prepared_statements" => prepared_statements = parse_option(key, value)?,
                "sslmode" if value == "disable" || value == "prefer" => {}
                "sslmode" => {
                    return Err(Error::config(format!(
                        "sslmode '{value}' needs TLS, which this build of aludel does not include (use disable or prefer)"
                    )));
                }
                _ => {
                    return Err(Error::config(format!(
                        "unknown PostgreSQL connection option '{key}' (known: options, search_path, application_name, connect_timeout, sslmode, statement_cache, prepared_statements, host)"
                    )));
                }
            }
        }
        if !options.is_empty() {
            config.options(options.join(" "));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| disconnect(format!("cannot start the client's runtime: {e}"), None))?;
        let client = PgClient::connect(runtime, &config).map_err(|e| map_error(e, None))?;
        Ok(PostgresDriver {
            client,
            begin_pending: false,
            statements: HashMap::new(),
            cache_size: cache_size.max(1),
            prepared_statements,
            trips: RoundTrips::default(),
        })
    }

    /// The prepared statement for `sql`, from the cache or prepared now.
    fn statement(&mut self, sql: &str) -> Result<Prepared> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt.clone());
        }
        self.trips.add(1);
        let stmt = Prepared::new(
            self.client
                .prepare(sql)
                .map_err(|e| map_error(e, Some(sql)))?,
        );
        if self.statements.len() >= self.cache_size {
            // Bounded: drop an arbitrary entry (its server-side statement is closed when
            // the last clone is dropped).
            if let Some(key) = self.statements.keys().next().cloned() {
                self.statements.remove(&key);
            }
        }
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }
}

impl PostgresDriver {
    /// Runs `sql` as the unnamed statement, in one round trip, with text parameters; the
    /// columns are read from the first row (an empty result has none).
    fn query_unnamed<'a>(&'a mut self, sql: &str, params: &[Value]) -> Result<PgRows<'a>> {
        self.trips.add(1);
        let begin = std::mem::take(&mut self.begin_pending);
        let typed = params.iter().map(|v| (TextParam(v), unspecified()));
        let mut rows = self
            .client
            .query_unnamed(sql, typed, begin)
            .map_err(|e| map_error(e, Some(sql)))?;
        let first = rows.next().map_err(|e| map_error(e, Some(sql)))?;
        let columns: Arc<[String]> = first.as_ref().map_or_else(
            || Arc::from(Vec::new()),
            |row| row.columns().iter().map(|c| c.name().to_owned()).collect(),
        );
        let cells: Arc<[Cell]> = first.as_ref().map_or_else(
            || Arc::from(Vec::new()),
            |row| row.columns().iter().map(|c| Cell::of(c.type_())).collect(),
        );
        let done = first.is_none();
        if let Some(row) = first {
            rows.unread(row);
        }
        let affected = if done {
            rows.rows_affected().unwrap_or(0)
        } else {
            0
        };
        Ok(PgRows {
            rows,
            current: None,
            columns,
            cells,
            sql: sql.to_owned(),
            affected,
            done,
        })
    }
}

/// The most executions of one statement written before their answers are read.
const PIPELINE: usize = 1000;

impl DriverConnection for PostgresDriver {
    fn query<'a>(&'a mut self, sql: &str, params: &[Value]) -> Result<Box<dyn RowSource + 'a>> {
        if !self.prepared_statements {
            return Ok(Box::new(self.query_unnamed(sql, params)?));
        }
        let Prepared {
            statement: stmt,
            columns,
            cells,
        } = self.statement(sql)?;
        if stmt.params().len() != params.len() {
            return Err(Error::compile(format!(
                "the statement has {} placeholders but {} values were given: {sql}",
                stmt.params().len(),
                params.len()
            )));
        }
        self.trips.add(1);
        let begin = std::mem::take(&mut self.begin_pending);
        let rows = match self.client.query_raw(&stmt, params.iter(), begin) {
            Ok(rows) => rows,
            Err(e) => {
                let mut err = map_error(e, Some(sql));
                // A schema change invalidates the server's plan for a cached statement
                // ("cached plan must not change result type", 0A000) or the statement
                // itself (26000): forget it so the next execution prepares it afresh.
                let code = err.database_error().and_then(|d| d.code.clone());
                if matches!(code.as_deref(), Some("0A000" | "26000")) {
                    self.statements.remove(sql);
                }
                if let (Some("26000"), Error::Operational(details)) = (code.as_deref(), &mut err) {
                    // The usual cause: a pooler that moves sessions between server
                    // connections between two transactions.
                    details.message.push_str(
                        " (behind PgBouncer in transaction pooling mode, add prepared_statements=false to the URL)",
                    );
                }
                return Err(err);
            }
        };
        Ok(Box::new(PgRows {
            rows,
            current: None,
            columns,
            cells,
            sql: sql.to_owned(),
            affected: 0,
            done: false,
        }))
    }

    fn execute_each(
        &mut self,
        sql: &str,
        rows: &[Vec<Value>],
        pipelined: bool,
    ) -> Result<Vec<ExecOutcome>> {
        if !pipelined || rows.len() < 2 || !self.prepared_statements {
            return crate::engine::driver::execute_one_by_one(self, sql, rows);
        }
        let stmt = self.statement(sql)?.statement;
        if let Some(values) = rows.iter().find(|v| v.len() != stmt.params().len()) {
            return Err(Error::compile(format!(
                "the statement has {} placeholders but {} values were given: {sql}",
                stmt.params().len(),
                values.len()
            )));
        }
        let mut counts = Vec::with_capacity(rows.len());
        // Bounded pipelines, so neither side buffers an unbounded number of answers.
        for chunk in rows.chunks(PIPELINE) {
            self.trips.add(1);
            let begin = std::mem::take(&mut self.begin_pending);
            let done = self
                .client
                .execute_pipelined(&stmt, chunk.iter().map(|v| v.iter()), begin)
                .map_err(|e| map_error(e, Some(sql)))?;
            counts.extend(done.into_iter().map(|rows_affected| ExecOutcome {
                rows_affected,
                last_insert_id: None,
            }));
        }
        Ok(counts)
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        let begin = std::mem::take(&mut self.begin_pending);
        if begin && (sql == "COMMIT" || sql == "ROLLBACK") {
            // The transaction never reached the server: nothing to end.
            return Ok(());
        }
        if sql == "ROLLBACK" {
            // Its answer is read with the next command's, in that command's round trip:
            // the server ends the transaction (and frees its locks and snapshot) now, and
            // nobody waits for it. A failure fails that next command and closes the
            // connection, as a failed rollback does.
            return self
                .client
                .rollback_unanswered()
                .map_err(|e| map_error(e, Some(sql)));
        }
        self.trips.add(1);
        self.client
            .batch_execute(sql, begin)
            .map_err(|e| map_error(e, Some(sql)))
    }

    fn begin(&mut self) -> Result<Option<&'static str>> {
        // Sent with the statement about to run, in one round trip.
        self.begin_pending = true;
        Ok(Some("BEGIN"))
    }

    fn ping(&mut self) -> Result<()> {
        self.execute_batch("SELECT 1")
    }

    fn set_timeouts(&mut self, timeouts: Timeouts) -> Result<()> {
        // Session-level, so the value outlives the transaction it may be sent in (the
        // connection forgets it when that transaction rolls back, which undoes a SET).
        self.execute_batch(&format!(
            "SET statement_timeout = {}; SET lock_timeout = {}",
            pg_millis(timeouts.statement),
            pg_millis(timeouts.lock)
        ))
    }

    fn set_isolation(&mut self, level: IsolationLevel) -> Result<()> {
        self.execute_batch(&format!(
            "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL {}",
            level.as_sql()
        ))
    }

    fn isolation(&mut self) -> Result<IsolationLevel> {
        let sql = "SHOW transaction_isolation";
        let level: String = if self.prepared_statements {
            // Prepared (one trip), then executed (another).
            self.trips.add(2);
            let row = self
                .client
                .query_one(sql)
                .map_err(|e| map_error(e, Some(sql)))?;
            row.try_get(0).map_err(|e| map_error(e, Some(sql)))?
        } else {
            let mut rows = self.query_unnamed(sql, &[])?;
            rows.advance()?;
            String::from_value(rows.value(0)?.to_value())?
        };
        IsolationLevel::parse(&level).ok_or_else(|| Error::Conversion {
            expected: "IsolationLevel",
            found: format!("'{level}' from {sql}"),
        })
    }

    fn is_broken(&self) -> bool {
        self.client.is_closed()
    }

    fn count_round_trips(&mut self, counter: RoundTrips) {
        self.trips = counter;
    }
}

/// Rows pulled from the server as the caller iterates (`query_raw` reads the socket on
/// demand, with back-pressure, so the result is never buffered whole).
struct PgRows<'a> {
    rows: RowIter<'a>,
    /// The row `advance` read last, whose cells the `RowView` lends.
    current: Option<postgres::Row>,
    columns: Arc<[String]>,
    /// How each column's cells are read.
    cells: Arc<[Cell]>,
    sql: String,
    affected: u64,
    done: bool,
}

impl RowSource for PgRows<'_> {
    fn columns(&self) -> &Arc<[String]> {
        &self.columns
    }

    fn advance(&mut self) -> Result<bool> {
        self.current = None;
        if self.done {
            // The underlying stream is not fused: polling it again reports a closed
            // connection.
            return Ok(false);
        }
        match self.rows.next() {
            Ok(Some(row)) => {
                self.current = Some(row);
                Ok(true)
            }
            Ok(None) => {
                self.done = true;
                self.affected = self.rows.rows_affected().unwrap_or(0);
                Ok(false)
            }
            Err(e) => {
                self.done = true;
                Err(map_error(e, Some(&self.sql)))
            }
        }
    }

    fn row(&self) -> &dyn RowView {
        self
    }

    fn outcome(&self) -> ExecOutcome {
        ExecOutcome {
            rows_affected: self.affected,
            last_insert_id: None,
        }
    }
}

/// The current row's cells, decoded in place from the row's wire buffer by column type.
impl RowView for PgRows<'_> {
    fn len(&self) -> usize {
        self.current.as_ref().map_or(0, postgres::Row::len)
    }

    fn value(&self, index: usize) -> Result<ValueRef<'_>> {
        match (&self.current, self.cells.get(index)) {
            (Some(row), Some(&cell)) if index < row.len() => decode(row, index, cell),
            _ => Err(no_such_cell(index, &self.columns)),
        }
    }
}

/// How the cells of a column are read, chosen once per statement from the column's
/// PostgreSQL type (not once per cell).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    Float4,
    Float8,
    Numeric,
    /// UTF-8 text: `text`, `varchar`, `char`, `name`, an enum label, a `citext` value.
    Text,
    Bytes,
    Date,
    Time,
    Timestamp,
    Timestamptz,
    Uuid,
    Json,
    Unsupported,
}

impl Cell {
    fn of(ty: &Type) -> Cell {
        match *ty {
            Type::BOOL => Cell::Bool,
            Type::INT2 => Cell::Int2,
            Type::INT4 => Cell::Int4,
            Type::INT8 => Cell::Int8,
            Type::OID => Cell::Oid,
            Type::FLOAT4 => Cell::Float4,
            Type::FLOAT8 => Cell::Float8,
            Type::NUMERIC => Cell::Numeric,
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => Cell::Text,
            Type::BYTEA => Cell::Bytes,
            Type::DATE => Cell::Date,
            Type::TIME => Cell::Time,
            Type::TIMESTAMP => Cell::Timestamp,
            Type::TIMESTAMPTZ => Cell::Timestamptz,
            Type::UUID => Cell::Uuid,
            Type::JSON | Type::JSONB => Cell::Json,
            _ if matches!(ty.kind(), Kind::Enum(_)) || ty.name() == "citext" => Cell::Text,
            _ => Cell::Unsupported,
        }
    }
}

/// A cell's bytes as they came off the wire (`None` for NULL), for any column type.
struct RawCell<'a>(Option<&'a [u8]>);

impl<'a> postgres::types::FromSql<'a> for RawCell<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(RawCell(Some(raw)))
    }
    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(RawCell(None))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Decodes column `i` of `row` as `cell` says: text, bytes and JSON borrowed from the row.
fn decode(row: &postgres::Row, i: usize, cell: Cell) -> Result<ValueRef<'_>> {
    use postgres::types::FromSql;
    let column = &row.columns()[i];
    let ty = column.type_();
    let failed = |expected: &'static str, e: BoxError| Error::Conversion {
        expected,
        found: format!("PostgreSQL {ty} in column '{}' ({e})", column.name()),
    };
    let raw = match row.try_get::<_, RawCell<'_>>(i) {
        Ok(RawCell(Some(raw))) => raw,
        Ok(RawCell(None)) => return Ok(ValueRef::Null),
        Err(e) => return Err(failed("a cell", e.into())),
    };
    macro_rules! get {
        ($t:ty, $wrap:expr) => {
            <$t>::from_sql(ty, raw)
                .map($wrap)
                .map_err(|e| failed(stringify!($t), e))
        };
    }
    match cell {
        Cell::Bool => get!(bool, ValueRef::Bool),
        Cell::Int2 => get!(i16, |n| ValueRef::Int(n.into())),
        Cell::Int4 => get!(i32, |n| ValueRef::Int(n.into())),
        Cell::Int8 => get!(i64, ValueRef::Int),
        Cell::Oid => get!(u32, |n| ValueRef::Int(n.into())),
        Cell::Float4 => get!(f32, |f| ValueRef::Float(f.into())),
        Cell::Float8 => get!(f64, ValueRef::Float),
        Cell::Numeric => get!(Decimal, ValueRef::Decimal),
        // Not `&str`'s own FromSql, which compares the type's name with ltree's on
        // every cell.
        Cell::Text => get!(RawText<'_>, |t| ValueRef::Text(t.0)),
        Cell::Bytes => get!(&[u8], ValueRef::Bytes),
        Cell::Date => get!(NaiveDate, ValueRef::Date),
        Cell::Time => get!(NaiveTime, ValueRef::Time),
        Cell::Timestamp => get!(NaiveDateTime, ValueRef::DateTime),
        Cell::Timestamptz => get!(DateTime<Utc>, ValueRef::DateTimeUtc),
        Cell::Uuid => get!(Uuid, ValueRef::Uuid),
        Cell::Json => get!(RawJson<'_>, |j| ValueRef::Json(j.0)),
        Cell::Unsupported => Err(Error::Unsupported {
            construct: format!(
                "reading column '{}' of PostgreSQL type {} (cast it to a supported type, e.g. ::text)",
                column.name(),
                ty.name()
            ),
            dialect: "postgresql",
        }),
    }
}

/// A text cell's UTF-8, borrowed (also what an enum label or a `citext` value is sent as).
struct RawText<'a>(&'a str);

impl<'a> postgres::types::FromSql<'a> for RawText<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(RawText(std::str::from_utf8(raw)?))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A `json` or `jsonb` document's text, borrowed (`jsonb`'s binary form is a version byte,
/// 1, before the text).
struct RawJson<'a>(&'a str);

impl<'a> postgres::types::FromSql<'a> for RawJson<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let text = match (*ty == Type::JSONB, raw.split_first()) {
            (false, _) => raw,
            (true, Some((1, rest))) => rest,
            (true, _) => return Err("unsupported jsonb encoding version".into()),
        };
        Ok(RawJson(std::str::from_utf8(text)?))
    }
    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::JSON | Type::JSONB)
    }
}

fn is_text(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    ) || ty.name() == "citext"
        || matches!(ty.kind(), Kind::Enum(_))
}

fn mismatch(value: &Value, ty: &Type) -> BoxError {
    format!(
        "cannot bind a {} value to a parameter of PostgreSQL type {}",
        value.kind(),
        ty.name()
    )
    .into()
}

fn int_to_sql(n: i64, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
    let range = |t: &str| -> BoxError { format!("integer {n} is out of range for {t}").into() };
    match *ty {
        Type::INT2 => i16::try_from(n).map_err(|_| range("INT2"))?.to_sql(ty, out),
        Type::INT4 => i32::try_from(n).map_err(|_| range("INT4"))?.to_sql(ty, out),
        Type::INT8 => n.to_sql(ty, out),
        Type::OID => u32::try_from(n).map_err(|_| range("OID"))?.to_sql(ty, out),
        Type::FLOAT4 => (n as f32).to_sql(ty, out),
        Type::FLOAT8 => (n as f64).to_sql(ty, out),
        Type::NUMERIC => Decimal::from(n).to_sql(ty, out),
        Type::BOOL if n == 0 || n == 1 => (n == 1).to_sql(ty, out),
        Type::JSON | Type::JSONB => serde_json::Value::from(n).to_sql(ty, out),
        _ if is_text(ty) => n.to_string().to_sql(ty, out),
        _ => Err(mismatch(&Value::Int(n), ty)),
    }
}

/// Text bound to a typed parameter is parsed as that type, as PostgreSQL itself would.
fn text_to_sql(s: &str, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
    let text = || Value::Text(s.to_owned());
    match *ty {
        _ if is_text(ty) => s.to_sql(&Type::TEXT, out),
        Type::JSON | Type::JSONB => serde_json::from_str::<serde_json::Value>(s)?.to_sql(ty, out),
        Type::UUID => Uuid::parse_str(s)?.to_sql(ty, out),
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => int_to_sql(s.trim().parse()?, ty, out),
        Type::FLOAT4 | Type::FLOAT8 => float_to_sql(s.trim().parse()?, ty, out),
        Type::NUMERIC => s.trim().parse::<Decimal>()?.to_sql(ty, out),
        Type::BOOL => match s.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "1" | "yes" | "on" => true.to_sql(ty, out),
            "f" | "false" | "0" | "no" | "off" => false.to_sql(ty, out),
            _ => Err(format!("'{s}' is not a boolean").into()),
        },
        Type::BYTEA => s.as_bytes().to_sql(ty, out),
        Type::DATE => NaiveDate::from_value(text())?.to_sql(ty, out),
        Type::TIME => NaiveTime::from_value(text())?.to_sql(ty, out),
        Type::TIMESTAMP => NaiveDateTime::from_value(text())?.to_sql(ty, out),
        Type::TIMESTAMPTZ => DateTime::<Utc>::from_value(text())?.to_sql(ty, out),
        _ => Err(mismatch(&text(), ty)),
    }
}

fn float_to_sql(f: f64, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
    match *ty {
        Type::FLOAT8 => f.to_sql(ty, out),
        Type::FLOAT4 => (f as f32).to_sql(ty, out),
        Type::NUMERIC => Decimal::try_from(f)?.to_sql(ty, out),
        Type::JSON | Type::JSONB => serde_json::Value::from(f).to_sql(ty, out),
        _ if is_text(ty) => f.to_string().to_sql(ty, out),
        _ => Err(mismatch(&Value::Float(f), ty)),
    }
}

/// Encodes a [`Value`] for the parameter type the server inferred, converting where the
/// meaning is unambiguous (an integer for a NUMERIC column, text for a DATE, ...) and
/// failing with a clear message otherwise. Never panics.
impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Bool(b) => match *ty {
                Type::BOOL => b.to_sql(ty, out),
                Type::JSON | Type::JSONB => serde_json::Value::Bool(*b).to_sql(ty, out),
                _ if is_text(ty) => (if *b { "true" } else { "false" }).to_sql(ty, out),
                _ => int_to_sql(i64::from(*b), ty, out),
            },
            Value::Int(n) => int_to_sql(*n, ty, out),
            Value::Float(f) => float_to_sql(*f, ty, out),
            Value::Text(s) => text_to_sql(s, ty, out),
            Value::Bytes(b) => match *ty {
                Type::BYTEA => b.to_sql(ty, out),
                _ if is_text(ty) => std::str::from_utf8(b)?.to_sql(ty, out),
                _ => Err(mismatch(self, ty)),
            },
            Value::Date(d) => match *ty {
                Type::DATE => d.to_sql(ty, out),
                Type::TIMESTAMP => d.and_time(NaiveTime::MIN).to_sql(ty, out),
                _ if is_text(ty) => d.to_string().to_sql(ty, out),
                _ => Err(mismatch(self, ty)),
            },
            Value::Time(t) => match *ty {
                Type::TIME => t.to_sql(ty, out),
                _ if is_text(ty) => t.to_string().to_sql(ty, out),
                _ => Err(mismatch(self, ty)),
            },
            Value::DateTime(dt) => match *ty {
                Type::TIMESTAMP => dt.to_sql(ty, out),
                Type::TIMESTAMPTZ => dt.and_utc().to_sql(ty, out),
                Type::DATE => dt.date().to_sql(ty, out),
                _ if is_text(ty) => dt.to_string().to_sql(ty, out),
                _ => Err(mismatch(self, ty)),
            },
            Value::DateTimeUtc(dt) => match *ty {
                Type::TIMESTAMPTZ => dt.to_sql(ty, out),
                Type::TIMESTAMP => dt.naive_utc().to_sql(ty, out),
                _ if is_text(ty) => dt.to_rfc3339().to_sql(ty, out),
                _ => Err(mismatch(self, ty)),
            },
            Value::Decimal(d) => match *ty {
                Type::NUMERIC => d.to_sql(ty, out),
                Type::FLOAT8 | Type::FLOAT4 => float_to_sql(d.to_string().parse()?, ty, out),
                Type::INT2 | Type::INT4 | Type::INT8 if d.fract().is_zero() => {
                    int_to_sql(d.trunc().to_string().parse()?, ty, out)
                }
                _ if is_text(ty) => d.to_string().to_sql(ty, out),
                _ => Err(mismatch(self, ty)),
            },
            Value::Uuid(u) => match *ty {
                Type::UUID => u.to_sql(ty, out),
                _ if is_text(ty) => u.hyphenated().to_string().to_sql(ty, out),
                _ => Err(mismatch(self, ty)),
            },
            Value::Json(j) => match *ty {
                Type::JSON | Type::JSONB => j.to_sql(ty, out),
                _ if is_text(ty) => j.to_string().to_sql(ty, out),
                _ => Err(mismatch(self, ty)),
            },
            // Each element is encoded for the array's element type, as a lone value is.
            Value::Array(items) => match ty.kind() {
                Kind::Array(_) => items.as_slice().to_sql(ty, out),
                _ => Err(mismatch(self, ty)),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Whether a client error means the connection is gone. Only socket failures, a closed
/// connection and failed connects are: a message the client could not encode or a
/// response it could not parse (both wrap an `io::Error` as their source, like a socket
/// failure does) leave the connection in step with the server.
fn is_lost_connection(err: &postgres::Error, text: &str) -> bool {
    err.is_closed()
        || text.starts_with("error communicating with the server")
        || text.starts_with("error connecting")
        || text.starts_with("timeout waiting for server")
}

/// A timeout as PostgreSQL's settings take it: whole milliseconds, a fraction rounded up
/// (so a tiny timeout never becomes 0, which means no limit), `DEFAULT` for the server's.
fn pg_millis(timeout: Option<Duration>) -> String {
    match timeout {
        None => "DEFAULT".to_owned(),
        Some(d) => d
            .as_nanos()
            .div_ceil(1_000_000)
            .min(i32::MAX as u128)
            .to_string(),
    }
}

/// Maps a `postgres` error: database errors by SQLSTATE (with the constraint name),
/// closed connections and I/O failures as disconnects, encoding failures as data errors.
fn map_error(err: postgres::Error, sql: Option<&str>) -> Error {
    if let Some(db) = err.as_db_error() {
        let code = db.code().code();
        let kind = classify_sqlstate(code);
        if kind == DatabaseErrorKind::Disconnect {
            return db_error(
                kind,
                format!("connection to the database was lost: {}", db.message()),
                Some(code.to_owned()),
                None,
                sql,
            );
        }
        return db_error(
            kind,
            db.message(),
            Some(code.to_owned()),
            db.constraint().map(str::to_owned),
            sql,
        );
    }
    let mut text = err.to_string();
    if let Some(cause) = err.source() {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    if is_lost_connection(&err, &text) {
        return disconnect(text, sql);
    }
    if text.starts_with("error serializing parameter") {
        return db_error(DatabaseErrorKind::InvalidData, text, None, None, sql);
    }
    if text.starts_with("error encoding message") {
        return db_error(DatabaseErrorKind::Syntax, text, None, None, sql);
    }
    db_error(DatabaseErrorKind::Other, text, None, None, sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A statement with more than 65,535 placeholders, sent straight to the driver (the
    /// engine refuses it before this point): the client fails to read the server's
    /// parameter description, which must not count as a lost connection.
    #[test]
    fn a_client_side_protocol_error_is_not_a_disconnect() {
        let Ok(url) = std::env::var("ALUDEL_TEST_POSTGRES") else {
            eprintln!("SKIPPED (ALUDEL_TEST_POSTGRES not set)");
            return;
        };
        let mut driver = PostgresDriver::open(&Url::parse(&url).unwrap()).unwrap();
        let n = 65_536;
        let placeholders: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT 1 WHERE 1 IN ({})", placeholders.join(", "));
        let values = vec![Value::Int(1); n];
        let err = driver
            .query(&sql, &values)
            .err()
            .expect("the client refuses it");
        assert!(!err.is_disconnect(), "{err}");
        assert!(!driver.is_broken());
        let mut rows = driver.query("SELECT 2::int8", &[]).unwrap();
        assert_eq!(rows.next_row().unwrap().unwrap(), vec![Value::Int(2)]);
    }
}
