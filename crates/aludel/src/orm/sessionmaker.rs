//! [`SessionMaker`]: a configured factory of sessions (SQLAlchemy's `sessionmaker`).

use std::sync::{Arc, RwLock};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::orm::session::{Session, SessionConfig};

/// Makes sessions with a shared configuration. Clones share the configuration, so
/// [`SessionMaker::configure`] affects every later session of every clone.
///
/// ```
/// use aludel::orm::SessionMaker;
/// let engine = aludel::create_engine("sqlite://")?;
/// let factory = SessionMaker::new(&engine).autoflush(false);
/// let session = factory.make()?;
/// assert!(!session.config().autoflush);
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Clone)]
pub struct SessionMaker {
    shared: Arc<RwLock<MakerConfig>>,
}

#[derive(Clone)]
struct MakerConfig {
    bind: Option<Engine>,
    /// Per-model and per-table engines; `bind` is their default when they name none.
    binds: Option<crate::orm::Binds>,
    config: SessionConfig,
}

/// Per-call overrides for [`SessionMaker::make_with`] (the keyword arguments of calling a
/// `sessionmaker` or a `scoped_session`).
///
/// ```
/// let opts = aludel::orm::SessionOptions { autoflush: Some(false), ..Default::default() };
/// assert_eq!(opts.autoflush, Some(false));
/// ```
#[derive(Clone, Default)]
pub struct SessionOptions {
    /// Another engine.
    pub bind: Option<Engine>,
    /// Override autoflush.
    pub autoflush: Option<bool>,
    /// Override expire_on_commit.
    pub expire_on_commit: Option<bool>,
}

impl SessionMaker {
    /// A factory bound to `engine`, with SQLAlchemy's defaults (autoflush and
    /// expire_on_commit on).
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let f = aludel::orm::SessionMaker::new(&engine);
    /// assert!(f.make()?.config().autoflush);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn new(engine: &Engine) -> Self {
        SessionMaker::build(Some(engine.clone()))
    }

    /// A factory with no engine yet; bind one with [`SessionMaker::bind`] or
    /// [`SessionMaker::configure`] before making sessions.
    ///
    /// ```
    /// let f = aludel::orm::SessionMaker::unbound();
    /// assert!(f.make().is_err());
    /// ```
    pub fn unbound() -> Self {
        SessionMaker::build(None)
    }

    fn build(bind: Option<Engine>) -> Self {
        SessionMaker {
            shared: Arc::new(RwLock::new(MakerConfig {
                bind,
                binds: None,
                config: SessionConfig::default(),
            })),
        }
    }

    fn update(self, f: impl FnOnce(&mut MakerConfig)) -> Self {
        f(&mut self.shared.write().unwrap_or_else(|p| p.into_inner()));
        self
    }

    /// Binds the factory to `engine`.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let f = aludel::orm::SessionMaker::unbound().bind(&engine);
    /// assert!(f.make().is_ok());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn bind(self, engine: &Engine) -> Self {
        let engine = engine.clone();
        self.update(|c| c.bind = Some(engine))
    }

    /// Makes sessions with per-model and per-table engines (SQLAlchemy's
    /// `sessionmaker(binds=...)`; see [`Session::with_binds`]). The factory's engine, if
    /// any, is their default bind unless `binds` names one.
    ///
    /// ```
    /// #[derive(aludel::Model, Clone)] #[model(table = "audit")] struct Audit { #[column(primary_key)] id: i64 }
    /// use aludel::orm::{Binds, Model, SessionMaker};
    /// let app = aludel::create_engine("sqlite://:memory:")?;
    /// let audit = aludel::create_engine("sqlite://:memory:")?;
    /// aludel::orm::create_all(&audit, &[Audit::info()])?;
    /// let f = SessionMaker::new(&app).binds(Binds::new().model::<Audit>(&audit));
    /// let s = f.make()?;
    /// s.add(Audit { id: 1 })?;
    /// s.commit()?;
    /// assert_eq!(s.scalar::<i64>(&aludel::sql::text("SELECT 1"), ())?, 1); // on `app`
    /// assert_eq!(audit.connect()?.scalar::<i64>(&aludel::sql::text("SELECT count(*) FROM audit"), ())?, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn binds(self, binds: crate::orm::Binds) -> Self {
        self.update(|c| c.binds = Some(binds))
    }

    /// Sets autoflush for sessions made from now on.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let f = aludel::orm::SessionMaker::new(&engine).autoflush(false);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn autoflush(self, on: bool) -> Self {
        self.update(|c| c.config.autoflush = on)
    }

    /// Sets expire_on_commit for sessions made from now on.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let f = aludel::orm::SessionMaker::new(&engine).expire_on_commit(false);
    /// assert!(!f.make()?.config().expire_on_commit);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn expire_on_commit(self, on: bool) -> Self {
        self.update(|c| c.config.expire_on_commit = on)
    }

    /// Sets two-phase commit for sessions made from now on (SQLAlchemy's
    /// `sessionmaker(twophase=True)`; see [`SessionConfig::twophase`](crate::orm::SessionConfig::twophase)).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let f = aludel::orm::SessionMaker::new(&engine).twophase(true);
    /// assert!(f.make()?.config().twophase);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn twophase(self, on: bool) -> Self {
        self.update(|c| c.config.twophase = on)
    }

    /// Sets what a lazy load does in sessions made from now on: run, warn or raise
    /// (SQLAlchemy's `raiseload` as a session-wide policy).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::orm::{LazyLoads, SessionMaker};
    /// let f = SessionMaker::new(&engine).lazy_loads(LazyLoads::Raise);
    /// assert_eq!(f.make()?.config().lazy_loads, LazyLoads::Raise);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn lazy_loads(self, policy: crate::orm::LazyLoads) -> Self {
        self.update(|c| c.config.lazy_loads = policy)
    }

    /// Adds an `info` entry carried by every session.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let f = aludel::orm::SessionMaker::new(&engine).info("app", "demo");
    /// assert_eq!(f.make()?.config().info, vec![("app".to_string(), "demo".to_string())]);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn info(self, key: &str, value: &str) -> Self {
        let entry = (key.to_owned(), value.to_owned());
        self.update(|c| c.config.info.push(entry))
    }

    /// Criteria every `session.query::<M>()` of the sessions made from now on adds — the
    /// session-wide half of SQLAlchemy's `sessionmaker(query_cls=...)` (methods of a query
    /// class belong to a type: see [`Session::query_as`] and the model's `query_class`).
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// # #[derive(aludel::Model, Clone)] #[model(table = "posts")] struct Post { #[column(primary_key)] id: i64, deleted: bool }
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let factory = aludel::orm::SessionMaker::new(&engine)
    ///     .query_criteria(|m| m.column_index("deleted").map(|_| literal_column("deleted").eq(false)));
    /// let q = factory.make()?.query::<Post>();
    /// assert!(q.statement().compile(engine.dialect())?.sql.ends_with("WHERE deleted = ?"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn query_criteria(
        self,
        criteria: impl Fn(&crate::orm::ModelInfo) -> Option<crate::sql::Expr> + Send + Sync + 'static,
    ) -> Self {
        let f: crate::orm::QueryCriteria = Arc::new(criteria);
        self.update(|c| c.config.query_criteria = Some(f))
    }

    /// Changes the configuration of this factory and all its clones (SQLAlchemy's
    /// `sessionmaker.configure`).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let f = aludel::orm::SessionMaker::new(&engine);
    /// let g = f.clone();
    /// f.configure(aludel::orm::SessionOptions { autoflush: Some(false), ..Default::default() });
    /// assert!(!g.make()?.config().autoflush);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn configure(&self, options: SessionOptions) {
        let mut c = self.shared.write().unwrap_or_else(|p| p.into_inner());
        apply(&mut c, options);
    }

    /// A new session (SQLAlchemy: calling the sessionmaker).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::SessionMaker::new(&engine).make()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn make(&self) -> Result<Session> {
        self.make_with(SessionOptions::default())
    }

    /// A new session with per-call overrides.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let f = aludel::orm::SessionMaker::new(&engine);
    /// let s = f.make_with(aludel::orm::SessionOptions { expire_on_commit: Some(false), ..Default::default() })?;
    /// assert!(!s.config().expire_on_commit);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn make_with(&self, options: SessionOptions) -> Result<Session> {
        let mut c = self
            .shared
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        apply(&mut c, options);
        if let Some(binds) = c.binds {
            let binds = match (binds.default_target(), c.bind) {
                (None, Some(engine)) => binds.bind(engine),
                _ => binds,
            };
            return Ok(Session::with_binds(binds, c.config));
        }
        let engine = c.bind.ok_or_else(|| {
            Error::invalid(
                "this SessionMaker has no engine; bind one with SessionMaker::bind or configure",
            )
        })?;
        Ok(Session::with_config(&engine, c.config))
    }
}

fn apply(c: &mut MakerConfig, options: SessionOptions) {
    if let Some(engine) = options.bind {
        c.bind = Some(engine);
    }
    if let Some(a) = options.autoflush {
        c.config.autoflush = a;
    }
    if let Some(e) = options.expire_on_commit {
        c.config.expire_on_commit = e;
    }
}
