//! The legacy keyword forms of a relationship join (SQLAlchemy 1.x's `join(rel,
//! aliased=True, from_joinpoint=True, isouter=True)`): [`JoinArgs`] and
//! [`Query::join_rel_with`]. An aliased join goes to an anonymous alias of the target's
//! table (`nodes_1`, `nodes_2`, ...), and the criteria that follow are adapted to it: a
//! filter on `Node::name` reads the alias's `name` until `reset_joinpoint()`. That is what
//! lets a self-referential tree be filtered level by level without naming an alias.
//!
//! SQLAlchemy 2.x removed these keywords; its form is an explicit alias per level,
//! `n1 = aliased(Node)` and `join(Node.children.of_type(n1)).filter(n1.name == ..)`, which
//! is [`Query::join_rel_to`] here.

use crate::orm::mapper::Model;
use crate::orm::query::{Aliased, Query, Selection};
use crate::orm::relationship::{RelationField, Relationship};
use crate::sql::JoinKind;

/// How [`Query::join_rel_with`] joins a relationship: SQLAlchemy 1.x's `aliased`,
/// `from_joinpoint` and `isouter` keywords. The default is a plain inner join starting
/// from the relationship owner's table in FROM.
///
/// ```
/// use aludel::orm::JoinArgs;
/// let args = JoinArgs::aliased().from_joinpoint().outer();
/// assert!(args.is_aliased() && args.is_from_joinpoint() && args.is_outer());
/// assert!(!JoinArgs::default().is_aliased());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JoinArgs {
    aliased: bool,
    from_joinpoint: bool,
    outer: bool,
}

impl JoinArgs {
    /// Join to a new anonymous alias of the target's table (`aliased=True`); later
    /// criteria on the target's table are adapted to it.
    ///
    /// ```
    /// assert!(aludel::orm::JoinArgs::aliased().is_aliased());
    /// ```
    pub fn aliased() -> Self {
        JoinArgs {
            aliased: true,
            ..JoinArgs::default()
        }
    }

    /// Start from the last join target instead of the owner's table in FROM
    /// (`from_joinpoint=True`): a chain one level deeper.
    ///
    /// ```
    /// assert!(aludel::orm::JoinArgs::aliased().from_joinpoint().is_from_joinpoint());
    /// ```
    pub fn from_joinpoint(self) -> Self {
        JoinArgs {
            from_joinpoint: true,
            ..self
        }
    }

    /// A `LEFT OUTER JOIN` (`isouter=True`).
    ///
    /// ```
    /// assert!(aludel::orm::JoinArgs::default().outer().is_outer());
    /// ```
    pub fn outer(self) -> Self {
        JoinArgs {
            outer: true,
            ..self
        }
    }

    /// Whether the join goes to an anonymous alias.
    ///
    /// ```
    /// assert!(!aludel::orm::JoinArgs::default().outer().is_aliased());
    /// ```
    pub fn is_aliased(&self) -> bool {
        self.aliased
    }

    /// Whether the join starts from the last join target.
    ///
    /// ```
    /// assert!(!aludel::orm::JoinArgs::aliased().is_from_joinpoint());
    /// ```
    pub fn is_from_joinpoint(&self) -> bool {
        self.from_joinpoint
    }

    /// Whether the join is a `LEFT OUTER JOIN`.
    ///
    /// ```
    /// assert!(!aludel::orm::JoinArgs::aliased().is_outer());
    /// ```
    pub fn is_outer(&self) -> bool {
        self.outer
    }
}

impl<M: Model, S: Selection> Query<M, S> {
    /// A new anonymous alias of `A` (SQLAlchemy's `aliased(A)` without a name): its table
    /// named `<table>_1`, or `_2`, ... — the first not yet naming a table or alias in the
    /// query's FROM and joins. A joined-table subtype is aliased flat, each of its tables
    /// taking its own next name (`aliased(Engineer, flat=True)`). Join the alias before
    /// asking for the next one, so that the two get different names.
    ///
    /// ```
    /// use aludel::orm::{Aliased, Session};
    /// use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "nodes")] struct Node { #[column(primary_key)] id: i64, parent_id: Option<i64> }
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let q = Session::new(&engine).query::<Node>();
    /// let parent = q.anon_aliased::<Node>();
    /// let q = q.join_item(parent.from_item().clone(), Node::parent_id.eq(parent.c("id")));
    /// let grandparent = q.anon_aliased::<Node>();
    /// let q = q
    ///     .join_item(grandparent.from_item().clone(), parent.c("parent_id").eq(grandparent.c("id")))
    ///     .add_aliased(&grandparent);
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT nodes.id, nodes.parent_id, nodes_2.id, nodes_2.parent_id FROM nodes \
    ///      JOIN nodes AS nodes_1 ON nodes.parent_id = nodes_1.id \
    ///      JOIN nodes AS nodes_2 ON nodes_1.parent_id = nodes_2.id"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn anon_aliased<A: Model>(&self) -> Aliased<A> {
        let name = self.next_anon_alias(A::info().table.name());
        Aliased::with_names(|t| self.next_anon_alias(t.name()), &name)
    }

    /// Joins along relationship `rel` as `args` say (SQLAlchemy 1.x's `join(rel,
    /// aliased=True, from_joinpoint=True)`). With [`JoinArgs::aliased`] the target is a new
    /// anonymous alias (`nodes_1`, then `nodes_2`, ...), `filter_by` names its columns, and
    /// `filter`, `order_by`, `group_by` and `having` criteria on the target's table are
    /// rewritten to the alias until [`reset_joinpoint`](Self::reset_joinpoint). Without
    /// [`from_joinpoint`](JoinArgs::from_joinpoint) the join starts again from the owner's
    /// table in FROM. The seed's self-referential tree, filtered level by level:
    ///
    /// ```
    /// use aludel::orm::{JoinArgs, Many, One, Session};
    /// use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "nodes")] struct Node { #[column(primary_key)] id: i64, #[column(foreign_key = "nodes.id")] parent_id: Option<i64>, name: String, #[relationship(back_populates = "parent")] children: Many<Node>, #[relationship(back_populates = "children", remote_side = "id")] parent: One<Node> }
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let q = Session::new(&engine).query::<Node>()
    ///     .join_rel_with(Node::children, JoinArgs::aliased())
    ///     .filter(Node::name.eq("child 1"))
    ///     .join_rel_with(Node::children, JoinArgs::aliased().from_joinpoint())
    ///     .filter(Node::name.eq("grandchild 1"))
    ///     .reset_joinpoint()
    ///     .filter(Node::name.eq("parent 1"));
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT nodes.id, nodes.parent_id, nodes.name FROM nodes \
    ///      JOIN nodes AS nodes_1 ON nodes.id = nodes_1.parent_id \
    ///      JOIN nodes AS nodes_2 ON nodes_1.id = nodes_2.parent_id \
    ///      WHERE nodes_1.name = ? AND nodes_2.name = ? AND nodes.name = ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn join_rel_with<P: Model, F: RelationField>(
        &self,
        rel: Relationship<P, F>,
        args: JoinArgs,
    ) -> Self {
        let (kind, method) = match args.outer {
            true => (JoinKind::LeftOuter, "outerjoin_rel"),
            false => (JoinKind::Inner, "join_rel"),
        };
        if !args.aliased {
            return self.add_relationship_join(kind, rel, None, args.from_joinpoint, method);
        }
        let table = &<F::Target as Model>::info().table;
        let alias = table.alias(&self.next_anon_alias(table.name()));
        let mut q =
            self.add_relationship_join(kind, rel, Some(&alias), args.from_joinpoint, method);
        q.ctx.filter_alias = Some(alias);
        q
    }
}
