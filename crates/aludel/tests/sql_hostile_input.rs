//! Hostile input at the SQL-text level: values never reach the SQL text, and identifiers
//! are quoted so that no name can close its quoting early. `sql_execute.rs` proves the same
//! against real databases.

use aludel::dialects::{Dialect, MySql, Postgres, Sqlite};
use aludel::sql::*;
use proptest::prelude::*;

const DIALECTS: [&dyn Dialect; 3] = [&Sqlite, &Postgres, &MySql];

/// Reads back a quoted identifier, failing if a quote character closes it early.
fn unquote(quoted: &str, q: char) -> Option<String> {
    if !quoted.starts_with(q) {
        return Some(quoted.to_owned());
    }
    let inner: Vec<char> = quoted.chars().skip(1).collect();
    let (last, body) = inner.split_last()?;
    if *last != q {
        return None;
    }
    let mut out = String::new();
    let mut i = 0;
    while i < body.len() {
        if body[i] == q {
            if body.get(i + 1) != Some(&q) {
                return None; // an undoubled quote would end the identifier
            }
            i += 1;
        }
        out.push(body[i]);
        i += 1;
    }
    Some(out)
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_'\"`;\\\\ -]{0,12}",
        Just("x'; DROP TABLE users; --".to_owned()),
        Just("a\"b`c".to_owned()),
        Just("/* c */".to_owned()),
        "\\PC{1,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn values_only_ever_travel_as_bound_parameters(v in hostile_text()) {
        let users = Table::build("users").column(Column::new("name", SqlType::Text)).finish();
        for d in DIALECTS {
            let c = select([users.c("name")]).where_(users.c("name").eq(v.as_str())).compile(d).unwrap();
            prop_assert!(c.sql.ends_with("users.name = ?") || c.sql.ends_with("users.name = $1"));
            prop_assert_eq!(c.binds.len(), 1);
            prop_assert_eq!(c.binds[0].value.clone(), Some(Value::Text(v.clone())));
        }
    }

    #[test]
    fn identifiers_round_trip_through_quoting(name in "[^\\x00]{1,16}") {
        for d in DIALECTS {
            let mut out = String::new();
            d.quote_identifier(&name, &mut out);
            prop_assert_eq!(unquote(&out, d.identifier_quote()), Some(name.clone()), "{} rendered {}", d.name(), out);
        }
    }
}

#[test]
fn nul_in_an_identifier_is_a_compile_error() {
    let t = Table::build("bad\0name")
        .column(Column::new("a", SqlType::Text))
        .finish();
    for d in DIALECTS {
        let err = select([t.c("a")]).compile(d).unwrap_err().to_string();
        assert!(err.contains("NUL"), "{err}");
    }
}

#[test]
fn text_clause_does_not_treat_quoted_colons_as_parameters() {
    let c = text("SELECT ':not_a_param', \":also_not\" , :real")
        .compile(&Postgres)
        .unwrap();
    assert_eq!(c.sql, "SELECT ':not_a_param', \":also_not\" , $1");
    assert_eq!(c.binds.len(), 1);
}
