//! [`StatementRecorder`]: captures every SQL string an engine sends, for tests that assert
//! exactly what a flush or a loader emitted.

use std::sync::{Arc, Mutex, MutexGuard};

/// The SQL statements executed through any connection of an engine since the recorder was
/// created, in order: statements with placeholders (never values), `executemany` once per
/// call, and transaction control (`BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT ...`). Pool
/// housekeeping (pings, the rollback at checkin) is not recorded. Recording stops when the
/// recorder (and all its clones) are dropped.
///
/// ```
/// use aludel::sql::text;
/// let engine = aludel::create_engine("sqlite://")?;
/// let rec = engine.record_statements();
/// let mut conn = engine.connect()?;
/// conn.execute(&text("SELECT :x"), aludel::params! { "x" => 1 })?;
/// assert_eq!(rec.statements(), vec!["SELECT ?".to_string()]);
/// rec.clear();
/// assert_eq!(rec.count(), 0);
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct StatementRecorder {
    pub(crate) log: Arc<Mutex<Vec<String>>>,
}

impl StatementRecorder {
    fn lock(&self) -> MutexGuard<'_, Vec<String>> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The statements recorded so far.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// assert!(engine.record_statements().statements().is_empty());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn statements(&self) -> Vec<String> {
        self.lock().clone()
    }

    /// How many statements were recorded.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let rec = engine.record_statements();
    /// engine.connect()?.execute_script("SELECT 1")?;
    /// assert_eq!(rec.count(), 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// Forgets what was recorded.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// engine.record_statements().clear();
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Returns what was recorded and forgets it.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let rec = engine.record_statements();
    /// engine.connect()?.execute_script("SELECT 1")?;
    /// assert_eq!(rec.take(), vec!["SELECT 1".to_string()]);
    /// assert_eq!(rec.count(), 0);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lock())
    }

    pub(crate) fn push(log: &Mutex<Vec<String>>, sql: &str) {
        log.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(sql.to_owned());
    }
}
