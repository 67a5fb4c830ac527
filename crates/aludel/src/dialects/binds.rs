//! Bind-parameter limits and how a long `IN` list is bound within them.
//!
//! Every database caps the placeholders of one statement (PostgreSQL and MySQL at 65,535,
//! the count field of their wire protocols; SQLite at its compiled-in
//! `SQLITE_MAX_VARIABLE_NUMBER`, 32,766 for the bundled library). A long `IN` list of
//! plain values is therefore sent as one parameter holding the whole list, in the form
//! [`Dialect::long_in_list`] names, and a statement that still has too many placeholders
//! is refused by [`check_bind_count`] before anything reaches the server.

use super::Dialect;
use crate::error::{DatabaseError, DatabaseErrorKind, Error, Result};

/// How an `IN` list of more than [`LONG_IN_LIST`] plain values is bound, per dialect
/// (see [`Dialect::long_in_list`]). Shorter lists always render one placeholder per value.
///
/// ```
/// use aludel::dialects::{Dialect, LongInList, MySql, Postgres, Sqlite};
/// assert_eq!(Postgres.long_in_list(), LongInList::AnyArray);
/// assert_eq!(Sqlite.long_in_list(), LongInList::CarrayTable);
/// assert_eq!(MySql.long_in_list(), LongInList::JsonTable);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LongInList {
    /// One placeholder per value, however long the list (the statement may then exceed
    /// [`Dialect::max_bind_params`] and be refused).
    Placeholders,
    /// PostgreSQL: `x = ANY($1)` / `x <> ALL($1)` with the list bound as one array of the
    /// type the server infers for `x`.
    AnyArray,
    /// SQLite: `x IN rarray(?)` with the list bound as one `carray` pointer, so each value
    /// keeps its SQLite type (integer, real, text, blob, NULL).
    CarrayTable,
    /// MySQL 8 / MariaDB 10.6+: `x IN (SELECT v FROM JSON_TABLE(?, '$[*]' COLUMNS (v T
    /// PATH '$' ...)) AS ...)` with the list bound as one JSON array. `T` is taken from the
    /// values (BIGINT, DOUBLE, DECIMAL, DATE, DATETIME(6), TIME(6)); lists of text are not
    /// rewritten, because a JSON_TABLE column's collation would override the compared
    /// column's and change (or break) string comparison.
    JsonTable,
}

/// An `IN` list with more values than this is bound as one parameter (see [`LongInList`]);
/// up to this many values render one placeholder each, exactly as a short list does.
///
/// ```
/// assert_eq!(aludel::dialects::LONG_IN_LIST, 1000);
/// ```
pub const LONG_IN_LIST: usize = 1000;

/// Refuses a statement with more placeholders than `dialect` allows: a
/// [`Error::Programming`] naming the limit and the count, raised before anything is sent,
/// so the connection stays usable.
pub(crate) fn check_bind_count(dialect: &dyn Dialect, sql: &str, count: usize) -> Result<()> {
    let limit = dialect.max_bind_params();
    if count <= limit {
        return Ok(());
    }
    Err(Error::Programming(DatabaseError {
        kind: DatabaseErrorKind::Syntax,
        message: format!(
            "the statement has {count} bind parameters but {} allows at most {limit} per statement \
             (long IN lists of plain values are bound as one parameter; split the statement, \
             e.g. insert fewer rows per statement)",
            dialect.name()
        ),
        code: None,
        constraint: None,
        sql: Some(sql_preview(sql)),
    }))
}

/// The start of a statement, for an error about a statement too large to quote whole.
fn sql_preview(sql: &str) -> String {
    const MAX: usize = 200;
    match sql.char_indices().nth(MAX) {
        None => sql.to_owned(),
        Some((cut, _)) => format!("{}... ({} characters)", &sql[..cut], sql.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects::{MySql, Postgres, Sqlite};

    #[test]
    fn counts_up_to_the_limit_pass_and_one_more_is_refused_naming_both() {
        assert!(check_bind_count(&Sqlite, "SELECT 1", 32_766).is_ok());
        let err = check_bind_count(&Sqlite, "SELECT 1", 32_767).unwrap_err();
        assert!(matches!(err, Error::Programming(_)), "{err}");
        let text = err.to_string();
        assert!(text.contains("32767") && text.contains("32766"), "{text}");
        assert!(check_bind_count(&Postgres, "SELECT 1", 65_535).is_ok());
        assert!(check_bind_count(&MySql, "SELECT 1", 65_536).is_err());
    }

    #[test]
    fn a_bound_list_is_held_to_the_rules_of_its_elements() {
        use crate::sql::Value;
        let list = |v: Value| Value::Array(vec![Value::Int(1), v]);
        assert!(Sqlite.check_value(&list(Value::Float(f64::NAN))).is_err());
        assert!(
            Sqlite
                .check_value(&list(Value::Float(f64::INFINITY)))
                .is_ok()
        );
        assert!(
            MySql
                .check_value(&list(Value::Float(f64::INFINITY)))
                .is_err()
        );
        assert!(Postgres.check_value(&list(Value::Float(f64::NAN))).is_ok());
    }

    #[test]
    fn the_sql_of_a_huge_statement_is_cut_in_the_error() {
        let sql = format!("SELECT {}", "?, ".repeat(40_000));
        let err = check_bind_count(&Sqlite, &sql, 40_000).unwrap_err();
        let quoted = err.database_error().unwrap().sql.clone().unwrap();
        assert!(quoted.len() < 300, "{quoted}");
    }
}
