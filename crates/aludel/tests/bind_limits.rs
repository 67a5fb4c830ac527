//! Bind-parameter limits on every backend: long IN lists (bound as one parameter) return
//! the same rows as short ones, NOT IN and NULLs keep their meaning, and a statement that
//! still has too many placeholders fails as a Programming error naming the limit before
//! anything is sent, leaving the connection (and its transaction) usable.

mod common;

use aludel::engine::{Backend, Connection};
use aludel::orm::{Model, Session, create_all};
use aludel::sql::*;
use aludel::{Error, Result};
use chrono::NaiveDate;

use common::TestDb;

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "tags")]
struct Tag {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    #[column(max_len = 20)]
    name: String,
}

/// `nums`: ids 1..=1000, label `n<id>`, `day` 2000-01-01 plus id days, `x` = id / 2.
fn nums(db: &TestDb) -> Result<(Table, Connection)> {
    let mut md = MetaData::new();
    let t = md.add(
        Table::build("nums")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(Column::new("label", SqlType::String { length: Some(20) }))
            .column(Column::new("day", SqlType::Date))
            .column(Column::new("x", SqlType::Double)),
    );
    md.create_all(db)?;
    let mut conn = db.connect()?;
    let rows: Vec<Vec<Expr>> = (1..=1000_i64)
        .map(|i| {
            vec![
                i.into(),
                format!("n{i}").into(),
                day(i).into(),
                (i as f64 / 2.0).into(),
            ]
        })
        .collect();
    conn.execute(&insert(&t).rows(&["id", "label", "day", "x"], rows), ())?;
    Ok((t, conn))
}

fn day(i: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Duration::days(i)
}

fn count(conn: &mut Connection, t: &Table, condition: Expr) -> Result<i64> {
    conn.scalar(&select([func::count_star()]).from(t).where_(condition), ())
}

/// The bind limit of the backend under test.
fn limit(db: &TestDb) -> usize {
    match db.backend() {
        Backend::Sqlite => 32_766,
        Backend::Postgres | Backend::MySql => 65_535,
    }
}

#[track_caller]
fn assert_limit_error(err: &Error, limit: usize, count: usize) {
    assert!(matches!(err, Error::Programming(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("at most {limit}")) && text.contains(&format!("has {count} bind")),
        "{text}"
    );
}

backend_tests! {
    fn in_list_of_100000_ints_returns_the_matching_rows(db) {
        let (t, mut conn) = nums(db)?;
        // The even numbers 0..200,000: 500 of the ids 1..=1000.
        let evens: Vec<i64> = (0..100_000).map(|i| i * 2).collect();
        assert_eq!(count(&mut conn, &t, t.c("id").in_(evens.clone()))?, 500);
        assert_eq!(count(&mut conn, &t, t.c("id").not_in(evens.clone()))?, 500);
        // The rows really are the even ones.
        let odd_hit = count(&mut conn, &t, and_([t.c("id").in_(evens.clone()), t.c("id").eq(7)]))?;
        assert_eq!(odd_hit, 0);
        // NULL keeps IN's meaning: no extra match for IN, and NOT IN matches nothing.
        let mut with_null: Vec<Option<i64>> = evens.iter().copied().map(Some).collect();
        with_null.push(None);
        assert_eq!(count(&mut conn, &t, t.c("id").in_(with_null.clone()))?, 500);
        assert_eq!(count(&mut conn, &t, t.c("id").not_in(with_null))?, 0);
        Ok(())
    }

    fn in_list_of_40000_strings_returns_the_matching_rows(db) {
        let (t, mut conn) = nums(db)?;
        // n0, n2, ..., n79998: 500 of the labels n1..n1000.
        let labels: Vec<String> = (0..40_000).map(|i| format!("n{}", i * 2)).collect();
        assert_eq!(count(&mut conn, &t, t.c("label").in_(labels.clone()))?, 500);
        assert_eq!(count(&mut conn, &t, t.c("label").not_in(labels.clone()))?, 500);
        let hit: String = conn.scalar(
            &select([t.c("label")]).from(&t)
                .where_(and_([t.c("label").in_(labels), t.c("id").lt(3)])),
            (),
        )?;
        assert_eq!(hit, "n2");
        Ok(())
    }

    fn long_in_lists_of_dates_and_floats_compare_by_value(db) {
        let (t, mut conn) = nums(db)?;
        // Days of the ids 1..=1500 step 3 (334 of them are in the table), as dates.
        let days: Vec<NaiveDate> = (0..1500).map(|i| day(1 + 3 * i)).collect();
        assert_eq!(count(&mut conn, &t, t.c("day").in_(days.clone()))?, 334);
        assert_eq!(count(&mut conn, &t, t.c("day").not_in(days))?, 666);
        // x = id / 2 for ids 1, 5, 9, ...: halves and whole numbers alike.
        let xs: Vec<f64> = (0..2000).map(|i| (1 + 4 * i) as f64 / 2.0).collect();
        assert_eq!(count(&mut conn, &t, t.c("x").in_(xs))?, 250);
        Ok(())
    }

    fn long_in_lists_match_what_the_same_values_in_short_lists_match(db) {
        let (t, mut conn) = nums(db)?;
        // The oracle: the same values split into lists short enough to keep one
        // placeholder each, OR-ed together. Values of another type than the column's
        // are converted as the database converts a lone bound value.
        let cases: Vec<(&str, Vec<Expr>)> = vec![
            ("id", (1..=1500).map(|i| Expr::from((2 * i).to_string())).collect()),
            ("x", (0..1500_i64).map(Expr::from).collect()),
            ("x", (0..1500).map(|i| Expr::from(format!("{i}.5"))).collect()),
        ];
        for (column, values) in cases {
            let chunked = or_(values.chunks(500).map(|c| t.c(column).in_(c.to_vec())));
            let expected = count(&mut conn, &t, chunked)?;
            assert!(expected > 0, "{column}");
            assert_eq!(count(&mut conn, &t, t.c(column).in_(values.clone()))?, expected, "{column}");
            assert_eq!(count(&mut conn, &t, t.c(column).not_in(values))?, 1000 - expected, "{column}");
        }
        Ok(())
    }

    fn a_flush_deleting_more_objects_than_a_long_in_list_holds_deletes_them_all(db) {
        create_all(db, &[Tag::info()])?;
        let s = Session::new(db);
        let tags = s.add_all((0..2500).map(|id| Tag { id, name: format!("t{id}") }))?;
        s.commit()?;
        for t in &tags[..2400] {
            s.delete(t)?;
        }
        s.commit()?;
        assert_eq!(s.query::<Tag>().count()?, 100);
        Ok(())
    }

    fn a_statement_over_the_bind_limit_fails_before_it_is_sent(db) {
        let (t, mut conn) = nums(db)?;
        let limit = limit(db);
        // A multi-row INSERT of two columns with one placeholder too many.
        let n = limit / 2 + 1;
        let rows: Vec<Vec<Expr>> = (0..n as i64)
            .map(|i| vec![(10_000 + i).into(), "x".into()])
            .collect();
        let too_big = insert(&t).rows(&["id", "label"], rows);
        conn.begin_transaction()?;
        conn.execute(&insert(&t).value("id", 5000).value("label", "kept"), ())?;
        let err = conn.execute(&too_big, ()).unwrap_err();
        assert_limit_error(&err, limit, n * 2);
        // Nothing was sent: the connection and its transaction go on.
        assert!(!conn.is_invalidated());
        assert_eq!(count(&mut conn, &t, t.c("id").ge(10_000))?, 0);
        conn.commit()?;
        assert_eq!(count(&mut conn, &t, t.c("label").eq("kept"))?, 1);
        // The same through a session-style compiled path with values given separately.
        let c = too_big.compile(conn.dialect())?;
        let values = c.bind_values(&Params::new())?;
        let err = conn.stream_compiled(&c, values).err().expect("refused");
        assert_limit_error(&err, limit, n * 2);
        assert_eq!(count(&mut conn, &t, t.c("id").eq(5000))?, 1);
        Ok(())
    }

    fn a_long_text_in_list_on_mysql_past_its_limit_is_a_clear_error(db) {
        let (t, mut conn) = nums(db)?;
        let labels: Vec<String> = (0..70_000).map(|i| format!("n{i}")).collect();
        let result = count(&mut conn, &t, t.c("label").in_(labels));
        if db.backend() == Backend::MySql {
            // Text lists are not rewritten on MySQL (see LongInList::JsonTable).
            assert_limit_error(&result.unwrap_err(), 65_535, 70_000);
            assert_eq!(count(&mut conn, &t, t.c("id").lt(11))?, 10);
        } else {
            assert_eq!(result?, 1000);
        }
        Ok(())
    }
}
