//! Engine configuration ([`EngineOptions`], built with [`EngineBuilder`]), isolation levels
//! and per-connection execution options.

use std::fmt;
use std::time::Duration;

use crate::engine::engine::Engine;
use crate::error::Result;

/// SQL transaction isolation levels, plus `Autocommit` (no transaction is begun at all).
///
/// ```
/// use aludel::engine::IsolationLevel;
/// assert_eq!(IsolationLevel::RepeatableRead.as_sql(), "REPEATABLE READ");
/// assert_eq!(IsolationLevel::parse("read-committed"), Some(IsolationLevel::ReadCommitted));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IsolationLevel {
    /// `READ UNCOMMITTED` (SQLite: `PRAGMA read_uncommitted = 1`).
    ReadUncommitted,
    /// `READ COMMITTED` (the PostgreSQL default; not available on SQLite).
    ReadCommitted,
    /// `REPEATABLE READ` (the MySQL/MariaDB default; not available on SQLite).
    RepeatableRead,
    /// `SERIALIZABLE` (the SQLite default).
    Serializable,
    /// Every statement commits on its own: `begin_transaction()` emits no BEGIN.
    Autocommit,
}

impl IsolationLevel {
    /// The level as SQL spells it.
    ///
    /// ```
    /// assert_eq!(aludel::engine::IsolationLevel::Serializable.as_sql(), "SERIALIZABLE");
    /// ```
    pub fn as_sql(self) -> &'static str {
        match self {
            IsolationLevel::ReadUncommitted => "READ UNCOMMITTED",
            IsolationLevel::ReadCommitted => "READ COMMITTED",
            IsolationLevel::RepeatableRead => "REPEATABLE READ",
            IsolationLevel::Serializable => "SERIALIZABLE",
            IsolationLevel::Autocommit => "AUTOCOMMIT",
        }
    }

    /// Parses a level as servers report it (`read committed`, `REPEATABLE-READ`,
    /// `serializable`, `autocommit`), case-insensitively.
    ///
    /// ```
    /// use aludel::engine::IsolationLevel;
    /// assert_eq!(IsolationLevel::parse("REPEATABLE-READ"), Some(IsolationLevel::RepeatableRead));
    /// assert_eq!(IsolationLevel::parse("snapshot"), None);
    /// ```
    pub fn parse(s: &str) -> Option<IsolationLevel> {
        let norm: String = s
            .trim()
            .chars()
            .map(|c| if c == '-' || c == '_' { ' ' } else { c })
            .collect::<String>()
            .to_ascii_uppercase();
        [
            IsolationLevel::ReadUncommitted,
            IsolationLevel::ReadCommitted,
            IsolationLevel::RepeatableRead,
            IsolationLevel::Serializable,
            IsolationLevel::Autocommit,
        ]
        .into_iter()
        .find(|l| l.as_sql() == norm)
    }
}

impl fmt::Display for IsolationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_sql())
    }
}

/// Engine configuration: SQLAlchemy's `create_engine` keyword arguments.
///
/// ```
/// use aludel::engine::EngineOptions;
/// let o = EngineOptions::default();
/// assert_eq!((o.pool_size, o.max_overflow), (5, 10));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EngineOptions {
    /// Log every statement through the `log` crate (target `aludel::engine`, level info).
    /// `log` is only a facade: nothing is printed until the application installs a logger,
    /// e.g. `env_logger::init();` in `main`, run with `RUST_LOG=aludel::engine=info`.
    pub echo: bool,
    /// Also log bound values (level debug). Off by default, as values may be secrets.
    pub echo_params: bool,
    /// Connections kept open in the pool.
    pub pool_size: usize,
    /// Extra connections opened when all pooled ones are busy, closed on return.
    pub max_overflow: usize,
    /// How long `connect()` waits for a connection before [`crate::Error::PoolTimeout`].
    pub pool_timeout: Duration,
    /// Connections older than this are closed and replaced at checkout.
    pub pool_recycle: Option<Duration>,
    /// Ping each connection at checkout and replace it when dead.
    pub pool_pre_ping: bool,
    /// The isolation level set on every new connection.
    pub isolation_level: Option<IsolationLevel>,
    /// Driver connect arguments, merged into the URL's query options.
    pub connect_args: Vec<(String, String)>,
    /// How many statement shapes the engine keeps compiled (SQLAlchemy's
    /// `query_cache_size`); 0 turns the cache off. See
    /// [`Engine::compiled_cache_stats`](crate::engine::Engine::compiled_cache_stats).
    pub compiled_cache_size: usize,
    /// The longest a statement may run before the server cancels it with
    /// [`DatabaseErrorKind::StatementTimeout`](crate::DatabaseErrorKind::StatementTimeout);
    /// `None` leaves the server's setting alone, `Duration::ZERO` means no limit. Also the
    /// URL option `statement_timeout` (milliseconds). See docs/engine.md, "Timeouts".
    pub statement_timeout: Option<Duration>,
    /// The longest a statement waits for a row or table lock before failing with
    /// [`DatabaseErrorKind::LockTimeout`](crate::DatabaseErrorKind::LockTimeout); `None`
    /// leaves the server's setting alone, `Duration::ZERO` means no limit. Also the URL
    /// option `lock_timeout` (milliseconds).
    pub lock_timeout: Option<Duration>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            echo: false,
            echo_params: false,
            pool_size: 5,
            max_overflow: 10,
            pool_timeout: Duration::from_secs(30),
            pool_recycle: None,
            pool_pre_ping: false,
            isolation_level: None,
            connect_args: Vec::new(),
            compiled_cache_size: 500,
            statement_timeout: None,
            lock_timeout: None,
        }
    }
}

/// Builds an [`Engine`]: `Engine::builder(url).pool_size(5).build()?`.
///
/// ```
/// use std::time::Duration;
/// use aludel::engine::{Engine, IsolationLevel};
/// let engine = Engine::builder("sqlite://:memory:")
///     .echo(true)
///     .pool_timeout(Duration::from_secs(2))
///     .pool_pre_ping(true)
///     .isolation_level(IsolationLevel::Serializable)
///     .build()?;
/// assert_eq!(engine.options().pool_timeout, Duration::from_secs(2));
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "call build() to create the engine"]
pub struct EngineBuilder {
    url: String,
    options: EngineOptions,
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty => $field:ident = $conv:expr;)*) => {$(
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.options.$field = $conv(value);
            self
        }
    )*};
}

impl EngineBuilder {
    pub(crate) fn new(url: &str) -> Self {
        EngineBuilder {
            url: url.to_owned(),
            options: EngineOptions::default(),
        }
    }

    setters! {
        /// Log statements (see [`EngineOptions::echo`]) through the `log` crate, target
        /// `aludel::engine`, level info.
        ///
        /// `log` is a facade: `echo(true)` prints nothing unless the application has
        /// installed a logger. With the `env_logger` crate, one line at the start of `main`
        /// enables it: `env_logger::init();` (run with `RUST_LOG=aludel::engine=info`), or
        /// without the variable:
        /// `env_logger::Builder::new().filter_module("aludel::engine", log::LevelFilter::Info).init();`
        ///
        /// ```
        /// let engine = aludel::engine::Engine::builder("sqlite://").echo(true).build()?;
        /// assert!(engine.options().echo);
        /// # Ok::<(), aludel::Error>(())
        /// ```
        echo: bool => echo = |v| v;
        /// Log bound values too (see [`EngineOptions::echo_params`]).
        ///
        /// ```
        /// let b = aludel::engine::Engine::builder("sqlite://").echo_params(true);
        /// ```
        echo_params: bool => echo_params = |v| v;
        /// Connections kept in the pool.
        ///
        /// ```
        /// let b = aludel::engine::Engine::builder("sqlite://x.db").pool_size(2);
        /// ```
        pool_size: usize => pool_size = |v| v;
        /// Extra connections beyond `pool_size`.
        ///
        /// ```
        /// let b = aludel::engine::Engine::builder("sqlite://x.db").max_overflow(0);
        /// ```
        max_overflow: usize => max_overflow = |v| v;
        /// How long to wait for a free connection.
        ///
        /// ```
        /// let b = aludel::engine::Engine::builder("sqlite://").pool_timeout(std::time::Duration::from_secs(1));
        /// ```
        pool_timeout: Duration => pool_timeout = |v| v;
        /// Replace connections older than this.
        ///
        /// ```
        /// let b = aludel::engine::Engine::builder("sqlite://").pool_recycle(std::time::Duration::from_secs(3600));
        /// ```
        pool_recycle: Duration => pool_recycle = Some;
        /// How many statement shapes stay compiled (0: no cache).
        ///
        /// ```
        /// let engine = aludel::engine::Engine::builder("sqlite://").compiled_cache_size(0).build()?;
        /// assert_eq!(engine.compiled_cache_stats().capacity, 0);
        /// # Ok::<(), aludel::Error>(())
        /// ```
        compiled_cache_size: usize => compiled_cache_size = |v| v;
        /// Ping connections at checkout.
        ///
        /// ```
        /// let b = aludel::engine::Engine::builder("sqlite://").pool_pre_ping(true);
        /// ```
        pool_pre_ping: bool => pool_pre_ping = |v| v;
        /// Isolation level of every connection.
        ///
        /// ```
        /// use aludel::engine::IsolationLevel;
        /// let b = aludel::engine::Engine::builder("sqlite://").isolation_level(IsolationLevel::Autocommit);
        /// ```
        isolation_level: IsolationLevel => isolation_level = Some;
        /// The default statement timeout of every connection (see
        /// [`EngineOptions::statement_timeout`]); a statement running longer is cancelled
        /// with [`DatabaseErrorKind::StatementTimeout`](crate::DatabaseErrorKind::StatementTimeout).
        /// [`ExecutionOptions::statement_timeout`] overrides it per connection.
        ///
        /// ```
        /// use std::time::Duration;
        /// let engine = aludel::engine::Engine::builder("sqlite://")
        ///     .statement_timeout(Duration::from_secs(30))
        ///     .build()?;
        /// assert_eq!(engine.options().statement_timeout, Some(Duration::from_secs(30)));
        /// # Ok::<(), aludel::Error>(())
        /// ```
        statement_timeout: Duration => statement_timeout = Some;
        /// The default lock wait timeout of every connection (see
        /// [`EngineOptions::lock_timeout`]); on SQLite, the busy timeout. MariaDB counts
        /// whole seconds: a fraction is rounded up (200 ms waits 1 s), never down to 0.
        ///
        /// ```
        /// use std::time::Duration;
        /// let engine = aludel::engine::Engine::builder("sqlite://")
        ///     .lock_timeout(Duration::from_millis(500))
        ///     .build()?;
        /// assert_eq!(engine.options().lock_timeout, Some(Duration::from_millis(500)));
        /// # Ok::<(), aludel::Error>(())
        /// ```
        lock_timeout: Duration => lock_timeout = Some;
    }

    /// Adds a driver connect argument (same as a URL query option).
    ///
    /// ```
    /// let b = aludel::engine::Engine::builder("sqlite://x.db").connect_arg("busy_timeout", "100");
    /// ```
    pub fn connect_arg(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.connect_args.push((key.into(), value.into()));
        self
    }

    /// Replaces all options at once.
    ///
    /// ```
    /// use aludel::engine::{Engine, EngineOptions};
    /// let e = Engine::builder("sqlite://").options(EngineOptions::default()).build().unwrap();
    /// ```
    pub fn options(mut self, options: EngineOptions) -> Self {
        self.options = options;
        self
    }

    /// Parses the URL and creates the engine. No connection is opened yet.
    ///
    /// ```
    /// assert!(aludel::engine::Engine::builder("nope://").build().is_err());
    /// ```
    pub fn build(self) -> Result<Engine> {
        Engine::with_options(&self.url, self.options)
    }
}

/// Options for how statements run on one connection (SQLAlchemy's `execution_options`).
///
/// ```
/// use aludel::engine::ExecutionOptions;
/// let o = ExecutionOptions::default().stream_results(true).yield_per(500);
/// assert_eq!(o.yield_per, Some(500));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExecutionOptions {
    /// Results should be streamed rather than buffered. [`crate::engine::Connection::stream`]
    /// always streams; callers that choose between `execute` and `stream` (the ORM's
    /// loaders) read this flag to decide.
    pub stream_results: bool,
    /// How many rows each batch of [`crate::engine::RowStream::partitions`] holds
    /// (default 1000).
    pub yield_per: Option<usize>,
    /// Overrides the engine's [`EngineOptions::statement_timeout`] for the following
    /// statements (`Duration::ZERO`: no limit); `None` keeps the engine's.
    pub statement_timeout: Option<Duration>,
    /// Overrides the engine's [`EngineOptions::lock_timeout`] for the following statements
    /// (`Duration::ZERO`: no limit); `None` keeps the engine's.
    pub lock_timeout: Option<Duration>,
}

impl ExecutionOptions {
    /// Sets `stream_results`.
    ///
    /// ```
    /// assert!(aludel::engine::ExecutionOptions::default().stream_results(true).stream_results);
    /// ```
    pub fn stream_results(mut self, on: bool) -> Self {
        self.stream_results = on;
        self
    }

    /// Sets `yield_per` (implies `stream_results`).
    ///
    /// ```
    /// assert!(aludel::engine::ExecutionOptions::default().yield_per(10).stream_results);
    /// ```
    pub fn yield_per(mut self, rows: usize) -> Self {
        self.yield_per = Some(rows.max(1));
        self.stream_results = true;
        self
    }

    /// Sets the statement timeout of the following statements, over the engine's
    /// (`Duration::ZERO`: no limit). A statement that runs longer fails with
    /// [`DatabaseErrorKind::StatementTimeout`](crate::DatabaseErrorKind::StatementTimeout).
    ///
    /// ```
    /// use std::time::Duration;
    /// use aludel::engine::ExecutionOptions;
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// conn.set_execution_options(ExecutionOptions::default().statement_timeout(Duration::from_millis(100)));
    /// let err = conn
    ///     .execute_script("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c")
    ///     .unwrap_err();
    /// assert_eq!(err.database_error().unwrap().kind, aludel::DatabaseErrorKind::StatementTimeout);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// Sets the lock wait timeout of the following statements, over the engine's
    /// (`Duration::ZERO`: no limit).
    ///
    /// ```
    /// use std::time::Duration;
    /// let o = aludel::engine::ExecutionOptions::default().lock_timeout(Duration::from_secs(1));
    /// assert_eq!(o.lock_timeout, Some(Duration::from_secs(1)));
    /// ```
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }
}
