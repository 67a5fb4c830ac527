//! The SQL a relationship stands for outside loading: the JOIN steps of a join along it
//! (`Query::join_rel`; a many-to-many goes through its association table, two steps),
//! and the criteria relating its targets to one parent object ([`with_parent`]).
//! Both write each equality `referenced column = referencing column`, as SQLAlchemy does.

use crate::error::{Error, Result};
use crate::orm::instance::Instance;
use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::relationship::attribute::RelationField;
use crate::orm::relationship::configure::Resolved;
use crate::orm::relationship::descriptor::Relationship;
use crate::orm::relationship::info::{Direction, RelationshipInfo};
use crate::orm::relationship::statement::owner_key;
use crate::sql::{Expr, FromItem, and_};

/// One `JOIN item ON on` of a join along a relationship.
pub(crate) type JoinStep = (FromItem, Expr);

/// The column `index` of `info`, read from `source` (its table or an alias of it).
fn column(info: &ModelInfo, source: &FromItem, index: usize) -> Expr {
    source.c(&info.columns()[index].name)
}

/// `owner = target` for each column pair of a direct relationship, the referenced side
/// first.
fn direct_on(
    resolved: &Resolved,
    (owner, from): (&ModelInfo, &FromItem),
    (target, to): (&ModelInfo, &FromItem),
) -> Expr {
    and_(resolved.pairs.iter().map(|&(o, t)| {
        let (o, t) = (column(owner, from, o), column(target, to, t));
        match resolved.direction {
            Direction::ManyToOne => t.eq(o),
            _ => o.eq(t),
        }
    }))
}

/// The JOIN steps from `from` (the owner's table or an alias of it) to `to` (the target's
/// table or an alias of it) along `rel`: one step, or for a many-to-many two, through the
/// association table aliased `secondary_alias`.
pub(crate) fn join_steps(
    owner: &ModelInfo,
    rel: &RelationshipInfo,
    from: &FromItem,
    to: &FromItem,
    secondary_alias: &str,
) -> Result<Vec<JoinStep>> {
    let resolved = rel.resolved(owner)?;
    let target = (rel.target)();
    match (&rel.secondary, resolved.direction) {
        (Some(secondary), Direction::ManyToMany) => {
            let assoc = secondary.alias(secondary_alias);
            let to_assoc = and_(
                resolved
                    .secondary_owner
                    .iter()
                    .map(|(o, c)| column(owner, from, *o).eq(assoc.c(c))),
            );
            let to_target = and_(
                resolved
                    .secondary_target
                    .iter()
                    .map(|(t, c)| column(target, to, *t).eq(assoc.c(c))),
            );
            Ok(vec![
                (assoc, to_assoc),
                (to.clone(), rel.narrowed(to_target, to)),
            ])
        }
        _ => Ok(vec![(
            to.clone(),
            rel.narrowed(direct_on(resolved, (owner, from), (target, to)), to),
        )]),
    }
}

/// The criteria selecting the objects related to `parent` along `rel`, on the target's
/// table, from the parent's current column values (no SQL runs): SQLAlchemy's
/// `orm.with_parent`. A parent whose key is NULL (say, a pending object without its
/// generated key yet) has no related rows: the criteria are false. A many-to-many adds
/// its association table to FROM, as SQLAlchemy does.
///
/// ```
/// use aludel::orm::{Many, Model, One, Session, with_parent};
/// use aludel::sql::{select, Executable};
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship(back_populates = "user")] addresses: Many<Address> }
/// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: Option<i64>, #[relationship(back_populates = "addresses")] user: One<User> }
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// let s = Session::new(&engine);
/// let ed = s.add(User { id: 7, addresses: Many::new() })?;
/// let criteria = with_parent(&ed, User::addresses)?;
/// let q = select([Address::id.expr()]).where_(criteria);
/// let sql = q.compile(&aludel::dialects::Sqlite)?;
/// assert_eq!(sql.sql, "SELECT addresses.id FROM addresses WHERE addresses.user_id = ?");
/// assert_eq!(sql.binds[0].value, Some(aludel::sql::Value::Int(7)));
/// # Ok::<(), aludel::Error>(())
/// ```
pub fn with_parent<P: Model, F: RelationField>(
    parent: &Instance<P>,
    rel: Relationship<P, F>,
) -> Result<Expr> {
    related_to(parent, rel.info())
}

/// [`with_parent`] along a relationship given by its description.
pub(crate) fn related_to<P: Model>(parent: &Instance<P>, info: &RelationshipInfo) -> Result<Expr> {
    let owner = P::info();
    let resolved = info.resolved(owner)?;
    let values = parent.read()?.values();
    let Some(key) = owner_key(resolved, &values) else {
        return Ok(Expr::Bool(false));
    };
    let key = key.into_iter().map(Expr::Value);
    let target = (info.target)();
    let table = FromItem::Table(target.table.clone());
    let criteria: Vec<Expr> = match (&info.secondary, resolved.direction) {
        (Some(secondary), Direction::ManyToMany) => {
            let assoc = FromItem::Table(secondary.clone());
            let joined = resolved
                .secondary_target
                .iter()
                .map(|(t, c)| column(target, &table, *t).eq(assoc.c(c)));
            let owned = resolved
                .secondary_owner
                .iter()
                .zip(key)
                .map(|((_, c), v)| assoc.c(c).eq(v));
            joined.chain(owned).collect()
        }
        _ => resolved
            .pairs
            .iter()
            .zip(key)
            .map(|(&(_, t), v)| column(target, &table, t).eq(v))
            .collect(),
    };
    Ok(info.narrowed(and_(criteria), &table))
}

/// The one relationship of `owner` whose target is `target`, for `with_parent` without a
/// named relationship (SQLAlchemy's `with_parent(instance)` with `property=None`). None or
/// several is an error naming both models and, for several, the candidates.
pub(crate) fn only_relationship_to<'a>(
    owner: &'a ModelInfo,
    target: &ModelInfo,
) -> Result<&'a RelationshipInfo> {
    let candidates: Vec<&RelationshipInfo> = owner
        .relationships
        .iter()
        .filter(|r| std::ptr::eq((r.target)(), target))
        .collect();
    match candidates.as_slice() {
        [only] => Ok(only),
        [] => Err(Error::InvalidRequest {
            message: format!(
                "{} has no relationship to {}; name one of its relationships: {}",
                owner.name,
                target.name,
                names(owner.relationships.iter())
            ),
        }),
        several => Err(Error::InvalidRequest {
            message: format!(
                "{} has several relationships to {} ({}); name the one to use",
                owner.name,
                target.name,
                names(several.iter().copied())
            ),
        }),
    }
}

/// `a, b, c` from the relationships' names, or `(none)`.
fn names<'a>(rels: impl Iterator<Item = &'a RelationshipInfo>) -> String {
    let names: Vec<&str> = rels.map(|r| r.name).collect();
    if names.is_empty() {
        "(none)".into()
    } else {
        names.join(", ")
    }
}
