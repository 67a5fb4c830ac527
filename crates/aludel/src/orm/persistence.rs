//! Emitting a flush: the INSERT, UPDATE and DELETE statements for batches the unit of work
//! ordered. Statements are rendered by the Core compiler once per shape and run with the
//! objects' values.
//!
//! - INSERT: SQLite runs one prepared single-row statement per object (in-process, so
//!   that is the fastest form, and gives each generated key); PostgreSQL and MySQL send
//!   multi-row VALUES in chunks, generated keys coming from `RETURNING` (PostgreSQL) or
//!   from the first `LAST_INSERT_ID()` of the chunk (MySQL/MariaDB assign consecutive
//!   keys to one multi-row insert under the default `innodb_autoinc_lock_mode` 0 or 1).
//! - UPDATE: only the changed columns, one statement shape per set of changed columns,
//!   checked to match exactly one row (else `StaleData`).
//! - DELETE: `WHERE pk IN (...)` in chunks, checked against the expected row count.

use std::collections::HashMap;
use std::sync::Arc;

use crate::dialects::InsertManyStyle;
use crate::engine::Connection;
use crate::error::{Error, Result};
use crate::orm::instance::AnyInstance;
use crate::orm::mapper::ModelInfo;
use crate::orm::unit_of_work::Batch;
use crate::sql::{Compiled, Executable, Expr, Value, delete, insert, tuple, update};

/// The most bind parameters one statement may carry (below every backend's limit).
const MAX_PARAMS: usize = 30_000;
/// The most rows one multi-row INSERT carries.
const MAX_ROWS: usize = 2_000;

/// A generated key written into an object, remembered so a failed flush can undo it.
pub(crate) struct Assigned {
    pub(crate) object: Arc<dyn AnyInstance>,
    pub(crate) column: usize,
    pub(crate) previous: Value,
}

/// Whether `value` in the autoincrement column asks the database for a key: NULL, or 0
/// (as MySQL itself treats 0).
fn wants_generated(value: &Value) -> bool {
    matches!(value, Value::Null | Value::Int(0))
}

/// A placeholder value for rendering statement shapes; the real values are bound later.
fn slot() -> Expr {
    Expr::Value(Value::Int(0))
}

/// Compiled statements by shape, for the duration of one flush.
#[derive(Default)]
pub(crate) struct ShapeCache {
    shapes: HashMap<(std::any::TypeId, u8, Vec<usize>, usize), Compiled>,
}

impl ShapeCache {
    fn get(
        &mut self,
        key: (std::any::TypeId, u8, Vec<usize>, usize),
        build: impl FnOnce() -> Result<Compiled>,
    ) -> Result<&Compiled> {
        if !self.shapes.contains_key(&key) {
            let compiled = build()?;
            self.shapes.insert(key.clone(), compiled);
        }
        self.shapes
            .get(&key)
            .ok_or_else(|| Error::invalid("statement cache lost an entry"))
    }
}

/// INSERTs every object of `batch`.
pub(crate) fn insert_batch(
    conn: &mut Connection,
    batch: &Batch,
    cache: &mut ShapeCache,
    assigned: &mut Vec<Assigned>,
) -> Result<()> {
    let info = batch.info;
    let mut generated = Vec::new();
    let mut explicit = Vec::new();
    for obj in &batch.objects {
        let values = obj.values()?;
        match info.autoincrement {
            Some(auto) if wants_generated(&values[auto]) => generated.push((obj, values)),
            _ => explicit.push((obj, values)),
        }
    }
    if !explicit.is_empty() {
        let columns: Vec<usize> = (0..info.columns().len()).collect();
        insert_rows(conn, info, &columns, explicit, None, cache, assigned)?;
    }
    if let Some(auto) = info.autoincrement.filter(|_| !generated.is_empty()) {
        let columns: Vec<usize> = (0..info.columns().len()).filter(|&i| i != auto).collect();
        insert_rows(conn, info, &columns, generated, Some(auto), cache, assigned)?;
    }
    Ok(())
}

fn insert_rows(
    conn: &mut Connection,
    info: &'static ModelInfo,
    columns: &[usize],
    rows: Vec<(&Arc<dyn AnyInstance>, Vec<Value>)>,
    auto: Option<usize>,
    cache: &mut ShapeCache,
    assigned: &mut Vec<Assigned>,
) -> Result<()> {
    let dialect = conn.dialect();
    let names: Vec<&str> = columns
        .iter()
        .map(|&i| info.columns()[i].name.as_str())
        .collect();
    // Row by row (SQLite), the driver's last-insert id is free, while RETURNING would make
    // SQLite materialise every insert's result; multi-row inserts need RETURNING for keys.
    let returning = auto.filter(|_| {
        dialect.supports_returning() && dialect.insert_many_style() == InsertManyStyle::MultiValues
    });
    let shape = |n: usize| {
        let mut stmt = insert(&info.table).rows(&names, vec![vec![slot(); names.len()]; n]);
        if let Some(a) = returning {
            stmt = stmt.returning([info.column_expr(a)]);
        }
        stmt.compile(dialect)
    };
    let key = |n: usize| (info.type_id, u8::from(auto.is_some()), columns.to_vec(), n);
    let pick = |values: Vec<Value>| -> Vec<Value> {
        let mut values: Vec<Option<Value>> = values.into_iter().map(Some).collect();
        columns
            .iter()
            .map(|&i| values[i].take().unwrap_or(Value::Null))
            .collect()
    };
    if dialect.insert_many_style() == InsertManyStyle::RowByRow {
        let compiled = cache.get(key(1), || shape(1))?.clone();
        for (obj, values) in rows {
            let result = conn.execute_compiled(&compiled, pick(values))?;
            if let Some(a) = auto {
                assign(
                    obj,
                    a,
                    generated_key(info, result, returning.is_some())?,
                    assigned,
                )?;
            }
        }
        return Ok(());
    }
    let per_chunk = (MAX_PARAMS / columns.len().max(1)).clamp(1, MAX_ROWS);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<(&Arc<dyn AnyInstance>, Vec<Value>)> =
            rows.by_ref().take(per_chunk).collect();
        let compiled = cache.get(key(chunk.len()), || shape(chunk.len()))?;
        let mut params = Vec::with_capacity(chunk.len() * columns.len());
        let objects: Vec<&Arc<dyn AnyInstance>> = chunk
            .into_iter()
            .map(|(obj, values)| {
                params.extend(pick(values));
                obj
            })
            .collect();
        let mut result = conn.execute_compiled(compiled, params)?;
        let Some(a) = auto else { continue };
        if returning.is_some() {
            let keys = result.fetchall();
            if keys.len() != objects.len() {
                return Err(missing_key(info));
            }
            for (obj, row) in objects.into_iter().zip(keys) {
                let id = row.into_values().into_iter().next().unwrap_or(Value::Null);
                assign(obj, a, id, assigned)?;
            }
        } else {
            let first = result.last_insert_id().ok_or_else(|| missing_key(info))?;
            for (i, obj) in objects.into_iter().enumerate() {
                assign(obj, a, Value::Int(first + i as i64), assigned)?;
            }
        }
    }
    Ok(())
}

/// The key a single-row INSERT generated: its RETURNING value, or the driver's last
/// insert id.
fn generated_key(
    info: &ModelInfo,
    mut result: crate::engine::ResultSet,
    returning: bool,
) -> Result<Value> {
    if returning {
        let row = result.fetchone().ok_or_else(|| missing_key(info))?;
        return Ok(row.into_values().into_iter().next().unwrap_or(Value::Null));
    }
    result
        .last_insert_id()
        .map(Value::Int)
        .ok_or_else(|| missing_key(info))
}

fn missing_key(info: &ModelInfo) -> Error {
    Error::invalid(format!(
        "the database returned no generated key for a new {} row",
        info.name
    ))
}

fn assign(
    obj: &Arc<dyn AnyInstance>,
    column: usize,
    value: Value,
    assigned: &mut Vec<Assigned>,
) -> Result<()> {
    let previous = obj.values()?.swap_remove(column);
    obj.set_values(&[(column, value)])?;
    assigned.push(Assigned {
        object: obj.clone(),
        column,
        previous,
    });
    Ok(())
}

/// UPDATEs the changed columns of each object; `changes` holds, per object, the changed
/// column indexes and the statement's parameters (the changed values, then the primary
/// key as loaded).
pub(crate) fn update_rows(
    conn: &mut Connection,
    info: &'static ModelInfo,
    changes: Vec<(Vec<usize>, Vec<Value>)>,
    cache: &mut ShapeCache,
) -> Result<()> {
    let dialect = conn.dialect();
    for (changed, params) in changes {
        let compiled = cache.get((info.type_id, 2, changed.clone(), 1), || {
            let mut stmt = update(&info.table);
            for &i in &changed {
                stmt = stmt.set(&info.columns()[i].name, slot());
            }
            for &p in &info.primary_key {
                stmt = stmt.where_(info.column_expr(p).eq(slot()));
            }
            stmt.compile(dialect)
        })?;
        let n = conn.execute_compiled(compiled, params)?.rows_affected();
        if n != 1 {
            return Err(Error::StaleData {
                message: format!(
                    "UPDATE of table '{}' expected to match 1 row; {n} were matched",
                    info.table.name()
                ),
            });
        }
    }
    Ok(())
}

/// DELETEs rows by primary key, in chunks.
pub(crate) fn delete_rows(
    conn: &mut Connection,
    info: &'static ModelInfo,
    keys: Vec<Vec<Value>>,
    cache: &mut ShapeCache,
) -> Result<()> {
    let dialect = conn.dialect();
    let width = info.primary_key.len().max(1);
    // Rows of a self-referential table go one statement each, children first: MySQL checks
    // foreign keys row by row within a statement, in an order of its choosing.
    let per_statement = if info.is_self_referential() {
        1
    } else {
        (MAX_PARAMS / width).clamp(1, MAX_ROWS)
    };
    for chunk in keys.chunks(per_statement) {
        let compiled = cache.get((info.type_id, 3, Vec::new(), chunk.len()), || {
            let slots: Vec<Expr> = (0..chunk.len())
                .map(|_| {
                    if width == 1 {
                        slot()
                    } else {
                        tuple(vec![slot(); width])
                    }
                })
                .collect();
            let target = if width == 1 {
                info.column_expr(info.primary_key[0])
            } else {
                tuple(info.primary_key.iter().map(|&p| info.column_expr(p)))
            };
            delete(&info.table)
                .where_(target.in_(slots))
                .compile(dialect)
        })?;
        let params: Vec<Value> = chunk.iter().flatten().cloned().collect();
        let n = conn.execute_compiled(compiled, params)?.rows_affected();
        if n != chunk.len() as u64 {
            return Err(Error::StaleData {
                message: format!(
                    "DELETE from table '{}' expected to delete {} row(s); {n} were matched",
                    info.table.name(),
                    chunk.len()
                ),
            });
        }
    }
    Ok(())
}
