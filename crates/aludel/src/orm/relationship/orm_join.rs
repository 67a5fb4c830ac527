//! Core FROM items joined along a relationship (SQLAlchemy's `orm.join(User, Address,
//! User.addresses)` and `orm.outerjoin`): the ON clause comes from the relationship, as
//! `Query::join_rel` builds it, for use in Core `select(...).from(...)`.

use crate::error::Result;
use crate::orm::mapper::Model;
use crate::orm::relationship::attribute::RelationField;
use crate::orm::relationship::descriptor::Relationship;
use crate::orm::relationship::join_condition::join_steps;
use crate::sql::FromItem;

/// `left JOIN right ON ...` along `rel` (SQLAlchemy's `orm.join(left, right, onclause)`
/// with a relationship as the ON clause). `left` is the owner's table, an alias of it, or
/// a join already holding the owner's table (a chain); `right` is the target's table or an
/// alias of it. A many-to-many joins through its association table, aliased
/// `<table>_1` as SQLAlchemy does. A relationship that cannot be configured is an error
/// naming it.
///
/// ```
/// use aludel::orm::{Many, Model, One};
/// use aludel::sql::{select, Executable, FromItem};
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship(back_populates = "user")] addresses: Many<Address> }
/// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: Option<i64>, #[relationship(back_populates = "addresses")] user: One<User> }
/// let users = FromItem::from(&User::info().table);
/// let j = aludel::orm::join(&users, &Address::info().table, User::addresses)?;
/// let q = select([User::id.expr()]).from(j);
/// assert_eq!(
///     q.compile(&aludel::dialects::Sqlite)?.sql,
///     "SELECT users.id FROM users JOIN addresses ON users.id = addresses.user_id"
/// );
/// # Ok::<(), aludel::Error>(())
/// ```
pub fn join<P: Model, F: RelationField>(
    left: impl Into<FromItem>,
    right: impl Into<FromItem>,
    rel: Relationship<P, F>,
) -> Result<FromItem> {
    join_along(left.into(), right.into(), rel, false)
}

/// [`join`] as a `LEFT OUTER JOIN` (SQLAlchemy's `orm.outerjoin(left, right, onclause)`):
/// rows of `left` without a related row are kept.
///
/// ```
/// use aludel::orm::{Aliased, Many, Model, One};
/// use aludel::sql::{select, Executable};
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship(back_populates = "user")] addresses: Many<Address> }
/// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: Option<i64>, #[relationship(back_populates = "addresses")] user: One<User> }
/// let u2 = Aliased::<User>::new("u2");
/// let j = aludel::orm::outerjoin(u2.from_item(), &Address::info().table, User::addresses)?;
/// let q = select([u2.c("id")]).from(j);
/// assert_eq!(
///     q.compile(&aludel::dialects::Sqlite)?.sql,
///     "SELECT u2.id FROM users AS u2 LEFT OUTER JOIN addresses ON u2.id = addresses.user_id"
/// );
/// # Ok::<(), aludel::Error>(())
/// ```
pub fn outerjoin<P: Model, F: RelationField>(
    left: impl Into<FromItem>,
    right: impl Into<FromItem>,
    rel: Relationship<P, F>,
) -> Result<FromItem> {
    join_along(left.into(), right.into(), rel, true)
}

/// The join steps of `rel` from `left` to `right`, inner or left outer.
fn join_along<P: Model, F: RelationField>(
    left: FromItem,
    right: FromItem,
    rel: Relationship<P, F>,
    outer: bool,
) -> Result<FromItem> {
    let owner = P::info();
    let info = rel.info();
    // A chain holds the owner's table itself; a table or an alias is the owner.
    let from = match &left {
        FromItem::Join(_) => FromItem::from(&owner.table),
        _ => left.clone(),
    };
    let secondary_alias = info
        .secondary
        .as_ref()
        .map(|t| format!("{}_1", t.name()))
        .unwrap_or_default();
    let steps = join_steps(owner, info, &from, &right, &secondary_alias)?;
    Ok(steps.into_iter().fold(left, |joined, (item, on)| {
        if outer {
            joined.outer_join(item, on)
        } else {
            joined.join(item, on)
        }
    }))
}
