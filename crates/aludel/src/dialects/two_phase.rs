//! How a database spells two-phase commit: PostgreSQL's prepared transactions or the XA
//! statements of MySQL and MariaDB. The engine (`engine/two_phase.rs`) drives the protocol;
//! this file only renders its statements.

use crate::dialects::Dialect;
use crate::error::{Error, Result};

/// The two-phase commit statements a database understands (see
/// [`Dialect::two_phase_style`]).
///
/// ```
/// use aludel::dialects::{Dialect, MySql, Postgres, Sqlite, TwoPhaseStyle};
/// assert_eq!(Postgres.two_phase_style(), Some(TwoPhaseStyle::PreparedTransaction));
/// assert_eq!(MySql.two_phase_style(), Some(TwoPhaseStyle::Xa));
/// assert_eq!(Sqlite.two_phase_style(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TwoPhaseStyle {
    /// PostgreSQL: `BEGIN`, then `PREPARE TRANSACTION 'xid'`, later `COMMIT PREPARED` or
    /// `ROLLBACK PREPARED` from any session; in-doubt transactions in `pg_prepared_xacts`.
    /// Needs the server setting `max_prepared_transactions` above zero.
    PreparedTransaction,
    /// MySQL and MariaDB: `XA START`, `XA END`, `XA PREPARE`, later `XA COMMIT` or
    /// `XA ROLLBACK`; in-doubt transactions listed by `XA RECOVER`.
    Xa,
}

/// The longest transaction id accepted: MySQL's limit for an XA gtrid (PostgreSQL allows
/// 200 bytes).
pub(crate) const MAX_XID_LEN: usize = 64;

/// Checks a transaction id: 1 to 64 ASCII letters, digits, `_`, `-`, `.` or `:` (the ids
/// are written into the statements as string literals, so they are kept plain).
pub(crate) fn check_xid(xid: &str) -> Result<()> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
    if xid.is_empty() || xid.len() > MAX_XID_LEN || !xid.chars().all(plain) {
        return Err(Error::invalid(format!(
            "two-phase transaction id {xid:?} must be 1 to {MAX_XID_LEN} ASCII letters, digits, '_', '-', '.' or ':'"
        )));
    }
    Ok(())
}

impl TwoPhaseStyle {
    /// The statement that starts a two-phase transaction, if it needs its own (XA START);
    /// PostgreSQL begins one with a plain `BEGIN`.
    pub(crate) fn start(self, dialect: &dyn Dialect, xid: &str) -> Option<String> {
        match self {
            TwoPhaseStyle::PreparedTransaction => None,
            TwoPhaseStyle::Xa => Some(format!("XA START {}", literal(dialect, xid))),
        }
    }

    /// The statements that end the transaction's work and prepare it.
    pub(crate) fn prepare(self, dialect: &dyn Dialect, xid: &str) -> Vec<String> {
        let xid = literal(dialect, xid);
        match self {
            TwoPhaseStyle::PreparedTransaction => vec![format!("PREPARE TRANSACTION {xid}")],
            TwoPhaseStyle::Xa => vec![format!("XA END {xid}"), format!("XA PREPARE {xid}")],
        }
    }

    /// The statements that roll back a transaction that was not prepared yet.
    pub(crate) fn rollback_active(self, dialect: &dyn Dialect, xid: &str) -> Vec<String> {
        let xid = literal(dialect, xid);
        match self {
            TwoPhaseStyle::PreparedTransaction => vec!["ROLLBACK".to_owned()],
            TwoPhaseStyle::Xa => vec![format!("XA END {xid}"), format!("XA ROLLBACK {xid}")],
        }
    }

    /// The statement that commits a prepared transaction (from any session).
    pub(crate) fn commit_prepared(self, dialect: &dyn Dialect, xid: &str) -> String {
        let xid = literal(dialect, xid);
        match self {
            TwoPhaseStyle::PreparedTransaction => format!("COMMIT PREPARED {xid}"),
            TwoPhaseStyle::Xa => format!("XA COMMIT {xid}"),
        }
    }

    /// The statement that rolls back a prepared transaction (from any session).
    pub(crate) fn rollback_prepared(self, dialect: &dyn Dialect, xid: &str) -> String {
        let xid = literal(dialect, xid);
        match self {
            TwoPhaseStyle::PreparedTransaction => format!("ROLLBACK PREPARED {xid}"),
            TwoPhaseStyle::Xa => format!("XA ROLLBACK {xid}"),
        }
    }

    /// The query listing prepared transactions: one `gid` column (PostgreSQL, this
    /// database's only), or XA RECOVER's `formatID, gtrid_length, bqual_length, data`.
    pub(crate) fn recover_sql(self) -> &'static str {
        match self {
            TwoPhaseStyle::PreparedTransaction => {
                "SELECT gid FROM pg_prepared_xacts WHERE database = current_database() ORDER BY prepared"
            }
            TwoPhaseStyle::Xa => "XA RECOVER",
        }
    }
}

fn literal(dialect: &dyn Dialect, xid: &str) -> String {
    let mut out = String::new();
    dialect.string_literal(xid, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects::{MySql, Postgres};

    #[test]
    fn postgres_prepares_and_resolves_by_gid() {
        let pg = TwoPhaseStyle::PreparedTransaction;
        assert_eq!(pg.start(&Postgres, "x1"), None);
        assert_eq!(pg.prepare(&Postgres, "x1"), ["PREPARE TRANSACTION 'x1'"]);
        assert_eq!(pg.rollback_active(&Postgres, "x1"), ["ROLLBACK"]);
        assert_eq!(pg.commit_prepared(&Postgres, "x1"), "COMMIT PREPARED 'x1'");
        assert_eq!(
            pg.rollback_prepared(&Postgres, "x1"),
            "ROLLBACK PREPARED 'x1'"
        );
    }

    #[test]
    fn mysql_brackets_the_work_with_xa_start_and_end() {
        let xa = TwoPhaseStyle::Xa;
        assert_eq!(xa.start(&MySql, "x1").as_deref(), Some("XA START 'x1'"));
        assert_eq!(xa.prepare(&MySql, "x1"), ["XA END 'x1'", "XA PREPARE 'x1'"]);
        assert_eq!(
            xa.rollback_active(&MySql, "x1"),
            ["XA END 'x1'", "XA ROLLBACK 'x1'"]
        );
        assert_eq!(xa.commit_prepared(&MySql, "x1"), "XA COMMIT 'x1'");
        assert_eq!(xa.rollback_prepared(&MySql, "x1"), "XA ROLLBACK 'x1'");
    }

    #[test]
    fn transaction_ids_are_plain_and_short() {
        assert!(check_xid("aludel-2pc_1.a:b").is_ok());
        for bad in ["", "x'; DROP TABLE t; --", "with space", &"x".repeat(65)] {
            let err = check_xid(bad).unwrap_err();
            assert!(
                err.to_string().contains("two-phase transaction id"),
                "{err}"
            );
        }
    }
}
