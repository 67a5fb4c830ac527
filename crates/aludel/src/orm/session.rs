//! [`Session`]: the identity map, the unit of work and the transaction they share.
//!
//! A session begins a transaction the first time it needs the database and keeps one
//! connection until `commit()`, `rollback()` or `close()`. Objects added to it are
//! *pending*; a flush (explicit, before a query when autoflush is on, or at commit) INSERTs
//! them in dependency order, UPDATEs the changed columns of modified objects and DELETEs
//! the deleted ones. See `docs/session.md`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::engine::{Connection, Engine, ResultSet};
use crate::error::{Error, Result};
use crate::orm::identity::{IdentityKey, IdentityMap};
use crate::orm::instance::{AnyInstance, Instance, ObjectState, downcast};
use crate::orm::mapper::Model;
use crate::orm::query::Query;
use crate::orm::relationship::cascade;
use crate::orm::transaction::SavepointMark;
use crate::sql::{Executable, Params, Value};

static NEXT_SESSION_ID: AtomicU64 = AtomicU64::new(1);

/// What one `merge` call merged so far: the merged copy of each source object.
pub(crate) type MergeMemo = std::collections::HashMap<*const (), Arc<dyn AnyInstance>>;

/// How a session behaves; set through [`SessionMaker`](crate::orm::SessionMaker) or
/// [`Session::with_config`].
///
/// ```
/// let c = aludel::orm::SessionConfig::default();
/// assert!(c.autoflush && c.expire_on_commit);
/// ```
#[derive(Clone)]
pub struct SessionConfig {
    /// Flush pending changes before each query (default true).
    pub autoflush: bool,
    /// Expire every object after commit so it is reloaded on next access (default true).
    pub expire_on_commit: bool,
    /// Commit in two phases (default false): the session's transaction is begun as a
    /// two-phase transaction and `commit()` prepares it before committing it
    /// (PostgreSQL's PREPARE TRANSACTION, MySQL's XA), so a crash between the phases
    /// leaves it for [`Connection::recover_twophase`](crate::Connection::recover_twophase).
    /// SQLAlchemy's `Session(twophase=True)`; SQLite has no two-phase commit.
    ///
    /// ```
    /// # let Some(url) = std::env::var("ALUDEL_TEST_MYSQL").ok() else { return Ok(()) };
    /// use aludel::orm::{Session, SessionConfig};
    /// let engine = aludel::create_engine(&url)?;
    /// let rec = engine.record_statements();
    /// let s = Session::with_config(&engine, SessionConfig { twophase: true, ..SessionConfig::default() });
    /// s.scalar::<i64>(&aludel::sql::text("SELECT 1"), ())?;
    /// s.commit()?;
    /// let sent = rec.statements();
    /// assert!(sent.iter().any(|s| s.starts_with("XA PREPARE")), "{sent:?}");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub twophase: bool,
    /// Free-form information carried by the session (SQLAlchemy's `info`).
    pub info: Vec<(String, String)>,
    /// Criteria added to every `session.query::<M>()` this session builds: the
    /// session-wide part of SQLAlchemy's `sessionmaker(query_cls=...)`. Set it with
    /// [`SessionMaker::query_criteria`](crate::orm::SessionMaker::query_criteria).
    pub query_criteria: Option<QueryCriteria>,
    /// What a lazy load does: run, warn, or raise (the N+1 guard; default: run).
    pub lazy_loads: crate::orm::LazyLoads,
}

/// A function giving the criteria a session adds to every query of a model (or `None`).
pub type QueryCriteria =
    std::sync::Arc<dyn Fn(&crate::orm::ModelInfo) -> Option<crate::sql::Expr> + Send + Sync>;

impl std::fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionConfig")
            .field("autoflush", &self.autoflush)
            .field("expire_on_commit", &self.expire_on_commit)
            .field("twophase", &self.twophase)
            .field("info", &self.info)
            .field("query_criteria", &self.query_criteria.is_some())
            .field("lazy_loads", &self.lazy_loads)
            .finish()
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            autoflush: true,
            expire_on_commit: true,
            twophase: false,
            info: Vec::new(),
            query_criteria: None,
            lazy_loads: crate::orm::LazyLoads::Allow,
        }
    }
}

/// A unit of work over one engine (or one connection). Cheap to clone: clones share the
/// same identity map and transaction.
///
/// ```
/// use aludel::orm::{Model, Session};
///
/// #[derive(aludel::Model, Debug, Clone)]
/// #[model(table = "users")]
/// struct User {
///     #[column(primary_key)]
///     id: i64,
///     name: String,
/// }
///
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// aludel::orm::create_all(&engine, &[User::info()])?;
/// let session = Session::new(&engine);
/// let ada = session.add(User { id: 0, name: "ada".into() })?;
/// session.commit()?;
/// let again = session.get::<User>(ada.read()?.id)?.unwrap();
/// assert!(again.ptr_eq(&ada));
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Clone)]
pub struct Session {
    pub(crate) inner: Arc<SessionInner>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Session#{}", self.inner.id)
    }
}

pub(crate) struct SessionInner {
    pub(crate) id: u64,
    /// The default bind's engine (the primary of a routed one), or the engine of a
    /// session without binds.
    pub(crate) engine: Option<Engine>,
    /// Per-model and per-table engines ([`Session::with_binds`]).
    pub(crate) binds: Option<crate::orm::Binds>,
    /// The shards and choosers of a sharded session ([`Session::sharded`]).
    pub(crate) sharding: Option<Arc<crate::orm::Sharding>>,
    pub(crate) config: SessionConfig,
    pub(crate) state: Mutex<SessionState>,
    pub(crate) me: Weak<SessionInner>,
}

#[derive(Default)]
pub(crate) struct SessionState {
    pub(crate) conn: Option<Connection>,
    /// Whether the session owns `conn` (checked out from the engine) and returns it at the
    /// end of each transaction.
    pub(crate) owns_connection: bool,
    pub(crate) in_transaction: bool,
    /// The open transaction's two-phase progress, in a two-phase session.
    pub(crate) twophase: Option<crate::engine::TwoPhaseState>,
    /// With binds: the engine `conn` belongs to, whether it is a replica, and the
    /// session's connections to its other engines.
    pub(crate) conn_engine: Option<Engine>,
    pub(crate) conn_replica: bool,
    pub(crate) parked: Vec<crate::orm::bound_connections::ParkedConnection>,
    /// Reads go to the primary of routed binds until the transaction ends
    /// ([`Session::use_primary`], or a flush that wrote).
    pub(crate) pinned_primary: bool,
    /// The shard a sharded session is pinned to ([`Session::pin_shard`]; number plus
    /// one, 0 when not pinned).
    pub(crate) pinned_shard: u16,
    pub(crate) identity: IdentityMap,
    /// Pending objects, in the order added.
    pub(crate) new: Vec<Arc<dyn AnyInstance>>,
    /// Persistent objects marked for deletion.
    pub(crate) deleted: Vec<Arc<dyn AnyInstance>>,
    /// Persistent objects written to since the last flush.
    pub(crate) modified: Vec<Arc<dyn AnyInstance>>,
    /// Objects inserted / deleted by flushes of the current transaction.
    pub(crate) tx_inserted: Vec<Arc<dyn AnyInstance>>,
    pub(crate) tx_deleted: Vec<Arc<dyn AnyInstance>>,
    /// Open savepoints and what the session held when each was opened.
    pub(crate) savepoints: Vec<SavepointMark>,
    pub(crate) savepoint_seq: u32,
    /// Set when a flush failed: the cause, until `rollback()`.
    pub(crate) failed: Option<String>,
    /// When the failed flush ran inside a savepoint: the savepoint the database was rolled
    /// back to (the outer transaction goes on once that savepoint is rolled back).
    pub(crate) failed_savepoint: Option<String>,
    pub(crate) no_autoflush: u32,
    /// Lazy loads run so far, by relationship (for [`LazyLoads::Warn`](crate::orm::LazyLoads)).
    pub(crate) lazy_load_counts: std::collections::HashMap<String, u64>,
    /// Set while a streaming query (`Query::for_each`) has the connection.
    pub(crate) streaming: bool,
}

impl SessionState {
    /// Refuses work that needs the connection while a streaming query holds it.
    pub(crate) fn check_not_streaming(&self) -> Result<()> {
        if self.streaming {
            return Err(Error::invalid(
                "the session's connection is streaming a query (Query::for_each); \
                 finish or stop the stream before using the session",
            ));
        }
        Ok(())
    }
}

pub(crate) fn lock(m: &Mutex<SessionState>) -> MutexGuard<'_, SessionState> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Something `Session::add` accepts: a new model value, or an instance handle.
pub trait IntoInstance<T: Model> {
    /// The instance handle.
    fn into_instance(self) -> Instance<T>;
}

impl<T: Model> IntoInstance<T> for T {
    fn into_instance(self) -> Instance<T> {
        Instance::new(self)
    }
}

impl<T: Model> IntoInstance<T> for Instance<T> {
    fn into_instance(self) -> Instance<T> {
        self
    }
}

impl<T: Model> IntoInstance<T> for &Instance<T> {
    fn into_instance(self) -> Instance<T> {
        self.clone()
    }
}

/// A primary key value for `get`: one value, or a tuple for composite keys.
pub trait PrimaryKey {
    /// The key's values, in primary key column order.
    fn key_values(&self) -> Vec<Value>;
}

impl<V: crate::sql::ToValue> PrimaryKey for V {
    fn key_values(&self) -> Vec<Value> {
        vec![self.to_value()]
    }
}

/// Key values already in primary key order (e.g. read off an object).
pub(crate) struct KeyValues(pub(crate) Vec<Value>);

impl PrimaryKey for KeyValues {
    fn key_values(&self) -> Vec<Value> {
        self.0.clone()
    }
}

macro_rules! tuple_keys {
    ($(($($t:ident $i:tt),+)),*) => {$(
        impl<$($t: crate::sql::ToValue),+> PrimaryKey for ($($t,)+) {
            fn key_values(&self) -> Vec<Value> {
                vec![$(self.$i.to_value()),+]
            }
        }
    )*};
}
tuple_keys!((A 0, B 1), (A 0, B 1, C 2), (A 0, B 1, C 2, D 3));

impl Session {
    /// A session over `engine` with the default configuration.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn new(engine: &Engine) -> Session {
        Session::with_config(engine, SessionConfig::default())
    }

    /// A session over `engine` with `config`.
    ///
    /// ```
    /// use aludel::orm::{Session, SessionConfig};
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let s = Session::with_config(&engine, SessionConfig { autoflush: false, ..SessionConfig::default() });
    /// assert!(!s.config().autoflush);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_config(engine: &Engine, config: SessionConfig) -> Session {
        Session::build(Some(engine.clone()), None, config)
    }

    /// A session bound to an existing connection (SQLAlchemy's `Session(bind=connection)`):
    /// it uses that connection's transaction and never returns it to the pool.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let conn = engine.connect()?;
    /// let s = aludel::orm::Session::from_connection(conn, Default::default());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn from_connection(conn: Connection, config: SessionConfig) -> Session {
        Session::build(None, Some(conn), config)
    }

    fn build(engine: Option<Engine>, conn: Option<Connection>, config: SessionConfig) -> Session {
        Session::build_with(engine, None, conn, config)
    }

    /// A session over `binds`, whose default bind's engine is `engine`.
    pub(crate) fn build_bound(
        engine: Option<Engine>,
        binds: crate::orm::Binds,
        config: SessionConfig,
    ) -> Session {
        Session::build_with(engine, Some(binds), None, config)
    }

    fn build_with(
        engine: Option<Engine>,
        binds: Option<crate::orm::Binds>,
        conn: Option<Connection>,
        config: SessionConfig,
    ) -> Session {
        Session::build_full(engine, binds, None, conn, config)
    }

    /// A session over `sharding`'s shards (its statements go to the shard each one is
    /// for, `orm/sharding.rs`), with `binds` for the bound-connection machinery.
    pub(crate) fn build_sharded(
        sharding: Arc<crate::orm::Sharding>,
        binds: crate::orm::Binds,
        config: SessionConfig,
    ) -> Session {
        Session::build_full(None, Some(binds), Some(sharding), None, config)
    }

    fn build_full(
        engine: Option<Engine>,
        binds: Option<crate::orm::Binds>,
        sharding: Option<Arc<crate::orm::Sharding>>,
        conn: Option<Connection>,
        config: SessionConfig,
    ) -> Session {
        let inner = Arc::new_cyclic(|me| SessionInner {
            id: NEXT_SESSION_ID.fetch_add(1, Ordering::Relaxed),
            engine,
            binds,
            sharding,
            config,
            state: Mutex::new(SessionState {
                conn,
                ..SessionState::default()
            }),
            me: me.clone(),
        });
        Session { inner }
    }

    /// Whether both handles are the same session (SQLAlchemy's `session is session1`).
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// assert!(s.ptr_eq(&s.clone()));
    /// assert!(!s.ptr_eq(&aludel::orm::Session::new(&engine)));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn ptr_eq(&self, other: &Session) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// A process-unique number identifying this session.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let (a, b) = (aludel::orm::Session::new(&engine), aludel::orm::Session::new(&engine));
    /// assert_ne!(a.id(), b.id());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The session's configuration.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// assert!(aludel::orm::Session::new(&engine).config().expire_on_commit);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn config(&self) -> &SessionConfig {
        &self.inner.config
    }

    /// Adds an object (a new value, or an instance) to the session: transient objects
    /// become pending; detached ones are re-attached. Returns the instance handle.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let t = s.add(T { id: 1 })?;
    /// assert_eq!(t.state(), aludel::orm::ObjectState::Pending);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn add<T: Model>(&self, object: impl IntoInstance<T>) -> Result<Instance<T>> {
        let instance = object.into_instance();
        let mut st = self.inner.usable()?;
        self.inner.attach(&mut st, instance.erased())?;
        Ok(instance)
    }

    /// Adds several objects.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let all = s.add_all([T { id: 1 }, T { id: 2 }])?;
    /// assert_eq!(all.len(), 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn add_all<T: Model, I: IntoInstance<T>>(
        &self,
        objects: impl IntoIterator<Item = I>,
    ) -> Result<Vec<Instance<T>>> {
        let mut st = self.inner.usable()?;
        objects
            .into_iter()
            .map(|o| {
                let instance = o.into_instance();
                self.inner.attach(&mut st, instance.erased())?;
                Ok(instance)
            })
            .collect()
    }

    /// Marks a persistent object for deletion at the next flush; a pending one is simply
    /// removed from the session.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let t = s.add(T { id: 1 })?;
    /// s.delete(&t)?;
    /// assert_eq!(t.state(), aludel::orm::ObjectState::Transient);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn delete<T: Model>(&self, instance: &Instance<T>) -> Result<()> {
        let mut st = self.inner.usable()?;
        let obj = instance.erased();
        let mut s = obj.state();
        self.inner.check_owned(&s, T::info().name)?;
        match s.state {
            ObjectState::Pending => {
                s.state = ObjectState::Transient;
                s.session = None;
                drop(s);
                st.new.retain(|o| !Arc::ptr_eq(o, &obj));
            }
            ObjectState::Persistent if !s.delete_pending => {
                s.delete_pending = true;
                drop(s);
                st.deleted.push(obj);
            }
            ObjectState::Persistent | ObjectState::Deleted => {}
            ObjectState::Transient | ObjectState::Detached => {
                return Err(Error::invalid(format!(
                    "{} instance is not persisted in this session",
                    T::info().name
                )));
            }
        }
        Ok(())
    }

    /// Writes pending changes to the database (inside the session's transaction).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let t = s.add(T { id: 1 })?;
    /// s.flush()?;
    /// assert_eq!(t.state(), aludel::orm::ObjectState::Persistent);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn flush(&self) -> Result<()> {
        let mut st = self.inner.usable()?;
        self.inner.flush_locked(&mut st)
    }

    /// Flushes, commits the transaction and returns the connection to the pool; with
    /// `expire_on_commit`, every object is expired (reloaded on next access).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let t = s.add(T { id: 1 })?;
    /// s.commit()?;
    /// assert!(t.is_expired());
    /// assert_eq!(t.read()?.id, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn commit(&self) -> Result<()> {
        let mut st = self.inner.usable()?;
        self.inner.commit_locked(&mut st)
    }

    /// Rolls back the transaction: pending objects and objects inserted in it become
    /// transient, deleted ones persistent again, and every persistent object is expired.
    /// This also clears the "pending rollback" state left by a failed flush.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let t = s.add(T { id: 1 })?;
    /// s.rollback()?;
    /// assert_eq!(t.state(), aludel::orm::ObjectState::Transient);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn rollback(&self) -> Result<()> {
        let mut st = lock(&self.inner.state);
        st.check_not_streaming()?;
        self.inner.rollback_locked(&mut st)
    }

    /// Rolls back, detaches every object and releases the connection. The session can be
    /// used again afterwards (it starts empty).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let t = s.add(T { id: 1 })?;
    /// s.flush()?;
    /// s.close()?;
    /// assert_eq!(t.state(), aludel::orm::ObjectState::Transient);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn close(&self) -> Result<()> {
        let mut st = lock(&self.inner.state);
        st.check_not_streaming()?;
        let result = self.inner.rollback_locked(&mut st);
        for obj in st.identity.drain() {
            SessionInner::detach(&obj, ObjectState::Detached);
        }
        if st.owns_connection {
            st.release_connections();
        }
        result
    }

    /// The object of model `T` with primary key `key`: from the identity map without SQL
    /// when present and not expired, else loaded by a SELECT. `None` if no such row. An
    /// expired object in the session is reloaded, which checks that its row still exists:
    /// if not, the object leaves the session and the error is [`Error::ObjectDeleted`].
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// assert!(s.get::<T>(5)?.is_none());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get<T: Model>(&self, key: impl PrimaryKey) -> Result<Option<Instance<T>>> {
        let info = T::info();
        let values = key.key_values();
        if values.len() != info.primary_key.len() {
            return Err(Error::invalid(format!(
                "{} has a primary key of {} column(s); get() was given {}",
                info.name,
                info.primary_key.len(),
                values.len()
            )));
        }
        let Some(ikey) = IdentityKey::new(info.identity_type(), &values) else {
            return Ok(None);
        };
        // A sharded session looks on the shards the key may be on, in turn (the
        // identity map of each first); any other session has one place to look.
        let shards = self.inner.get_shards(info, &values)?;
        for &shard in &shards {
            if let Some(held) = self.held::<T>(&ikey.clone().on_shard(shard))? {
                return Ok(held);
            }
        }
        let compiled = info.select_by_pk(self.inner.dialect_for(info)?)?;
        for shard in shards {
            let found = self.inner.on_shard(shard, || {
                self.load_compiled::<T>(&compiled, info.by_pk_values(values.clone())?)
            })?;
            if let Some(found) = found.into_iter().next() {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// What the identity map answers for `key`: `Some(None)` for an object deleted in
    /// this session, `Some(object)` for one it holds (an expired one reloaded first, which
    /// fails with [`Error::ObjectDeleted`] when its row is gone), `None` when the database
    /// must be asked.
    fn held<T: Model>(&self, key: &IdentityKey) -> Result<Option<Option<Instance<T>>>> {
        let Some(obj) = self.inner.usable()?.identity.get(key) else {
            return Ok(None);
        };
        let (delete_pending, expired) = {
            let s = obj.state();
            (s.delete_pending, s.expired)
        };
        if delete_pending {
            return Ok(Some(None));
        }
        if expired {
            self.reload_expired(key, &obj)?;
        }
        downcast(&obj)
            .map(|o| Some(Some(o)))
            .ok_or_else(|| crate::orm::inheritance::other_type(obj.info(), T::info()))
    }

    /// Reloads the expired object `obj` found under `key` for `get`, which makes sure its row
    /// is still there: when it is gone the object leaves the session and the error is
    /// [`Error::ObjectDeleted`] (seed 001's `get()`).
    fn reload_expired(&self, key: &IdentityKey, obj: &Arc<dyn AnyInstance>) -> Result<()> {
        let result = self.inner.refresh_object(obj);
        if let Err(Error::ObjectDeleted { .. }) = result {
            self.inner.usable()?.identity.remove(key);
            SessionInner::detach(obj, ObjectState::Detached);
        }
        result
    }

    /// Copies the state of `instance` onto the session's object with the same primary key
    /// (loading it if needed) and returns that object; a key not in the database becomes a
    /// pending new object.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, n: i32 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let merged = s.merge(&aludel::orm::Instance::new(T { id: 1, n: 5 }))?;
    /// assert_eq!(merged.state(), aludel::orm::ObjectState::Pending);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn merge<T: Model>(&self, instance: &Instance<T>) -> Result<Instance<T>> {
        self.merge_with(instance, &mut MergeMemo::new())
    }

    /// [`merge`](Self::merge), remembering what was merged so the merge cascade stops at
    /// objects it already merged (a parent and its children point at each other).
    pub(crate) fn merge_with<T: Model>(
        &self,
        instance: &Instance<T>,
        memo: &mut MergeMemo,
    ) -> Result<Instance<T>> {
        let source = instance.erased();
        let key = Arc::as_ptr(&source) as *const ();
        if let Some(done) = memo.get(&key).and_then(downcast::<T>) {
            return Ok(done);
        }
        let values = source.values()?;
        let info = T::info();
        let pk = info.pk_of(&values);
        // A deferred column the source never loaded has no value to copy (not NULL).
        let unloaded = match info.deferred.is_empty() {
            true => Vec::new(),
            false => crate::orm::deferred::unloaded_columns(&source)?,
        };
        let merged = match self.get::<T>(KeyValues(pk))? {
            Some(existing) => {
                if !existing.ptr_eq(instance) {
                    let mut g = existing.write()?;
                    for (i, v) in values.into_iter().enumerate() {
                        if !unloaded.contains(&i) {
                            g.set_value(i, v)?;
                        }
                    }
                }
                existing
            }
            None => {
                if let Some(&column) = unloaded.first() {
                    return Err(Error::invalid(format!(
                        "cannot merge a {} the database does not hold: its deferred column {}.{} is not loaded, so its value is unknown",
                        info.name, info.name, info.fields[column]
                    )));
                }
                self.add(Instance::new(T::from_values(values)?))?
            }
        };
        memo.insert(key, merged.erased());
        // The merge cascade: loaded related objects are merged too, and the merged
        // object's relationship is set to the merged copies as a change (the flush writes
        // their foreign keys or association rows).
        for (index, rel) in info.relationships.iter().enumerate() {
            if !rel.cascade.merge || rel.viewonly || merged.ptr_eq(instance) {
                continue;
            }
            let Some(items) = crate::orm::relationship::loaded_related(&source, index)? else {
                continue;
            };
            let copies = items
                .iter()
                .map(|item| rel.ops.merge(self, item, memo))
                .collect::<Result<Vec<_>>>()?;
            merged
                .erased()
                .with_slot(index, &mut |slot| slot.replace(copies.clone()))?;
        }
        Ok(merged)
    }

    /// Removes one object from the session (it becomes detached, or transient if pending).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let t = s.add(T { id: 1 })?;
    /// s.expunge(&t)?;
    /// assert_eq!(t.state(), aludel::orm::ObjectState::Transient);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn expunge<T: Model>(&self, instance: &Instance<T>) -> Result<()> {
        let obj = instance.erased();
        self.inner.check_owned(&obj.state(), T::info().name)?;
        let related = cascade::reachable(&obj, |c| c.expunge)?;
        let mut st = lock(&self.inner.state);
        for o in std::iter::once(obj).chain(related) {
            if o.state()
                .session
                .as_ref()
                .is_some_and(|(id, _)| *id == self.inner.id)
            {
                SessionInner::expunge_locked(&mut st, &o);
            }
        }
        Ok(())
    }

    /// Removes every object from the session.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.expunge_all();
    /// assert_eq!(s.identity_count(), 0);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn expunge_all(&self) {
        let mut st = lock(&self.inner.state);
        for obj in std::mem::take(&mut st.new) {
            SessionInner::detach(&obj, ObjectState::Transient);
        }
        for obj in st.identity.drain() {
            SessionInner::detach(&obj, ObjectState::Detached);
        }
        st.deleted.clear();
        st.modified.clear();
    }

    /// Expires one object: its attributes are reloaded on next access, discarding
    /// unflushed changes.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let t = s.add(T { id: 1 })?;
    /// s.flush()?;
    /// s.expire(&t)?;
    /// assert!(t.is_expired());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn expire<T: Model>(&self, instance: &Instance<T>) -> Result<()> {
        let obj = instance.erased();
        self.inner.check_owned(&obj.state(), T::info().name)?;
        let related = cascade::reachable(&obj, |c| c.refresh_expire)?;
        let mut st = lock(&self.inner.state);
        for o in std::iter::once(obj).chain(related) {
            st.modified.retain(|m| !Arc::ptr_eq(m, &o));
            SessionInner::expire(&o);
        }
        Ok(())
    }

    /// Expires every persistent object.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// aludel::orm::Session::new(&engine).expire_all();
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn expire_all(&self) {
        let mut st = lock(&self.inner.state);
        st.modified.clear();
        for obj in st.identity.values() {
            SessionInner::expire(&obj);
        }
    }

    /// Reloads one object from the database now.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, n: i32 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let t = s.add(T { id: 1, n: 1 })?;
    /// s.flush()?;
    /// s.execute(&aludel::sql::text("UPDATE t SET n = 2"), ())?;
    /// s.refresh(&t)?;
    /// assert_eq!(t.read()?.n, 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn refresh<T: Model>(&self, instance: &Instance<T>) -> Result<()> {
        let obj = instance.erased();
        self.inner.check_owned(&obj.state(), T::info().name)?;
        if obj.state().state != ObjectState::Persistent {
            return Err(Error::invalid(format!(
                "only a persistent {} can be refreshed",
                T::info().name
            )));
        }
        // The refresh-expire cascade: related objects loaded now are refreshed too.
        let related = cascade::reachable(&obj, |c| c.refresh_expire)?;
        self.inner.refresh_object(&obj)?;
        for o in related {
            if o.state().state == ObjectState::Persistent {
                self.inner.refresh_object(&o)?;
            }
        }
        Ok(())
    }

    /// Whether a persistent object has changes not yet flushed.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, n: i32 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let t = s.add(T { id: 1, n: 1 })?;
    /// s.flush()?;
    /// assert!(!s.is_modified(&t)?);
    /// t.write()?.n = 2;
    /// assert!(s.is_modified(&t)?);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn is_modified<T: Model>(&self, instance: &Instance<T>) -> Result<bool> {
        Ok(!changed_columns(&instance.erased())?.is_empty())
    }

    /// Whether the session's transaction has begun (SQLAlchemy's `in_transaction()`): it
    /// begins with the first statement and ends at commit, rollback or close.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// assert!(!s.in_transaction());
    /// s.query::<T>().count()?;
    /// assert!(s.in_transaction());
    /// s.commit()?;
    /// assert!(!s.in_transaction());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn in_transaction(&self) -> bool {
        lock(&self.inner.state).any_transaction()
    }

    /// Whether any object is pending, marked for deletion or written to since the last
    /// flush (the session has something to flush or to lose on rollback).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// assert!(!s.has_changes());
    /// s.add(T { id: 1 })?;
    /// assert!(s.has_changes());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn has_changes(&self) -> bool {
        let st = lock(&self.inner.state);
        !(st.new.is_empty() && st.deleted.is_empty() && st.modified.is_empty())
    }

    /// The pending (new) objects of model `T`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add(T { id: 1 })?;
    /// assert_eq!(s.new_objects::<T>().len(), 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn new_objects<T: Model>(&self) -> Vec<Instance<T>> {
        lock(&self.inner.state)
            .new
            .iter()
            .filter_map(downcast)
            .collect()
    }

    /// The persistent objects of model `T` with unflushed changes.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// assert!(aludel::orm::Session::new(&engine).dirty_objects::<T>().is_empty());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn dirty_objects<T: Model>(&self) -> Vec<Instance<T>> {
        let st = lock(&self.inner.state);
        st.modified
            .iter()
            .filter(|o| changed_columns(o).map(|c| !c.is_empty()).unwrap_or(true))
            .filter_map(downcast)
            .collect()
    }

    /// The objects of model `T` marked for deletion.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// assert!(aludel::orm::Session::new(&engine).deleted_objects::<T>().is_empty());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn deleted_objects<T: Model>(&self) -> Vec<Instance<T>> {
        lock(&self.inner.state)
            .deleted
            .iter()
            .filter_map(downcast)
            .collect()
    }

    /// How many objects the identity map holds.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// assert_eq!(aludel::orm::Session::new(&engine).identity_count(), 0);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn identity_count(&self) -> usize {
        lock(&self.inner.state).identity.len()
    }

    /// Runs a Core statement or `text()` in the session's transaction (after an
    /// autoflush).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let r = s.execute(&aludel::sql::text("SELECT :x AS x"), aludel::params! { "x" => 5 })?;
    /// assert_eq!(r.scalar::<i64>()?, 5);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn execute(
        &self,
        statement: &dyn Executable,
        params: impl Into<Params>,
    ) -> Result<ResultSet> {
        let params = params.into();
        let mut st = self.inner.usable()?;
        self.inner.autoflush(&mut st)?;
        self.inner
            .run(&mut st, |conn| conn.execute(statement, params))
    }

    /// The first column of the first row of a statement.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// assert_eq!(s.scalar::<i64>(&aludel::sql::text("SELECT 3"), ())?, 3);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn scalar<T: crate::sql::FromValue>(
        &self,
        statement: &dyn Executable,
        params: impl Into<Params>,
    ) -> Result<T> {
        self.execute(statement, params)?.scalar()
    }

    /// A query for model `T` (SQLAlchemy's `session.query(T)`). It never uses a query
    /// class the model names for `T::query()`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// assert_eq!(s.query::<T>().count()?, 0);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn query<T: Model>(&self) -> Query<T> {
        let query = Query::new(Ok(self.clone()));
        match self
            .inner
            .config
            .query_criteria
            .as_ref()
            .and_then(|f| f(T::info()))
        {
            Some(criterion) => query.filter(criterion),
            None => query,
        }
    }

    /// A query for model `T` wrapped in query class `Q` (a query class chosen at the call
    /// site rather than by the model).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let q: aludel::orm::Query<T> = s.query_as::<aludel::orm::Query<T>, T>();
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn query_as<Q: crate::orm::QueryClass<T>, T: Model>(&self) -> Q {
        Q::from_query(self.query::<T>())
    }

    /// Suspends autoflush until the returned guard is dropped.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// {
    ///     let _guard = s.no_autoflush();
    ///     // queries here see pending objects unflushed
    /// }
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn no_autoflush(&self) -> NoAutoflush {
        lock(&self.inner.state).no_autoflush += 1;
        NoAutoflush {
            session: self.clone(),
        }
    }
}

/// Restores autoflush when dropped; see [`Session::no_autoflush`].
pub struct NoAutoflush {
    session: Session,
}

impl Drop for NoAutoflush {
    fn drop(&mut self) {
        let mut st = lock(&self.session.inner.state);
        st.no_autoflush = st.no_autoflush.saturating_sub(1);
    }
}

/// The columns of `obj` whose values differ from its snapshot.
pub(crate) fn changed_columns(obj: &Arc<dyn AnyInstance>) -> Result<Vec<usize>> {
    let now = obj.values()?;
    let s = obj.state();
    Ok(match s.snapshot.as_ref() {
        Some(snapshot) => (0..now.len()).filter(|&i| now[i] != snapshot[i]).collect(),
        None => Vec::new(),
    })
}

impl SessionInner {
    /// The dialect of the database this session talks to.
    /// Compiles `statement` through the engine's compiled-shape cache.
    pub(crate) fn prepare(&self, statement: &dyn Executable) -> Result<crate::engine::Prepared> {
        if let Some(engine) = &self.engine {
            return engine.prepare(statement);
        }
        let st = lock(&self.state);
        st.conn
            .as_ref()
            .ok_or_else(|| Error::invalid("the session has no engine or connection"))?
            .prepare(statement)
    }

    pub(crate) fn dialect(&self) -> Result<&'static dyn crate::dialects::Dialect> {
        if let Some(engine) = &self.engine {
            return Ok(engine.dialect());
        }
        let st = lock(&self.state);
        st.conn
            .as_ref()
            .map(|c| c.dialect())
            .ok_or_else(|| Error::invalid("the session has no engine or connection"))
    }

    /// Locks the state, refusing work while a failed flush awaits `rollback()`.
    pub(crate) fn usable(&self) -> Result<MutexGuard<'_, SessionState>> {
        let st = lock(&self.state);
        st.check_not_streaming()?;
        if let Some(cause) = &st.failed {
            return Err(Error::PendingRollback {
                cause: cause.clone(),
            });
        }
        Ok(st)
    }

    fn check_owned(&self, s: &crate::orm::instance::StateData, model: &str) -> Result<()> {
        match &s.session {
            Some((id, _)) if *id != self.id => Err(Error::invalid(format!(
                "{model} instance belongs to another session (#{id}); expunge it there first"
            ))),
            _ => Ok(()),
        }
    }

    /// Makes `obj` pending (transient) or persistent again (detached) in this session,
    /// with the objects its relationships reach (save-update cascade).
    pub(crate) fn attach(&self, st: &mut SessionState, obj: Arc<dyn AnyInstance>) -> Result<()> {
        self.attach_one(st, obj.clone())?;
        if !obj.info().relationships.is_empty() {
            crate::orm::relationship::cascade::save_update(self, st, &[obj])?;
        }
        Ok(())
    }

    /// [`attach`](Self::attach) without the cascade.
    pub(crate) fn attach_one(
        &self,
        st: &mut SessionState,
        obj: Arc<dyn AnyInstance>,
    ) -> Result<()> {
        let mut s = obj.state();
        let name = obj.info().name;
        self.check_owned(&s, name)?;
        match s.state {
            ObjectState::Transient => {
                s.state = ObjectState::Pending;
                s.session = Some((self.id, self.me.clone()));
                // A sharded session pinned to a shard puts what is added there.
                s.shard = st.pinned_shard;
                drop(s);
                st.new.push(obj);
            }
            ObjectState::Detached => {
                let key = s
                    .identity_key(obj.info())
                    .ok_or_else(|| Error::invalid(format!("detached {name} has no identity")))?;
                if st
                    .identity
                    .get(&key)
                    .is_some_and(|o| !Arc::ptr_eq(&o, &obj))
                {
                    return Err(Error::invalid(format!(
                        "another {name} instance with the same primary key is already in this session"
                    )));
                }
                s.state = ObjectState::Persistent;
                s.session = Some((self.id, self.me.clone()));
                drop(s);
                st.identity.insert(key, obj);
            }
            ObjectState::Pending | ObjectState::Persistent => {}
            ObjectState::Deleted => {
                return Err(Error::invalid(format!(
                    "{name} instance was deleted in this transaction"
                )));
            }
        }
        Ok(())
    }

    /// Takes `obj` out of the session (the state is locked by the caller): out of the
    /// identity map and the pending lists; a pending object becomes transient, a
    /// persistent one detached.
    pub(crate) fn expunge_locked(st: &mut SessionState, obj: &Arc<dyn AnyInstance>) {
        let key = obj.identity_key();
        if let Some(k) = key {
            st.identity.remove(&k);
        }
        for list in [&mut st.new, &mut st.deleted, &mut st.modified] {
            list.retain(|o| !Arc::ptr_eq(o, obj));
        }
        let was_pending = obj.state().state == ObjectState::Pending;
        SessionInner::detach(
            obj,
            if was_pending {
                ObjectState::Transient
            } else {
                ObjectState::Detached
            },
        );
    }

    pub(crate) fn detach(obj: &Arc<dyn AnyInstance>, to: ObjectState) {
        let mut s = obj.state();
        s.state = to;
        s.session = None;
        s.delete_pending = false;
        s.snapshot = None;
        if to == ObjectState::Transient {
            s.key = None;
        }
    }

    pub(crate) fn expire(obj: &Arc<dyn AnyInstance>) {
        {
            let mut s = obj.state();
            if s.state != ObjectState::Persistent {
                return;
            }
            s.expired = true;
            s.snapshot = None;
        }
        obj.expire_relationships();
    }

    /// Records that a persistent object was written to (called by `Instance::write`).
    pub(crate) fn note_modified(&self, obj: Arc<dyn AnyInstance>) {
        lock(&self.state).modified.push(obj);
    }

    pub(crate) fn autoflush(&self, st: &mut SessionState) -> Result<()> {
        if self.config.autoflush && st.no_autoflush == 0 {
            self.flush_locked(st)?;
        }
        Ok(())
    }
}
