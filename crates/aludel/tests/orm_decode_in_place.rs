//! Rows decoded in place on every backend: every field type (and NULL) built straight from
//! the driver's row by the derive and by Core's `RowRef::get`, nothing decoded for a row
//! whose object the session already holds, and decode errors naming model and column.

mod common;

use std::cell::Cell;

use aludel::engine::Backend;
use aludel::orm::{Model, Session, SessionConfig, SqlTyped, create_all};
use aludel::sql::{FromValue, FromValueRef, SqlType, ToValue, Value, ValueRef, select, text};
use aludel::{Error, Result, params};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use common::TestDb;

/// One column of every supported field type, and the same types as `Option`s.
#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "kinds")]
struct Kinds {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    tiny: i8,
    small: i16,
    int: i32,
    byte: u8,
    word: u16,
    dword: u32,
    single: f32,
    double: f64,
    flag: bool,
    #[column(max_len = 40)]
    name: String,
    blob: Vec<u8>,
    day: NaiveDate,
    clock: NaiveTime,
    stamp: NaiveDateTime,
    utc: DateTime<Utc>,
    #[column(sql_type = SqlType::Numeric { precision: Some(12), scale: Some(2) })]
    amount: Decimal,
    uid: Uuid,
    doc: serde_json::Value,
    maybe_int: Option<i64>,
    #[column(max_len = 40)]
    maybe_name: Option<String>,
    maybe_blob: Option<Vec<u8>>,
    maybe_day: Option<NaiveDate>,
    maybe_stamp: Option<NaiveDateTime>,
    maybe_flag: Option<bool>,
    maybe_double: Option<f64>,
    #[column(sql_type = SqlType::Numeric { precision: Some(12), scale: Some(2) })]
    maybe_amount: Option<Decimal>,
    maybe_uid: Option<Uuid>,
    maybe_doc: Option<serde_json::Value>,
}

fn full(id: i64) -> Kinds {
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let clock = NaiveTime::from_hms_opt(23, 59, 58).unwrap();
    Kinds {
        id,
        tiny: -8,
        small: -1600,
        int: 2_000_000_000,
        byte: 200,
        word: 60_000,
        dword: 4_000_000_000,
        single: 1.5,
        double: -2.25,
        flag: true,
        name: "zoë — naïve".into(),
        blob: vec![0, 1, 2, 254, 255],
        day,
        clock,
        stamp: day.and_time(clock),
        utc: day.and_hms_opt(1, 2, 3).unwrap().and_utc(),
        amount: Decimal::new(-123_456, 2),
        uid: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        doc: serde_json::json!({"a": [1, 2], "b": "x"}),
        maybe_int: Some(-5),
        maybe_name: Some("ada".into()),
        maybe_blob: Some(vec![9]),
        maybe_day: Some(day),
        maybe_stamp: Some(day.and_time(clock)),
        maybe_flag: Some(false),
        maybe_double: Some(0.5),
        maybe_amount: Some(Decimal::new(5, 1)),
        maybe_uid: Some(Uuid::from_u128(7)),
        maybe_doc: Some(serde_json::json!([true])),
    }
}

fn nulls(id: i64) -> Kinds {
    Kinds {
        maybe_int: None,
        maybe_name: None,
        maybe_blob: None,
        maybe_day: None,
        maybe_stamp: None,
        maybe_flag: None,
        maybe_double: None,
        maybe_amount: None,
        maybe_uid: None,
        maybe_doc: None,
        ..full(id)
    }
}

fn setup_kinds(db: &TestDb) -> Result<()> {
    create_all(db, &[Kinds::info()])?;
    let s = Session::new(db);
    s.add(full(1))?;
    s.add(nulls(2))?;
    s.commit()
}

thread_local! {
    /// How many `Counted` cells this thread decoded from rows.
    static DECODED: Cell<usize> = const { Cell::new(0) };
}

fn decoded() -> usize {
    DECODED.with(Cell::get)
}

/// A custom field type that counts how often it is built from a row.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Counted(i64);

impl ToValue for Counted {
    fn to_value(&self) -> Value {
        Value::Int(self.0)
    }
}

impl FromValue for Counted {
    fn from_value(value: Value) -> Result<Self> {
        i64::from_value(value).map(Counted)
    }
}

impl FromValueRef for Counted {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self> {
        DECODED.with(|n| n.set(n.get() + 1));
        i64::from_value_ref(value).map(Counted)
    }
}

impl SqlTyped for Counted {
    fn sql_type() -> SqlType {
        SqlType::BigInteger
    }
}

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "tallies")]
struct Tally {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    score: Counted,
    #[column(max_len = 20)]
    label: String,
}

/// Maps `gauges.level`, a text column, to an integer field.
#[derive(aludel::Model, Debug)]
#[model(table = "gauges")]
struct Gauge {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    level: i32,
}

backend_tests! {
    fn every_field_type_decodes_from_the_row_including_nulls(db) {
        setup_kinds(db)?;
        let s = Session::new(db);
        let loaded = s.query::<Kinds>().order_by(Kinds::id).all()?;
        let got: Vec<Kinds> = loaded.iter().map(|k| k.get()).collect::<Result<_>>()?;
        assert_eq!(got, vec![full(1), nulls(2)]);
        let again = Session::new(db).get::<Kinds>(2)?.expect("row 2");
        assert_eq!(again.get()?, nulls(2));
        Ok(())
    }

    fn core_rows_get_every_kind_in_place(db) {
        setup_kinds(db)?;
        let mut conn = db.connect()?;
        let columns = ["id", "tiny", "name", "blob", "day", "stamp", "amount", "uid", "doc", "flag", "maybe_name", "maybe_day"];
        let table = &Kinds::info().table;
        let stmt = select(columns.iter().map(|c| table.c(c))).order_by(table.c("id"));
        let mut rows = conn.stream(&stmt, ())?;
        let mut seen = 0;
        while let Some(row) = rows.next_ref() {
            let row = row?;
            let want = if seen == 0 { full(1) } else { nulls(2) };
            assert_eq!(row.get::<i64>("id")?, want.id);
            assert_eq!(row.get::<i8>("tiny")?, want.tiny);
            assert_eq!(row.get::<String>("name")?, want.name);
            assert_eq!(row.get::<Vec<u8>>("blob")?, want.blob);
            assert_eq!(row.get::<NaiveDate>("day")?, want.day);
            assert_eq!(row.get::<NaiveDateTime>("stamp")?, want.stamp);
            assert_eq!(row.get::<Decimal>("amount")?, want.amount);
            assert_eq!(row.get::<Uuid>("uid")?, want.uid);
            assert_eq!(row.get::<serde_json::Value>("doc")?, want.doc);
            assert_eq!(row.get::<bool>("flag")?, want.flag);
            assert_eq!(row.get::<Option<String>>("maybe_name")?, want.maybe_name);
            assert_eq!(row.get::<Option<NaiveDate>>(11)?, want.maybe_day);
            if seen == 1 {
                assert!(row.cell("maybe_name")?.is_null());
            }
            let err = row.get::<i64>("name").unwrap_err().to_string();
            assert!(err.contains("column 'name'"), "{err}");
            seen += 1;
        }
        assert_eq!(seen, 2);
        drop(rows);
        // The owned path (Iterator of `Row`) decodes the same cells.
        let owned: Vec<_> = conn.stream(&stmt, ())?.collect::<Result<_>>()?;
        assert_eq!(owned[0].get::<String>("name")?, full(1).name);
        assert_eq!(owned[1].value("maybe_day")?, &Value::Null);
        Ok(())
    }

    fn a_row_whose_object_is_present_is_not_decoded_again(db) {
        create_all(db, &[Tally::info()])?;
        let s = Session::with_config(db, SessionConfig { autoflush: false, ..SessionConfig::default() });
        for id in 1..=3 {
            s.add(Tally { id, score: Counted(id * 10), label: format!("t{id}") })?;
        }
        s.commit()?;
        let s = Session::with_config(db, SessionConfig { autoflush: false, ..SessionConfig::default() });
        let before = decoded();
        let first = s.query::<Tally>().order_by(Tally::id).all()?;
        assert_eq!(decoded() - before, 3, "three new objects, three decodes");
        first[0].write()?.label = "changed, not flushed".into();
        let second = s.query::<Tally>().order_by(Tally::id).all()?;
        assert_eq!(decoded() - before, 3, "present rows build nothing");
        assert!(second[0].ptr_eq(&first[0]));
        assert_eq!(second[0].read()?.label, "changed, not flushed", "unflushed change kept");
        assert!(s.get::<Tally>(2)?.is_some());
        assert_eq!(decoded() - before, 3, "get of a present object reads nothing");
        // An expired object met by a query is rebuilt from its row.
        s.expire(&first[1])?;
        let third = s.query::<Tally>().order_by(Tally::id).all()?;
        assert_eq!(decoded() - before, 4, "only the expired object is decoded");
        assert!(third[1].ptr_eq(&first[1]));
        assert_eq!(third[1].read()?.score, Counted(20));
        // Refresh decodes the object's row once.
        s.refresh(&first[2])?;
        assert_eq!(decoded() - before, 5);
        Ok(())
    }

    fn a_decode_error_names_the_model_and_column(db) {
        let mut conn = db.connect()?;
        conn.execute(&text("CREATE TABLE gauges (id INTEGER PRIMARY KEY, level VARCHAR(20))"), ())?;
        conn.execute(&text("INSERT INTO gauges (id, level) VALUES (1, 'high')"), ())?;
        drop(conn);
        let s = Session::new(db);
        let err = s.query::<Gauge>().all().unwrap_err();
        assert!(matches!(err, Error::Conversion { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("Gauge.level") && message.contains("high"), "{message}");
        let err = Session::new(db).get::<Gauge>(1).unwrap_err().to_string();
        assert!(err.contains("Gauge.level"), "{err}");
        // A row narrower than the model is refused, naming the model.
        let mut conn = db.connect()?;
        let mut rows = conn.stream(&text("SELECT 1"), ())?;
        let row = rows.next_ref().expect("one row")?;
        let err = Gauge::from_row(&row, 0).unwrap_err().to_string();
        assert!(err.contains("Gauge") && err.contains("2 columns"), "{err}");
        Ok(())
    }

    /// MySQL TIME values chrono cannot hold (beyond a day, negative) are rewritten as text
    /// when the row is read, so the cell can still be lent; both protocols agree with the
    /// owned decoding that came before.
    fn mysql_times_beyond_a_day_read_back_as_text(db) {
        if db.backend() != Backend::MySql {
            return Ok(());
        }
        let mut conn = db.connect()?;
        let binary: String = conn.scalar(&text("SELECT CAST(:t AS TIME)"), params! { "t" => "30:00:01" })?;
        assert_eq!(binary, "30:00:01.000000");
        let negative: String = conn.scalar(&text("SELECT CAST(:t AS TIME)"), params! { "t" => "-01:02:03" })?;
        assert_eq!(negative, "-01:02:03.000000");
        let textual: String = conn.scalar(&text("SELECT CAST('30:00:01' AS TIME)"), ())?;
        assert_eq!(textual, "30:00:01");
        let in_a_day: NaiveTime = conn.scalar(&text("SELECT CAST(:t AS TIME)"), params! { "t" => "10:11:12" })?;
        assert_eq!(in_a_day, NaiveTime::from_hms_opt(10, 11, 12).unwrap());
        Ok(())
    }
}
