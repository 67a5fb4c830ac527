//! Results on every backend: fetch methods, one/first/one_or_none, typed row access with
//! the column in errors, and streaming a million rows in bounded memory.

mod common;

use aludel::engine::Backend;
use aludel::sql::{Value, text};
use aludel::{Error, Result, params};

use common::{TestDb, rss_kib};

fn three_rows(db: &TestDb) -> Result<aludel::Connection> {
    let mut conn = db.connect()?;
    conn.execute(
        &text("CREATE TABLE r (id INTEGER PRIMARY KEY, name VARCHAR(20))"),
        (),
    )?;
    conn.execute_many(
        &text("INSERT INTO r (id, name) VALUES (:id, :name)"),
        &[
            params! { "id" => 1, "name" => "a" },
            params! { "id" => 2, "name" => "b" },
            params! { "id" => 3, "name" => Value::Null },
        ],
    )?;
    Ok(conn)
}

backend_tests! {
    fn fetch_methods_consume_rows_in_order(db) {
        let mut conn = three_rows(db)?;
        let mut r = conn.execute(&text("SELECT id, name FROM r ORDER BY id"), ())?;
        assert_eq!(r.keys(), &["id".to_string(), "name".to_string()]);
        assert_eq!(r.rows_affected(), 3);
        assert_eq!(r.fetchone().map(|row| row.get::<i64>(0)).transpose()?, Some(1));
        assert_eq!(r.fetchmany(1).len(), 1);
        let rest = r.fetchall();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].get::<Option<String>>("name")?, None);
        assert!(r.fetchone().is_none());
        let ids: Vec<i64> = conn
            .execute(&text("SELECT id FROM r ORDER BY id DESC"), ())?
            .into_iter()
            .map(|row| row.get(0))
            .collect::<Result<_>>()?;
        assert_eq!(ids, vec![3, 2, 1]);
        Ok(())
    }

    fn one_first_and_one_or_none_enforce_cardinality(db) {
        let mut conn = three_rows(db)?;
        let q = text("SELECT id FROM r WHERE id <= :n ORDER BY id");
        assert!(matches!(conn.execute(&q, params! { "n" => 0 })?.one(), Err(Error::NoResultFound)));
        assert!(matches!(conn.execute(&q, params! { "n" => 2 })?.one(), Err(Error::MultipleResultsFound)));
        assert!(matches!(conn.execute(&q, params! { "n" => 2 })?.one_or_none(), Err(Error::MultipleResultsFound)));
        assert!(conn.execute(&q, params! { "n" => 0 })?.one_or_none()?.is_none());
        assert_eq!(conn.execute(&q, params! { "n" => 1 })?.one()?.get::<i64>("id")?, 1);
        assert_eq!(conn.execute(&q, params! { "n" => 3 })?.first().map(|r| r.get::<i64>(0)).transpose()?, Some(1));
        assert!(conn.execute(&q, params! { "n" => 0 })?.first().is_none());
        Ok(())
    }

    fn row_errors_name_the_column(db) {
        let mut conn = three_rows(db)?;
        let row = conn.execute(&text("SELECT id, name FROM r WHERE id = 1"), ())?.one()?;
        match row.get::<i64>("nope") {
            Err(Error::NoSuchColumn { column, available }) => {
                assert_eq!(column, "nope");
                assert_eq!(available, vec!["id".to_string(), "name".to_string()]);
            }
            other => panic!("expected NoSuchColumn, got {other:?}"),
        }
        assert!(matches!(row.get::<i64>(7), Err(Error::NoSuchColumn { .. })));
        let err = row.get::<i64>("name").unwrap_err();
        assert!(matches!(err, Error::Conversion { .. }), "{err:?}");
        assert!(err.to_string().contains("column 'name'"), "{err}");
        assert_eq!(row.as_map()[1], ("name", &Value::Text("a".into())));
        assert_eq!(row.to_map()[0].0, "id");
        assert_eq!(row.len(), 2);
        assert_eq!(row.clone().into_values().len(), 2);
        Ok(())
    }

    fn every_text_type_reads_as_text_with_nulls_as_null(db) {
        // Each column's decoder is chosen once per statement from its type; every text
        // type (and, on PostgreSQL, an enum label) must come back as the same text.
        let mut conn = db.connect()?;
        if db.backend() == Backend::Postgres {
            conn.execute_script("CREATE TYPE mood AS ENUM ('calm', 'ok')")?;
        }
        conn.execute_script(db.pick(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR(10), c CHAR(4), x TEXT, m TEXT)",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR(10), c CHAR(4), x TEXT, m mood)",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR(10), c CHAR(4), x TEXT, m ENUM('calm', 'ok'))",
        ))?;
        conn.execute(
            &text("INSERT INTO t VALUES (1, 'é v', 'cc', 'ünï', 'calm'), (2, NULL, NULL, NULL, NULL)"),
            (),
        )?;
        let rows = conn.execute(&text("SELECT v, c, x, m FROM t ORDER BY id"), ())?.fetchall();
        let texts: Vec<Option<String>> = (0..4).map(|i| rows[0].get(i)).collect::<Result<_>>()?;
        let padded = db.pick("cc", "cc  ", "cc");
        assert_eq!(
            texts,
            [Some("é v"), Some(padded), Some("ünï"), Some("calm")].map(|t| t.map(str::to_owned))
        );
        let nulls: Vec<Option<String>> = (0..4).map(|i| rows[1].get(i)).collect::<Result<_>>()?;
        assert_eq!(nulls, vec![None; 4]);
        Ok(())
    }

    fn last_insert_id_reports_the_generated_key(db) {
        let mut conn = db.connect()?;
        let ddl = db.pick(
            "CREATE TABLE g (id INTEGER PRIMARY KEY, x INTEGER)",
            "CREATE TABLE g (id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, x INTEGER)",
            "CREATE TABLE g (id INTEGER AUTO_INCREMENT PRIMARY KEY, x INTEGER)",
        );
        conn.execute(&text(ddl), ())?;
        conn.execute(&text("INSERT INTO g (x) VALUES (1)"), ())?;
        let r = conn.execute(&text("INSERT INTO g (x) VALUES (:x)"), params! { "x" => 2 })?;
        match db.backend() {
            Backend::Postgres => {
                assert_eq!(r.last_insert_id(), None);
                let id: i64 = conn.scalar(&text("INSERT INTO g (x) VALUES (3) RETURNING id"), ())?;
                assert_eq!(id, 3);
            }
            _ => assert_eq!(r.last_insert_id(), Some(2)),
        }
        Ok(())
    }

    fn stream_yields_rows_lazily_and_can_stop_early(db) {
        let mut conn = three_rows(db)?;
        {
            let mut s = conn.stream(&text("SELECT id, name FROM r ORDER BY id"), ())?;
            assert_eq!(s.keys(), &["id".to_string(), "name".to_string()]);
            let first = s.next().transpose()?.map(|r| r.get::<i64>(0)).transpose()?;
            assert_eq!(first, Some(1));
        } // dropped mid-result: the rest is discarded
        let again: i64 = conn.scalar(&text("SELECT count(*) FROM r"), ())?;
        assert_eq!(again, 3);
        let mut s = conn.stream(&text("SELECT id FROM r WHERE id > :n"), params! { "n" => 1 })?;
        assert_eq!(s.fetchmany(10)?.len(), 2);
        assert!(s.next().is_none());
        assert_eq!(s.rows_affected(), Some(2));
        drop(s);
        conn.set_execution_options(aludel::engine::ExecutionOptions::default().yield_per(2));
        let batches: Vec<Vec<aludel::Row>> = conn
            .stream(&text("SELECT id FROM r ORDER BY id"), ())?
            .partitions()
            .collect::<Result<_>>()?;
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 1]);
        Ok(())
    }

    fn streaming_a_million_rows_stays_in_bounded_memory(db) {
        // One million generated rows, read and dropped one at a time; RSS must not grow
        // by more than 64 MiB (a buffered result of this size would be ~150 MiB).
        let sql = db.pick(
            "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000) SELECT n, 'row number ' || n AS label FROM c",
            "SELECT n, 'row number ' || n AS label FROM generate_series(1, 1000000) AS n",
            "SELECT seq AS n, concat('row number ', seq) AS label FROM seq_1_to_1000000",
        );
        let mut conn = db.connect()?;
        let (start, _) = rss_kib();
        let mut max = start;
        let mut rows = 0_u64;
        let mut sum = 0_i64;
        let started = std::time::Instant::now();
        for row in conn.stream(&text(sql), ())? {
            let row = row?;
            sum += row.get::<i64>(0)?;
            rows += 1;
            if rows % 50_000 == 0 {
                max = max.max(rss_kib().0);
            }
        }
        let (end, peak) = rss_kib();
        eprintln!(
            "stream 1M rows on {}: {:?}, RSS start {} KiB, max sampled {} KiB, end {} KiB, process peak (VmHWM) {} KiB",
            db.backend().name(), started.elapsed(), start, max, end, peak
        );
        assert_eq!(rows, 1_000_000);
        assert_eq!(sum, 500_000_500_000);
        assert!(max.saturating_sub(start) < 64 * 1024, "RSS grew from {start} KiB to {max} KiB");
        Ok(())
    }

    /// Rows before a mid-result error arrive first, then the error, then the end; the
    /// connection stays usable. (PostgreSQL reads rows ahead in batches, so this checks the
    /// batching keeps the order.)
    fn a_mid_stream_error_comes_after_the_rows_before_it(db) {
        let sql = match db.backend() {
            Backend::Sqlite => "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000) SELECT CASE WHEN n = 300 THEN json('not json') ELSE n END FROM c",
            Backend::Postgres => "SELECT n + 0 * (1 / (300 - n)) FROM generate_series(1, 1000) AS n",
            // MySQL has no error raised while rows are being sent for a plain SELECT.
            Backend::MySql => return Ok(()),
        };
        let mut conn = db.connect()?;
        let mut stream = conn.stream(&text(sql), ())?;
        let mut ok = 0_i64;
        let err = loop {
            match stream.next_ref() {
                Some(Ok(row)) => {
                    ok += 1;
                    assert_eq!(row.get::<i64>(0)?, ok);
                }
                Some(Err(e)) => break e,
                None => panic!("the stream ended without its error after {ok} rows"),
            }
        };
        assert_eq!(ok, 299, "{err}");
        assert!(err.database_error().is_some(), "{err:?}");
        assert!(stream.next_ref().is_none());
        drop(stream);
        assert_eq!(conn.scalar::<i64>(&text("SELECT 7"), ())?, 7);
        Ok(())
    }
}
