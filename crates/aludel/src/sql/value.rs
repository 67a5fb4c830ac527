//! Runtime values: the [`Value`] enum that crosses the driver boundary, and the
//! [`ToValue`] / [`FromValue`] conversions between it and Rust types.
//!
//! Every bound parameter travels as a `Value`, and every cell read back from a database
//! arrives as one. Drivers only ever see `Value`s, so adding a Rust type means adding a
//! conversion here, never touching a driver.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::Error;

/// One SQL value, as bound to a statement or read from a row.
///
/// ```
/// use aludel::sql::{ToValue, Value};
/// assert_eq!(42_i32.to_value(), Value::Int(42));
/// assert_eq!(None::<String>.to_value(), Value::Null);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A boolean (stored as `0`/`1` on SQLite and MySQL).
    Bool(bool),
    /// Any integer up to 64 bits.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// Text.
    Text(String),
    /// Binary data.
    Bytes(Vec<u8>),
    /// A calendar date.
    Date(NaiveDate),
    /// A time of day.
    Time(NaiveTime),
    /// A date and time without a time zone.
    DateTime(NaiveDateTime),
    /// A date and time in UTC.
    DateTimeUtc(DateTime<Utc>),
    /// An exact decimal number.
    Decimal(Decimal),
    /// A UUID.
    Uuid(Uuid),
    /// A JSON document.
    Json(serde_json::Value),
    /// A list of values bound as one parameter: a PostgreSQL array (of the element type the
    /// server infers), a SQLite `carray` for `rarray(?)`, a JSON array on MySQL. aludel binds
    /// long `IN` lists this way (see [`LongInList`](crate::dialects::LongInList)); it is
    /// never read back from a row.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable, Value};
    /// let ids: Vec<i64> = (0..5000).collect();
    /// let c = literal_column("id").in_(ids).compile(&aludel::dialects::Postgres).unwrap();
    /// assert_eq!(c.sql, "id = ANY($1)");
    /// assert!(matches!(&c.binds[0].value, Some(Value::Array(items)) if items.len() == 5000));
    /// ```
    Array(Vec<Value>),
}

impl Value {
    /// The name of this value's kind, used in conversion errors.
    ///
    /// ```
    /// assert_eq!(aludel::sql::Value::Int(1).kind(), "integer");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Text(_) => "text",
            Value::Bytes(_) => "bytes",
            Value::Date(_) => "date",
            Value::Time(_) => "time",
            Value::DateTime(_) => "datetime",
            Value::DateTimeUtc(_) => "datetime with time zone",
            Value::Decimal(_) => "decimal",
            Value::Uuid(_) => "uuid",
            Value::Json(_) => "json",
            Value::Array(_) => "array",
        }
    }

    /// Whether this is SQL `NULL`.
    ///
    /// ```
    /// assert!(aludel::sql::Value::Null.is_null());
    /// ```
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// Converts a Rust value into a [`Value`] for binding.
///
/// ```
/// use aludel::sql::{ToValue, Value};
/// assert_eq!("ada".to_value(), Value::Text("ada".into()));
/// ```
pub trait ToValue {
    /// The value to bind.
    fn to_value(&self) -> Value;
}

/// Converts a [`Value`] read from a row back into a Rust value.
///
/// Conversions accept what databases really return: SQLite and MySQL hand booleans back as
/// integers, dates as text, decimals as text or floats; those are parsed here.
///
/// ```
/// use aludel::sql::{FromValue, Value};
/// assert_eq!(i32::from_value(Value::Int(7)).unwrap(), 7);
/// assert!(i32::from_value(Value::Text("x".into())).is_err());
/// ```
pub trait FromValue: Sized {
    /// Converts, or explains why the value does not fit.
    fn from_value(value: Value) -> Result<Self, Error>;
}

pub(crate) fn mismatch<T>(expected: &'static str, found: &Value) -> Result<T, Error> {
    Err(Error::Conversion {
        expected,
        found: format!("{} {}", found.kind(), preview(found)),
    })
}

/// A short, safe rendering of a value for error messages.
fn preview(value: &Value) -> String {
    let text = match value {
        Value::Null => return String::new(),
        Value::Text(s) => format!("{s:?}"),
        Value::Bytes(b) => format!("of {} bytes", b.len()),
        Value::Array(items) => format!("of {} values", items.len()),
        other => format!("{other:?}"),
    };
    if text.chars().count() > 40 {
        let cut: String = text.chars().take(40).collect();
        format!("{cut}...")
    } else {
        text
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self, Error> {
        Ok(value)
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

macro_rules! integer_conversions {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Int(i64::from(*self))
            }
        }
        impl FromValue for $t {
            fn from_value(value: Value) -> Result<Self, Error> {
                let n = match value {
                    Value::Int(n) => n,
                    Value::Bool(b) => i64::from(b),
                    Value::Decimal(d) if d.fract().is_zero() => {
                        return <$t>::try_from(d.mantissa() / 10_i128.pow(d.scale()))
                            .or_else(|_| mismatch(stringify!($t), &Value::Decimal(d)));
                    }
                    Value::Text(ref s) => match s.parse::<i64>() {
                        Ok(n) => n,
                        Err(_) => return mismatch(stringify!($t), &value),
                    },
                    other => return mismatch(stringify!($t), &other),
                };
                <$t>::try_from(n).or_else(|_| mismatch(stringify!($t), &Value::Int(n)))
            }
        }
    )*};
}
integer_conversions!(i8, i16, i32, i64, u8, u16, u32);

impl ToValue for u64 {
    /// Values above `i64::MAX` become an exact decimal: no backend's BIGINT holds them, so
    /// storing one in an integer column is refused (SQLite's check, PostgreSQL's and
    /// MySQL's range checks) instead of becoming text that SQLite would round to a double.
    fn to_value(&self) -> Value {
        match i64::try_from(*self) {
            Ok(n) => Value::Int(n),
            Err(_) => Value::Decimal(Decimal::from(*self)),
        }
    }
}

impl FromValue for u64 {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Int(n) => u64::try_from(n).or_else(|_| mismatch("u64", &Value::Int(n))),
            Value::Decimal(d) if d.fract().is_zero() => {
                u64::try_from(d).or_else(|_| mismatch("u64", &Value::Decimal(d)))
            }
            Value::Text(ref s) => s.parse().or_else(|_| mismatch("u64", &value)),
            other => mismatch("u64", &other),
        }
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Bool(b) => Ok(b),
            Value::Int(0) => Ok(false),
            Value::Int(1) => Ok(true),
            other => mismatch("bool", &other),
        }
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Float(*self)
    }
}

impl ToValue for f32 {
    fn to_value(&self) -> Value {
        Value::Float(f64::from(*self))
    }
}

impl FromValue for f64 {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Float(f) => Ok(f),
            Value::Int(n) => Ok(n as f64),
            Value::Decimal(d) => d
                .to_string()
                .parse()
                .or_else(|_| mismatch("f64", &Value::Decimal(d))),
            Value::Text(ref s) => s.parse().or_else(|_| mismatch("f64", &value)),
            other => mismatch("f64", &other),
        }
    }
}

impl FromValue for f32 {
    fn from_value(value: Value) -> Result<Self, Error> {
        f64::from_value(value).map(|f| f as f32)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Text(s) => Ok(s),
            Value::Bytes(b) => String::from_utf8(b).map_err(|e| Error::Conversion {
                expected: "String",
                found: format!("bytes that are not UTF-8 ({e})"),
            }),
            other => mismatch("String", &other),
        }
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Bytes(self.to_vec())
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Bytes(self.clone())
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Bytes(b) => Ok(b),
            Value::Text(s) => Ok(s.into_bytes()),
            other => mismatch("Vec<u8>", &other),
        }
    }
}

impl ToValue for NaiveDate {
    fn to_value(&self) -> Value {
        Value::Date(*self)
    }
}

impl FromValue for NaiveDate {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Date(d) => Ok(d),
            Value::DateTime(dt) => Ok(dt.date()),
            Value::Text(ref s) => {
                NaiveDate::parse_from_str(s, "%Y-%m-%d").or_else(|_| mismatch("NaiveDate", &value))
            }
            other => mismatch("NaiveDate", &other),
        }
    }
}

impl ToValue for NaiveTime {
    fn to_value(&self) -> Value {
        Value::Time(*self)
    }
}

impl FromValue for NaiveTime {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Time(t) => Ok(t),
            Value::Text(ref s) => NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
                .or_else(|_| mismatch("NaiveTime", &value)),
            other => mismatch("NaiveTime", &other),
        }
    }
}

impl ToValue for NaiveDateTime {
    fn to_value(&self) -> Value {
        Value::DateTime(*self)
    }
}

impl FromValue for NaiveDateTime {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::DateTime(dt) => Ok(dt),
            Value::DateTimeUtc(dt) => Ok(dt.naive_utc()),
            Value::Date(d) => Ok(d.and_time(NaiveTime::MIN)),
            Value::Text(ref s) => parse_naive_datetime(s)
                .ok_or(())
                .or_else(|_| mismatch("NaiveDateTime", &value)),
            other => mismatch("NaiveDateTime", &other),
        }
    }
}

pub(crate) fn parse_naive_datetime(s: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

impl ToValue for DateTime<Utc> {
    fn to_value(&self) -> Value {
        Value::DateTimeUtc(*self)
    }
}

impl FromValue for DateTime<Utc> {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::DateTimeUtc(dt) => Ok(dt),
            Value::DateTime(dt) => Ok(dt.and_utc()),
            Value::Text(ref s) => match DateTime::parse_from_rfc3339(s) {
                Ok(dt) => Ok(dt.with_timezone(&Utc)),
                Err(_) => parse_naive_datetime(s.trim_end_matches("+00:00").trim_end_matches('Z'))
                    .map(|dt| dt.and_utc())
                    .ok_or(())
                    .or_else(|_| mismatch("DateTime<Utc>", &value)),
            },
            other => mismatch("DateTime<Utc>", &other),
        }
    }
}

impl ToValue for Decimal {
    fn to_value(&self) -> Value {
        Value::Decimal(*self)
    }
}

impl FromValue for Decimal {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Decimal(d) => Ok(d),
            Value::Int(n) => Ok(Decimal::from(n)),
            Value::Float(f) => {
                Decimal::try_from(f).or_else(|_| mismatch("Decimal", &Value::Float(f)))
            }
            Value::Text(ref s) => s.parse().or_else(|_| mismatch("Decimal", &value)),
            other => mismatch("Decimal", &other),
        }
    }
}

impl ToValue for Uuid {
    fn to_value(&self) -> Value {
        Value::Uuid(*self)
    }
}

impl FromValue for Uuid {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Uuid(u) => Ok(u),
            Value::Text(ref s) => Uuid::parse_str(s).or_else(|_| mismatch("Uuid", &value)),
            Value::Bytes(ref b) => Uuid::from_slice(b).or_else(|_| mismatch("Uuid", &value)),
            other => mismatch("Uuid", &other),
        }
    }
}

impl ToValue for serde_json::Value {
    fn to_value(&self) -> Value {
        Value::Json(self.clone())
    }
}

impl FromValue for serde_json::Value {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Json(j) => Ok(j),
            Value::Text(ref s) => serde_json::from_str(s).or_else(|_| mismatch("JSON", &value)),
            Value::Bytes(ref b) => serde_json::from_slice(b).or_else(|_| mismatch("JSON", &value)),
            other => mismatch("JSON", &other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip_and_reject_overflow() {
        assert_eq!(i16::from_value(300_i16.to_value()).unwrap(), 300);
        let err = i8::from_value(Value::Int(300)).unwrap_err().to_string();
        assert!(err.contains("i8") && err.contains("300"), "{err}");
    }

    #[test]
    fn backends_that_store_booleans_as_integers_read_back_as_bool() {
        assert!(bool::from_value(Value::Int(1)).unwrap());
        assert!(bool::from_value(Value::Int(2)).is_err());
    }

    #[test]
    fn dates_parse_from_text_as_sqlite_stores_them() {
        let d = NaiveDate::from_value(Value::Text("2024-02-29".into())).unwrap();
        assert_eq!(d, NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        let dt = NaiveDateTime::from_value(Value::Text("2024-02-29 10:11:12.5".into())).unwrap();
        assert_eq!(dt.to_string(), "2024-02-29 10:11:12.500");
    }

    #[test]
    fn wrong_type_error_names_expected_and_found() {
        let err = String::from_value(Value::Int(5)).unwrap_err().to_string();
        assert!(err.contains("String") && err.contains("integer"), "{err}");
    }
}
