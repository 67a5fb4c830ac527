//! What the flush writes of deferred columns: never an unloaded one (its value is
//! unknown, not NULL), always one the program set with [`Deferred::set`](super::Deferred::set)
//! (even to the value the snapshot holds: an unloaded column's snapshot is only a NULL
//! placeholder).

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::orm::instance::AnyInstance;

/// Corrects the columns the snapshot comparison found changed in `obj`: takes out its
/// unloaded deferred columns and adds the ones set since the last flush.
pub(crate) fn correct_changed(obj: &Arc<dyn AnyInstance>, changed: &mut Vec<usize>) -> Result<()> {
    super::field::each_field(obj, &mut |column, field| {
        if !field.is_loaded() {
            changed.retain(|&c| c != column);
        } else if field.is_modified() && !changed.contains(&column) {
            changed.push(column);
        }
        Ok(())
    })?;
    changed.sort_unstable();
    Ok(())
}

/// Forgets the deferred columns set before a successful flush.
pub(crate) fn clear_changes(obj: &Arc<dyn AnyInstance>) -> Result<()> {
    super::field::each_field(obj, &mut |_, field| {
        field.clear_modified();
        Ok(())
    })?;
    Ok(())
}

/// The deferred columns of `obj` that are not loaded (the flush neither writes nor
/// validates them).
pub(crate) fn unloaded_columns(obj: &Arc<dyn AnyInstance>) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    super::field::each_field(obj, &mut |column, field| {
        if !field.is_loaded() {
            out.push(column);
        }
        Ok(())
    })?;
    Ok(out)
}

/// Refuses to insert a new object with an unloaded deferred column (a copy of an unloaded
/// field): its value is unknown, and writing NULL would invent one.
pub(crate) fn check_insertable(obj: &Arc<dyn AnyInstance>) -> Result<()> {
    let info = obj.info();
    match unloaded_columns(obj)?.first() {
        None => Ok(()),
        Some(&column) => Err(Error::invalid(format!(
            "a new {} has no value for its deferred column {}.{} (a copy of an unloaded field has none); give it one with Deferred::new",
            info.name, info.name, info.fields[column]
        ))),
    }
}
