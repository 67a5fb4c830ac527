//! The SELECT that loads a relationship's targets: the target's columns, joined to the
//! association table for a many-to-many, ordered by the relationship's `order_by`, with
//! the expressions that hold the owner's key on the target side (what the lazy loader
//! compares with one owner's key, and the eager loaders with many).

use std::sync::Arc;

use crate::orm::relationship::configure::Resolved;
use crate::orm::relationship::info::{Direction, RelationshipInfo};
use crate::sql::{ColumnRef, Expr, FromItem, Select, and_, select};

/// The statement loading `rel`'s targets (not yet filtered), and the expressions holding
/// the owner key, in the order of [`Resolved::owner_columns`].
pub(crate) fn related_select(rel: &RelationshipInfo, resolved: &Resolved) -> (Select, Vec<Expr>) {
    let target = (rel.target)();
    let columns = (0..target.columns().len()).map(|i| target.column_expr(i));
    let mut stmt = target.select_from(select(columns));
    let keys = match (resolved.direction, &rel.secondary) {
        (Direction::ManyToMany, Some(secondary)) => {
            let assoc = |name: &str| {
                Expr::Column(ColumnRef {
                    name: Arc::from(name),
                    source: Some(FromItem::Table(secondary.clone())),
                })
            };
            let on = and_(
                resolved
                    .secondary_target
                    .iter()
                    .map(|(t, c)| target.column_expr(*t).eq(assoc(c))),
            );
            stmt = stmt.join(secondary, on);
            resolved
                .secondary_owner
                .iter()
                .map(|(_, c)| assoc(c))
                .collect()
        }
        _ => resolved
            .pairs
            .iter()
            .map(|(_, t)| target.column_expr(*t))
            .collect(),
    };
    if let Some(criterion) = rel.primaryjoin {
        stmt = stmt.where_(criterion(&FromItem::Table(target.table.clone())));
    }
    for (column, desc) in &resolved.order_by {
        let e = target.column_expr(*column);
        stmt = stmt.order_by(if *desc { e.desc() } else { e.asc() });
    }
    (stmt, keys)
}

/// `key_1 = ? AND key_2 = ?` for one owner's key values.
pub(crate) fn equals_key(keys: &[Expr], values: &[crate::sql::Value]) -> Expr {
    and_(
        keys.iter()
            .zip(values)
            .map(|(k, v)| k.clone().eq(Expr::Value(v.clone()))),
    )
}

/// The owner's key values for `rel`, read from its column `values`; `None` when one
/// is NULL (nothing can be related).
pub(crate) fn owner_key(
    resolved: &Resolved,
    values: &[crate::sql::Value],
) -> Option<Vec<crate::sql::Value>> {
    let key: Vec<crate::sql::Value> = resolved
        .owner_columns()
        .iter()
        .map(|&c| values[c].clone())
        .collect();
    (!key.iter().any(crate::sql::Value::is_null)).then_some(key)
}
