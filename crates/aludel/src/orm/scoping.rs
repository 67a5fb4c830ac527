//! [`ScopedSession`]: one session per scope (per thread by default), SQLAlchemy's
//! `scoped_session`. It can be a `static`, configured at start-up, so models can name it
//! for their `query()` without a session existing when they are defined.

use std::cell::RefCell;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::engine::ResultSet;
use crate::error::{Error, Result};
use crate::orm::instance::Instance;
use crate::orm::mapper::Model;
use crate::orm::query::Query;
use crate::orm::query_cls::{PlainQueries, QueryClasses};
use crate::orm::query_property::QueryClass;
use crate::orm::session::{IntoInstance, PrimaryKey, Session};
use crate::orm::sessionmaker::{SessionMaker, SessionOptions};
use crate::sql::{Executable, FromValue, Params};

/// The message SQLAlchemy gives when a scoped session exists and arguments are passed.
pub const ALREADY_PRESENT: &str =
    "Scoped session is already present; no new arguments may be specified.";

static NEXT_REGISTRY: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// Thread-scoped sessions, by registry id.
    static THREAD_SESSIONS: RefCell<ThreadSessions> = RefCell::new(ThreadSessions::default());
}

/// Sessions of threads that ended, waiting to be dropped by a live thread: a session's
/// connection must not be closed or rolled back from a thread-local destructor, where the
/// drivers' own thread-locals (PostgreSQL's runtime) may already be gone.
static ORPHANS: Mutex<Vec<Session>> = Mutex::new(Vec::new());

#[derive(Default)]
struct ThreadSessions(HashMap<u64, Session>);

impl Drop for ThreadSessions {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let mut orphans = ORPHANS.lock().unwrap_or_else(|p| p.into_inner());
        orphans.extend(self.0.drain().map(|(_, s)| s));
    }
}

/// Drops the sessions of ended threads, here on a live thread (returning their
/// connections to the pool).
fn bury_orphans() {
    let orphans = std::mem::take(&mut *ORPHANS.lock().unwrap_or_else(|p| p.into_inner()));
    drop(orphans);
}

/// What a scoped session is scoped to.
#[derive(Clone)]
pub enum Scope {
    /// One session per thread (the default).
    Thread,
    /// One session per key returned by the function (SQLAlchemy's `scopefunc`): a request
    /// id, say.
    Function(Arc<dyn Fn() -> u64 + Send + Sync>),
    /// One session per async task, keyed by the enclosing
    /// [`task_scope`](crate::orm::task_scope) (a task-local scope for any runtime).
    Task,
}

impl Scope {
    /// Per-thread scope.
    ///
    /// ```
    /// let s = aludel::orm::Scope::thread();
    /// ```
    pub fn thread() -> Scope {
        Scope::Thread
    }

    /// One session per async task run inside [`task_scope`](crate::orm::task_scope);
    /// outside one, getting a session is an error.
    ///
    /// ```
    /// let s = aludel::orm::Scope::task();
    /// ```
    pub fn task() -> Scope {
        Scope::Task
    }

    /// A scope keyed by `f()` (SQLAlchemy's `scopefunc=get_ident`).
    ///
    /// ```
    /// let s = aludel::orm::Scope::function(|| 42);
    /// ```
    pub fn function(f: impl Fn() -> u64 + Send + Sync + 'static) -> Scope {
        Scope::Function(Arc::new(f))
    }
}

struct Registry {
    id: u64,
    maker: SessionMaker,
    scope: Scope,
    by_key: Mutex<HashMap<u64, Session>>,
}

/// A registry of sessions, one per scope.
///
/// ```
/// use aludel::orm::{Scope, ScopedSession, SessionMaker};
///
/// static DB: ScopedSession = ScopedSession::unconfigured();
///
/// let engine = aludel::create_engine("sqlite://")?;
/// DB.configure(SessionMaker::new(&engine), Scope::thread());
/// let session = DB.get()?;
/// let session1 = DB.get()?;
/// assert!(session.ptr_eq(&session1)); // `session is session1` is True
/// assert!(DB.get_with(Default::default()).is_err()); // already present
/// DB.remove()?;
/// assert!(!DB.get()?.ptr_eq(&session));
/// # Ok::<(), aludel::Error>(())
/// ```
///
/// The type parameter is the family of query classes `query::<M>()` returns (seed 003's
/// `scoped_session_factory(query_cls=...)`): [`PlainQueries`] (plain [`Query<M>`]) unless
/// the static names another, made with [`with_query_cls`](ScopedSession::with_query_cls):
///
/// ```
/// use aludel::orm::{DeclarativeBase, Model, Query, QueryClass, QueryClasses, Scope, ScopedSession, SessionMaker};
/// # #[derive(aludel::Model, Clone)] #[model(table = "tags")] struct Tag { #[column(primary_key)] id: i64 }
/// struct BaseQuery<M: Model>(Query<M>);
/// impl<M: Model> QueryClass<M> for BaseQuery<M> {
///     fn from_query(query: Query<M>) -> Self { BaseQuery(query) }
///     fn as_query(&self) -> &Query<M> { &self.0 }
///     fn with_query(&self, query: Query<M>) -> Self { BaseQuery(query) }
/// }
/// struct Base;
/// impl DeclarativeBase for Base {
///     type Query<M: Model> = BaseQuery<M>;
///     fn scoped_session() -> &'static ScopedSession<impl QueryClasses> { &DB }
/// }
/// static DB: ScopedSession<Base> = ScopedSession::with_query_cls();
///
/// let engine = aludel::create_engine("sqlite://")?;
/// DB.configure(SessionMaker::new(&engine), Scope::thread());
/// let q: BaseQuery<Tag> = DB.query::<Tag>();
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct ScopedSession<C: QueryClasses = PlainQueries> {
    registry: RwLock<Option<Arc<Registry>>>,
    _classes: PhantomData<fn() -> C>,
}

impl Default for ScopedSession {
    fn default() -> Self {
        ScopedSession::unconfigured()
    }
}

impl ScopedSession {
    /// A scoped session to be configured later (usable as a `static`).
    ///
    /// ```
    /// static DB: aludel::orm::ScopedSession = aludel::orm::ScopedSession::unconfigured();
    /// assert!(DB.get().is_err());
    /// ```
    pub const fn unconfigured() -> Self {
        ScopedSession::with_query_cls()
    }

    /// A scoped session over `maker` with `scope`.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// assert!(db.get().is_ok());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn new(maker: SessionMaker, scope: Scope) -> Self {
        let s = ScopedSession::unconfigured();
        s.configure(maker, scope);
        s
    }
}

impl<C: QueryClasses> ScopedSession<C> {
    /// A scoped session to be configured later whose `query::<M>()` returns family `C`'s
    /// query class (`scoped_session_factory(query_cls=...)`); `C` comes from the static's
    /// type.
    ///
    /// ```
    /// use aludel::orm::{PlainQueries, ScopedSession};
    /// static DB: ScopedSession<PlainQueries> = ScopedSession::with_query_cls();
    /// assert!(!DB.is_configured());
    /// ```
    pub const fn with_query_cls() -> Self {
        ScopedSession {
            registry: RwLock::new(None),
            _classes: PhantomData,
        }
    }

    /// Sets (or replaces) the factory and scope. Sessions of an earlier configuration are
    /// no longer returned.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::unconfigured();
    /// db.configure(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// assert!(db.is_configured());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn configure(&self, maker: SessionMaker, scope: Scope) {
        let registry = Registry {
            id: NEXT_REGISTRY.fetch_add(1, Ordering::Relaxed),
            maker,
            scope,
            by_key: Mutex::new(HashMap::new()),
        };
        *self.registry.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(registry));
    }

    /// Whether [`ScopedSession::configure`] was called.
    ///
    /// ```
    /// assert!(!aludel::orm::ScopedSession::unconfigured().is_configured());
    /// ```
    pub fn is_configured(&self) -> bool {
        self.registry
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    fn registry(&self) -> Result<Arc<Registry>> {
        self.registry.read().unwrap_or_else(|p| p.into_inner()).clone().ok_or_else(|| {
            Error::invalid("this ScopedSession is not configured yet; call configure(SessionMaker, Scope) at start-up")
        })
    }

    /// The current scope's session, made on first use (SQLAlchemy: calling the registry
    /// without arguments).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// assert!(db.get()?.ptr_eq(&db.get()?));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get(&self) -> Result<Session> {
        let registry = self.registry()?;
        if let Some(s) = registry.current()? {
            return Ok(s);
        }
        let session = registry.maker.make()?;
        registry.store(session.clone())?;
        Ok(session)
    }

    /// A new session for the current scope made with `options`; an error if one is
    /// already present (SQLAlchemy: calling the registry with arguments).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// db.get_with(Default::default())?;
    /// let err = db.get_with(Default::default()).unwrap_err().to_string();
    /// assert!(err.contains("Scoped session is already present; no new arguments may be specified."));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get_with(&self, options: SessionOptions) -> Result<Session> {
        let registry = self.registry()?;
        if registry.current()?.is_some() {
            return Err(Error::invalid(ALREADY_PRESENT));
        }
        let session = registry.maker.make_with(options)?;
        registry.store(session.clone())?;
        Ok(session)
    }

    /// Whether the current scope has a session.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// assert!(!db.has());
    /// db.get()?;
    /// assert!(db.has());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn has(&self) -> bool {
        self.registry()
            .and_then(|r| r.current())
            .is_ok_and(|s| s.is_some())
    }

    /// Closes the current scope's session (rolling back its transaction) and discards it;
    /// the next use makes a new one.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// let first = db.get()?;
    /// db.remove()?;
    /// assert!(!db.get()?.ptr_eq(&first));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn remove(&self) -> Result<()> {
        let registry = self.registry()?;
        match registry.take()? {
            Some(session) => session.close(),
            None => Ok(()),
        }
    }

    /// A query for `M` through the current session (`session.query(M)`), in the scoped
    /// session's query class family (a plain [`Query<M>`] unless the static names one;
    /// never a model's own query class).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// let q: aludel::orm::Query<T> = db.query::<T>();
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn query<M: Model>(&self) -> C::Query<M> {
        C::Query::<M>::from_query(Query::new(self.get()))
    }

    /// Proxy for [`Session::add`].
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// db.add(T { id: 1 })?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn add<T: Model>(&self, object: impl IntoInstance<T>) -> Result<Instance<T>> {
        self.get()?.add(object)
    }

    /// Proxy for [`Session::delete`].
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// let t = db.add(T { id: 1 })?;
    /// db.delete(&t)?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn delete<T: Model>(&self, instance: &Instance<T>) -> Result<()> {
        self.get()?.delete(instance)
    }

    /// Proxy for [`Session::get`].
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// assert!(db.get_object::<T>(1)?.is_none());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get_object<T: Model>(&self, key: impl PrimaryKey) -> Result<Option<Instance<T>>> {
        self.get()?.get::<T>(key)
    }

    /// Proxy for [`Session::flush`].
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// db.flush()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn flush(&self) -> Result<()> {
        self.get()?.flush()
    }

    /// Proxy for [`Session::commit`].
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// db.commit()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn commit(&self) -> Result<()> {
        self.get()?.commit()
    }

    /// Proxy for [`Session::rollback`].
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// db.rollback()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn rollback(&self) -> Result<()> {
        self.get()?.rollback()
    }

    /// Proxy for [`Session::close`] (the session stays registered; see `remove`).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// db.close()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn close(&self) -> Result<()> {
        self.get()?.close()
    }

    /// Proxy for [`Session::execute`].
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// assert_eq!(db.execute(&aludel::sql::text("SELECT 1"), ())?.scalar::<i64>()?, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn execute(
        &self,
        statement: &dyn Executable,
        params: impl Into<Params>,
    ) -> Result<ResultSet> {
        self.get()?.execute(statement, params)
    }

    /// Proxy for [`Session::scalar`].
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let db = aludel::orm::ScopedSession::new(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
    /// assert_eq!(db.scalar::<i64>(&aludel::sql::text("SELECT 2"), ())?, 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn scalar<T: FromValue>(
        &self,
        statement: &dyn Executable,
        params: impl Into<Params>,
    ) -> Result<T> {
        self.get()?.scalar(statement, params)
    }
}

impl Registry {
    /// The current scope's key; `None` for the thread scope (kept in a thread-local).
    fn key(&self) -> Result<Option<u64>> {
        match &self.scope {
            Scope::Thread => Ok(None),
            Scope::Function(f) => Ok(Some(f())),
            Scope::Task => crate::orm::task_scope::current_task().map(Some).ok_or_else(|| {
                Error::invalid("a ScopedSession with Scope::task() was used outside aludel::orm::task_scope(...)")
            }),
        }
    }

    /// Runs `f` on the map holding the current scope's session, with its key there: the
    /// thread-local map (keyed by registry) or this registry's map (keyed by scope key).
    fn with_sessions<R>(&self, f: impl FnOnce(&mut HashMap<u64, Session>, u64) -> R) -> Result<R> {
        bury_orphans();
        Ok(match self.key()? {
            None => THREAD_SESSIONS.with(|m| f(&mut m.borrow_mut().0, self.id)),
            Some(k) => f(
                &mut self.by_key.lock().unwrap_or_else(|p| p.into_inner()),
                k,
            ),
        })
    }

    fn current(&self) -> Result<Option<Session>> {
        self.with_sessions(|m, k| m.get(&k).cloned())
    }

    fn store(&self, session: Session) -> Result<()> {
        self.with_sessions(|m, k| {
            m.insert(k, session);
        })
    }

    fn take(&self) -> Result<Option<Session>> {
        self.with_sessions(|m, k| m.remove(&k))
    }
}
