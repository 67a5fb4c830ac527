//! Loading a deferred column on first access: one SELECT of the column's group (the
//! column alone when it has none) by the owner's primary key, through the owner's
//! session, after the same checks a lazy relationship load makes (a detached owner, the
//! session's N+1 guard).

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::orm::instance::{AnyInstance, ObjectState};
use crate::orm::loading::LoadOptions;
use crate::orm::session::Session;
use crate::sql::{Value, and_, select};

/// Loads the group of `owner`'s deferred column `column`: returns each of the group's
/// columns with its value, having filled the unloaded ones of `owner` that it could reach
/// (not while the owner is behind a write guard: the caller fills its own field).
pub(crate) fn load_group(
    owner: &Arc<dyn AnyInstance>,
    column: usize,
) -> Result<Vec<(usize, Value)>> {
    let info = owner.info();
    let name = format!("{}.{}", info.name, info.fields[column]);
    let (state, session, snapshot) = {
        let s = owner.state();
        (
            s.state,
            s.session.as_ref().and_then(|(_, w)| w.upgrade()),
            s.snapshot.clone(),
        )
    };
    if matches!(state, ObjectState::Transient | ObjectState::Pending) {
        return Err(Error::invalid(format!(
            "{name} of a new object has no value to load; give it one with Deferred::new"
        )));
    }
    let Some(session) = session else {
        return Err(Error::DetachedInstance {
            message: format!(
                "{name} is deferred and not loaded, and its {} is not in a session; add it to a session (or undefer the column in the query that loads it)",
                info.name
            ),
        });
    };
    crate::orm::loading::lazy::guard(&session, &name)?;
    let group = info
        .deferred
        .iter()
        .find(|d| d.column == column)
        .and_then(|d| d.group);
    let columns: Vec<usize> = match group {
        Some(g) => info
            .deferred
            .iter()
            .filter(|d| d.group == Some(g))
            .map(|d| d.column)
            .collect(),
        None => vec![column],
    };
    // The key as loaded (a write guard's snapshot holds it when the object is borrowed).
    let values = match snapshot {
        Some(s) => s.into_vec(),
        None => owner.values()?,
    };
    let criteria = info
        .primary_key
        .iter()
        .map(|&p| info.column_expr(p).eq(values[p].clone()));
    let stmt = select(columns.iter().map(|&c| info.column_expr(c)))
        .from(&info.table)
        .where_(and_(criteria));
    let opts = LoadOptions {
        autoflush: false,
        ..LoadOptions::default()
    };
    let mut found = None;
    Session { inner: session }.for_each_row_of(&stmt, info, &opts, &mut |_, _, row| {
        let cells = (0..columns.len())
            .map(|i| row.value(i).map(|v| v.to_value()))
            .collect::<Result<Vec<Value>>>()?;
        found = Some(columns.iter().copied().zip(cells).collect::<Vec<_>>());
        Ok(())
    })?;
    let Some(found) = found else {
        return Err(Error::ObjectDeleted {
            message: format!(
                "{} with primary key {:?} no longer exists in the database, so {name} cannot load",
                info.name,
                info.pk_of(&values)
            ),
        });
    };
    fill(owner, &found)?;
    Ok(found)
}

/// Stores loaded values in `owner`'s unloaded deferred fields, and in its snapshot (a
/// value just loaded is not a change for the flush). A field out of reach (the owner is
/// behind a write guard) stays unloaded.
pub(crate) fn fill(owner: &Arc<dyn AnyInstance>, found: &[(usize, Value)]) -> Result<()> {
    let mut filled = Vec::new();
    let reached = super::field::each_field(owner, &mut |column, field| {
        if let Some((_, v)) = found.iter().find(|(c, _)| *c == column) {
            if !field.is_loaded() {
                field.fill(v.clone())?;
                filled.push(column);
            }
        }
        Ok(())
    })?;
    if !reached {
        // Borrowed for writing: the caller fills its own field, the others stay unloaded
        // (the flush leaves unloaded columns out whatever the snapshot says).
        filled = found.iter().map(|(c, _)| *c).collect();
    }
    let mut s = owner.state();
    if let Some(snapshot) = s.snapshot.as_mut() {
        for (column, value) in found {
            if filled.contains(column) {
                snapshot[*column] = value.clone();
            }
        }
    }
    Ok(())
}
