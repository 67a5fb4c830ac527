//! Round trips on every backend, counted (never timed): a transaction reaches the server
//! with its first statement, one that ran nothing sends neither BEGIN nor COMMIT/ROLLBACK,
//! and the work still commits, rolls back, nests and isolates as before.
//!
//! Counts come from [`Engine::round_trips`] (commands the driver sends and waits for;
//! SQLite runs in-process and counts none) and the statement recorder.

mod common;

use aludel::engine::{Backend, Engine, IsolationLevel};
use aludel::orm::{Model, Session, create_all};
use aludel::sql::text;
use aludel::{Result, params};

use common::TestDb;

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "items")]
struct Item {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    #[column(max_len = 20)]
    name: String,
}

/// An engine on the test database with one pooled connection, so every session and
/// connection below reuses it (and its prepared statements).
fn one_connection(db: &TestDb) -> Result<Engine> {
    create_all(db, &[Item::info()])?;
    db.builder().pool_size(1).max_overflow(0).build()
}

fn count_items(engine: &Engine) -> Result<i64> {
    engine
        .connect()?
        .scalar(&text("SELECT count(*) FROM items"), ())
}

/// Round trips one `Session::get` in a fresh, closed session costs. PostgreSQL: one, the
/// SELECT with its BEGIN ahead of it; the ROLLBACK at `close()` is written without waiting
/// and its answer read with the next SELECT's. MySQL: the SELECT (autocommit is off, so it
/// begins the transaction) and the ROLLBACK, whose answer its client must wait for. SQLite
/// has no server.
fn trips_per_get(db: &TestDb) -> u64 {
    match db.backend() {
        Backend::Sqlite => 0,
        Backend::Postgres => 1,
        Backend::MySql => 2,
    }
}

backend_tests! {
    fn gets_in_fresh_sessions_cost_only_the_select_and_the_end(db) {
        let engine = one_connection(db)?;
        let s = Session::new(&engine);
        s.add(Item { id: 1, name: "one".into() })?;
        s.commit()?;
        // Warm up: the SELECT is prepared once per connection.
        Session::new(&engine).get::<Item>(1)?;
        let rec = engine.record_statements();
        let before = engine.round_trips();
        for _ in 0..100 {
            let s = Session::new(&engine);
            assert!(s.get::<Item>(1)?.is_some());
            s.close()?;
        }
        let trips = engine.round_trips() - before;
        assert_eq!(trips, 100 * trips_per_get(db), "{:?}", &rec.statements()[..3]);
        let one_get: Vec<String> = rec.statements()[..db.pick("3", "3", "2").parse().expect("n")].to_vec();
        let select = db.pick(
            "SELECT items.id, items.name FROM items WHERE items.id = ?",
            "SELECT items.id, items.name FROM items WHERE items.id = $1",
            "SELECT items.id, items.name FROM items WHERE items.id = ?",
        );
        let expected: Vec<&str> = match db.backend() {
            Backend::MySql => vec![select, "ROLLBACK"],
            _ => vec!["BEGIN", select, "ROLLBACK"],
        };
        assert_eq!(one_get, expected);
        Ok(())
    }

    fn a_transaction_that_runs_nothing_sends_nothing(db) {
        let engine = one_connection(db)?;
        // Open the connection first: its handshake is not what is measured.
        engine.connect()?.ping()?;
        let rec = engine.record_statements();
        let before = engine.round_trips();
        engine.begin()?.commit()?;
        engine.begin()?.rollback()?;
        drop(engine.begin()?);
        let mut conn = engine.connect()?;
        conn.begin_transaction()?;
        conn.commit()?;
        conn.begin_transaction()?;
        drop(conn); // returned to the pool with a transaction that never began
        let s = Session::from_connection(engine.connect()?, Default::default());
        s.commit()?;
        s.close()?;
        drop(s);
        let s = Session::new(&engine);
        s.add(Item { id: 1, name: "gone".into() })?;
        s.close()?; // nothing was flushed: nothing to roll back
        assert_eq!(rec.statements(), Vec::<String>::new());
        assert_eq!(engine.round_trips() - before, 0, "no BEGIN, COMMIT or ROLLBACK, not even at checkin");
        Ok(())
    }

    fn a_session_that_ran_nothing_sends_no_rollback_at_close(db) {
        let engine = one_connection(db)?;
        let s = Session::new(&engine);
        s.add(Item { id: 1, name: "one".into() })?;
        s.commit()?;
        let before = engine.round_trips();
        let rec = engine.record_statements();
        let s = Session::new(&engine);
        let item = s.add(Item { id: 2, name: "two".into() })?;
        s.expunge(&item)?;
        s.commit()?;
        s.close()?;
        assert_eq!(rec.count(), 0, "{:?}", rec.statements());
        assert_eq!(engine.round_trips(), before);
        Ok(())
    }

    fn rollback_after_a_write_still_discards_it(db) {
        let engine = one_connection(db)?;
        let mut conn = engine.connect()?;
        let mut tx = conn.begin()?;
        tx.execute(&text("INSERT INTO items (id, name) VALUES (1, 'a')"), ())?;
        tx.rollback()?;
        drop(conn);
        assert_eq!(count_items(&engine)?, 0);
        let s = Session::new(&engine);
        s.add(Item { id: 2, name: "b".into() })?;
        s.flush()?;
        s.rollback()?;
        s.close()?;
        assert_eq!(count_items(&engine)?, 0);
        let s = Session::new(&engine);
        s.add(Item { id: 3, name: "c".into() })?;
        s.flush()?;
        s.close()?; // closing rolls back the flushed INSERT
        assert_eq!(count_items(&engine)?, 0);
        let mut conn = engine.connect()?;
        conn.begin_transaction()?;
        conn.execute(&text("INSERT INTO items (id, name) VALUES (4, 'd')"), ())?;
        drop(conn); // the pool rolls back what was left open
        assert_eq!(count_items(&engine)?, 0);
        let s = Session::new(&engine);
        s.add(Item { id: 5, name: "e".into() })?;
        s.commit()?;
        assert_eq!(count_items(&engine)?, 1);
        Ok(())
    }

    fn a_rollback_frees_the_rows_it_locked_before_anyone_reads_its_answer(db) {
        // PostgreSQL writes ROLLBACK without waiting for its answer: the server must still
        // end the transaction at once, so another connection can write the row it locked
        // while this connection sits unused, and this one works afterwards.
        let engine = one_connection(db)?;
        engine.connect()?.execute(&text("INSERT INTO items (id, name) VALUES (1, 'a')"), ())?;
        let mut conn = engine.connect()?;
        conn.begin_transaction()?;
        conn.execute(&text("UPDATE items SET name = 'locked' WHERE id = 1"), ())?;
        let before = engine.round_trips();
        conn.rollback()?;
        let rollback_trips = engine.round_trips() - before;
        assert_eq!(rollback_trips, db.pick("0", "0", "1").parse::<u64>().expect("n"));
        let other = db.builder().build()?;
        let mut writer = other.connect()?;
        // Without the ROLLBACK at the server this UPDATE would wait for the row lock and
        // fail after a second instead.
        writer.execute_script(db.pick(
            "PRAGMA busy_timeout = 1000",
            "SET lock_timeout = '1s'",
            "SET SESSION innodb_lock_wait_timeout = 1",
        ))?;
        let updated = writer.execute(&text("UPDATE items SET name = 'other' WHERE id = 1"), ())?;
        assert_eq!(updated.rows_affected(), 1);
        drop(writer);
        let name: String = conn.scalar(&text("SELECT name FROM items WHERE id = 1"), ())?;
        assert_eq!(name, "other", "the rolled-back UPDATE left nothing behind");
        Ok(())
    }

    fn a_flush_of_changed_objects_costs_a_round_trip_per_row_at_most(db) {
        // The unit of work's UPDATEs of one shape go to the driver as one executemany,
        // prepared once: PostgreSQL pipelines them (one round trip), MySQL's client sends
        // one at a time (one per row, as the raw driver's `exec_batch`). Then the COMMIT.
        let engine = one_connection(db)?;
        let s = Session::new(&engine);
        s.add_all((1..=50).map(|id| Item { id, name: format!("n{id}") }))?;
        s.commit()?;
        let s = Session::new(&engine);
        let items = s.query::<Item>().all()?;
        for item in &items {
            item.write()?.name.push('!');
        }
        let before = engine.round_trips();
        s.commit()?;
        let expected: u64 = db.pick("0", "3", "52").parse().expect("n");
        assert_eq!(engine.round_trips() - before, expected, "prepare, UPDATEs, COMMIT");
        Ok(())
    }

    fn a_failing_first_statement_leaves_a_transaction_that_still_ends_cleanly(db) {
        // The first statement carries the BEGIN (PostgreSQL pipelines them); when it fails,
        // at the server or before it reached the server, the transaction still rolls back
        // and the connection goes on working.
        let engine = one_connection(db)?;
        engine.connect()?.execute(&text("INSERT INTO items (id, name) VALUES (1, 'a')"), ())?;
        for bad in ["INSERT INTO items (id, name) VALUES (1, 'dup')", "SELEC nothing FROM items"] {
            let mut tx = engine.begin()?;
            assert!(tx.execute(&text(bad), ()).is_err());
            tx.rollback()?;
            let mut tx = engine.begin()?;
            assert!(tx.execute(&text(bad), ()).is_err());
            drop(tx); // rolled back by the guard
            let mut tx = engine.begin()?;
            assert!(tx.execute(&text(bad), ()).is_err());
            if db.backend() != Backend::Postgres {
                // PostgreSQL refuses anything but a rollback after an error.
                tx.execute(&text("INSERT INTO items (id, name) VALUES (2, 'b')"), ())?;
            }
            tx.rollback()?;
            assert_eq!(count_items(&engine)?, 1);
        }
        let mut tx = engine.begin()?;
        tx.execute(&text("INSERT INTO items (id, name) VALUES (3, 'c')"), ())?;
        tx.commit()?;
        assert_eq!(count_items(&engine)?, 2);
        Ok(())
    }

    fn statements_on_an_invalidated_connection_stay_in_its_open_transaction(db) {
        // invalidate() ends the transaction for the Connection, but the server's is still
        // open until the connection is closed; later statements must not commit it (on
        // MySQL, switching autocommit back on would).
        let engine = one_connection(db)?;
        let mut conn = engine.connect()?;
        conn.begin_transaction()?;
        conn.execute(&text("INSERT INTO items (id, name) VALUES (1, 'a')"), ())?;
        conn.invalidate();
        conn.execute(&text("INSERT INTO items (id, name) VALUES (2, 'b')"), ())?;
        drop(conn); // closed, not pooled: the server discards the transaction
        assert_eq!(count_items(&engine)?, 0);
        Ok(())
    }

    fn statements_outside_a_transaction_commit_on_their_own_between_sessions(db) {
        // One connection alternates between sessions (transactions) and plain statements;
        // each plain statement is visible at once to another engine's connection.
        let engine = one_connection(db)?;
        let other = db.builder().build()?;
        for i in 0..3 {
            let s = Session::new(&engine);
            s.add(Item { id: 10 + i, name: "tx".into() })?;
            s.flush()?;
            s.rollback()?;
            s.close()?;
            let mut conn = engine.connect()?;
            conn.execute(&text("INSERT INTO items (id, name) VALUES (:id, 'plain')"), params! { "id" => i })?;
            assert_eq!(count_items(&other)?, i + 1, "a statement outside a transaction commits");
            drop(conn);
        }
        let s = Session::new(&engine);
        assert_eq!(s.query::<Item>().count()?, 3);
        s.close()?;
        Ok(())
    }

    fn savepoints_work_when_they_begin_the_transaction(db) {
        let engine = one_connection(db)?;
        let mut conn = engine.connect()?;
        let mut tx = conn.begin()?;
        {
            let mut sp = tx.begin_nested()?; // the first statement of the transaction
            sp.execute(&text("INSERT INTO items (id, name) VALUES (1, 'a')"), ())?;
            sp.rollback()?;
        }
        {
            let mut sp = tx.begin_nested()?;
            sp.execute(&text("INSERT INTO items (id, name) VALUES (2, 'b')"), ())?;
            sp.commit()?;
        }
        tx.commit()?;
        drop(conn);
        let s = Session::new(&engine);
        let sp = s.begin_nested()?;
        s.add(Item { id: 3, name: "c".into() })?;
        sp.rollback()?;
        s.add(Item { id: 4, name: "d".into() })?;
        s.commit()?;
        let ids: Vec<i64> = s.query::<Item>().all()?.iter().map(|i| i.read().map(|i| i.id)).collect::<Result<_>>()?;
        let mut ids = ids;
        ids.sort();
        assert_eq!(ids, vec![2, 4]);
        Ok(())
    }

    fn isolation_levels_apply_to_the_transaction_begun_by_its_first_statement(db) {
        let levels: &[IsolationLevel] = match db.backend() {
            Backend::Sqlite => &[IsolationLevel::ReadUncommitted, IsolationLevel::Serializable],
            _ => &[IsolationLevel::ReadCommitted, IsolationLevel::RepeatableRead, IsolationLevel::Serializable],
        };
        create_all(db, &[Item::info()])?;
        for level in levels {
            let engine = db.builder().pool_size(1).max_overflow(0).isolation_level(*level).build()?;
            let s = Session::new(&engine);
            s.add(Item { id: 1, name: "a".into() })?;
            s.flush()?;
            // Read back inside the transaction the INSERT began.
            let current = match db.backend() {
                Backend::Postgres => s.scalar::<String>(&text("SHOW transaction_isolation"), ())?,
                Backend::MySql => s.scalar::<String>(&text("SELECT @@session.tx_isolation"), ())?,
                Backend::Sqlite => {
                    let uncommitted: i64 = s.scalar(&text("PRAGMA read_uncommitted"), ())?;
                    if uncommitted == 1 { "read uncommitted".into() } else { "serializable".into() }
                }
            };
            assert_eq!(IsolationLevel::parse(&current), Some(*level));
            s.rollback()?;
            let mut conn = engine.connect()?;
            conn.begin_transaction()?;
            conn.execute(&text("SELECT count(*) FROM items"), ())?;
            assert_eq!(conn.isolation_level()?, *level);
        }
        // AUTOCOMMIT: the "transaction" never reaches the server; each statement commits.
        let engine = db.builder().isolation_level(IsolationLevel::Autocommit).build()?;
        let mut tx = engine.begin()?;
        tx.execute(&text("INSERT INTO items (id, name) VALUES (7, 'auto')"), ())?;
        assert_eq!(count_items(db)?, 1, "visible before the commit");
        tx.rollback()?;
        assert_eq!(count_items(db)?, 1);
        Ok(())
    }
}
