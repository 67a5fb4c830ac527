//! PostgreSQL: `$n` placeholders, ILIKE, DISTINCT ON, every locking form, identity columns.

use super::sqlite::numeric;
use super::{AutoincrementStyle, Dialect, LongInList, TwoPhaseStyle};
use crate::sql::Value;
use crate::sql::types::SqlType;

/// The PostgreSQL dialect.
///
/// ```
/// use aludel::dialects::{Dialect, Postgres};
/// let mut s = String::new();
/// Postgres.placeholder(3, &mut s);
/// assert_eq!(s, "$3");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl Dialect for Postgres {
    fn name(&self) -> &'static str {
        "postgresql"
    }

    fn two_phase_style(&self) -> Option<TwoPhaseStyle> {
        Some(TwoPhaseStyle::PreparedTransaction)
    }

    fn check_value(&self, value: &Value) -> Result<(), String> {
        match value {
            // The server would answer only "invalid byte sequence for encoding UTF8: 0x00",
            // naming neither the value nor its column.
            Value::Text(s) if s.contains('\0') => {
                Err("PostgreSQL text cannot hold the NUL character (U+0000)".into())
            }
            Value::Array(items) => items.iter().try_for_each(|v| self.check_value(v)),
            _ => Ok(()),
        }
    }

    fn placeholder(&self, index: usize, out: &mut String) {
        out.push('$');
        out.push_str(&index.to_string());
    }

    fn supports_ilike(&self) -> bool {
        true
    }

    fn supports_distinct_on(&self) -> bool {
        true
    }

    fn type_name(&self, ty: &SqlType) -> String {
        match ty {
            SqlType::SmallInteger => "SMALLINT".into(),
            SqlType::Integer => "INTEGER".into(),
            SqlType::BigInteger => "BIGINT".into(),
            SqlType::Float => "REAL".into(),
            SqlType::Double => "DOUBLE PRECISION".into(),
            SqlType::Numeric { precision, scale } => numeric("NUMERIC", *precision, *scale),
            SqlType::Boolean => "BOOLEAN".into(),
            SqlType::String { length: Some(n) } => format!("VARCHAR({n})"),
            SqlType::String { length: None } => "VARCHAR".into(),
            SqlType::Text => "TEXT".into(),
            SqlType::Binary => "BYTEA".into(),
            SqlType::Date => "DATE".into(),
            SqlType::Time => "TIME WITHOUT TIME ZONE".into(),
            SqlType::DateTime => "TIMESTAMP WITHOUT TIME ZONE".into(),
            SqlType::DateTimeTz => "TIMESTAMP WITH TIME ZONE".into(),
            SqlType::Uuid => "UUID".into(),
            SqlType::Json => "JSONB".into(),
        }
    }

    fn autoincrement_style(&self) -> AutoincrementStyle {
        AutoincrementStyle::Identity
    }

    fn long_in_list(&self) -> LongInList {
        LongInList::AnyArray
    }
}
