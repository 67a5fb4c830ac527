//! SQL-text assertions: one statement rendered for SQLite, PostgreSQL and MySQL side by side.

use aludel::dialects::{Dialect, MySql, Postgres, Sqlite};
use aludel::sql::Executable;

/// Asserts the SQL for the three dialects, in the order SQLite, PostgreSQL, MySQL (a
/// compile error is compared as `ERROR: <message>`).
#[track_caller]
pub fn assert_sql(stmt: &impl Executable, sqlite: &str, postgres: &str, mysql: &str) {
    let got = |d: &dyn Dialect| {
        stmt.compile(d)
            .map(|c| c.sql)
            .unwrap_or_else(|e| format!("ERROR: {e}"))
    };
    assert_eq!(got(&Sqlite), sqlite, "sqlite");
    assert_eq!(got(&Postgres), postgres, "postgresql");
    assert_eq!(got(&MySql), mysql, "mysql");
}

/// Asserts the same SQL on the three dialects up to the placeholder style: `qmark` as
/// written for SQLite and MySQL, its `?`s numbered `$1, $2, ...` for PostgreSQL.
#[track_caller]
pub fn assert_sql_all(stmt: &impl Executable, qmark: &str) {
    let mut numbered = String::new();
    let mut n = 0;
    for ch in qmark.chars() {
        if ch == '?' {
            n += 1;
            numbered.push_str(&format!("${n}"));
        } else {
            numbered.push(ch);
        }
    }
    assert_sql(stmt, qmark, &numbered, qmark);
}
