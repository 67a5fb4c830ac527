//! MySQL and MariaDB: backtick quoting, `?` placeholders, `concat()`, no FULL JOIN, no
//! RETURNING (MariaDB's partial RETURNING is not relied on), `LOCK IN SHARE MODE`,
//! `ON DUPLICATE KEY UPDATE`, `AUTO_INCREMENT`.

use super::sqlite::numeric;
use super::{
    AutoincrementStyle, Dialect, FunctionSpelling, LockRequest, LockStrength, LockWait, LongInList,
    TwoPhaseStyle, UpsertStyle,
};
use chrono::Datelike;

use crate::error::Result;
use crate::sql::Value;
use crate::sql::types::SqlType;

/// The first year MySQL's DATE and DATETIME support.
const MIN_YEAR: i32 = 1000;
/// The last year MySQL's DATE and DATETIME support.
const MAX_YEAR: i32 = 9999;

/// The MySQL / MariaDB dialect.
///
/// ```
/// use aludel::dialects::{Dialect, MySql};
/// assert!(!MySql.supports_returning());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MySql;

impl Dialect for MySql {
    fn name(&self) -> &'static str {
        "mysql"
    }

    fn two_phase_style(&self) -> Option<TwoPhaseStyle> {
        Some(TwoPhaseStyle::Xa)
    }

    fn identifier_quote(&self) -> char {
        '`'
    }

    fn string_literal(&self, text: &str, out: &mut String) {
        out.push('\'');
        for ch in text.chars() {
            match ch {
                '\'' => out.push_str("''"),
                '\\' => out.push_str("\\\\"),
                '\0' => out.push_str("\\0"),
                c => out.push(c),
            }
        }
        out.push('\'');
    }

    fn concat_operator(&self) -> Option<&'static str> {
        None
    }

    fn limit_for_offset_only(&self) -> Option<&'static str> {
        Some("18446744073709551615")
    }

    fn supports_returning(&self) -> bool {
        false
    }

    fn supports_full_join(&self) -> bool {
        false
    }

    fn supports_nulls_ordering(&self) -> bool {
        false
    }

    fn supports_set_op_all(&self) -> bool {
        // MariaDB 10.5+ has INTERSECT ALL / EXCEPT ALL; MySQL 8.0.31+ too.
        true
    }

    fn locking_clause(&self, lock: &LockRequest<'_>, out: &mut String) -> Result<()> {
        match lock.strength {
            LockStrength::Update => out.push_str(" FOR UPDATE"),
            LockStrength::Share => {
                if lock.wait != LockWait::Wait || !lock.of.is_empty() {
                    return Err(self.unsupported("FOR SHARE with NOWAIT, SKIP LOCKED or OF"));
                }
                out.push_str(" LOCK IN SHARE MODE");
                return Ok(());
            }
            LockStrength::NoKeyUpdate => return Err(self.unsupported("FOR NO KEY UPDATE")),
            LockStrength::KeyShare => return Err(self.unsupported("FOR KEY SHARE")),
        }
        if !lock.of.is_empty() {
            return Err(self.unsupported("FOR UPDATE OF"));
        }
        match lock.wait {
            LockWait::Wait => {}
            LockWait::NoWait => out.push_str(" NOWAIT"),
            LockWait::SkipLocked => out.push_str(" SKIP LOCKED"),
        }
        Ok(())
    }

    fn upsert_style(&self) -> UpsertStyle {
        UpsertStyle::OnDuplicateKey
    }

    fn function_name<'a>(&self, name: &'a str) -> FunctionSpelling<'a> {
        match name {
            "length" => FunctionSpelling::Call("char_length"),
            _ => FunctionSpelling::Call(name),
        }
    }

    fn type_name(&self, ty: &SqlType) -> String {
        match ty {
            SqlType::SmallInteger => "SMALLINT".into(),
            SqlType::Integer => "INTEGER".into(),
            SqlType::BigInteger => "BIGINT".into(),
            SqlType::Float => "FLOAT".into(),
            SqlType::Double => "DOUBLE".into(),
            SqlType::Numeric { precision, scale } => exact_numeric("NUMERIC", *precision, *scale),
            SqlType::Boolean => "BOOL".into(),
            SqlType::String { length: Some(n) } => format!("VARCHAR({n})"),
            // Unbounded means unbounded: TEXT and BLOB stop at 64 KiB, the LONG forms
            // at 4 GiB (in practice at the server's max_allowed_packet).
            SqlType::String { length: None } | SqlType::Text => "LONGTEXT".into(),
            SqlType::Binary => "LONGBLOB".into(),
            SqlType::Date => "DATE".into(),
            SqlType::Time => "TIME(6)".into(),
            SqlType::DateTime => "DATETIME(6)".into(),
            SqlType::DateTimeTz => "DATETIME(6)".into(),
            SqlType::Uuid => "CHAR(36)".into(),
            SqlType::Json => "JSON".into(),
        }
    }

    fn key_type_name(&self, ty: &SqlType) -> String {
        match ty {
            // MySQL indexes no TEXT/BLOB column without a prefix length, and a prefix
            // would make a UNIQUE or PRIMARY KEY compare only the prefix.
            SqlType::String { length: None } | SqlType::Text => "VARCHAR(255)".into(),
            SqlType::Binary => "VARBINARY(255)".into(),
            other => self.type_name(other),
        }
    }

    fn cast_type_name(&self, ty: &SqlType) -> String {
        match ty {
            SqlType::SmallInteger | SqlType::Integer | SqlType::BigInteger => "SIGNED".into(),
            SqlType::Float | SqlType::Double => "DOUBLE".into(),
            SqlType::Numeric { precision, scale } => exact_numeric("DECIMAL", *precision, *scale),
            SqlType::Boolean => "SIGNED".into(),
            SqlType::String { length: Some(n) } => format!("CHAR({n})"),
            SqlType::String { length: None } | SqlType::Text | SqlType::Uuid => "CHAR".into(),
            SqlType::Binary => "BINARY".into(),
            SqlType::Date => "DATE".into(),
            SqlType::Time => "TIME(6)".into(),
            SqlType::DateTime | SqlType::DateTimeTz => "DATETIME(6)".into(),
            SqlType::Json => "JSON".into(),
        }
    }

    fn autoincrement_style(&self) -> AutoincrementStyle {
        AutoincrementStyle::AutoIncrement
    }

    fn check_value(&self, value: &Value) -> std::result::Result<(), String> {
        let year = match value {
            // A long IN list bound as one JSON array: each element must fit.
            Value::Array(items) => return items.iter().try_for_each(|v| self.check_value(v)),
            Value::Float(f) if !f.is_finite() => {
                return Err(format!(
                    "MySQL and MariaDB cannot store {f} (no NaN or infinity in FLOAT/DOUBLE)"
                ));
            }
            Value::Date(d) => d.year(),
            Value::DateTime(dt) => dt.year(),
            Value::DateTimeUtc(dt) => dt.year(),
            _ => return Ok(()),
        };
        if (MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Ok(());
        }
        // The client would send such a date as 0000-00-00 (or the server store it so).
        Err(format!(
            "the year {year} is outside MySQL's DATE/DATETIME range (years {MIN_YEAR} to {MAX_YEAR})"
        ))
    }

    fn drop_foreign_key_keyword(&self) -> &'static str {
        "FOREIGN KEY"
    }

    fn table_names_sql(&self) -> &'static str {
        "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
    }

    fn supports_create_index_if_not_exists(&self) -> bool {
        // MariaDB has it; MySQL 8 does not, so `create_all` on MySQL 8 fails for tables
        // with indexes. MariaDB is the server tested here.
        true
    }

    fn long_in_list(&self) -> LongInList {
        LongInList::JsonTable
    }
}

/// MySQL's DECIMAL without a precision is DECIMAL(10, 0), which rounds 1.5 to 2 silently.
/// An unbounded numeric is DECIMAL(65, 30) instead: the widest MySQL has, holding every
/// `rust_decimal::Decimal` (at most 28 fractional digits) exactly.
fn exact_numeric(name: &str, precision: Option<u32>, scale: Option<u32>) -> String {
    match precision {
        None => format!("{name}(65, 30)"),
        Some(_) => numeric(name, precision, scale),
    }
}
