//! `Model::query()`: the query property bound to a scoped session, and query classes
//! (seed 000). A model names its scoped session (and optionally a query class) with
//! `#[model(query = DB, query_class = ...)]`, or shares both through a
//! [`DeclarativeBase`] with `#[model(base = Base)]`.
//!
//! `session.query::<M>()` never uses the model's query class, exactly as in SQLAlchemy
//! (`Session::query_as::<Q, M>()` and `Base::query::<M>()` of a [`DeclarativeBase`] do).
//! A query class keeps its class through every generative method ([`QueryMethods`]).
//!
//! [`QueryMethods`]: crate::orm::QueryMethods
//!
//! ```
//! use aludel::orm::{Query, QueryClass, QueryMethods, Scope, ScopedSession, SessionMaker};
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
//!     fn as_query(&self) -> &Query<Post> {
//!         &self.0
//!     }
//!     fn with_query(&self, query: Query<Post>) -> Self {
//!         LivePosts(query)
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
//! let q: LivePosts = Post::query().filter(Post::id.gt(0)); // still the class
//! assert_eq!(q.count()?, 1);
//! assert_eq!(DB.get()?.query::<Post>().count()?, 2);  // session.query does not
//! # Ok::<(), aludel::Error>(())
//! ```

use crate::orm::mapper::Model;
use crate::orm::query::Query;
use crate::orm::query_cls::QueryClasses;
use crate::orm::scoping::ScopedSession;

/// A query class (SQLAlchemy's Query subclass): a type wrapping a [`Query`] that adds
/// criteria to every fresh query (`from_query`) and methods of its own. Every
/// `QueryClass` gets the whole [`Query`] API through [`QueryMethods`], with the generative
/// methods returning the class, so `Post::query().filter(..).live()` keeps working.
///
/// [`QueryMethods`]: crate::orm::QueryMethods
///
/// ```
/// use aludel::prelude::*;
///
/// #[derive(aludel::Model, Clone)]
/// #[model(table = "t")]
/// struct T {
///     #[column(primary_key)]
///     id: i64,
/// }
///
/// struct Positive(Query<T>);
///
/// impl QueryClass<T> for Positive {
///     fn from_query(query: Query<T>) -> Self {
///         Positive(query.filter(T::id.gt(0))) // only for fresh queries
///     }
///     fn as_query(&self) -> &Query<T> {
///         &self.0
///     }
///     fn with_query(&self, query: Query<T>) -> Self {
///         Positive(query) // after each generative call: no criteria added again
///     }
/// }
///
/// let engine = create_engine("sqlite://")?;
/// let q: Positive = Session::new(&engine).query_as::<Positive, T>().limit(2);
/// assert_eq!(
///     q.statement().compile(engine.dialect())?.sql,
///     "SELECT t.id FROM t WHERE t.id > ? LIMIT ?"
/// );
/// # Ok::<(), aludel::Error>(())
/// ```
pub trait QueryClass<M: Model>: Sized {
    /// Wraps a fresh query for `M` (add the class's criteria here).
    fn from_query(query: Query<M>) -> Self;

    /// The wrapped query.
    fn as_query(&self) -> &Query<M>;

    /// This class around `query`, the result of a generative method on the wrapped query
    /// (carry over any state of the class; criteria from `from_query` are already in it).
    fn with_query(&self, query: Query<M>) -> Self;
}

impl<M: Model> QueryClass<M> for Query<M> {
    fn from_query(query: Query<M>) -> Self {
        query
    }

    fn as_query(&self) -> &Query<M> {
        self
    }

    fn with_query(&self, query: Query<M>) -> Self {
        query
    }
}

/// The query property of a model: which scoped session and query class `M::query()`
/// uses. Implemented by `#[derive(Model)]` when the model names `query = ...` or
/// `base = ...`.
pub trait QueryProperty: Model {
    /// The query class `query()` returns.
    type Query: QueryClass<Self>;

    /// The scoped session behind `query()` (of any query class family).
    fn scoped_session() -> &'static ScopedSession<impl QueryClasses>;

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
/// use aludel::orm::{DeclarativeBase, Model, Query, QueryClasses, ScopedSession};
///
/// static DB: ScopedSession = ScopedSession::unconfigured();
/// struct Base;
/// impl DeclarativeBase for Base {
///     type Query<M: Model> = Query<M>;
///     fn scoped_session() -> &'static ScopedSession<impl QueryClasses> {
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

    /// The scoped session of every model of this base. Declare it
    /// `ScopedSession<ThisBase>` (made with
    /// [`ScopedSession::with_query_cls`]) for `DB.query::<M>()` to return this base's query
    /// class too, or a plain `ScopedSession`.
    fn scoped_session() -> &'static ScopedSession<impl QueryClasses>;

    /// A query for any model `M` through this base's scoped session, wrapped in this base's
    /// query class (`session.query(M)` of a session made with `sessionmaker(query_cls=..)`).
    /// If the scoped session is not configured, the query fails with that error when it runs.
    ///
    /// ```
    /// use aludel::prelude::*;
    ///
    /// static DB: ScopedSession = ScopedSession::unconfigured();
    ///
    /// /// The query class of every model of `Base`, with seed 003's `get_by`.
    /// struct BaseQuery<M: Model>(Query<M>);
    ///
    /// impl<M: Model> QueryClass<M> for BaseQuery<M> {
    ///     fn from_query(query: Query<M>) -> Self {
    ///         BaseQuery(query)
    ///     }
    ///     fn as_query(&self) -> &Query<M> {
    ///         &self.0
    ///     }
    ///     fn with_query(&self, query: Query<M>) -> Self {
    ///         BaseQuery(query)
    ///     }
    /// }
    ///
    /// struct Base;
    /// impl DeclarativeBase for Base {
    ///     type Query<M: Model> = BaseQuery<M>;
    ///     fn scoped_session() -> &'static ScopedSession<impl QueryClasses> {
    ///         &DB
    ///     }
    /// }
    ///
    /// #[derive(aludel::Model, Clone)]
    /// #[model(table = "tags")]
    /// struct Tag {
    ///     #[column(primary_key)]
    ///     id: i64,
    ///     name: String,
    /// }
    ///
    /// let engine = create_engine("sqlite://:memory:")?;
    /// aludel::orm::create_all(&engine, &[Tag::info()])?;
    /// DB.configure(SessionMaker::new(&engine), Scope::thread());
    /// DB.add(Tag { id: 1, name: "rust".into() })?;
    /// let q: BaseQuery<Tag> = Base::query::<Tag>().filter(Tag::id.gt(0));
    /// assert!(q.get_by(params! { "name" => "rust" })?.is_some());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    fn query<M: Model>() -> Self::Query<M> {
        Self::Query::<M>::from_query(Query::new(Self::scoped_session().get()))
    }
}
