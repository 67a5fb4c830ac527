//! Typed column handles: [`Column<M, T>`](Column), one per mapped field (the derive
//! generates them as associated constants), for building Core expressions that read like
//! SQLAlchemy's `User.name == "ada"`.

use std::marker::PhantomData;

use crate::orm::mapper::Model;
use crate::sql::{Expr, OrderBy};

/// A typed handle to a mapped column, for building expressions: the derive generates one
/// associated constant per field, so `Employee::emp_no.eq(16621)` reads like SQLAlchemy's
/// `Employees.emp_no == 16621`.
///
/// ```
/// use aludel::sql::Executable;
///
/// #[derive(aludel::Model, Debug, Clone)]
/// #[model(table = "employees")]
/// struct Employee {
///     #[column(primary_key)]
///     emp_no: i32,
///     last_name: String,
/// }
///
/// let e = Employee::emp_no.eq(16621);
/// assert_eq!(e.compile(&aludel::dialects::Postgres).unwrap().sql, "employees.emp_no = $1");
/// ```
pub struct Column<M, T> {
    index: usize,
    name: &'static str,
    _model: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M, T> Copy for Column<M, T> {}

impl<M, T> std::fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Column({})", self.name)
    }
}

impl<M: Model, T> From<Column<M, T>> for Expr {
    fn from(c: Column<M, T>) -> Expr {
        c.expr()
    }
}

impl<M: Model, T> From<Column<M, T>> for OrderBy {
    fn from(c: Column<M, T>) -> OrderBy {
        OrderBy::from(c.expr())
    }
}

macro_rules! forward_comparisons {
    ($($(#[$doc:meta])* $name:ident),*) => {$(
        $(#[$doc])*
        pub fn $name(self, other: impl Into<Expr>) -> Expr {
            self.expr().$name(other)
        }
    )*};
}

impl<M: Model, T> Column<M, T> {
    /// The handle for column `index` named `name` (used by the derive).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let c: aludel::orm::Column<T, i64> = aludel::orm::Column::new(0, "id");
    /// assert_eq!(c.name(), "id");
    /// ```
    pub const fn new(index: usize, name: &'static str) -> Self {
        Column {
            index,
            name,
            _model: PhantomData,
        }
    }

    /// The column's name.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(T::id.name(), "id");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The column's position in the model.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, n: i32 }
    /// assert_eq!(T::n.index(), 1);
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// The column as a Core expression, qualified by the model's table.
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(T::id.expr().compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id");
    /// ```
    pub fn expr(&self) -> Expr {
        M::info().column_expr(self.index)
    }

    forward_comparisons! {
        /// `column = other` (see [`Expr::eq`]).
        ///
        /// ```
        /// # use aludel::sql::Executable;
        /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
        /// assert_eq!(T::id.eq(1).compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id = ?");
        /// ```
        eq,
        /// `column != other`.
        ///
        /// ```
        /// # use aludel::sql::Executable;
        /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
        /// assert_eq!(T::id.ne(1).compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id != ?");
        /// ```
        ne,
        /// `column < other`.
        ///
        /// ```
        /// # use aludel::sql::Executable;
        /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
        /// assert_eq!(T::id.lt(1).compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id < ?");
        /// ```
        lt,
        /// `column <= other`.
        ///
        /// ```
        /// # use aludel::sql::Executable;
        /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
        /// assert_eq!(T::id.le(1).compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id <= ?");
        /// ```
        le,
        /// `column > other`.
        ///
        /// ```
        /// # use aludel::sql::Executable;
        /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
        /// assert_eq!(T::id.gt(1).compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id > ?");
        /// ```
        gt,
        /// `column >= other`.
        ///
        /// ```
        /// # use aludel::sql::Executable;
        /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
        /// assert_eq!(T::id.ge(1).compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id >= ?");
        /// ```
        ge,
        /// `column LIKE pattern`.
        ///
        /// ```
        /// # use aludel::sql::Executable;
        /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, s: String }
        /// assert_eq!(T::s.like("a%").compile(&aludel::dialects::Sqlite).unwrap().sql, "t.s LIKE ?");
        /// ```
        like
    }

    /// `column IN (values)`.
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(T::id.in_([1, 2]).compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id IN (?, ?)");
    /// ```
    pub fn in_<E: Into<Expr>>(self, values: impl IntoIterator<Item = E>) -> Expr {
        self.expr().in_(values)
    }

    /// `column IS NULL`.
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, s: Option<String> }
    /// assert_eq!(T::s.is_null().compile(&aludel::dialects::Sqlite).unwrap().sql, "t.s IS NULL");
    /// ```
    pub fn is_null(self) -> Expr {
        self.expr().is_null()
    }

    /// Ascending sort key.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let o = T::id.asc();
    /// ```
    pub fn asc(self) -> OrderBy {
        self.expr().asc()
    }

    /// Descending sort key.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let o = T::id.desc();
    /// ```
    pub fn desc(self) -> OrderBy {
        self.expr().desc()
    }
}
