//! The immediate loader (SQLAlchemy's `immediateload`): right after the parents load,
//! each one's relationship loads with its own SELECT, as a lazy load would on first
//! access (a many-to-one held in the identity map costs no SQL).

use std::sync::Arc;

use crate::error::Result;
use crate::orm::instance::AnyInstance;
use crate::orm::loading::LoadOptions;
use crate::orm::loading::eager::{Batch, distinct, store};
use crate::orm::loading::options::LoaderTree;
use crate::orm::loading::selectin::held_target;
use crate::orm::relationship::{equals_key, owner_key, related_select};

/// Loads the batch's relationship, one statement per parent; returns the objects loaded,
/// each once.
pub(crate) fn load(batch: &Batch<'_>) -> Result<Vec<Arc<dyn AnyInstance>>> {
    let Batch {
        session,
        owner,
        rel,
        ..
    } = *batch;
    let mut all = Vec::new();
    for parent in batch.parents {
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
                        loaders: LoaderTree::for_targets_of(rel, owner, Some(batch.deeper))?,
                        ..LoadOptions::default()
                    };
                    rel.ops.load(session, &stmt, &opts)?
                }
            },
        };
        store(parent, batch.index, &items)?;
        all.extend(items);
    }
    Ok(distinct(all))
}
