//! Typed columns (`Model::field`): each operator's SQL on the three dialects, and its rows on
//! every backend, including wildcards matched literally, nullable columns, column-against-
//! column comparisons, and untyped values that do not fit the column.
//! The compile-time half (values of the wrong type rejected) is proven by the
//! `compile_fail` examples on `aludel::orm::Column`.

mod common;

use aludel::Result;
use aludel::dialects::{Dialect, MySql, Postgres, Sqlite};
use aludel::orm::{Model, Session, create_all};
use aludel::sql::{Executable, Expr, Value, bindparam_value, func, literal, literal_column};

use common::TestDb;

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "items")]
struct Item {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    n: i32,
    big: i64,
    score: f64,
    #[column(max_len = 50)]
    name: String,
    #[column(max_len = 50)]
    note: Option<String>,
    limit_n: Option<i32>,
}

/// Asserts the SQL and the bound values for SQLite, PostgreSQL and MySQL, in that order.
#[track_caller]
fn assert_sql(e: &Expr, sqlite: &str, postgres: &str, mysql: &str, binds: &[Value]) {
    for (d, want) in [
        (&Sqlite as &dyn Dialect, sqlite),
        (&Postgres, postgres),
        (&MySql, mysql),
    ] {
        let c = e
            .compile(d)
            .unwrap_or_else(|err| panic!("{}: {err}", d.name()));
        assert_eq!(c.sql, want, "{}", d.name());
        let got: Vec<Value> = c.binds.into_iter().map(|b| b.value.unwrap()).collect();
        assert_eq!(got, binds, "{}", d.name());
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn comparisons_bind_values_of_the_column_type() {
    let int = |n| Value::Int(n);
    assert_sql(
        &Item::n.eq(16621),
        "items.n = ?",
        "items.n = $1",
        "items.n = ?",
        &[int(16621)],
    );
    assert_sql(
        &Item::big.ne(3_000_000_000),
        "items.big != ?",
        "items.big != $1",
        "items.big != ?",
        &[int(3_000_000_000)],
    );
    assert_sql(
        &Item::n.lt(1),
        "items.n < ?",
        "items.n < $1",
        "items.n < ?",
        &[int(1)],
    );
    assert_sql(
        &Item::n.le(1),
        "items.n <= ?",
        "items.n <= $1",
        "items.n <= ?",
        &[int(1)],
    );
    assert_sql(
        &Item::n.gt(1),
        "items.n > ?",
        "items.n > $1",
        "items.n > ?",
        &[int(1)],
    );
    assert_sql(
        &Item::score.ge(1.5),
        "items.score >= ?",
        "items.score >= $1",
        "items.score >= ?",
        &[Value::Float(1.5)],
    );
    assert_sql(
        &Item::name.eq("ada"),
        "items.name = ?",
        "items.name = $1",
        "items.name = ?",
        &[text("ada")],
    );
    let owned = String::from("ada");
    assert_sql(
        &Item::name.eq(&owned),
        "items.name = ?",
        "items.name = $1",
        "items.name = ?",
        &[text("ada")],
    );
}

#[test]
fn nullable_columns_take_values_none_and_columns() {
    assert_sql(
        &Item::note.eq("a"),
        "items.note = ?",
        "items.note = $1",
        "items.note = ?",
        &[text("a")],
    );
    assert_sql(
        &Item::note.eq(None),
        "items.note IS NULL",
        "items.note IS NULL",
        "items.note IS NULL",
        &[],
    );
    assert_sql(
        &Item::note.ne(None),
        "items.note IS NOT NULL",
        "items.note IS NOT NULL",
        "items.note IS NOT NULL",
        &[],
    );
    assert_sql(
        &Item::limit_n.eq(Some(3)),
        "items.limit_n = ?",
        "items.limit_n = $1",
        "items.limit_n = ?",
        &[Value::Int(3)],
    );
    assert_sql(
        &Item::note.is_null(),
        "items.note IS NULL",
        "items.note IS NULL",
        "items.note IS NULL",
        &[],
    );
    assert_sql(
        &Item::note.is_not_null(),
        "items.note IS NOT NULL",
        "items.note IS NOT NULL",
        "items.note IS NOT NULL",
        &[],
    );
    assert_sql(
        &Item::n.le(Item::limit_n),
        "items.n <= items.limit_n",
        "items.n <= items.limit_n",
        "items.n <= items.limit_n",
        &[],
    );
    assert_sql(
        &Item::limit_n.gt(Item::n),
        "items.limit_n > items.n",
        "items.limit_n > items.n",
        "items.limit_n > items.n",
        &[],
    );
    assert_sql(
        &Item::name.eq(Item::note),
        "items.name = items.note",
        "items.name = items.note",
        "items.name = items.note",
        &[],
    );
}

#[test]
fn ranges_and_lists_bind_each_value() {
    let int = |n| Value::Int(n);
    assert_sql(
        &Item::n.between(1, 5),
        "items.n BETWEEN ? AND ?",
        "items.n BETWEEN $1 AND $2",
        "items.n BETWEEN ? AND ?",
        &[int(1), int(5)],
    );
    assert_sql(
        &Item::n.not_between(1, 5),
        "items.n NOT BETWEEN ? AND ?",
        "items.n NOT BETWEEN $1 AND $2",
        "items.n NOT BETWEEN ? AND ?",
        &[int(1), int(5)],
    );
    assert_sql(
        &Item::big.in_([1, 3_000_000_000]),
        "items.big IN (?, ?)",
        "items.big IN ($1, $2)",
        "items.big IN (?, ?)",
        &[int(1), int(3_000_000_000)],
    );
    assert_sql(
        &Item::name.not_in(["a"]),
        "items.name NOT IN (?)",
        "items.name NOT IN ($1)",
        "items.name NOT IN (?)",
        &[text("a")],
    );
    let ids: Vec<i64> = vec![4, 5];
    assert_sql(
        &Item::id.in_(&ids),
        "items.id IN (?, ?)",
        "items.id IN ($1, $2)",
        "items.id IN (?, ?)",
        &[int(4), int(5)],
    );
    assert_sql(
        &Item::limit_n.in_([1, 2]),
        "items.limit_n IN (?, ?)",
        "items.limit_n IN ($1, $2)",
        "items.limit_n IN (?, ?)",
        &[int(1), int(2)],
    );
}

#[test]
fn pattern_operators_escape_wildcards_in_literal_text() {
    assert_sql(
        &Item::name.like("a%"),
        "items.name LIKE ?",
        "items.name LIKE $1",
        "items.name LIKE ?",
        &[text("a%")],
    );
    assert_sql(
        &Item::name.not_like("a%"),
        "items.name NOT LIKE ?",
        "items.name NOT LIKE $1",
        "items.name NOT LIKE ?",
        &[text("a%")],
    );
    assert_sql(
        &Item::name.ilike("A%"),
        "lower(items.name) LIKE lower(?)",
        "items.name ILIKE $1",
        "lower(items.name) LIKE lower(?)",
        &[text("A%")],
    );
    assert_sql(
        &Item::name.not_ilike("A%"),
        "lower(items.name) NOT LIKE lower(?)",
        "items.name NOT ILIKE $1",
        "lower(items.name) NOT LIKE lower(?)",
        &[text("A%")],
    );
    let (q, pg) = (
        "items.note LIKE ? ESCAPE '/'",
        "items.note LIKE $1 ESCAPE '/'",
    );
    assert_sql(&Item::note.contains("50%"), q, pg, q, &[text("%50/%%")]);
    assert_sql(&Item::note.startswith("a_b"), q, pg, q, &[text("a/_b%")]);
    assert_sql(&Item::note.endswith("a/b"), q, pg, q, &[text("%a//b")]);
}

#[test]
fn untyped_expressions_are_the_escape_hatch() {
    assert_sql(
        &Item::n.gt(literal_column("2 * 3")),
        "items.n > 2 * 3",
        "items.n > 2 * 3",
        "items.n > 2 * 3",
        &[],
    );
    assert_sql(
        &Item::name.eq(func::lower(Item::note)),
        "items.name = lower(items.note)",
        "items.name = lower(items.note)",
        "items.name = lower(items.note)",
        &[],
    );
    // NULL fits every column, as in Core.
    assert_sql(
        &Item::n.eq(literal(None::<i32>)),
        "items.n IS NULL",
        "items.n IS NULL",
        "items.n IS NULL",
        &[],
    );
    // A bound value inside an Expr is converted to the column's type when it fits ...
    assert_sql(
        &Item::n.eq(literal("7")),
        "items.n = ?",
        "items.n = $1",
        "items.n = ?",
        &[Value::Int(7)],
    );
    assert_sql(
        &Item::big.eq(bindparam_value("b", 9)),
        "items.big = ?",
        "items.big = $1",
        "items.big = ?",
        &[Value::Int(9)],
    );
}

#[test]
fn an_untyped_value_the_column_cannot_hold_fails_naming_the_column() {
    for e in [
        Item::n.eq(literal("abc")),
        Item::n.eq(literal(i64::MAX)),
        Item::n.in_([literal(1), literal(1.5)]),
        Item::name.like(literal(5)),
        Item::score.between(literal(0.0), literal("x")),
    ] {
        for d in [&Sqlite as &dyn Dialect, &Postgres, &MySql] {
            let err = e.compile(d).expect_err("must not compile");
            assert!(
                err.to_string().contains("column Item."),
                "{}: {err}",
                d.name()
            );
        }
    }
    let err = Item::n
        .eq(literal("abc"))
        .compile(&Sqlite)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Item.n") && err.contains("\"abc\""), "{err}");
}

fn item(id: i64, n: i32, name: &str, note: Option<&str>, limit_n: Option<i32>) -> Item {
    Item {
        id,
        n,
        big: i64::from(n) * 1_000_000_000,
        score: f64::from(n) / 2.0,
        name: name.into(),
        note: note.map(Into::into),
        limit_n,
    }
}

fn setup(db: &TestDb) -> Result<Session> {
    create_all(db, &[Item::info()])?;
    let s = Session::new(db);
    s.add_all([
        item(1, 0, "50% off", Some("a_b"), Some(5)),
        item(2, 5, "50 percent", None, Some(5)),
        item(3, 10, "ada_x", Some("axb"), None),
        item(4, 20, "adamx", Some("C/X"), Some(25)),
        item(5, 30, "Ada Lovelace", Some("c/d"), Some(1)),
    ])?;
    s.commit()?;
    Ok(s)
}

/// The ids of the rows `criterion` selects, in id order.
fn ids(s: &Session, criterion: Expr) -> Result<Vec<i64>> {
    let rows = s
        .query::<Item>()
        .filter(criterion)
        .order_by(Item::id)
        .all()?;
    rows.iter().map(|i| Ok(i.read()?.id)).collect()
}

backend_tests! {
    fn comparisons_ranges_and_lists_select_the_right_rows(db) {
        let s = setup(db)?;
        assert_eq!(ids(&s, Item::n.eq(5))?, [2]);
        assert_eq!(ids(&s, Item::n.ne(5))?, [1, 3, 4, 5]);
        assert_eq!(ids(&s, Item::n.lt(10))?, [1, 2]);
        assert_eq!(ids(&s, Item::n.le(10))?, [1, 2, 3]);
        assert_eq!(ids(&s, Item::big.gt(10_000_000_000))?, [4, 5]);
        assert_eq!(ids(&s, Item::score.ge(2.5))?, [2, 3, 4, 5]);
        assert_eq!(ids(&s, Item::name.eq("adamx"))?, [4]);
        assert_eq!(ids(&s, Item::n.between(5, 20))?, [2, 3, 4]);
        assert_eq!(ids(&s, Item::n.not_between(5, 20))?, [1, 5]);
        assert_eq!(ids(&s, Item::big.in_([5_000_000_000, 30_000_000_000]))?, [2, 5]);
        assert_eq!(ids(&s, Item::name.not_in(["adamx", "ada_x"]))?, [1, 2, 5]);
        assert_eq!(ids(&s, Item::n.in_(Vec::<i32>::new()))?, Vec::<i64>::new());
        assert_eq!(ids(&s, Item::n.not_in(Vec::<i32>::new()))?.len(), 5);
        Ok(())
    }

    fn pattern_operators_match_wildcards_in_the_data_literally(db) {
        let s = setup(db)?;
        // LIKE's own wildcards work in patterns ...
        assert_eq!(ids(&s, Item::name.like("50%"))?, [1, 2]);
        assert_eq!(ids(&s, Item::name.not_like("50%"))?, [3, 4, 5]);
        assert_eq!(ids(&s, Item::name.like("ada_x"))?, [3, 4]);
        assert_eq!(ids(&s, Item::name.ilike("ADA%"))?, [3, 4, 5]);
        assert_eq!(ids(&s, Item::name.not_ilike("ADA%"))?, [1, 2]);
        // ... but contains/startswith/endswith match %, _ and / in their text literally.
        assert_eq!(ids(&s, Item::name.contains("0%"))?, [1]);
        assert_eq!(ids(&s, Item::name.startswith("ada_"))?, [3]);
        assert_eq!(ids(&s, Item::name.endswith("_x"))?, [3]);
        assert_eq!(ids(&s, Item::note.contains("_"))?, [1]);
        assert_eq!(ids(&s, Item::note.endswith("/d"))?, [5]);
        assert_eq!(ids(&s, Item::note.ilike("c/%"))?, [4, 5]);
        Ok(())
    }

    fn nullable_columns_compare_with_values_none_and_other_columns(db) {
        let s = setup(db)?;
        assert_eq!(ids(&s, Item::note.eq("axb"))?, [3]);
        assert_eq!(ids(&s, Item::note.eq(None))?, [2]);
        assert_eq!(ids(&s, Item::note.ne(None))?, [1, 3, 4, 5]);
        assert_eq!(ids(&s, Item::note.is_null())?, [2]);
        assert_eq!(ids(&s, Item::limit_n.is_not_null())?, [1, 2, 4, 5]);
        assert_eq!(ids(&s, Item::limit_n.in_([1, 25]))?, [4, 5]);
        // Column against column: NULL limits compare as unknown, so row 3 never matches.
        assert_eq!(ids(&s, Item::n.le(Item::limit_n))?, [1, 2, 4]);
        assert_eq!(ids(&s, Item::limit_n.lt(Item::n))?, [5]);
        assert_eq!(ids(&s, Item::n.eq(Item::limit_n))?, [2]);
        Ok(())
    }

    fn an_untyped_value_that_does_not_fit_fails_before_anything_is_sent(db) {
        let s = setup(db)?;
        // Before typed operands, MariaDB compared n with 'abc' as n = 0 and returned row 1.
        let err = ids(&s, Item::n.eq(literal("abc"))).expect_err("'abc' is no i32");
        assert!(err.to_string().contains("column Item.n"), "{err}");
        let err = ids(&s, Item::n.eq(literal(i64::MAX))).expect_err("out of range");
        assert!(err.to_string().contains("column Item.n"), "{err}");
        // A value that does fit is converted to the column's type first.
        assert_eq!(ids(&s, Item::n.eq(literal("5")))?, [2]);
        Ok(())
    }
}
