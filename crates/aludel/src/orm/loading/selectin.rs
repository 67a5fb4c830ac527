//! The selectin loader (SQLAlchemy's `selectinload`): once the parents are loaded, their
//! related objects come from `SELECT target..., key... WHERE key IN (...)` in batches of
//! at most [`BATCH`] keys, and are handed back to each parent by the key columns selected
//! alongside. A many-to-one whose targets are already in the identity map costs no SQL.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::error::Result;
use crate::orm::deferred::{self, ColumnLayout};
use crate::orm::identity::IdentityKey;
use crate::orm::instance::AnyInstance;
use crate::orm::loading::LoadOptions;
use crate::orm::loading::eager::{Batch, Loaded, distinct, store};
use crate::orm::loading::joined::{JoinedPlan, JoinedRows};
use crate::orm::mapper::ModelInfo;
use crate::orm::relationship::{owner_key, related_select};
use crate::orm::session::{Session, lock};
use crate::sql::{Expr, Params, Select, Value, tuple};

/// The most keys one `IN` list holds (SQLAlchemy's batch size).
pub(crate) const BATCH: usize = 500;

/// The related objects of each parent key, in the relationship's order.
pub(crate) type Groups = HashMap<IdentityKey, Vec<Arc<dyn AnyInstance>>>;

/// Loads the batch's relationship with IN lists; returns the objects loaded, each once,
/// and the statement that loaded them all when there is one (a single IN batch, none
/// served from the identity map): the source of a subquery load below.
pub(crate) fn load(batch: &Batch<'_>) -> Result<Loaded> {
    let Batch {
        session,
        owner,
        rel,
        parents,
        ..
    } = *batch;
    if parents.is_empty() {
        return Ok((Vec::new(), None));
    }
    let resolved = rel.resolved(owner)?;
    let target = (rel.target)();
    let mut groups = Groups::new();
    let mut wanted = Vec::new();
    let mut all_wanted = true;
    for parent in parents {
        let Some(key) = owner_key(resolved, &parent.values()?) else {
            continue;
        };
        let Some(id) = IdentityKey::new(owner.identity_type(), &key) else {
            continue;
        };
        if groups.contains_key(&id) {
            continue;
        }
        let held = if resolved.targets_primary_key(target) && rel.primaryjoin.is_none() {
            held_target(session, target, &key)
        } else {
            None
        };
        match held {
            Some(found) => {
                groups.insert(id, vec![found]);
                all_wanted = false;
            }
            None => {
                groups.insert(id, Vec::new());
                wanted.push(key);
            }
        }
    }
    let (stmt, keys) = related_select(rel, resolved);
    let stmt = stmt.columns(keys.clone());
    let mut ran = Vec::new();
    for chunk in wanted.chunks(BATCH) {
        let stmt = stmt.clone().where_(in_keys(&keys, chunk));
        fetch_grouped(batch, &stmt, keys.len(), &Params::new(), &mut groups)?;
        ran.push(stmt);
    }
    let source = match (all_wanted, ran.len()) {
        (true, 1) => ran.pop(),
        _ => None,
    };
    Ok((assign(batch, &groups)?, source))
}

/// `key IN (?, ?, ...)`, or `(k1, k2) IN ((?, ?), ...)` for a composite key.
pub(crate) fn in_keys(keys: &[Expr], batch: &[Vec<Value>]) -> Expr {
    let value = |v: &Value| Expr::Value(v.clone());
    match keys {
        [one] => one.clone().in_(batch.iter().map(|k| value(&k[0]))),
        _ => tuple(keys.to_vec()).in_(batch.iter().map(|k| tuple(k.iter().map(value)))),
    }
}

/// The live, unexpired object of `target` with primary key `key`, if the session holds
/// one.
pub(crate) fn held_target(
    session: &Session,
    target: &ModelInfo,
    key: &[Value],
) -> Option<Arc<dyn AnyInstance>> {
    let st = lock(&session.inner.state);
    let id = IdentityKey::new(target.identity_type(), key)?.on_shard(st.identity.shard);
    let found = st.identity.get(&id);
    drop(st);
    found.filter(|f| !f.state().expired)
}

/// Runs `stmt` (the target's columns, then `width` columns of the owner's key) and adds
/// each row's object to the group of its owner key; the targets' joined relationships
/// (the options below the batch's, or their defaults) join into the same statement, and
/// their deferred columns are left out unless those options load them.
pub(crate) fn fetch_grouped(
    batch: &Batch<'_>,
    stmt: &Select,
    width: usize,
    params: &Params,
    groups: &mut Groups,
) -> Result<()> {
    let (owner, rel) = (batch.owner, batch.rel);
    let target = (rel.target)();
    // The target's deferred columns the options below do not load are left out.
    let planned = deferred::plan(target, stmt, &batch.deeper.columns);
    let (stmt, layout) = match &planned {
        Some((planned, layout)) => (planned, Some(layout)),
        None => (stmt, None),
    };
    let start = layout.map_or(target.columns().len(), ColumnLayout::width);
    let plan = JoinedPlan::new(&batch.session.inner, target, stmt, batch.deeper, layout)?;
    let mut joined = plan.as_ref().map(|p| p.reader(false));
    let opts = LoadOptions {
        autoflush: false,
        params: params.clone(),
        ..LoadOptions::default()
    };
    let stmt = plan.as_ref().map_or(stmt, JoinedPlan::statement);
    let mut seen = HashSet::new();
    batch
        .session
        .for_each_row_of(stmt, target, &opts, &mut |inner, identity, row| {
            let Some(obj) = rel.ops.row(inner, identity, row, 0, layout)? else {
                return Ok(());
            };
            if let Some(joined) = joined.as_mut() {
                joined.read(inner, identity, row, obj.clone())?;
            }
            let key = (start..start + width)
                .map(|i| row.value(i).map(|v| v.to_value()))
                .collect::<Result<Vec<_>>>()?;
            if let Some(id) = IdentityKey::new(owner.identity_type(), &key) {
                // A target repeats on the rows of its joined objects, and on parent keys a
                // limited subquery repeats.
                let ptr = Arc::as_ptr(&obj).cast::<u8>() as usize;
                if seen.insert((id.clone(), ptr)) {
                    groups.entry(id).or_default().push(obj);
                }
            }
            Ok(())
        })?;
    joined.map_or(Ok(()), JoinedRows::finish)
}

/// Stores each parent's group as its loaded relationship (empty when it has
/// none); returns the objects stored, each once.
pub(crate) fn assign(batch: &Batch<'_>, groups: &Groups) -> Result<Vec<Arc<dyn AnyInstance>>> {
    let owner = batch.owner;
    let resolved = batch.rel.resolved(owner)?;
    let mut all = Vec::new();
    for parent in batch.parents {
        let group = owner_key(resolved, &parent.values()?)
            .and_then(|key| IdentityKey::new(owner.identity_type(), &key))
            .and_then(|id| groups.get(&id))
            .cloned()
            .unwrap_or_default();
        store(parent, batch.index, &group)?;
        all.extend(group);
    }
    Ok(distinct(all))
}
