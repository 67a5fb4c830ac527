//! The flush: turning the session's pending, modified and deleted objects into statements
//! (ordered by [`unit_of_work`](super::unit_of_work), emitted by
//! [`persistence`](super::persistence)), then updating object states, or, on failure,
//! rolling back and restoring them.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use crate::engine::{Connection, Engine};
use crate::error::{Error, Result};
use crate::orm::binds::{Purpose, StatementBind};
use crate::orm::deferred;
use crate::orm::dependency::{self, Dependencies, LateUpdate};
use crate::orm::identity::{IdentityKey, KeyHasher};
use crate::orm::instance::{AnyInstance, ObjectState};
use crate::orm::mapper::ModelInfo;
use crate::orm::persistence::{self, InsertEffects, ShapeCache};
use crate::orm::session::{SessionInner, SessionState};
use crate::orm::unit_of_work::{Batch, delete_order, insert_order};
use crate::orm::versioning;
use crate::sql::Value;

/// An update to emit: the object, its changed columns, its values, and its key as loaded
/// followed (for a versioned model) by its version as loaded.
type Change = (Arc<dyn AnyInstance>, Vec<usize>, Vec<Value>, Vec<Value>);

/// How many new objects' values a flush keeps between validating and inserting them.
const RETAINED_VALUES: usize = 10_000;

/// The column values of the new objects, read once per flush, by object.
pub(crate) type NewValues = HashMap<*const (), Vec<Value>, BuildHasherDefault<KeyHasher>>;

impl SessionInner {
    /// Flushes with the state locked.
    pub(crate) fn flush_locked(&self, st: &mut SessionState) -> Result<()> {
        if let Some(cause) = &st.failed {
            return Err(Error::PendingRollback {
                cause: cause.clone(),
            });
        }
        let mut deps = dependency::collect(self, st)?;
        let updates = collect_updates(&st.modified)?;
        if st.new.is_empty() && st.deleted.is_empty() && updates.is_empty() && deps.is_empty() {
            st.modified.clear();
            return Ok(());
        }
        // Each new object's values are validated here, before any SQL: nothing invalid
        // reaches the database, and a refused flush leaves the session and its transaction
        // as they were. The values of the first RETAINED_VALUES objects are kept for their
        // INSERTs (read once); beyond that they are read again batch by batch, so a flush of
        // millions of new objects holds a bounded number of rows of values.
        let mut new_values: NewValues = HashMap::with_capacity_and_hasher(
            st.new.len().min(RETAINED_VALUES),
            Default::default(),
        );
        for (i, obj) in st.new.iter().enumerate() {
            let values = obj.values()?;
            if !obj.info().deferred.is_empty() {
                deferred::check_insertable(obj)?;
            }
            validate(obj.as_ref(), &values, &deps.filled(obj))?;
            if i < RETAINED_VALUES {
                new_values.insert(Arc::as_ptr(obj) as *const (), values);
            }
        }
        for (obj, _, values, _) in &updates {
            // Unloaded deferred columns are not written, so not checked.
            let unloaded = match obj.info().deferred.is_empty() {
                true => Vec::new(),
                false => deferred::unloaded_columns(obj)?,
            };
            validate(obj.as_ref(), values, &unloaded)?;
        }
        let new = st.new.clone();
        let deleted = st.deleted.clone();
        let mut effects = InsertEffects::default();
        let outcome = match self.binds {
            None => self.run(st, |conn| {
                emit(
                    conn,
                    &new,
                    new_values,
                    &updates,
                    &deleted,
                    &mut deps,
                    &mut effects,
                )
            }),
            Some(_) => self.emit_by_bind(
                st,
                FlushWork {
                    new: &new,
                    new_values,
                    updates: &updates,
                    deleted: &deleted,
                },
                &mut deps,
                &mut effects,
            ),
        };
        // Read-your-writes: this unit of work's reads of routed binds go to the primary.
        st.pinned_primary = true;
        if let Err(e) = outcome {
            for a in effects.assigned.into_iter().rev() {
                // Best effort: the object is not borrowed (the flush just wrote it).
                let _ = a.object.set_values(&[(a.column, a.previous)]);
            }
            self.fail_flush(st, &e);
            return Err(e);
        }
        for obj in std::mem::take(&mut st.new) {
            let info = obj.info();
            let pk = obj.values_of(&info.primary_key)?;
            let key = IdentityKey::new(info.identity_type(), &pk).ok_or_else(|| {
                Error::invalid(format!(
                    "a new {} was inserted without a primary key value",
                    info.name
                ))
            })?;
            let key = key.on_shard(obj.state().shard);
            {
                let mut s = obj.state();
                s.state = ObjectState::Persistent;
                s.key = Some(key.pk.clone());
                s.snapshot = None;
            }
            st.identity.insert(key, obj.clone());
            st.tx_inserted.push(obj);
        }
        // Server defaults the database could not return: loaded on next access.
        for obj in effects.expire {
            Self::expire(&obj);
        }
        for (obj, changed, values, _) in &updates {
            let info = obj.info();
            if !changed.iter().any(|c| info.primary_key.contains(c)) {
                // The key is what it was: no entry of the identity map moves.
                continue;
            }
            let old_key = obj.identity_key();
            let shard = old_key.as_ref().map_or(0, |k| k.shard);
            let new_key = info.identity_of(values).map(|k| k.on_shard(shard));
            if new_key != old_key {
                if let Some(k) = old_key {
                    st.identity.remove(&k);
                }
                if let Some(k) = new_key.clone() {
                    st.identity.insert(k, obj.clone());
                }
                obj.state().key = new_key.map(|k| k.pk);
            }
        }
        for obj in std::mem::take(&mut st.modified) {
            obj.state().snapshot = None;
            deferred::clear_changes(&obj)?;
        }
        for obj in std::mem::take(&mut st.deleted) {
            st.record_deleted(obj);
        }
        deps.finish()
    }
}

impl SessionState {
    /// Records `obj` as deleted in this transaction (by a flush or a bulk DELETE): out of
    /// the identity map, detached at commit, made persistent again by a rollback.
    pub(crate) fn record_deleted(&mut self, obj: Arc<dyn AnyInstance>) {
        let key = obj.identity_key();
        {
            let mut s = obj.state();
            s.state = ObjectState::Deleted;
            s.delete_pending = false;
        }
        if let Some(k) = key {
            self.identity.remove(&k);
        }
        self.tx_deleted.push(obj);
    }
}

/// Checks an object against its model's validation, except the columns in `filled` (a
/// relationship writes them during the flush, or an unloaded deferred column the flush
/// leaves alone).
fn validate(obj: &dyn AnyInstance, values: &[Value], filled: &[usize]) -> Result<()> {
    let info = obj.info();
    let only: Option<Vec<usize>> =
        (!filled.is_empty()).then(|| (0..values.len()).filter(|c| !filled.contains(c)).collect());
    info.validate(values, only.as_deref())
        .map_err(|errors| Error::Validation {
            model: info.name.to_owned(),
            errors,
        })
}

/// The modified objects that really changed, with what changed.
fn collect_updates(modified: &[Arc<dyn AnyInstance>]) -> Result<Vec<Change>> {
    let mut out: Vec<Change> = Vec::with_capacity(modified.len());
    let mut seen: HashSet<*const (), BuildHasherDefault<KeyHasher>> =
        HashSet::with_capacity_and_hasher(modified.len(), Default::default());
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
        let mut changed: Vec<usize> = (0..values.len())
            .filter(|&i| values[i] != snapshot[i])
            .collect();
        let pk = persistence::where_columns(obj.info())
            .map(|i| snapshot[i].clone())
            .collect();
        drop(s);
        if !obj.info().deferred.is_empty() {
            deferred::correct_changed(obj, &mut changed)?;
        }
        if changed.is_empty() {
            continue;
        }
        out.push((obj.clone(), changed, values, pk));
    }
    Ok(out)
}

/// What one flush writes.
struct FlushWork<'a> {
    new: &'a [Arc<dyn AnyInstance>],
    new_values: NewValues,
    updates: &'a [Change],
    deleted: &'a [Arc<dyn AnyInstance>],
}

/// The part of a flush that goes to one engine (one shard of a sharded session), with
/// a model that resolves to it.
struct EngineWork {
    engine: Engine,
    /// The shard (0 outside a sharded session).
    shard: u16,
    model: &'static ModelInfo,
    new: Vec<Arc<dyn AnyInstance>>,
    updates: Vec<Change>,
    deleted: Vec<Arc<dyn AnyInstance>>,
}

impl SessionInner {
    /// Emits a bound session's flush: each object's statements go to its model's engine
    /// (the primary of a routed bind; its shard's in a sharded session), one engine after
    /// the other. Objects tied by relationships must share an engine (a foreign key
    /// cannot span databases); when they do not, nothing is sent and the error says so.
    fn emit_by_bind(
        &self,
        st: &mut SessionState,
        work: FlushWork<'_>,
        deps: &mut Dependencies,
        effects: &mut InsertEffects,
    ) -> Result<()> {
        if let Some(sharding) = &self.sharding {
            self.place_new_objects(sharding, st, deps, work.new)?;
        }
        let mut groups: Vec<EngineWork> = Vec::new();
        let mut group_of = |obj: &Arc<dyn AnyInstance>| -> Result<usize> {
            let model = obj.info();
            let (engine, shard) = match &self.sharding {
                Some(sharding) => {
                    let shard = self.flush_shard(sharding, st, obj)?;
                    (sharding.engine(shard).clone(), shard)
                }
                None => match self.bound_engine(st, model, Purpose::Write)? {
                    Some((engine, _)) => (engine, 0),
                    None => {
                        return Err(Error::invalid("a bound flush in a session without binds"));
                    }
                },
            };
            let same = |g: &EngineWork| g.shard == shard && g.engine.same(&engine);
            Ok(match groups.iter().position(same) {
                Some(i) => i,
                None => {
                    groups.push(EngineWork {
                        engine,
                        shard,
                        model,
                        new: Vec::new(),
                        updates: Vec::new(),
                        deleted: Vec::new(),
                    });
                    groups.len() - 1
                }
            })
        };
        let new_in: Vec<usize> = work.new.iter().map(&mut group_of).collect::<Result<_>>()?;
        let updates_in: Vec<usize> = work
            .updates
            .iter()
            .map(|c| group_of(&c.0))
            .collect::<Result<_>>()?;
        let deleted_in: Vec<usize> = work
            .deleted
            .iter()
            .map(&mut group_of)
            .collect::<Result<_>>()?;
        // The relationship work goes to the engine of the objects each link ties.
        let linked: Vec<Arc<dyn AnyInstance>> = deps
            .links()
            .flat_map(|(a, b)| std::iter::once(a.clone()).chain(b.cloned()))
            .collect();
        for obj in &linked {
            group_of(obj)?;
        }
        let mut deps_by_group = deps.split(&mut group_of)?;
        deps_by_group.resize_with(groups.len(), Dependencies::default);
        for (obj, &g) in work.new.iter().zip(&new_in) {
            groups[g].new.push(obj.clone());
        }
        for (change, &g) in work.updates.iter().zip(&updates_in) {
            groups[g].updates.push(change.clone());
        }
        for (obj, &g) in work.deleted.iter().zip(&deleted_in) {
            groups[g].deleted.push(obj.clone());
        }
        let mut new_values = work.new_values;
        let previous_shard = st.identity.shard;
        let mut outcome = Ok(());
        for (g, deps) in groups.into_iter().zip(&mut deps_by_group) {
            let values: NewValues = g
                .new
                .iter()
                .filter_map(|o| {
                    let key = Arc::as_ptr(o) as *const ();
                    new_values.remove(&key).map(|v| (key, v))
                })
                .collect();
            // A sharded group's statements go to its shard's connection.
            if g.shard != 0 {
                st.identity.shard = g.shard;
            }
            outcome = self
                .connection_for(st, StatementBind::write(g.model))
                .and_then(|conn| emit(conn, &g.new, values, &g.updates, &g.deleted, deps, effects));
            if outcome.is_err() {
                break;
            }
        }
        st.identity.shard = previous_shard;
        outcome
    }
}

/// Emits INSERTs (referenced tables first, each object after the objects its foreign
/// keys come from), UPDATEs (with the foreign keys relationships set), association rows,
/// then DELETEs (referencing first).
fn emit(
    conn: &mut Connection,
    new: &[Arc<dyn AnyInstance>],
    mut new_values: NewValues,
    updates: &[Change],
    deleted: &[Arc<dyn AnyInstance>],
    deps: &mut Dependencies,
    effects: &mut InsertEffects,
) -> Result<()> {
    let mut cache = ShapeCache::default();
    insert_in_dependency_order(conn, new, &mut new_values, deps, &mut cache, effects)?;
    let late = deps.apply_after_inserts(&mut effects.assigned)?;
    let updates = with_relationship_updates(updates, late)?;
    let updates = &updates[..];
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
        // The database wrote on-update columns: reloaded on next access.
        if info.columns().iter().any(|c| c.server_onupdate.is_some()) {
            effects.expire.extend(batch.objects.iter().cloned());
        }
    }
    deps.write_association_rows(conn)?;
    for batch in delete_order(deleted) {
        let keys = batch
            .objects
            .iter()
            .map(|o| {
                let snapshot = o.state().snapshot.clone();
                let values = match snapshot {
                    Some(s) => s.into_vec(),
                    None => o.values()?,
                };
                Ok(persistence::where_columns(batch.info)
                    .map(|i| values[i].clone())
                    .collect())
            })
            .collect::<Result<Vec<Vec<Value>>>>()?;
        persistence::delete_rows(conn, batch.info, keys, &mut cache)?;
    }
    Ok(())
}

/// INSERTs the new objects by model in dependency order; within that, an object whose
/// relationship source is new waits until the source is inserted (a parent before its
/// children in one self-referential table). Objects that can never be ready form a
/// dependency cycle: an error unless one of the relationships is `post_update`.
fn insert_in_dependency_order(
    conn: &mut Connection,
    new: &[Arc<dyn AnyInstance>],
    new_values: &mut NewValues,
    deps: &mut Dependencies,
    cache: &mut ShapeCache,
    effects: &mut InsertEffects,
) -> Result<()> {
    if deps.is_empty() {
        for batch in insert_order(new) {
            persistence::insert_batch(conn, &batch, new_values, cache, effects)?;
        }
        return Ok(());
    }
    let all: HashSet<*const ()> = new.iter().map(|o| Arc::as_ptr(o) as *const ()).collect();
    let mut inserted: HashSet<*const ()> = HashSet::new();
    let mut waiting: Vec<Batch> = insert_order(new);
    while !waiting.is_empty() {
        let mut progress = false;
        for batch in &mut waiting {
            loop {
                let (ready, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut batch.objects)
                    .into_iter()
                    .partition(|o| deps.ready(o, &all, &inserted));
                batch.objects = rest;
                if ready.is_empty() {
                    break;
                }
                progress = true;
                for obj in &ready {
                    let key = Arc::as_ptr(obj) as *const ();
                    let mut values = match new_values.remove(&key) {
                        Some(v) => v,
                        None => obj.values()?,
                    };
                    deps.apply_before_insert(obj, &mut values, &mut effects.assigned)?;
                    new_values.insert(key, values);
                }
                let sub = Batch {
                    info: batch.info,
                    objects: ready,
                };
                persistence::insert_batch(conn, &sub, new_values, cache, effects)?;
                inserted.extend(sub.objects.iter().map(|o| Arc::as_ptr(o) as *const ()));
            }
        }
        waiting.retain(|b| !b.objects.is_empty());
        if !progress && !waiting.is_empty() {
            let names: Vec<&str> = waiting.iter().map(|b| b.info.name).collect();
            return Err(Error::invalid(format!(
                "cannot order the INSERTs of {}: new objects depend on each other through relationships in a cycle; mark one of the relationships post_update",
                names.join(", ")
            )));
        }
    }
    Ok(())
}

/// `updates` plus the foreign keys relationship syncs wrote after the INSERTs: merged into
/// an object's own UPDATE when it has one, else a new UPDATE keyed by the row as it was.
/// Without such writes (the common case) the updates are used as they are, not copied.
fn with_relationship_updates(
    updates: &[Change],
    late: Vec<LateUpdate>,
) -> Result<Cow<'_, [Change]>> {
    if late.is_empty() {
        return Ok(Cow::Borrowed(updates));
    }
    let mut out: Vec<Change> = updates.to_vec();
    for (obj, columns, before) in late {
        let now = obj.values()?;
        match out.iter_mut().find(|c| Arc::ptr_eq(&c.0, &obj)) {
            Some((_, cols, values, _)) => {
                for c in columns {
                    values[c] = now[c].clone();
                    if !cols.contains(&c) {
                        cols.push(c);
                    }
                }
            }
            None => {
                let loaded = persistence::where_columns(obj.info())
                    .map(|i| before[i].clone())
                    .collect();
                out.push((obj, columns, now, loaded));
            }
        }
    }
    Ok(Cow::Owned(out))
}
