//! [`Engine`] and [`create_engine`]: a URL, a dialect and a pool of connections.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::dialects::{self, Dialect};
use crate::engine::compiled_cache::{CompiledCache, CompiledCacheStats, Prepared};
use crate::engine::connection::Connection;
use crate::engine::driver;
use crate::engine::options::{EngineBuilder, EngineOptions, IsolationLevel};
use crate::engine::pool::{Pool, PoolConfig, PoolStatus};
use crate::engine::recorder::StatementRecorder;
use crate::engine::round_trips::RoundTrips;
use crate::engine::transaction::Transaction;
use crate::engine::two_phase::TwoPhaseTransaction;
use crate::engine::url::Url;
use crate::error::{Error, Result};
use crate::sql::{Executable, Value};

/// Creates an [`Engine`] for `url` with default options (SQLAlchemy's `create_engine`).
///
/// `sqlite://:memory:` (and `sqlite://`) engines keep one connection so the database
/// lives across `connect()` calls (each connection to `:memory:` is a new empty database).
/// One user at a time: a `connect()` from another thread waits for it (up to
/// `pool_timeout`), and a second `connect()` (or `Session`) on the thread that already
/// holds it fails at once with [`Error::InvalidRequest`] naming `:memory:`, since waiting
/// could never end. Use a file database for several connections at once.
///
/// ```
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// assert_eq!(engine.dialect().name(), "sqlite");
/// let first = engine.connect()?;
/// let err = engine.connect().unwrap_err(); // at once, not after pool_timeout
/// assert!(err.to_string().contains(":memory: has a single connection"));
/// drop(first);
/// engine.connect()?; // free again
/// # Ok::<(), aludel::Error>(())
/// ```
pub fn create_engine(url: &str) -> Result<Engine> {
    Engine::with_options(url, EngineOptions::default())
}

/// The entry point to a database: its URL, dialect and connection pool. Cheap to clone
/// (an `Arc`), `Send + Sync`; share one per database across threads.
///
/// ```
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// let e2 = engine.clone();
/// std::thread::spawn(move || e2.connect().map(|_| ())).join().unwrap()?;
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

pub(crate) struct EngineInner {
    pub(crate) url: Url,
    pub(crate) dialect: &'static dyn Dialect,
    pub(crate) options: EngineOptions,
    pub(crate) pool: Pool,
    pub(crate) compiled: CompiledCache,
    round_trips: RoundTrips,
    recording: AtomicBool,
    recorders: Mutex<Vec<Weak<Mutex<Vec<String>>>>>,
}

impl Engine {
    /// Starts an [`EngineBuilder`] for `url`.
    ///
    /// ```
    /// let engine = aludel::engine::Engine::builder("sqlite://").pool_pre_ping(true).build()?;
    /// assert!(engine.options().pool_pre_ping);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn builder(url: &str) -> EngineBuilder {
        EngineBuilder::new(url)
    }

    /// Creates an engine for `url` with `options`. No connection is opened yet.
    ///
    /// ```
    /// use aludel::engine::{Engine, EngineOptions};
    /// let engine = Engine::with_options("sqlite://", EngineOptions::default())?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_options(url: &str, mut options: EngineOptions) -> Result<Engine> {
        let mut url = Url::parse(url)?;
        for (k, v) in &options.connect_args {
            url = url.with_query(k.clone(), v.clone());
        }
        let dialect = dialects::by_name(url.backend().name())
            .ok_or_else(|| Error::config(format!("no dialect for '{}'", url.backend().name())))?;
        if url.is_memory() {
            // One shared connection, so the in-memory database lives across connect() calls;
            // never recycled, as replacing it would silently empty the database.
            options.pool_size = 1;
            options.max_overflow = 0;
            options.pool_recycle = None;
        }
        if options.pool_size + options.max_overflow == 0 {
            return Err(Error::config(
                "pool_size + max_overflow is 0: the pool could never hand out a connection",
            ));
        }
        let config = PoolConfig {
            size: options.pool_size,
            max_overflow: options.max_overflow,
            timeout: options.pool_timeout,
            recycle: options.pool_recycle,
            pre_ping: options.pool_pre_ping,
            memory: url.is_memory(),
        };
        // Timeouts are the engine's options (in milliseconds in a URL), not the driver's.
        let mut connect_url = url.clone();
        for key in ["statement_timeout", "lock_timeout"] {
            if let Some(value) = connect_url.take_query(key) {
                let ms: u64 = driver::parse_option(key, &value)?;
                let option = if key == "lock_timeout" {
                    &mut options.lock_timeout
                } else {
                    &mut options.statement_timeout
                };
                option.get_or_insert(Duration::from_millis(ms));
            }
        }
        let autocommit = options.isolation_level == Some(IsolationLevel::Autocommit);
        let isolation = options.isolation_level.filter(|_| !autocommit);
        let round_trips = RoundTrips::default();
        let counter = round_trips.clone();
        let connector = Box::new(move || {
            let mut conn = driver::connect(&connect_url)?;
            conn.count_round_trips(counter.clone());
            if let Some(level) = isolation {
                conn.set_isolation(level)?;
            }
            if autocommit {
                // Where connections run with autocommit off (MySQL), switch it on now
                // rather than before the first statement.
                conn.autocommit()?;
            }
            Ok(conn)
        });
        let compiled = CompiledCache::new(options.compiled_cache_size);
        Ok(Engine {
            inner: Arc::new(EngineInner {
                compiled,
                url,
                dialect,
                options,
                pool: Pool::new(config, connector),
                round_trips,
                recording: AtomicBool::new(false),
                recorders: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Checks a connection out of the pool (opening one if needed). It returns to the pool
    /// when dropped, rolled back.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// assert_eq!(conn.scalar::<i64>(&aludel::sql::text("SELECT 1"), ())?, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn connect(&self) -> Result<Connection> {
        let pooled = self.inner.pool.checkout()?;
        Ok(Connection::new(self.inner.clone(), pooled))
    }

    /// Checks out a connection and begins a transaction on it; the guard commits with
    /// [`Transaction::commit`] and rolls back when dropped.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut tx = engine.begin()?;
    /// assert!(tx.in_transaction());
    /// tx.commit()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn begin(&self) -> Result<Transaction<'static>> {
        Transaction::begin_owned(self.connect()?)
    }

    /// Checks out a connection and begins a [`TwoPhaseTransaction`] on it (owning the
    /// connection), with `xid` as its id or a generated one; see
    /// [`Connection::begin_twophase`](crate::Connection::begin_twophase).
    ///
    /// ```
    /// # let Some(url) = std::env::var("ALUDEL_TEST_MYSQL").ok() else { return Ok(()) };
    /// use aludel::sql::text;
    /// let engine = aludel::create_engine(&url)?;
    /// let mut tx = engine.begin_twophase(None)?;
    /// assert_eq!(tx.scalar::<i64>(&text("SELECT 7"), ())?, 7);
    /// tx.commit()?; // XA END, XA PREPARE, XA COMMIT
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn begin_twophase(&self, xid: Option<&str>) -> Result<TwoPhaseTransaction<'static>> {
        TwoPhaseTransaction::begin_owned(self.connect()?, xid)
    }

    /// Whether both handles are the same engine (clones share one pool).
    pub(crate) fn same(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The engine's URL (its `Display` hides the password).
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite:///app.db")?;
    /// assert_eq!(engine.url().database(), Some("app.db"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn url(&self) -> &Url {
        &self.inner.url
    }

    /// The dialect statements are compiled for.
    ///
    /// ```
    /// assert_eq!(aludel::create_engine("sqlite://")?.dialect().name(), "sqlite");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn dialect(&self) -> &'static dyn Dialect {
        self.inner.dialect
    }

    /// The options the engine was built with (for `:memory:`, the forced pool size 1 and no
    /// `pool_recycle`).
    ///
    /// ```
    /// assert_eq!(aludel::create_engine("sqlite://")?.options().pool_size, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn options(&self) -> &EngineOptions {
        &self.inner.options
    }

    /// The pool's counters.
    ///
    /// ```
    /// assert_eq!(aludel::create_engine("sqlite://")?.pool_status().open, 0);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn pool_status(&self) -> PoolStatus {
        self.inner.pool.status()
    }

    /// Closes every idle connection (connections in use return to the pool as usual), like
    /// SQLAlchemy's `Engine.dispose()`. For `:memory:` this discards the database.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// drop(engine.connect()?);
    /// engine.dispose();
    /// assert_eq!(engine.pool_status().open, 0);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn dispose(&self) {
        self.inner.pool.dispose();
    }

    /// The compiled-shape cache's counters: statements that found their shape compiled
    /// (`hits`), statements compiled (`misses`), shapes held and their estimated size. Core
    /// statements run through any connection or session of the engine, ORM queries
    /// (`all`, `first`, `count`, ...) and flush statements all go through the cache.
    ///
    /// ```
    /// use aludel::sql::{select, Column, SqlType, Table};
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let t = Table::build("t").column(Column::new("x", SqlType::Integer)).finish();
    /// let mut conn = engine.connect()?;
    /// conn.execute_script("CREATE TABLE t (x INTEGER)")?;
    /// for x in 0..3 {
    ///     conn.execute(&select([t.c("x")]).from(&t).where_(t.c("x").eq(x)), ())?;
    /// }
    /// let stats = engine.compiled_cache_stats();
    /// assert_eq!((stats.misses, stats.hits), (1, 2));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn compiled_cache_stats(&self) -> CompiledCacheStats {
        self.inner.compiled.stats()
    }

    /// Compiles `statement` through the engine's compiled-shape cache.
    pub(crate) fn prepare(&self, statement: &dyn Executable) -> Result<Prepared> {
        self.inner.prepare(statement)
    }

    /// How many round trips to the database server this engine's connections made so far:
    /// one per command a driver sends and waits for (a statement, a prepare on a statement
    /// cache miss, BEGIN/COMMIT/ROLLBACK, including the pool's rollback at checkin, a ping,
    /// an isolation-level read). Opening a connection is not counted, and SQLite, which
    /// runs in-process, counts none. Read it before and after an operation to see its cost.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// engine.connect()?.execute(&aludel::sql::text("SELECT 1"), ())?;
    /// assert_eq!(engine.round_trips(), 0); // SQLite has no server
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn round_trips(&self) -> u64 {
        self.inner.round_trips.get()
    }

    /// Starts recording every statement executed through this engine (see
    /// [`StatementRecorder`]).
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let rec = engine.record_statements();
    /// engine.connect()?.execute(&aludel::sql::text("SELECT 1"), ())?;
    /// assert_eq!(rec.count(), 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn record_statements(&self) -> StatementRecorder {
        let recorder = StatementRecorder::default();
        let mut recorders = self
            .inner
            .recorders
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        recorders.push(Arc::downgrade(&recorder.log));
        self.inner.recording.store(true, Ordering::Release);
        recorder
    }
}

impl EngineInner {
    /// Compiles `statement` through the compiled-shape cache.
    pub(crate) fn prepare(&self, statement: &dyn Executable) -> Result<Prepared> {
        self.compiled.prepare(self.dialect, statement)
    }

    /// Logs (echo) and records a statement about to run.
    pub(crate) fn emit(&self, sql: &str, values: &[Value]) {
        if self.options.echo {
            log::info!(target: "aludel::engine", "{sql}");
            if self.options.echo_params && !values.is_empty() {
                log::debug!(target: "aludel::engine", "[parameters: {values:?}]");
            }
        }
        self.record(sql);
    }

    /// Logs and records an `executemany`.
    pub(crate) fn emit_many(&self, sql: &str, sets: usize) {
        if self.options.echo {
            log::info!(target: "aludel::engine", "{sql} [executemany: {sets} parameter sets]");
        }
        self.record(sql);
    }

    fn record(&self, sql: &str) {
        if !self.recording.load(Ordering::Acquire) {
            return;
        }
        let mut recorders = self.recorders.lock().unwrap_or_else(|p| p.into_inner());
        recorders.retain(|weak| match weak.upgrade() {
            Some(log) => {
                StatementRecorder::push(&log, sql);
                true
            }
            None => false,
        });
        if recorders.is_empty() {
            self.recording.store(false, Ordering::Release);
        }
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Engine({})", self.inner.url)
    }
}
