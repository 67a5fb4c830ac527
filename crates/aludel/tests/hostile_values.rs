//! Values at the edges, on every backend: each one round-trips exactly or fails with a
//! clear error naming the column, and nothing is stored — never a panic, never a silently
//! changed value (issue 12's hostile-input list).

mod common;

use aludel::engine::Backend;
use aludel::orm::{Model, Session, create_all};
use aludel::sql::{Executable, insert, text};
use aludel::{Error, Result};
use chrono::{Datelike, NaiveDate, NaiveDateTime};

use common::TestDb;

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "edges")]
struct Edge {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    big: Option<i64>,
    body: Option<String>,
    blob: Option<Vec<u8>>,
    day: Option<NaiveDate>,
    at: Option<NaiveDateTime>,
}

fn edge(id: i64) -> Edge {
    Edge {
        id,
        big: None,
        body: None,
        blob: None,
        day: None,
        at: None,
    }
}

fn stored(db: &TestDb) -> Result<i64> {
    db.connect()?
        .scalar(&text("SELECT count(*) FROM edges"), ())
}

/// Stores `e` in a fresh session and reads it back from another.
fn round_trip(db: &TestDb, e: Edge) -> Result<Edge> {
    let s = Session::new(db);
    s.add(e.clone())?;
    s.commit()?;
    let back = Session::new(db).get::<Edge>(e.id)?.expect("stored");
    let back = back.read()?.clone();
    Ok(back)
}

/// `result` failed with an error naming `column`, not a panic and not a silent success.
#[track_caller]
fn assert_refused<T: std::fmt::Debug>(result: Result<T>, column: &str) {
    match result {
        Err(e @ (Error::Data(_) | Error::Integrity(_) | Error::Programming(_))) => {
            let message = e.to_string();
            assert!(
                message.contains(column),
                "the error should name {column}: {message}"
            );
        }
        other => panic!("expected a clear error naming {column}, got {other:?}"),
    }
}

backend_tests! {
    fn extreme_integers_round_trip_and_u64_beyond_i64_is_refused(db) {
        create_all(db, &[Edge::info()])?;
        for (id, n) in [(1, i64::MIN), (2, i64::MAX), (3, 0), (4, -1)] {
            let mut e = edge(id);
            e.big = Some(n);
            assert_eq!(round_trip(db, e.clone())?, e);
        }
        // u64::MAX does not fit a BIGINT anywhere: refused, never wrapped or rounded.
        let result = db.connect()?.execute(
            &insert(&Edge::info().table).value("id", 10).value("big", u64::MAX),
            (),
        );
        assert_refused(result, "big");
        assert_eq!(stored(db)?, 4);
        Ok(())
    }

    fn long_text_control_characters_and_raw_bytes(db) {
        create_all(db, &[Edge::info()])?;
        // 16 MB of text (just under MariaDB's default 16 MiB packet).
        let mut e = edge(1);
        e.body = Some("ab\u{e9}\u{1f980}".repeat(2_000_000));
        assert!(e.body.as_ref().map_or(0, String::len) >= 16_000_000);
        assert_eq!(round_trip(db, e.clone())?.body, e.body);
        // Quotes, backslashes, comment markers, a semicolon, a replacement character from a
        // lossy conversion: data, never SQL.
        let mut e = edge(2);
        e.body = Some(format!("'; DROP TABLE edges; -- /* \\\\ \" {}", String::from_utf8_lossy(b"\xff\xfe")));
        assert_eq!(round_trip(db, e.clone())?.body, e.body);
        // Every byte value, including invalid UTF-8, in a blob.
        let mut e = edge(3);
        e.blob = Some((0..=255u8).chain((0..=255u8).rev()).collect());
        assert_eq!(round_trip(db, e.clone())?.blob, e.blob);
        // NUL inside text: PostgreSQL's text cannot hold it (refused, naming the column);
        // SQLite and MariaDB store it exactly.
        let mut e = edge(4);
        e.body = Some("before\0after".into());
        if db.backend() == Backend::Postgres {
            let s = Session::new(db);
            s.add(e)?;
            assert_refused(s.commit(), "body");
        } else {
            assert_eq!(round_trip(db, e.clone())?.body, e.body);
        }
        Ok(())
    }

    fn edge_dates_round_trip_where_the_backend_can_hold_them(db) {
        create_all(db, &[Edge::info()])?;
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        let dates = [ymd(1, 1, 1), ymd(2000, 2, 29), ymd(9999, 12, 31), ymd(1970, 1, 1)];
        for (i, day) in dates.iter().enumerate() {
            let mut e = edge(i as i64 + 1);
            e.day = Some(*day);
            e.at = day.and_hms_micro_opt(23, 59, 59, 999_999);
            let back = round_trip(db, e.clone());
            if db.backend() == Backend::MySql && day.year() < 1000 {
                assert_refused(back, "edges.day");
            } else {
                let back = back?;
                assert_eq!((back.day, back.at), (e.day, e.at), "{day}");
            }
        }
        Ok(())
    }
}

#[test]
fn a_u64_above_i64_max_is_not_silently_turned_into_another_number() {
    use aludel::sql::{ToValue, Value};
    let v = u64::MAX.to_value();
    assert!(!matches!(v, Value::Int(_) | Value::Float(_)), "{v:?}");
    // Rendered as a bound value, never inline.
    let sql = insert(&Edge::info().table)
        .value("id", 1)
        .value("big", u64::MAX)
        .compile(&aludel::dialects::Sqlite)
        .expect("compiles")
        .sql;
    assert!(!sql.contains("18446744073709551615"), "{sql}");
}
