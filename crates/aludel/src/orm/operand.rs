//! What a typed column may be compared with: the [`Operand<T>`](Operand) trait, which turns
//! "`Item::n.eq("abc")` on an integer column" into a compile error, and [`Textual`], which
//! limits the pattern operators (`like`, `contains`, ...) to string columns.

use crate::orm::column::Column;
use crate::orm::deferred::Deferred;
use crate::orm::mapper::Model;
use crate::sql::{Expr, FromValue, ToValue};

/// A value, column or expression that may stand on the other side of an operator whose left
/// side is a typed [`Column<_, T>`](Column). A custom field type gets it for free from its
/// [`ToValue`] and [`FromValue`] implementations.
///
/// What implements it, for a `Column<M, T>`:
/// - a value of `T` itself (or a reference to one): `Item::n.eq(5)`;
/// - for `T = String`: also `&str` (and `&String`);
/// - for `T = Option<X>`: also `X` (and `&str` when `X = String`), and `None`, which renders
///   `IS NULL` as in Core;
/// - another typed column of the same type, nullable or not (`Column<_, X>` against
///   `Column<_, Option<X>>` and back);
/// - any [`Expr`]: the untyped escape hatch for functions, subqueries, `literal_column` and
///   `bindparam`. A bound value inside such an `Expr` is checked against `T` when the
///   operator is built, and a value `T` cannot hold fails compilation of the statement with
///   an error naming the column.
///
/// Integer and float literals take the column's type by inference: `emp_no.eq(16621)` binds
/// an `i64` for an `i64` column and an `i32` for an `i32` one, and `.eq(1.5)` an `f64` for
/// an `f64` column. A variable of another width needs an explicit conversion
/// (`i64::from(n)`), as in any Rust expression.
///
/// ```
/// use aludel::sql::{literal_column, Executable};
///
/// #[derive(aludel::Model)]
/// #[model(table = "items")]
/// struct Item {
///     #[column(primary_key)]
///     id: i64,
///     n: i32,
///     max_n: Option<i32>,
///     note: Option<String>,
/// }
///
/// let pg = &aludel::dialects::Postgres;
/// assert_eq!(Item::n.eq(5).compile(pg).unwrap().sql, "items.n = $1");
/// assert_eq!(Item::note.eq("a").compile(pg).unwrap().sql, "items.note = $1");
/// assert_eq!(Item::note.eq(None).compile(pg).unwrap().sql, "items.note IS NULL");
/// assert_eq!(Item::n.le(Item::max_n).compile(pg).unwrap().sql, "items.n <= items.max_n");
/// assert_eq!(
///     Item::n.gt(literal_column("2 * 3")).compile(pg).unwrap().sql,
///     "items.n > 2 * 3"
/// );
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be compared with a column of Rust type `{T}`",
    label = "not a value of the column's type `{T}`",
    note = "a typed column takes values of its own type (`Option<X>` columns also take `X` and \
            `None`), columns of a compatible type, or an untyped `Expr`"
)]
pub trait Operand<T>: Into<Expr> {
    /// Whether the Rust type system has already proven the operand holds a `T`. `false` only
    /// for untyped expressions, whose bound values are checked when the operator is built.
    ///
    /// ```
    /// use aludel::orm::Operand;
    /// assert!(<i32 as Operand<i32>>::TYPED);
    /// assert!(!<aludel::sql::Expr as Operand<i32>>::TYPED);
    /// ```
    const TYPED: bool = true;
}

impl<T: ToValue + FromValue> Operand<T> for T {}

impl<T: ToValue + FromValue> Operand<Option<T>> for T {}

impl<T: ToValue + FromValue> Operand<T> for &T {}

impl<T: ToValue + FromValue> Operand<Option<T>> for &T {}

impl Operand<String> for &str {}

impl Operand<Option<String>> for &str {}

impl Operand<Vec<u8>> for &[u8] {}

impl Operand<Option<Vec<u8>>> for &[u8] {}

// A deferred column compares like the column it defers.
impl<T: ToValue + FromValue> Operand<Deferred<T>> for T {}

impl<T: ToValue + FromValue> Operand<Deferred<Option<T>>> for T {}

impl<T: ToValue + FromValue> Operand<Deferred<T>> for &T {}

impl Operand<Deferred<String>> for &str {}

impl Operand<Deferred<Option<String>>> for &str {}

impl<T> Operand<T> for Expr {
    const TYPED: bool = false;
}

impl<M: Model, T> Operand<T> for Column<M, T> {}

impl<M: Model, T> Operand<Option<T>> for Column<M, T> {}

impl<M: Model, T> Operand<T> for Column<M, Option<T>> {}

/// Column types the pattern operators apply to (`like`, `ilike`, `not_like`, `contains`,
/// `startswith`, `endswith`): `String` and `Option<String>`. Implement it for a custom
/// field type stored as text to give its columns those operators.
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "t")]
/// # struct T { #[column(primary_key)] id: i64, s: String }
/// use aludel::sql::Executable;
/// assert_eq!(T::s.contains("a").compile(&aludel::dialects::Sqlite).unwrap().sql, "t.s LIKE ? ESCAPE '/'");
/// ```
#[diagnostic::on_unimplemented(
    message = "pattern operators need a string column, not one of Rust type `{Self}`",
    note = "`like`, `ilike`, `contains`, `startswith` and `endswith` apply to `String` and \
            `Option<String>` columns; cast other columns with `.expr().cast(...)` first"
)]
pub trait Textual {}

impl Textual for String {}

impl Textual for Option<String> {}

impl Textual for Deferred<String> {}

impl Textual for Deferred<Option<String>> {}
