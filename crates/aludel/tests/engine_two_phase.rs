//! Two-phase commit across two databases, from the engine and from a session with
//! `SessionConfig::twophase`: PostgreSQL on the two clusters with
//! `max_prepared_transactions` that `scripts/engines.sh` starts (ALUDEL_TEST_PG_2PC,
//! ALUDEL_TEST_PG_2PC_SECOND), MariaDB with XA on two databases of the main service.
//! Each test reads the rows back and checks what stays prepared on the servers.

mod common;

use aludel::engine::{Backend, commit_two_phase};
use aludel::orm::{Session, SessionConfig};
use aludel::sql::text;
use aludel::{Connection, DatabaseErrorKind, Engine, Error, Result, TwoPhaseTransaction, params};

use common::{TestDb, run_on_servers};

/// The two servers a backend's participants live on.
fn servers(backend: Backend) -> [&'static str; 2] {
    match backend {
        Backend::Postgres => ["ALUDEL_TEST_PG_2PC", "ALUDEL_TEST_PG_2PC_SECOND"],
        _ => ["ALUDEL_TEST_MYSQL", "ALUDEL_TEST_MYSQL"],
    }
}

/// Defines a test run on PostgreSQL and MariaDB with two fresh participant databases.
macro_rules! two_phase_tests {
    ($( fn $name:ident($dbs:ident) $body:block )*) => {$(
        mod $name {
            use super::*;

            fn body($dbs: &[TestDb]) -> Result<()> $body

            #[test]
            fn postgres() {
                run_on_servers(Backend::Postgres, &servers(Backend::Postgres), stringify!($name), body);
            }

            #[test]
            fn mysql() {
                run_on_servers(Backend::MySql, &servers(Backend::MySql), stringify!($name), body);
            }
        }
    )*};
}

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "accounts")]
struct Account {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    balance: i64,
}

fn twophase_session(db: &Engine) -> Session {
    Session::with_config(
        db,
        SessionConfig {
            twophase: true,
            ..SessionConfig::default()
        },
    )
}

fn create_accounts(db: &Engine) -> Result<()> {
    db.connect()?.execute(
        &text("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)"),
        (),
    )?;
    Ok(())
}

fn insert_account(conn: &mut Connection, id: i64, balance: i64) -> Result<()> {
    conn.execute(
        &text("INSERT INTO accounts (id, balance) VALUES (:id, :b)"),
        params! { "id" => id, "b" => balance },
    )?;
    Ok(())
}

fn balances(db: &Engine) -> Result<Vec<(i64, i64)>> {
    let rows = db
        .connect()?
        .execute(&text("SELECT id, balance FROM accounts ORDER BY id"), ())?
        .fetchall();
    rows.iter()
        .map(|r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?)))
        .collect()
}

fn prepared(db: &Engine) -> Result<Vec<String>> {
    db.connect()?.recover_twophase()
}

/// Asserts none of the two-phase transactions begun in `sent` stayed prepared (other
/// tests' transactions on the same server may be listed, so only these are looked for).
fn none_left_prepared(db: &Engine, sent: &[String]) -> Result<()> {
    let begun: Vec<&str> = sent
        .iter()
        .filter(|s| s.starts_with("XA START") || s.starts_with("PREPARE TRANSACTION"))
        .filter_map(|s| s.split('\'').nth(1))
        .collect();
    assert!(!begun.is_empty(), "no two-phase transaction in {sent:?}");
    let left = prepared(db)?;
    for xid in begun {
        assert!(!left.iter().any(|l| l == xid), "{xid} stayed prepared");
    }
    Ok(())
}

/// Creates `accounts` on both databases and begins a transfer of 50 from `a` to `b`: one
/// two-phase transaction on each, with its row inserted.
fn transfer(
    a: &Engine,
    b: &Engine,
) -> Result<(TwoPhaseTransaction<'static>, TwoPhaseTransaction<'static>)> {
    create_accounts(a)?;
    create_accounts(b)?;
    let mut ta = a.begin_twophase(None)?;
    let mut tb = b.begin_twophase(None)?;
    insert_account(&mut ta, 1, -50)?;
    insert_account(&mut tb, 1, 50)?;
    Ok((ta, tb))
}

/// The server-side id of `conn`'s session, and the statement that kills it.
fn kill_statement(backend: Backend, conn: &mut Connection) -> Result<String> {
    Ok(match backend {
        Backend::Postgres => format!(
            "SELECT pg_terminate_backend({})",
            conn.scalar::<i64>(&text("SELECT pg_backend_pid()"), ())?
        ),
        _ => format!(
            "KILL {}",
            conn.scalar::<i64>(&text("SELECT CONNECTION_ID()"), ())?
        ),
    })
}

two_phase_tests! {
    fn every_participant_is_prepared_before_any_commits(dbs) {
        let (a, b) = (&dbs[0], &dbs[1]);
        create_accounts(a)?;
        create_accounts(b)?;
        let (rec_a, rec_b) = (a.record_statements(), b.record_statements());
        let mut ta = a.begin_twophase(None)?;
        let mut tb = b.begin_twophase(Some(&format!("{}-b", a.name())))?;
        insert_account(&mut ta, 1, -50)?;
        insert_account(&mut tb, 1, 50)?;
        let (xa, xb) = (ta.xid().to_owned(), tb.xid().to_owned());
        assert_ne!(xa, xb);
        // Nothing is visible before the commit (read through an unrecorded engine).
        assert_eq!(balances(&b.builder().build()?)?, []);
        commit_two_phase(vec![ta, tb])?;
        let sent = |rec: &aludel::StatementRecorder| -> Vec<String> {
            // MySQL's autocommit switch is connection housekeeping, not the protocol.
            rec.take().into_iter().filter(|s| !s.starts_with("SET autocommit")).collect()
        };
        let (sent_a, sent_b) = (sent(&rec_a), sent(&rec_b));
        assert_eq!(balances(a)?, [(1, -50)]);
        assert_eq!(balances(b)?, [(1, 50)]);
        assert!(!prepared(a)?.contains(&xa) && !prepared(b)?.contains(&xb));
        let expected = |xid: &str| -> Vec<String> {
            match a.backend() {
                Backend::Postgres => vec![
                    "BEGIN".into(),
                    "INSERT INTO accounts (id, balance) VALUES ($1, $2)".into(),
                    format!("PREPARE TRANSACTION '{xid}'"),
                    format!("COMMIT PREPARED '{xid}'"),
                ],
                _ => vec![
                    format!("XA START '{xid}'"),
                    "INSERT INTO accounts (id, balance) VALUES (?, ?)".into(),
                    format!("XA END '{xid}'"),
                    format!("XA PREPARE '{xid}'"),
                    format!("XA COMMIT '{xid}'"),
                ],
            }
        };
        assert_eq!(sent_a, expected(&xa));
        assert_eq!(sent_b, expected(&xb));
        Ok(())
    }

    fn a_participant_that_fails_to_prepare_rolls_every_one_back(dbs) {
        let (a, b) = (&dbs[0], &dbs[1]);
        let (ta, mut tb) = transfer(a, b)?;
        let (xa, xb) = (ta.xid().to_owned(), tb.xid().to_owned());
        // The second participant's session dies before the prepare phase.
        let kill = kill_statement(b.backend(), &mut tb)?;
        b.connect()?.execute_script(&kill)?;
        let err = commit_two_phase(vec![ta, tb]).unwrap_err();
        assert_eq!(err.database_error().map(|e| e.kind), Some(DatabaseErrorKind::Disconnect), "{err}");
        // The first participant had prepared: it was rolled back, nothing stays prepared.
        assert!(!prepared(a)?.contains(&xa), "{xa} left prepared");
        assert!(!prepared(b)?.contains(&xb), "{xb} left prepared");
        assert_eq!(balances(a)?, []);
        assert_eq!(balances(b)?, []);
        // Both engines keep working.
        let mut again = a.begin_twophase(None)?;
        insert_account(&mut again, 2, 10)?;
        again.commit()?;
        assert_eq!(balances(a)?, [(2, 10)]);
        Ok(())
    }

    fn a_crash_between_the_phases_is_resolved_from_a_new_connection(dbs) {
        let (a, b) = (&dbs[0], &dbs[1]);
        let (mut ta, mut tb) = transfer(a, b)?;
        ta.prepare()?;
        tb.prepare()?;
        let (xa, xb) = (ta.xid().to_owned(), tb.xid().to_owned());
        // The coordinator dies: both connections close without a second phase.
        for mut tx in [ta, tb] {
            tx.invalidate();
        }
        assert_eq!(a.pool_status().open, 0);
        assert!(prepared(a)?.contains(&xa), "{xa} must stay prepared after the crash");
        assert!(prepared(b)?.contains(&xb), "{xb} must stay prepared after the crash");
        assert_eq!(balances(a)?, [], "prepared work is not visible");
        // Recovery commits one and rolls back the other, each from a fresh connection.
        a.connect()?.commit_prepared(&xa)?;
        b.connect()?.rollback_prepared(&xb)?;
        assert_eq!(balances(a)?, [(1, -50)]);
        assert_eq!(balances(b)?, []);
        assert!(!prepared(a)?.contains(&xa) && !prepared(b)?.contains(&xb));
        // Resolving it twice is the server's error, not a silent success.
        assert!(a.connect()?.commit_prepared(&xa).is_err());
        Ok(())
    }

    fn a_dropped_prepared_transaction_is_rolled_back(dbs) {
        let a = &dbs[0];
        create_accounts(a)?;
        let xid = {
            let mut tx = a.begin_twophase(None)?;
            insert_account(&mut tx, 1, 1)?;
            tx.prepare()?;
            assert!(tx.is_prepared());
            tx.xid().to_owned()
        };
        assert!(!prepared(a)?.contains(&xid));
        assert_eq!(balances(a)?, []);
        Ok(())
    }
}

two_phase_tests! {
    fn a_twophase_session_commits_by_preparing_first(dbs) {
        let db = &dbs[0];
        create_accounts(db)?;
        let rec = db.record_statements();
        let s = twophase_session(db);
        s.add_all([Account { id: 1, balance: 10 }, Account { id: 2, balance: 20 }])?;
        s.commit()?;
        let sent: Vec<String> = rec.take().into_iter().filter(|s| !s.starts_with("SET autocommit")).collect();
        let (first, last) = (sent.first().cloned().unwrap_or_default(), sent[sent.len() - 2..].to_vec());
        match db.backend() {
            Backend::Postgres => {
                assert_eq!(first, "BEGIN", "{sent:?}");
                assert!(last[0].starts_with("PREPARE TRANSACTION 'aludel_"), "{sent:?}");
                assert!(last[1].starts_with("COMMIT PREPARED 'aludel_"), "{sent:?}");
            }
            _ => {
                assert!(first.starts_with("XA START 'aludel_"), "{sent:?}");
                assert!(sent[sent.len() - 3].starts_with("XA END"), "{sent:?}");
                assert!(last[0].starts_with("XA PREPARE"), "{sent:?}");
                assert!(last[1].starts_with("XA COMMIT"), "{sent:?}");
            }
        }
        assert_eq!(balances(db)?, [(1, 10), (2, 20)]);
        none_left_prepared(db, &sent)?;
        // The next transaction is two-phase too, with a new id.
        s.get::<Account>(1)?.expect("row").write()?.balance = 11;
        s.commit()?;
        assert_eq!(balances(db)?, [(1, 11), (2, 20)]);
        let second = rec.statements();
        let commits = second.iter().filter(|s| s.contains("COMMIT")).count();
        assert_eq!(commits, 1, "{second:?}");
        none_left_prepared(db, &second)?;
        Ok(())
    }

    fn a_twophase_session_rolls_back_a_failed_flush_and_goes_on(dbs) {
        let db = &dbs[0];
        create_accounts(db)?;
        let rec = db.record_statements();
        let s = twophase_session(db);
        s.add(Account { id: 1, balance: 10 })?;
        s.commit()?;
        s.add(Account { id: 1, balance: 99 })?;
        let err = s.commit().unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "{err:?}");
        assert!(matches!(s.query::<Account>().all(), Err(Error::PendingRollback { .. })));
        s.rollback()?;
        none_left_prepared(db, &rec.statements())?;
        s.add(Account { id: 2, balance: 20 })?;
        s.commit()?;
        assert_eq!(balances(db)?, [(1, 10), (2, 20)]);
        // A rollback of a transaction with work in it ends the two-phase transaction too.
        s.add(Account { id: 3, balance: 30 })?;
        s.flush()?;
        s.rollback()?;
        assert_eq!(balances(db)?, [(1, 10), (2, 20)]);
        none_left_prepared(db, &rec.statements())?;
        Ok(())
    }
}

backend_tests! {
    fn two_phase_needs_a_database_that_has_it_and_a_plain_transaction_id(db) {
        let mut conn = db.connect()?;
        if db.backend() == Backend::Sqlite {
            let s = twophase_session(db);
            let err = s.scalar::<i64>(&text("SELECT 1"), ()).unwrap_err();
            assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
            let err = conn.begin_twophase(None).unwrap_err();
            assert!(matches!(&err, Error::Unsupported { construct, dialect: "sqlite" } if construct == "two-phase commit"), "{err:?}");
            assert!(matches!(conn.recover_twophase(), Err(Error::Unsupported { .. })));
            return Ok(());
        }
        let rec = db.record_statements();
        let err = conn.begin_twophase(Some("x'; DROP TABLE t; --")).unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
        assert!(err.to_string().contains("two-phase transaction id"), "{err}");
        let err = conn.commit_prepared("").unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
        assert_eq!(rec.count(), 0, "nothing reached the server");
        // COMMIT PREPARED inside an open transaction is refused before it is sent.
        conn.begin_transaction()?;
        let err = conn.commit_prepared("some-xid").unwrap_err();
        assert!(err.to_string().contains("cannot run while a transaction is open"), "{err}");
        conn.rollback()?;
        Ok(())
    }
}
