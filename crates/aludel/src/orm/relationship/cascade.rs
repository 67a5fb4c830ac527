//! Cascades along relationships. Save-update: objects reachable from a session's objects
//! through relationships with `save-update` join the session (when the parent is added,
//! when an object is appended or set, and again at flush), and a changed relationship
//! marks its owner as modified so the flush looks at it. Expunge and refresh-expire: the
//! objects [`reachable`] through loaded relationships share the parent's fate. (Merge
//! lives with `Session::merge`; delete and delete-orphan with the flush.)

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::Result;
use crate::orm::instance::{AnyInstance, ObjectState};
use crate::orm::relationship::{RelationshipInfo, loaded_related};
use crate::orm::session::{SessionInner, SessionState};

/// The session `obj` belongs to, if any.
fn session_of(obj: &Arc<dyn AnyInstance>) -> Option<Arc<SessionInner>> {
    obj.state().session.as_ref().and_then(|(_, w)| w.upgrade())
}

/// After `item` was appended to (or set on) `owner.rel`: if the owner is in a session and
/// the relationship cascades save-update, `item` (and what it reaches) joins it.
pub(crate) fn save_update_on_change(
    owner: &Arc<dyn AnyInstance>,
    rel: &RelationshipInfo,
    item: &Arc<dyn AnyInstance>,
) -> Result<()> {
    if !rel.cascade.save_update || rel.viewonly {
        return Ok(());
    }
    let Some(session) = session_of(owner) else {
        return Ok(());
    };
    let mut st = session.usable()?;
    session.attach(&mut st, item.clone())
}

/// Records that `owner`'s relationships changed, so the next flush processes them.
pub(crate) fn note_changed(owner: &Arc<dyn AnyInstance>) {
    if owner.state().state != ObjectState::Persistent {
        return;
    }
    if let Some(session) = session_of(owner) {
        session.note_modified(owner.clone());
    }
}

/// Adds to the session every transient object reachable from `roots` through loaded
/// relationships that cascade save-update (the session's state is locked by the caller).
pub(crate) fn save_update(
    session: &SessionInner,
    st: &mut SessionState,
    roots: &[Arc<dyn AnyInstance>],
) -> Result<()> {
    let mut seen: HashSet<*const ()> = HashSet::new();
    let mut stack: Vec<Arc<dyn AnyInstance>> = roots.to_vec();
    while let Some(obj) = stack.pop() {
        if !seen.insert(Arc::as_ptr(&obj) as *const ()) {
            continue;
        }
        for (index, rel) in obj.info().relationships.iter().enumerate() {
            if !rel.cascade.save_update || rel.viewonly {
                continue;
            }
            for r in loaded_related(&obj, index)?.unwrap_or_default() {
                if r.state().state == ObjectState::Transient {
                    session.attach_one(st, r.clone())?;
                }
                stack.push(r);
            }
        }
    }
    Ok(())
}

/// The objects reachable from `root` through loaded relationships whose cascade `follows`
/// (`expunge`, `refresh-expire`), not counting `root` itself. Nothing is loaded: what is
/// not loaded is not reached, as in SQLAlchemy.
pub(crate) fn reachable(
    root: &Arc<dyn AnyInstance>,
    follows: fn(&crate::orm::relationship::Cascade) -> bool,
) -> Result<Vec<Arc<dyn AnyInstance>>> {
    let mut seen: HashSet<*const ()> = HashSet::from([Arc::as_ptr(root) as *const ()]);
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(obj) = stack.pop() {
        for (index, rel) in obj.info().relationships.iter().enumerate() {
            if !follows(&rel.cascade) {
                continue;
            }
            for r in loaded_related(&obj, index)?.unwrap_or_default() {
                if seen.insert(Arc::as_ptr(&r) as *const ()) {
                    out.push(r.clone());
                    stack.push(r);
                }
            }
        }
    }
    Ok(out)
}
