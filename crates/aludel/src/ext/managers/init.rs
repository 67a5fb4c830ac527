//! [`init_sqlalchemy_unchained`]: one call that connects, sets up the scoped session the
//! managers use, and fixes the constraint naming convention.

use crate::engine::{Backend, Engine, IsolationLevel};
use crate::error::Result;
use crate::ext::managers::{ModelBase, SessionManager, declarative_base};
use crate::orm::{ModelInfo, Scope, ScopedSession, SessionMaker};
use crate::sql::{MetaData, NamingConvention};

/// What [`init_sqlalchemy_unchained`] sets up: the engine, the scoped session (also the
/// managers' session source), the model base bound to the engine, and the naming
/// convention its DDL uses — unchained's `(engine, Session, Model, relationship)`; a
/// relationship is the `#[relationship(...)]` attribute of a model's field.
pub struct Unchained {
    /// The engine.
    pub engine: Engine,
    /// The scoped session, registered with [`SessionManager::set_session_factory`].
    pub session: &'static ScopedSession,
    /// The model base ([`declarative_base`](crate::ext::managers::declarative_base)),
    /// bound to the engine. unchained's `**kwargs` for `declarative_base` are its
    /// builder methods: `app.model = app.model.with_name("Blog")`.
    pub model: ModelBase,
    /// The constraint naming convention ([`NamingConvention::unchained`]).
    pub naming: NamingConvention,
}

impl Unchained {
    /// The models' tables as a [`MetaData`] carrying the naming convention.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # static DB: aludel::orm::ScopedSession = aludel::orm::ScopedSession::unconfigured();
    /// let app = aludel::ext::managers::init_sqlalchemy_unchained("sqlite://:memory:", &DB, aludel::orm::Scope::thread(), None)?;
    /// assert!(app.metadata(&[<T as aludel::orm::Model>::info()]).naming_convention().is_some());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn metadata(&self, models: &[&ModelInfo]) -> MetaData {
        crate::orm::metadata(models).with_naming_convention(self.naming.clone())
    }

    /// Creates the models' tables that do not exist yet, constraints named by the
    /// convention (`pk_<table>`, `fk_<table>_<column>_<referred table>`, `uq_<table>_<column>`,
    /// `ck_<table>_<name>`; indexes `ix_<table>_<column>`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # static DB: aludel::orm::ScopedSession = aludel::orm::ScopedSession::unconfigured();
    /// let app = aludel::ext::managers::init_sqlalchemy_unchained("sqlite://:memory:", &DB, aludel::orm::Scope::thread(), None)?;
    /// app.create_all(&[<T as aludel::orm::Model>::info()])?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn create_all(&self, models: &[&ModelInfo]) -> Result<()> {
        self.metadata(models).create_all(&self.engine)
    }
}

/// Connects to `database_uri` and sets up the managers layer (sqlalchemy-unchained's main
/// entry point): an engine with `isolation_level` (on PostgreSQL REPEATABLE READ unless
/// another level is given, as unchained does; elsewhere the database's default), the
/// scoped session `session` configured with `scope` (unchained's `session_scopefunc`) and
/// registered as the managers' session source, and unchained's constraint naming
/// convention. `query_cls` is not a parameter: a query class is a type, named by a
/// [`DeclarativeBase`](crate::orm::DeclarativeBase) (`Base::query::<M>()`), a model
/// (`#[model(query_class = ...)]`) or a call (`Session::query_as`).
///
/// ```
/// use aludel::ext::managers::{init_sqlalchemy_unchained, ModelManager, SessionManager};
/// use aludel::orm::{Model, Scope, ScopedSession};
///
/// #[derive(aludel::Model, Debug)]
/// #[model(table = "tag")]
/// struct Tag {
///     #[column(primary_key)]
///     id: i64,
///     #[column(max_len = 20, unique)]
///     name: String,
/// }
///
/// static DB: ScopedSession = ScopedSession::unconfigured();
///
/// let app = init_sqlalchemy_unchained("sqlite://:memory:", &DB, Scope::thread(), None)?;
/// app.create_all(&[Tag::info()])?;
/// let tags = ModelManager::<Tag>::new(SessionManager::new());
/// tags.create(aludel::params! { "name" => "rust" }, true)?;
/// assert_eq!(tags.all()?.len(), 1);
/// # Ok::<(), aludel::Error>(())
/// ```
pub fn init_sqlalchemy_unchained(
    database_uri: &str,
    session: &'static ScopedSession,
    scope: Scope,
    isolation_level: Option<IsolationLevel>,
) -> Result<Unchained> {
    let mut builder = Engine::builder(database_uri);
    let level = match isolation_level {
        Some(level) => Some(level),
        None if crate::engine::Url::parse(database_uri)?.backend() == Backend::Postgres => {
            Some(IsolationLevel::RepeatableRead)
        }
        None => None,
    };
    if let Some(level) = level {
        builder = builder.isolation_level(level);
    }
    let engine = builder.build()?;
    session.configure(SessionMaker::new(&engine), scope);
    SessionManager::set_session_factory(session);
    Ok(Unchained {
        model: declarative_base().with_bind(&engine),
        engine,
        session,
        naming: NamingConvention::unchained(),
    })
}
