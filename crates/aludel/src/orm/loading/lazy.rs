//! The lazy loader: a relationship read unloaded loads with its own SELECT through the
//! owner's session (SQLAlchemy's `lazy="select"`), after the checks that may refuse it:
//! a detached owner, the `raise` / `raise_on_sql` / `noload` strategies, and the
//! session's N+1 guard ([`LazyLoads`]). A many-to-one by primary key is first looked up
//! in the identity map and costs no SQL when found.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::orm::identity::IdentityKey;
use crate::orm::instance::{AnyInstance, Instance, ObjectState, downcast};
use crate::orm::loading::LoadOptions;
use crate::orm::loading::options::LoaderTree;
use crate::orm::mapper::Model;
use crate::orm::relationship::{Loading, RelationshipInfo, equals_key, owner_key, related_select};
use crate::orm::session::{Session, SessionInner, lock};

/// What a session does when a relationship loads lazily (the N+1 guard). SQLAlchemy only
/// has per-relationship `raise`; this makes a whole test suite refuse N+1 queries.
///
/// ```
/// use aludel::orm::{LazyLoads, SessionConfig};
/// let config = SessionConfig { lazy_loads: LazyLoads::Raise, ..SessionConfig::default() };
/// assert_eq!(config.lazy_loads, LazyLoads::Raise);
/// assert_eq!(SessionConfig::default().lazy_loads, LazyLoads::Allow);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LazyLoads {
    /// Lazy loads run (the default).
    #[default]
    Allow,
    /// Lazy loads run, and each logs a warning (target `aludel::lazy`) naming the
    /// relationship and how many lazy loads of it the session has run.
    Warn,
    /// A lazy load that needs SQL is an [`Error::LazyLoadRefused`]; one served by the
    /// identity map is allowed.
    Raise,
}

/// Loads `owner.rel` with `strategy` (the relationship's default or the loading query's
/// option) and the loading query's options `below` it: the related objects, in the
/// relationship's order.
pub(crate) fn load<C: Model>(
    owner: &Arc<dyn AnyInstance>,
    rel: &'static RelationshipInfo,
    strategy: Loading,
    below: Option<&LoaderTree>,
) -> Result<Vec<Instance<C>>> {
    let info = owner.info();
    let name = || format!("{}.{}", info.name, rel.name);
    let (state, session, key, shard) = {
        let s = owner.state();
        (
            s.state,
            s.session.as_ref().and_then(|(_, w)| w.upgrade()),
            s.key.clone(),
            s.shard,
        )
    };
    match state {
        // A new object has nothing in the database to load.
        ObjectState::Transient | ObjectState::Pending => return Ok(Vec::new()),
        ObjectState::Persistent | ObjectState::Deleted | ObjectState::Detached => {}
    }
    match strategy {
        Loading::Noload => return Ok(Vec::new()),
        Loading::Raise => {
            return Err(Error::LazyLoadRefused {
                message: format!("{} is not loaded and its loader strategy is raise", name()),
            });
        }
        _ => {}
    }
    let Some(session) = session else {
        let which = key.map(|k| format!(" {k}")).unwrap_or_default();
        return Err(Error::DetachedInstance {
            message: format!(
                "{}{which} is not in a session, so its relationship '{}' cannot be loaded; add it to a session (or load the relationship before closing the session)",
                info.name, rel.name
            ),
        });
    };
    // The related objects are on the owner's shard (in a sharded session).
    let session_inner = session.clone();
    session_inner.on_shard(shard, || {
        load_related(owner, rel, strategy, below, session, &name())
    })
}

/// [`load`] for a persistent owner in `session`, once the refusals are checked.
fn load_related<C: Model>(
    owner: &Arc<dyn AnyInstance>,
    rel: &'static RelationshipInfo,
    strategy: Loading,
    below: Option<&LoaderTree>,
    session: Arc<SessionInner>,
    name: &str,
) -> Result<Vec<Instance<C>>> {
    let info = owner.info();
    let resolved = rel.resolved(info)?;
    let values = owner.values()?;
    let Some(key) = owner_key(resolved, &values) else {
        return Ok(Vec::new());
    };
    let target = (rel.target)();
    // A primaryjoin criterion is checked by the database, so the identity map cannot
    // answer for it.
    if resolved.targets_primary_key(target) && rel.primaryjoin.is_none() {
        if let Some(found) = in_identity_map::<C>(&session, target.identity_type(), &key) {
            return Ok(vec![found]);
        }
    }
    if strategy == Loading::RaiseOnSql {
        return Err(Error::LazyLoadRefused {
            message: format!(
                "{name} is not loaded, its loader strategy is raise_on_sql, and loading it needs SQL"
            ),
        });
    }
    guard(&session, name)?;
    let (stmt, keys) = related_select(rel, resolved);
    let stmt = stmt.where_(equals_key(&keys, &key));
    let opts = LoadOptions {
        loaders: LoaderTree::for_targets_of(rel, info, below)?,
        ..LoadOptions::default()
    };
    Session { inner: session }.load::<C>(&stmt, &opts)
}

/// The live, unexpired object under `key`, if the session holds one.
fn in_identity_map<C: Model>(
    session: &SessionInner,
    model: std::any::TypeId,
    key: &[crate::sql::Value],
) -> Option<Instance<C>> {
    let st = lock(&session.state);
    let key = IdentityKey::new(model, key)?.on_shard(st.identity.shard);
    let found = st.identity.get(&key)?;
    drop(st);
    if found.state().expired {
        return None;
    }
    downcast(&found)
}

/// Applies the session's N+1 guard to a lazy load of `relationship` that needs SQL.
pub(crate) fn guard(session: &SessionInner, relationship: &str) -> Result<()> {
    match session.config.lazy_loads {
        LazyLoads::Allow => Ok(()),
        LazyLoads::Raise => Err(Error::LazyLoadRefused {
            message: format!(
                "{relationship} would load lazily, and this session refuses lazy loads (LazyLoads::Raise); load it with a loader option such as selectinload"
            ),
        }),
        LazyLoads::Warn => {
            let count = {
                let mut st = lock(&session.state);
                let n = st
                    .lazy_load_counts
                    .entry(relationship.to_owned())
                    .or_insert(0);
                *n += 1;
                *n
            };
            log::warn!(target: "aludel::lazy", "lazy load of {relationship} (#{count} in this session): consider an eager loader option");
            Ok(())
        }
    }
}
