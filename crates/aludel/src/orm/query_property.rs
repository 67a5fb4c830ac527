//! `Model::query()`: the query property bound to a scoped session, and query classes
//! (seed 000). A model names its scoped session (and optionally a query class) with
//! `#[model(query = DB, query_class = ...)]`, or shares both through a
//! [`DeclarativeBase`] with `#[model(base = Base)]`.
//!
//! `session.query::<M>()` never uses the model's query class, exactly as in SQLAlchemy.
//!
//! ```
//! use aludel::orm::{Query, QueryClass, Scope, ScopedSession, SessionMaker};
//!
//! static DB: ScopedSession = ScopedSession::unconfigured();
//!
//! /// Hides soft-deleted rows from every query it builds.
//! struct LivePosts(Query<Post>);
//!
//! impl QueryClass<Post> for LivePosts {
//!     fn from_query(query: Query<Post>) -> Self {
//!         LivePosts(query.filter(Post::deleted.eq(false)))
//!     }
//! }
//!
//! impl std::ops::Deref for LivePosts {
//!     type Target = Query<Post>;
//!     fn deref(&self) -> &Query<Post> {
//!         &self.0
//!     }
//! }
//!
//! #[derive(aludel::Model, Clone)]
//! #[model(table = "posts", query = DB, query_class = LivePosts)]
//! struct Post {
//!     #[column(primary_key)]
//!     id: i64,
//!     deleted: bool,
//! }
//!
//! let engine = aludel::create_engine("sqlite://:memory:")?;
//! aludel::orm::create_all(&engine, &[<Post as aludel::orm::Model>::info()])?;
//! DB.configure(SessionMaker::new(&engine), Scope::thread());
//! DB.add(Post { id: 1, deleted: false })?;
//! DB.add(Post { id: 2, deleted: true })?;
//! assert_eq!(Post::query().count()?, 1);              // the query class hides id 2
//! assert_eq!(DB.get()?.query::<Post>().count()?, 2);  // session.query does not
//! # Ok::<(), aludel::Error>(())
//! ```

use crate::orm::mapper::Model;
use crate::orm::query::Query;
use crate::orm::scoping::ScopedSession;

/// A query class: how a model's `query()` wraps the plain [`Query`] (add criteria in
/// `from_query`, add methods on the type; `Deref` to `Query<M>` keeps the generative API).
pub trait QueryClass<M: Model>: Sized {
    /// Wraps a fresh query for `M`.
    fn from_query(query: Query<M>) -> Self;
}

impl<M: Model> QueryClass<M> for Query<M> {
    fn from_query(query: Query<M>) -> Self {
        query
    }
}

/// The query property of a model: which scoped session and query class `M::query()`
/// uses. Implemented by `#[derive(Model)]` when the model names `query = ...` or
/// `base = ...`.
pub trait QueryProperty: Model {
    /// The query class `query()` returns.
    type Query: QueryClass<Self>;

    /// The scoped session behind `query()`.
    fn scoped_session() -> &'static ScopedSession;

    /// A query through the current scoped session, wrapped in the query class. If the
    /// scoped session is not configured, the query fails with that error when it runs.
    fn query() -> Self::Query {
        Self::Query::from_query(Query::new(Self::scoped_session().get()))
    }
}

/// A base shared by many models (SQLAlchemy's `declarative_base(cls=_Base)` whose `_Base`
/// has `query = DBSession.query_property()`): it names the scoped session and the query
/// class for every model that says `#[model(base = ThisType)]`.
///
/// ```
/// use aludel::orm::{DeclarativeBase, Model, Query, ScopedSession};
///
/// static DB: ScopedSession = ScopedSession::unconfigured();
/// struct Base;
/// impl DeclarativeBase for Base {
///     type Query<M: Model> = Query<M>;
///     fn scoped_session() -> &'static ScopedSession {
///         &DB
///     }
/// }
///
/// #[derive(aludel::Model, Clone)]
/// #[model(table = "some_model", base = Base)]
/// struct SomeModel {
///     #[column(primary_key)]
///     key: String,
///     value: Option<String>,
/// }
///
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// aludel::orm::create_all(&engine, &[SomeModel::info()])?;
/// DB.configure(aludel::orm::SessionMaker::new(&engine), aludel::orm::Scope::thread());
/// assert_eq!(SomeModel::query().count()?, 0);
/// # Ok::<(), aludel::Error>(())
/// ```
pub trait DeclarativeBase {
    /// The query class of every model of this base.
    type Query<M: Model>: QueryClass<M>;

    /// The scoped session of every model of this base.
    fn scoped_session() -> &'static ScopedSession;
}
