//! The `:name` bind parser of `text()`: any SQL text compiles on every dialect without a
//! panic; each parameter becomes exactly one placeholder and one bind, in order; and the
//! SQL around the parameters is kept.
#![no_main]

use aludel::dialects::{Dialect, MySql, Postgres, Sqlite};
use aludel::sql::{Executable, text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|sql: &str| {
    let clause = text(sql);
    let names = clause.param_names();
    for name in &names {
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_'),
            "{sql:?} gave the name {name:?}"
        );
    }
    for dialect in [&Sqlite as &dyn Dialect, &Postgres, &MySql] {
        let Ok(compiled) = clause.compile(dialect) else {
            continue;
        };
        // Every bind is one of the parsed names; every name is bound.
        for bind in &compiled.binds {
            let name = bind.name.as_deref();
            assert!(
                name.is_some_and(|b| names.contains(&b)),
                "{sql:?}: bind {name:?} was never named"
            );
        }
        for name in &names {
            assert!(
                compiled
                    .binds
                    .iter()
                    .any(|b| b.name.as_deref() == Some(*name)),
                "{sql:?}: {name:?} is not bound"
            );
        }
        // Without parameters the text is passed through untouched (bar `\:` escapes).
        if names.is_empty() && !sql.contains('\\') {
            assert_eq!(
                compiled.sql,
                sql,
                "{} changed text without parameters",
                dialect.name()
            );
        }
    }
});
