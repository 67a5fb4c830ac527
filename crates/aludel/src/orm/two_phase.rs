//! How a session ends its database transactions, one per engine it used (one, without
//! [`Binds`](crate::orm::Binds)). With
//! [`SessionConfig::twophase`](crate::orm::SessionConfig::twophase) each transaction is
//! begun as a two-phase transaction, and commit prepares every one of them before it
//! commits any (the protocol of [`commit_two_phase`](crate::engine::commit_two_phase)): a
//! participant that fails to prepare rolls all of them back, leaving nothing prepared.
//! Without it, commit commits them one after the other, as SQLAlchemy does (a failure
//! at the second leaves the first committed). Rollback ends each in whichever phase it is
//! (SQLAlchemy's `Session(twophase=True)`). The protocol itself is the engine's
//! ([`TwoPhaseTransaction`](crate::engine::TwoPhaseTransaction)).

use crate::engine::{Connection, TwoPhaseState};
use crate::error::{Error, Result};
use crate::orm::session::SessionState;

/// One of the session's connections in a transaction, with its two-phase progress.
type Participant<'s> = (&'s mut Connection, &'s mut Option<TwoPhaseState>);

/// Begins the session's transaction on `conn`.
pub(crate) fn begin(conn: &mut Connection, twophase: bool) -> Result<Option<TwoPhaseState>> {
    if twophase {
        TwoPhaseState::begin(conn, None).map(Some)
    } else {
        conn.begin_transaction().map(|()| None)
    }
}

/// The connections in a transaction: the one in use, then the parked ones.
fn participants(st: &mut SessionState) -> Vec<Participant<'_>> {
    let mut out = Vec::new();
    if st.in_transaction {
        if let Some(conn) = st.conn.as_mut() {
            out.push((conn, &mut st.twophase));
        }
    }
    for p in st.parked.iter_mut().filter(|p| p.in_transaction) {
        out.push((&mut p.conn, &mut p.twophase));
    }
    out
}

/// Commits the session's transactions (preparing all two-phase ones first).
pub(crate) fn commit(st: &mut SessionState) -> Result<()> {
    let mut parts = participants(st);
    for i in 0..parts.len() {
        let (conn, tpc) = &mut parts[i];
        if let Some(tpc) = tpc.as_mut() {
            if let Err(e) = tpc.prepare(conn) {
                // Each failure to roll back is logged; the prepare error is the one to report.
                let _ = roll_back_all(&mut parts);
                return Err(e);
            }
        }
    }
    let count = parts.len();
    let mut in_doubt = Vec::new();
    let mut first_error = None;
    for (i, (conn, tpc)) in parts.into_iter().enumerate() {
        let result = match tpc.take() {
            Some(mut tpc) => tpc
                .commit(conn)
                .inspect_err(|e| in_doubt.push(e.to_string())),
            None => conn.commit(),
        };
        if let Err(e) = result {
            log::warn!(target: "aludel::orm", "commit of the session's transaction {} failed: {e}", i + 1);
            first_error.get_or_insert(e);
        }
    }
    match (in_doubt.is_empty() || count == 1, first_error) {
        (_, None) => Ok(()),
        (true, Some(e)) => Err(e),
        (false, Some(_)) => Err(Error::CommitOutcomeUnknown {
            cause: format!(
                "every participant prepared, but COMMIT PREPARED failed: {}; they stay prepared until resolved (recover_twophase, commit_prepared)",
                in_doubt.join("; ")
            ),
        }),
    }
}

/// Rolls back the session's transactions, prepared or not; the first error is returned
/// after every one was tried.
pub(crate) fn rollback(st: &mut SessionState) -> Result<()> {
    if !st.any_transaction() {
        // A transaction begun on a connection the session was given.
        return match st.conn.as_mut() {
            Some(conn) => end(conn, &mut st.twophase),
            None => Ok(()),
        };
    }
    roll_back_all(&mut participants(st))
}

/// Rolls back every participant, returning the first failure.
fn roll_back_all(parts: &mut [Participant<'_>]) -> Result<()> {
    let mut first = Ok(());
    for (conn, tpc) in parts.iter_mut() {
        if let Err(e) = end(conn, tpc) {
            log::warn!(target: "aludel::orm", "rollback of a session transaction failed: {e}");
            if first.is_ok() {
                first = Err(e);
            }
        }
    }
    first
}

/// Rolls back one connection's transaction.
fn end(conn: &mut Connection, tpc: &mut Option<TwoPhaseState>) -> Result<()> {
    match tpc.take() {
        Some(mut tpc) => tpc.rollback(conn),
        None => conn.rollback(),
    }
}
