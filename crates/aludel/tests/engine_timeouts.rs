//! Statement and lock timeouts, set per engine and per execution, honoured on every
//! backend: a statement running past its timeout is cancelled with `StatementTimeout`, a
//! lock wait past the lock timeout fails with `LockTimeout`, and the connection stays
//! usable afterwards.

mod common;

use std::time::{Duration, Instant};

use aludel::engine::{Backend, Engine, ExecutionOptions};
use aludel::sql::text;
use aludel::{Connection, DatabaseErrorKind, Error, Result};

use common::TestDb;

/// A statement that runs for about 5 s (SQLite: counts to 10^9, far longer).
fn long(db: &TestDb) -> &'static str {
    match db.backend() {
        Backend::Sqlite => {
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000000) \
             SELECT count(*) FROM c"
        }
        Backend::Postgres => "SELECT 1 FROM pg_sleep(5)",
        // MariaDB's SLEEP() fails with error 1969 when max_statement_time cuts it (checked on
        // 10.11); BENCHMARK() would quietly return 0 instead.
        Backend::MySql => "SELECT SLEEP(5)",
    }
}

/// A statement of about half a second: past a 100 ms timeout, well within 30 s.
fn medium(db: &TestDb) -> &'static str {
    match db.backend() {
        Backend::Sqlite => {
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000000) \
             SELECT count(*) FROM c"
        }
        Backend::Postgres => "SELECT 1 FROM pg_sleep(0.5)",
        Backend::MySql => "SELECT SLEEP(0.5)",
    }
}

fn run(conn: &mut Connection, sql: &str) -> Result<()> {
    conn.execute(&text(sql), ())?;
    Ok(())
}

/// Asserts `result` is a statement timeout, reported as such.
fn assert_statement_timeout(result: Result<()>) {
    let err = result.expect_err("the statement should have been cancelled");
    assert!(matches!(err, Error::Operational(_)), "{err:?}");
    let e = err.database_error().unwrap();
    assert_eq!(e.kind, DatabaseErrorKind::StatementTimeout, "{err}");
    assert!(!err.is_retryable(), "a statement timeout is not retryable");
}

fn select_one(conn: &mut Connection) -> Result<i64> {
    conn.scalar(&text("SELECT 1"), ())
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn lock_table(db: &TestDb) -> Result<Engine> {
    let mut conn = db.connect()?;
    conn.execute(
        &text("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)"),
        (),
    )?;
    conn.execute(
        &text("INSERT INTO accounts (id, balance) VALUES (1, 100)"),
        (),
    )?;
    drop(conn);
    db.builder().lock_timeout(Duration::from_secs(1)).build()
}

backend_tests! {
    fn a_long_statement_is_cut_off_by_the_engine_statement_timeout(db) {
        let engine = db.builder().statement_timeout(millis(200)).build()?;
        let mut conn = engine.connect()?;
        let start = Instant::now();
        assert_statement_timeout(run(&mut conn, long(db)));
        let took = start.elapsed();
        assert!(took < Duration::from_secs(3), "cancelled only after {took:?}");
        // The same connection runs the next statement.
        assert_eq!(select_one(&mut conn)?, 1);
        Ok(())
    }

    fn a_statement_timeout_in_a_transaction_leaves_the_connection_usable_after_rollback(db) {
        let engine = db.builder().statement_timeout(millis(200)).build()?;
        let mut conn = engine.connect()?;
        conn.begin_transaction()?;
        assert_eq!(select_one(&mut conn)?, 1);
        assert_statement_timeout(run(&mut conn, long(db)));
        conn.rollback()?;
        assert_eq!(select_one(&mut conn)?, 1);
        Ok(())
    }

    fn a_per_execution_statement_timeout_beats_the_engine_default(db) {
        let engine = db.builder().statement_timeout(millis(100)).build()?;
        let mut conn = engine.connect()?;
        assert_statement_timeout(run(&mut conn, medium(db)));
        // A longer override lets the same statement finish.
        conn.set_execution_options(ExecutionOptions::default().statement_timeout(Duration::from_secs(30)));
        run(&mut conn, medium(db))?;
        // Without the override the engine's default is back.
        conn.set_execution_options(ExecutionOptions::default());
        assert_statement_timeout(run(&mut conn, medium(db)));

        // A shorter override cuts what the engine's default allows.
        let lenient = db.builder().statement_timeout(Duration::from_secs(30)).build()?;
        let mut conn = lenient.connect()?;
        run(&mut conn, medium(db))?;
        conn.set_execution_options(ExecutionOptions::default().statement_timeout(millis(100)));
        let start = Instant::now();
        assert_statement_timeout(run(&mut conn, long(db)));
        assert!(start.elapsed() < Duration::from_secs(3));
        // Duration::ZERO is no limit.
        conn.set_execution_options(ExecutionOptions::default().statement_timeout(Duration::ZERO));
        run(&mut conn, medium(db))?;
        Ok(())
    }

    fn a_per_execution_timeout_does_not_leak_to_the_next_checkout(db) {
        let engine = db.builder().pool_size(1).max_overflow(0).build()?;
        {
            let mut conn = engine.connect()?;
            conn.set_execution_options(ExecutionOptions::default().statement_timeout(millis(100)));
            assert_statement_timeout(run(&mut conn, medium(db)));
        }
        // The same pooled connection, now without any timeout.
        let mut conn = engine.connect()?;
        run(&mut conn, medium(db))?;
        Ok(())
    }

    fn a_timeout_set_in_a_rolled_back_transaction_is_set_again(db) {
        // PostgreSQL undoes a SET with the transaction it ran in: the connection must not
        // believe the timeout is still in force after the rollback.
        let mut conn = db.connect()?;
        conn.begin_transaction()?;
        assert_eq!(select_one(&mut conn)?, 1);
        conn.set_execution_options(ExecutionOptions::default().statement_timeout(millis(100)));
        assert_eq!(select_one(&mut conn)?, 1); // the SET runs inside the transaction
        conn.rollback()?;
        let start = Instant::now();
        assert_statement_timeout(run(&mut conn, long(db)));
        assert!(start.elapsed() < Duration::from_secs(3));
        Ok(())
    }

    fn a_row_lock_held_by_another_connection_fails_the_waiter_with_lock_timeout(db) {
        let engine = lock_table(db)?;
        let mut holder = engine.connect()?;
        holder.begin_transaction()?;
        run(&mut holder, "UPDATE accounts SET balance = balance - 10 WHERE id = 1")?;
        let mut waiter = engine.connect()?;
        let start = Instant::now();
        let err = run(&mut waiter, "UPDATE accounts SET balance = balance + 10 WHERE id = 1")
            .expect_err("the lock wait should time out");
        let took = start.elapsed();
        assert!(matches!(err, Error::Operational(_)), "{err:?}");
        assert_eq!(err.database_error().unwrap().kind, DatabaseErrorKind::LockTimeout, "{err}");
        assert!(err.is_retryable());
        assert!(took >= millis(800), "gave up after {took:?}, before the 1 s lock timeout");
        assert!(took < Duration::from_secs(4), "waited {took:?} for a 1 s lock timeout");
        // The waiter is usable, and gets the row once the holder is done.
        assert_eq!(select_one(&mut waiter)?, 1);
        holder.rollback()?;
        run(&mut waiter, "UPDATE accounts SET balance = balance + 10 WHERE id = 1")?;
        Ok(())
    }

    fn a_per_execution_lock_timeout_beats_the_engine_default(db) {
        let engine = lock_table(db)?;
        let mut holder = engine.connect()?;
        holder.begin_transaction()?;
        run(&mut holder, "UPDATE accounts SET balance = 0 WHERE id = 1")?;
        let mut waiter = engine.connect()?;
        // MariaDB counts whole seconds: 2.5 s is rounded up to 3 s, never down.
        waiter.set_execution_options(ExecutionOptions::default().lock_timeout(millis(2500)));
        let start = Instant::now();
        let err = run(&mut waiter, "UPDATE accounts SET balance = 1 WHERE id = 1").unwrap_err();
        let took = start.elapsed();
        assert_eq!(err.database_error().unwrap().kind, DatabaseErrorKind::LockTimeout, "{err}");
        assert!(took >= Duration::from_secs(2), "the engine's 1 s applied instead: {took:?}");
        assert!(took < Duration::from_secs(6), "waited {took:?}");
        Ok(())
    }
}

#[test]
fn timeouts_are_url_options_in_milliseconds() -> Result<()> {
    let engine = Engine::builder("sqlite://?statement_timeout=250&lock_timeout=1500").build()?;
    assert_eq!(engine.options().statement_timeout, Some(millis(250)));
    assert_eq!(engine.options().lock_timeout, Some(millis(1500)));
    // The builder's value wins over the URL's.
    let engine = Engine::builder("sqlite://?statement_timeout=250")
        .statement_timeout(millis(10))
        .build()?;
    assert_eq!(engine.options().statement_timeout, Some(millis(10)));
    let err = Engine::builder("sqlite://?statement_timeout=soon")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("statement_timeout"), "{err}");
    // The driver never sees them: the connection opens.
    let engine = Engine::builder("sqlite://?statement_timeout=100").build()?;
    let mut conn = engine.connect()?;
    assert_statement_timeout(run(
        &mut conn,
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c",
    ));
    Ok(())
}

#[derive(aludel::Model, Clone, Debug)]
#[model(table = "slow")]
struct Slow {
    #[column(primary_key)]
    id: i64,
}

/// A WHERE condition that takes as long as `statement`'s sleep.
fn slow_condition(db: &TestDb, long_one: bool) -> String {
    let (sqlite_rows, seconds) = if long_one {
        ("1000000000", "5")
    } else {
        ("3000000", "0.5")
    };
    match db.backend() {
        Backend::Sqlite => format!(
            "(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {sqlite_rows}) \
             SELECT count(*) FROM c) > 0"
        ),
        Backend::Postgres => format!("(SELECT 1 FROM pg_sleep({seconds})) = 1"),
        Backend::MySql => format!("SLEEP({seconds}) = 0"),
    }
}

backend_tests! {
    fn a_query_statement_timeout_holds_for_its_select_only(db) {
        use aludel::orm::{Model, QueryOptions, Session};
        aludel::orm::create_all(db, &[Slow::info()])?;
        let s = Session::new(db);
        s.add(Slow { id: 1 })?;
        s.commit()?;
        let slow = |long_one| text(slow_condition(db, long_one)).into();
        let start = Instant::now();
        let cut = s
            .query::<Slow>()
            .filter(slow(true))
            .execution_options(QueryOptions::new().statement_timeout(millis(200)))
            .all()
            .map(drop);
        assert_statement_timeout(cut);
        assert!(start.elapsed() < Duration::from_secs(3));
        s.rollback()?;
        // The session's next query runs without the timeout.
        assert_eq!(s.query::<Slow>().filter(slow(false)).all()?.len(), 1);
        Ok(())
    }
}

#[test]
fn a_huge_sqlite_busy_timeout_is_clamped_not_a_panic() -> Result<()> {
    let engine = Engine::builder("sqlite://?busy_timeout=99999999999").build()?;
    assert_eq!(select_one(&mut engine.connect()?)?, 1);
    let engine = Engine::builder("sqlite://")
        .lock_timeout(Duration::from_secs(u64::MAX / 4))
        .build()?;
    assert_eq!(select_one(&mut engine.connect()?)?, 1);
    Ok(())
}
