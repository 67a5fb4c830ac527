//! After a statement's objects are loaded: each relationship of their model is handled by
//! the strategy the loader options (or the relationship's default) choose, and the
//! objects it loads get the same treatment one level down, with the options below it.

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::Result;
use crate::orm::instance::AnyInstance;
use crate::orm::loading::options::LoaderTree;
use crate::orm::loading::{immediate, selectin, subquery};
use crate::orm::mapper::ModelInfo;
use crate::orm::relationship::{Loading, RelationshipInfo};
use crate::orm::session::Session;
use crate::sql::{Params, Select};

/// One level of loaded objects, all of one model.
pub(crate) struct Level<'a> {
    pub(crate) model: &'static ModelInfo,
    pub(crate) objects: &'a [Arc<dyn AnyInstance>],
    /// The options at this level.
    pub(crate) tree: &'a LoaderTree,
    /// The statement that loaded the objects (what subquery loading joins to), when it
    /// selects from the model's table.
    pub(crate) source: Option<&'a Select>,
    /// The joined relationships came with the objects' own statement.
    pub(crate) joined_done: bool,
    /// Reload relationships that are already loaded.
    pub(crate) populate_existing: bool,
    /// The named parameter values of `source`.
    pub(crate) params: &'a Params,
}

/// What a loader loaded: the objects, each once, and the statement that loaded them all
/// when one did (what a subquery load below re-runs).
pub(crate) type Loaded = (Vec<Arc<dyn AnyInstance>>, Option<Select>);

/// One relationship to load for a set of parents: what every strategy works on.
pub(crate) struct Batch<'a> {
    pub(crate) session: &'a Session,
    /// The parents' model.
    pub(crate) owner: &'static ModelInfo,
    pub(crate) rel: &'static RelationshipInfo,
    /// The relationship's index among the owner's relationships.
    pub(crate) index: usize,
    /// The parents whose relationship is not loaded yet.
    pub(crate) parents: &'a [Arc<dyn AnyInstance>],
    /// The options below the relationship (the loaded targets' joined relationships join
    /// into the loading statement).
    pub(crate) deeper: &'a LoaderTree,
}

/// Stores `items` as `parent`'s loaded relationship `index`.
pub(crate) fn store(
    parent: &Arc<dyn AnyInstance>,
    index: usize,
    items: &[Arc<dyn AnyInstance>],
) -> Result<()> {
    parent.with_slot(index, &mut |slot| {
        slot.set_loaded(items.to_vec());
        Ok(())
    })
}

/// Loads the relationships of `level.objects` as their strategies say, then the next
/// levels.
pub(crate) fn load_relationships(session: &Session, level: &Level<'_>) -> Result<()> {
    if level.objects.is_empty() {
        return Ok(());
    }
    for (index, rel) in level.model.relationships.iter().enumerate() {
        let choice = level.tree.choice(index, rel);
        let deeper = level.tree.deeper(index);
        let parents = unloaded(level, index)?;
        let batch = Batch {
            session,
            owner: level.model,
            rel,
            index,
            parents: &parents,
            deeper,
        };
        let loaded = match choice.strategy {
            Loading::Select | Loading::Noload | Loading::Raise | Loading::RaiseOnSql => {
                // Kept on each parent's field for its lazy load: an explicit strategy, and
                // the options below it (`defaultload(..).selectinload(..)`).
                let strategy = choice.explicit.then_some(choice.strategy);
                let below = (!deeper.is_empty()).then(|| Arc::new(deeper.clone()));
                if strategy.is_some() || below.is_some() {
                    for p in &parents {
                        p.with_slot(index, &mut |slot| {
                            slot.set_lazy_plan(strategy, below.clone());
                            Ok(())
                        })?;
                    }
                }
                continue;
            }
            // The statement joined it; an option still loads it for parents the join did
            // not reach (a many-to-one served by the identity map), a default leaves
            // those lazy (a self-referential join past its depth).
            Loading::Joined if level.joined_done => {
                if choice.explicit {
                    selectin::load(&batch)?;
                }
                // The objects' statement joined them: joined to it again, it is what
                // loaded them (the source of a subquery load below).
                let source = level
                    .source
                    .map(|s| subquery::statement(level.model, rel, s));
                (loaded_targets(level.objects, index)?, source.transpose()?)
            }
            Loading::Selectin | Loading::Joined => selectin::load(&batch)?,
            Loading::Subquery => match level.source {
                Some(source) => subquery::load(&batch, source, level.params)?,
                None => selectin::load(&batch)?,
            },
            Loading::Immediate => (immediate::load(&batch)?, None),
        };
        // What loaded them, for a subquery load below (none: it falls back to IN).
        let (loaded, source) = loaded;
        // Every loader but immediate joins the next level's joined relationships.
        let joined_done = choice.strategy != Loading::Immediate;
        load_relationships(
            session,
            &Level {
                model: (rel.target)(),
                objects: &loaded,
                tree: deeper,
                source: source.as_ref(),
                joined_done,
                populate_existing: level.populate_existing,
                params: level.params,
            },
        )?;
    }
    Ok(())
}

/// The objects whose relationship `index` still needs loading (all of them with
/// `populate_existing`).
fn unloaded(level: &Level<'_>, index: usize) -> Result<Vec<Arc<dyn AnyInstance>>> {
    let mut out = Vec::with_capacity(level.objects.len());
    for obj in level.objects {
        let mut loaded = false;
        obj.with_slot(index, &mut |slot| {
            loaded = slot.is_loaded();
            Ok(())
        })?;
        if !loaded || level.populate_existing {
            out.push(obj.clone());
        }
    }
    Ok(out)
}

/// The objects relationship `index` of `owners` holds now, each once.
pub(crate) fn loaded_targets(
    owners: &[Arc<dyn AnyInstance>],
    index: usize,
) -> Result<Vec<Arc<dyn AnyInstance>>> {
    let mut out = Vec::new();
    for owner in owners {
        owner.with_slot(index, &mut |slot| {
            out.extend(slot.current().unwrap_or_default());
            Ok(())
        })?;
    }
    Ok(distinct(out))
}

/// `objects` without repeats, in first-seen order.
pub(crate) fn distinct(objects: Vec<Arc<dyn AnyInstance>>) -> Vec<Arc<dyn AnyInstance>> {
    let mut seen = HashSet::with_capacity(objects.len());
    objects
        .into_iter()
        .filter(|o| seen.insert(Arc::as_ptr(o).cast::<u8>() as usize))
        .collect()
}
