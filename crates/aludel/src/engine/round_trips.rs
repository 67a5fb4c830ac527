//! Counting server round trips: every command a driver sends and waits for an answer to
//! (a statement, a prepare, BEGIN/COMMIT/ROLLBACK, a ping, an isolation-level read) adds
//! one to its engine's counter. Tests and benchmarks read it through
//! [`Engine::round_trips`](crate::engine::Engine::round_trips) to prove how many trips an
//! operation costs, without timing anything.
//!
//! PostgreSQL's `ROLLBACK` counts none: it is written without waiting, and its answer is
//! read with the next command's, in that command's round trip.
//!
//! SQLite runs in-process and counts nothing. Opening a connection (the handshake, and
//! MySQL's init commands) is not counted; a PostgreSQL prepare that makes the client look
//! up an unknown type (an enum) may cost more trips than the one counted.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A shared counter of server round trips (one per engine; every connection adds to it).
#[derive(Debug, Clone, Default)]
pub(crate) struct RoundTrips(Arc<AtomicU64>);

impl RoundTrips {
    /// Counts `n` round trips.
    #[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The round trips counted so far.
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Mirrors a client's least-recently-used prepared statement cache (the `mysql` crate's),
/// which does not say whether a `prep` hit it: tells whether preparing `sql` now costs a
/// round trip. Touched exactly as the client's cache is (once per prepare), so it agrees
/// with it.
#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
pub(crate) struct PreparedMirror {
    capacity: usize,
    tick: u64,
    used: HashMap<String, u64>,
}

#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
impl PreparedMirror {
    pub(crate) fn new(capacity: usize) -> Self {
        PreparedMirror {
            capacity,
            tick: 0,
            used: HashMap::new(),
        }
    }

    /// Records a prepare of `sql`; true when it missed the cache (a round trip).
    pub(crate) fn prepare_misses(&mut self, sql: &str) -> bool {
        self.tick += 1;
        if let Some(t) = self.used.get_mut(sql) {
            *t = self.tick;
            return false;
        }
        if self.capacity == 0 {
            return true;
        }
        if self.used.len() >= self.capacity {
            let oldest = self
                .used
                .iter()
                .min_by_key(|(_, t)| **t)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.used.remove(&k);
            }
        }
        self.used.insert(sql.to_owned(), self.tick);
        true
    }

    /// A prepare of `sql` failed: the client cached nothing.
    pub(crate) fn forget(&mut self, sql: &str) {
        self.used.remove(sql);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mirror_evicts_the_least_recently_used_statement() {
        let mut m = PreparedMirror::new(2);
        assert!(m.prepare_misses("a"));
        assert!(m.prepare_misses("b"));
        assert!(!m.prepare_misses("a"));
        assert!(m.prepare_misses("c"), "evicts b, the least recently used");
        assert!(!m.prepare_misses("a"));
        assert!(m.prepare_misses("b"));
        m.forget("b");
        assert!(m.prepare_misses("b"), "a failed prepare is not cached");
        let mut none = PreparedMirror::new(0);
        assert!(none.prepare_misses("a") && none.prepare_misses("a"));
    }
}
