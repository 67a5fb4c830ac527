//! [`Query<M>`]: the generative ORM query (SQLAlchemy's `Query`). Each method returns a new
//! query; nothing runs until `all`, `first`, `one`, `one_or_none`, `scalar`, `get`,
//! `count`, `exists_scalar`, `for_each`, `for_each_partition`, `update` or `delete`.
//!
//! The query is a Core [`Select`] (the single source of its SQL) plus the ORM context
//! beside it: the join point `filter_by` uses, the entities in FROM (for joins inferred
//! from foreign keys), the subquery a set operation wrapped the query in, late-bound
//! parameters, execution options and the assertion state. One file per concern:
//! `criteria` (filter, filter_by, where, params, with_parent), `aliased_joins` (the
//! legacy `join(..., aliased=True, from_joinpoint=True)`), `ordering` (order_by, limit, offset,
//! slice), `shaping` (group_by, having, distinct, locking), `joins`, `relationship_joins`, `set_ops`,
//! `selectable` (subquery, cte, as_scalar, label, hints, correlate, with_labels),
//! `loaders` (loader options), `options` (populate_existing, autoflush, execution options,
//! assertions), `execution`, `yield_per` (streaming objects: `for_each`,
//! `for_each_partition`), `from_statement`, `bulk` (update/delete), and `sharded` with
//! `shard_merge` (running on the shards of a sharded session and merging their rows).
//!
//! ```
//! use aludel::orm::{Model, Session};
//!
//! #[derive(aludel::Model, Debug, Clone)]
//! #[model(table = "employees")]
//! struct Employee {
//!     #[column(primary_key)]
//!     emp_no: i32,
//!     last_name: String,
//! }
//!
//! let engine = aludel::create_engine("sqlite://:memory:")?;
//! aludel::orm::create_all(&engine, &[Employee::info()])?;
//! let s = Session::new(&engine);
//! s.add(Employee { emp_no: 16621, last_name: "Strehl".into() })?;
//! let e = s.query::<Employee>().filter(Employee::emp_no.eq(16621)).first()?.unwrap();
//! assert_eq!(e.read()?.last_name, "Strehl");
//! let n = s.query::<Employee>().filter_by("last_name", "Strehl").count()?;
//! assert_eq!(n, 1);
//! # Ok::<(), aludel::Error>(())
//! ```

mod aliased_insp;
mod aliased_joins;
mod bulk;
mod bundle;
mod criteria;
mod entities;
mod execution;
mod from_statement;
mod joins;
mod loaders;
mod options;
mod ordering;
mod relationship_joins;
mod selectable;
mod selection;
mod set_ops;
mod shaping;
mod shard_merge;
mod sharded;
mod yield_per;

use std::marker::PhantomData;

pub use aliased_insp::AliasedInsp;
pub use aliased_joins::JoinArgs;
pub use bulk::{SynchronizeSession, UpdateKey};
pub use bundle::{Bundle, MappedBundle};
pub use options::QueryOptions;
pub use selection::{Aliased, ColumnDescription, Decoder, Entity, Exprs, Selection, Typed, typed};
pub use yield_per::{Objects, QueryStream};

use crate::error::{Error, Result};
use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::session::Session;
use crate::sql::{FromItem, Params, Select, select};

/// A query whose primary entity is model `M` (what `filter_by` and joins start from)
/// and which selects `S`: by default the entity itself, so rows are `Instance<M>`s;
/// `with_entities`, `add_columns`, `add_entity` and `only_return_tuples` select other
/// [`Selection`]s, whose rows are Rust values (tuples, columns' types, keyed rows).
pub struct Query<M: Model, S: Selection = Entity<M>> {
    session: Result<Session, Error>,
    select: Select,
    ctx: QueryContext,
    selection: S,
    _model: PhantomData<fn() -> M>,
}

/// What `filter_by` names columns of: a joined model, or a joined subquery or alias.
#[derive(Clone, Debug)]
pub(crate) enum JoinPoint {
    /// A model joined with `join::<T>()` and the like (or `select_from::<T>()`).
    Model(&'static ModelInfo),
    /// A FROM item joined with `join_item` / `outerjoin_item`.
    Item(FromItem),
}

/// What the ORM keeps beside the Core select.
#[derive(Clone, Debug, Default)]
pub(crate) struct QueryContext {
    /// The models whose tables are in FROM, the primary entity first, then each join target.
    pub(crate) entities: Vec<&'static ModelInfo>,
    /// The entity `filter_by` applies to: the last join target, else the primary entity.
    pub(crate) join_point: Option<JoinPoint>,
    /// `join`, `outerjoin` or `select_from` was called (bulk update/delete refuse it).
    pub(crate) joined: bool,
    /// After a set operation, the subquery the entity's columns are read from: later
    /// criteria on the entity's table are rewritten to it (SQLAlchemy's adaptation).
    pub(crate) wrapped_in: Option<FromItem>,
    /// The first refused generative call (an assertion), reported when the query runs.
    pub(crate) error: Option<Error>,
    /// Late-bound parameter values (`params`).
    pub(crate) params: Params,
    /// Execution options.
    pub(crate) options: QueryOptions,
    /// The statement `from_statement` loads from instead of the select.
    pub(crate) from_statement: Option<from_statement::FromStatement>,
    /// `enable_assertions(false)` was called.
    pub(crate) no_assertions: bool,
    /// `enable_eagerloads(false)` was called.
    pub(crate) no_eagerloads: bool,
    /// The anonymous alias the last `aliased` join went to: later `filter`, `order_by`,
    /// `group_by` and `having` read its table's columns from it, until `reset_joinpoint`
    /// or a join that is not from the join point.
    pub(crate) filter_alias: Option<FromItem>,
    /// The loader options (`options`).
    pub(crate) loaders: crate::orm::loading::options::LoaderTree,
    /// In a sharded session, the shard `set_shard` named.
    pub(crate) shard: Option<String>,
}

impl<M: Model, S: Selection> Clone for Query<M, S> {
    fn clone(&self) -> Self {
        Query {
            session: self.session.clone(),
            select: self.select.clone(),
            ctx: self.ctx.clone(),
            selection: self.selection.clone(),
            _model: PhantomData,
        }
    }
}

impl<M: Model, S: Selection> std::fmt::Debug for Query<M, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Query<{}>({:?})", M::info().name, self.select)
    }
}

impl<M: Model> Query<M> {
    /// A query of `M` bound to no session (SQLAlchemy's `Query(User)` without
    /// `session=`): it is built and compiled like any other, and runs once bound with
    /// [`with_session`](Self::with_session). Running it unbound is an
    /// [`Error::InvalidRequest`] saying so.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// use aludel::orm::{Query, Session};
    /// let q = Query::<T>::unbound().filter(T::id.gt(1));
    /// assert!(q.all().map(|_| ()).unwrap_err().to_string().contains("not bound to a session"));
    /// let s = Session::new(&engine);
    /// s.add_all([T { id: 1 }, T { id: 2 }])?;
    /// assert_eq!(q.with_session(&s).one()?.read()?.id, 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn unbound() -> Self {
        Self::new(Err(Error::InvalidRequest {
            message: format!(
                "this query of {} is not bound to a session: bind it with with_session(&session)",
                M::info().name
            ),
        }))
    }

    /// A query through `session` (or an error to report when it runs, e.g. a scoped
    /// session used before configuration).
    pub(crate) fn new(session: Result<Session, Error>) -> Self {
        let info = M::info();
        let mut select = info.select_from(select(Self::entity_columns(None)));
        let mut error = None;
        // A model in a polymorphic hierarchy gives only the rows that are exactly it.
        match info.discriminator_criterion() {
            Ok(Some(criterion)) => select = select.where_(criterion),
            Ok(None) => {}
            Err(e) => error = Some(e),
        }
        Query {
            session,
            select,
            ctx: QueryContext {
                entities: vec![info],
                error,
                ..QueryContext::default()
            },
            selection: Entity::new(),
            _model: PhantomData,
        }
    }

    /// The entity's columns in model order, read from `source` (the entity's table when
    /// `None`).
    pub(crate) fn entity_columns(source: Option<&FromItem>) -> Vec<crate::sql::Expr> {
        let info = M::info();
        (0..info.columns().len())
            .map(|i| match source {
                Some(from) => from.c(&info.columns()[i].name),
                None => info.column_expr(i),
            })
            .collect()
    }
}

impl<M: Model, S: Selection> Query<M, S> {
    /// A copy with the select changed by `f`.
    pub(crate) fn with(&self, f: impl FnOnce(Select) -> Select) -> Self {
        let mut q = self.clone();
        q.select = f(q.select);
        q
    }

    /// A copy with the select and context changed by `f`.
    pub(crate) fn with_ctx(&self, f: impl FnOnce(&mut Select, &mut QueryContext)) -> Self {
        let mut q = self.clone();
        f(&mut q.select, &mut q.ctx);
        q
    }

    /// A copy that fails when run, unless an earlier refusal is already recorded or
    /// assertions are off: SQLAlchemy refuses criteria, ordering, grouping and joins once
    /// LIMIT or OFFSET is set, because they would apply to the rows before the limit.
    pub(crate) fn assert_no_limit(&self, method: &str) -> Option<Self> {
        let limited = self.select.limit.is_some() || self.select.offset.is_some();
        if !limited || self.ctx.no_assertions || self.ctx.error.is_some() {
            return None;
        }
        let mut q = self.clone();
        q.ctx.error = Some(Error::InvalidRequest {
            message: format!(
                "Query<{}>::{method}() called on a query that already has LIMIT or OFFSET; \
                 call {method}() before limit()/offset()/slice(), or turn assertions off with \
                 enable_assertions(false)",
                M::info().name
            ),
        });
        Some(q)
    }

    pub(crate) fn session(&self) -> Result<&Session> {
        self.session.as_ref().map_err(Clone::clone)
    }

    /// The SELECT this query runs.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().limit(3);
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id FROM t LIMIT ?");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn statement(&self) -> &Select {
        &self.select
    }

    /// The same query bound to another session (SQLAlchemy's `with_session`).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let (a, b) = (aludel::orm::Session::new(&engine), aludel::orm::Session::new(&engine));
    /// let t = b.add(T { id: 1 })?;
    /// let q = a.query::<T>().filter(T::id.eq(1));
    /// assert!(q.with_session(&b).one()?.ptr_eq(&t));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_session(&self, session: &Session) -> Self {
        let mut q = self.clone();
        q.session = Ok(session.clone());
        q
    }

    /// Applies a reusable query recipe (SQLAlchemy's `with_transformation`): `f(query)`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::orm::Query;
    /// use aludel::sql::Executable;
    /// fn positive(q: Query<T>) -> Query<T> { q.filter(T::id.gt(0)) }
    /// let q = aludel::orm::Session::new(&engine).query::<T>().with_transformation(positive);
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id FROM t WHERE t.id > ?");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_transformation(&self, f: impl FnOnce(Self) -> Self) -> Self {
        f(self.clone())
    }
}
