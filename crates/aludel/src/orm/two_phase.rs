//! How a session with [`SessionConfig::twophase`](crate::orm::SessionConfig::twophase)
//! begins and ends its database transaction: begun as a two-phase transaction, committed
//! by preparing it and then committing the prepared transaction, rolled back in whichever
//! phase it is (SQLAlchemy's `Session(twophase=True)`). A session without it begins and
//! ends a plain transaction. The protocol itself is the engine's
//! ([`TwoPhaseTransaction`](crate::engine::TwoPhaseTransaction)).

use crate::engine::{Connection, TwoPhaseState};
use crate::error::Result;
use crate::orm::session::SessionState;

/// Begins the session's transaction on `conn`.
pub(crate) fn begin(conn: &mut Connection, twophase: bool) -> Result<Option<TwoPhaseState>> {
    if twophase {
        TwoPhaseState::begin(conn, None).map(Some)
    } else {
        conn.begin_transaction().map(|()| None)
    }
}

/// Commits the session's transaction (both phases when it is a two-phase one).
pub(crate) fn commit(st: &mut SessionState) -> Result<()> {
    match (st.conn.as_mut(), st.twophase.take()) {
        (Some(conn), Some(mut tpc)) => tpc.commit(conn),
        (Some(conn), None) => conn.commit(),
        (None, _) => Ok(()),
    }
}

/// Rolls back the session's transaction, prepared or not.
pub(crate) fn rollback(st: &mut SessionState) -> Result<()> {
    match (st.conn.as_mut(), st.twophase.take()) {
        (Some(conn), Some(mut tpc)) => tpc.rollback(conn),
        (Some(conn), None) => conn.rollback(),
        (None, _) => Ok(()),
    }
}
