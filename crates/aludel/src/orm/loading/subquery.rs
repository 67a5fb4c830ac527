//! The subquery loader (SQLAlchemy's `subqueryload`): once the parents are loaded, one
//! SELECT of the related objects joined to the parents' own query, reduced to the owner's
//! key columns and wrapped as a subquery, loads them all: two statements in total, with
//! no key list sent back to the database.
//!
//! Below another loader the parents' query is that loader's statement: a subquery load's
//! own (so a chain of them nests the query's subquery one level per step, each step one
//! statement, as SQLAlchemy re-runs the query's subquery at every level), the statement
//! a joined load joined into, joined to the parents the same way, a selectin load's IN
//! query when one batch loaded every parent, or, below an immediate load, each parent's
//! own load. Below a selectin load that took several batches or served parents from the
//! identity map, no one statement loaded the parents, and their keys go in an IN list
//! instead (the selectin form).

use crate::error::Result;
use crate::orm::loading::eager::{Batch, Loaded};
use crate::orm::loading::selectin::{Groups, assign, fetch_grouped};
use crate::orm::mapper::ModelInfo;
use crate::orm::relationship::{RelationshipInfo, related_select};
use crate::sql::{FromItem, Params, Select, SelectStatement, and_};

/// Loads the batch's relationship for parents that `source` (a SELECT from the owner's
/// table, with its named parameters in `params`) loaded; returns the objects loaded,
/// each once, and the statement that loaded them (the source of a subquery load below).
pub(crate) fn load(batch: &Batch<'_>, source: &Select, params: &Params) -> Result<Loaded> {
    if batch.parents.is_empty() {
        return Ok((Vec::new(), None));
    }
    let stmt = statement(batch.owner, batch.rel, source)?;
    let width = batch.rel.resolved(batch.owner)?.owner_columns().len();
    let mut groups = Groups::new();
    fetch_grouped(batch, &stmt, width, params, &mut groups)?;
    Ok((assign(batch, &groups)?, Some(stmt)))
}

/// `SELECT target..., anon_1.key... FROM target JOIN (SELECT DISTINCT owner.key FROM
/// <source>) AS anon_1 ON target.fk = anon_1.key ORDER BY <the relationship's order>`
/// (`anon_2` around a source that nests `anon_1`, and so on). A source with LIMIT or
/// OFFSET keeps its ORDER BY and rows (DISTINCT would change which rows the limit keeps).
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
    let anon = parents.subquery(&format!("anon_{}", nesting(source) + 1));
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

/// How many subqueries deep `select`'s FROM and joins nest (0: none).
fn nesting(select: &Select) -> usize {
    fn of(item: &FromItem) -> usize {
        match item {
            FromItem::Subquery(s) => match &s.select {
                SelectStatement::Select(inner) => 1 + nesting(inner),
                SelectStatement::Compound(_) => 1,
            },
            FromItem::Join(j) => of(&j.left).max(of(&j.right)),
            FromItem::Alias(_) | FromItem::Table(_) | FromItem::Cte(_) => 0,
        }
    }
    let joined = select.joins.iter().map(|(_, item, _)| item);
    select.from.iter().chain(joined).map(of).max().unwrap_or(0)
}
