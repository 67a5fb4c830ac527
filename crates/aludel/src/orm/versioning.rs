//! Optimistic locking: a version counter column checked and bumped by every flushed UPDATE
//! and DELETE (SQLAlchemy's `version_id_col`). The model names the column with
//! `#[model(version = "field")]`, optionally with `version_generator = path::to::fn`
//! computing the next version from the current one; the unit of work
//! ([`persistence`](super::persistence)) adds `SET version = <next>` and
//! `WHERE ... AND version = <loaded>` and reports a row count other than one as
//! [`Error::StaleData`].

use crate::error::{Error, Result};
use crate::orm::mapper::ModelInfo;
use crate::sql::Value;

/// Computes a row's next version from its current one: [`Value::Null`] for a new row (its
/// first version), else the version loaded from the database. Named by
/// `#[model(version = "...", version_generator = path)]`; the default is [`next_version`].
///
/// ```
/// use aludel::orm::{Model, VersionGenerator};
/// use aludel::sql::Value;
///
/// /// Versions "a", "aa", "aaa", ...
/// fn longer(current: &Value) -> aludel::Result<Value> {
///     Ok(match current {
///         Value::Text(s) => Value::Text(format!("{s}a")),
///         _ => Value::Text("a".into()),
///     })
/// }
///
/// #[derive(aludel::Model, Debug)]
/// #[model(table = "docs", version = "rev", version_generator = longer)]
/// struct Doc {
///     #[column(primary_key)]
///     id: i64,
///     #[column(max_len = 64)]
///     rev: String,
/// }
///
/// let (column, generator): (usize, VersionGenerator) = Doc::info().version.unwrap();
/// assert_eq!(column, 1);
/// assert_eq!(generator(&Value::Text("aa".into()))?, Value::Text("aaa".into()));
/// # Ok::<(), aludel::Error>(())
/// ```
pub type VersionGenerator = fn(&Value) -> Result<Value>;

/// The default [`VersionGenerator`]: 1 for a new row, then the integer plus one. A value
/// that is not an integer, or an integer that would overflow, is an error (give the model a
/// `version_generator` for other kinds of version).
///
/// ```
/// use aludel::orm::next_version;
/// use aludel::sql::Value;
/// assert_eq!(next_version(&Value::Null)?, Value::Int(1));
/// assert_eq!(next_version(&Value::Int(41))?, Value::Int(42));
/// assert!(next_version(&Value::Text("x".into())).is_err());
/// assert!(next_version(&Value::Int(i64::MAX)).is_err());
/// # Ok::<(), aludel::Error>(())
/// ```
pub fn next_version(current: &Value) -> Result<Value> {
    match current {
        Value::Null => Ok(Value::Int(1)),
        Value::Int(n) => n.checked_add(1).map(Value::Int).ok_or_else(|| {
            Error::invalid(format!(
                "the version counter {n} cannot be bumped: it would overflow"
            ))
        }),
        other => Err(Error::invalid(format!(
            "the default version generator counts integers; the version holds {other:?} (declare a version_generator)"
        ))),
    }
}

/// Runs the model's generator, naming the model and column in its error.
pub(crate) fn bump(
    info: &ModelInfo,
    column: usize,
    generator: VersionGenerator,
    current: &Value,
) -> Result<Value> {
    generator(current).map_err(|e| {
        Error::invalid(format!(
            "version column {}.{}: {e}",
            info.name,
            info.columns()[column].name
        ))
    })
}

/// `id=5` or `a=1, b='x'`: a primary key for an error message.
pub(crate) fn describe_key(info: &ModelInfo, key: &[Value]) -> String {
    info.primary_key
        .iter()
        .zip(key)
        .map(|(&i, v)| {
            let v = match v {
                Value::Int(n) => n.to_string(),
                Value::Text(s) => format!("'{s}'"),
                other => format!("{other:?}"),
            };
            format!("{}={v}", info.fields[i])
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `StaleData` error of a flushed UPDATE or DELETE (`verb`) that matched `matched`
/// rows instead of one. `row` holds the statement's WHERE parameters: the key as loaded,
/// then (for a versioned model) the version as loaded.
pub(crate) fn stale(info: &ModelInfo, verb: &str, row: &[Value], matched: u64) -> Error {
    let width = info.primary_key.len();
    let key = describe_key(info, &row[..width.min(row.len())]);
    let cause = match (info.version, row.get(width)) {
        (Some(_), Some(loaded)) => format!(
            "the row was deleted, or its version moved on from {} (the version loaded) in another transaction",
            match loaded {
                Value::Int(n) => n.to_string(),
                other => format!("{other:?}"),
            }
        ),
        _ => "the row was deleted or its key changed in another transaction".to_owned(),
    };
    Error::StaleData {
        message: format!(
            "{verb} of {} ({key}) in table '{}' expected to match 1 row; {matched} were matched: {cause}",
            info.name,
            info.table.name()
        ),
    }
}
