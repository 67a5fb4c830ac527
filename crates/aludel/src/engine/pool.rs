//! The connection pool: SQLAlchemy's `QueuePool`, in about 250 lines.
//!
//! Why not `r2d2` (or `deadpool`, `bb8`)? Their model is "min idle / max size"; SQLAlchemy's
//! is `pool_size` kept connections plus `max_overflow` extra ones that are *closed* when
//! returned while the pool is full, and aludel promises SQLAlchemy's knobs and behaviour:
//! - **checkin rollback**: a connection returned with an open transaction is rolled back
//!   (and reset to its isolation level) before anyone else sees it; r2d2's `is_valid` /
//!   `has_broken` hooks run at the wrong times for that and cannot fail the checkin;
//! - **invalidate on disconnect**: a connection that saw a disconnect error is closed, not
//!   returned, decided by our [`crate::Error::is_disconnect`], not by a second health check;
//!   and the disconnect invalidates the **whole pool** (see [`Pool::invalidate_all`]): a
//!   server restart, failover or mass kill ends every session at once, so one failure
//!   reaches the user and the other connections are replaced before anyone uses them;
//! - **recycle** by age and **pre-ping** at checkout, replacing dead connections
//!   transparently;
//! - **`PoolTimeout`** with the waited time and capacity in aludel's own error type;
//! - a single shared connection for `sqlite://:memory:` (size 1, no overflow), where a
//!   second checkout on the thread that holds it fails at once (see [`MEMORY_HELD`]).
//!
//! A `Mutex` over the idle queue plus a `Condvar` for waiters is all that needs; no
//! background threads, no extra dependency. Connections are opened and closed outside the
//! lock, so a slow connect never blocks other checkouts.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use crate::engine::driver::{DriverConnection, Timeouts};
use crate::engine::options::IsolationLevel;
use crate::error::{Error, Result};

/// Opens a new driver connection.
pub(crate) type Connector = Box<dyn Fn() -> Result<Box<dyn DriverConnection>> + Send + Sync>;

/// The pool's sizing and health settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolConfig {
    pub size: usize,
    pub max_overflow: usize,
    pub timeout: Duration,
    pub recycle: Option<Duration>,
    pub pre_ping: bool,
    /// The pool is the one connection of a SQLite `:memory:` database.
    pub memory: bool,
}

/// Why a second connection to `sqlite://:memory:` on the same thread is refused.
///
/// Every SQLite connection to `:memory:` opens its own empty database, so the engine keeps
/// exactly one connection and hands it to one user at a time. When another thread holds
/// it, `connect()` waits for it (up to `pool_timeout`), as threads taking turns on one
/// connection do. When the thread asking is the one holding it (a second `Session` or
/// `Connection` while the first still has its transaction open), waiting can only end in
/// `PoolTimeout` after `pool_timeout` (30 s by default), so the checkout fails at once with
/// this message instead. (A connection checked out on one thread and moved to another
/// still counts as held by the first thread; such a program gets this error where waiting
/// might have worked, and should use a file database anyway.)
///
/// Sharing the database between connections was the alternative, and was rejected:
/// - SQLite's shared-cache URI (`file:name?mode=memory&cache=shared`) locks whole tables
///   and reports conflicts as `SQLITE_LOCKED` at once, which `busy_timeout` does not wait
///   out: a second session reading a table the first has written (or writing one the first
///   has read) in an open transaction fails anyway, with an error about table locks instead
///   of one about the cause; `sqlite3_unlock_notify` would wait instead, forever when both
///   sessions are on one thread. SQLite itself discourages shared cache.
/// - The `memdb` VFS (`file:/name?vfs=memdb`) has file-style locking but no WAL
///   (`journal_mode=wal` stays `memory`): a second connection cannot even read while the
///   first has uncommitted writes, and a session that has read inside its transaction
///   blocks the other's COMMIT; each waits `busy_timeout`, then fails with "database is
///   locked" (checked with SQLite 3.40): the same hang, shorter, and a vaguer error.
///
/// A file database (WAL mode, `busy_timeout`) is the right tool for several connections at
/// once, and the message says so.
pub(crate) const MEMORY_HELD: &str = "sqlite://:memory: has a single connection (each \
    connection to :memory: would be a separate empty database), and this thread already \
    holds it in an open Connection or Session, so waiting for it would never end. Commit or \
    close the first Session/Connection before using another, or use a file database \
    (sqlite:///app.db, or a temporary file) for several connections at once";

/// A connection checked out of (or idle in) the pool.
pub(crate) struct PooledConnection {
    pub driver: Box<dyn DriverConnection>,
    created: Instant,
    /// The pool generation the connection was opened in; an older one is stale.
    generation: u64,
    /// Set when the connection must be closed instead of returned (`invalidate()`).
    pub invalidated: bool,
    /// Set when the connection saw a disconnect error: it is closed, and the pool
    /// invalidates every connection of its generation.
    pub disconnected: bool,
    /// Whether a transaction is open on the server and must be rolled back at checkin.
    pub in_transaction: bool,
    /// The isolation level to restore at checkin, when a user changed it.
    pub reset_isolation: Option<IsolationLevel>,
    /// The timeouts the session runs with (`None`: unknown, set again before the next
    /// statement). Starts as the server's own.
    pub timeouts: Option<Timeouts>,
    /// Timeouts were set inside the open transaction: a rollback undoes that on
    /// PostgreSQL, so the connection then forgets what it set.
    pub timeouts_set_in_tx: bool,
}

impl PooledConnection {
    /// The pool generation the connection was opened in.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }
}

/// How a row stream reports a disconnect while it borrows the connection's driver: it sets
/// the connection's `disconnected` flag and invalidates the pool at once, as a failed
/// statement does (see [`Pool::invalidate_all`]).
pub(crate) struct DisconnectSignal<'c> {
    flag: &'c mut bool,
    pool: &'c Pool,
    generation: u64,
}

impl<'c> DisconnectSignal<'c> {
    pub(crate) fn new(pool: &'c Pool, flag: &'c mut bool, generation: u64) -> Self {
        DisconnectSignal {
            flag,
            pool,
            generation,
        }
    }

    /// The connection is gone: close it at checkin and invalidate the pool.
    pub(crate) fn raise(&mut self) {
        *self.flag = true;
        self.pool.invalidate_all(self.generation);
    }
}

struct State {
    idle: VecDeque<PooledConnection>,
    /// Connections that exist: idle plus checked out plus being opened.
    open: usize,
    /// Bumped by [`Pool::invalidate_all`]; connections from an older generation are
    /// closed instead of being handed out or kept.
    generation: u64,
    /// For a `:memory:` pool: the thread its one connection was handed to.
    holder: Option<ThreadId>,
}

/// A queue pool of driver connections.
pub(crate) struct Pool {
    config: PoolConfig,
    connector: Connector,
    state: Mutex<State>,
    available: Condvar,
}

impl Pool {
    pub(crate) fn new(config: PoolConfig, connector: Connector) -> Pool {
        Pool {
            config,
            connector,
            state: Mutex::new(State {
                idle: VecDeque::new(),
                open: 0,
                generation: 0,
                holder: None,
            }),
            available: Condvar::new(),
        }
    }

    fn capacity(&self) -> usize {
        self.config.size + self.config.max_overflow
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave `State` inconsistent (every update is
        // a single push/pop/counter step), so a poisoned lock is safe to keep using.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes an idle connection or opens one, waiting up to `pool_timeout` when all
    /// `pool_size + max_overflow` connections are in use; for `:memory:`, fails at once
    /// when this thread already holds the one connection ([`MEMORY_HELD`]).
    pub(crate) fn checkout(&self) -> Result<PooledConnection> {
        let conn = self.take()?;
        if self.config.memory {
            self.lock().holder = Some(thread::current().id());
        }
        Ok(conn)
    }

    fn take(&self) -> Result<PooledConnection> {
        let started = Instant::now();
        let deadline = started + self.config.timeout;
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop_front() {
                let current = state.generation;
                drop(state);
                if let Some(conn) = self.healthy(conn, current) {
                    return Ok(conn);
                }
                self.forget_one();
                state = self.lock();
                continue;
            }
            if state.open < self.capacity() {
                state.open += 1;
                // Taken before connecting: a disconnect seen while this one opens must
                // not spare it (it may have reached the same dying server).
                let generation = state.generation;
                drop(state);
                return match (self.connector)() {
                    Ok(driver) => Ok(PooledConnection {
                        driver,
                        created: Instant::now(),
                        generation,
                        invalidated: false,
                        disconnected: false,
                        in_transaction: false,
                        reset_isolation: None,
                        timeouts: Some(Timeouts::default()),
                        timeouts_set_in_tx: false,
                    }),
                    Err(e) => {
                        self.forget_one();
                        Err(e)
                    }
                };
            }
            if self.config.memory && state.holder == Some(thread::current().id()) {
                return Err(Error::invalid(MEMORY_HELD));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::PoolTimeout {
                    waited: now - started,
                    capacity: self.capacity(),
                });
            }
            state = self
                .available
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Generation, recycle and pre-ping checks; `None` means the connection was closed.
    fn healthy(&self, mut conn: PooledConnection, generation: u64) -> Option<PooledConnection> {
        if conn.generation < generation {
            log::info!(target: "aludel::pool", "replacing a connection opened before the pool was invalidated");
            return None;
        }
        if conn.driver.is_broken() {
            log::info!(target: "aludel::pool", "discarding a connection the driver reports broken");
            return None;
        }
        if let Some(max_age) = self.config.recycle {
            if conn.created.elapsed() >= max_age {
                log::info!(target: "aludel::pool", "recycling a connection older than {max_age:?}");
                return None;
            }
        }
        if self.config.pre_ping {
            if let Err(e) = conn.driver.ping() {
                log::warn!(target: "aludel::pool", "pre-ping failed, replacing the connection: {e}");
                return None;
            }
        }
        Some(conn)
    }

    /// A connection was closed (or failed to open): free its slot and wake a waiter.
    fn forget_one(&self) {
        let mut state = self.lock();
        state.open = state.open.saturating_sub(1);
        drop(state);
        self.available.notify_one();
    }

    /// Returns a connection: rolls back an open transaction, restores the isolation level,
    /// and closes it instead when it is invalidated, broken, or an overflow connection
    /// arriving at a full pool.
    pub(crate) fn checkin(&self, mut conn: PooledConnection) {
        if conn.disconnected {
            self.invalidate_all(conn.generation);
        }
        let mut keep = !conn.invalidated && !conn.disconnected && !conn.driver.is_broken();
        // Also catch a BEGIN sent as plain SQL, where the driver can tell.
        let open = conn.in_transaction || conn.driver.in_server_transaction() == Some(true);
        if keep && open {
            if let Err(e) = conn.driver.execute_batch("ROLLBACK") {
                log::warn!(target: "aludel::pool", "rollback at checkin failed, closing the connection: {e}");
                keep = false;
            }
            conn.in_transaction = false;
        }
        if std::mem::take(&mut conn.timeouts_set_in_tx) {
            conn.timeouts = None;
        }
        if keep {
            if let Some(level) = conn.reset_isolation.take() {
                if let Err(e) = conn.driver.set_isolation(level) {
                    log::warn!(target: "aludel::pool", "resetting the isolation level failed, closing the connection: {e}");
                    keep = false;
                }
            }
        }
        let mut state = self.lock();
        state.holder = None;
        keep &= conn.generation >= state.generation;
        if keep && state.idle.len() < self.config.size {
            state.idle.push_back(conn);
            drop(state);
            self.available.notify_one();
        } else {
            state.open = state.open.saturating_sub(1);
            drop(state);
            self.available.notify_one();
            drop(conn);
        }
    }

    /// A connection of `generation` saw a disconnect: the server most likely ended every
    /// session (restart, failover, an administrator's kill), so every connection opened
    /// before now is suspect. Bumps the generation, closes the idle connections at once,
    /// and lets checked-out ones be closed when they come back; new connections replace
    /// them on demand, so at most one failure reaches the user instead of one per pooled
    /// connection (SQLAlchemy's pool does the same with an invalidation timestamp).
    ///
    /// A disconnect seen on a connection from an older generation was already covered by
    /// the invalidation that made it stale, so it does not invalidate again (a burst of
    /// failures on old connections must not also discard the fresh replacements).
    pub(crate) fn invalidate_all(&self, generation: u64) {
        let mut state = self.lock();
        if generation != state.generation {
            return;
        }
        state.generation += 1;
        let idle: Vec<_> = state.idle.drain(..).collect();
        state.open = state.open.saturating_sub(idle.len());
        drop(state);
        log::warn!(
            target: "aludel::pool",
            "a disconnect invalidated the pool: closing {} idle connection(s), replacing checked-out ones at checkin",
            idle.len()
        );
        self.available.notify_all();
        drop(idle);
    }

    /// Records a disconnect seen on `conn`: it will be closed at checkin, and the whole
    /// pool is invalidated now (see [`Pool::invalidate_all`]).
    pub(crate) fn disconnected(&self, conn: &mut PooledConnection) {
        conn.disconnected = true;
        self.invalidate_all(conn.generation);
    }

    /// Closes every idle connection; checked-out ones return as usual.
    pub(crate) fn dispose(&self) {
        let mut state = self.lock();
        let idle: Vec<_> = state.idle.drain(..).collect();
        state.open = state.open.saturating_sub(idle.len());
        drop(state);
        self.available.notify_all();
        drop(idle);
    }

    /// Connections currently open and idle, for diagnostics and tests.
    pub(crate) fn status(&self) -> PoolStatus {
        let state = self.lock();
        PoolStatus {
            open: state.open,
            idle: state.idle.len(),
            size: self.config.size,
            max_overflow: self.config.max_overflow,
        }
    }
}

/// A snapshot of the pool's counters.
///
/// ```
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// let conn = engine.connect()?;
/// let s = engine.pool_status();
/// assert_eq!((s.open, s.idle, s.size, s.max_overflow), (1, 0, 1, 0));
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open (idle or checked out).
    pub open: usize,
    /// Connections idle in the pool.
    pub idle: usize,
    /// The configured `pool_size`.
    pub size: usize,
    /// The configured `max_overflow`.
    pub max_overflow: usize,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::engine::driver::{NoRows, RowSource};
    use crate::sql::Value;

    /// A driver connection that only counts how many were opened and closed.
    struct Fake {
        closed: Arc<AtomicUsize>,
    }

    impl Drop for Fake {
        fn drop(&mut self) {
            self.closed.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl DriverConnection for Fake {
        fn query<'a>(&'a mut self, _: &str, _: &[Value]) -> Result<Box<dyn RowSource + 'a>> {
            Ok(NoRows::boxed(Default::default()))
        }
        fn execute_batch(&mut self, _: &str) -> Result<()> {
            Ok(())
        }
        fn ping(&mut self) -> Result<()> {
            Ok(())
        }
        fn set_isolation(&mut self, _: IsolationLevel) -> Result<()> {
            Ok(())
        }
        fn set_timeouts(&mut self, _: Timeouts) -> Result<()> {
            Ok(())
        }
        fn isolation(&mut self) -> Result<IsolationLevel> {
            Ok(IsolationLevel::Serializable)
        }
        fn is_broken(&self) -> bool {
            false
        }
    }

    /// A pool of `size` fake connections, with its opened and closed counters.
    fn pool(size: usize) -> (Pool, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let opened = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let (o, c) = (opened.clone(), closed.clone());
        let config = PoolConfig {
            size,
            max_overflow: 0,
            timeout: Duration::from_millis(100),
            recycle: None,
            pre_ping: false,
            memory: false,
        };
        let connector: Connector = Box::new(move || {
            o.fetch_add(1, Ordering::SeqCst);
            Ok(Box::new(Fake { closed: c.clone() }) as Box<dyn DriverConnection>)
        });
        (Pool::new(config, connector), opened, closed)
    }

    fn fill(pool: &Pool, n: usize) -> Vec<PooledConnection> {
        (0..n).map(|_| pool.checkout().unwrap()).collect()
    }

    #[test]
    fn a_disconnect_closes_idle_connections_and_stale_checked_out_ones_at_checkin() {
        let (pool, opened, closed) = pool(4);
        let mut conns = fill(&pool, 4);
        let mut victim = conns.pop().unwrap();
        let held = conns.pop().unwrap();
        for c in conns {
            pool.checkin(c);
        }
        assert_eq!((pool.status().open, pool.status().idle), (4, 2));
        pool.disconnected(&mut victim);
        assert_eq!(
            closed.load(Ordering::SeqCst),
            2,
            "the idle ones are closed at once"
        );
        pool.checkin(victim);
        pool.checkin(held);
        assert_eq!(
            closed.load(Ordering::SeqCst),
            4,
            "checked-out ones are closed on return"
        );
        assert_eq!(pool.status().open, 0);
        let fresh = fill(&pool, 2);
        assert_eq!(opened.load(Ordering::SeqCst), 6);
        for c in fresh {
            pool.checkin(c);
        }
        assert_eq!(pool.status().idle, 2, "replacements are pooled as usual");
    }

    #[test]
    fn a_disconnect_on_a_stale_connection_spares_the_fresh_ones() {
        let (pool, _, closed) = pool(3);
        let mut old = fill(&pool, 2);
        pool.disconnected(&mut old[0]);
        let fresh = pool.checkout().unwrap();
        pool.checkin(fresh);
        // The second old connection fails too: the same event, already handled.
        pool.disconnected(&mut old[1]);
        assert_eq!(pool.status().idle, 1, "the fresh connection survives");
        for c in old {
            pool.checkin(c);
        }
        assert_eq!(closed.load(Ordering::SeqCst), 2);
        assert_eq!((pool.status().open, pool.status().idle), (1, 1));
    }
}
