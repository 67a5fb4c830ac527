//! SQL column types, as declared in DDL. Each dialect renders them with
//! [`Dialect::type_name`](crate::dialects::Dialect::type_name).

/// A column's SQL type.
///
/// ```
/// use aludel::dialects::{Dialect, MySql, Postgres, Sqlite};
/// use aludel::sql::SqlType;
/// let t = SqlType::String { length: Some(14) };
/// assert_eq!(Sqlite.type_name(&t), "VARCHAR(14)");
/// assert_eq!(Postgres.type_name(&SqlType::DateTimeTz), "TIMESTAMP WITH TIME ZONE");
/// assert_eq!(MySql.type_name(&SqlType::Boolean), "BOOL");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SqlType {
    /// 16-bit integer.
    SmallInteger,
    /// 32-bit integer.
    Integer,
    /// 64-bit integer.
    BigInteger,
    /// 32-bit float.
    Float,
    /// 64-bit float.
    Double,
    /// Exact decimal with optional precision and scale.
    Numeric {
        /// Total digits.
        precision: Option<u32>,
        /// Digits after the point.
        scale: Option<u32>,
    },
    /// Boolean.
    Boolean,
    /// Variable-length string, with an optional maximum length.
    String {
        /// Maximum length in characters.
        length: Option<u32>,
    },
    /// Unbounded text.
    Text,
    /// Binary data.
    Binary,
    /// Date.
    Date,
    /// Time of day.
    Time,
    /// Date and time without a time zone.
    DateTime,
    /// Date and time with a time zone (stored as UTC).
    DateTimeTz,
    /// UUID.
    Uuid,
    /// JSON document.
    Json,
}

impl SqlType {
    /// Whether this is an integer type (and so may autoincrement).
    ///
    /// ```
    /// assert!(aludel::sql::SqlType::BigInteger.is_integer());
    /// ```
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            SqlType::SmallInteger | SqlType::Integer | SqlType::BigInteger
        )
    }
}
