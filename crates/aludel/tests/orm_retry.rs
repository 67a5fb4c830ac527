//! `Retry` on every backend: work re-run after deadlocks and lost connections, never after
//! a COMMIT whose outcome is unknown, and concurrent transfers that keep the books balanced.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aludel::engine::Backend;
use aludel::orm::{Model, Retry, Session, create_all};
use aludel::sql::{Expr, literal_column, text, update};
use aludel::{Error, Result};

use common::TestDb;
use common::accounts::Account;

fn total(db: &TestDb) -> Result<i64> {
    db.connect()?
        .scalar(&text("SELECT coalesce(sum(balance), 0) FROM accounts"), ())
}

fn rows(db: &TestDb) -> Result<i64> {
    db.connect()?
        .scalar(&text("SELECT count(*) FROM accounts"), ())
}

/// Kills the session's own connection from another one, as a server restart would.
fn kill_own_connection(db: &TestDb, s: &Session) -> Result<()> {
    let mut admin = db.connect()?;
    match db.backend() {
        Backend::Postgres => {
            let pid: i64 = s.scalar(&text("SELECT pg_backend_pid()"), ())?;
            admin.execute(&text(format!("SELECT pg_terminate_backend({pid})")), ())?;
        }
        Backend::MySql => {
            let id: i64 = s.scalar(&text("SELECT CONNECTION_ID()"), ())?;
            admin.execute(&text(format!("KILL {id}")), ())?;
        }
        Backend::Sqlite => unreachable!("SQLite has no server connection to kill"),
    }
    Ok(())
}

fn quick() -> Retry {
    Retry::new(5).pauses(Duration::from_millis(1), Duration::from_millis(20))
}

backend_tests! {
    fn work_is_rerun_after_the_connection_is_lost_before_commit(db) {
        if db.backend() == Backend::Sqlite {
            return Ok(()); // no server connection to lose
        }
        create_all(db, &[Account::info()])?;
        let s = Session::new(db);
        let mut calls = 0;
        quick().run(&s, |s| {
            calls += 1;
            if calls == 1 {
                // Before any write: the INSERT below meets the dead connection.
                kill_own_connection(db, s)?;
            }
            s.add(Account { id: 1, balance: 100 })?;
            Ok(())
        })?;
        assert_eq!(calls, 2, "the lost connection made the first attempt fail");
        assert_eq!(rows(db)?, 1, "written exactly once");
        Ok(())
    }

    fn a_connection_lost_during_commit_is_reported_and_not_retried(db) {
        if db.backend() == Backend::Sqlite {
            return Ok(());
        }
        create_all(db, &[Account::info()])?;
        let s = Session::new(db);
        let mut calls = 0;
        let err = quick()
            .run(&s, |s| {
                calls += 1;
                s.add(Account { id: 1, balance: 100 })?;
                s.flush()?;
                // The work is on the server; the connection dies before COMMIT arrives.
                kill_own_connection(db, s)
            })
            .unwrap_err();
        assert!(matches!(err, Error::CommitOutcomeUnknown { .. }), "{err}");
        assert!(err.to_string().contains("may or may not have been committed"), "{err}");
        assert_eq!(calls, 1, "never re-run after an ambiguous COMMIT");
        assert_eq!(rows(db)?, 0);
        // The session works again.
        s.add(Account { id: 2, balance: 5 })?;
        s.commit()?;
        assert_eq!(rows(db)?, 1);
        Ok(())
    }

    fn errors_that_retrying_cannot_fix_are_returned_at_once(db) {
        create_all(db, &[Account::info()])?;
        let s = Session::new(db);
        s.add(Account { id: 1, balance: 1 })?;
        s.commit()?;
        let mut calls = 0;
        let err = quick()
            .run(&s, |s| {
                calls += 1;
                s.add(Account { id: 1, balance: 2 })?; // a duplicate key
                Ok(())
            })
            .unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "{err}");
        assert_eq!(calls, 1);
        // Work in progress would be lost by a retry's rollback: refused up front.
        s.add(Account { id: 3, balance: 3 })?;
        let refused = quick().run(&s, |_| Ok(())).unwrap_err();
        assert!(refused.to_string().contains("nothing pending"), "{refused}");
        Ok(())
    }

    fn concurrent_transfers_with_deadlocks_keep_the_books_balanced(db) {
        // 8 threads move money between 10 accounts, locking the two rows in whatever order
        // the transfer names them: on the servers that deadlocks now and then, and Retry
        // runs the loser again. Nothing may be lost or created.
        const ACCOUNTS: i64 = 10;
        const THREADS: usize = 8;
        const TRANSFERS: usize = 60;
        create_all(db, &[Account::info()])?;
        let s = Session::new(db);
        s.add_all((1..=ACCOUNTS).map(|id| Account { id, balance: 1_000 }))?;
        s.commit()?;
        let attempts = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let engine = (**db).clone();
                let attempts = attempts.clone();
                let postgres = db.backend() == Backend::Postgres;
                std::thread::spawn(move || -> Result<()> {
                    let s = Session::new(&engine);
                    let table = &Account::info().table;
                    let mut seed = t as u64 * 7919 + 1;
                    for _ in 0..TRANSFERS {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        let from = (seed >> 33) as i64 % ACCOUNTS + 1;
                        let to = (from + (seed >> 40) as i64 % (ACCOUNTS - 1)) % ACCOUNTS + 1;
                        let amount = (seed >> 50) as i64 % 50 + 1;
                        Retry::new(50).pauses(Duration::from_millis(1), Duration::from_millis(50)).run(&s, |s| {
                            attempts.fetch_add(1, Ordering::Relaxed);
                            if postgres {
                                // Detect deadlocks in 20 ms instead of the default second.
                                s.execute(&text("SET LOCAL deadlock_timeout = '20ms'"), ())?;
                            }
                            let balance = || literal_column("balance");
                            s.execute(&update(table).set("balance", balance() - Expr::from(amount)).where_(Account::id.eq(from)), ())?;
                            s.execute(&update(table).set("balance", balance() + Expr::from(amount)).where_(Account::id.eq(to)), ())?;
                            Ok(())
                        })?;
                    }
                    s.close()
                })
            })
            .collect();
        for w in workers {
            w.join().expect("worker")?;
        }
        let elapsed = started.elapsed();
        let transfers = THREADS * TRANSFERS;
        let tried = attempts.load(Ordering::Relaxed);
        eprintln!(
            "{}: {transfers} transfers in {elapsed:?} ({:.0}/s), {} retried",
            db.backend().name(),
            transfers as f64 / elapsed.as_secs_f64(),
            tried - transfers
        );
        assert_eq!(total(db)?, ACCOUNTS * 1_000, "the books balance");
        assert!(tried >= transfers);
        let pool = db.pool_status();
        assert_eq!(pool.open, pool.idle, "every connection went back to the pool");
        Ok(())
    }
}
