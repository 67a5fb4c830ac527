//! The flush of a joined-table subtype: each of its tables written with the ordinary
//! statements of `persistence`, the object seen through each [`TablePart`] in turn —
//! INSERT base row then each subtype table's row from the base down (their key is the base
//! row's, generated first),
//! UPDATE each table whose columns changed, DELETE the rows in the reverse order (in
//! `persistence::delete_rows`).

use std::sync::Arc;

use crate::engine::Connection;
use crate::error::{Error, Result};
use crate::orm::flush::NewValues;
use crate::orm::inheritance::joined::{PartInstance, TablePart};
use crate::orm::mapper::ModelInfo;
use crate::orm::persistence::{self, InsertEffects, ShapeCache, assign};
use crate::orm::unit_of_work::Batch;
use crate::sql::Value;

/// INSERTs the new objects of joined-table subtype `batch.info`: the discriminator is
/// written into each object, then every base row, then the rows of each subtype table from the base down.
pub(crate) fn insert(
    conn: &mut Connection,
    batch: &Batch,
    parts: &'static [TablePart],
    new_values: &mut NewValues,
    cache: &mut ShapeCache,
    effects: &mut InsertEffects,
) -> Result<()> {
    let info = batch.info;
    let discriminator = info.discriminator()?;
    let mut base_objects = Vec::with_capacity(batch.objects.len());
    for obj in &batch.objects {
        let mut values = match new_values.remove(&(Arc::as_ptr(obj) as *const ())) {
            Some(values) => values,
            None => obj.values()?,
        };
        if let Some((d, identity)) = &discriminator
            && values[*d] != *identity
        {
            values[*d] = identity.clone();
            assign(obj, *d, identity.clone(), &mut effects.assigned)?;
        }
        // Client defaults of own columns are filled by the own part's INSERT; the
        // discriminator and values relationships synced travel with the base part.
        let base = PartInstance::wrap(obj, &parts[0]);
        let picked = parts[0]
            .columns
            .iter()
            .map(|&i| values[i].clone())
            .collect();
        new_values.insert(Arc::as_ptr(&base) as *const (), picked);
        base_objects.push(base);
    }
    persistence::insert_batch(
        conn,
        &Batch {
            info: parts[0].info,
            objects: base_objects,
        },
        new_values,
        cache,
        effects,
    )?;
    // Each subtype table in turn, from the base down: the objects now hold the keys the
    // base rows got.
    for part in &parts[1..] {
        let objects = batch
            .objects
            .iter()
            .map(|o| PartInstance::wrap(o, part))
            .collect();
        persistence::insert_batch(
            conn,
            &Batch {
                info: part.info,
                objects,
            },
            new_values,
            cache,
            effects,
        )?;
    }
    Ok(())
}

/// UPDATEs the changed columns of joined-table subtype `info`, table by table; `changes`
/// holds per object the changed columns and the parameters (changed values, then the
/// primary key as loaded).
pub(crate) fn update(
    conn: &mut Connection,
    info: &'static ModelInfo,
    parts: &[TablePart],
    changes: Vec<(Vec<usize>, Vec<Value>)>,
    cache: &mut ShapeCache,
) -> Result<()> {
    if info.version.is_some() {
        return Err(Error::config(format!(
            "{} is a joined-table subtype with a version counter, which aludel does not support yet",
            info.name
        )));
    }
    for part in parts {
        let rows = changes
            .iter()
            .filter_map(|(cols, params)| {
                let (values, key) = params.split_at(cols.len());
                let (mine, mine_values): (Vec<usize>, Vec<Value>) = cols
                    .iter()
                    .zip(values)
                    .filter_map(|(c, v)| {
                        let j = part.columns.iter().position(|p| p == c)?;
                        Some((j, v.clone()))
                    })
                    .unzip();
                (!mine.is_empty()).then(|| {
                    let mut params = mine_values;
                    params.extend(key.iter().cloned());
                    (mine, params)
                })
            })
            .collect::<Vec<_>>();
        if !rows.is_empty() {
            persistence::update_rows(conn, part.info, rows, cache)?;
        }
    }
    Ok(())
}
