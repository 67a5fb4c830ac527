//! `Query::yield_per` streaming on every backend: `for_each` / `for_each_partition` hand out
//! objects batch by batch through the identity map (an object the session holds is that
//! same instance, objects nobody keeps are dropped), one SELECT, the session's transaction
//! and connection lent for the stream and given back when it ends, stops, fails or panics,
//! session use inside the callback refused with an error, and peak memory flat over a
//! million rows (Core's `Connection::stream` and the ORM stream side by side).
//!
//! The row count of the memory test is `ALUDEL_STREAM_ROWS` (default 1,000,000);
//! `scripts/yield_per_rss.sh` runs it at 10,000,000 on every backend.

mod common;

use aludel::engine::Backend;
use aludel::orm::{Instance, Model, ObjectState, Session, create_all};
use aludel::sql::text;
use aludel::{Error, Result};

use common::{TestDb, rss_kib};

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "items")]
struct Item {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    #[column(max_len = 40)]
    name: String,
}

/// A row of the `numbers` view: generated rows, so millions cost no inserts.
#[derive(aludel::Model, Debug, Clone)]
#[model(table = "numbers")]
struct Number {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 40)]
    label: String,
}

fn item(id: i64) -> Item {
    Item {
        id,
        name: format!("item {id}"),
    }
}

/// `items` 1..=n, committed; a fresh session.
fn items(db: &TestDb, n: i64) -> Result<Session> {
    create_all(db, &[Item::info()])?;
    let s = Session::new(db);
    s.add_all((1..=n).map(item))?;
    s.commit()?;
    Ok(Session::new(db))
}

/// The view `numbers` of `n` generated rows (`id` 1..=n, `label` "row number <id>"); with
/// `fail_at`, reading row `fail_at` raises a database error (not on MySQL, whose plain
/// SELECTs cannot fail mid-result).
fn numbers_view(db: &TestDb, n: u64, fail_at: Option<u64>) -> Result<()> {
    let sql = match (db.backend(), fail_at) {
        (Backend::Sqlite, None) => format!(
            "CREATE VIEW numbers AS WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {n}) \
             SELECT n AS id, 'row number ' || n AS label FROM c"
        ),
        (Backend::Sqlite, Some(at)) => format!(
            "CREATE VIEW numbers AS WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {n}) \
             SELECT n AS id, CASE WHEN n = {at} THEN json('not json') ELSE 'row number ' || n END AS label FROM c"
        ),
        (Backend::Postgres, None) => format!(
            "CREATE VIEW numbers AS SELECT n::bigint AS id, 'row number ' || n AS label FROM generate_series(1, {n}) AS n"
        ),
        (Backend::Postgres, Some(at)) => format!(
            "CREATE VIEW numbers AS SELECT n::bigint AS id, 'row number ' || (n + 0 * (1 / ({at} - n))) AS label \
             FROM generate_series(1, {n}) AS n"
        ),
        (Backend::MySql, _) => format!(
            "CREATE VIEW numbers AS SELECT seq AS id, concat('row number ', seq) AS label FROM seq_1_to_{n}"
        ),
    };
    db.connect()?.execute_script(&sql)
}

fn id_of(i: &Instance<Item>) -> i64 {
    i.read().map(|r| r.id).unwrap_or(-1)
}

backend_tests! {
    fn a_from_statement_query_is_refused_by_every_stream(db) {
        let s = items(db, 3)?;
        let q = s.query::<Item>().from_statement(text("SELECT id, name FROM items WHERE id = 1"));
        let refused = |r: Result<u64>| matches!(r, Err(Error::InvalidRequest { message }) if message.contains("from_statement"));
        assert!(refused(q.for_each(|_| Ok(()))));
        assert!(refused(q.for_each_partition(|_| Ok(()))));
        assert!(matches!(q.stream(), Err(Error::InvalidRequest { .. })));
        // The session is untouched: the statement itself runs with all().
        assert_eq!(q.all()?.len(), 1);
        Ok(())
    }

    fn objects_stream_in_batches_through_the_identity_map(db) {
        let s = items(db, 10)?;
        let three = s.get::<Item>(3)?.expect("row 3");
        let recorder = db.record_statements();
        let mut sizes = Vec::new();
        let mut ids = Vec::new();
        let mut kept = Vec::new();
        let streamed = s.query::<Item>().order_by(Item::id).yield_per(4).for_each_partition(|batch| {
            sizes.push(batch.len());
            for obj in batch {
                assert_eq!(obj.state(), ObjectState::Persistent);
                let row = obj.read()?;
                assert_eq!(row.name, format!("item {}", row.id));
                ids.push(row.id);
                drop(row);
                if id_of(&obj) == 3 {
                    kept.push(obj);
                }
            }
            Ok(())
        })?;
        assert_eq!(streamed, 10);
        assert_eq!(sizes, [4, 4, 2]);
        assert_eq!(ids, (1..=10).collect::<Vec<_>>());
        assert!(kept[0].ptr_eq(&three), "the object the session held is the same instance");
        let selects: Vec<String> = recorder.statements().into_iter().filter(|q| q.starts_with("SELECT")).collect();
        assert_eq!(selects.len(), 1, "one SELECT for the whole stream: {selects:?}");
        // Objects nobody kept are gone from the (weak) identity map: only `three` is left.
        assert_eq!(s.identity_count(), 1);
        // A later query gives the kept object again, and the new ones are in the map.
        let all = s.query::<Item>().order_by(Item::id).all()?;
        assert!(all[2].ptr_eq(&three));
        assert_eq!(s.identity_count(), 10);
        Ok(())
    }

    fn stream_iterates_objects_and_holds_the_connection_while_open(db) {
        let s = items(db, 10)?;
        let three = s.get::<Item>(3)?.expect("row 3");
        let recorder = db.record_statements();
        let mut stream = s.query::<Item>().order_by(Item::id).yield_per(4).stream()?;
        let mut ids = Vec::new();
        for obj in stream.iter()? {
            let obj = obj?;
            if id_of(&obj) == 3 {
                assert!(obj.ptr_eq(&three), "the object the session held is the same instance");
            }
            ids.push(id_of(&obj));
        }
        assert_eq!(ids, (1..=10).collect::<Vec<_>>());
        // While the stream is open the session's connection is lent to it.
        let err = s.query::<Item>().count().expect_err("the connection is lent");
        assert!(err.to_string().contains("streaming a query"), "{err}");
        // Iterator adapters work, and an early stop leaves the rest unread.
        let firsts: Vec<i64> = stream.iter()?.take(2).map(|o| o.map(|o| id_of(&o))).collect::<Result<_>>()?;
        assert_eq!(firsts, [1, 2]);
        drop(stream);
        let selects = recorder.statements().into_iter().filter(|q| q.starts_with("SELECT")).count();
        assert_eq!(selects, 2, "one SELECT per iter()");
        // Dropped: the session has its connection and transaction back.
        assert_eq!(s.query::<Item>().count()?, 10);
        s.commit()?;
        Ok(())
    }

    fn a_failing_row_ends_the_iterator_with_its_error(db) {
        if db.backend() == Backend::MySql {
            return Ok(()); // MariaDB's plain SELECTs cannot fail mid-result (see numbers_view)
        }
        numbers_view(db, 20, Some(7))?;
        let s = Session::new(db);
        let mut stream = s.query::<Number>().order_by(Number::id).yield_per(2).stream()?;
        let results: Vec<Result<Instance<Number>>> = stream.iter()?.collect();
        let last = results.last().expect("some rows").as_ref().expect_err("row 7 fails");
        assert!(last.database_error().is_some(), "a database error: {last:?}");
        assert!(results[..results.len() - 1].iter().all(|r| r.is_ok()));
        assert!(results.len() <= 7, "nothing after the error: {}", results.len());
        drop(stream);
        s.rollback()?;
        assert_eq!(s.query::<Number>().filter(Number::id.lt(5)).count()?, 4);
        Ok(())
    }

    fn for_each_sees_autoflushed_objects_and_refreshes_expired_ones(db) {
        let s = items(db, 5)?;
        let two = s.get::<Item>(2)?.expect("row 2");
        s.commit()?; // expires `two`; the stream reloads it from its row
        assert!(two.is_expired());
        db.connect()?.execute(&text("UPDATE items SET name = 'renamed' WHERE id = 2"), ())?;
        s.add(item(6))?; // pending: autoflushed before the stream
        let mut seen = Vec::new();
        let n = s.query::<Item>().order_by(Item::id).yield_per(2).for_each(|obj| {
            if obj.ptr_eq(&two) {
                assert!(!obj.is_expired());
            }
            seen.push(obj.get()?);
            Ok(())
        })?;
        assert_eq!(n, 6);
        assert_eq!(seen.iter().map(|i| i.id).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(seen[1].name, "renamed");
        assert_eq!(two.read()?.name, "renamed");
        // Autoflush: an object added before the stream is in it.
        s.add(item(7))?;
        let mut last = 0;
        s.query::<Item>().order_by(Item::id).for_each(|obj| {
            last = obj.read()?.id;
            Ok(())
        })?;
        assert_eq!(last, 7);
        Ok(())
    }

    fn writes_inside_the_stream_are_flushed_by_the_next_commit(db) {
        let s = items(db, 6)?;
        s.query::<Item>().filter(Item::id.le(4)).yield_per(3).for_each(|obj| {
            obj.write()?.name.push('!');
            Ok(())
        })?;
        s.commit()?;
        let names: Vec<String> = Session::new(db)
            .query::<Item>()
            .order_by(Item::id)
            .all()?
            .iter()
            .map(|i| i.read().map(|r| r.name.clone()))
            .collect::<Result<_>>()?;
        assert_eq!(names, ["item 1!", "item 2!", "item 3!", "item 4!", "item 5", "item 6"]);
        Ok(())
    }

    fn an_error_from_the_callback_stops_the_stream_and_the_session_goes_on(db) {
        let s = items(db, 50)?;
        s.add(item(51))?;
        let mut seen = 0;
        let err = s.query::<Item>().order_by(Item::id).yield_per(5).for_each(|obj| {
            seen += 1;
            if obj.read()?.id == 12 {
                return Err(Error::InvalidRequest { message: "stop at 12".into() });
            }
            Ok(())
        }).expect_err("the callback's error");
        assert!(err.to_string().contains("stop at 12"), "{err}");
        assert_eq!(seen, 12);
        // The connection came back, mid-result, in the same transaction: the flushed
        // row 51 is visible to it, and the session works on.
        assert_eq!(s.query::<Item>().count()?, 51);
        assert!(s.in_transaction());
        s.commit()?;
        assert_eq!(Session::new(db).query::<Item>().count()?, 51);
        Ok(())
    }

    fn a_panicking_callback_gives_the_connection_back(db) {
        let s = items(db, 20)?;
        s.add(item(21))?;
        let stream = std::panic::AssertUnwindSafe(|| {
            s.query::<Item>().yield_per(4).for_each(|obj| {
                assert!(obj.read()?.id < 6, "the callback panics at row 6");
                Ok(())
            })
        });
        assert!(std::panic::catch_unwind(stream).is_err());
        // The session has its connection and transaction back: the flushed row 21 is seen.
        assert_eq!(s.query::<Item>().count()?, 21);
        s.commit()?;
        Ok(())
    }

    fn the_session_refuses_its_connection_inside_the_stream(db) {
        let s = items(db, 3)?;
        let mut refusals = Vec::new();
        s.query::<Item>().for_each(|obj| {
            refusals.push(s.query::<Item>().count().expect_err("count inside the stream"));
            refusals.push(s.commit().expect_err("commit inside the stream"));
            refusals.push(s.rollback().expect_err("rollback inside the stream"));
            refusals.push(s.get::<Item>(1).expect_err("get inside the stream"));
            refusals.push(
                s.query::<Item>().for_each(|_| Ok(())).expect_err("a stream inside the stream"),
            );
            assert_eq!(obj.state(), ObjectState::Persistent);
            Ok(())
        })?;
        assert_eq!(refusals.len(), 15);
        for err in &refusals {
            assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
            assert!(err.to_string().contains("streaming a query"), "{err}");
        }
        // After the stream everything works again.
        assert_eq!(s.query::<Item>().count()?, 3);
        s.rollback()?;
        Ok(())
    }

    fn a_failing_row_ends_the_stream_with_its_error(db) {
        if db.backend() == Backend::MySql {
            return Ok(()); // MySQL cannot fail a plain SELECT mid-result
        }
        numbers_view(db, 1000, Some(300))?;
        let s = Session::new(db);
        let mut seen = 0;
        let err = s.query::<Number>().yield_per(100).for_each(|_| {
            seen += 1;
            Ok(())
        }).expect_err("the row error");
        assert!(err.database_error().is_some(), "{err:?}");
        assert!(seen < 300, "rows up to the failing one at most: {seen}");
        // The failed statement aborted the transaction (PostgreSQL); rollback recovers.
        s.rollback()?;
        assert_eq!(s.query::<Number>().filter(Number::id.lt(300)).count()?, 299);
        Ok(())
    }

    fn a_zero_batch_size_is_refused(db) {
        let s = items(db, 1)?;
        let err = s.query::<Item>().yield_per(0).for_each(|_| Ok(())).expect_err("yield_per(0)");
        assert!(err.to_string().contains("yield_per(0)"), "{err}");
        assert_eq!(s.query::<Item>().count()?, 1);
        Ok(())
    }

    fn a_million_rows_stream_in_flat_memory_through_core_and_yield_per(db) {
        let rows: u64 = std::env::var("ALUDEL_STREAM_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
        numbers_view(db, rows, None)?;
        let sample_every = (rows / 20).max(1);
        // Core: Connection::stream, rows read in place.
        let mut conn = db.connect()?;
        let (start, _) = rss_kib();
        let (mut max, mut n, mut sum) = (start, 0_u64, 0_i64);
        let started = std::time::Instant::now();
        let mut stream = conn.stream(&text("SELECT id, label FROM numbers"), ())?;
        while let Some(row) = stream.next_ref() {
            let row = row?;
            sum += row.get::<i64>(0)?;
            n += 1;
            if n % sample_every == 0 {
                max = max.max(rss_kib().0);
            }
        }
        drop(stream);
        drop(conn);
        let core = (started.elapsed(), start, max);
        assert_eq!(n, rows);
        assert_eq!(sum as u64, rows * (rows + 1) / 2);
        // ORM: Query::yield_per(1000).stream(), an Iterator of objects through the identity
        // map (for_each runs on the same stream).
        let s = Session::new(db);
        let (start, _) = rss_kib();
        let (mut max, mut n, mut sum) = (start, 0_u64, 0_i64);
        let started = std::time::Instant::now();
        let mut stream = s.query::<Number>().yield_per(1000).stream()?;
        let mut streamed = 0_u64;
        for obj in stream.iter()? {
            let row = obj?.read()?.id;
            sum += row;
            n += 1;
            streamed += 1;
            if n % sample_every == 0 {
                max = max.max(rss_kib().0);
            }
        }
        drop(stream);
        let orm = (started.elapsed(), start, max);
        let (_, peak) = rss_kib();
        eprintln!(
            "{rows} rows on {}: Core stream {:?}, RSS {} -> max {} KiB; yield_per {:?}, RSS {} -> max {} KiB; process peak (VmHWM) {peak} KiB",
            db.backend().name(), core.0, core.1, core.2, orm.0, orm.1, orm.2
        );
        assert_eq!((streamed, n), (rows, rows));
        assert_eq!(sum as u64, rows * (rows + 1) / 2);
        // Flat: a buffered million objects would take some 200 MiB.
        assert!(core.2.saturating_sub(core.1) < 32 * 1024, "Core stream RSS grew from {} KiB to {} KiB", core.1, core.2);
        assert!(orm.2.saturating_sub(orm.1) < 32 * 1024, "yield_per RSS grew from {} KiB to {} KiB", orm.1, orm.2);
        assert!(s.identity_count() <= 1000, "the identity map keeps no dropped objects: {}", s.identity_count());
        Ok(())
    }
}
