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
//! - **recycle** by age and **pre-ping** at checkout, replacing dead connections
//!   transparently;
//! - **`PoolTimeout`** with the waited time and capacity in aludel's own error type;
//! - a single shared connection for `sqlite://:memory:` (size 1, no overflow).
//!
//! A `Mutex` over the idle queue plus a `Condvar` for waiters is all that needs; no
//! background threads, no extra dependency. Connections are opened and closed outside the
//! lock, so a slow connect never blocks other checkouts.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::engine::driver::DriverConnection;
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
}

/// A connection checked out of (or idle in) the pool.
pub(crate) struct PooledConnection {
    pub driver: Box<dyn DriverConnection>,
    created: Instant,
    /// Set when the connection must be closed instead of returned (saw a disconnect).
    pub invalidated: bool,
    /// Whether a transaction is open on the server and must be rolled back at checkin.
    pub in_transaction: bool,
    /// The isolation level to restore at checkin, when a user changed it.
    pub reset_isolation: Option<IsolationLevel>,
}

struct State {
    idle: VecDeque<PooledConnection>,
    /// Connections that exist: idle plus checked out plus being opened.
    open: usize,
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
    /// `pool_size + max_overflow` connections are in use.
    pub(crate) fn checkout(&self) -> Result<PooledConnection> {
        let started = Instant::now();
        let deadline = started + self.config.timeout;
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop_front() {
                drop(state);
                if let Some(conn) = self.healthy(conn) {
                    return Ok(conn);
                }
                self.forget_one();
                state = self.lock();
                continue;
            }
            if state.open < self.capacity() {
                state.open += 1;
                drop(state);
                return match (self.connector)() {
                    Ok(driver) => Ok(PooledConnection {
                        driver,
                        created: Instant::now(),
                        invalidated: false,
                        in_transaction: false,
                        reset_isolation: None,
                    }),
                    Err(e) => {
                        self.forget_one();
                        Err(e)
                    }
                };
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

    /// Recycle and pre-ping checks; `None` means the connection was closed.
    fn healthy(&self, mut conn: PooledConnection) -> Option<PooledConnection> {
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
        let mut keep = !conn.invalidated && !conn.driver.is_broken();
        // Also catch a BEGIN sent as plain SQL, where the driver can tell.
        let open = conn.in_transaction || conn.driver.in_server_transaction() == Some(true);
        if keep && open {
            if let Err(e) = conn.driver.execute_batch("ROLLBACK") {
                log::warn!(target: "aludel::pool", "rollback at checkin failed, closing the connection: {e}");
                keep = false;
            }
            conn.in_transaction = false;
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
