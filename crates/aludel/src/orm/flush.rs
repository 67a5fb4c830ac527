//! The flush: turning the session's pending, modified and deleted objects into statements
//! (ordered by [`unit_of_work`](super::unit_of_work), emitted by
//! [`persistence`](super::persistence)), then updating object states, or, on failure,
//! rolling back and restoring them.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::Connection;
use crate::error::{Error, Result};
use crate::orm::instance::{AnyInstance, ObjectState};
use crate::orm::persistence::{self, InsertEffects, ShapeCache};
use crate::orm::session::{SessionInner, SessionState};
use crate::orm::unit_of_work::{delete_order, insert_order};
use crate::orm::versioning;
use crate::sql::Value;

/// An update to emit: the object, its changed columns, its values, and its key as loaded
/// followed (for a versioned model) by its version as loaded.
type Change = (Arc<dyn AnyInstance>, Vec<usize>, Vec<Value>, Vec<Value>);

/// The column values of the new objects, read once per flush, by object.
pub(crate) type NewValues = HashMap<*const (), Vec<Value>>;

impl SessionInner {
    /// Flushes with the state locked.
    pub(crate) fn flush_locked(&self, st: &mut SessionState) -> Result<()> {
        if let Some(cause) = &st.failed {
            return Err(Error::PendingRollback {
                cause: cause.clone(),
            });
        }
        let updates = collect_updates(&st.modified)?;
        if st.new.is_empty() && st.deleted.is_empty() && updates.is_empty() {
            st.modified.clear();
            return Ok(());
        }
        // Each new object's values are read once: validated here, then inserted. Nothing
        // invalid reaches the database; refused before any SQL, the session and its
        // transaction stay as they were.
        let mut new_values: NewValues = HashMap::with_capacity(st.new.len());
        for obj in &st.new {
            let values = obj.values()?;
            validate(obj.as_ref(), &values)?;
            new_values.insert(Arc::as_ptr(obj) as *const (), values);
        }
        for (obj, _, values, _) in &updates {
            validate(obj.as_ref(), values)?;
        }
        let new = st.new.clone();
        let deleted = st.deleted.clone();
        let mut effects = InsertEffects::default();
        let outcome = self.run(st, |conn| {
            emit(conn, &new, new_values, &updates, &deleted, &mut effects)
        });
        if let Err(e) = outcome {
            for a in effects.assigned.into_iter().rev() {
                // Best effort: the object is not borrowed (the flush just wrote it).
                let _ = a.object.set_values(&[(a.column, a.previous)]);
            }
            self.fail_flush(st, &e);
            return Err(e);
        }
        for obj in std::mem::take(&mut st.new) {
            let values = obj.values()?;
            let info = obj.info();
            let key = info.identity_of(&values).ok_or_else(|| {
                Error::invalid(format!(
                    "a new {} was inserted without a primary key value",
                    info.name
                ))
            })?;
            {
                let mut s = obj.state();
                s.state = ObjectState::Persistent;
                s.key = Some(key.clone());
                s.snapshot = None;
            }
            st.identity.insert(key, obj.clone());
            st.tx_inserted.push(obj);
        }
        // Server defaults the database could not return: loaded on next access.
        for obj in effects.expire {
            Self::expire(&obj);
        }
        for (obj, _, values, _) in &updates {
            let info = obj.info();
            let new_key = info.identity_of(values);
            let old_key = obj.state().key.clone();
            if new_key != old_key {
                if let Some(k) = old_key {
                    st.identity.remove(&k);
                }
                if let Some(k) = new_key.clone() {
                    st.identity.insert(k, obj.clone());
                }
                obj.state().key = new_key;
            }
        }
        for obj in std::mem::take(&mut st.modified) {
            obj.state().snapshot = None;
        }
        for obj in std::mem::take(&mut st.deleted) {
            st.record_deleted(obj);
        }
        Ok(())
    }
}

impl SessionState {
    /// Records `obj` as deleted in this transaction (by a flush or a bulk DELETE): out of
    /// the identity map, detached at commit, made persistent again by a rollback.
    pub(crate) fn record_deleted(&mut self, obj: Arc<dyn AnyInstance>) {
        let key = {
            let mut s = obj.state();
            s.state = ObjectState::Deleted;
            s.delete_pending = false;
            s.key.clone()
        };
        if let Some(k) = key {
            self.identity.remove(&k);
        }
        self.tx_deleted.push(obj);
    }
}

/// Checks an object against its model's validation.
fn validate(obj: &dyn AnyInstance, values: &[Value]) -> Result<()> {
    let info = obj.info();
    info.validate(values, None)
        .map_err(|errors| Error::Validation {
            model: info.name.to_owned(),
            errors,
        })
}

/// The modified objects that really changed, with what changed.
fn collect_updates(modified: &[Arc<dyn AnyInstance>]) -> Result<Vec<Change>> {
    let mut out: Vec<Change> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for obj in modified {
        if !seen.insert(Arc::as_ptr(obj) as *const ()) {
            continue;
        }
        // Read the values first (the data lock), then compare against the snapshot in place
        // under the state lock: one copy of the row, none of the snapshot.
        let values = obj.values()?;
        let s = obj.state();
        let Some(snapshot) = s.snapshot.as_ref() else {
            continue;
        };
        if s.state != ObjectState::Persistent || s.delete_pending {
            continue;
        }
        let changed: Vec<usize> = (0..values.len())
            .filter(|&i| values[i] != snapshot[i])
            .collect();
        if changed.is_empty() {
            continue;
        }
        let pk = persistence::where_columns(obj.info())
            .into_iter()
            .map(|i| snapshot[i].clone())
            .collect();
        drop(s);
        out.push((obj.clone(), changed, values, pk));
    }
    Ok(out)
}

/// Emits INSERTs (referenced tables first), UPDATEs, then DELETEs (referencing first).
fn emit(
    conn: &mut Connection,
    new: &[Arc<dyn AnyInstance>],
    mut new_values: NewValues,
    updates: &[Change],
    deleted: &[Arc<dyn AnyInstance>],
    effects: &mut InsertEffects,
) -> Result<()> {
    let mut cache = ShapeCache::default();
    for batch in insert_order(new) {
        persistence::insert_batch(conn, &batch, &mut new_values, &mut cache, effects)?;
    }
    let changed: Vec<Arc<dyn AnyInstance>> = updates.iter().map(|(o, ..)| o.clone()).collect();
    let by_object: HashMap<*const (), &Change> = updates
        .iter()
        .map(|c| (Arc::as_ptr(&c.0) as *const (), c))
        .collect();
    for batch in insert_order(&changed) {
        let info = batch.info;
        let mut rows = Vec::with_capacity(batch.objects.len());
        for o in &batch.objects {
            let Some((obj, cols, values, loaded)) = by_object.get(&(Arc::as_ptr(o) as *const ()))
            else {
                continue;
            };
            let mut cols = cols.clone();
            let mut params: Vec<Value> = cols.iter().map(|&i| values[i].clone()).collect();
            // A versioned row also writes its next version, unless the change set one; the
            // object holds it from now on (undone with the other effects if the flush fails).
            if let Some((v, generator)) = info.version.filter(|(v, _)| !cols.contains(v)) {
                let current = loaded.last().cloned().unwrap_or(Value::Null);
                let next = versioning::bump(info, v, generator, &current)?;
                cols.push(v);
                params.push(next.clone());
                persistence::assign(obj, v, next, &mut effects.assigned)?;
            }
            params.extend(loaded.iter().cloned());
            rows.push((cols, params));
        }
        persistence::update_rows(conn, info, rows, &mut cache)?;
    }
    for batch in delete_order(deleted) {
        let keys = batch
            .objects
            .iter()
            .map(|o| {
                let snapshot = o.state().snapshot.clone();
                let values = match snapshot {
                    Some(s) => s,
                    None => o.values()?,
                };
                Ok(persistence::where_columns(batch.info)
                    .into_iter()
                    .map(|i| values[i].clone())
                    .collect())
            })
            .collect::<Result<Vec<Vec<Value>>>>()?;
        persistence::delete_rows(conn, batch.info, keys, &mut cache)?;
    }
    Ok(())
}
