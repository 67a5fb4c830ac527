//! How a query runs: `populate_existing`, per-query `autoflush`, `yield_per`, timeouts,
//! `execution_options` / `get_execution_options`, and `enable_assertions`.

use std::time::Duration;

use crate::orm::loading::LoadOptions;
use crate::orm::mapper::Model;
use crate::orm::query::{Query, Selection};

/// A query's execution options (SQLAlchemy's `Query.execution_options`); each is unset
/// until given, and [`Query::execution_options`] merges the ones given over the query's.
///
/// ```
/// use aludel::orm::QueryOptions;
/// let o = QueryOptions::new().yield_per(100).populate_existing(true);
/// assert_eq!(o.get_yield_per(), Some(100));
/// assert!(o.is_populate_existing());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOptions {
    yield_per: Option<usize>,
    populate_existing: Option<bool>,
    autoflush: Option<bool>,
    statement_timeout: Option<Duration>,
    lock_timeout: Option<Duration>,
}

impl QueryOptions {
    /// No options set.
    ///
    /// ```
    /// assert_eq!(aludel::orm::QueryOptions::new().get_yield_per(), None);
    /// ```
    pub fn new() -> Self {
        QueryOptions::default()
    }

    /// The batch size of a streaming query (SQLAlchemy's `yield_per`):
    /// [`Query::for_each`] and [`Query::for_each_partition`] read the rows in batches of
    /// `n` objects, one batch in memory at a time. `all()` is not affected.
    ///
    /// ```
    /// assert_eq!(aludel::orm::QueryOptions::new().yield_per(50).get_yield_per(), Some(50));
    /// ```
    pub fn yield_per(mut self, n: usize) -> Self {
        self.yield_per = Some(n);
        self
    }

    /// Overwrite objects already in the session with the loaded rows.
    ///
    /// ```
    /// assert!(aludel::orm::QueryOptions::new().populate_existing(true).is_populate_existing());
    /// ```
    pub fn populate_existing(mut self, on: bool) -> Self {
        self.populate_existing = Some(on);
        self
    }

    /// Flush pending changes before the query runs (when the session autoflushes).
    ///
    /// ```
    /// assert!(!aludel::orm::QueryOptions::new().autoflush(false).is_autoflush());
    /// ```
    pub fn autoflush(mut self, on: bool) -> Self {
        self.autoflush = Some(on);
        self
    }

    /// A statement timeout for the query's SELECT, over the session connection's and the
    /// engine's (see [`ExecutionOptions::statement_timeout`](crate::engine::ExecutionOptions::statement_timeout));
    /// `Duration::ZERO` is no limit.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// use std::time::Duration;
    /// use aludel::orm::QueryOptions;
    /// let s = aludel::orm::Session::new(&engine);
    /// let q = s.query::<T>().execution_options(QueryOptions::new().statement_timeout(Duration::from_secs(5)));
    /// assert_eq!(q.get_execution_options().get_statement_timeout(), Some(Duration::from_secs(5)));
    /// assert!(q.all()?.is_empty());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// A lock timeout for the query's SELECT (a `FOR UPDATE` waiting on a locked row),
    /// over the session connection's and the engine's; `Duration::ZERO` is no limit.
    ///
    /// ```
    /// use std::time::Duration;
    /// let o = aludel::orm::QueryOptions::new().lock_timeout(Duration::from_secs(1));
    /// assert_eq!(o.get_lock_timeout(), Some(Duration::from_secs(1)));
    /// ```
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// The statement timeout, if set.
    ///
    /// ```
    /// assert_eq!(aludel::orm::QueryOptions::new().get_statement_timeout(), None);
    /// ```
    pub fn get_statement_timeout(&self) -> Option<Duration> {
        self.statement_timeout
    }

    /// The lock timeout, if set.
    ///
    /// ```
    /// assert_eq!(aludel::orm::QueryOptions::new().get_lock_timeout(), None);
    /// ```
    pub fn get_lock_timeout(&self) -> Option<Duration> {
        self.lock_timeout
    }

    /// The `yield_per` batch size, if set.
    ///
    /// ```
    /// assert_eq!(aludel::orm::QueryOptions::new().get_yield_per(), None);
    /// ```
    pub fn get_yield_per(&self) -> Option<usize> {
        self.yield_per
    }

    /// Whether `populate_existing` is on (off unless set).
    ///
    /// ```
    /// assert!(!aludel::orm::QueryOptions::new().is_populate_existing());
    /// ```
    pub fn is_populate_existing(&self) -> bool {
        self.populate_existing.unwrap_or(false)
    }

    /// Whether the query autoflushes (on unless set off; the session's own setting
    /// still applies).
    ///
    /// ```
    /// assert!(aludel::orm::QueryOptions::new().is_autoflush());
    /// ```
    pub fn is_autoflush(&self) -> bool {
        self.autoflush.unwrap_or(true)
    }

    fn merge(&mut self, other: QueryOptions) {
        self.yield_per = other.yield_per.or(self.yield_per);
        self.populate_existing = other.populate_existing.or(self.populate_existing);
        self.autoflush = other.autoflush.or(self.autoflush);
        self.statement_timeout = other.statement_timeout.or(self.statement_timeout);
        self.lock_timeout = other.lock_timeout.or(self.lock_timeout);
    }
}

impl<M: Model, S: Selection> Query<M, S> {
    /// Loads rows into objects already in the session too, overwriting their attributes
    /// (and discarding their unflushed changes) with the database's values.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, n: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let t = s.add(T { id: 1, n: 5 })?;
    /// s.flush()?;
    /// t.write()?.n = 6;
    /// s.query::<T>().autoflush(false).populate_existing().all()?;
    /// assert_eq!(t.read()?.n, 5);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn populate_existing(&self) -> Self {
        self.execution_options(QueryOptions::new().populate_existing(true))
    }

    /// Turns autoflush off (or on) for this query only (SQLAlchemy's `Query.autoflush`).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add(T { id: 1 })?;
    /// assert_eq!(s.query::<T>().autoflush(false).all()?.len(), 0);
    /// assert_eq!(s.query::<T>().all()?.len(), 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn autoflush(&self, on: bool) -> Self {
        self.execution_options(QueryOptions::new().autoflush(on))
    }

    /// Sets the batch size [`for_each`](Self::for_each) and
    /// [`for_each_partition`](Self::for_each_partition) stream the objects in (see
    /// [`QueryOptions::yield_per`]); zero is refused when the query runs.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().yield_per(100);
    /// assert_eq!(q.get_execution_options().get_yield_per(), Some(100));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn yield_per(&self, n: usize) -> Self {
        self.execution_options(QueryOptions::new().yield_per(n))
    }

    /// Merges execution options over the query's.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::orm::QueryOptions;
    /// let q = aludel::orm::Session::new(&engine).query::<T>()
    ///     .execution_options(QueryOptions::new().populate_existing(true))
    ///     .execution_options(QueryOptions::new().yield_per(10));
    /// assert!(q.get_execution_options().is_populate_existing());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn execution_options(&self, options: QueryOptions) -> Self {
        self.with_ctx(|_, ctx| ctx.options.merge(options))
    }

    /// The query's execution options.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let q = aludel::orm::Session::new(&engine).query::<T>();
    /// assert_eq!(q.get_execution_options(), &aludel::orm::QueryOptions::new());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get_execution_options(&self) -> &QueryOptions {
        &self.ctx.options
    }

    /// Turns SQLAlchemy's usage assertions on (the default) or off. With them on,
    /// `filter`, `filter_by`, `order_by`, `group_by` and joins after `limit`, `offset` or
    /// `slice` make the query fail, since they would apply before the limit.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let err = s.query::<T>().limit(1).filter(T::id.eq(1)).all().unwrap_err();
    /// assert!(err.to_string().contains("filter() called on a query that already has LIMIT or OFFSET"));
    /// assert!(s.query::<T>().enable_assertions(false).limit(1).filter(T::id.eq(1)).all().is_ok());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn enable_assertions(&self, on: bool) -> Self {
        self.with_ctx(|_, ctx| ctx.no_assertions = !on)
    }

    /// With `false`, the query loads no relationship eagerly (SQLAlchemy's
    /// `enable_eagerloads`): `joinedload`/`selectinload`/`subqueryload`/`immediateload`
    /// options and `#[relationship(lazy = "joined")]`-style defaults are skipped (no
    /// LEFT OUTER JOIN in the statement, no second SELECT), and those relationships load
    /// lazily when first read. Lazy-side options (`raiseload`, `noload`) still apply. Use
    /// it for a query that only feeds a subquery or a count.
    ///
    /// ```
    /// use aludel::orm::{Many, Model, Session, joinedload, selectinload};
    /// use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// aludel::orm::create_all(&engine, &[User::info(), Address::info()])?;
    /// let s = Session::new(&engine);
    /// s.add(User { id: 1, addresses: Many::new() })?;
    /// s.commit()?;
    /// let s = Session::new(&engine);
    /// let rec = engine.record_statements();
    /// let users = s.query::<User>().options(selectinload(User::addresses)).enable_eagerloads(false).all()?;
    /// let selects = rec.statements().iter().filter(|s| s.starts_with("SELECT")).count();
    /// assert_eq!(selects, 1); // no second SELECT for the addresses
    /// assert!(users[0].read()?.addresses.loaded().is_none());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn enable_eagerloads(&self, on: bool) -> Self {
        self.with_ctx(|_, ctx| ctx.no_eagerloads = !on)
    }

    /// How the rows of this query are loaded.
    pub(crate) fn load_options(&self) -> LoadOptions {
        LoadOptions {
            params: self.ctx.params.clone(),
            populate_existing: self.ctx.options.is_populate_existing(),
            autoflush: self.ctx.options.is_autoflush(),
            statement_timeout: self.ctx.options.statement_timeout,
            lock_timeout: self.ctx.options.lock_timeout,
            loaders: self.ctx.loaders.clone(),
            eagerloads: !self.ctx.no_eagerloads,
        }
    }
}
