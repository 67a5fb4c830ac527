//! The immediate loader (SQLAlchemy's `immediateload`): right after the parents load,
//! each one's relationship loads with its own SELECT, as a lazy load would on first
//! access (a many-to-one held in the identity map costs no SQL).

use std::sync::Arc;

use crate::error::Result;
use crate::orm::instance::AnyInstance;
use crate::orm::loading::LoadOptions;
use crate::orm::loading::options::LoaderTree;
use crate::orm::loading::eager::distinct;
use crate::orm::loading::selectin::held_target;
use crate::orm::relationship::{RelationshipInfo, equals_key, owner_key, related_select};
use crate::orm::session::Session;

/// Loads relationship `index` (`rel`) of each of `parents`, one statement per parent;
/// returns the objects loaded, each once.
pub(crate) fn load(
    session: &Session,
    rel: &'static RelationshipInfo,
    index: usize,
    parents: &[Arc<dyn AnyInstance>],
) -> Result<Vec<Arc<dyn AnyInstance>>> {
    let mut all = Vec::new();
    for parent in parents {
        let owner = parent.info();
        let resolved = rel.resolved(owner)?;
        let target = (rel.target)();
        let items = match owner_key(resolved, &parent.values()?) {
            None => Vec::new(),
            Some(key) => match resolved
                .targets_primary_key(target)
                .then(|| held_target(session, target, &key))
                .flatten()
            {
                Some(found) => vec![found],
                None => {
                    let (stmt, keys) = related_select(rel, resolved);
                    let stmt = stmt.where_(equals_key(&keys, &key));
                    let opts = LoadOptions {
                        loaders: LoaderTree::for_targets_of(rel, owner)?,
                        ..LoadOptions::default()
                    };
                    rel.ops.load(session, &stmt, &opts)?
                }
            },
        };
        all.extend(items.iter().cloned());
        parent.with_slot(index, &mut |slot| {
            slot.set_loaded(items.clone());
            Ok(())
        })?;
    }
    Ok(distinct(all))
}
