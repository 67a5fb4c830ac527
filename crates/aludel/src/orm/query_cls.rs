//! Query classes for every model at once (SQLAlchemy's `sessionmaker(query_cls=...)` and
//! seed 003's `scoped_session_factory(query_cls=...)`): a [`QueryClasses`] family names
//! one query class per model, and the session handles that carry it return that class from
//! `query::<M>()`: a [`ScopedSession<C>`](crate::orm::ScopedSession) (`DB.query::<M>()`)
//! and a [`ClassedSession<C>`] made by [`SessionMaker::query_cls`].
//!
//! The family is a type parameter of the handle, not of [`Session`] itself, so the
//! plain `Session` stays one type; a `ClassedSession<C>` dereferences to it for everything
//! but `query`.

use std::marker::PhantomData;
use std::ops::Deref;

use crate::error::Result;
use crate::orm::mapper::Model;
use crate::orm::query::Query;
use crate::orm::query_property::{DeclarativeBase, QueryClass};
use crate::orm::session::Session;
use crate::orm::sessionmaker::{SessionMaker, SessionOptions};

/// A family of query classes, one per model: what `query::<M>()` returns on a session
/// handle that carries it. [`PlainQueries`] gives [`Query<M>`]; every [`DeclarativeBase`]
/// is a family (its `Query<M>`).
///
/// ```
/// use aludel::orm::{Model, Query, QueryClass, QueryClasses};
///
/// /// Seed 003's BaseQuery, for any model.
/// struct BaseQuery<M: Model>(Query<M>);
/// impl<M: Model> QueryClass<M> for BaseQuery<M> {
///     fn from_query(query: Query<M>) -> Self { BaseQuery(query) }
///     fn as_query(&self) -> &Query<M> { &self.0 }
///     fn with_query(&self, query: Query<M>) -> Self { BaseQuery(query) }
/// }
///
/// struct BaseQueries;
/// impl QueryClasses for BaseQueries {
///     type Query<M: Model> = BaseQuery<M>;
/// }
/// ```
pub trait QueryClasses: 'static {
    /// The query class of model `M`.
    type Query<M: Model>: QueryClass<M>;
}

/// The default family: `query::<M>()` is a plain [`Query<M>`].
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
/// use aludel::orm::{PlainQueries, Query, QueryClasses};
/// let _: Option<<PlainQueries as QueryClasses>::Query<T>> = None::<Query<T>>;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainQueries;

impl QueryClasses for PlainQueries {
    type Query<M: Model> = Query<M>;
}

impl<B: DeclarativeBase + 'static> QueryClasses for B {
    type Query<M: Model> = B::Query<M>;
}

/// A [`Session`] whose `query::<M>()` returns the query class of family `C` (a session of
/// `sessionmaker(query_cls=...)`); everything else is the session's, through `Deref`.
///
/// ```
/// use aludel::orm::{Model, Query, QueryClass, QueryClasses, QueryMethods, SessionMaker};
/// # #[derive(aludel::Model, Clone)] #[model(table = "tags")] struct Tag { #[column(primary_key)] id: i64 }
/// struct Counted<M: Model>(Query<M>);
/// impl<M: Model> QueryClass<M> for Counted<M> {
///     fn from_query(query: Query<M>) -> Self { Counted(query) }
///     fn as_query(&self) -> &Query<M> { &self.0 }
///     fn with_query(&self, query: Query<M>) -> Self { Counted(query) }
/// }
/// impl<M: Model> Counted<M> {
///     fn is_empty(&self) -> aludel::Result<bool> { Ok(self.count()? == 0) }
/// }
/// struct Family;
/// impl QueryClasses for Family { type Query<M: Model> = Counted<M>; }
///
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// aludel::orm::create_all(&engine, &[Tag::info()])?;
/// let session = SessionMaker::new(&engine).query_cls::<Family>().make()?;
/// session.add(Tag { id: 1 })?;                         // a Session method, through Deref
/// let q: Counted<Tag> = session.query::<Tag>().filter(Tag::id.gt(5));
/// assert!(q.is_empty()?);
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct ClassedSession<C: QueryClasses> {
    session: Session,
    _classes: PhantomData<fn() -> C>,
}

impl<C: QueryClasses> ClassedSession<C> {
    /// `session` with family `C`'s query classes.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::orm::{ClassedSession, PlainQueries, Session};
    /// let s = ClassedSession::<PlainQueries>::new(Session::new(&engine));
    /// assert!(s.session().config().autoflush);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn new(session: Session) -> Self {
        ClassedSession {
            session,
            _classes: PhantomData,
        }
    }

    /// A query for `M` wrapped in the family's query class (`session.query(M)` of a
    /// session made with `sessionmaker(query_cls=...)`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::orm::{ClassedSession, PlainQueries, Query, Session};
    /// let s = ClassedSession::<PlainQueries>::new(Session::new(&engine));
    /// let _q: Query<T> = s.query::<T>();
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn query<M: Model>(&self) -> C::Query<M> {
        C::Query::<M>::from_query(self.session.query::<M>())
    }

    /// The plain session.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::orm::{ClassedSession, PlainQueries, Session};
    /// let plain = Session::new(&engine);
    /// assert!(ClassedSession::<PlainQueries>::new(plain.clone()).session().ptr_eq(&plain));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn session(&self) -> &Session {
        &self.session
    }
}

impl<C: QueryClasses> Clone for ClassedSession<C> {
    fn clone(&self) -> Self {
        ClassedSession::new(self.session.clone())
    }
}

impl<C: QueryClasses> Deref for ClassedSession<C> {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self.session
    }
}

/// A [`SessionMaker`] whose sessions return family `C`'s query classes
/// ([`SessionMaker::query_cls`]).
///
/// ```
/// # let engine = aludel::create_engine("sqlite://")?;
/// use aludel::orm::{PlainQueries, SessionMaker};
/// let maker = SessionMaker::new(&engine).query_cls::<PlainQueries>();
/// assert!(maker.make()?.config().autoflush);
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct ClassedSessionMaker<C: QueryClasses> {
    maker: SessionMaker,
    _classes: PhantomData<fn() -> C>,
}

impl<C: QueryClasses> ClassedSessionMaker<C> {
    /// A new session (see [`SessionMaker::make`]).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::SessionMaker::new(&engine).query_cls::<aludel::orm::PlainQueries>().make()?;
    /// assert!(s.config().autoflush);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn make(&self) -> Result<ClassedSession<C>> {
        self.maker.make().map(ClassedSession::new)
    }

    /// A new session with per-call overrides (see [`SessionMaker::make_with`]).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let opts = aludel::orm::SessionOptions { autoflush: Some(false), ..Default::default() };
    /// let s = aludel::orm::SessionMaker::new(&engine).query_cls::<aludel::orm::PlainQueries>().make_with(opts)?;
    /// assert!(!s.config().autoflush);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn make_with(&self, options: SessionOptions) -> Result<ClassedSession<C>> {
        self.maker.make_with(options).map(ClassedSession::new)
    }

    /// The plain factory (for [`ScopedSession::configure`](crate::orm::ScopedSession::configure)).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let maker = aludel::orm::SessionMaker::new(&engine).query_cls::<aludel::orm::PlainQueries>();
    /// assert!(maker.maker().make()?.config().autoflush);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn maker(&self) -> &SessionMaker {
        &self.maker
    }
}

impl SessionMaker {
    /// This factory making sessions whose `query::<M>()` returns family `C`'s query class
    /// (SQLAlchemy's `sessionmaker(query_cls=...)`); see [`ClassedSession`].
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let maker = aludel::orm::SessionMaker::new(&engine).query_cls::<aludel::orm::PlainQueries>();
    /// assert!(maker.make()?.config().autoflush);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn query_cls<C: QueryClasses>(&self) -> ClassedSessionMaker<C> {
        ClassedSessionMaker {
            maker: self.clone(),
            _classes: PhantomData,
        }
    }
}
