//! Sustained concurrent load: threads move money between 100 accounts through a
//! [`ScopedSession`], each transfer one [`Retry`]-run transaction that also writes a ledger
//! row. Two ways of keeping concurrent transfers apart, each on every backend:
//!
//! - SERIALIZABLE isolation: the ORM reads both accounts and writes them back; the server
//!   aborts the losers (serialization failures, deadlocks) and `Retry` runs them again;
//! - `SELECT ... FOR UPDATE` under the default isolation: both rows are locked, in key order,
//!   before they are changed.
//!
//! Afterwards the total is exactly what it was, every account's balance is its opening
//! balance plus the ledger's movements, the ledger holds one row per transfer (none lost,
//! none applied twice), and every connection is back in the pool. A watchdog fails the test
//! instead of letting a deadlock hang it.
//!
//! The default size keeps CI fast; `ALUDEL_LOAD_FULL=1` runs issue 12's 16 threads × 1,000
//! transactions and `scripts/load.sh` prints the throughput.

mod common;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aludel::engine::{Backend, Engine, IsolationLevel};
use aludel::orm::{Model, Retry, Scope, ScopedSession, Session, SessionMaker, create_all};
use aludel::sql::{LockOptions, text};
use aludel::{Error, Result};

use common::TestDb;
use common::accounts::Account;

/// One committed transfer: the ledger the balances are checked against.
#[derive(aludel::Model, Debug, Clone)]
#[model(table = "ledger")]
struct Ledger {
    #[column(primary_key)]
    id: i64,
    from_id: i64,
    to_id: i64,
    amount: i64,
}

const ACCOUNTS: i64 = 100;
const OPENING_BALANCE: i64 = 10_000;

/// How much load to put on: threads, transactions per thread, and how long they may take.
#[derive(Clone, Copy)]
struct Size {
    threads: usize,
    transactions: usize,
    limit: Duration,
}

/// The size: issue 12's full 16 × 1,000 with `ALUDEL_LOAD_FULL=1`, a CI-sized run otherwise.
fn size() -> Size {
    if std::env::var("ALUDEL_LOAD_FULL").is_ok_and(|v| v == "1") {
        Size {
            threads: 16,
            transactions: 1_000,
            limit: Duration::from_secs(1_800),
        }
    } else {
        Size {
            threads: 6,
            transactions: 25,
            limit: Duration::from_secs(120),
        }
    }
}

/// How a transfer keeps concurrent transfers of the same accounts apart.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Locking {
    /// SERIALIZABLE isolation; the server aborts conflicting transactions.
    Serializable,
    /// `SELECT ... FOR UPDATE` of both accounts, in key order, under the default isolation.
    ForUpdate,
}

/// The accounts, amount and direction of one thread's `n`-th transfer (a fixed
/// pseudo-random sequence per thread, so a run is reproducible).
fn transfer(thread: usize, n: usize) -> (i64, i64, i64) {
    let mut x = (thread as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (n as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    let from = (x % ACCOUNTS as u64) as i64 + 1;
    let to = (from + (x >> 20) as i64 % (ACCOUNTS - 1)) % ACCOUNTS + 1;
    let amount = (x >> 40) as i64 % 500 + 1;
    (from, to, amount)
}

/// One transfer inside the session's transaction: read (and lock) both accounts, move the
/// amount, record it in the ledger. `Retry` flushes and commits.
fn move_money(
    s: &Session,
    backend: Backend,
    locking: Locking,
    (from, to, amount): (i64, i64, i64),
) -> Result<()> {
    if backend == Backend::Postgres {
        // Detect a deadlock in 20 ms rather than the default second.
        s.execute(&text("SET LOCAL deadlock_timeout = '20ms'"), ())?;
    }
    let accounts = match locking {
        Locking::Serializable => [from, to]
            .into_iter()
            .map(|id| s.get::<Account>(id)?.ok_or(Error::NoResultFound))
            .collect::<Result<Vec<_>>>()?,
        Locking::ForUpdate => {
            let locked = s
                .query::<Account>()
                .filter(Account::id.in_([from, to]))
                .order_by(Account::id.asc())
                .with_for_update(LockOptions::update())
                .populate_existing()
                .all()?;
            let pick = |id| {
                locked
                    .iter()
                    .find(|a| a.read().is_ok_and(|a| a.id == id))
                    .cloned()
            };
            vec![
                pick(from).ok_or(Error::NoResultFound)?,
                pick(to).ok_or(Error::NoResultFound)?,
            ]
        }
    };
    accounts[0].write()?.balance -= amount;
    accounts[1].write()?.balance += amount;
    s.add(Ledger {
        id: 0,
        from_id: from,
        to_id: to,
        amount,
    })?;
    Ok(())
}

/// What one load run did.
struct Outcome {
    elapsed: Duration,
    attempts: usize,
}

/// Runs every thread's transfers through one thread-scoped session factory.
fn run_transfers(engine: &Engine, locking: Locking, size: Size) -> Result<Outcome> {
    let scoped = Arc::new(ScopedSession::new(
        SessionMaker::new(engine),
        Scope::thread(),
    ));
    let backend = engine.url().backend();
    let started = Instant::now();
    let workers: Vec<_> = (0..size.threads)
        .map(|thread| {
            let scoped = scoped.clone();
            std::thread::spawn(move || -> Result<usize> {
                let retry =
                    Retry::new(200).pauses(Duration::from_millis(1), Duration::from_millis(50));
                let mut attempts = 0;
                for n in 0..size.transactions {
                    let s = scoped.get()?;
                    retry.run(&s, |s| {
                        attempts += 1;
                        move_money(s, backend, locking, transfer(thread, n))
                    })?;
                }
                scoped.remove()?;
                Ok(attempts)
            })
        })
        .collect();
    let mut attempts = 0;
    for worker in workers {
        attempts += worker
            .join()
            .map_err(|_| invalid("a transfer thread panicked"))??;
    }
    Ok(Outcome {
        elapsed: started.elapsed(),
        attempts,
    })
}

/// Runs `work` on its own thread and fails if it has not finished within `limit`: a
/// deadlock or a lost wake-up fails the test instead of hanging it.
fn within<T: Send + 'static>(
    limit: Duration,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(work());
    });
    finished.recv_timeout(limit).unwrap_or_else(|_| {
        Err(invalid(format!(
            "the load did not finish within {limit:?}: something hangs"
        )))
    })
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidRequest {
        message: message.into(),
    }
}

fn scalar(db: &TestDb, sql: &str) -> Result<i64> {
    db.connect()?.scalar(&text(sql), ())
}

/// Loads the accounts, runs the transfers and checks that nothing was lost or created.
fn balanced_books_under_load(db: &TestDb, locking: Locking) -> Result<()> {
    let size = size();
    let mut builder = db
        .builder()
        .pool_size(size.threads)
        .max_overflow(0)
        .pool_timeout(Duration::from_secs(60));
    if locking == Locking::Serializable {
        builder = builder.isolation_level(IsolationLevel::Serializable);
    }
    let engine = builder.build()?;
    create_all(&engine, &[Account::info(), Ledger::info()])?;
    let s = Session::new(&engine);
    s.add_all((1..=ACCOUNTS).map(|id| Account {
        id,
        balance: OPENING_BALANCE,
    }))?;
    s.commit()?;
    s.close()?;

    let worker_engine = engine.clone();
    let outcome = within(size.limit, move || {
        run_transfers(&worker_engine, locking, size)
    })?;

    let transactions = size.threads * size.transactions;
    eprintln!(
        "{} {locking:?}: {} threads x {} transactions in {:.2} s = {:.0} transactions/s, {} attempts re-run",
        db.backend().name(),
        size.threads,
        size.transactions,
        outcome.elapsed.as_secs_f64(),
        transactions as f64 / outcome.elapsed.as_secs_f64(),
        outcome.attempts - transactions,
    );
    assert_eq!(
        scalar(db, "SELECT sum(balance) FROM accounts")?,
        ACCOUNTS * OPENING_BALANCE,
        "the total is preserved"
    );
    assert_eq!(
        scalar(db, "SELECT count(*) FROM ledger")?,
        transactions as i64,
        "one ledger row per transfer"
    );
    let unexplained = scalar(
        db,
        "SELECT count(*) FROM accounts a WHERE a.balance <> 10000 \
         + (SELECT coalesce(sum(amount), 0) FROM ledger WHERE to_id = a.id) \
         - (SELECT coalesce(sum(amount), 0) FROM ledger WHERE from_id = a.id)",
    )?;
    assert_eq!(
        unexplained, 0,
        "every balance is its opening balance plus its ledger movements"
    );
    let pool = engine.pool_status();
    assert_eq!(
        pool.open - pool.idle,
        0,
        "no connection is left checked out"
    );
    engine.dispose();
    Ok(())
}

backend_tests! {
    fn serializable_transfers_keep_the_books_balanced(db) {
        balanced_books_under_load(db, Locking::Serializable)
    }

    fn select_for_update_transfers_keep_the_books_balanced(db) {
        balanced_books_under_load(db, Locking::ForUpdate)
    }
}

#[test]
fn a_hung_load_fails_the_watchdog_instead_of_the_test_run() {
    let err = within(Duration::from_millis(50), || {
        std::thread::sleep(Duration::from_secs(5));
        Ok(())
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("did not finish within 50ms"),
        "{err}"
    );
}
