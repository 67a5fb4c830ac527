//! Joins along relationships (SQLAlchemy's `query.join(User.addresses)`): the ON clause
//! comes from the relationship, a many-to-many joins through its association table, the
//! join point moves to the target, and a target alias joins the same table twice.
//!
//! The methods take the typed [`Relationship`] handle the derive generates
//! (`User::addresses`), so they are named `join_rel` / `outerjoin_rel` beside `join::<T>()`
//! (which infers the ON from the foreign keys between two models): the `_rel` says the ON
//! is the relationship's, whatever other foreign keys the tables have.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::query::{JoinPoint, Query, Selection};
use crate::orm::relationship::{RelationField, Relationship, RelationshipPath, join_steps};
use crate::sql::{Expr, FromItem, JoinKind};

/// Whether `item` is an alias of `info`'s table.
fn aliases(item: &FromItem, info: &ModelInfo) -> bool {
    matches!(item, FromItem::Alias(a) if matches!(&a.inner, FromItem::Table(t) if t.name() == info.table.name()))
}

/// The join `steps` to the declared target `declared` narrowed by `of_type` to `members`
/// (one subtype, or an enum's variants), joined as `subtype` (the member the others
/// descend from): for a joined-table subtype the last step joins `(base JOIN own ON keys
/// ...)`, every table of its row, instead of the base table. The ON clause also requires
/// the members' discriminator values, as SQLAlchemy writes it (`kind IN (...)`), unless
/// they include the hierarchy's base (every row) or the join is to one joined-table
/// subtype (its inner join already keeps to its rows and its subtypes', SQLAlchemy's
/// SQL).
fn narrow_to_subtype(
    mut steps: Vec<(FromItem, Expr)>,
    declared: &'static ModelInfo,
    subtype: &'static ModelInfo,
    members: &[&'static ModelInfo],
) -> Result<Vec<(FromItem, Expr)>> {
    let descends = |m: &'static ModelInfo, from: &ModelInfo| {
        std::iter::successors(Some(m), |m| m.inheritance.as_ref()?.parent.map(|p| p()))
            .any(|a| a.type_id == from.type_id)
    };
    if !descends(subtype, declared) {
        return Err(Error::invalid(format!(
            "of_type({}): {} is not a subtype of {}, the relationship's target",
            subtype.name, subtype.name, declared.name
        )));
    }
    if let Some(stray) = members.iter().find(|m| !descends(m, subtype)) {
        return Err(Error::invalid(format!(
            "of_type: {} is not {} or a subtype of it: the variants must all descend from \
             one of them, which the join reads",
            stray.name, subtype.name
        )));
    }
    let Some((item, on)) = steps.pop() else {
        return Ok(steps);
    };
    let whole_hierarchy = members
        .iter()
        .any(|m| m.inheritance.as_ref().is_some_and(|i| i.parent.is_none()));
    let parts = subtype.joined_parts()?;
    let on = match subtype.discriminator()? {
        Some((index, _)) if !whole_hierarchy && (parts.is_none() || members.len() > 1) => {
            let identities = members
                .iter()
                .map(|m| {
                    Ok(m.discriminator()?
                        .map(|(_, identity)| Expr::Value(identity)))
                })
                .collect::<Result<Option<Vec<Expr>>>>()?
                .unwrap_or_default();
            on.and(item.c(&subtype.columns()[index].name).in_(identities))
        }
        _ => on,
    };
    let item = match parts {
        Some(parts) => {
            crate::orm::inheritance::joined::join_own_tables(item, parts, JoinKind::Inner)
        }
        None => item,
    };
    steps.push((item, on));
    Ok(steps)
}

impl<M: Model, S: Selection> Query<M, S> {
    /// Where a join along a relationship of `owner` starts: the join point when that is an
    /// alias of the owner's table and `from_joinpoint` (a chain through aliases, e.g. a
    /// self-referential tree joined to its grandchildren), else the owner's table when the owner is an entity
    /// in FROM, else the error message.
    fn relationship_source(
        &self,
        owner: &'static ModelInfo,
        from_joinpoint: bool,
        what: &str,
    ) -> Result<FromItem, String> {
        if let Some(JoinPoint::Item(item)) = &self.ctx.join_point {
            if from_joinpoint && aliases(item, owner) {
                return Ok(item.clone());
            }
        }
        if self.ctx.entities.iter().any(|e| e.type_id == owner.type_id) {
            return Ok(FromItem::Table(owner.table.clone()));
        }
        let entities: Vec<&str> = self.ctx.entities.iter().map(|e| e.name).collect();
        Err(format!(
            "{what} starts at {}, which is not in the query's FROM (entities: {}); join to {} first or start from it with select_from()",
            owner.name,
            entities.join(", "),
            owner.name
        ))
    }

    /// The first of `name_1`, `name_2`, ... not yet naming a FROM item of the query: the
    /// anonymous alias of table `name` (an association table, or an `aliased` join target),
    /// so a table joined twice gets two names, as SQLAlchemy's anonymous aliases do.
    pub(crate) fn next_anon_alias(&self, name: &str) -> String {
        /// The names of `item`, or of the tables and aliases a join (a flat alias) holds.
        fn names<'a>(item: &'a FromItem, into: &mut Vec<&'a str>) {
            match item {
                FromItem::Join(j) => {
                    names(&j.left, into);
                    names(&j.right, into);
                }
                other => into.extend(other.qualifier()),
            }
        }
        let mut taken: Vec<&str> = Vec::new();
        self.select
            .from
            .iter()
            .chain(self.select.joins.iter().map(|(_, item, _)| item))
            .for_each(|item| names(item, &mut taken));
        (1..)
            .map(|n| format!("{name}_{n}"))
            .find(|candidate| !taken.contains(&candidate.as_str()))
            .unwrap_or_default()
    }

    /// Joins along `rel` (to `alias` when given, else to the target's table), from the join
    /// point when `from_joinpoint` and it aliases the owner, else from the owner's table.
    pub(crate) fn add_relationship_join<R: RelationshipPath>(
        &self,
        kind: JoinKind,
        rel: R,
        alias: Option<&FromItem>,
        from_joinpoint: bool,
        method: &str,
    ) -> Self {
        if let Some(refused) = self.assert_no_limit(method) {
            return refused;
        }
        let (owner, info) = (rel.owner(), rel.relationship());
        let declared = (info.target)();
        let target = rel.subtype().unwrap_or(declared);
        let what = format!("{method}: {}.{}", owner.name, info.name);
        let to = match alias {
            Some(_) if rel.subtype().is_some() => Err(format!(
                "{what}: of_type cannot be combined with an alias yet; join the subtype's own table with join_rel"
            )),
            Some(item) if aliases(item, target) => Ok(item.clone()),
            Some(item) => Err(format!(
                "{what} targets {}, so the alias joined to must be an alias of table {}, not {}",
                target.name,
                target.table.name(),
                item.qualifier().unwrap_or("a join")
            )),
            None if self
                .ctx
                .entities
                .iter()
                .any(|e| e.type_id == target.type_id) =>
            {
                Err(format!(
                    "{what} targets {}, whose table {} is already in FROM; join to an alias of it with {method}_to()",
                    target.name,
                    target.table.name()
                ))
            }
            // The relationship's columns are read from the declared target's table (for
            // a joined-table subtype, the base table).
            None => Ok(FromItem::Table(declared.table.clone())),
        };
        let steps = to.and_then(|to| {
            let from = self.relationship_source(owner, from_joinpoint, &what)?;
            let secondary = info
                .secondary
                .as_ref()
                .map(|t| self.next_anon_alias(t.name()))
                .unwrap_or_default();
            let steps = join_steps(owner, info, &from, &to, &secondary)
                .map_err(|e| format!("{what}: {e}"))?;
            match rel.subtype() {
                Some(subtype) => narrow_to_subtype(steps, declared, subtype, &rel.subtypes())
                    .map_err(|e| format!("{what}: {e}")),
                None => Ok(steps),
            }
            .map(|steps| (to, steps))
        });
        let (to, steps) = match steps {
            Ok(found) => found,
            Err(message) => {
                let invalid = Expr::Invalid(Arc::from(message));
                let item = FromItem::Table(target.table.clone());
                (item.clone(), vec![(item, invalid)])
            }
        };
        let steps: Vec<(FromItem, Expr)> = steps
            .into_iter()
            .map(|(item, on)| (item, self.adapted(&on)))
            .collect();
        self.with_ctx(|s, ctx| {
            for (item, on) in steps {
                s.joins.push((kind, item, on));
            }
            ctx.join_point = Some(match to {
                FromItem::Table(_) => {
                    ctx.entities.push(target);
                    JoinPoint::Model(target)
                }
                item => JoinPoint::Item(item),
            });
            ctx.joined = true;
            ctx.filter_alias = None;
        })
    }

    /// `JOIN` the target of relationship `rel` (SQLAlchemy's `query.join(User.addresses)`),
    /// ON the relationship's columns; a many-to-many joins its association table first
    /// (aliased `<table>_1`, `_2`, ...). The join starts from the last join target when
    /// that is an alias of the relationship's owner, else from the owner's table, which
    /// must be in the query's FROM; afterwards `filter_by` applies to the target, and
    /// further `join_rel` calls chain from it ([`reset_joinpoint`](Self::reset_joinpoint)
    /// goes back to the owner's table).
    ///
    /// ```
    /// use aludel::orm::{Many, One, Session};
    /// use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship(back_populates = "user")] orders: Many<Order> }
    /// # #[derive(aludel::Model)] #[model(table = "orders")] struct Order { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64, #[relationship(back_populates = "orders")] user: One<User>, #[relationship] items: Many<Item> }
    /// # #[derive(aludel::Model)] #[model(table = "items")] struct Item { #[column(primary_key)] id: i64, #[column(foreign_key = "orders.id")] order_id: i64, name: String }
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let q = Session::new(&engine).query::<User>()
    ///     .join_rel(User::orders)
    ///     .join_rel(Order::items)
    ///     .filter_by("name", "pen");
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT users.id FROM users JOIN orders ON users.id = orders.user_id \
    ///      JOIN items ON orders.id = items.order_id WHERE items.name = ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn join_rel<R: RelationshipPath>(&self, rel: R) -> Self {
        self.add_relationship_join(JoinKind::Inner, rel, None, true, "join_rel")
    }

    /// `LEFT OUTER JOIN` the target of relationship `rel`, as [`join_rel`](Self::join_rel)
    /// (SQLAlchemy's `query.outerjoin(User.addresses)`).
    ///
    /// ```
    /// use aludel::orm::{Many, One, Session};
    /// use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship(back_populates = "user")] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: Option<i64>, #[relationship(back_populates = "addresses")] user: One<User> }
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let q = Session::new(&engine).query::<Address>().outerjoin_rel(Address::user);
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Postgres)?.sql,
    ///     "SELECT addresses.id, addresses.user_id FROM addresses \
    ///      LEFT OUTER JOIN users ON users.id = addresses.user_id"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn outerjoin_rel<R: RelationshipPath>(&self, rel: R) -> Self {
        self.add_relationship_join(JoinKind::LeftOuter, rel, None, true, "outerjoin_rel")
    }

    /// `JOIN` relationship `rel` to `alias`, an alias of the target's table (SQLAlchemy's
    /// `query.join(User.addresses.of_type(a1))` / `join(a1, User.addresses)`): the same
    /// table twice, or a self-referential relationship. Afterwards `filter_by` names the
    /// alias's columns; `alias` being of another table makes the query fail with an error.
    ///
    /// ```
    /// use aludel::orm::{Many, Model, One, Session};
    /// use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "nodes")] struct Node { #[column(primary_key)] id: i64, #[column(foreign_key = "nodes.id")] parent_id: Option<i64>, name: String, #[relationship(back_populates = "parent")] children: Many<Node>, #[relationship(back_populates = "children", remote_side = "id")] parent: One<Node> }
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let child = Node::info().table.alias("child");
    /// let q = Session::new(&engine).query::<Node>()
    ///     .join_rel_to(Node::children, &child)
    ///     .filter_by("name", "leaf");
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::MySql)?.sql,
    ///     "SELECT nodes.id, nodes.parent_id, nodes.name FROM nodes \
    ///      JOIN nodes AS child ON nodes.id = child.parent_id WHERE child.name = ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn join_rel_to<P: Model, F: RelationField>(
        &self,
        rel: Relationship<P, F>,
        alias: &FromItem,
    ) -> Self {
        self.add_relationship_join(JoinKind::Inner, rel, Some(alias), true, "join_rel")
    }

    /// `LEFT OUTER JOIN` relationship `rel` to `alias`, as
    /// [`join_rel_to`](Self::join_rel_to).
    ///
    /// ```
    /// use aludel::orm::{Many, Model, One, Session};
    /// use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "nodes")] struct Node { #[column(primary_key)] id: i64, #[column(foreign_key = "nodes.id")] parent_id: Option<i64>, #[relationship(back_populates = "parent")] children: Many<Node>, #[relationship(back_populates = "children", remote_side = "id")] parent: One<Node> }
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let up = Node::info().table.alias("up");
    /// let q = Session::new(&engine).query::<Node>().outerjoin_rel_to(Node::parent, &up);
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT nodes.id, nodes.parent_id FROM nodes LEFT OUTER JOIN nodes AS up ON up.id = nodes.parent_id"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn outerjoin_rel_to<P: Model, F: RelationField>(
        &self,
        rel: Relationship<P, F>,
        alias: &FromItem,
    ) -> Self {
        self.add_relationship_join(JoinKind::LeftOuter, rel, Some(alias), true, "outerjoin_rel")
    }
}
