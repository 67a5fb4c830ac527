//! [`Retry`]: run a unit of work as one transaction, again from the start when the
//! database says trying again may succeed (deadlock, serialization failure, lock timeout,
//! a connection lost before COMMIT), a bounded number of times with a growing pause.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::orm::session::Session;

/// A retry policy for transactional work through a [`Session`].
///
/// [`run`](Retry::run) calls the work, flushes and commits. When the work, the flush or
/// the COMMIT fails with a retryable error ([`Error::is_retryable`]) the session is rolled
/// back, the policy pauses (doubling from the first pause up to the cap, with a little
/// jitter so competing threads fall out of step) and calls the work again, up to the
/// number of attempts. Any other error is returned after rolling back. A connection lost
/// *during* COMMIT is [`Error::CommitOutcomeUnknown`] and is never retried: the server may
/// have committed, and running the work again could apply it twice.
///
/// The work is a closure over the session, so each attempt starts from what the database
/// holds: objects loaded in a failed attempt are expired or expunged by the rollback.
///
/// ```
/// use aludel::orm::{create_all, Model, Retry, Session};
///
/// #[derive(aludel::Model, Clone)]
/// #[model(table = "counters")]
/// struct Counter {
///     #[column(primary_key, autoincrement = false)]
///     id: i64,
///     n: i64,
/// }
///
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// create_all(&engine, &[Counter::info()])?;
/// let s = Session::new(&engine);
/// let n = Retry::new(5).run(&s, |s| {
///     let c = match s.get::<Counter>(1)? {
///         Some(c) => c,
///         None => s.add(Counter { id: 1, n: 0 })?,
///     };
///     c.write()?.n += 1;
///     let n = c.read()?.n;
///     Ok(n)
/// })?;
/// assert_eq!(n, 1);
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    attempts: u32,
    first_pause: Duration,
    max_pause: Duration,
}

impl Default for Retry {
    /// Five attempts, pausing 10 ms, 20 ms, 40 ms, 80 ms between them.
    fn default() -> Self {
        Retry::new(5)
    }
}

impl Retry {
    /// At most `attempts` runs of the work (at least one), pausing 10 ms doubling up to
    /// 1 s between them.
    ///
    /// ```
    /// let r = aludel::orm::Retry::new(3);
    /// # let _ = r;
    /// ```
    pub fn new(attempts: u32) -> Self {
        Retry {
            attempts: attempts.max(1),
            first_pause: Duration::from_millis(10),
            max_pause: Duration::from_secs(1),
        }
    }

    /// Sets the first pause and the cap of the doubling pauses.
    ///
    /// ```
    /// use std::time::Duration;
    /// let r = aludel::orm::Retry::new(3).pauses(Duration::from_millis(1), Duration::from_millis(50));
    /// # let _ = r;
    /// ```
    pub fn pauses(mut self, first: Duration, max: Duration) -> Self {
        self.first_pause = first;
        self.max_pause = max.max(first);
        self
    }

    /// Runs `work` and commits, retrying as described on [`Retry`]. The session must have
    /// no transaction in progress and nothing pending: a retry rolls back, which would
    /// discard that earlier work, so it is refused up front (`InvalidRequest`).
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let mut calls = 0;
    /// let err = aludel::orm::Retry::new(3)
    ///     .run(&s, |_| -> aludel::Result<()> { calls += 1; Err(aludel::Error::NoResultFound) })
    ///     .unwrap_err();
    /// assert!(matches!(err, aludel::Error::NoResultFound));
    /// assert_eq!(calls, 1, "not a retryable error: one attempt");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn run<T>(
        &self,
        session: &Session,
        mut work: impl FnMut(&Session) -> Result<T>,
    ) -> Result<T> {
        if session.in_transaction() || session.has_changes() {
            return Err(Error::InvalidRequest {
                message: "Retry::run needs a session with no transaction in progress and nothing pending: retrying rolls back, which would discard that earlier work; commit or roll back first".into(),
            });
        }
        let mut pause = self.first_pause;
        let mut attempt = 1;
        loop {
            let error = match attempt_once(session, &mut work) {
                Ok(value) => return Ok(value),
                Err(e) => e,
            };
            // Best effort: a connection that is gone rolls back by itself.
            let _ = session.rollback();
            if attempt >= self.attempts || !error.is_retryable() {
                return Err(error);
            }
            std::thread::sleep(jittered(pause, attempt));
            pause = (pause * 2).min(self.max_pause);
            attempt += 1;
        }
    }
}

/// One attempt: the work, a flush (so a failure there is known to precede COMMIT), then
/// the COMMIT, where a lost connection leaves the outcome unknown.
fn attempt_once<T>(session: &Session, work: &mut impl FnMut(&Session) -> Result<T>) -> Result<T> {
    let value = work(session)?;
    session.flush()?;
    match session.commit() {
        Ok(()) => Ok(value),
        Err(e) if e.is_disconnect() => Err(Error::CommitOutcomeUnknown {
            cause: e.to_string(),
        }),
        Err(e) => Err(e),
    }
}

/// `pause` stretched by up to half, differently per thread and attempt, so threads that
/// collided do not retry in lockstep.
fn jittered(pause: Duration, attempt: u32) -> Duration {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut h);
    attempt.hash(&mut h);
    let fraction = (h.finish() % 500) as u32; // 0..50 %, in thousandths
    pause + pause * fraction / 1000
}
