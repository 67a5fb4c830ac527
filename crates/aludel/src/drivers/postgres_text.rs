//! Parameters sent as PostgreSQL text input, for statements run without preparing them
//! (`prepared_statements=false`, for transaction-pooling PgBouncer).
//!
//! A prepared statement tells the client the type the server inferred for each parameter,
//! and [`Value`]s are encoded in binary for it. The unnamed statement is parsed, bound and
//! executed in one round trip, so the client never learns those types: each parameter is
//! declared unspecified and sent as text, and the server infers its type exactly as it
//! does when preparing, then reads the text with that type's input function (as psql and
//! libpq-based drivers do).

use std::error::Error as StdError;
use std::fmt::Write;

use chrono::{Datelike, NaiveDate, NaiveTime};
use postgres::types::{Format, IsNull, Kind, ToSql, Type, to_sql_checked};

use crate::sql::Value;

type BoxError = Box<dyn StdError + Sync + Send>;

/// A parameter whose type the server infers (oid 0 in the Parse message).
pub(crate) fn unspecified() -> Type {
    Type::new("unspecified".into(), 0, Kind::Pseudo, "pg_catalog".into())
}

/// A [`Value`] bound in text format.
#[derive(Debug)]
pub(crate) struct TextParam<'a>(pub(crate) &'a Value);

impl ToSql for TextParam<'_> {
    fn to_sql(&self, _: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        if matches!(self.0, Value::Null) {
            return Ok(IsNull::Yes);
        }
        let mut text = String::new();
        write_text(self.0, &mut text, false)?;
        out.extend_from_slice(text.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, _: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

/// Writes `value` as PostgreSQL reads it; `in_array` quotes it as an array element.
fn write_text(value: &Value, out: &mut String, in_array: bool) -> Result<(), BoxError> {
    let start = out.len();
    match value {
        Value::Null if in_array => {
            out.push_str("NULL");
            return Ok(());
        }
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => write!(out, "{n}")?,
        Value::Float(f) if f.is_nan() => out.push_str("NaN"),
        Value::Float(f) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" });
        }
        // `{:?}` is the shortest text that reads back as the same f64.
        Value::Float(f) => write!(out, "{f:?}")?,
        Value::Text(s) => out.push_str(s),
        Value::Bytes(b) => {
            out.push_str("\\x");
            for byte in b {
                write!(out, "{byte:02x}")?;
            }
        }
        Value::Date(d) => write_date(out, *d, None, "")?,
        Value::Time(t) => write!(out, "{}", t.format("%H:%M:%S%.f"))?,
        Value::DateTime(dt) => write_date(out, dt.date(), Some(dt.time()), "")?,
        Value::DateTimeUtc(dt) => write_date(out, dt.date_naive(), Some(dt.time()), "+00")?,
        Value::Decimal(d) => write!(out, "{d}")?,
        Value::Uuid(u) => write!(out, "{}", u.hyphenated())?,
        Value::Json(j) => write!(out, "{j}")?,
        Value::Array(_) if in_array => {
            return Err("a nested array cannot be bound as one PostgreSQL parameter".into());
        }
        Value::Array(items) => {
            out.push('{');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_text(item, out, true)?;
            }
            out.push('}');
            return Ok(());
        }
    }
    if in_array {
        // Every element quoted, `"` and `\` escaped: the array parser reads it back as is.
        let element = out.split_off(start);
        out.push('"');
        for ch in element.chars() {
            if ch == '"' || ch == '\\' {
                out.push('\\');
            }
            out.push(ch);
        }
        out.push('"');
    }
    Ok(())
}

/// A date (and time, and zone) as PostgreSQL reads it: years past 9999 in full, years
/// before 1 as `BC` (chrono's `%Y` would write `+10000` and `-0043`).
fn write_date(
    out: &mut String,
    date: NaiveDate,
    time: Option<NaiveTime>,
    zone: &str,
) -> std::fmt::Result {
    let year = date.year();
    let shown = if year <= 0 { 1 - year } else { year };
    write!(out, "{shown:04}-{:02}-{:02}", date.month(), date.day())?;
    if let Some(time) = time {
        write!(out, " {}{zone}", time.format("%H:%M:%S%.f"))?;
    }
    if year <= 0 {
        out.push_str(" BC");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn text(value: Value) -> String {
        let mut out = String::new();
        write_text(&value, &mut out, false).unwrap();
        out
    }

    #[test]
    fn values_are_written_as_postgres_input_text() {
        assert_eq!(text(Value::Int(-42)), "-42");
        assert_eq!(text(Value::Float(0.1)), "0.1");
        assert_eq!(text(Value::Float(f64::NEG_INFINITY)), "-Infinity");
        assert_eq!(text(Value::Bool(true)), "true");
        assert_eq!(text(Value::Bytes(vec![0, 0xab])), "\\x00ab");
        let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(text(Value::Date(date)), "2024-02-29");
        let at = date.and_hms_micro_opt(1, 2, 3, 4).unwrap();
        assert_eq!(text(Value::DateTime(at)), "2024-02-29 01:02:03.000004");
        let utc = Utc.from_utc_datetime(&at);
        assert_eq!(
            text(Value::DateTimeUtc(utc)),
            "2024-02-29 01:02:03.000004+00"
        );
        let far = NaiveDate::from_ymd_opt(10000, 1, 1).unwrap();
        assert_eq!(text(Value::Date(far)), "10000-01-01");
        let caesar = NaiveDate::from_ymd_opt(-43, 3, 15).unwrap();
        assert_eq!(text(Value::Date(caesar)), "0044-03-15 BC");
    }

    #[test]
    fn array_elements_are_quoted_and_escaped() {
        let items = Value::Array(vec![
            Value::Text("a\"b\\c,{d}".into()),
            Value::Null,
            Value::Int(3),
        ]);
        assert_eq!(text(items), r#"{"a\"b\\c,{d}",NULL,"3"}"#);
        let nested = Value::Array(vec![Value::Array(vec![])]);
        assert!(write_text(&nested, &mut String::new(), false).is_err());
    }
}
