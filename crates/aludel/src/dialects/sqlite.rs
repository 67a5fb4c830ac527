//! SQLite: `?` placeholders, `LIMIT -1 OFFSET n`, no row locks, no FULL JOIN before 3.39
//! (the bundled SQLite is newer, so FULL JOIN works), types by affinity.

use super::{AutoincrementStyle, Dialect, FunctionSpelling, InsertManyStyle, LongInList};
use crate::sql::Value;
use crate::sql::types::SqlType;

/// The SQLite dialect.
///
/// ```
/// use aludel::dialects::{Dialect, Sqlite};
/// assert_eq!(Sqlite.name(), "sqlite");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

impl Dialect for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn supports_alter(&self) -> bool {
        false
    }

    fn table_names_sql(&self) -> &'static str {
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    }

    fn boolean_literal(&self, value: bool) -> &'static str {
        if value { "1" } else { "0" }
    }

    fn limit_for_offset_only(&self) -> Option<&'static str> {
        Some("-1")
    }

    fn supports_set_op_all(&self) -> bool {
        false
    }

    fn supports_row_locking(&self) -> bool {
        false
    }

    fn function_name<'a>(&self, name: &'a str) -> FunctionSpelling<'a> {
        match name {
            "now" => FunctionSpelling::Keyword("CURRENT_TIMESTAMP"),
            _ => FunctionSpelling::Call(name),
        }
    }

    fn type_name(&self, ty: &SqlType) -> String {
        match ty {
            SqlType::SmallInteger => "SMALLINT".into(),
            SqlType::Integer | SqlType::BigInteger => "INTEGER".into(),
            SqlType::Float => "REAL".into(),
            SqlType::Double => "DOUBLE".into(),
            SqlType::Numeric { precision, scale } => numeric("NUMERIC", *precision, *scale),
            SqlType::Boolean => "BOOLEAN".into(),
            SqlType::String { length: Some(n) } => format!("VARCHAR({n})"),
            SqlType::String { length: None } => "VARCHAR".into(),
            SqlType::Text => "TEXT".into(),
            SqlType::Binary => "BLOB".into(),
            SqlType::Date => "DATE".into(),
            SqlType::Time => "TIME".into(),
            SqlType::DateTime => "DATETIME".into(),
            SqlType::DateTimeTz => "DATETIME".into(),
            SqlType::Uuid => "CHAR(36)".into(),
            SqlType::Json => "JSON".into(),
        }
    }

    fn cast_type_name(&self, ty: &SqlType) -> String {
        match ty {
            SqlType::Numeric { .. } => "NUMERIC".into(),
            other => self.type_name(other),
        }
    }

    fn autoincrement_style(&self) -> AutoincrementStyle {
        AutoincrementStyle::IntegerPrimaryKey
    }

    fn insert_many_style(&self) -> InsertManyStyle {
        InsertManyStyle::RowByRow
    }

    fn check_value(&self, value: &Value) -> Result<(), String> {
        match value {
            // SQLite turns a bound NaN into NULL; infinities are stored as REAL.
            Value::Float(f) if f.is_nan() => {
                Err("SQLite cannot store NaN (it would become NULL); infinities are stored".into())
            }
            Value::Decimal(d) if !sqlite_keeps_decimal(d) => Err(format!(
                "SQLite cannot store the decimal {d} exactly: its NUMERIC columns keep a \
                 64-bit integer or a double (15 significant digits)"
            )),
            // A long IN list bound as one `rarray`: each element must fit.
            Value::Array(items) => items.iter().try_for_each(|v| self.check_value(v)),
            _ => Ok(()),
        }
    }

    /// `SQLITE_MAX_VARIABLE_NUMBER` of the bundled SQLite (3.32 and later).
    fn max_bind_params(&self) -> usize {
        32_766
    }

    fn long_in_list(&self) -> LongInList {
        LongInList::CarrayTable
    }
}

/// Whether SQLite's NUMERIC affinity keeps `d` exactly: an integer that fits 64 bits, or a
/// value of at most 15 significant digits (what a double round-trips).
fn sqlite_keeps_decimal(d: &rust_decimal::Decimal) -> bool {
    let d = d.normalize();
    if d.scale() == 0 {
        return i64::try_from(d.mantissa()).is_ok();
    }
    d.mantissa().unsigned_abs() < 1_000_000_000_000_000
}

/// `NUMERIC(p, s)` with whatever of precision and scale is given.
pub(super) fn numeric(name: &str, precision: Option<u32>, scale: Option<u32>) -> String {
    match (precision, scale) {
        (Some(p), Some(s)) => format!("{name}({p}, {s})"),
        (Some(p), None) => format!("{name}({p})"),
        _ => name.to_owned(),
    }
}
