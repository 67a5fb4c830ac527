//! The columns a query loads for its entity: the statement a query built names every
//! column of the model; before it runs, the deferred ones the query's options do not load
//! are taken out, and the rows are read with the narrower [`ColumnLayout`].

use crate::orm::deferred::ColumnLayout;
use crate::orm::deferred::options::ColumnChoices;
use crate::orm::mapper::ModelInfo;
use crate::sql::{Expr, Select};

/// `stmt` without the deferred columns of `info` that `choices` leave out, and the layout
/// of its rows; `None` when nothing is left out (no deferred column, a polymorphic model,
/// every one undeferred, or a statement whose leading columns are not the model's own: it
/// is run as built).
pub(crate) fn plan(
    info: &ModelInfo,
    stmt: &Select,
    choices: &ColumnChoices,
) -> Option<(Select, ColumnLayout)> {
    let layout = choices.narrowed(info)?;
    if !leads_with_model(info, stmt) {
        return None;
    }
    let mut planned = stmt.clone();
    let width = info.columns().len();
    let mut index = 0;
    planned.columns.retain(|_| {
        let keep = index >= width || layout.has(index);
        index += 1;
        keep
    });
    Some((planned, layout))
}

/// Whether `stmt`'s first columns are every column of `info`, in model order, from one
/// source (its table, or an alias or subquery of it).
fn leads_with_model(info: &ModelInfo, stmt: &Select) -> bool {
    let columns = info.columns();
    if stmt.columns.len() < columns.len() {
        return false;
    }
    let source = match stmt.columns.first() {
        Some(Expr::Column(c)) => &c.source,
        _ => return false,
    };
    columns.iter().zip(&stmt.columns).all(|(def, expr)| {
        matches!(expr, Expr::Column(c) if *c.name == *def.name && c.source == *source)
    })
}
