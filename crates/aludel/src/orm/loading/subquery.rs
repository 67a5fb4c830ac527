//! The subquery loader (SQLAlchemy's `subqueryload`): once the parents are loaded, one
//! SELECT of the related objects joined to the parents' own query, reduced to the owner's
//! key columns and wrapped as a subquery, loads them all: two statements in total, with
//! no key list sent back to the database.

use std::sync::Arc;

use crate::error::Result;
use crate::orm::instance::AnyInstance;
use crate::orm::loading::eager::Batch;
use crate::orm::loading::selectin::{Groups, assign, fetch_grouped};
use crate::orm::mapper::ModelInfo;
use crate::orm::relationship::{RelationshipInfo, related_select};
use crate::sql::{Params, Select, and_};

/// Loads the batch's relationship for parents that `source` (a SELECT from the owner's
/// table, with its named parameters in `params`) loaded; returns the objects loaded,
/// each once.
pub(crate) fn load(
    batch: &Batch<'_>,
    source: &Select,
    params: &Params,
) -> Result<Vec<Arc<dyn AnyInstance>>> {
    if batch.parents.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = statement(batch.owner, batch.rel, source)?;
    let width = batch.rel.resolved(batch.owner)?.owner_columns().len();
    let mut groups = Groups::new();
    fetch_grouped(batch, &stmt, width, params, &mut groups)?;
    assign(batch, &groups)
}

/// `SELECT target..., anon_1.key... FROM target JOIN (SELECT DISTINCT owner.key FROM
/// <source>) AS anon_1 ON target.fk = anon_1.key ORDER BY <the relationship's order>`. A
/// source with LIMIT or OFFSET keeps its ORDER BY and rows (DISTINCT would change which
/// rows the limit keeps).
pub(crate) fn statement(
    owner: &ModelInfo,
    rel: &RelationshipInfo,
    source: &Select,
) -> Result<Select> {
    let resolved = rel.resolved(owner)?;
    let owner_columns = resolved.owner_columns();
    let mut parents = source
        .clone()
        .with_only_columns(owner_columns.iter().map(|&c| owner.column_expr(c)));
    if parents.limit.is_none() && parents.offset.is_none() {
        parents.order_by.clear();
        parents.distinct = true;
    }
    let anon = parents.subquery("anon_1");
    let anon_keys: Vec<_> = owner_columns
        .iter()
        .map(|&c| anon.c(&owner.columns()[c].name))
        .collect();
    let (stmt, keys) = related_select(rel, resolved);
    let on = and_(
        keys.into_iter()
            .zip(&anon_keys)
            .map(|(k, a)| k.eq(a.clone())),
    );
    Ok(stmt.columns(anon_keys.clone()).join(anon, on))
}
