//! Typed column handles: [`Column<M, T>`](Column), one per mapped field (the derive
//! generates them as associated constants), for building Core expressions that read like
//! SQLAlchemy's `User.name == "ada"`.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::orm::mapper::Model;
use crate::orm::operand::{Operand, Textual};
use crate::sql::{Expr, FromValue, OrderBy, SelectStatement, ToValue, Value};

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
/// let e = Employee::last_name.startswith("Fac");
/// assert_eq!(e.compile(&aludel::dialects::Postgres).unwrap().sql, "employees.last_name LIKE $1 ESCAPE '/'");
/// ```
///
/// The operators are typed: the other side must be a value of the column's type, a column
/// of a compatible type, or an untyped [`Expr`] (see [`Operand`] for the rules), and the
/// pattern operators exist only on string columns ([`Textual`]). Each of these is a
/// compile error:
///
/// ```compile_fail,E0277
/// # #[derive(aludel::Model)] #[model(table = "items")]
/// # struct Item { #[column(primary_key)] id: i64, n: i32, name: String }
/// let e = Item::n.eq("abc"); // text against an integer column
/// ```
///
/// ```compile_fail,E0277
/// # #[derive(aludel::Model)] #[model(table = "items")]
/// # struct Item { #[column(primary_key)] id: i64, n: i32, name: String }
/// let e = Item::name.eq(5); // an integer against a string column
/// ```
///
/// ```compile_fail,E0599
/// # #[derive(aludel::Model)] #[model(table = "items")]
/// # struct Item { #[column(primary_key)] id: i64, n: i32, name: String }
/// let e = Item::n.like("1%"); // a pattern operator on an integer column
/// ```
///
/// ```compile_fail,E0277
/// # #[derive(aludel::Model)] #[model(table = "items")]
/// # struct Item { #[column(primary_key)] id: i64, n: i32, name: String }
/// let e = Item::n.eq(Item::name); // columns of different types
/// ```
///
/// A value bound inside an untyped `Expr` is checked when the operator is built; one the
/// column's type cannot hold fails before anything is sent, naming the column:
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "items")]
/// # struct Item { #[column(primary_key)] id: i64, n: i32, name: String }
/// use aludel::sql::{literal, Executable};
/// let err = Item::n.eq(literal(i64::MAX)).compile(&aludel::dialects::Sqlite).unwrap_err();
/// assert!(err.to_string().contains("Item.n"), "{err}");
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

    /// The column as an untyped Core expression, qualified by the model's table (for
    /// arithmetic, functions and casts; its operators take any `Expr`).
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(T::id.expr().compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id");
    /// ```
    pub fn expr(&self) -> Expr {
        M::info().column_expr(self.index)
    }

    /// `column IS NULL` (also meaningful for a non-nullable column on the outer side of
    /// an outer join).
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, s: Option<String> }
    /// assert_eq!(T::s.is_null().compile(&aludel::dialects::Sqlite).unwrap().sql, "t.s IS NULL");
    /// ```
    pub fn is_null(self) -> Expr {
        self.expr().is_null()
    }

    /// `column IS NOT NULL`.
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, s: Option<String> }
    /// assert_eq!(T::s.is_not_null().compile(&aludel::dialects::Sqlite).unwrap().sql, "t.s IS NOT NULL");
    /// ```
    pub fn is_not_null(self) -> Expr {
        self.expr().is_not_null()
    }

    /// `column IN (subquery)`; the subquery is untyped, as in Core.
    ///
    /// ```
    /// # use aludel::sql::{literal_column, select, Executable};
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let e = T::id.in_select(select([literal_column("1")]));
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id IN (SELECT 1)");
    /// ```
    pub fn in_select(self, subquery: impl Into<SelectStatement>) -> Expr {
        self.expr().in_select(subquery)
    }

    /// `column NOT IN (subquery)`.
    ///
    /// ```
    /// # use aludel::sql::{literal_column, select, Executable};
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let e = T::id.not_in_select(select([literal_column("1")]));
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id NOT IN (SELECT 1)");
    /// ```
    pub fn not_in_select(self, subquery: impl Into<SelectStatement>) -> Expr {
        self.expr().not_in_select(subquery)
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

    /// The operand as an expression; an untyped one has its bound values checked as `U`.
    fn operand<U: ToValue + FromValue, V: Operand<U>>(&self, operand: V) -> Expr {
        let expr = operand.into();
        if V::TYPED {
            expr
        } else {
            self.check_bound::<U>(expr)
        }
    }

    /// Converts the value bound in an untyped operand to the column's type `U`, or turns it
    /// into an error naming the column (reported when the statement is compiled, before
    /// anything is sent). Values the type system already checked never come here.
    fn check_bound<U: ToValue + FromValue>(&self, expr: Expr) -> Expr {
        match expr {
            // NULL has every SQL type; as in Core, comparing with it renders IS [NOT] NULL.
            Expr::Value(Value::Null) => Expr::Null,
            Expr::Value(v) => match self.convert::<U>(v) {
                Ok(v) => Expr::from(v),
                Err(e) => e,
            },
            Expr::BindParam {
                name,
                value: Some(v),
            } => match self.convert::<U>(v) {
                Ok(v) => Expr::BindParam {
                    name,
                    value: Some(v),
                },
                Err(e) => e,
            },
            other => other,
        }
    }

    fn convert<U: ToValue + FromValue>(&self, value: Value) -> Result<Value, Expr> {
        U::from_value(value).map(|u| u.to_value()).map_err(|e| {
            Expr::Invalid(Arc::from(format!(
                "the value compared with column {}.{} does not fit the column's type: {e}",
                M::info().name,
                self.name
            )))
        })
    }
}

macro_rules! typed_comparisons {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(self, other: impl Operand<T>) -> Expr {
            self.expr().$name(self.operand(other))
        }
    )*};
}

/// Comparisons, typed: the other side must be an [`Operand<T>`](Operand).
impl<M: Model, T: ToValue + FromValue> Column<M, T> {
    typed_comparisons! {
        /// `column = other`; `None` on a nullable column renders `IS NULL`.
        ///
        /// ```
        /// # use aludel::sql::Executable;
        /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, o: Option<String> }
        /// assert_eq!(T::id.eq(1).compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id = ?");
        /// assert_eq!(T::o.eq(None).compile(&aludel::dialects::Sqlite).unwrap().sql, "t.o IS NULL");
        /// ```
        eq,
        /// `column != other`; `None` on a nullable column renders `IS NOT NULL`.
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
    }

    /// `column IN (values)`; an empty list matches nothing.
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(T::id.in_([1, 2]).compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id IN (?, ?)");
    /// ```
    pub fn in_<V: Operand<T>>(self, values: impl IntoIterator<Item = V>) -> Expr {
        let list: Vec<Expr> = values.into_iter().map(|v| self.operand(v)).collect();
        self.expr().in_(list)
    }

    /// `column NOT IN (values)`; an empty list matches everything.
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(T::id.not_in([1]).compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id NOT IN (?)");
    /// ```
    pub fn not_in<V: Operand<T>>(self, values: impl IntoIterator<Item = V>) -> Expr {
        let list: Vec<Expr> = values.into_iter().map(|v| self.operand(v)).collect();
        self.expr().not_in(list)
    }

    /// `column BETWEEN low AND high` (both ends included).
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(T::id.between(1, 5).compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id BETWEEN ? AND ?");
    /// ```
    pub fn between(self, low: impl Operand<T>, high: impl Operand<T>) -> Expr {
        let (low, high) = (self.operand(low), self.operand(high));
        self.expr().between(low, high)
    }

    /// `column NOT BETWEEN low AND high`.
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(T::id.not_between(1, 5).compile(&aludel::dialects::Sqlite).unwrap().sql, "t.id NOT BETWEEN ? AND ?");
    /// ```
    pub fn not_between(self, low: impl Operand<T>, high: impl Operand<T>) -> Expr {
        let (low, high) = (self.operand(low), self.operand(high));
        self.expr().not_between(low, high)
    }
}

/// Pattern operators, for string columns only ([`Textual`]).
impl<M: Model, T: Textual> Column<M, T> {
    /// `column LIKE pattern`: `%` and `_` in the pattern are wildcards.
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, s: String }
    /// assert_eq!(T::s.like("a%").compile(&aludel::dialects::Sqlite).unwrap().sql, "t.s LIKE ?");
    /// ```
    pub fn like(self, pattern: impl Operand<String>) -> Expr {
        self.expr().like(self.operand(pattern))
    }

    /// `column NOT LIKE pattern`.
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, s: String }
    /// assert_eq!(T::s.not_like("a%").compile(&aludel::dialects::Sqlite).unwrap().sql, "t.s NOT LIKE ?");
    /// ```
    pub fn not_like(self, pattern: impl Operand<String>) -> Expr {
        self.expr().not_like(self.operand(pattern))
    }

    /// Case-insensitive LIKE: `ILIKE` on PostgreSQL, `lower(column) LIKE lower(pattern)`
    /// elsewhere.
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, s: String }
    /// assert_eq!(T::s.ilike("A%").compile(&aludel::dialects::Postgres).unwrap().sql, "t.s ILIKE $1");
    /// assert_eq!(T::s.ilike("A%").compile(&aludel::dialects::MySql).unwrap().sql, "lower(t.s) LIKE lower(?)");
    /// ```
    pub fn ilike(self, pattern: impl Operand<String>) -> Expr {
        self.expr().ilike(self.operand(pattern))
    }

    /// Case-insensitive NOT LIKE.
    ///
    /// ```
    /// # use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, s: String }
    /// assert_eq!(T::s.not_ilike("A%").compile(&aludel::dialects::Postgres).unwrap().sql, "t.s NOT ILIKE $1");
    /// ```
    pub fn not_ilike(self, pattern: impl Operand<String>) -> Expr {
        self.expr().not_ilike(self.operand(pattern))
    }

    /// `column LIKE '%text%'`, with `%`, `_` and the escape character `/` in `text` matched
    /// literally.
    ///
    /// ```
    /// # use aludel::sql::{Executable, Value};
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, s: String }
    /// let c = T::s.contains("50%").compile(&aludel::dialects::Sqlite).unwrap();
    /// assert_eq!(c.sql, "t.s LIKE ? ESCAPE '/'");
    /// assert_eq!(c.binds[0].value, Some(Value::Text("%50/%%".into())));
    /// ```
    pub fn contains(self, text: &str) -> Expr {
        self.expr().contains(text)
    }

    /// `column LIKE 'text%'`, with wildcards in `text` matched literally.
    ///
    /// ```
    /// # use aludel::sql::{Executable, Value};
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, s: String }
    /// let c = T::s.startswith("a_").compile(&aludel::dialects::Sqlite).unwrap();
    /// assert_eq!(c.binds[0].value, Some(Value::Text("a/_%".into())));
    /// ```
    pub fn startswith(self, text: &str) -> Expr {
        self.expr().startswith(text)
    }

    /// `column LIKE '%text'`, with wildcards in `text` matched literally.
    ///
    /// ```
    /// # use aludel::sql::{Executable, Value};
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, s: String }
    /// let c = T::s.endswith("_z").compile(&aludel::dialects::Sqlite).unwrap();
    /// assert_eq!(c.binds[0].value, Some(Value::Text("%/_z".into())));
    /// ```
    pub fn endswith(self, text: &str) -> Expr {
        self.expr().endswith(text)
    }
}
