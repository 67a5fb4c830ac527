//! Connections and transactions on every backend: execute, parameters, executemany,
//! scalar, typed round trips, commit/rollback, savepoints, isolation levels, the statement
//! recorder, hostile values.

mod common;

use aludel::engine::{Backend, IsolationLevel};
use aludel::sql::{Value, text};
use aludel::{Error, Result, params};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::Decimal;

use common::TestDb;

fn create_items(db: &TestDb) -> Result<()> {
    db.connect()?.execute(
        &text("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(200), qty INTEGER)"),
        (),
    )?;
    Ok(())
}

fn count(db: &TestDb) -> Result<i64> {
    db.connect()?
        .scalar(&text("SELECT count(*) FROM items"), ())
}

backend_tests! {
    fn execute_binds_params_and_reports_rows_affected(db) {
        create_items(db)?;
        let mut conn = db.connect()?;
        let r = conn.execute(
            &text("INSERT INTO items (id, name, qty) VALUES (:id, :name, :qty)"),
            params! { "id" => 1, "name" => "bolt", "qty" => 10 },
        )?;
        assert_eq!(r.rows_affected(), 1);
        assert!(r.keys().is_empty());
        let r = conn.execute(&text("UPDATE items SET qty = qty + :d WHERE id = :id"), params! { "d" => 5, "id" => 1 })?;
        assert_eq!(r.rows_affected(), 1);
        // Rows matched, not rows changed, on every backend (MySQL needs CLIENT_FOUND_ROWS).
        let r = conn.execute(&text("UPDATE items SET name = :n WHERE id = :id"), params! { "n" => "bolt", "id" => 1 })?;
        assert_eq!(r.rows_affected(), 1);
        let row = conn.execute(&text("SELECT name, qty FROM items WHERE id = :id"), params! { "id" => 1 })?.one()?;
        assert_eq!(row.get::<String>("name")?, "bolt");
        assert_eq!(row.get::<i64>("qty")?, 15);
        Ok(())
    }

    fn execute_many_runs_one_statement_per_parameter_set(db) {
        create_items(db)?;
        let rec = db.record_statements();
        let mut conn = db.connect()?;
        let sets: Vec<_> = (1..=50).map(|i| params! { "id" => i, "name" => format!("n{i}"), "qty" => i * 2 }).collect();
        let n = conn.execute_many(&text("INSERT INTO items (id, name, qty) VALUES (:id, :name, :qty)"), &sets)?;
        assert_eq!(n, 50);
        assert_eq!(rec.count(), 1, "{:?}", rec.statements());
        let total: i64 = conn.scalar(&text("SELECT sum(qty) FROM items"), ())?;
        assert_eq!(total, 2550);
        Ok(())
    }

    fn scalar_converts_and_handles_no_row(db) {
        create_items(db)?;
        let mut conn = db.connect()?;
        assert_eq!(conn.scalar::<i64>(&text("SELECT count(*) FROM items"), ())?, 0);
        let none: Option<String> = conn.scalar(&text("SELECT name FROM items WHERE id = :id"), params! { "id" => 9 })?;
        assert_eq!(none, None);
        let err = conn.scalar::<String>(&text("SELECT name FROM items WHERE id = :id"), params! { "id" => 9 });
        assert!(matches!(err, Err(Error::NoResultFound)), "{err:?}");
        Ok(())
    }

    fn every_value_kind_round_trips_through_a_table(db) {
        let ddl = db.pick(
            "CREATE TABLE vals (id INTEGER PRIMARY KEY, c_bool BOOLEAN, c_int BIGINT, c_float DOUBLE, c_text TEXT, c_bytes BLOB, c_date DATE, c_time TIME, c_dt DATETIME, c_dtu DATETIME, c_dec TEXT, c_uuid CHAR(36), c_json JSON)",
            "CREATE TABLE vals (id INTEGER PRIMARY KEY, c_bool BOOLEAN, c_int BIGINT, c_float DOUBLE PRECISION, c_text TEXT, c_bytes BYTEA, c_date DATE, c_time TIME, c_dt TIMESTAMP, c_dtu TIMESTAMPTZ, c_dec NUMERIC(20, 6), c_uuid UUID, c_json JSONB)",
            "CREATE TABLE vals (id INTEGER PRIMARY KEY, c_bool BOOLEAN, c_int BIGINT, c_float DOUBLE, c_text TEXT, c_bytes BLOB, c_date DATE, c_time TIME(6), c_dt DATETIME(6), c_dtu DATETIME(6), c_dec DECIMAL(20, 6), c_uuid CHAR(36), c_json JSON)",
        );
        let mut conn = db.connect()?;
        conn.execute(&text(ddl), ())?;
        let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let time = NaiveTime::from_hms_micro_opt(13, 14, 15, 123_456).unwrap();
        let dt = NaiveDateTime::new(date, time);
        let dtu = Utc.from_utc_datetime(&dt);
        let dec: Decimal = "12345.678901".parse().unwrap();
        let uuid = uuid::Uuid::parse_str("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        let json = serde_json::json!({"a": [1, 2, {"b": null}], "c": "d"});
        let bytes = vec![0u8, 1, 2, 255, 254];
        conn.execute(
            &text("INSERT INTO vals VALUES (:id, :b, :i, :f, :t, :by, :d, :tm, :dt, :dtu, :dec, :u, :j)"),
            params! {
                "id" => 1, "b" => true, "i" => i64::MIN + 1, "f" => 1.5_f64, "t" => "héllo ✓",
                "by" => bytes.clone(), "d" => date, "tm" => time, "dt" => dt, "dtu" => dtu,
                "dec" => dec, "u" => uuid, "j" => json.clone(),
            },
        )?;
        conn.execute(&text("INSERT INTO vals (id) VALUES (2)"), ())?;
        let row = conn.execute(&text("SELECT * FROM vals WHERE id = 1"), ())?.one()?;
        assert!(row.get::<bool>("c_bool")?);
        assert_eq!(row.get::<i64>("c_int")?, i64::MIN + 1);
        assert_eq!(row.get::<f64>("c_float")?, 1.5);
        assert_eq!(row.get::<String>("c_text")?, "héllo ✓");
        assert_eq!(row.get::<Vec<u8>>("c_bytes")?, bytes);
        assert_eq!(row.get::<NaiveDate>("c_date")?, date);
        assert_eq!(row.get::<NaiveTime>("c_time")?, time);
        assert_eq!(row.get::<NaiveDateTime>("c_dt")?, dt);
        assert_eq!(row.get::<chrono::DateTime<Utc>>("c_dtu")?, dtu);
        assert_eq!(row.get::<Decimal>("c_dec")?, dec);
        assert_eq!(row.get::<uuid::Uuid>("c_uuid")?, uuid);
        assert_eq!(row.get::<serde_json::Value>("c_json")?, json);
        let nulls = conn.execute(&text("SELECT * FROM vals WHERE id = 2"), ())?.one()?;
        for (name, value) in nulls.as_map().into_iter().skip(1) {
            assert_eq!(value, &Value::Null, "{name}");
        }
        assert_eq!(nulls.get::<Option<NaiveDate>>("c_date")?, None);
        Ok(())
    }

    fn commit_keeps_and_rollback_discards(db) {
        create_items(db)?;
        let mut conn = db.connect()?;
        conn.begin_transaction()?;
        conn.execute(&text("INSERT INTO items (id) VALUES (1)"), ())?;
        conn.commit()?;
        conn.begin_transaction()?;
        conn.execute(&text("INSERT INTO items (id) VALUES (2)"), ())?;
        assert!(conn.in_transaction());
        conn.rollback()?;
        assert!(!conn.in_transaction());
        drop(conn);
        assert_eq!(count(db)?, 1);
        Ok(())
    }

    fn dropped_transaction_guard_rolls_back(db) {
        create_items(db)?;
        {
            let mut conn = db.connect()?;
            let mut tx = conn.begin()?;
            tx.execute(&text("INSERT INTO items (id) VALUES (1)"), ())?;
        }
        assert_eq!(count(db)?, 0);
        let mut tx = db.begin()?;
        tx.execute(&text("INSERT INTO items (id) VALUES (2)"), ())?;
        tx.commit()?;
        assert_eq!(count(db)?, 1);
        Ok(())
    }

    fn returning_a_connection_with_an_open_transaction_rolls_it_back(db) {
        create_items(db)?;
        let mut conn = db.connect()?;
        conn.begin_transaction()?;
        conn.execute(&text("INSERT INTO items (id) VALUES (1)"), ())?;
        drop(conn);
        assert_eq!(count(db)?, 0);
        if db.backend() == Backend::Sqlite {
            // A BEGIN sent as plain SQL is seen too where the driver can tell.
            let mut conn = db.connect()?;
            conn.execute_script("BEGIN; INSERT INTO items (id) VALUES (2);")?;
            drop(conn);
            assert_eq!(count(db)?, 0);
        }
        Ok(())
    }

    fn savepoint_rollback_keeps_the_outer_work(db) {
        create_items(db)?;
        let mut conn = db.connect()?;
        let mut tx = conn.begin()?;
        tx.execute(&text("INSERT INTO items (id) VALUES (1)"), ())?;
        {
            let mut sp = tx.begin_nested()?;
            sp.execute(&text("INSERT INTO items (id) VALUES (2)"), ())?;
            sp.rollback()?;
        }
        {
            let mut sp = tx.begin_nested()?;
            sp.execute(&text("INSERT INTO items (id) VALUES (3)"), ())?;
            sp.commit()?;
        }
        {
            let mut sp = tx.begin_nested()?;
            sp.execute(&text("INSERT INTO items (id) VALUES (4)"), ())?;
        } // dropped: rolled back to the savepoint
        tx.savepoint("manual")?;
        tx.execute(&text("INSERT INTO items (id) VALUES (5)"), ())?;
        tx.rollback_to_savepoint("manual")?;
        tx.release_savepoint("manual")?;
        tx.commit()?;
        let ids: Vec<i64> = conn
            .execute(&text("SELECT id FROM items ORDER BY id"), ())?
            .into_iter()
            .map(|r| r.get(0))
            .collect::<Result<_>>()?;
        assert_eq!(ids, vec![1, 3]);
        Ok(())
    }

    fn isolation_level_is_applied_and_read_back_from_the_server(db) {
        let engine = db.builder().pool_size(1).max_overflow(0).build()?;
        let mut conn = engine.connect()?;
        let levels: &[IsolationLevel] = match db.backend() {
            Backend::Sqlite => &[IsolationLevel::ReadUncommitted, IsolationLevel::Serializable],
            _ => &[
                IsolationLevel::ReadUncommitted,
                IsolationLevel::ReadCommitted,
                IsolationLevel::RepeatableRead,
                IsolationLevel::Serializable,
            ],
        };
        let default = conn.isolation_level()?;
        for level in levels {
            conn.set_isolation_level(*level)?;
            assert_eq!(conn.isolation_level()?, *level);
        }
        if db.backend() == Backend::Sqlite {
            let err = conn.set_isolation_level(IsolationLevel::ReadCommitted).unwrap_err();
            assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        }
        drop(conn);
        // Returned to the pool: the level is reset for the next user.
        let mut conn = engine.connect()?;
        assert_eq!(conn.isolation_level()?, default);
        let engine = db.builder().isolation_level(IsolationLevel::Serializable).build()?;
        assert_eq!(engine.connect()?.isolation_level()?, IsolationLevel::Serializable);
        Ok(())
    }

    fn autocommit_isolation_sends_no_begin(db) {
        create_items(db)?;
        let engine = db.builder().isolation_level(IsolationLevel::Autocommit).build()?;
        let rec = engine.record_statements();
        let mut conn = engine.connect()?;
        assert_eq!(conn.isolation_level()?, IsolationLevel::Autocommit);
        conn.begin_transaction()?;
        conn.execute(&text("INSERT INTO items (id) VALUES (1)"), ())?;
        conn.rollback()?;
        assert_eq!(rec.statements(), vec!["INSERT INTO items (id) VALUES (1)".to_string()]);
        assert_eq!(count(db)?, 1);
        Ok(())
    }

    fn recorder_captures_statements_in_order_across_connections(db) {
        create_items(db)?;
        let rec = db.record_statements();
        let mut c1 = db.connect()?;
        c1.begin_transaction()?;
        c1.execute(&text("INSERT INTO items (id, name) VALUES (:id, :n)"), params! { "id" => 1, "n" => "secret" })?;
        c1.commit()?;
        let mut c2 = db.connect()?;
        c2.execute(&text("SELECT id FROM items"), ())?;
        let insert = db.pick("INSERT INTO items (id, name) VALUES (?, ?)", "INSERT INTO items (id, name) VALUES ($1, $2)", "INSERT INTO items (id, name) VALUES (?, ?)");
        // MySQL connections run with autocommit off, so the INSERT itself begins the
        // transaction; they switch autocommit on (once, until the next transaction) for
        // statements outside a transaction. c1's pooled connection ran the CREATE TABLE
        // outside a transaction, c2 is a fresh connection.
        let expected = match db.backend() {
            Backend::MySql => vec!["SET autocommit = 0", insert, "COMMIT", "SET autocommit = 1", "SELECT id FROM items"],
            _ => vec!["BEGIN", insert, "COMMIT", "SELECT id FROM items"],
        };
        assert_eq!(rec.statements(), expected);
        assert!(!rec.statements().concat().contains("secret"));
        rec.clear();
        drop(c1);
        assert_eq!(rec.count(), 0, "pool housekeeping is not recorded");
        drop(rec);
        c2.execute(&text("SELECT 1"), ())?;
        Ok(())
    }

    fn hostile_strings_read_back_equal_through_bound_parameters(db) {
        let mut conn = db.connect()?;
        conn.execute(&text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"), ())?;
        // PostgreSQL text cannot hold NUL; the others can.
        let pattern = if db.backend() == Backend::Postgres {
            "[a-z'\"\\\\;/*\\-%_`$:?é✓😀 \\n\\t]{0,40}"
        } else {
            "[a-z'\"\\\\;/*\\-%_`$:?é✓😀 \\n\\t\\x00]{0,40}"
        };
        let fixed = ["'; DROP TABLE notes; --", "/* x */", "\\' OR 1=1 --", "$1 ? :x", "a\u{0}b"];
        let conn = std::cell::RefCell::new(conn);
        let next_id = std::cell::Cell::new(0_i64);
        let check = |s: &str| -> Result<()> {
            if db.backend() == Backend::Postgres && s.contains('\0') {
                return Ok(());
            }
            let id = next_id.get() + 1;
            next_id.set(id);
            let mut conn = conn.borrow_mut();
            conn.execute(&text("INSERT INTO notes (id, body) VALUES (:id, :b)"), params! { "id" => id, "b" => s })?;
            let back: String = conn.scalar(&text("SELECT body FROM notes WHERE id = :id"), params! { "id" => id })?;
            assert_eq!(back, s);
            let found: i64 = conn.scalar(&text("SELECT count(*) FROM notes WHERE body = :b AND id = :id"), params! { "b" => s, "id" => id })?;
            assert_eq!(found, 1, "{s:?}");
            Ok(())
        };
        for s in fixed {
            check(s)?;
        }
        let mut runner = TestRunner::new(Config { cases: 32, failure_persistence: None, ..Config::default() });
        let outcome = runner.run(&proptest::string::string_regex(pattern).unwrap(), |s| {
            check(&s).map_err(|e| TestCaseError::fail(e.to_string()))
        });
        outcome.map_err(|e| Error::InvalidRequest { message: e.to_string() })?;
        Ok(())
    }

    fn cached_statements_recover_after_a_schema_change(db) {
        let mut conn = db.connect()?;
        conn.execute(&text("CREATE TABLE sc (a INTEGER)"), ())?;
        conn.execute(&text("INSERT INTO sc (a) VALUES (1)"), ())?;
        let q = text("SELECT * FROM sc WHERE a = :a");
        assert_eq!(conn.execute(&q, params! { "a" => 1 })?.keys().len(), 1);
        conn.execute(&text("ALTER TABLE sc ADD COLUMN b INTEGER"), ())?;
        // PostgreSQL may refuse the stale plan once ("cached plan must not change result
        // type"); the statement is then re-prepared.
        let r = match conn.execute(&q, params! { "a" => 1 }) {
            Ok(r) => r,
            Err(_) if db.backend() == Backend::Postgres => conn.execute(&q, params! { "a" => 1 })?,
            Err(e) => return Err(e),
        };
        assert_eq!(r.keys().len(), 2);
        Ok(())
    }

    fn connect_gives_a_connection_that_is_send(db) {
        let conn = db.connect()?;
        let handle = std::thread::spawn(move || {
            let mut conn = conn;
            conn.scalar::<i64>(&text("SELECT 1"), ())
        });
        assert_eq!(handle.join().map_err(|_| Error::InvalidRequest { message: "thread panicked".into() })??, 1);
        Ok(())
    }
}

#[test]
fn memory_sqlite_persists_across_connect_calls() -> Result<()> {
    let engine = aludel::create_engine("sqlite://:memory:")?;
    engine
        .connect()?
        .execute(&text("CREATE TABLE t (x INTEGER)"), ())?;
    engine
        .connect()?
        .execute(&text("INSERT INTO t VALUES (1)"), ())?;
    assert_eq!(
        engine
            .connect()?
            .scalar::<i64>(&text("SELECT count(*) FROM t"), ())?,
        1
    );
    assert_eq!(engine.pool_status().open, 1);
    Ok(())
}

#[test]
fn echo_logs_sql_without_values() -> Result<()> {
    use std::sync::Mutex;
    static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());
    struct Capture;
    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            if record.target() == "aludel::engine" {
                LINES.lock().unwrap().push(record.args().to_string());
            }
        }
        fn flush(&self) {}
    }
    let _ = log::set_logger(&Capture);
    log::set_max_level(log::LevelFilter::Debug);
    let engine = aludel::engine::Engine::builder("sqlite://")
        .echo(true)
        .build()?;
    engine
        .connect()?
        .execute(&text("SELECT :pw"), params! { "pw" => "hunter2" })?;
    let lines = LINES.lock().unwrap().clone();
    assert!(lines.iter().any(|l| l == "SELECT ?"), "{lines:?}");
    assert!(!lines.concat().contains("hunter2"), "{lines:?}");
    Ok(())
}
