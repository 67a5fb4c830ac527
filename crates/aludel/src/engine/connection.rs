//! [`Connection`]: one pooled database connection, its statement execution and its
//! transaction control.
//!
//! A connection starts outside any transaction: each statement commits on its own until
//! [`Connection::begin_transaction`] (or the RAII [`Connection::begin`]) opens one. The
//! low-level controls (`begin_transaction`, `commit`, `rollback`, `savepoint`, ...) need
//! no guard, so the ORM session can drive them; dropping the connection returns it to the
//! pool, which rolls back whatever is still open.
//!
//! A transaction reaches the server with its first statement, never before: `BEGIN` is
//! sent right before that statement (SQLite, PostgreSQL), or nothing at all where the
//! connection runs with autocommit off and the statement itself begins it (MySQL). A
//! transaction that ran nothing sends neither `BEGIN` nor `COMMIT`/`ROLLBACK`.

use std::sync::Arc;

use crate::dialects::{Dialect, check_bind_count};
use crate::engine::Prepared;
use crate::engine::driver::db_error;
use crate::engine::driver::{ExecOutcome, Timeouts};
use crate::engine::engine::EngineInner;
use crate::engine::options::{ExecutionOptions, IsolationLevel};
use crate::engine::pool::{DisconnectSignal, PooledConnection};
use crate::engine::result::{ResultSet, RowStream};
use crate::engine::transaction::{Savepoint, Transaction};
use crate::error::{DatabaseErrorKind, Error, Result};
use crate::sql::{BindSlot, Compiled, Executable, FromValue, Params, StatementRef, Value};

/// A connection checked out of an [`Engine`](crate::engine::Engine)'s pool.
///
/// ```
/// use aludel::{params, sql::text};
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// let mut conn = engine.connect()?;
/// conn.execute(&text("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)"), ())?;
/// conn.execute(&text("INSERT INTO users (name) VALUES (:name)"), params! { "name" => "ada" })?;
/// let n: i64 = conn.scalar(&text("SELECT count(*) FROM users"), ())?;
/// assert_eq!(n, 1);
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct Connection {
    engine: Arc<EngineInner>,
    pooled: Option<PooledConnection>,
    /// A transaction was begun (logically: it reaches the server with the first statement,
    /// and with `Autocommit` never).
    in_tx: bool,
    autocommit: bool,
    savepoint_seq: u32,
    options: ExecutionOptions,
}

fn closed() -> Error {
    Error::invalid("this connection was closed or invalidated")
}

impl Connection {
    pub(crate) fn new(engine: Arc<EngineInner>, pooled: PooledConnection) -> Connection {
        let autocommit = engine.options.isolation_level == Some(IsolationLevel::Autocommit);
        Connection {
            engine,
            pooled: Some(pooled),
            in_tx: false,
            autocommit,
            savepoint_seq: 0,
            options: ExecutionOptions::default(),
        }
    }

    fn pooled(&mut self) -> Result<&mut PooledConnection> {
        self.pooled.as_mut().ok_or_else(closed)
    }

    /// On a disconnect error, marks the connection so the pool closes it, and invalidates
    /// the whole pool: the other connections most likely died with it.
    fn check<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            if e.is_disconnect() {
                if let Some(p) = self.pooled.as_mut() {
                    self.engine.pool.disconnected(p);
                }
                self.in_tx = false;
            }
        }
        result
    }

    /// The dialect statements are compiled for.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// assert_eq!(engine.connect()?.dialect().name(), "sqlite");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn dialect(&self) -> &'static dyn Dialect {
        self.engine.dialect
    }

    /// Sets execution options for the following statements.
    ///
    /// ```
    /// use aludel::engine::ExecutionOptions;
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// conn.set_execution_options(ExecutionOptions::default().yield_per(100));
    /// assert_eq!(conn.execution_options().yield_per, Some(100));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn set_execution_options(&mut self, options: ExecutionOptions) -> &mut Self {
        self.options = options;
        self
    }

    /// The current execution options.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// assert!(!engine.connect()?.execution_options().stream_results);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn execution_options(&self) -> ExecutionOptions {
        self.options
    }

    /// Compiles and runs `statement` with `params`, reading all rows.
    ///
    /// ```
    /// use aludel::{params, sql::text};
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// let r = conn.execute(&text("SELECT :a + :b AS s"), params! { "a" => 1, "b" => 2 })?;
    /// assert_eq!(r.one()?.get::<i64>("s")?, 3);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn execute(
        &mut self,
        statement: &dyn Executable,
        params: impl Into<Params>,
    ) -> Result<ResultSet> {
        let (compiled, values) = self.engine.prepare(statement)?.into_bound(&params.into())?;
        self.execute_compiled(&compiled, values)
    }

    /// Compiles `statement` through the engine's compiled-shape cache.
    pub(crate) fn prepare(&self, statement: &dyn Executable) -> Result<Prepared> {
        self.engine.prepare(statement)
    }

    /// A compiler for this connection's engine that outlives the borrow of the connection:
    /// `compile(statement, cached)` goes through the compiled-shape cache when `cached`
    /// (statements whose shapes repeat), else straight to the compiler (a multi-row INSERT
    /// of thousands of rows would only crowd the cache with a key as long as itself).
    pub(crate) fn compiler(
        &self,
    ) -> impl Fn(&dyn Executable, bool) -> Result<std::sync::Arc<Compiled>> + use<> {
        let engine = self.engine.clone();
        move |statement, cached| {
            if cached {
                Ok(engine.prepare(statement)?.compiled)
            } else {
                Ok(std::sync::Arc::new(statement.compile(engine.dialect)?))
            }
        }
    }

    /// Runs an already compiled statement with its values in placeholder order (the ORM's
    /// path: it compiles once and binds many times).
    ///
    /// ```
    /// use aludel::sql::{text, Executable, Value};
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// let c = text("SELECT :x").compile(conn.dialect())?;
    /// let r = conn.execute_compiled(&c, vec![Value::Int(7)])?;
    /// assert_eq!(r.scalar::<i64>()?, 7);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn execute_compiled(
        &mut self,
        compiled: &Compiled,
        values: Vec<Value>,
    ) -> Result<ResultSet> {
        self.check_values(&compiled.sql, &compiled.binds, &values)?;
        self.send(&compiled.sql, &values)
            .map_err(|e| name_failed_bind(e, &compiled.binds))
    }

    /// Runs raw SQL with positional values in the dialect's placeholder style.
    ///
    /// ```
    /// use aludel::sql::Value;
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// assert_eq!(conn.run_sql("SELECT ?", &[Value::Int(3)])?.scalar::<i64>()?, 3);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn run_sql(&mut self, sql: &str, values: &[Value]) -> Result<ResultSet> {
        self.check_values(sql, &[], values)?;
        self.send(sql, values)
    }

    /// Refuses, before anything is sent, a value the database cannot store exactly (see
    /// [`Dialect::check_value`]), naming the column or parameter it is bound to.
    fn check_values(&self, sql: &str, binds: &[BindSlot], values: &[Value]) -> Result<()> {
        let dialect = self.engine.dialect;
        for (i, value) in values.iter().enumerate() {
            if let Err(why) = dialect.check_value(value) {
                let place = match binds.get(i) {
                    Some(slot) => slot.describe(i),
                    None => format!("parameter {}", i + 1),
                };
                return Err(db_error(
                    DatabaseErrorKind::InvalidData,
                    format!(
                        "{} cannot take the value bound to {place}: {why}; nothing was sent",
                        dialect.name()
                    ),
                    None,
                    None,
                    Some(sql),
                ));
            }
        }
        Ok(())
    }

    fn send(&mut self, sql: &str, values: &[Value]) -> Result<ResultSet> {
        check_bind_count(self.engine.dialect, sql, values.len())?;
        self.before_statement()?;
        self.engine.emit(sql, values);
        let pooled = self.pooled()?;
        let result = pooled.driver.query(sql, values).and_then(ResultSet::read);
        self.check(result)
    }

    /// Runs `statement` once per parameter set; returns the total rows affected. A
    /// single-row INSERT (Core [`insert`](crate::sql::insert) without RETURNING, ON
    /// CONFLICT or SELECT) is sent as multi-row INSERTs, each with as many rows as the
    /// database's bind-parameter limit allows ([`Dialect::max_bind_params`]); anything
    /// else runs once per parameter set through one prepared statement. See
    /// [`execute_many_returning`](Self::execute_many_returning) for RETURNING.
    ///
    /// ```
    /// use aludel::{params, sql::text};
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// conn.execute(&text("CREATE TABLE t (x INTEGER)"), ())?;
    /// let n = conn.execute_many(&text("INSERT INTO t VALUES (:x)"), &[params! {"x" => 1}, params! {"x" => 2}])?;
    /// assert_eq!(n, 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn execute_many(&mut self, statement: &dyn Executable, params: &[Params]) -> Result<u64> {
        if let Some(StatementRef::Insert(insert)) = statement.statement() {
            if let Some(n) = self.insert_many(insert, params, None)? {
                return Ok(n);
            }
        }
        let prepared = self.engine.prepare(statement)?;
        let rows = params
            .iter()
            .map(|p| prepared.bind(p))
            .collect::<Result<Vec<_>>>()?;
        self.execute_compiled_many(&prepared.compiled, &rows)
    }

    /// Runs a compiled statement once per value list; returns the total rows affected.
    ///
    /// ```
    /// use aludel::sql::{text, Executable, Value};
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// conn.execute(&text("CREATE TABLE t (x INTEGER)"), ())?;
    /// let c = text("INSERT INTO t VALUES (:x)").compile(conn.dialect())?;
    /// assert_eq!(conn.execute_compiled_many(&c, &[vec![Value::Int(1)], vec![Value::Int(2)]])?, 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn execute_compiled_many(
        &mut self,
        compiled: &Compiled,
        rows: &[Vec<Value>],
    ) -> Result<u64> {
        Ok(self
            .execute_compiled_each(compiled, rows)?
            .iter()
            .map(|o| o.rows_affected)
            .sum())
    }

    /// Runs a compiled statement once per value list through one prepared statement
    /// (recorded once, as an executemany) and returns each run's outcome, for callers that
    /// check every row (the unit of work's UPDATEs) or take each row's generated key (its
    /// row-by-row INSERTs on SQLite).
    pub(crate) fn execute_compiled_each(
        &mut self,
        compiled: &Compiled,
        rows: &[Vec<Value>],
    ) -> Result<Vec<ExecOutcome>> {
        let widest = rows.iter().map(Vec::len).max().unwrap_or(0);
        check_bind_count(self.engine.dialect, &compiled.sql, widest)?;
        for values in rows {
            self.check_values(&compiled.sql, &compiled.binds, values)?;
        }
        self.before_statement()?;
        self.engine.emit_many(&compiled.sql, rows.len());
        // Inside a transaction a failed run aborts the rest anyway, so the driver may send
        // them all before reading any answer (PostgreSQL pipelines them).
        let pipelined = self.in_tx && !self.autocommit;
        let pooled = self.pooled()?;
        let result = pooled.driver.execute_each(&compiled.sql, rows, pipelined);
        self.check(result)
            .map_err(|e| name_failed_bind(e, &compiled.binds))
    }

    /// The first column of the first row, converted to `T` (see [`ResultSet::scalar`]).
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let s: String = engine.connect()?.scalar(&aludel::sql::text("SELECT 'hi'"), ())?;
    /// assert_eq!(s, "hi");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn scalar<T: FromValue>(
        &mut self,
        statement: &dyn Executable,
        params: impl Into<Params>,
    ) -> Result<T> {
        self.execute(statement, params)?.scalar()
    }

    /// Runs `statement` and returns its rows as a stream read from the server on demand
    /// (see [`RowStream`]).
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// let rows: Vec<_> = conn.stream(&aludel::sql::text("SELECT 1 UNION ALL SELECT 2"), ())?.collect();
    /// assert_eq!(rows.len(), 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn stream(
        &mut self,
        statement: &dyn Executable,
        params: impl Into<Params>,
    ) -> Result<RowStream<'_>> {
        let (compiled, values) = self.engine.prepare(statement)?.into_bound(&params.into())?;
        self.stream_compiled(&compiled, values)
    }

    /// Streams an already compiled statement with its values in placeholder order (the
    /// ORM's loading path).
    ///
    /// ```
    /// use aludel::sql::{text, Executable, Value};
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// let c = text("SELECT :x").compile(conn.dialect())?;
    /// let rows: Vec<_> = conn.stream_compiled(&c, vec![Value::Int(4)])?.collect::<aludel::Result<_>>()?;
    /// assert_eq!(rows[0].get::<i64>(0)?, 4);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn stream_compiled(
        &mut self,
        compiled: &Compiled,
        values: Vec<Value>,
    ) -> Result<RowStream<'_>> {
        check_bind_count(self.engine.dialect, &compiled.sql, values.len())?;
        self.check_values(&compiled.sql, &compiled.binds, &values)?;
        self.before_statement()?;
        self.engine.emit(&compiled.sql, &values);
        let pooled = self.pooled.as_mut().ok_or_else(closed)?;
        let generation = pooled.generation();
        let PooledConnection {
            driver,
            disconnected,
            ..
        } = pooled;
        let mut signal = DisconnectSignal::new(&self.engine.pool, disconnected, generation);
        match driver.query(&compiled.sql, &values) {
            Ok(source) => Ok(RowStream::new(source, signal, self.options.yield_per)),
            Err(e) => {
                if e.is_disconnect() {
                    signal.raise();
                    self.in_tx = false;
                }
                Err(name_failed_bind(e, &compiled.binds))
            }
        }
    }

    /// Runs SQL text as is: no parameters, not prepared, several statements allowed
    /// (DDL scripts).
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// conn.execute_script("CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER);")?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn execute_script(&mut self, sql: &str) -> Result<()> {
        self.before_statement()?;
        self.control(sql)
    }

    /// Sends SQL as is, without beginning a pending transaction first (COMMIT, ROLLBACK).
    fn control(&mut self, sql: &str) -> Result<()> {
        self.engine.emit(sql, &[]);
        let result = self.pooled()?.driver.execute_batch(sql);
        self.check(result)
    }

    /// Called right before every statement: a transaction begun with
    /// [`begin_transaction`](Self::begin_transaction) reaches the server now, with the
    /// statement that needs it (the driver sends BEGIN, or nothing where autocommit is off);
    /// outside a transaction, the driver makes sure the statement commits on its own.
    fn before_statement(&mut self) -> Result<()> {
        self.apply_timeouts()?;
        let transactional = self.in_tx && !self.autocommit;
        let pooled = self.pooled()?;
        if pooled.in_transaction {
            // Already begun; or an invalidated connection whose transaction is still open
            // (switching MySQL to autocommit now would commit it).
            return Ok(());
        }
        let sent = if transactional {
            pooled.driver.begin()
        } else {
            pooled.driver.autocommit()
        };
        if let Some(sql) = self.check(sent)? {
            self.engine.emit(sql, &[]);
        }
        if transactional {
            self.pooled()?.in_transaction = true;
        }
        Ok(())
    }

    /// Sets the session's timeouts to the execution options' (or the engine's) when they
    /// differ from what the connection last set: before a pending BEGIN, so the SET is
    /// never part of (and never undone with) the transaction it opens.
    fn apply_timeouts(&mut self) -> Result<()> {
        let engine = &self.engine.options;
        let wanted = Timeouts {
            statement: self.options.statement_timeout.or(engine.statement_timeout),
            lock: self.options.lock_timeout.or(engine.lock_timeout),
        };
        let pooled = self.pooled()?;
        if pooled.timeouts == Some(wanted) {
            return Ok(());
        }
        pooled.timeouts = None;
        let result = pooled.driver.set_timeouts(wanted);
        self.check(result)?;
        let pooled = self.pooled()?;
        pooled.timeouts = Some(wanted);
        pooled.timeouts_set_in_tx |= pooled.in_transaction;
        Ok(())
    }

    /// Forgets timeouts set inside the transaction a rollback just undid (PostgreSQL undoes
    /// a SET with the transaction or savepoint it ran in).
    fn forget_timeouts_set_in_tx(&mut self, transaction_ended: bool) {
        if let Some(p) = self.pooled.as_mut() {
            if p.timeouts_set_in_tx {
                p.timeouts = None;
                p.timeouts_set_in_tx = !transaction_ended;
            }
        }
    }

    /// Begins a transaction (no guard; end it with [`commit`](Self::commit) or
    /// [`rollback`](Self::rollback)). Nothing is sent yet: the transaction reaches the
    /// server with the next statement (see the module docs), so one that runs nothing
    /// costs no round trip. With the `Autocommit` isolation level no BEGIN is ever sent.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let rec = engine.record_statements();
    /// let mut conn = engine.connect()?;
    /// conn.begin_transaction()?;
    /// assert!(conn.in_transaction());
    /// conn.commit()?;
    /// assert!(!conn.in_transaction());
    /// assert_eq!(rec.count(), 0, "an empty transaction sends nothing");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn begin_transaction(&mut self) -> Result<()> {
        if self.in_tx {
            return Err(Error::invalid(
                "a transaction is already begun on this connection; use savepoint() or begin_nested() to nest",
            ));
        }
        self.pooled()?;
        self.in_tx = true;
        Ok(())
    }

    /// Commits the current transaction; does nothing when none is open, and sends nothing
    /// when the transaction never ran a statement.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// engine.connect()?.commit()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn commit(&mut self) -> Result<()> {
        if !self.in_tx {
            return Ok(());
        }
        if self.pooled()?.in_transaction {
            self.control("COMMIT")?;
            let pooled = self.pooled()?;
            pooled.in_transaction = false;
            pooled.timeouts_set_in_tx = false;
        }
        self.in_tx = false;
        Ok(())
    }

    /// Rolls back the current transaction; does nothing when none is open, and sends
    /// nothing when the transaction never ran a statement.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// engine.connect()?.rollback()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn rollback(&mut self) -> Result<()> {
        if !self.in_tx {
            return Ok(());
        }
        self.in_tx = false;
        if self.pooled()?.in_transaction {
            let result = self.control("ROLLBACK");
            self.forget_timeouts_set_in_tx(true);
            if let Some(p) = self.pooled.as_mut() {
                p.in_transaction = false;
                // A connection whose rollback failed is in an unknown state.
                p.invalidated |= result.is_err();
            }
            result?;
        }
        Ok(())
    }

    /// Begins a transaction meant to end in two phases (see `engine/two_phase.rs`): as
    /// [`begin_transaction`](Self::begin_transaction), then `start` (XA START) at once.
    pub(crate) fn begin_two_phase(&mut self, start: Option<&str>) -> Result<()> {
        if self.autocommit {
            return Err(Error::invalid(
                "a two-phase transaction needs a transaction, but this connection runs with the Autocommit isolation level",
            ));
        }
        self.begin_transaction()?;
        if let Some(sql) = start {
            if let Err(e) = self.execute_script(sql) {
                self.in_tx = false;
                return Err(e);
            }
        }
        Ok(())
    }

    /// Ends the current transaction with `statements` instead of COMMIT or ROLLBACK (the
    /// prepare phase, XA's rollback), after making sure it reached the server. A failure
    /// leaves the session in an unknown state, so the connection is invalidated: closed
    /// rather than pooled, and the server rolls back what was not prepared.
    pub(crate) fn end_transaction_with(&mut self, statements: &[String]) -> Result<()> {
        let result = self
            .before_statement()
            .and_then(|()| statements.iter().try_for_each(|sql| self.control(sql)));
        self.in_tx = false;
        if let Some(p) = self.pooled.as_mut() {
            p.in_transaction = false;
            p.timeouts_set_in_tx = false;
            p.invalidated |= result.is_err();
        }
        result
    }

    /// Sends `sql` as is, refusing while a transaction is open (COMMIT PREPARED and
    /// ROLLBACK PREPARED cannot run inside one).
    pub(crate) fn control_outside_transaction(&mut self, sql: &str) -> Result<()> {
        if self.in_tx {
            return Err(Error::invalid(format!(
                "{sql} cannot run while a transaction is open on this connection; commit or roll it back first"
            )));
        }
        self.control(sql)
    }

    /// Whether a transaction is open.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// assert!(!engine.connect()?.in_transaction());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn in_transaction(&self) -> bool {
        self.in_tx
    }

    fn savepoint_sql(&mut self, verb: &str, name: &str) -> Result<()> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::invalid(format!(
                "savepoint name '{name}' must be non-empty and contain only ASCII letters, digits and '_'"
            )));
        }
        self.before_statement()?;
        self.control(&format!("{verb} {name}"))
    }

    /// Sets a savepoint, beginning a transaction first when none is open.
    ///
    /// ```
    /// use aludel::sql::text;
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// conn.execute(&text("CREATE TABLE t (x INTEGER)"), ())?;
    /// conn.begin_transaction()?;
    /// conn.execute(&text("INSERT INTO t VALUES (1)"), ())?;
    /// conn.savepoint("sp1")?;
    /// conn.execute(&text("INSERT INTO t VALUES (2)"), ())?;
    /// conn.rollback_to_savepoint("sp1")?;
    /// conn.release_savepoint("sp1")?;
    /// conn.commit()?;
    /// assert_eq!(conn.scalar::<i64>(&text("SELECT count(*) FROM t"), ())?, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn savepoint(&mut self, name: &str) -> Result<()> {
        if self.autocommit {
            // SQLite would open a transaction nobody commits; PostgreSQL refuses outright.
            return Err(Error::invalid(format!(
                "SAVEPOINT {name} needs a transaction, but this connection is in AUTOCOMMIT mode"
            )));
        }
        if !self.in_tx {
            self.begin_transaction()?;
        }
        self.savepoint_sql("SAVEPOINT", name)
    }

    /// Releases (keeps the work of) a savepoint.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// conn.savepoint("a")?;
    /// conn.release_savepoint("a")?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn release_savepoint(&mut self, name: &str) -> Result<()> {
        self.savepoint_sql("RELEASE SAVEPOINT", name)
    }

    /// Undoes everything since the savepoint (the savepoint stays set).
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// conn.savepoint("a")?;
    /// conn.rollback_to_savepoint("a")?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn rollback_to_savepoint(&mut self, name: &str) -> Result<()> {
        let result = self.savepoint_sql("ROLLBACK TO SAVEPOINT", name);
        self.forget_timeouts_set_in_tx(false);
        result
    }

    /// Begins a transaction guarded by a [`Transaction`] that rolls back when dropped
    /// without [`Transaction::commit`].
    ///
    /// ```
    /// use aludel::sql::text;
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// conn.execute(&text("CREATE TABLE t (x INTEGER)"), ())?;
    /// {
    ///     let mut tx = conn.begin()?;
    ///     tx.execute(&text("INSERT INTO t VALUES (1)"), ())?;
    /// } // rolled back
    /// assert_eq!(conn.scalar::<i64>(&text("SELECT count(*) FROM t"), ())?, 0);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn begin(&mut self) -> Result<Transaction<'_>> {
        Transaction::begin_borrowed(self)
    }

    /// Sets a savepoint guarded by a [`Savepoint`] that rolls back to it when dropped
    /// without [`Savepoint::commit`].
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// let mut tx = conn.begin()?;
    /// tx.begin_nested()?.commit()?;
    /// tx.commit()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn begin_nested(&mut self) -> Result<Savepoint<'_>> {
        self.savepoint_seq += 1;
        let name = format!("aludel_sp_{}", self.savepoint_seq);
        Savepoint::begin(self, name)
    }

    /// Sets this connection's isolation level (restored when it returns to the pool).
    /// SQLite knows `Serializable` (its default), `ReadUncommitted` and `Autocommit`.
    ///
    /// ```
    /// use aludel::engine::IsolationLevel;
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// conn.set_isolation_level(IsolationLevel::ReadUncommitted)?;
    /// assert_eq!(conn.isolation_level()?, IsolationLevel::ReadUncommitted);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn set_isolation_level(&mut self, level: IsolationLevel) -> Result<()> {
        if self.in_tx {
            return Err(Error::invalid(
                "cannot change the isolation level while a transaction is open",
            ));
        }
        if level == IsolationLevel::Autocommit {
            self.autocommit = true;
            return Ok(());
        }
        self.autocommit = false;
        if self.pooled()?.reset_isolation.is_none() {
            let current = self.pooled()?.driver.isolation();
            let current = self.check(current)?;
            self.pooled()?.reset_isolation = Some(current);
        }
        let result = self.pooled()?.driver.set_isolation(level);
        self.check(result)
    }

    /// The isolation level in force, read back from the server.
    ///
    /// ```
    /// use aludel::engine::IsolationLevel;
    /// let engine = aludel::create_engine("sqlite://")?;
    /// assert_eq!(engine.connect()?.isolation_level()?, IsolationLevel::Serializable);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn isolation_level(&mut self) -> Result<IsolationLevel> {
        if self.autocommit {
            return Ok(IsolationLevel::Autocommit);
        }
        let result = self.pooled()?.driver.isolation();
        self.check(result)
    }

    /// Checks the connection with a round trip.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// engine.connect()?.ping()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn ping(&mut self) -> Result<()> {
        let result = self.pooled()?.driver.ping();
        self.check(result)
    }

    /// Marks the connection unusable: it is closed instead of returned to the pool. Only
    /// this connection is affected; a disconnect error, by contrast, invalidates every
    /// connection the pool opened before it.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// conn.invalidate();
    /// assert!(conn.is_invalidated());
    /// drop(conn);
    /// assert_eq!(engine.pool_status().open, 0);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn invalidate(&mut self) {
        if let Some(p) = self.pooled.as_mut() {
            p.invalidated = true;
        }
        self.in_tx = false;
    }

    /// Whether the connection was invalidated (by [`invalidate`](Self::invalidate) or a
    /// disconnect error).
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// assert!(!engine.connect()?.is_invalidated());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn is_invalidated(&self) -> bool {
        self.pooled
            .as_ref()
            .is_none_or(|p| p.invalidated || p.disconnected)
    }

    /// Returns the connection to the pool now (same as dropping it).
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// engine.connect()?.close();
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn close(self) {}
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Some(pooled) = self.pooled.take() {
            self.engine.pool.checkin(pooled);
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("url", &self.engine.url)
            .field("in_transaction", &self.in_tx)
            .field("invalidated", &self.is_invalidated())
            .finish()
    }
}

/// A driver that encodes values client side (PostgreSQL) reports a value it cannot encode as
/// "error serializing parameter N", which names a placeholder, not the column. Puts the
/// column the value is stored in or compared with (or its parameter name) in front.
fn name_failed_bind(err: Error, binds: &[BindSlot]) -> Error {
    let Error::Data(mut e) = err else { return err };
    let index = e
        .message
        .strip_prefix("error serializing parameter ")
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|digits| digits.parse::<usize>().ok());
    if let Some((i, slot)) = index.and_then(|i| binds.get(i).map(|s| (i, s))) {
        e.message = format!(
            "cannot bind the value for {}: {}",
            slot.describe(i),
            e.message
        );
    }
    Error::Data(e)
}
