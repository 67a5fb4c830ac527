//! The unit of work's ordering: which tables' INSERTs come first (referenced tables before
//! referencing ones, and within one self-referential table parents before children), and
//! the reverse for DELETEs. It only orders; [`persistence`](super::persistence) emits.

use std::collections::HashMap;
use std::sync::Arc;

use crate::orm::identity::IdentityKey;
use crate::orm::instance::AnyInstance;
use crate::orm::mapper::ModelInfo;
use crate::sql::Value;

/// Objects of one model, in the order they are to be written.
pub(crate) struct Batch {
    pub(crate) info: &'static ModelInfo,
    pub(crate) objects: Vec<Arc<dyn AnyInstance>>,
}

/// Groups objects by model, models in foreign-key dependency order (referenced first).
/// Within a model, objects keep the order they were added in, except that in a
/// self-referential table a row comes after the row it references.
pub(crate) fn insert_order(objects: &[Arc<dyn AnyInstance>]) -> Vec<Batch> {
    let mut batches = group_by_model(objects);
    let order = model_order(&batches);
    let mut sorted: Vec<Batch> = order
        .into_iter()
        .map(|i| {
            let info = batches[i].info;
            std::mem::replace(&mut batches[i], empty(info))
        })
        .collect();
    for batch in &mut sorted {
        order_self_referential(batch);
    }
    sorted
}

/// The reverse of [`insert_order`]: referencing rows are deleted before referenced ones.
pub(crate) fn delete_order(objects: &[Arc<dyn AnyInstance>]) -> Vec<Batch> {
    let mut batches = insert_order(objects);
    batches.reverse();
    for b in &mut batches {
        b.objects.reverse();
    }
    batches
}

fn empty(info: &'static ModelInfo) -> Batch {
    Batch {
        info,
        objects: Vec::new(),
    }
}

fn group_by_model(objects: &[Arc<dyn AnyInstance>]) -> Vec<Batch> {
    let mut batches: Vec<Batch> = Vec::new();
    for obj in objects {
        let info = obj.info();
        match batches.iter_mut().find(|b| b.info.type_id == info.type_id) {
            Some(b) => b.objects.push(obj.clone()),
            None => batches.push(Batch {
                info,
                objects: vec![obj.clone()],
            }),
        }
    }
    batches
}

/// Indexes of `batches` in dependency order. Cycles between tables (which `create_all`
/// refuses too) fall back to the order the models first appeared in.
fn model_order(batches: &[Batch]) -> Vec<usize> {
    let deps: Vec<Vec<usize>> = batches
        .iter()
        .map(|b| {
            let own = b.info.table.name();
            b.info
                .referenced_tables()
                .into_iter()
                .filter(|t| *t != own)
                .filter_map(|t| batches.iter().position(|o| o.info.table.name() == t))
                .collect()
        })
        .collect();
    let mut done = vec![false; batches.len()];
    let mut order = Vec::with_capacity(batches.len());
    while order.len() < batches.len() {
        let next = (0..batches.len())
            .find(|&i| !done[i] && deps[i].iter().all(|&d| done[d]))
            .or_else(|| (0..batches.len()).find(|&i| !done[i]));
        let Some(i) = next else { break };
        done[i] = true;
        order.push(i);
    }
    order
}

/// Reorders a self-referential batch so each row follows the row its foreign key names.
fn order_self_referential(batch: &mut Batch) {
    let info = batch.info;
    let own = info.table.name();
    let self_fks: Vec<(usize, usize)> = info
        .columns()
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let fk = c.foreign_key.as_ref()?;
            if fk.table != own {
                return None;
            }
            let target = info.columns().iter().position(|t| t.name == fk.column)?;
            Some((i, target))
        })
        .collect();
    if self_fks.is_empty() || batch.objects.len() < 2 {
        return;
    }
    let values: Vec<Vec<Value>> = batch
        .objects
        .iter()
        .map(|o| o.values().unwrap_or_default())
        .collect();
    let key_of = |vals: &Vec<Value>, col: usize| {
        IdentityKey::new(info.type_id, std::slice::from_ref(&vals[col]))
    };
    let mut position: HashMap<(usize, IdentityKey), usize> = HashMap::new();
    for (row, vals) in values.iter().enumerate() {
        for &(_, target) in &self_fks {
            if let Some(k) = key_of(vals, target) {
                position.insert((target, k), row);
            }
        }
    }
    let parents: Vec<Vec<usize>> = values
        .iter()
        .enumerate()
        .map(|(row, vals)| {
            self_fks
                .iter()
                .filter_map(|&(fk_col, target)| {
                    key_of(vals, fk_col).and_then(|k| position.get(&(target, k)).copied())
                })
                .filter(|&p| p != row)
                .collect()
        })
        .collect();
    let mut placed = vec![false; values.len()];
    let mut order = Vec::with_capacity(values.len());
    while order.len() < values.len() {
        let next = (0..values.len())
            .find(|&r| !placed[r] && parents[r].iter().all(|&p| placed[p]))
            .or_else(|| (0..values.len()).find(|&r| !placed[r]));
        let Some(r) = next else { break };
        placed[r] = true;
        order.push(r);
    }
    let objects = std::mem::take(&mut batch.objects);
    batch.objects = order.into_iter().map(|r| objects[r].clone()).collect();
}
