//! Values at the edge of what each backend can store: dates outside MySQL's years
//! 1000–9999, NaN and infinities, megabyte strings and bytes, and MySQL's strict
//! `sql_mode`. Each value is stored exactly where the backend can hold it, and refused
//! before anything is sent, with an error naming the column, where it cannot; never
//! silently changed (a zero date, NULL, a truncated string).

mod common;

use aludel::engine::Backend;
use aludel::orm::{Model, Session, create_all};
use aludel::sql::{Executable, Expr, bindparam, insert, select, text};
use aludel::{Error, Result, params};
use chrono::{NaiveDate, NaiveDateTime};

use common::TestDb;

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "events")]
struct Event {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    day: NaiveDate,
    at: Option<NaiveDateTime>,
}

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "readings")]
struct Reading {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    value: f64,
    maybe: Option<f64>,
}

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "documents")]
struct Document {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    body: String,
    data: Vec<u8>,
}

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "amounts")]
struct Amount {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    value: rust_decimal::Decimal,
}

fn count(db: &TestDb, table: &str) -> Result<i64> {
    db.connect()?
        .scalar(&text(format!("SELECT count(*) FROM {table}")), ())
}

/// Asserts `result` is the client-side refusal of an unstorable value, naming `column`.
#[track_caller]
fn assert_refused<T: std::fmt::Debug>(result: Result<T>, column: &str) {
    match result {
        Err(e @ Error::Data(_)) => {
            let message = e.to_string();
            assert!(
                message.contains(column) && message.contains("nothing was sent"),
                "error should name {column}: {message}"
            );
        }
        other => panic!("expected a data error naming {column}, got {other:?}"),
    }
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A float equal to `expected`, NaN included.
fn same_float(got: f64, expected: f64) -> bool {
    (got.is_nan() && expected.is_nan()) || got == expected
}

/// Floats or NULLs equal to `expected` (a `Some` never read back as NULL).
fn same_option(got: Option<f64>, expected: Option<f64>) -> bool {
    match (got, expected) {
        (Some(g), Some(e)) => same_float(g, e),
        (None, None) => true,
        _ => false,
    }
}

backend_tests! {
    fn dates_outside_mysql_years_round_trip_elsewhere_and_are_refused_on_mysql(db) {
        create_all(db, &[Event::info()])?;
        let far = ymd(10000, 1, 1);
        let early = ymd(999, 12, 31);
        let far_at = far.and_hms_opt(12, 30, 0).unwrap();
        // Through the ORM: a year-10000 date and a year-999 date.
        for (id, day, at) in [(1, far, Some(far_at)), (2, early, None)] {
            let s = Session::new(db);
            s.add(Event { id, day, at })?;
            let result = s.commit();
            if db.backend() == Backend::MySql {
                assert_refused(result, "events.day");
            } else {
                result?;
                let got = Session::new(db).get::<Event>(id)?.expect("stored");
                assert_eq!(*got.read()?, Event { id, day, at });
            }
        }
        // Through Core: the datetime column alone out of range.
        let table = &Event::info().table;
        let stmt = insert(table)
            .value("id", 3)
            .value("day", ymd(2024, 2, 29))
            .value("at", far_at);
        let result = db.connect()?.execute(&stmt, ());
        // A comparison against the column is checked too (MySQL would compare with a zero
        // date and match nothing).
        let query = select([table.c("id")]).where_(table.c("day").eq(far));
        let found = db.connect()?.execute(&query, ()).map(|mut r| r.fetchall().len());
        if db.backend() == Backend::MySql {
            assert_refused(result, "events.at");
            assert_refused(found, "events.day");
            assert_eq!(count(db, "events")?, 0, "nothing may be stored");
        } else {
            result?;
            assert_eq!(found?, 1);
            assert_eq!(count(db, "events")?, 3);
        }
        Ok(())
    }

    fn mysql_sessions_run_in_strict_sql_mode(db) {
        let mut conn = db.connect()?;
        conn.execute(&text("CREATE TABLE short (id INTEGER PRIMARY KEY, code VARCHAR(3), n INTEGER)"), ())?;
        let too_long = conn.execute(&text("INSERT INTO short (id, code) VALUES (1, 'abcdef')"), ());
        let by_zero = conn.execute(&text("INSERT INTO short (id, n) VALUES (2, 1 / 0)"), ());
        match db.backend() {
            Backend::MySql => {
                let mode: String = conn.scalar(&text("SELECT @@SESSION.sql_mode"), ())?;
                for flag in [
                    "STRICT_ALL_TABLES",
                    "NO_ZERO_DATE",
                    "NO_ZERO_IN_DATE",
                    "ERROR_FOR_DIVISION_BY_ZERO",
                    "NO_ENGINE_SUBSTITUTION",
                    "NO_AUTO_VALUE_ON_ZERO",
                ] {
                    assert!(mode.split(',').any(|f| f == flag), "{flag} missing from {mode}");
                }
                assert!(matches!(too_long, Err(Error::Data(_))), "{too_long:?}");
                assert!(matches!(by_zero, Err(Error::Data(_))), "{by_zero:?}");
                assert_eq!(count(db, "short")?, 0, "nothing truncated or NULLed");
                // The mode is an engine default that can be changed per engine.
                let lax = db.builder().connect_arg("sql_mode", "NO_ENGINE_SUBSTITUTION").build()?;
                let mode: String = lax.connect()?.scalar(&text("SELECT @@SESSION.sql_mode"), ())?;
                assert_eq!(mode, "NO_ENGINE_SUBSTITUTION");
                let bad = db.builder().connect_arg("sql_mode", "STRICT_ALL_TABLES'; DROP TABLE short; --").build()?;
                assert!(matches!(bad.connect(), Err(Error::Configuration { .. })));
            }
            // PostgreSQL refuses both; SQLite (no length limits, NULL for x / 0) stores them.
            Backend::Postgres => {
                assert!(matches!(too_long, Err(Error::Data(_))), "{too_long:?}");
                assert!(matches!(by_zero, Err(Error::Data(_))), "{by_zero:?}");
            }
            Backend::Sqlite => {
                too_long?;
                by_zero?;
            }
        }
        Ok(())
    }

    fn nan_and_infinities_are_stored_where_possible_and_refused_by_column_elsewhere(db) {
        create_all(db, &[Reading::info()])?;
        let storable = |f: f64| match db.backend() {
            Backend::Postgres => true,
            Backend::Sqlite => !f.is_nan(),
            Backend::MySql => f.is_finite(),
        };
        let mut id = 0;
        for special in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            // The non-null column, then the nullable one (never silently NULL).
            for in_option in [false, true] {
                id += 1;
                let (value, maybe) = if in_option { (1.5, Some(special)) } else { (special, None) };
                let column = if in_option { "readings.maybe" } else { "readings.value" };
                // Through the ORM.
                let s = Session::new(db);
                s.add(Reading { id, value, maybe })?;
                let result = s.commit();
                if storable(special) {
                    result?;
                    let got = Session::new(db).get::<Reading>(id)?.expect("stored");
                    let got = got.read()?;
                    assert!(same_float(got.value, value), "{} != {value}", got.value);
                    assert!(same_option(got.maybe, maybe), "{:?} != {maybe:?}", got.maybe);
                } else {
                    assert_refused(result, column);
                }
                // Through Core, with the value bound at execution time.
                id += 1;
                let stmt = insert(&Reading::info().table)
                    .value("id", id)
                    .value("value", bindparam("v"))
                    .value("maybe", bindparam("m"));
                let result = db.connect()?.execute(&stmt, params! { "v" => value, "m" => maybe });
                if storable(special) {
                    result?;
                    let mut conn = db.connect()?;
                    let row = conn
                        .execute(&text("SELECT value, maybe FROM readings WHERE id = :id"), params! { "id" => id })?
                        .one()?;
                    assert!(same_float(row.get::<f64>(0)?, value));
                    let m = row.get::<Option<f64>>(1)?;
                    assert!(same_option(m, maybe), "{m:?} != {maybe:?}");
                } else {
                    assert_refused(result, column);
                }
            }
        }
        // Raw SQL with execute_many names the parameter instead.
        let many = db.connect()?.execute_many(
            &text("INSERT INTO readings (id, value) VALUES (:id, :v)"),
            &[params! { "id" => 100, "v" => 1.0 }, params! { "id" => 101, "v" => f64::NAN }],
        );
        if storable(f64::NAN) {
            many?;
        } else {
            assert_refused(many, ":v");
        }
        let stored: i64 = count(db, "readings")?;
        let expected = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY]
            .iter()
            .filter(|f| storable(**f))
            .count() as i64
            * 4
            + if storable(f64::NAN) { 2 } else { 0 };
        assert_eq!(stored, expected);
        Ok(())
    }

    fn unbounded_decimals_keep_every_digit(db) {
        // MySQL's bare DECIMAL is DECIMAL(10, 0): 1.5 became 2 without an error.
        create_all(db, &[Amount::info()])?;
        let values: Vec<rust_decimal::Decimal> = ["1.5", "-0.000000000000000000000000001", "12345678901234567890.12345678", "79228162514264337593543950335"]
            .iter()
            .map(|v| v.parse().expect("decimal"))
            .collect();
        // SQLite keeps a double (15 significant digits) or a 64-bit integer in a NUMERIC
        // column: the wider values are refused there, naming the column, never rounded.
        let storable = if db.backend() == Backend::Sqlite { 2 } else { values.len() };
        let s = Session::new(db);
        for (i, v) in values.iter().enumerate().skip(storable) {
            let one = Session::new(db);
            one.add(Amount { id: i as i64, value: *v })?;
            assert_refused(one.commit(), "amounts.value");
        }
        for (i, v) in values.iter().enumerate().take(storable) {
            s.add(Amount { id: i as i64, value: *v })?;
        }
        s.commit()?;
        assert_eq!(count(db, "amounts")?, storable as i64);
        let fresh = Session::new(db);
        for (i, v) in values.iter().enumerate().take(storable) {
            let got = fresh.get::<Amount>(i as i64)?.expect("stored").read()?.value;
            assert_eq!(got.normalize(), v.normalize(), "row {i}");
        }
        Ok(())
    }

    fn megabyte_strings_and_bytes_round_trip(db) {
        create_all(db, &[Document::info()])?;
        let body: String = "aludel ".repeat(150_000);
        let data: Vec<u8> = (0..1_048_576u32).map(|i| (i % 251) as u8).collect();
        assert!(body.len() > 1_000_000);
        let s = Session::new(db);
        s.add(Document { id: 1, body: body.clone(), data: data.clone() })?;
        s.commit()?;
        let got = Session::new(db).get::<Document>(1)?.expect("stored");
        let got = got.read()?;
        assert_eq!(got.body.len(), body.len());
        assert!(got.body == body && got.data == data);
        Ok(())
    }
}

#[test]
fn bound_values_carry_the_column_they_are_stored_in_or_compared_with() {
    use aludel::dialects::MySql;
    let table = &Event::info().table;
    let stmt = insert(table).value("id", 1).value("day", ymd(2024, 1, 1));
    let compiled = stmt.compile(&MySql).unwrap();
    let columns: Vec<Option<&str>> = compiled.binds.iter().map(|b| b.column.as_deref()).collect();
    assert_eq!(columns, [Some("events.id"), Some("events.day")]);
    let query = select([table.c("id")]).where_(
        table
            .c("day")
            .eq(ymd(2024, 1, 1))
            .and(Expr::from(7).eq(table.c("id"))),
    );
    let compiled = query.compile(&MySql).unwrap();
    let columns: Vec<Option<&str>> = compiled.binds.iter().map(|b| b.column.as_deref()).collect();
    assert_eq!(columns, [Some("events.day"), Some("events.id")]);
}
