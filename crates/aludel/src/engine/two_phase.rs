//! Two-phase commit: [`TwoPhaseTransaction`] (one participant), [`commit_two_phase`]
//! (prepare every participant, then commit every one) and the recovery calls on
//! [`Connection`] that list and resolve transactions left prepared by a crash.
//!
//! PostgreSQL runs it with prepared transactions (the server needs
//! `max_prepared_transactions` above zero), MySQL and MariaDB with XA; SQLite has no
//! two-phase commit and answers with [`Error::Unsupported`]. The statements are rendered
//! by the dialect ([`TwoPhaseStyle`](crate::dialects::TwoPhaseStyle)).

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::dialects::{TwoPhaseStyle, check_xid};
use crate::engine::connection::Connection;
use crate::engine::transaction::Held;
use crate::error::{Error, Result};
use crate::sql::text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Work may still run; neither prepared nor ended.
    Active,
    /// Prepared: durable on the server, waiting for COMMIT/ROLLBACK PREPARED.
    Prepared,
    /// Committed, rolled back, or failed (the connection was then invalidated).
    Ended,
}

/// A transaction that commits in two phases: [`prepare`](Self::prepare) makes it durable
/// without ending it, [`commit`](Self::commit) then commits it (preparing first if needed).
/// Dropped before the end, it rolls back (a prepared one with ROLLBACK PREPARED). Derefs to
/// the [`Connection`], so statements run through it. Begun by
/// [`Connection::begin_twophase`] or [`Engine::begin_twophase`](crate::Engine::begin_twophase);
/// several are committed together by [`commit_two_phase`].
///
/// ```
/// let engine = aludel::create_engine("sqlite://")?;
/// let mut conn = engine.connect()?;
/// // SQLite has no two-phase commit: PostgreSQL and MySQL/MariaDB do.
/// let err = conn.begin_twophase(None).unwrap_err();
/// assert!(matches!(err, aludel::Error::Unsupported { .. }), "{err}");
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct TwoPhaseTransaction<'c> {
    conn: Held<'c>,
    state: TwoPhaseState,
}

/// One two-phase transaction's progress on a connection its owner holds: what
/// [`TwoPhaseTransaction`] and a two-phase [`Session`](crate::orm::Session) share.
#[derive(Debug)]
pub(crate) struct TwoPhaseState {
    xid: String,
    style: TwoPhaseStyle,
    phase: Phase,
}

impl TwoPhaseState {
    /// Begins a two-phase transaction on `conn` (XA START where the database needs it).
    pub(crate) fn begin(conn: &mut Connection, xid: Option<&str>) -> Result<TwoPhaseState> {
        let style = conn.two_phase_style()?;
        let xid = match xid {
            Some(xid) => {
                check_xid(xid)?;
                xid.to_owned()
            }
            None => new_xid(),
        };
        let start = style.start(conn.dialect(), &xid);
        conn.begin_two_phase(start.as_deref())?;
        Ok(TwoPhaseState {
            xid,
            style,
            phase: Phase::Active,
        })
    }

    /// The first phase (see [`TwoPhaseTransaction::prepare`]).
    pub(crate) fn prepare(&mut self, conn: &mut Connection) -> Result<()> {
        if self.phase != Phase::Active {
            return Err(Error::invalid(format!(
                "two-phase transaction '{}' is no longer active: it can be prepared once, before it ends",
                self.xid
            )));
        }
        let statements = self.style.prepare(conn.dialect(), &self.xid);
        let result = conn.end_transaction_with(&statements);
        self.phase = if result.is_ok() {
            Phase::Prepared
        } else {
            Phase::Ended
        };
        result
    }

    /// The second phase, preparing first if that was not done.
    pub(crate) fn commit(&mut self, conn: &mut Connection) -> Result<()> {
        if self.phase == Phase::Active {
            self.prepare(conn)?;
        }
        self.phase = Phase::Ended;
        let sql = self.style.commit_prepared(conn.dialect(), &self.xid);
        conn.control_outside_transaction(&sql)
    }

    /// Rolls back what is still open; sends nothing on an invalidated connection (its
    /// state is unknown: the server rolls back what was not prepared when it closes, and
    /// what was prepared stays for [`Connection::recover_twophase`]).
    pub(crate) fn rollback(&mut self, conn: &mut Connection) -> Result<()> {
        let phase = std::mem::replace(&mut self.phase, Phase::Ended);
        if conn.is_invalidated() {
            return Ok(());
        }
        match phase {
            Phase::Active => {
                let statements = self.style.rollback_active(conn.dialect(), &self.xid);
                conn.end_transaction_with(&statements)
            }
            Phase::Prepared => {
                let sql = self.style.rollback_prepared(conn.dialect(), &self.xid);
                conn.control_outside_transaction(&sql)
            }
            Phase::Ended => Ok(()),
        }
    }
}

impl<'c> TwoPhaseTransaction<'c> {
    fn begin(mut conn: Held<'c>, xid: Option<&str>) -> Result<Self> {
        let state = TwoPhaseState::begin(conn.get_mut(), xid)?;
        Ok(TwoPhaseTransaction { conn, state })
    }

    /// The transaction id the server knows this transaction by (the gid of PostgreSQL's
    /// `pg_prepared_xacts`, the XA xid), as [`Connection::recover_twophase`] lists it.
    ///
    /// ```
    /// # let Some(url) = std::env::var("ALUDEL_TEST_MYSQL").ok() else { return Ok(()) };
    /// let engine = aludel::create_engine(&url)?;
    /// let mut conn = engine.connect()?;
    /// let tx = conn.begin_twophase(Some("order-42"))?;
    /// assert_eq!(tx.xid(), "order-42");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn xid(&self) -> &str {
        &self.state.xid
    }

    /// Whether [`prepare`](Self::prepare) succeeded and the transaction awaits its commit.
    ///
    /// ```
    /// # let Some(url) = std::env::var("ALUDEL_TEST_MYSQL").ok() else { return Ok(()) };
    /// let engine = aludel::create_engine(&url)?;
    /// let mut tx = engine.begin_twophase(None)?;
    /// assert!(!tx.is_prepared());
    /// tx.prepare()?;
    /// assert!(tx.is_prepared());
    /// tx.commit()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn is_prepared(&self) -> bool {
        self.state.phase == Phase::Prepared
    }

    /// The first phase: ends the transaction's work and makes it durable on the server
    /// (PREPARE TRANSACTION; XA END and XA PREPARE), to be committed or rolled back later,
    /// from this connection or, after a crash, from any other. On failure the transaction
    /// is rolled back and the connection invalidated.
    ///
    /// ```
    /// # let Some(url) = std::env::var("ALUDEL_TEST_MYSQL").ok() else { return Ok(()) };
    /// use aludel::sql::text;
    /// let engine = aludel::create_engine(&url)?;
    /// let mut tx = engine.begin_twophase(None)?;
    /// tx.scalar::<i64>(&text("SELECT 1"), ())?;
    /// tx.prepare()?;
    /// tx.rollback()?; // ROLLBACK PREPARED / XA ROLLBACK
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn prepare(&mut self) -> Result<()> {
        self.state.prepare(self.conn.get_mut())
    }

    /// The second phase: commits the prepared transaction (preparing it first when
    /// [`prepare`](Self::prepare) was not called).
    ///
    /// ```
    /// # let Some(url) = std::env::var("ALUDEL_TEST_MYSQL").ok() else { return Ok(()) };
    /// let engine = aludel::create_engine(&url)?;
    /// engine.begin_twophase(None)?.commit()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn commit(mut self) -> Result<()> {
        self.state.commit(self.conn.get_mut())
    }

    /// Rolls back, prepared or not (what dropping it does, but reporting errors).
    ///
    /// ```
    /// # let Some(url) = std::env::var("ALUDEL_TEST_MYSQL").ok() else { return Ok(()) };
    /// let engine = aludel::create_engine(&url)?;
    /// engine.begin_twophase(None)?.rollback()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn rollback(mut self) -> Result<()> {
        self.end_by_rollback()
    }

    fn end_by_rollback(&mut self) -> Result<()> {
        self.state.rollback(self.conn.get_mut())
    }
}

impl TwoPhaseTransaction<'static> {
    pub(super) fn begin_owned(conn: Connection, xid: Option<&str>) -> Result<Self> {
        TwoPhaseTransaction::begin(Held::Owned(conn), xid)
    }
}

impl Deref for TwoPhaseTransaction<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn.get()
    }
}

impl DerefMut for TwoPhaseTransaction<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.get_mut()
    }
}

impl std::fmt::Debug for TwoPhaseTransaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoPhaseTransaction")
            .field("xid", &self.state.xid)
            .field("phase", &self.state.phase)
            .field("connection", self.conn.get())
            .finish()
    }
}

impl Drop for TwoPhaseTransaction<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.end_by_rollback() {
            log::warn!(
                target: "aludel::engine",
                "rollback of dropped two-phase transaction '{}' failed (recover_twophase() lists it if it stayed prepared): {e}",
                self.state.xid
            );
        }
    }
}

/// Commits several two-phase transactions as one: every participant is prepared, and
/// only when all of them are, every one is committed. A participant that fails to prepare
/// makes all of them roll back (the prepared ones with ROLLBACK PREPARED), so no prepared
/// transaction is left behind, and its error is returned. A COMMIT PREPARED that fails
/// after every participant prepared cannot be undone elsewhere: the others are still
/// committed and [`Error::CommitOutcomeUnknown`] names the transactions left in doubt,
/// for [`Connection::recover_twophase`] and [`Connection::commit_prepared`].
///
/// ```
/// # let Some(url) = std::env::var("ALUDEL_TEST_MYSQL").ok() else { return Ok(()) };
/// use aludel::engine::commit_two_phase;
/// use aludel::sql::text;
/// let (orders, stock) = (aludel::create_engine(&url)?, aludel::create_engine(&url)?);
/// let mut a = orders.begin_twophase(None)?;
/// let mut b = stock.begin_twophase(None)?;
/// a.scalar::<i64>(&text("SELECT 1"), ())?;
/// b.scalar::<i64>(&text("SELECT 2"), ())?;
/// commit_two_phase(vec![a, b])?;
/// # Ok::<(), aludel::Error>(())
/// ```
pub fn commit_two_phase(mut participants: Vec<TwoPhaseTransaction<'_>>) -> Result<()> {
    let count = participants.len();
    for i in 0..count {
        if let Err(e) = participants[i].prepare() {
            let failed = participants[i].xid().to_owned();
            // Roll back every participant, prepared or not.
            for other in participants.iter_mut() {
                if let Err(r) = other.end_by_rollback() {
                    log::warn!(target: "aludel::engine", "rollback of two-phase participant '{}' failed: {r}", other.xid());
                }
            }
            log::warn!(target: "aludel::engine", "two-phase participant '{failed}' ({} of {count}) failed to prepare; all were rolled back", i + 1);
            return Err(e);
        }
    }
    let mut in_doubt = Vec::new();
    for tx in participants {
        let xid = tx.xid().to_owned();
        if let Err(e) = tx.commit() {
            in_doubt.push(format!("'{xid}': {e}"));
        }
    }
    if in_doubt.is_empty() {
        Ok(())
    } else {
        Err(Error::CommitOutcomeUnknown {
            cause: format!(
                "every participant prepared, but COMMIT PREPARED failed for {}; they stay prepared until resolved (recover_twophase, commit_prepared)",
                in_doubt.join("; ")
            ),
        })
    }
}

impl Connection {
    /// Begins a [`TwoPhaseTransaction`] on this connection, with `xid` as its transaction
    /// id (1 to 64 ASCII letters, digits, `_`, `-`, `.`, `:`), or a generated unique one
    /// when `None`. SQLAlchemy's `Connection.begin_twophase`.
    ///
    /// ```
    /// # let Some(url) = std::env::var("ALUDEL_TEST_MYSQL").ok() else { return Ok(()) };
    /// let engine = aludel::create_engine(&url)?;
    /// let mut conn = engine.connect()?;
    /// let tx = conn.begin_twophase(None)?;
    /// assert!(tx.xid().starts_with("aludel_"));
    /// tx.commit()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn begin_twophase(&mut self, xid: Option<&str>) -> Result<TwoPhaseTransaction<'_>> {
        TwoPhaseTransaction::begin(Held::Borrowed(self), xid)
    }

    /// The ids of the prepared transactions awaiting COMMIT or ROLLBACK PREPARED: the
    /// in-doubt transactions a crash between the two phases left behind (PostgreSQL: those
    /// of this database; MySQL/MariaDB: every XA transaction of the server, as XA RECOVER
    /// lists them). SQLAlchemy's `Connection.recover_twophase`. (MariaDB does not keep a
    /// prepared XA transaction that changed nothing once its connection closes: resolving
    /// it then answers XA_RBROLLBACK.)
    ///
    /// ```
    /// # let Some(url) = std::env::var("ALUDEL_TEST_MYSQL").ok() else { return Ok(()) };
    /// let engine = aludel::create_engine(&url)?;
    /// let mut tx = engine.begin_twophase(None)?;
    /// tx.prepare()?;
    /// let xid = tx.xid().to_owned();
    /// assert!(engine.connect()?.recover_twophase()?.contains(&xid));
    /// tx.rollback()?;
    /// assert!(!engine.connect()?.recover_twophase()?.contains(&xid));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn recover_twophase(&mut self) -> Result<Vec<String>> {
        let style = self.two_phase_style()?;
        let rows = self.execute(&text(style.recover_sql()), ())?.fetchall();
        rows.iter()
            .map(|row| match style {
                TwoPhaseStyle::PreparedTransaction => row.get::<String>("gid"),
                TwoPhaseStyle::Xa => {
                    // `data` holds the gtrid followed by the bqual (aludel leaves it empty).
                    let gtrid_length = row.get::<i64>("gtrid_length")?;
                    let data = row.get::<Vec<u8>>("data")?;
                    let gtrid = data.get(..usize::try_from(gtrid_length).unwrap_or(usize::MAX));
                    Ok(String::from_utf8_lossy(gtrid.unwrap_or(&data)).into_owned())
                }
            })
            .collect()
    }

    /// Commits the prepared transaction `xid` (listed by
    /// [`recover_twophase`](Self::recover_twophase)); must run outside a transaction.
    ///
    /// ```
    /// # let Some(url) = std::env::var("ALUDEL_TEST_MYSQL").ok() else { return Ok(()) };
    /// use aludel::sql::text;
    /// let engine = aludel::create_engine(&url)?;
    /// # engine.connect()?.execute_script("CREATE TABLE IF NOT EXISTS doc_xa (n INTEGER)")?;
    /// let mut tx = engine.begin_twophase(None)?;
    /// tx.execute(&text("INSERT INTO doc_xa VALUES (1)"), ())?;
    /// tx.prepare()?;
    /// let xid = tx.xid().to_owned();
    /// tx.invalidate(); // lost between the phases
    /// drop(tx);
    /// engine.connect()?.commit_prepared(&xid)?;
    /// assert!(engine.connect()?.commit_prepared("no-such-xid").is_err());
    /// # engine.connect()?.execute_script("DELETE FROM doc_xa")?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn commit_prepared(&mut self, xid: &str) -> Result<()> {
        check_xid(xid)?;
        let sql = self.two_phase_style()?.commit_prepared(self.dialect(), xid);
        self.resolve_prepared(&sql)
    }

    /// Rolls back the prepared transaction `xid` (listed by
    /// [`recover_twophase`](Self::recover_twophase)); must run outside a transaction.
    ///
    /// ```
    /// # let Some(url) = std::env::var("ALUDEL_TEST_MYSQL").ok() else { return Ok(()) };
    /// use aludel::sql::text;
    /// let engine = aludel::create_engine(&url)?;
    /// # engine.connect()?.execute_script("CREATE TABLE IF NOT EXISTS doc_xa (n INTEGER)")?;
    /// let mut tx = engine.begin_twophase(None)?;
    /// tx.execute(&text("INSERT INTO doc_xa VALUES (2)"), ())?;
    /// tx.prepare()?;
    /// let xid = tx.xid().to_owned();
    /// tx.invalidate(); // as if the process died between the phases: the connection closes
    /// drop(tx);
    /// let mut conn = engine.connect()?;
    /// assert!(conn.recover_twophase()?.contains(&xid));
    /// conn.rollback_prepared(&xid)?;
    /// assert!(!conn.recover_twophase()?.contains(&xid));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn rollback_prepared(&mut self, xid: &str) -> Result<()> {
        check_xid(xid)?;
        let sql = self
            .two_phase_style()?
            .rollback_prepared(self.dialect(), xid);
        self.resolve_prepared(&sql)
    }

    /// Sends COMMIT or ROLLBACK PREPARED from a connection that is not the one that
    /// prepared it: outside any transaction, with autocommit on (MySQL refuses XA COMMIT
    /// while the session has an implicit transaction open: XAER_OUTSIDE).
    fn resolve_prepared(&mut self, sql: &str) -> Result<()> {
        if self.in_transaction() {
            return Err(Error::invalid(format!(
                "{sql} cannot run while a transaction is open on this connection; commit or roll it back first"
            )));
        }
        self.execute_script(sql)
    }

    pub(crate) fn two_phase_style(&self) -> Result<TwoPhaseStyle> {
        let dialect = self.dialect();
        dialect
            .two_phase_style()
            .ok_or_else(|| dialect.unsupported("two-phase commit"))
    }
}

/// A transaction id unique across processes and time: `aludel_<pid>_<nanos>_<n>`.
fn new_xid() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "aludel_{:x}_{nanos:x}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
