//! SQL-text tests for long IN lists: up to `LONG_IN_LIST` values one placeholder each, past
//! it the whole list as one parameter, in each dialect's form (`bind_limits.rs` runs them).

mod common;

use aludel::dialects::{Dialect, MySql, Postgres, Sqlite};
use aludel::sql::*;
use common::sql_text::*;

struct Fixture {
    users: Table,
}

fn fixture() -> Fixture {
    let mut md = MetaData::new();
    let users = md.add(
        Table::build("users")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(Column::new("name", SqlType::String { length: Some(50) }).nullable(false))
            .column(Column::new("age", SqlType::Integer)),
    );
    Fixture { users }
}

/// `n` distinct integers, for long IN lists.
fn ints(n: i64) -> Vec<i64> {
    (0..n).collect()
}

/// The values bound by `stmt` on `dialect`.
fn binds(stmt: &impl Executable, dialect: &dyn Dialect) -> Vec<Option<Value>> {
    let c = stmt.compile(dialect).unwrap();
    c.binds.into_iter().map(|b| b.value).collect()
}

#[test]
fn in_lists_up_to_the_threshold_keep_one_placeholder_per_value() {
    let f = fixture();
    let e = f
        .users
        .c("id")
        .in_(ints(aludel::dialects::LONG_IN_LIST as i64));
    let qmarks = vec!["?"; 1000].join(", ");
    let numbered: Vec<String> = (1..=1000).map(|i| format!("${i}")).collect();
    assert_sql(
        &e,
        &format!("users.id IN ({qmarks})"),
        &format!("users.id IN ({})", numbered.join(", ")),
        &format!("users.id IN ({qmarks})"),
    );
}

#[test]
fn long_in_lists_bind_one_parameter_per_dialect() {
    let f = fixture();
    assert_sql(
        &f.users.c("id").in_(ints(1001)),
        "users.id IN rarray(?)",
        "users.id = ANY($1)",
        "users.id IN (SELECT anon_1.v FROM JSON_TABLE(?, '$[*]' COLUMNS (v BIGINT PATH '$' ERROR ON ERROR)) AS anon_1)",
    );
    assert_sql(
        &f.users.c("id").not_in(ints(100_000)),
        "users.id NOT IN rarray(?)",
        "users.id <> ALL($1)",
        "users.id NOT IN (SELECT anon_1.v FROM JSON_TABLE(?, '$[*]' COLUMNS (v BIGINT PATH '$' ERROR ON ERROR)) AS anon_1)",
    );
    // The whole list, NULLs included, is the one bound value.
    let mut with_null: Vec<Option<i64>> = ints(2000).into_iter().map(Some).collect();
    with_null.push(None);
    for d in [&Sqlite as &dyn Dialect, &Postgres, &MySql] {
        let b = binds(&f.users.c("id").in_(with_null.clone()), d);
        assert_eq!(b.len(), 1, "{}", d.name());
        match &b[0] {
            Some(Value::Array(items)) => {
                assert_eq!(items.len(), 2001);
                assert_eq!(items[2000], Value::Null);
            }
            other => panic!("{}: {other:?}", d.name()),
        }
    }
}

#[test]
fn long_in_lists_number_the_placeholders_around_them() {
    let f = fixture();
    let stmt = select([f.users.c("name")]).where_(and_([
        f.users.c("name").eq("a"),
        f.users.c("id").in_(ints(5000)),
        f.users.c("age").gt(3),
    ]));
    assert_sql(
        &stmt,
        "SELECT users.name FROM users WHERE users.name = ? AND users.id IN rarray(?) AND users.age > ?",
        "SELECT users.name FROM users WHERE users.name = $1 AND users.id = ANY($2) AND users.age > $3",
        "SELECT users.name FROM users WHERE users.name = ? AND users.id IN (SELECT anon_1.v FROM JSON_TABLE(?, '$[*]' COLUMNS (v BIGINT PATH '$' ERROR ON ERROR)) AS anon_1) AND users.age > ?",
    );
}

#[test]
fn long_in_lists_on_mysql_take_the_json_table_type_from_the_values() {
    let f = fixture();
    let mysql = |e: Expr| e.compile(&MySql).unwrap().sql;
    let floats: Vec<f64> = (0..1500).map(|i| i as f64 / 2.0).collect();
    assert!(mysql(f.users.c("age").in_(floats)).contains("COLUMNS (v DOUBLE PATH"));
    let days: Vec<chrono::NaiveDate> = (0..1500)
        .map(|i| chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Duration::days(i))
        .collect();
    assert!(mysql(f.users.c("age").in_(days)).contains("COLUMNS (v DATE PATH"));
    let decimals: Vec<rust_decimal::Decimal> = (0..1500).map(rust_decimal::Decimal::from).collect();
    assert!(mysql(f.users.c("age").in_(decimals)).contains("COLUMNS (v DECIMAL(65, 30) PATH"));
    // Text keeps one placeholder per value there: a JSON_TABLE column's collation would
    // decide the comparison instead of the compared column's.
    let names: Vec<String> = (0..1500).map(|i| format!("u{i}")).collect();
    let sql = mysql(f.users.c("name").in_(names.clone()));
    assert!(sql.starts_with("users.name IN (?, ?, "), "{sql}");
    assert_eq!(
        binds(&f.users.c("name").in_(names.clone()), &MySql).len(),
        1500
    );
    assert_sql(
        &f.users.c("name").in_(names.clone()),
        "users.name IN rarray(?)",
        "users.name = ANY($1)",
        &sql,
    );
    // Mixed kinds cannot share one column type either.
    let mut mixed: Vec<Expr> = ints(1500).into_iter().map(Expr::from).collect();
    mixed.push("x".into());
    assert!(mysql(f.users.c("age").in_(mixed)).starts_with("users.age IN (?, "));
}

#[test]
fn long_in_lists_holding_expressions_keep_one_placeholder_per_item() {
    let f = fixture();
    let mut items: Vec<Expr> = ints(1500).into_iter().map(Expr::from).collect();
    items.push(f.users.c("age"));
    for d in [&Sqlite as &dyn Dialect, &Postgres, &MySql] {
        let c = f.users.c("id").in_(items.clone()).compile(d).unwrap();
        assert_eq!(c.binds.len(), 1500, "{}", d.name());
        assert!(c.sql.ends_with(", users.age)"), "{}", d.name());
    }
}

#[test]
fn a_long_list_holding_nan_keeps_its_placeholders_on_sqlite_only() {
    let f = fixture();
    let mut xs: Vec<f64> = (0..1500).map(f64::from).collect();
    xs.push(f64::NAN);
    let e = f.users.c("age").in_(xs);
    assert_eq!(e.compile(&Sqlite).unwrap().binds.len(), 1501);
    assert_eq!(e.compile(&Postgres).unwrap().sql, "users.age = ANY($1)");
    assert_eq!(e.compile(&MySql).unwrap().binds.len(), 1501);
}
