//! [`SessionManager`]: where the managers get their session, and the session-wide
//! operations (`save`, `save_all`, `commit`, `no_autoflush`).

use std::sync::RwLock;

use crate::error::{Error, Result};
use crate::orm::{Instance, IntoInstance, Model, NoAutoflush, ScopedSession, Session};

/// The scoped session every [`SessionManager::new`] uses (sqlalchemy-unchained sets it on
/// the class once, at start-up).
static FACTORY: RwLock<Option<&'static ScopedSession>> = RwLock::new(None);

/// Where a manager's session comes from.
#[derive(Clone)]
enum Source {
    /// The scoped session set with [`SessionManager::set_session_factory`], looked up on
    /// each use (so one manager serves every thread or task scope).
    Global,
    /// A given scoped session.
    Scoped(&'static ScopedSession),
    /// One given session.
    Session(Session),
}

/// The session side of the managers layer: it finds the current session and saves and
/// commits through it. Cheap to clone; managers hold one.
///
/// ```
/// use aludel::ext::managers::SessionManager;
/// use aludel::orm::{create_all, Model, ScopedSession, Scope, SessionMaker};
///
/// #[derive(aludel::Model, Debug, Clone)]
/// #[model(table = "notes")]
/// struct Note {
///     #[column(primary_key)]
///     id: i64,
///     body: String,
/// }
///
/// static DB: ScopedSession = ScopedSession::unconfigured();
///
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// create_all(&engine, &[Note::info()])?;
/// DB.configure(SessionMaker::new(&engine), Scope::thread());
/// SessionManager::set_session_factory(&DB);
///
/// let sessions = SessionManager::new();
/// let note = sessions.save(Note { id: 0, body: "hello".into() }, true)?;
/// assert!(note.read()?.id > 0);
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Clone)]
pub struct SessionManager {
    source: Source,
}

impl Default for SessionManager {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionManager {
    /// Sets the scoped session that managers made with [`new`](Self::new) use
    /// (unchained's `SessionManager.set_session_factory`). Call it once at start-up; a
    /// later call replaces it for managers created afterwards and for existing ones.
    ///
    /// ```
    /// static DB: aludel::orm::ScopedSession = aludel::orm::ScopedSession::unconfigured();
    /// aludel::ext::managers::SessionManager::set_session_factory(&DB);
    /// ```
    pub fn set_session_factory(scoped: &'static ScopedSession) {
        *FACTORY.write().unwrap_or_else(|p| p.into_inner()) = Some(scoped);
    }

    /// A manager on the scoped session set with
    /// [`set_session_factory`](Self::set_session_factory).
    ///
    /// ```
    /// let m = aludel::ext::managers::SessionManager::new();
    /// # let _ = m;
    /// ```
    pub fn new() -> Self {
        SessionManager {
            source: Source::Global,
        }
    }

    /// A manager on the given scoped session.
    ///
    /// ```
    /// static DB: aludel::orm::ScopedSession = aludel::orm::ScopedSession::unconfigured();
    /// let m = aludel::ext::managers::SessionManager::scoped(&DB);
    /// # let _ = m;
    /// ```
    pub fn scoped(scoped: &'static ScopedSession) -> Self {
        SessionManager {
            source: Source::Scoped(scoped),
        }
    }

    /// A manager on one session (handy in tests and scripts).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let m = aludel::ext::managers::SessionManager::with_session(aludel::orm::Session::new(&engine));
    /// assert!(m.session().is_ok());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_session(session: Session) -> Self {
        SessionManager {
            source: Source::Session(session),
        }
    }

    /// The current session.
    ///
    /// ```
    /// let err = aludel::ext::managers::SessionManager::new().session();
    /// # let _ = err;
    /// ```
    pub fn session(&self) -> Result<Session> {
        match &self.source {
            Source::Session(s) => Ok(s.clone()),
            Source::Scoped(scoped) => scoped.get(),
            Source::Global => {
                let factory = *FACTORY.read().unwrap_or_else(|p| p.into_inner());
                factory
                    .ok_or_else(|| Error::InvalidRequest {
                        message: "SessionManager has no session factory: call SessionManager::set_session_factory(&SCOPED_SESSION) at start-up, or build the manager with SessionManager::scoped / with_session".into(),
                    })?
                    .get()
            }
        }
    }

    /// Adds `instance` to the session, committing if `commit`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let m = aludel::ext::managers::SessionManager::with_session(aludel::orm::Session::new(&engine));
    /// let t = m.save(T { id: 0 }, false)?;
    /// assert_eq!(t.state(), aludel::orm::ObjectState::Pending);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn save<T: Model>(
        &self,
        instance: impl IntoInstance<T>,
        commit: bool,
    ) -> Result<Instance<T>> {
        let session = self.session()?;
        let instance = session.add(instance)?;
        if commit {
            session.commit()?;
        }
        Ok(instance)
    }

    /// Adds every instance, committing once at the end if `commit`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let m = aludel::ext::managers::SessionManager::with_session(aludel::orm::Session::new(&engine));
    /// assert_eq!(m.save_all([T { id: 0 }, T { id: 0 }], true)?.len(), 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn save_all<T: Model, I: IntoInstance<T>>(
        &self,
        instances: impl IntoIterator<Item = I>,
        commit: bool,
    ) -> Result<Vec<Instance<T>>> {
        let session = self.session()?;
        let saved = session.add_all(instances)?;
        if commit {
            session.commit()?;
        }
        Ok(saved)
    }

    /// Commits the current session.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// aludel::ext::managers::SessionManager::with_session(aludel::orm::Session::new(&engine)).commit()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn commit(&self) -> Result<()> {
        self.session()?.commit()
    }

    /// Suspends autoflush on the current session until the guard is dropped.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let m = aludel::ext::managers::SessionManager::with_session(aludel::orm::Session::new(&engine));
    /// let _guard = m.no_autoflush()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn no_autoflush(&self) -> Result<NoAutoflush> {
        Ok(self.session()?.no_autoflush())
    }
}
