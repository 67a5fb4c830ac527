//! Borrowed cell values: [`ValueRef`], a view of one cell of the driver's current row, and
//! [`FromValueRef`], which builds a Rust value straight from it.
//!
//! Rows are decoded in place: a driver hands out its current row as a
//! [`RowView`](crate::engine::RowView) whose cells are `ValueRef`s borrowing the client's
//! buffers (text and bytes are never copied there), and a field is built from the cell
//! directly, so a `String` field costs one copy, into the field. The conversion rules and
//! error messages are those of [`FromValue`]: both traits accept the same cells.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::Error;
use crate::sql::value::{FromValue, Value, mismatch, parse_naive_datetime};

/// One cell of a row, borrowed from the driver: text and bytes by reference, everything
/// else by value. JSON stays the document's text until a field asks for it parsed.
///
/// ```
/// use aludel::sql::{FromValueRef, ValueRef};
/// let cell = ValueRef::Text("ada");
/// assert_eq!(String::from_value_ref(cell)?, "ada");
/// assert_eq!(cell.kind(), "text");
/// assert_eq!(Option::<i64>::from_value_ref(ValueRef::Null)?, None);
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ValueRef<'a> {
    /// SQL `NULL`.
    Null,
    /// A boolean (PostgreSQL `bool`, MySQL `TINYINT(1)`).
    Bool(bool),
    /// Any integer up to 64 bits.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// Text, borrowed from the driver's row.
    Text(&'a str),
    /// Binary data, borrowed from the driver's row.
    Bytes(&'a [u8]),
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
    /// A JSON document, as its text.
    Json(&'a str),
}

impl<'a> ValueRef<'a> {
    /// The name of this cell's kind, as [`Value::kind`] names it.
    ///
    /// ```
    /// assert_eq!(aludel::sql::ValueRef::Bytes(b"x").kind(), "bytes");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            ValueRef::Null => "NULL",
            ValueRef::Bool(_) => "boolean",
            ValueRef::Int(_) => "integer",
            ValueRef::Float(_) => "float",
            ValueRef::Text(_) => "text",
            ValueRef::Bytes(_) => "bytes",
            ValueRef::Date(_) => "date",
            ValueRef::Time(_) => "time",
            ValueRef::DateTime(_) => "datetime",
            ValueRef::DateTimeUtc(_) => "datetime with time zone",
            ValueRef::Decimal(_) => "decimal",
            ValueRef::Uuid(_) => "uuid",
            ValueRef::Json(_) => "json",
        }
    }

    /// Whether this is SQL `NULL`.
    ///
    /// ```
    /// assert!(aludel::sql::ValueRef::Null.is_null());
    /// ```
    pub fn is_null(&self) -> bool {
        matches!(self, ValueRef::Null)
    }

    /// The owned [`Value`] of this cell (text and bytes copied, JSON parsed; JSON the
    /// server sent but that does not parse stays text).
    ///
    /// ```
    /// use aludel::sql::{Value, ValueRef};
    /// assert_eq!(ValueRef::Text("x").to_value(), Value::Text("x".into()));
    /// assert_eq!(ValueRef::Json("[1]").to_value(), Value::Json(serde_json::json!([1])));
    /// ```
    pub fn to_value(&self) -> Value {
        match *self {
            ValueRef::Null => Value::Null,
            ValueRef::Bool(b) => Value::Bool(b),
            ValueRef::Int(n) => Value::Int(n),
            ValueRef::Float(f) => Value::Float(f),
            ValueRef::Text(s) => Value::Text(s.to_owned()),
            ValueRef::Bytes(b) => Value::Bytes(b.to_vec()),
            ValueRef::Date(d) => Value::Date(d),
            ValueRef::Time(t) => Value::Time(t),
            ValueRef::DateTime(dt) => Value::DateTime(dt),
            ValueRef::DateTimeUtc(dt) => Value::DateTimeUtc(dt),
            ValueRef::Decimal(d) => Value::Decimal(d),
            ValueRef::Uuid(u) => Value::Uuid(u),
            ValueRef::Json(s) => serde_json::from_str(s)
                .map(Value::Json)
                .unwrap_or_else(|_| Value::Text(s.to_owned())),
        }
    }
}

/// Builds a Rust value from a borrowed cell ([`ValueRef`]), by the same rules as
/// [`FromValue`] (integers from booleans and integral decimals, dates from text, ...) and
/// with the same errors. `#[derive(Model)]` decodes every field through it; implement it
/// for a custom field type (alongside `FromValue`, `ToValue` and `SqlTyped`).
///
/// ```
/// use aludel::sql::{FromValueRef, ValueRef};
/// assert_eq!(i32::from_value_ref(ValueRef::Int(7))?, 7);
/// assert_eq!(bool::from_value_ref(ValueRef::Int(1))?, true);
/// let err = i8::from_value_ref(ValueRef::Int(300)).unwrap_err().to_string();
/// assert!(err.contains("i8") && err.contains("300"), "{err}");
/// # Ok::<(), aludel::Error>(())
/// ```
pub trait FromValueRef: Sized {
    /// Converts, or explains why the cell does not fit.
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error>;
}

/// The error for a cell `T` cannot hold: the message [`FromValue`] gives for the same
/// value (the owned value is built only on this path).
fn refuse<T>(expected: &'static str, found: ValueRef<'_>) -> Result<T, Error> {
    mismatch(expected, &found.to_value())
}

impl FromValueRef for Value {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        Ok(value.to_value())
    }
}

impl<T: FromValueRef> FromValueRef for Option<T> {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Null => Ok(None),
            other => T::from_value_ref(other).map(Some),
        }
    }
}

macro_rules! integer_refs {
    ($($t:ty),*) => {$(
        impl FromValueRef for $t {
            fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
                match value {
                    ValueRef::Int(n) => <$t>::try_from(n).or_else(|_| refuse(stringify!($t), value)),
                    ValueRef::Bool(b) => Ok(<$t>::from(b)),
                    // Integral decimals and numeric text: exactly FromValue's rules.
                    ValueRef::Decimal(_) | ValueRef::Text(_) => <$t>::from_value(value.to_value()),
                    other => refuse(stringify!($t), other),
                }
            }
        }
    )*};
}
integer_refs!(i8, i16, i32, i64, u8, u16, u32);

impl FromValueRef for u64 {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Int(n) => u64::try_from(n).or_else(|_| refuse("u64", value)),
            ValueRef::Decimal(d) if d.fract().is_zero() => {
                u64::try_from(d).or_else(|_| refuse("u64", value))
            }
            ValueRef::Text(s) => s.parse().or_else(|_| refuse("u64", value)),
            other => refuse("u64", other),
        }
    }
}

impl FromValueRef for bool {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Bool(b) => Ok(b),
            ValueRef::Int(0) => Ok(false),
            ValueRef::Int(1) => Ok(true),
            other => refuse("bool", other),
        }
    }
}

impl FromValueRef for f64 {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Float(f) => Ok(f),
            ValueRef::Int(n) => Ok(n as f64),
            ValueRef::Decimal(d) => d.to_string().parse().or_else(|_| refuse("f64", value)),
            ValueRef::Text(s) => s.parse().or_else(|_| refuse("f64", value)),
            other => refuse("f64", other),
        }
    }
}

impl FromValueRef for f32 {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        f64::from_value_ref(value).map(|f| f as f32)
    }
}

impl FromValueRef for String {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Text(s) => Ok(s.to_owned()),
            ValueRef::Bytes(b) => {
                std::str::from_utf8(b)
                    .map(str::to_owned)
                    .map_err(|e| Error::Conversion {
                        expected: "String",
                        found: format!("bytes that are not UTF-8 ({e})"),
                    })
            }
            other => refuse("String", other),
        }
    }
}

impl FromValueRef for Vec<u8> {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Bytes(b) => Ok(b.to_vec()),
            ValueRef::Text(s) => Ok(s.as_bytes().to_vec()),
            other => refuse("Vec<u8>", other),
        }
    }
}

impl FromValueRef for NaiveDate {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Date(d) => Ok(d),
            ValueRef::DateTime(dt) => Ok(dt.date()),
            ValueRef::Text(s) => {
                NaiveDate::parse_from_str(s, "%Y-%m-%d").or_else(|_| refuse("NaiveDate", value))
            }
            other => refuse("NaiveDate", other),
        }
    }
}

impl FromValueRef for NaiveTime {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Time(t) => Ok(t),
            ValueRef::Text(s) => {
                NaiveTime::parse_from_str(s, "%H:%M:%S%.f").or_else(|_| refuse("NaiveTime", value))
            }
            other => refuse("NaiveTime", other),
        }
    }
}

impl FromValueRef for NaiveDateTime {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::DateTime(dt) => Ok(dt),
            ValueRef::DateTimeUtc(dt) => Ok(dt.naive_utc()),
            ValueRef::Date(d) => Ok(d.and_time(NaiveTime::MIN)),
            ValueRef::Text(s) => {
                parse_naive_datetime(s).map_or_else(|| refuse("NaiveDateTime", value), Ok)
            }
            other => refuse("NaiveDateTime", other),
        }
    }
}

impl FromValueRef for DateTime<Utc> {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::DateTimeUtc(dt) => Ok(dt),
            ValueRef::DateTime(dt) => Ok(dt.and_utc()),
            ValueRef::Text(_) => DateTime::<Utc>::from_value(value.to_value()),
            other => refuse("DateTime<Utc>", other),
        }
    }
}

impl FromValueRef for Decimal {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Decimal(d) => Ok(d),
            ValueRef::Int(n) => Ok(Decimal::from(n)),
            ValueRef::Float(f) => Decimal::try_from(f).or_else(|_| refuse("Decimal", value)),
            ValueRef::Text(s) => s.parse().or_else(|_| refuse("Decimal", value)),
            other => refuse("Decimal", other),
        }
    }
}

impl FromValueRef for Uuid {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Uuid(u) => Ok(u),
            ValueRef::Text(s) => Uuid::parse_str(s).or_else(|_| refuse("Uuid", value)),
            ValueRef::Bytes(b) => Uuid::from_slice(b).or_else(|_| refuse("Uuid", value)),
            other => refuse("Uuid", other),
        }
    }
}

impl FromValueRef for serde_json::Value {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self, Error> {
        match value {
            ValueRef::Json(s) | ValueRef::Text(s) => {
                serde_json::from_str(s).or_else(|_| refuse("JSON", value))
            }
            ValueRef::Bytes(b) => serde_json::from_slice(b).or_else(|_| refuse("JSON", value)),
            other => refuse("JSON", other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every cell converts as its owned value does through `FromValue`, errors included.
    #[test]
    fn borrowed_and_owned_conversions_agree() {
        fn same<T: FromValue + FromValueRef + PartialEq + std::fmt::Debug>(cell: ValueRef<'_>) {
            let owned = T::from_value(cell.to_value()).map_err(|e| e.to_string());
            let borrowed = T::from_value_ref(cell).map_err(|e| e.to_string());
            assert_eq!(borrowed, owned, "{cell:?}");
        }
        let dec = Decimal::new(1200, 2);
        let cells = [
            ValueRef::Null,
            ValueRef::Bool(true),
            ValueRef::Int(1),
            ValueRef::Int(300),
            ValueRef::Int(-1),
            ValueRef::Float(1.5),
            ValueRef::Text("12"),
            ValueRef::Text("x"),
            ValueRef::Text("2024-02-29"),
            ValueRef::Text("2024-02-29 10:11:12.5"),
            ValueRef::Text("10:11:12"),
            ValueRef::Bytes(&[0xff, 0xfe]),
            ValueRef::Bytes(b"ok"),
            ValueRef::Decimal(dec),
            ValueRef::Json("{\"a\": 1}"),
            ValueRef::Date(NaiveDate::from_ymd_opt(2024, 1, 2).unwrap()),
        ];
        for cell in cells {
            same::<i8>(cell);
            same::<i32>(cell);
            same::<u8>(cell);
            same::<u64>(cell);
            same::<i64>(cell);
            same::<bool>(cell);
            same::<f64>(cell);
            same::<String>(cell);
            same::<Vec<u8>>(cell);
            same::<NaiveDate>(cell);
            same::<NaiveTime>(cell);
            same::<NaiveDateTime>(cell);
            same::<DateTime<Utc>>(cell);
            same::<Decimal>(cell);
            same::<Uuid>(cell);
            same::<Option<i64>>(cell);
            same::<Option<String>>(cell);
        }
    }
}
