//! `func`: SQL function calls, as SQLAlchemy's `func.count(...)`.
//!
//! ```
//! use aludel::dialects::{Postgres, Sqlite};
//! use aludel::sql::{func, literal_column, Executable};
//! assert_eq!(func::count_star().compile(&Postgres).unwrap().sql, "count(*)");
//! assert_eq!(func::now().compile(&Sqlite).unwrap().sql, "CURRENT_TIMESTAMP");
//! let e = func::call("round", [literal_column("x"), 2.into()]);
//! assert_eq!(e.compile(&Postgres).unwrap().sql, "round(x, $1)");
//! ```

use std::sync::Arc;

use crate::sql::elements::{Expr, FunctionCall};

/// Any named function: `name(args...)`.
///
/// ```
/// use aludel::sql::{func, Executable};
/// assert_eq!(func::call("random", []).compile(&aludel::dialects::Sqlite).unwrap().sql, "random()");
/// ```
pub fn call(name: &str, args: impl IntoIterator<Item = Expr>) -> Expr {
    Expr::Function(FunctionCall {
        name: Arc::from(name),
        args: Some(args.into_iter().collect()),
    })
}

/// `count(*)`.
///
/// ```
/// use aludel::sql::{func, Executable};
/// assert_eq!(func::count_star().compile(&aludel::dialects::MySql).unwrap().sql, "count(*)");
/// ```
pub fn count_star() -> Expr {
    Expr::Function(FunctionCall {
        name: Arc::from("count"),
        args: None,
    })
}

macro_rules! unary_functions {
    ($($(#[$doc:meta])* $name:ident),*) => {$(
        $(#[$doc])*
        pub fn $name(arg: impl Into<Expr>) -> Expr {
            call(stringify!($name), [arg.into()])
        }
    )*};
}

unary_functions! {
    /// `count(x)`.
    ///
    /// ```
    /// use aludel::sql::{func, literal_column, Executable};
    /// assert_eq!(func::count(literal_column("id")).compile(&aludel::dialects::Sqlite).unwrap().sql, "count(id)");
    /// ```
    count,
    /// `sum(x)`.
    ///
    /// ```
    /// use aludel::sql::{func, literal_column, Executable};
    /// assert_eq!(func::sum(literal_column("n")).compile(&aludel::dialects::Sqlite).unwrap().sql, "sum(n)");
    /// ```
    sum,
    /// `avg(x)`.
    ///
    /// ```
    /// use aludel::sql::{func, literal_column, Executable};
    /// assert_eq!(func::avg(literal_column("n")).compile(&aludel::dialects::Sqlite).unwrap().sql, "avg(n)");
    /// ```
    avg,
    /// `min(x)`.
    ///
    /// ```
    /// use aludel::sql::{func, literal_column, Executable};
    /// assert_eq!(func::min(literal_column("n")).compile(&aludel::dialects::Sqlite).unwrap().sql, "min(n)");
    /// ```
    min,
    /// `max(x)`.
    ///
    /// ```
    /// use aludel::sql::{func, literal_column, Executable};
    /// assert_eq!(func::max(literal_column("n")).compile(&aludel::dialects::Sqlite).unwrap().sql, "max(n)");
    /// ```
    max,
    /// `lower(x)`.
    ///
    /// ```
    /// use aludel::sql::{func, literal_column, Executable};
    /// assert_eq!(func::lower(literal_column("s")).compile(&aludel::dialects::Sqlite).unwrap().sql, "lower(s)");
    /// ```
    lower,
    /// `upper(x)`.
    ///
    /// ```
    /// use aludel::sql::{func, literal_column, Executable};
    /// assert_eq!(func::upper(literal_column("s")).compile(&aludel::dialects::Sqlite).unwrap().sql, "upper(s)");
    /// ```
    upper,
    /// Length in characters: `length(x)`, `char_length(x)` on MySQL.
    ///
    /// ```
    /// use aludel::sql::{func, literal_column, Executable};
    /// assert_eq!(func::length(literal_column("s")).compile(&aludel::dialects::MySql).unwrap().sql, "char_length(s)");
    /// ```
    length
}

/// `coalesce(a, b, ...)`.
///
/// ```
/// use aludel::sql::{func, literal_column, Executable};
/// let e = func::coalesce([literal_column("a"), 0.into()]);
/// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "coalesce(a, ?)");
/// ```
pub fn coalesce(args: impl IntoIterator<Item = Expr>) -> Expr {
    call("coalesce", args)
}

/// The current timestamp: `now()`, `CURRENT_TIMESTAMP` on SQLite.
///
/// ```
/// use aludel::sql::{func, Executable};
/// assert_eq!(func::now().compile(&aludel::dialects::Postgres).unwrap().sql, "now()");
/// ```
pub fn now() -> Expr {
    call("now", [])
}
