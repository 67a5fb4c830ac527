//! The pool on every backend: exhaustion and `pool_timeout`, overflow, pre-ping, recycle,
//! which connection comes back (told apart by a per-connection TEMPORARY table), and how a
//! disconnect invalidates the whole pool.

mod common;

use std::time::{Duration, Instant};

use aludel::engine::Backend;
use aludel::orm::{Model, Session, create_all};
use aludel::sql::{TextClause, text};
use aludel::{Connection, Error, Result, params};
use common::TestDb;

/// Marks `conn` with a temporary table, which only that connection can see.
fn mark(conn: &mut Connection) -> Result<()> {
    conn.execute(&text("CREATE TEMPORARY TABLE marker (x INTEGER)"), ())?;
    Ok(())
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "items")]
struct Item {
    #[column(primary_key)]
    id: i64,
}

/// A statement returning the server's id for the connection (a constant on SQLite).
fn id_sql(db: &TestDb) -> TextClause {
    text(db.pick(
        "SELECT 1",
        "SELECT CAST(pg_backend_pid() AS BIGINT)",
        "SELECT CAST(CONNECTION_ID() AS SIGNED)",
    ))
}

/// Opens `n` connections at once so the pool holds `n` idle ones, then has the server end
/// each of them from an admin connection (as a restart, failover or mass kill would), and
/// returns their server ids. SQLite has no server: nothing dies.
fn fill_pool_then_kill_it(db: &TestDb, engine: &aludel::Engine, n: usize) -> Result<Vec<i64>> {
    let mut conns = (0..n)
        .map(|_| engine.connect())
        .collect::<Result<Vec<_>>>()?;
    let mut ids = Vec::new();
    for conn in &mut conns {
        ids.push(conn.scalar::<i64>(&id_sql(db), ())?);
    }
    drop(conns);
    assert_eq!(
        (engine.pool_status().open, engine.pool_status().idle),
        (n, n)
    );
    let mut admin = db.connect()?;
    for id in &ids {
        match db.backend() {
            Backend::Sqlite => {}
            Backend::Postgres => {
                let sql = text("SELECT pg_terminate_backend(CAST(:pid AS INTEGER), 5000)");
                assert!(admin.scalar::<bool>(&sql, params! { "pid" => *id })?);
            }
            Backend::MySql => admin.execute_script(&format!("KILL {id}"))?,
        }
    }
    Ok(ids)
}

fn is_marked(conn: &mut Connection) -> bool {
    conn.execute(&text("SELECT count(*) FROM marker"), ())
        .is_ok()
}

backend_tests! {
    fn exhausted_pool_fails_with_pool_timeout_after_the_timeout(db) {
        let engine = db.builder().pool_size(1).max_overflow(1).pool_timeout(Duration::from_millis(300)).build()?;
        let c1 = engine.connect()?;
        let c2 = engine.connect()?;
        let started = Instant::now();
        match engine.connect() {
            Err(Error::PoolTimeout { waited, capacity }) => {
                assert_eq!(capacity, 2);
                assert!(waited >= Duration::from_millis(300), "{waited:?}");
                assert!(started.elapsed() < Duration::from_secs(3));
            }
            other => panic!("expected PoolTimeout, got {other:?}"),
        }
        drop(c1);
        drop(c2);
        // The overflow connection was closed on return; one stays pooled.
        let status = engine.pool_status();
        assert_eq!((status.open, status.idle), (1, 1));
        engine.connect()?;
        Ok(())
    }

    fn a_waiting_checkout_gets_the_connection_another_thread_returns(db) {
        let engine = db.builder().pool_size(1).max_overflow(0).pool_timeout(Duration::from_secs(5)).build()?;
        let held = engine.connect()?;
        let e2 = engine.clone();
        let waiter = std::thread::spawn(move || e2.connect().and_then(|mut c| c.scalar::<i64>(&text("SELECT 1"), ())));
        std::thread::sleep(Duration::from_millis(100));
        drop(held);
        let got = waiter.join().map_err(|_| Error::InvalidRequest { message: "waiter panicked".into() })??;
        assert_eq!(got, 1);
        Ok(())
    }

    fn returned_connections_are_reused(db) {
        let engine = db.builder().pool_size(1).build()?;
        let mut conn = engine.connect()?;
        mark(&mut conn)?;
        drop(conn);
        assert!(is_marked(&mut engine.connect()?));
        Ok(())
    }

    fn recycle_replaces_connections_older_than_pool_recycle(db) {
        let engine = db.builder().pool_size(1).pool_recycle(Duration::from_millis(50)).build()?;
        let mut conn = engine.connect()?;
        mark(&mut conn)?;
        drop(conn);
        std::thread::sleep(Duration::from_millis(80));
        assert!(!is_marked(&mut engine.connect()?));
        Ok(())
    }

    fn invalidated_connections_are_not_reused(db) {
        let engine = db.builder().pool_size(1).build()?;
        let mut conn = engine.connect()?;
        mark(&mut conn)?;
        conn.invalidate();
        drop(conn);
        assert_eq!(engine.pool_status().open, 0);
        assert!(!is_marked(&mut engine.connect()?));
        Ok(())
    }

    fn pre_ping_replaces_a_connection_that_died_in_the_pool(db) {
        let engine = db.builder().pool_size(1).pool_pre_ping(true).build()?;
        let mut conn = engine.connect()?;
        mark(&mut conn)?;
        let id_sql = match db.backend() {
            Backend::Sqlite => {
                drop(conn);
                // Nothing can kill an embedded connection: pre-ping must keep it.
                assert!(is_marked(&mut engine.connect()?));
                return Ok(());
            }
            Backend::Postgres => "SELECT pg_backend_pid()",
            Backend::MySql => "SELECT CONNECTION_ID()",
        };
        let id: i64 = conn.scalar(&text(id_sql), ())?;
        drop(conn);
        let mut killer = db.connect()?;
        match db.backend() {
            Backend::Postgres => {
                killer.execute(&text("SELECT pg_terminate_backend(CAST(:pid AS INTEGER), 5000)"), params! { "pid" => id })?;
            }
            _ => killer.execute_script(&format!("KILL {id}"))?,
        }
        let mut conn = engine.connect()?;
        assert_eq!(conn.scalar::<i64>(&text("SELECT 1"), ())?, 1);
        assert_ne!(conn.scalar::<i64>(&text(id_sql), ())?, id);
        Ok(())
    }

    fn a_disconnect_invalidates_the_whole_pool_so_at_most_one_statement_fails(db) {
        let engine = db.builder().pool_size(6).max_overflow(0).build()?;
        let ids = fill_pool_then_kill_it(db, &engine, 6)?;
        let mut failures = Vec::new();
        for _ in 0..6 {
            let mut conn = engine.connect()?;
            match conn.scalar::<i64>(&id_sql(db), ()) {
                Ok(id) if db.backend() != Backend::Sqlite => {
                    assert!(!ids.contains(&id), "killed connection {id} was handed out again");
                }
                Ok(_) => {}
                Err(e) => {
                    assert!(e.is_disconnect(), "only a disconnect may reach the user: {e:?}");
                    assert!(e.to_string().contains("Disconnect"), "the error says the connection was lost: {e}");
                    failures.push(e.to_string());
                }
            }
        }
        assert!(failures.len() <= 1, "one disconnect must invalidate the pool, yet {} statements failed: {failures:?}", failures.len());
        if db.backend() == Backend::Sqlite {
            assert!(failures.is_empty());
            assert_eq!(engine.pool_status().open, 6, "no disconnect, so nothing was replaced");
        }
        Ok(())
    }

    fn after_the_server_killed_every_session_at_most_one_orm_session_fails(db) {
        let engine = db.builder().pool_size(6).max_overflow(0).build()?;
        create_all(&engine, &[Item::info()])?;
        let s = Session::new(&engine);
        s.add(Item { id: 1 })?;
        s.commit()?;
        fill_pool_then_kill_it(db, &engine, 6)?;
        let mut failures = Vec::new();
        for _ in 0..6 {
            let s = Session::new(&engine);
            // Loading objects streams rows, the ORM's main read path.
            match s.query::<Item>().all() {
                Ok(items) => assert_eq!(items.len(), 1),
                Err(e) => {
                    assert!(e.is_disconnect(), "only a disconnect may reach the user: {e:?}");
                    failures.push(e.to_string());
                }
            }
        }
        assert!(failures.len() <= 1, "{} sessions failed: {failures:?}", failures.len());
        Ok(())
    }

    fn with_pre_ping_a_pool_whose_connections_all_died_recovers_without_a_failure(db) {
        // As after a server restart: every pooled connection is dead. Pre-ping finds each
        // one at checkout and replaces it, so no statement and no session sees an error.
        let engine = db.builder().pool_size(6).max_overflow(0).pool_pre_ping(true).build()?;
        create_all(&engine, &[Item::info()])?;
        let s = Session::new(&engine);
        s.add(Item { id: 1 })?;
        s.commit()?;
        let killed = fill_pool_then_kill_it(db, &engine, 6)?;
        let mut seen = Vec::new();
        let mut conns = Vec::new();
        for _ in 0..6 {
            let mut conn = engine.connect()?;
            seen.push(conn.scalar::<i64>(&id_sql(db), ())?);
            conns.push(conn); // held, so each checkout meets another pooled connection
        }
        drop(conns);
        if db.backend() != Backend::Sqlite {
            assert!(seen.iter().all(|id| !killed.contains(id)), "a killed connection was handed out: {seen:?} {killed:?}");
        }
        // The ORM read path too, on a pool killed once more.
        fill_pool_then_kill_it(db, &engine, 6)?;
        let sessions: Vec<Session> = (0..6).map(|_| Session::new(&engine)).collect();
        for s in &sessions {
            // Each session keeps its connection (and transaction) until dropped.
            assert_eq!(s.query::<Item>().all()?.len(), 1);
        }
        drop(sessions);
        let status = engine.pool_status();
        assert_eq!((status.open, status.idle), (6, 6), "the pool is whole again");
        Ok(())
    }

    fn engine_is_shared_across_threads(db) {
        let engine = db.builder().pool_size(2).max_overflow(2).build()?;
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let engine = engine.clone();
                std::thread::spawn(move || -> Result<i64> {
                    let mut conn = engine.connect()?;
                    conn.scalar(&text("SELECT :i"), params! { "i" => i })
                })
            })
            .collect();
        let mut total = 0;
        for h in handles {
            let n: i64 = h.join().map_err(|_| Error::InvalidRequest { message: "thread panicked".into() })??;
            total += n;
        }
        assert_eq!(total, 6);
        assert!(engine.pool_status().open <= 4);
        Ok(())
    }
}

#[test]
fn many_threads_opening_a_new_sqlite_file_at_once_all_connect() {
    // Each new connection switches the file to WAL, which takes a lock: the others must
    // wait for it (busy timeout), never fail with "database is locked".
    for round in 0..5 {
        let path = std::env::temp_dir().join(format!(
            "aludel-open-race-{}-{round}.db",
            std::process::id()
        ));
        let url = format!("sqlite:///{}", path.display());
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(16));
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let (url, barrier) = (url.clone(), barrier.clone());
                std::thread::spawn(move || -> Result<i64> {
                    let engine = aludel::create_engine(&url)?;
                    barrier.wait();
                    engine.connect()?.scalar(&text("SELECT 1"), ())
                })
            })
            .collect();
        for h in handles {
            let one = h.join().expect("thread").expect("connects");
            assert_eq!(one, 1);
        }
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
    }
}
