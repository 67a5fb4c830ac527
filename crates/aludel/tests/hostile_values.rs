//! Values at the edges, on every backend: each one round-trips exactly or fails with a
//! clear error naming the column, and nothing is stored — never a panic, never a silently
//! changed value (issue 12's hostile-input list).

mod common;

use aludel::engine::Backend;
use aludel::orm::{Model, Session, create_all};
use aludel::sql::{Column, Executable, MetaData, SqlType, Table, insert, select, text};
use aludel::{Error, Result};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

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

/// One generated row for the property test: a value of every kind in one object.
#[derive(aludel::Model, Debug, Clone)]
#[model(table = "samples")]
struct Sample {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    body: String,
    n: i64,
    x: f64,
    raw: Vec<u8>,
    day: NaiveDate,
    at: NaiveDateTime,
}

impl Sample {
    /// Field-by-field equality with NaN equal to NaN and floats compared bit for bit,
    /// except that MariaDB and SQLite store `-0.0` as `0.0` (the server's own doing, and
    /// the two are equal numbers).
    fn same_as(&self, other: &Sample, backend: Backend) -> bool {
        let zero_sign_dropped = backend != Backend::Postgres && self.x == 0.0 && other.x == 0.0;
        let same_float = (self.x.is_nan() && other.x.is_nan())
            || self.x.to_bits() == other.x.to_bits()
            || zero_sign_dropped;
        (self.id, &self.body, self.n, &self.raw, self.day, self.at)
            == (
                other.id,
                &other.body,
                other.n,
                &other.raw,
                other.day,
                other.at,
            )
            && same_float
    }

    /// The columns `backend` cannot store this sample's value in (empty: it must
    /// round-trip exactly). What each backend refuses is documented in reliability.md.
    fn unstorable(&self, backend: Backend) -> Vec<&'static str> {
        let mut refused = Vec::new();
        let pg_nul = backend == Backend::Postgres && self.body.contains('\0');
        let float = match backend {
            Backend::Postgres => true,
            Backend::Sqlite => !self.x.is_nan(),
            Backend::MySql => self.x.is_finite(),
        };
        let mysql_years = |year: i32| backend == Backend::MySql && year < 1000;
        if pg_nul {
            refused.push("body");
        }
        if !float {
            refused.push("x");
        }
        if mysql_years(self.day.year()) {
            refused.push("day");
        }
        if mysql_years(self.at.year()) {
            refused.push("at");
        }
        refused
    }
}

/// Text from every corner of Unicode: anything printable, control characters and NUL,
/// right-to-left marks and scripts, emoji with joiners, SQL metacharacters, a lossy
/// conversion's replacement character.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,24}",
        "[\u{0590}-\u{06FF}\u{200E}\u{200F}\u{202A}-\u{202E} a-z0-9]{0,24}",
        "[\u{1F300}-\u{1FAFF}\u{200D}\u{FE0F}]{0,12}",
        "['\"`;\\\\%_$?:/*\\- \\x00\\n\\r\\t]{0,24}",
        proptest::collection::vec(any::<u8>(), 0..24)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// Floats of every class: normal, subnormal, ±0, ±infinity, NaN, and the extremes.
fn any_float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        prop::num::f64::ANY,
        prop::sample::select(vec![
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            -0.0,
            f64::EPSILON,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY
        ]),
    ]
}

/// Dates between year 1 and 9999, the edges of that range weighted in.
fn any_date() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![
        (1..=9999i32, 1..=366u32).prop_map(|(y, d)| NaiveDate::from_yo_opt(y, d)
            .unwrap_or_else(|| NaiveDate::from_yo_opt(y, 365).expect("day 365"))),
        prop::sample::select(vec![
            (1, 1, 1),
            (999, 12, 31),
            (1000, 1, 1),
            (1970, 1, 1),
            (2000, 2, 29),
            (9999, 12, 31)
        ])
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).expect("edge date")),
    ]
}

fn any_sample() -> impl Strategy<Value = Sample> {
    let time = (
        0..86_400u32,
        prop_oneof![0..1_000_000u32, Just(999_999u32), Just(0u32)],
    )
        .prop_map(|(secs, micros)| {
            NaiveTime::from_num_seconds_from_midnight_opt(secs, micros * 1_000).expect("time")
        });
    (
        hostile_text(),
        prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX)],
        any_float(),
        proptest::collection::vec(any::<u8>(), 0..64),
        any_date(),
        (any_date(), time).prop_map(|(d, t)| d.and_time(t)),
    )
        .prop_map(|(body, n, x, raw, day, at)| Sample {
            id: 0,
            body,
            n,
            x,
            raw,
            day,
            at,
        })
}

/// Names every backend can hold once quoted: quotes of every dialect, `;`, comment
/// markers, `?`/`$1`/`:name` look-alikes, spaces, right-to-left and accented letters, up to
/// PostgreSQL's 63 bytes; never NUL (refused while compiling, see sql_hostile_input.rs),
/// never a trailing space or a character beyond U+FFFF (MySQL cannot name anything so).
fn hostile_identifier() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_'\"`\\[\\];.,:?$@#%*/\\\\ \\-]{1,20}",
        "[\u{0590}-\u{06FF}\u{200F}\u{00C0}-\u{017F}a-z ]{1,16}",
        Just("x\"; DROP TABLE t; --".to_owned()),
        Just("a`b'c\"d".to_owned()),
        Just("/* c */ :p ? $1".to_owned()),
    ]
    .prop_filter("a name ends with a letter, not a space", |n| {
        !n.ends_with(' ') && n.len() <= 63 && !n.eq_ignore_ascii_case("#id")
    })
}

/// Runs `check` on generated inputs: `cases` of them, or `ALUDEL_PROPTEST_CASES` to try
/// more. A failure is shrunk to a minimal input and reported as the test's error.
fn run_generated<S: Strategy>(
    cases: u32,
    strategy: &S,
    check: impl Fn(S::Value) -> Result<()>,
) -> Result<()> {
    let cases = std::env::var("ALUDEL_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(strategy, |input| {
            check(input).map_err(|e| TestCaseError::fail(e.to_string()))
        })
        .map_err(|e| Error::InvalidRequest {
            message: e.to_string(),
        })
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
            assert_refused(s.commit(), "column edges.body");
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

backend_tests! {
    fn generated_values_round_trip_exactly_or_are_refused_naming_the_column(db) {
        create_all(db, &[Sample::info()])?;
        let next_id = std::cell::Cell::new(0_i64);
        let stored_rows = std::cell::Cell::new(0_i64);
        let check = |mut sample: Sample| -> Result<()> {
            next_id.set(next_id.get() + 1);
            sample.id = next_id.get();
            let refused = sample.unstorable(db.backend());
            let s = Session::new(db);
            s.add(sample.clone())?;
            match (s.commit(), refused.is_empty()) {
                (Ok(()), true) => {
                    stored_rows.set(stored_rows.get() + 1);
                    let back = Session::new(db).get::<Sample>(sample.id)?.expect("stored");
                    let back = back.read()?.clone();
                    assert!(back.same_as(&sample, db.backend()), "changed on the way:\n sent {sample:?}\n read {back:?}");
                }
                (Err(e), false) if matches!(e, Error::Data(_) | Error::Integrity(_) | Error::Programming(_)) => {
                    let message = e.to_string();
                    assert!(refused.iter().any(|c| message.contains(&format!("column samples.{c}"))), "the error should name one of {refused:?}: {message}");
                }
                (result, _) => panic!("{sample:?}: expected {} got {result:?}", if refused.is_empty() { "a round trip" } else { "a clear refusal" }),
            }
            let rows: i64 = db.connect()?.scalar(&text("SELECT count(*) FROM samples"), ())?;
            assert_eq!(rows, stored_rows.get(), "a refused sample stored nothing, a stored one one row");
            Ok(())
        };
        run_generated(96, &any_sample(), check)?;
        eprintln!("{}: {} generated samples, {} stored and read back exactly, the rest refused", db.backend().name(), next_id.get(), stored_rows.get());
        Ok(())
    }
}

backend_tests! {
    fn generated_table_and_column_names_are_quoted_and_round_trip(db) {
        let mut conn = db.connect()?;
        let made = std::cell::Cell::new(0_usize);
        let check = |name: String| -> Result<()> {
            // The name is both the table and a column of it.
            let table = Table::build(&name)
                .column(Column::new("#id", SqlType::Integer).primary_key())
                .column(Column::new(&name, SqlType::Text))
                .finish();
            let mut md = MetaData::new();
            md.add_table(table.clone());
            md.create_all(db)?;
            let mut conn = db.connect()?;
            conn.execute(&insert(&table).value("#id", 1).value(&name, name.as_str()), ())?;
            let back: String = conn.scalar(&select([table.c(&name)]).where_(table.c(&name).eq(name.as_str())), ())?;
            assert_eq!(back, name);
            let rows: i64 = conn.scalar(&select([aludel::sql::func::count_star()]).from(&table), ())?;
            assert_eq!(rows, 1, "{name:?}: one statement, one row");
            md.drop_all(db)?;
            made.set(made.get() + 1);
            Ok(())
        };
        run_generated(48, &hostile_identifier(), check)?;
        // Nothing else was created or dropped along the way.
        let tables: i64 = conn.scalar(&text(db.pick(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = database()",
        )), ())?;
        assert_eq!(tables, 0);
        eprintln!("{}: {} generated names made a table and a column and read back", db.backend().name(), made.get());
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
