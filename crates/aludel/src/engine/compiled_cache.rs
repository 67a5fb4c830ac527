//! The compiled-shape cache: each engine compiles a statement of a given shape (same tree,
//! any bound values) once, and re-binds the cached SQL with the values of every later
//! statement of that shape. See [`ShapeKey`] for what a shape is.
//!
//! A bounded LRU: at most [`EngineOptions::compiled_cache_size`] entries (500 by default),
//! the least recently used evicted first. An entry holds the SQL text, one slot per
//! placeholder (without the first statement's values), the key and the re-binding map;
//! [`CompiledCacheStats::approx_bytes`] adds these up. A statement whose key passes 64 KiB is
//! compiled without the cache, so no entry passes about 64 KiB plus its SQL text.
//!
//! [`EngineOptions::compiled_cache_size`]: crate::engine::EngineOptions::compiled_cache_size

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::dialects::Dialect;
use crate::error::Result;
use crate::sql::compiler::{Compiler, Source};
use crate::sql::{Addr, Compiled, Executable, Params, Shape, ShapeKey, Value, Walked};

/// The compiled-shape cache's counters, from [`Engine::compiled_cache_stats`].
///
/// [`Engine::compiled_cache_stats`]: crate::engine::Engine::compiled_cache_stats
///
/// ```
/// use aludel::sql::{select, literal, Executable};
/// let engine = aludel::create_engine("sqlite://")?;
/// let mut conn = engine.connect()?;
/// conn.execute(&select([literal(1)]), ())?;
/// conn.execute(&select([literal(2)]), ())?; // same shape: no compilation
/// let stats = engine.compiled_cache_stats();
/// assert_eq!((stats.hits, stats.misses, stats.entries), (1, 1, 1));
/// assert_eq!(stats.capacity, 500);
/// assert!(stats.approx_bytes > 0);
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CompiledCacheStats {
    /// Statements that found their shape compiled.
    pub hits: u64,
    /// Statements that were compiled (and their shape cached).
    pub misses: u64,
    /// Shapes held now.
    pub entries: usize,
    /// The most shapes held ([`EngineOptions::compiled_cache_size`]).
    ///
    /// [`EngineOptions::compiled_cache_size`]: crate::engine::EngineOptions::compiled_cache_size
    pub capacity: usize,
    /// An estimate of the memory the entries hold, in bytes.
    pub approx_bytes: usize,
}

/// Where placeholder `i` of a cached statement takes its value from in a new statement of
/// the same shape.
#[derive(Debug)]
enum Rebind {
    /// The value at this walk position.
    Walk(usize),
    /// The cached slot's own value (fixed by the shape).
    Fixed,
    /// Supplied by name at execution only.
    Param,
}

/// A cached shape: the compiled statement (slots keep only fixed values) and how to re-bind
/// it, or `None` for a shape whose placeholders could not all be traced to the tree (it is
/// compiled every time).
struct Entry {
    compiled: Arc<Compiled>,
    rebind: Option<Box<[Rebind]>>,
    bytes: usize,
    used: u64,
}

#[derive(Default)]
struct Lru {
    entries: HashMap<ShapeKey, Entry>,
    clock: u64,
    bytes: usize,
}

/// A statement compiled (or found compiled) with its values bound: the compiled form is
/// shared, the values are this statement's. `bind` gives the values for other named
/// parameters (executemany).
pub(crate) struct Prepared {
    pub(crate) compiled: Arc<Compiled>,
    /// The build-time value of each placeholder, from the statement's own tree.
    base: Vec<Option<Value>>,
}

impl Prepared {
    /// The values in placeholder order with `supplied` named parameters.
    pub(crate) fn bind(&self, supplied: &Params) -> Result<Vec<Value>> {
        self.compiled
            .bind_with(supplied, |i| self.base.get(i).cloned().flatten())
    }

    /// [`bind`](Self::bind) for a single execution: the statement's own values are moved,
    /// not copied.
    pub(crate) fn into_bound(self, supplied: &Params) -> Result<(Arc<Compiled>, Vec<Value>)> {
        let mut base = self.base;
        let values = self
            .compiled
            .bind_with(supplied, |i| base.get_mut(i).and_then(Option::take))?;
        Ok((self.compiled, values))
    }
}

/// A statement whose shape key is longer than this is compiled without the cache (e.g. an
/// `OR` of thousands of conditions): one such entry would outweigh hundreds of ordinary ones.
const MAX_KEY_BYTES: usize = 64 * 1024;

pub(crate) struct CompiledCache {
    capacity: usize,
    lru: Mutex<Lru>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CompiledCache {
    pub(crate) fn new(capacity: usize) -> Self {
        CompiledCache {
            capacity,
            lru: Mutex::new(Lru::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> CompiledCacheStats {
        let lru = self.lru.lock().unwrap_or_else(|p| p.into_inner());
        CompiledCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: lru.entries.len(),
            capacity: self.capacity,
            approx_bytes: lru.bytes,
        }
    }

    /// Compiles `statement` for `dialect`, through the cache when it is a Core statement.
    pub(crate) fn prepare(
        &self,
        dialect: &dyn Dialect,
        statement: &dyn Executable,
    ) -> Result<Prepared> {
        let sref = match statement.statement() {
            Some(s) if self.capacity > 0 => s,
            _ => return Ok(uncached(statement.compile(dialect)?)),
        };
        let shape = sref.shape(dialect);
        if shape.key.approx_bytes() > MAX_KEY_BYTES {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return Ok(uncached(statement.compile(dialect)?));
        }
        let found = {
            let mut lru = self.lru.lock().unwrap_or_else(|p| p.into_inner());
            lru.clock += 1;
            let now = lru.clock;
            lru.entries.get_mut(&shape.key).map(|e| {
                e.used = now;
                e.rebind
                    .as_ref()
                    .map(|r| (e.compiled.clone(), rebase(r, &e.compiled, &shape)))
            })
        };
        match found {
            Some(Some((compiled, base))) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                let prepared = Prepared { compiled, base };
                #[cfg(debug_assertions)]
                verify(dialect, statement, &prepared)?;
                return Ok(prepared);
            }
            Some(None) => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                return Ok(uncached(statement.compile(dialect)?));
            }
            None => {}
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let (compiled, sources) = Compiler::render_traced(dialect, sref)?;
        let base: Vec<Option<Value>> = compiled.binds.iter().map(|b| b.value.clone()).collect();
        let rebind = trace(&sources, &shape);
        let mut stored = compiled;
        if let Some(rebind) = &rebind {
            // The cache keeps no statement's values but those the shape fixes.
            for (slot, how) in stored.binds.iter_mut().zip(rebind.iter()) {
                if !matches!(how, Rebind::Fixed) {
                    slot.value = None;
                }
            }
        }
        let compiled = Arc::new(stored);
        self.insert(shape.key, compiled.clone(), rebind);
        Ok(Prepared { compiled, base })
    }

    fn insert(&self, key: ShapeKey, compiled: Arc<Compiled>, rebind: Option<Box<[Rebind]>>) {
        let bytes = key.approx_bytes()
            + compiled.sql.len()
            + compiled.binds.len() * std::mem::size_of::<crate::sql::BindSlot>()
            + rebind
                .as_ref()
                .map_or(0, |r| r.len() * std::mem::size_of::<Rebind>())
            + 128;
        let mut lru = self.lru.lock().unwrap_or_else(|p| p.into_inner());
        if lru.entries.len() >= self.capacity && !lru.entries.contains_key(&key) {
            let oldest = lru
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                if let Some(e) = lru.entries.remove(&k) {
                    lru.bytes -= e.bytes;
                }
            }
        }
        lru.clock += 1;
        let used = lru.clock;
        let entry = Entry {
            compiled,
            rebind,
            bytes,
            used,
        };
        if let Some(old) = lru.entries.insert(key, entry) {
            lru.bytes -= old.bytes;
        }
        lru.bytes += bytes;
    }
}

fn uncached(compiled: Compiled) -> Prepared {
    let base = compiled.binds.iter().map(|b| b.value.clone()).collect();
    Prepared {
        compiled: Arc::new(compiled),
        base,
    }
}

/// Maps each placeholder to the walk position of its value, by the address of the node
/// both the compiler and the walk saw; `None` when a placeholder's value came from
/// somewhere the walk did not record (the shape is then compiled every time).
fn trace(sources: &[Source], shape: &Shape<'_>) -> Option<Box<[Rebind]>> {
    let position: HashMap<Addr, usize> = shape
        .addrs
        .iter()
        .enumerate()
        .map(|(i, a)| (*a, i))
        .collect();
    sources
        .iter()
        .map(|s| match s {
            Source::At(addr) => position.get(addr).map(|&i| Rebind::Walk(i)),
            Source::Fixed => Some(Rebind::Fixed),
            Source::Param => Some(Rebind::Param),
        })
        .collect()
}

/// The build-time values of a new statement of a cached shape, in placeholder order.
fn rebase(rebind: &[Rebind], compiled: &Compiled, shape: &Shape<'_>) -> Vec<Option<Value>> {
    let at = |i: usize| shape.values.get(i).and_then(Walked::to_value);
    rebind
        .iter()
        .zip(&compiled.binds)
        .map(|(how, slot)| match how {
            Rebind::Walk(i) => at(*i),
            Rebind::Fixed => slot.value.clone(),
            Rebind::Param => None,
        })
        .collect()
}

/// Debug builds check every cache hit against a fresh compilation: the same SQL and the
/// same values in the same order, so the whole test suite checks the re-binding.
#[cfg(debug_assertions)]
fn verify(dialect: &dyn Dialect, statement: &dyn Executable, prepared: &Prepared) -> Result<()> {
    let fresh = statement.compile(dialect)?;
    let fresh_base: Vec<Option<Value>> = fresh.binds.iter().map(|b| b.value.clone()).collect();
    let same_values = fresh_base.len() == prepared.base.len()
        && fresh_base
            .iter()
            .zip(&prepared.base)
            .all(|(a, b)| same(a.as_ref(), b.as_ref()));
    if fresh.sql != prepared.compiled.sql || !same_values {
        return Err(crate::error::Error::compile(format!(
            "compiled-shape cache mismatch (a bug in aludel): cached {:?} with {:?}, fresh {:?} with {:?}",
            prepared.compiled.sql, prepared.base, fresh.sql, fresh_base
        )));
    }
    Ok(())
}

/// Value equality where NaN equals NaN (the same value re-bound).
#[cfg(debug_assertions)]
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(Value::Float(x)), Some(Value::Float(y))) => x.to_bits() == y.to_bits(),
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(Some(p), Some(q)))
        }
        (a, b) => a == b,
    }
}
