//! Emitting a flush: the INSERT, UPDATE and DELETE statements for batches the unit of work
//! ordered. Statements are rendered by the Core compiler once per shape and run with the
//! objects' values.
//!
//! - INSERT: SQLite runs one prepared single-row statement per object (in-process, so
//!   that is the fastest form, and gives each generated key); PostgreSQL and MySQL send
//!   multi-row VALUES in chunks, generated keys coming from `RETURNING` (PostgreSQL) or
//!   from the first `LAST_INSERT_ID()` of the chunk (MySQL/MariaDB assign consecutive
//!   keys to one multi-row insert under the default `innodb_autoinc_lock_mode` 0 or 1).
//! - INSERT goes through the same batching loop as Core `execute_many`
//!   (`Connection::insert_batched`), with rows per statement from the dialect's
//!   bind-parameter limit.
//! - UPDATE: only the changed columns, one statement shape per set of changed columns;
//!   the objects of one shape run as one executemany (prepared once), each checked to
//!   match exactly one row (else `StaleData`).
//! - DELETE: `WHERE pk IN (...)` in chunks, checked against the expected row count.
//! - A versioned model ([`versioning`](super::versioning)) adds its version counter to
//!   every UPDATE's SET (the next version) and WHERE (the loaded one), and deletes row by
//!   row, `WHERE pk = ? AND version = ?` as one executemany, so each row is checked.

use std::collections::HashMap;
use std::sync::Arc;

use crate::dialects::InsertManyStyle;
use crate::engine::{Connection, rows_per_insert};
use crate::error::{Error, Result};
use crate::orm::inheritance::joined_writes;
use crate::orm::instance::AnyInstance;
use crate::orm::mapper::ModelInfo;
use crate::orm::unit_of_work::Batch;
use crate::orm::versioning;
use crate::sql::{Compiled, Expr, Value, bindparam, delete, insert, tuple, update};

/// The most bind parameters one DELETE may carry (below every backend's limit).
const MAX_PARAMS: usize = 30_000;
/// The most keys one DELETE carries.
const MAX_ROWS: usize = 2_000;
/// The most rows of values one run of INSERTs holds before it is sent.
const MAX_RUN_ROWS: usize = 10_000;

/// A generated key written into an object, remembered so a failed flush can undo it.
pub(crate) struct Assigned {
    pub(crate) object: Arc<dyn AnyInstance>,
    pub(crate) column: usize,
    pub(crate) previous: Value,
}

/// A placeholder value for rendering statement shapes; the real values are bound later.
fn slot() -> Expr {
    Expr::Value(Value::Int(0))
}

/// Compiled statements by shape, for the duration of one flush.
#[derive(Default)]
pub(crate) struct ShapeCache {
    shapes: HashMap<(std::any::TypeId, u8, Vec<usize>, usize), Arc<Compiled>>,
}

impl ShapeCache {
    fn get(
        &mut self,
        key: (std::any::TypeId, u8, Vec<usize>, usize),
        build: impl FnOnce() -> Result<Arc<Compiled>>,
    ) -> Result<&Arc<Compiled>> {
        if !self.shapes.contains_key(&key) {
            let compiled = build()?;
            self.shapes.insert(key.clone(), compiled);
        }
        self.shapes
            .get(&key)
            .ok_or_else(|| Error::invalid("statement cache lost an entry"))
    }
}

/// What a flush's INSERTs did to objects: values written into them (generated keys,
/// defaults), undone if the flush fails; and objects whose server-generated values could
/// not be fetched, to expire once the flush succeeds.
#[derive(Default)]
pub(crate) struct InsertEffects {
    pub(crate) assigned: Vec<Assigned>,
    pub(crate) expire: Vec<Arc<dyn AnyInstance>>,
}

/// INSERTs every object of `batch`, in order. Consecutive objects that leave the same
/// columns to the database (see [`ModelInfo::unset_columns`]) share one statement shape.
pub(crate) fn insert_batch(
    conn: &mut Connection,
    batch: &Batch,
    new_values: &mut crate::orm::flush::NewValues,
    cache: &mut ShapeCache,
    effects: &mut InsertEffects,
) -> Result<()> {
    let info = batch.info;
    if let Some(parts) = info.joined_parts()? {
        return joined_writes::insert(conn, batch, parts, new_values, cache, effects);
    }
    let mut run: Vec<(&Arc<dyn AnyInstance>, Vec<Value>)> = Vec::new();
    let mut run_unset: Vec<usize> = Vec::new();
    for obj in &batch.objects {
        let mut values = match new_values.remove(&(Arc::as_ptr(obj) as *const ())) {
            Some(values) => values,
            None => obj.values()?,
        };
        // A client-side default fills a `None` field before the INSERT, in the object too.
        for (i, column) in info.columns().iter().enumerate() {
            if let (Value::Null, Some(default)) = (&values[i], &column.default) {
                values[i] = default.clone();
                assign(obj, i, default.clone(), &mut effects.assigned)?;
            }
        }
        // A row of a polymorphic hierarchy says which type it is.
        if let Some((d, identity)) = info.discriminator()?
            && values[d] != identity
        {
            values[d] = identity.clone();
            assign(obj, d, identity, &mut effects.assigned)?;
        }
        // A versioned row starts at the generator's first value, whatever the field held.
        if let Some((v, generator)) = info.version {
            let first = versioning::bump(info, v, generator, &Value::Null)?;
            values[v] = first.clone();
            assign(obj, v, first, &mut effects.assigned)?;
        }
        let unset = info.unset_columns(&values);
        // A run is sent when its shape changes, and every MAX_RUN_ROWS rows, so a flush of
        // millions of objects holds a bounded number of rows of values.
        if !run.is_empty() && (unset != run_unset || run.len() >= MAX_RUN_ROWS) {
            insert_rows(
                conn,
                info,
                &run_unset,
                std::mem::take(&mut run),
                cache,
                effects,
            )?;
        }
        run_unset = unset;
        run.push((obj, values));
    }
    if !run.is_empty() {
        insert_rows(conn, info, &run_unset, run, cache, effects)?;
    }
    Ok(())
}

/// Inserts `rows` naming every column but `unset`; then writes what the database chose
/// into the objects: the generated key, and server defaults (through RETURNING where the
/// database has it, else by expiring the object so it reloads).
fn insert_rows(
    conn: &mut Connection,
    info: &'static ModelInfo,
    unset: &[usize],
    rows: Vec<(&Arc<dyn AnyInstance>, Vec<Value>)>,
    cache: &mut ShapeCache,
    effects: &mut InsertEffects,
) -> Result<()> {
    let dialect = conn.dialect();
    let columns: Vec<usize> = (0..info.columns().len())
        .filter(|i| !unset.contains(i))
        .collect();
    let auto = info.autoincrement.filter(|a| unset.contains(a));
    let defs = info.columns();
    let server_filled: Vec<usize> = unset.iter().copied().filter(|&i| Some(i) != auto).collect();
    let names: Vec<&str> = columns.iter().map(|&i| defs[i].name.as_str()).collect();
    // What comes back by RETURNING. Row by row (SQLite) the driver's last-insert id is
    // free, while RETURNING makes SQLite materialise every insert's result, so the key
    // alone goes that way; multi-row inserts need RETURNING for keys, and server defaults
    // need it everywhere it exists.
    let multi = dialect.insert_many_style() == InsertManyStyle::MultiValues;
    let mut returned: Vec<usize> = Vec::new();
    if dialect.supports_returning() {
        if let Some(a) = auto.filter(|_| multi || !server_filled.is_empty()) {
            returned.push(a);
        }
        returned.extend(&server_filled);
    }
    let expire_after = !server_filled.is_empty() && !dialect.supports_returning();
    let compile = conn.compiler();
    let shape = |n: usize| {
        let mut stmt = insert(&info.table).rows(&names, vec![vec![slot(); names.len()]; n]);
        if !returned.is_empty() {
            stmt = stmt.returning(returned.iter().map(|&i| info.column_expr(i)));
        }
        compile(&stmt, n == 1)
    };
    let key = |n: usize| (info.type_id, 1, unset.to_vec(), n);
    // The named columns' values, in place (`columns` is every column but `unset`, in order).
    let pick = |mut values: Vec<Value>| -> Vec<Value> {
        let mut i = 0;
        values.retain(|_| {
            i += 1;
            !unset.contains(&(i - 1))
        });
        values
    };
    // With no column to name, each row is its own `DEFAULT VALUES` statement.
    let per_statement = if multi && !columns.is_empty() {
        rows_per_insert(dialect, columns.len())
    } else {
        1
    };
    let mut objects: Vec<&Arc<dyn AnyInstance>> = Vec::with_capacity(rows.len());
    let values: Vec<Vec<Value>> = rows
        .into_iter()
        .map(|(obj, values)| {
            objects.push(obj);
            pick(values)
        })
        .collect();
    if per_statement == 1 && returned.is_empty() {
        // Row by row with nothing to read back (SQLite): one prepared statement run once per
        // row through the driver's execute path, each run's generated key from the driver.
        let compiled = cache.get(key(1), || shape(1))?.clone();
        if compiled.binds.len() != columns.len() {
            return Err(unbatchable(info));
        }
        let outcomes = conn.execute_compiled_each(&compiled, &values)?;
        if let Some(a) = auto {
            for (obj, outcome) in objects.iter().zip(&outcomes) {
                let key = outcome.last_insert_id.ok_or_else(|| missing_key(info))?;
                assign(obj, a, Value::Int(key), &mut effects.assigned)?;
            }
        }
        if expire_after {
            effects.expire.extend(objects.into_iter().cloned());
        }
        return Ok(());
    }
    let mut shape = |n: usize| cache.get(key(n), || shape(n)).cloned();
    let sent = conn.insert_batched(
        columns.len(),
        per_statement,
        values,
        &mut shape,
        &mut |start, n, mut result| {
            let objects = &objects[start..start + n];
            if !returned.is_empty() {
                let rows = result.fetchall();
                if rows.len() != objects.len() {
                    return Err(missing_key(info));
                }
                for (obj, row) in objects.iter().zip(rows) {
                    for (&column, value) in returned.iter().zip(row.into_values()) {
                        assign(obj, column, value, &mut effects.assigned)?;
                    }
                }
            }
            if let Some(a) = auto.filter(|a| !returned.contains(a)) {
                // MySQL gives the first key of a multi-row insert; the rest are consecutive
                // under the default `innodb_autoinc_lock_mode`.
                let first = result.last_insert_id().ok_or_else(|| missing_key(info))?;
                for (i, obj) in objects.iter().enumerate() {
                    assign(obj, a, Value::Int(first + i as i64), &mut effects.assigned)?;
                }
            }
            if expire_after {
                effects
                    .expire
                    .extend(objects.iter().map(|&o| Arc::clone(o)));
            }
            Ok(())
        },
    )?;
    if sent.is_none() {
        return Err(unbatchable(info));
    }
    Ok(())
}

fn unbatchable(info: &ModelInfo) -> Error {
    Error::invalid(format!(
        "the INSERT of {} rows does not bind one value per column",
        info.name
    ))
}

fn missing_key(info: &ModelInfo) -> Error {
    Error::invalid(format!(
        "the database returned no generated key for a new {} row",
        info.name
    ))
}

pub(crate) fn assign(
    obj: &Arc<dyn AnyInstance>,
    column: usize,
    value: Value,
    assigned: &mut Vec<Assigned>,
) -> Result<()> {
    let previous = obj.replace_value(column, value)?;
    assigned.push(Assigned {
        object: obj.clone(),
        column,
        previous,
    });
    Ok(())
}

/// UPDATEs the changed columns of each object; `changes` holds, per object, the changed
/// column indexes and the statement's parameters (the changed values, then the primary
/// key as loaded, then, for a versioned model, the version as loaded). Objects with the
/// same changed columns share one statement shape and run as one executemany (one
/// prepared statement, run once per object), each checked to match exactly one row.
pub(crate) fn update_rows(
    conn: &mut Connection,
    info: &'static ModelInfo,
    changes: Vec<(Vec<usize>, Vec<Value>)>,
    cache: &mut ShapeCache,
) -> Result<()> {
    if let Some(parts) = info.joined_parts()? {
        return joined_writes::update(conn, info, parts, changes, cache);
    }
    // Shapes in order of first appearance, each with its rows in object order.
    let mut groups: Vec<(Vec<usize>, Vec<Vec<Value>>)> = Vec::new();
    for (changed, params) in changes {
        match groups.iter_mut().find(|(c, _)| *c == changed) {
            Some((_, rows)) => rows.push(params),
            None => groups.push((changed, vec![params])),
        }
    }
    let checked: Vec<usize> = where_columns(info).collect();
    for (changed, rows) in groups {
        let compiled = cache
            .get((info.type_id, 2, changed.clone(), 1), || {
                let mut stmt = update(&info.table);
                for &i in &changed {
                    stmt = stmt.set(&info.columns()[i].name, slot());
                }
                for &p in &checked {
                    stmt = stmt.where_(info.column_expr(p).eq(slot()));
                }
                conn.compiler()(&stmt, true)
            })?
            .clone();
        let counts = conn.execute_compiled_each(&compiled, &rows)?;
        if let Some((row, n)) = rows
            .iter()
            .zip(counts.iter().map(|o| o.rows_affected))
            .find(|(_, n)| *n != 1)
        {
            let where_params = &row[row.len().saturating_sub(checked.len())..];
            return Err(versioning::stale(info, "UPDATE", where_params, n));
        }
    }
    Ok(())
}

/// The columns a flushed UPDATE or DELETE of one row matches: the primary key, then the
/// version counter of a versioned model.
pub(crate) fn where_columns(info: &ModelInfo) -> impl Iterator<Item = usize> + '_ {
    info.primary_key
        .iter()
        .copied()
        .chain(info.version.map(|(v, _)| v))
}

/// DELETEs rows of a versioned model one statement shape `WHERE pk = ? AND version = ?`
/// run as an executemany, each checked to match one row; `keys` holds the primary key then
/// the version, as loaded.
fn delete_versioned(
    conn: &mut Connection,
    info: &'static ModelInfo,
    keys: Vec<Vec<Value>>,
    cache: &mut ShapeCache,
) -> Result<()> {
    let compiled = cache
        .get((info.type_id, 4, Vec::new(), 1), || {
            let mut stmt = delete(&info.table);
            for p in where_columns(info) {
                stmt = stmt.where_(info.column_expr(p).eq(slot()));
            }
            conn.compiler()(&stmt, true)
        })?
        .clone();
    let counts = conn.execute_compiled_each(&compiled, &keys)?;
    if let Some((row, n)) = keys
        .iter()
        .zip(counts.iter().map(|o| o.rows_affected))
        .find(|(_, n)| *n != 1)
    {
        return Err(versioning::stale(info, "DELETE", row, n));
    }
    Ok(())
}

/// DELETEs rows by primary key, in chunks (`keys` holds each row's key as loaded, then
/// its version for a versioned model, which goes row by row: see [`delete_versioned`]).
pub(crate) fn delete_rows(
    conn: &mut Connection,
    info: &'static ModelInfo,
    keys: Vec<Vec<Value>>,
    cache: &mut ShapeCache,
) -> Result<()> {
    if let Some(parts) = info.joined_parts()? {
        // The subtype's row first: it references the base row.
        for part in parts.iter().rev() {
            delete_rows(conn, part.info, keys.clone(), cache)?;
        }
        return Ok(());
    }
    if info.version.is_some() {
        return delete_versioned(conn, info, keys, cache);
    }
    let width = info.primary_key.len().max(1);
    // Rows of a self-referential table go one statement each, children first: MySQL checks
    // foreign keys row by row within a statement, in an order of its choosing.
    let per_statement = if info.is_self_referential() {
        1
    } else {
        (MAX_PARAMS / width).clamp(1, MAX_ROWS)
    };
    for chunk in keys.chunks(per_statement) {
        let compiled = cache
            .get((info.type_id, 3, Vec::new(), chunk.len()), || {
                let slots: Vec<Expr> = (0..chunk.len())
                    .map(|_| {
                        if width == 1 {
                            // A named slot: a long IN list of plain values would compile to
                            // one array parameter, not one placeholder per key.
                            bindparam("key")
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
                conn.compiler()(
                    &delete(&info.table).where_(target.in_(slots)),
                    chunk.len() == 1,
                )
            })?
            .clone();
        let params: Vec<Value> = chunk.iter().flatten().cloned().collect();
        let n = conn.execute_compiled(&compiled, params)?.rows_affected();
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
