//! [`QueryMethods`]: the [`Query`] API on every query class, so a query class stays itself
//! through every generative call (SQLAlchemy's Query subclasses do: `Post.query.filter(..)`
//! is still the subclass, so its own methods are still there).
//!
//! Each method forwards in one line: generative methods run the [`Query`] method on the
//! wrapped query and wrap the result again with [`QueryClass::with_query`]; reading methods
//! (execution, `statement`, `subquery`, ...) return what the [`Query`] method returns. The
//! list lives in one `query_methods!` invocation below: a new `Query` method is added there.

use crate::error::Result;
use crate::orm::instance::Instance;
use crate::orm::mapper::Model;
use crate::orm::query::{
    JoinArgs, Query, QueryOptions, QueryStream, SynchronizeSession, UpdateKey,
};
use crate::orm::query_property::QueryClass;
use crate::orm::relationship::{RelationField, Relationship, RelationshipPath};
use crate::orm::session::{PrimaryKey, Session};
use crate::sql::{
    Cte, Executable, Expr, FromItem, FromValue, LockOptions, OrderBy, Params, Select, Table,
    ToValue, Update,
};

/// Writes the [`QueryMethods`] trait: `generative` signatures return the query class,
/// `reading` signatures return what [`Query`]'s method of the same name returns. Generic
/// parameters are written `<'a, T: Bound>` (lifetimes first, one bound per type).
macro_rules! query_methods {
    (
        generative {
            $( fn $g_name:ident $(<$($g_lt:lifetime),* $(,)? $($g_ty:ident : $g_bound:path),*>)?
                ($($g_arg:ident : $g_arg_ty:ty),*); )*
        }
        reading {
            $( fn $r_name:ident $(<$($r_lt:lifetime),* $(,)? $($r_ty:ident : $r_bound:path),*>)?
                ($($r_arg:ident : $r_arg_ty:ty),*) -> $r_ret:ty; )*
        }
    ) => {
        /// The [`Query`] API on a query class: every generative method returns the class
        /// (`Self`), so the class's own methods stay available after `filter`, `order_by`,
        /// `limit` and the rest; execution methods run the wrapped query. Implemented for
        /// every [`QueryClass`] (and so for [`Query`] itself, whose inherent methods take
        /// precedence and behave the same). It is in `aludel::prelude`.
        ///
        /// ```
        /// use aludel::prelude::*;
        /// use aludel::sql::Executable;
        ///
        /// static DB: ScopedSession = ScopedSession::unconfigured();
        ///
        /// /// Posts that are not deleted, plus `live()` and `titled()`.
        /// struct Posts(Query<Post>);
        ///
        /// impl QueryClass<Post> for Posts {
        ///     fn from_query(query: Query<Post>) -> Self {
        ///         Posts(query)
        ///     }
        ///     fn as_query(&self) -> &Query<Post> {
        ///         &self.0
        ///     }
        ///     fn with_query(&self, query: Query<Post>) -> Self {
        ///         Posts(query)
        ///     }
        /// }
        ///
        /// impl Posts {
        ///     fn live(&self) -> Self {
        ///         self.filter(Post::deleted.eq(false))
        ///     }
        /// }
        ///
        /// #[derive(aludel::Model, Clone)]
        /// #[model(table = "posts", query = DB, query_class = Posts)]
        /// struct Post {
        ///     #[column(primary_key)]
        ///     id: i64,
        ///     deleted: bool,
        /// }
        ///
        /// let engine = create_engine("sqlite://:memory:")?;
        /// aludel::orm::create_all(&engine, &[Post::info()])?;
        /// DB.configure(SessionMaker::new(&engine), Scope::thread());
        /// DB.get()?.add_all([Post { id: 1, deleted: false }, Post { id: 2, deleted: true }])?;
        /// let q: Posts = Post::query().order_by(Post::id); // still a `Posts`
        /// assert_eq!(q.live().limit(5).count()?, 1);
        /// assert_eq!(
        ///     Post::query().filter(Post::id.gt(0)).live().statement().compile(engine.dialect())?.sql,
        ///     "SELECT posts.id, posts.deleted FROM posts WHERE posts.id > ? AND posts.deleted = ?"
        /// );
        /// # Ok::<(), aludel::Error>(())
        /// ```
        pub trait QueryMethods<M: Model>: QueryClass<M> {
            $(
                #[doc = concat!("[`Query::", stringify!($g_name), "`], returning the query class.")]
                #[allow(clippy::wrong_self_convention)] // `from_self`, `from_statement`: Query's names
                fn $g_name $(<$($g_lt,)* $($g_ty: $g_bound),*>)? (&self $(, $g_arg: $g_arg_ty)*) -> Self {
                    self.with_query(self.as_query().$g_name $(::<$($g_ty),*>)? ($($g_arg),*))
                }
            )*

            $(
                #[doc = concat!("[`Query::", stringify!($r_name), "`] on the wrapped query.")]
                fn $r_name $(<$($r_lt,)* $($r_ty: $r_bound),*>)? (&self $(, $r_arg: $r_arg_ty)*) -> $r_ret {
                    self.as_query().$r_name $(::<$($r_ty),*>)? ($($r_arg),*)
                }
            )*

            /// Applies a reusable recipe to the query class (SQLAlchemy's
            /// `with_transformation`): `f(self)`, so the recipe sees the class.
            fn with_transformation(&self, f: impl FnOnce(Self) -> Self) -> Self {
                f(self.with_query(self.as_query().clone()))
            }
        }
    };
}

query_methods! {
    generative {
        // criteria.rs
        fn filter(criterion: Expr);
        fn filter_all(criteria: impl IntoIterator<Item = Expr>);
        fn where_(criterion: Expr);
        fn filter_by(column: &str, value: impl ToValue);
        fn filter_by_all(pairs: impl Into<Params>);
        fn params(params: impl Into<Params>);
        // ordering.rs
        fn order_by(key: impl Into<OrderBy>);
        fn order_by_keys<K: Into<OrderBy>>(keys: impl IntoIterator<Item = K>);
        fn reset_order_by();
        fn limit(n: u64);
        fn reset_limit();
        fn offset(n: u64);
        fn reset_offset();
        fn slice(start: u64, stop: u64);
        // shaping.rs
        fn group_by<E: Into<Expr>>(exprs: impl IntoIterator<Item = E>);
        fn having(criterion: Expr);
        fn distinct();
        fn distinct_on<E: Into<Expr>>(exprs: impl IntoIterator<Item = E>);
        fn with_for_update(lock: LockOptions);
        fn prefix_with(text: &str);
        fn suffix_with(text: &str);
        // joins.rs
        fn join<T: Model>();
        fn join_on<T: Model>(on: Expr);
        fn join_item(target: impl Into<FromItem>, on: Expr);
        fn outerjoin<T: Model>();
        fn outerjoin_on<T: Model>(on: Expr);
        fn outerjoin_item(target: impl Into<FromItem>, on: Expr);
        fn full_outerjoin_on<T: Model>(on: Expr);
        fn select_from<T: Model>();
        fn select_from_item(from: impl Into<FromItem>);
        fn reset_joinpoint();
        // relationship_joins.rs, aliased_joins.rs
        fn join_rel<R: RelationshipPath>(rel: R);
        fn outerjoin_rel<R: RelationshipPath>(rel: R);
        fn join_rel_to<P: Model, F: RelationField>(rel: Relationship<P, F>, alias: &FromItem);
        fn outerjoin_rel_to<P: Model, F: RelationField>(rel: Relationship<P, F>, alias: &FromItem);
        fn join_rel_with<P: Model, F: RelationField>(rel: Relationship<P, F>, args: JoinArgs);
        // set_ops.rs
        fn union(other: &Query<M>);
        fn union_all(other: &Query<M>);
        fn intersect(other: &Query<M>);
        fn intersect_all(other: &Query<M>);
        fn except_(other: &Query<M>);
        fn except_all(other: &Query<M>);
        fn from_self();
        fn select_entity_from(from: &FromItem);
        // selectable.rs
        fn with_hint(text: &str, dialect: &str);
        fn with_hint_on(target: impl Into<FromItem>, text: &str, dialect: &str);
        fn with_statement_hint(text: &str, dialect: &str);
        fn correlate<'a>(tables: impl IntoIterator<Item = &'a Table>);
        fn with_labels();
        // options.rs
        fn populate_existing();
        fn autoflush(on: bool);
        fn yield_per(n: usize);
        fn execution_options(options: QueryOptions);
        fn enable_assertions(on: bool);
        fn enable_eagerloads(on: bool);
        // from_statement.rs, mod.rs
        fn from_statement(statement: impl Executable + Send + Sync + 'static);
        fn with_session(session: &Session);
    }
    reading {
        // execution.rs
        fn all() -> Result<Vec<Instance<M>>>;
        fn first() -> Result<Option<Instance<M>>>;
        fn one() -> Result<Instance<M>>;
        fn one_or_none() -> Result<Option<Instance<M>>>;
        fn scalar() -> Result<Option<Instance<M>>>;
        fn value<T: FromValue>(column: impl Into<Expr>) -> Result<Option<T>>;
        fn get(key: impl PrimaryKey) -> Result<Option<Instance<M>>>;
        fn get_by(pairs: impl Into<Params>) -> Result<Option<Instance<M>>>;
        fn count() -> Result<i64>;
        fn exists() -> Expr;
        fn exists_scalar() -> Result<bool>;
        // yield_per.rs
        fn for_each(f: impl FnMut(Instance<M>) -> Result<()>) -> Result<u64>;
        fn for_each_partition(f: impl FnMut(Vec<Instance<M>>) -> Result<()>) -> Result<u64>;
        fn stream() -> Result<QueryStream<M>>;
        // from_statement.rs
        fn instances(result: crate::engine::ResultSet) -> Result<Vec<Instance<M>>>;
        fn merge_result<'a>(objects: impl IntoIterator<Item = &'a Instance<M>>, load: bool)
            -> Result<Vec<Instance<M>>>;
        // bulk.rs
        fn update<K: UpdateKey<M>, V: Into<Expr>>(
            values: impl IntoIterator<Item = (K, V)>,
            sync: SynchronizeSession
        ) -> Result<u64>;
        fn update_with<K: UpdateKey<M>, V: Into<Expr>>(
            values: impl IntoIterator<Item = (K, V)>,
            sync: SynchronizeSession,
            args: impl Fn(Update) -> Update
        ) -> Result<u64>;
        fn delete(sync: SynchronizeSession) -> Result<u64>;
        // criteria.rs, selectable.rs, options.rs, mod.rs
        fn whereclause() -> Option<Expr>;
        fn subquery(name: &str) -> FromItem;
        fn reduced_subquery(name: &str) -> FromItem;
        fn cte(name: &str) -> Cte;
        fn cte_recursive(name: &str) -> Cte;
        fn as_scalar() -> Expr;
        fn label(name: &str) -> Expr;
        fn get_execution_options() -> &QueryOptions;
        fn statement() -> &Select;
    }
}

impl<M: Model, Q: QueryClass<M>> QueryMethods<M> for Q {}
