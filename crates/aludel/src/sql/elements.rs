//! The expression tree: columns, bound values, operators, functions, CASE, CAST, labels,
//! subqueries. Build expressions with the methods on [`Expr`] and the free functions of
//! this module ([`and_`], [`or_`], [`not_`], [`case`], [`cast`], [`bindparam`],
//! [`literal_column`], [`exists`]); render them by putting them in a statement.
//!
//! ```
//! use aludel::dialects::Postgres;
//! use aludel::sql::{and_, literal_column, Executable};
//! let age = literal_column("age");
//! let e = and_([age.clone().ge(18), age.lt(65)]);
//! assert_eq!(e.compile(&Postgres).unwrap().sql, "age >= $1 AND age < $2");
//! ```

use std::ops;
use std::sync::Arc;

use crate::dialects::Dialect;
use crate::error::Result;
use crate::sql::compiled::{Compiled, Executable};
use crate::sql::compiler::Compiler;
use crate::sql::selectable::{FromItem, SelectStatement};
use crate::sql::text::TextClause;
use crate::sql::types::SqlType;
use crate::sql::value::{ToValue, Value};

/// A SQL expression.
///
/// Values converted into an `Expr` (`5.into()`, `"x".into()`) become bound parameters;
/// they never appear in the SQL text.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Expr {
    /// A column of a table, alias, subquery or CTE.
    Column(ColumnRef),
    /// An anonymous bound parameter.
    Value(Value),
    /// A named bound parameter, valued now or at execution (`bindparam`).
    BindParam {
        /// The parameter name, matched against [`Params`](crate::sql::Params).
        name: Arc<str>,
        /// The value given now, if any.
        value: Option<Value>,
    },
    /// The `NULL` keyword.
    Null,
    /// A boolean literal, rendered as the dialect spells it.
    Bool(bool),
    /// Literal SQL text used as an expression (`literal_column`), rendered verbatim.
    Raw(Arc<str>),
    /// A `text()` fragment with `:name` parameters.
    Text(TextClause),
    /// `*` or `qualifier.*`.
    Star {
        /// The table or alias whose columns are meant, or all.
        qualifier: Option<Arc<str>>,
    },
    /// A binary operator.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `NOT x` or `-x`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        operand: Box<Expr>,
    },
    /// `a AND b AND ...` or `a OR b OR ...`.
    BoolList {
        /// AND or OR.
        op: BoolOp,
        /// The operands; an empty AND is true, an empty OR false.
        items: Vec<Expr>,
    },
    /// `x [NOT] IN (...)`.
    In {
        /// The tested expression (a [`Expr::Tuple`] for row values).
        expr: Box<Expr>,
        /// The list or subquery.
        target: InTarget,
        /// `NOT IN`.
        negated: bool,
    },
    /// `x [NOT] BETWEEN low AND high`.
    Between {
        /// The tested expression.
        expr: Box<Expr>,
        /// Lower bound.
        low: Box<Expr>,
        /// Upper bound.
        high: Box<Expr>,
        /// `NOT BETWEEN`.
        negated: bool,
    },
    /// `x [NOT] LIKE|ILIKE pattern [ESCAPE c]`.
    Like {
        /// The tested expression.
        expr: Box<Expr>,
        /// The pattern.
        pattern: Box<Expr>,
        /// The escape character.
        escape: Option<char>,
        /// `ILIKE` (emulated with `lower()` where missing).
        case_insensitive: bool,
        /// `NOT LIKE`.
        negated: bool,
    },
    /// A function call.
    Function(FunctionCall),
    /// `DISTINCT x`, as inside `count(DISTINCT x)`.
    Distinct(Box<Expr>),
    /// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`.
    Case {
        /// The compared value for the simple form.
        operand: Option<Box<Expr>>,
        /// `(condition or value, result)` pairs.
        whens: Vec<(Expr, Expr)>,
        /// The ELSE result.
        else_: Option<Box<Expr>>,
    },
    /// `CAST(x AS type)`.
    Cast {
        /// The cast expression.
        expr: Box<Expr>,
        /// The target type.
        ty: SqlType,
    },
    /// `x AS name`.
    Label {
        /// The labelled expression.
        expr: Box<Expr>,
        /// The label.
        name: Arc<str>,
    },
    /// `EXISTS (subquery)`.
    Exists(Box<SelectStatement>),
    /// A scalar subquery, `(SELECT ...)`.
    Subquery(Box<SelectStatement>),
    /// A row value, `(a, b)`.
    Tuple(Vec<Expr>),
    /// The value an upsert would have inserted: `excluded.col` / `VALUES(col)`.
    Excluded(Arc<str>),
    /// A mistake found while building (e.g. an unknown column), reported at compile time.
    Invalid(Arc<str>),
}

/// A column reference: the column's name and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRef {
    /// The column name.
    pub name: Arc<str>,
    /// The table, alias, subquery or CTE the column belongs to; `None` for a bare name.
    pub source: Option<FromItem>,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BinaryOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Is,
    IsNot,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `NOT x`.
    Not,
    /// `-x`.
    Neg,
}

/// Boolean list operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolOp {
    /// `AND`.
    And,
    /// `OR`.
    Or,
}

/// What `IN` tests against.
#[derive(Debug, Clone, PartialEq)]
pub enum InTarget {
    /// A list of values or row values; empty lists are allowed.
    List(Vec<Expr>),
    /// A subquery.
    Select(Box<SelectStatement>),
}

/// A call of a named SQL function.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionCall {
    /// The function's name (the dialect may respell it).
    pub name: Arc<str>,
    /// The arguments; `None` renders `name(*)`.
    pub args: Option<Vec<Expr>>,
}

impl BinaryOp {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            BinaryOp::Eq => " = ",
            BinaryOp::Ne => " != ",
            BinaryOp::Lt => " < ",
            BinaryOp::Le => " <= ",
            BinaryOp::Gt => " > ",
            BinaryOp::Ge => " >= ",
            BinaryOp::Is => " IS ",
            BinaryOp::IsNot => " IS NOT ",
            BinaryOp::Add => " + ",
            BinaryOp::Sub => " - ",
            BinaryOp::Mul => " * ",
            BinaryOp::Div => " / ",
            BinaryOp::Mod => " % ",
            BinaryOp::Concat => " || ",
        }
    }

    /// Binding strength; higher binds tighter.
    pub(crate) fn precedence(self) -> u8 {
        match self {
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge
            | BinaryOp::Is
            | BinaryOp::IsNot => 5,
            BinaryOp::Concat => 6,
            BinaryOp::Add | BinaryOp::Sub => 7,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 8,
        }
    }

    /// Whether `a op (b op c)` equals `(a op b) op c`.
    pub(crate) fn is_associative(self) -> bool {
        matches!(self, BinaryOp::Add | BinaryOp::Mul | BinaryOp::Concat)
    }
}

impl<T: ToValue> From<T> for Expr {
    fn from(value: T) -> Self {
        match value.to_value() {
            Value::Null => Expr::Null,
            v => Expr::Value(v),
        }
    }
}

impl From<TextClause> for Expr {
    fn from(t: TextClause) -> Self {
        Expr::Text(t)
    }
}

/// A named bound parameter whose value is supplied at execution (or now, with `value`).
///
/// ```
/// use aludel::dialects::Sqlite;
/// use aludel::params;
/// use aludel::sql::{bindparam, literal_column, Executable};
/// let c = literal_column("name").eq(bindparam("n")).compile(&Sqlite).unwrap();
/// assert_eq!(c.sql, "name = ?");
/// assert_eq!(c.bind_values(&params! { "n" => "ada" }).unwrap().len(), 1);
/// ```
pub fn bindparam(name: &str) -> Expr {
    Expr::BindParam {
        name: Arc::from(name),
        value: None,
    }
}

/// A named bound parameter with a value given now (which execution params may override).
///
/// ```
/// let e = aludel::sql::bindparam_value("n", 5);
/// assert!(matches!(e, aludel::sql::Expr::BindParam { .. }));
/// ```
pub fn bindparam_value(name: &str, value: impl ToValue) -> Expr {
    Expr::BindParam {
        name: Arc::from(name),
        value: Some(value.to_value()),
    }
}

/// Literal SQL used as a column or expression, rendered verbatim. Never pass user input.
///
/// ```
/// use aludel::dialects::MySql;
/// use aludel::sql::{literal_column, Executable};
/// assert_eq!(literal_column("count(*)").compile(&MySql).unwrap().sql, "count(*)");
/// ```
pub fn literal_column(sql: &str) -> Expr {
    Expr::Raw(Arc::from(sql))
}

/// A bound literal value as an expression (`literal(5)`).
///
/// ```
/// use aludel::dialects::Postgres;
/// use aludel::sql::{literal, Executable};
/// assert_eq!(literal(5).compile(&Postgres).unwrap().sql, "$1");
/// ```
pub fn literal(value: impl ToValue) -> Expr {
    Expr::Value(value.to_value())
}

/// The `NULL` keyword.
///
/// ```
/// use aludel::sql::{null, Executable};
/// assert_eq!(null().compile(&aludel::dialects::Sqlite).unwrap().sql, "NULL");
/// ```
pub fn null() -> Expr {
    Expr::Null
}

/// A boolean literal (`true`; `1` on SQLite).
///
/// ```
/// use aludel::sql::{true_, Executable};
/// assert_eq!(true_().compile(&aludel::dialects::Sqlite).unwrap().sql, "1");
/// ```
pub fn true_() -> Expr {
    Expr::Bool(true)
}

/// A boolean literal (`false`; `0` on SQLite).
///
/// ```
/// use aludel::sql::{false_, Executable};
/// assert_eq!(false_().compile(&aludel::dialects::Postgres).unwrap().sql, "false");
/// ```
pub fn false_() -> Expr {
    Expr::Bool(false)
}

/// `*`, all columns.
///
/// ```
/// use aludel::sql::{star, Executable};
/// assert_eq!(star().compile(&aludel::dialects::Sqlite).unwrap().sql, "*");
/// ```
pub fn star() -> Expr {
    Expr::Star { qualifier: None }
}

/// The value an upsert would have inserted into `column` (`excluded.col` on SQLite and
/// PostgreSQL, `VALUES(col)` on MySQL), for `ON CONFLICT DO UPDATE` assignments.
///
/// ```
/// assert!(matches!(aludel::sql::excluded("n"), aludel::sql::Expr::Excluded(_)));
/// ```
pub fn excluded(column: &str) -> Expr {
    Expr::Excluded(Arc::from(column))
}

/// `a AND b AND ...`; nested ANDs are flattened, an empty list is true.
///
/// ```
/// use aludel::sql::{and_, literal_column, or_, Executable};
/// let a = literal_column("a");
/// let e = and_([or_([a.clone().eq(1), a.clone().eq(2)]), a.ne(3)]);
/// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "(a = ? OR a = ?) AND a != ?");
/// ```
pub fn and_(items: impl IntoIterator<Item = Expr>) -> Expr {
    bool_list(BoolOp::And, items)
}

/// `a OR b OR ...`; nested ORs are flattened, an empty list is false.
///
/// ```
/// use aludel::sql::{literal_column, or_, Executable};
/// let e = or_([literal_column("a").is_null(), literal_column("b").is_null()]);
/// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "a IS NULL OR b IS NULL");
/// ```
pub fn or_(items: impl IntoIterator<Item = Expr>) -> Expr {
    bool_list(BoolOp::Or, items)
}

fn bool_list(op: BoolOp, items: impl IntoIterator<Item = Expr>) -> Expr {
    let mut flat = Vec::new();
    for item in items {
        match item {
            Expr::BoolList { op: inner, items } if inner == op => flat.extend(items),
            other => flat.push(other),
        }
    }
    if flat.len() == 1 {
        return flat.pop().unwrap_or(Expr::Null);
    }
    Expr::BoolList { op, items: flat }
}

/// `NOT x`.
///
/// ```
/// use aludel::sql::{literal_column, not_, Executable};
/// let e = not_(literal_column("a").eq(1));
/// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "NOT (a = ?)");
/// ```
pub fn not_(expr: Expr) -> Expr {
    Expr::Unary {
        op: UnaryOp::Not,
        operand: Box::new(expr),
    }
}

/// `CASE WHEN cond THEN result ... [ELSE else_] END`.
///
/// ```
/// use aludel::sql::{case, literal_column, Executable};
/// let x = literal_column("x");
/// let e = case([(x.clone().lt(0), "neg".into()), (x.eq(0), "zero".into())], Some("pos".into()));
/// assert_eq!(
///     e.compile(&aludel::dialects::Postgres).unwrap().sql,
///     "CASE WHEN x < $1 THEN $2 WHEN x = $3 THEN $4 ELSE $5 END"
/// );
/// ```
pub fn case(whens: impl IntoIterator<Item = (Expr, Expr)>, else_: Option<Expr>) -> Expr {
    Expr::Case {
        operand: None,
        whens: whens.into_iter().collect(),
        else_: else_.map(Box::new),
    }
}

/// `CASE operand WHEN value THEN result ... [ELSE else_] END`.
///
/// ```
/// use aludel::sql::{case_value, literal_column, Executable};
/// let e = case_value(literal_column("g"), [("M".into(), 1.into())], None);
/// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "CASE g WHEN ? THEN ? END");
/// ```
pub fn case_value(
    operand: Expr,
    whens: impl IntoIterator<Item = (Expr, Expr)>,
    else_: Option<Expr>,
) -> Expr {
    Expr::Case {
        operand: Some(Box::new(operand)),
        whens: whens.into_iter().collect(),
        else_: else_.map(Box::new),
    }
}

/// `CAST(expr AS ty)`.
///
/// ```
/// use aludel::sql::{cast, literal_column, Executable, SqlType};
/// let e = cast(literal_column("x"), SqlType::Integer);
/// assert_eq!(e.compile(&aludel::dialects::MySql).unwrap().sql, "CAST(x AS SIGNED)");
/// ```
pub fn cast(expr: Expr, ty: SqlType) -> Expr {
    Expr::Cast {
        expr: Box::new(expr),
        ty,
    }
}

/// `EXISTS (subquery)`.
///
/// ```
/// use aludel::sql::{exists, literal_column, select, Executable};
/// let e = exists(select([literal_column("1")]));
/// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "EXISTS (SELECT 1)");
/// ```
pub fn exists(subquery: impl Into<SelectStatement>) -> Expr {
    Expr::Exists(Box::new(subquery.into()))
}

/// A row value `(a, b, ...)`, for tuple comparisons and `IN`.
///
/// ```
/// use aludel::sql::{literal_column, tuple, Executable};
/// let e = tuple([literal_column("a"), literal_column("b")]).in_([tuple([1.into(), 2.into()])]);
/// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "(a, b) IN ((?, ?))");
/// ```
pub fn tuple(items: impl IntoIterator<Item = Expr>) -> Expr {
    Expr::Tuple(items.into_iter().collect())
}

macro_rules! comparison_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(self, other: impl Into<Expr>) -> Expr {
                self.binary(BinaryOp::$op, other.into())
            }
        )*
    };
}

impl Expr {
    fn binary(self, op: BinaryOp, right: Expr) -> Expr {
        Expr::Binary {
            op,
            left: Box::new(self),
            right: Box::new(right),
        }
    }

    comparison_methods! {
        /// `self = other`; comparing with `None`/NULL renders `IS NULL`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, Executable};
        /// let e = literal_column("a").eq(None::<i32>);
        /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "a IS NULL");
        /// ```
        eq => Eq;
        /// `self != other`; comparing with NULL renders `IS NOT NULL`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, Executable};
        /// assert_eq!(literal_column("a").ne(1).compile(&aludel::dialects::Sqlite).unwrap().sql, "a != ?");
        /// ```
        ne => Ne;
        /// `self < other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, Executable};
        /// assert_eq!(literal_column("a").lt(1).compile(&aludel::dialects::Sqlite).unwrap().sql, "a < ?");
        /// ```
        lt => Lt;
        /// `self <= other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, Executable};
        /// assert_eq!(literal_column("a").le(1).compile(&aludel::dialects::Sqlite).unwrap().sql, "a <= ?");
        /// ```
        le => Le;
        /// `self > other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, Executable};
        /// assert_eq!(literal_column("a").gt(1).compile(&aludel::dialects::Sqlite).unwrap().sql, "a > ?");
        /// ```
        gt => Gt;
        /// `self >= other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, Executable};
        /// assert_eq!(literal_column("a").ge(1).compile(&aludel::dialects::Sqlite).unwrap().sql, "a >= ?");
        /// ```
        ge => Ge;
        /// `self IS other` (for `NULL`, `true`, `false`).
        ///
        /// ```
        /// use aludel::sql::{literal_column, true_, Executable};
        /// let e = literal_column("a").is_(true_());
        /// assert_eq!(e.compile(&aludel::dialects::Postgres).unwrap().sql, "a IS true");
        /// ```
        is_ => Is;
        /// `self IS NOT other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, null, Executable};
        /// let e = literal_column("a").is_not(null());
        /// assert_eq!(e.compile(&aludel::dialects::Postgres).unwrap().sql, "a IS NOT NULL");
        /// ```
        is_not => IsNot;
        /// String concatenation (`||`, or `concat()` on MySQL).
        ///
        /// ```
        /// use aludel::sql::{literal_column, Executable};
        /// let e = literal_column("a").concat("!");
        /// assert_eq!(e.compile(&aludel::dialects::MySql).unwrap().sql, "concat(a, ?)");
        /// ```
        concat => Concat;
    }

    /// `self IS NULL`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// assert_eq!(literal_column("a").is_null().compile(&aludel::dialects::Sqlite).unwrap().sql, "a IS NULL");
    /// ```
    pub fn is_null(self) -> Expr {
        self.binary(BinaryOp::Is, Expr::Null)
    }

    /// `self IS NOT NULL`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// assert_eq!(literal_column("a").is_not_null().compile(&aludel::dialects::Sqlite).unwrap().sql, "a IS NOT NULL");
    /// ```
    pub fn is_not_null(self) -> Expr {
        self.binary(BinaryOp::IsNot, Expr::Null)
    }

    /// `self IN (list)`. An empty list is allowed and matches nothing.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// let e = literal_column("a").in_([1, 2, 3]);
    /// assert_eq!(e.compile(&aludel::dialects::Postgres).unwrap().sql, "a IN ($1, $2, $3)");
    /// let none = literal_column("a").in_(Vec::<i32>::new());
    /// assert_eq!(none.compile(&aludel::dialects::Postgres).unwrap().sql, "1 != 1");
    /// ```
    pub fn in_<E: Into<Expr>>(self, list: impl IntoIterator<Item = E>) -> Expr {
        self.in_target(
            InTarget::List(list.into_iter().map(Into::into).collect()),
            false,
        )
    }

    /// `self NOT IN (list)`. An empty list matches everything.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// let e = literal_column("a").not_in(["x"]);
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "a NOT IN (?)");
    /// ```
    pub fn not_in<E: Into<Expr>>(self, list: impl IntoIterator<Item = E>) -> Expr {
        self.in_target(
            InTarget::List(list.into_iter().map(Into::into).collect()),
            true,
        )
    }

    /// `self IN (subquery)`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let e = literal_column("a").in_select(select([literal_column("b")]));
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "a IN (SELECT b)");
    /// ```
    pub fn in_select(self, subquery: impl Into<SelectStatement>) -> Expr {
        self.in_target(InTarget::Select(Box::new(subquery.into())), false)
    }

    /// `self NOT IN (subquery)`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let e = literal_column("a").not_in_select(select([literal_column("b")]));
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "a NOT IN (SELECT b)");
    /// ```
    pub fn not_in_select(self, subquery: impl Into<SelectStatement>) -> Expr {
        self.in_target(InTarget::Select(Box::new(subquery.into())), true)
    }

    fn in_target(self, target: InTarget, negated: bool) -> Expr {
        Expr::In {
            expr: Box::new(self),
            target,
            negated,
        }
    }

    /// `self BETWEEN low AND high`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// let e = literal_column("a").between(1, 5);
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "a BETWEEN ? AND ?");
    /// ```
    pub fn between(self, low: impl Into<Expr>, high: impl Into<Expr>) -> Expr {
        self.between_inner(low.into(), high.into(), false)
    }

    /// `self NOT BETWEEN low AND high`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// let e = literal_column("a").not_between(1, 5);
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "a NOT BETWEEN ? AND ?");
    /// ```
    pub fn not_between(self, low: impl Into<Expr>, high: impl Into<Expr>) -> Expr {
        self.between_inner(low.into(), high.into(), true)
    }

    fn between_inner(self, low: Expr, high: Expr, negated: bool) -> Expr {
        Expr::Between {
            expr: Box::new(self),
            low: Box::new(low),
            high: Box::new(high),
            negated,
        }
    }

    /// `self LIKE pattern`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// let e = literal_column("last_name").like("%treh%");
    /// assert_eq!(e.compile(&aludel::dialects::Postgres).unwrap().sql, "last_name LIKE $1");
    /// ```
    pub fn like(self, pattern: impl Into<Expr>) -> Expr {
        self.like_inner(pattern.into(), None, false, false)
    }

    /// `self NOT LIKE pattern`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// let e = literal_column("a").not_like("x%");
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "a NOT LIKE ?");
    /// ```
    pub fn not_like(self, pattern: impl Into<Expr>) -> Expr {
        self.like_inner(pattern.into(), None, false, true)
    }

    /// Case-insensitive LIKE: `ILIKE` on PostgreSQL, `lower(x) LIKE lower(p)` elsewhere.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// let e = literal_column("a").ilike("x%");
    /// assert_eq!(e.compile(&aludel::dialects::Postgres).unwrap().sql, "a ILIKE $1");
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "lower(a) LIKE lower(?)");
    /// ```
    pub fn ilike(self, pattern: impl Into<Expr>) -> Expr {
        self.like_inner(pattern.into(), None, true, false)
    }

    /// Case-insensitive NOT LIKE.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// let e = literal_column("a").not_ilike("x%");
    /// assert_eq!(e.compile(&aludel::dialects::Postgres).unwrap().sql, "a NOT ILIKE $1");
    /// ```
    pub fn not_ilike(self, pattern: impl Into<Expr>) -> Expr {
        self.like_inner(pattern.into(), None, true, true)
    }

    /// `self LIKE pattern ESCAPE escape`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// let e = literal_column("a").like_escape("10/%%", '/');
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "a LIKE ? ESCAPE '/'");
    /// ```
    pub fn like_escape(self, pattern: impl Into<Expr>, escape: char) -> Expr {
        self.like_inner(pattern.into(), Some(escape), false, false)
    }

    fn like_inner(self, pattern: Expr, escape: Option<char>, ci: bool, negated: bool) -> Expr {
        Expr::Like {
            expr: Box::new(self),
            pattern: Box::new(pattern),
            escape,
            case_insensitive: ci,
            negated,
        }
    }

    /// `self LIKE '%text%'`, with `%`, `_` and the escape character in `text` matched
    /// literally (escaped with `/`).
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable, Value};
    /// let c = literal_column("a").contains("50%").compile(&aludel::dialects::Sqlite).unwrap();
    /// assert_eq!(c.sql, "a LIKE ? ESCAPE '/'");
    /// assert_eq!(c.binds[0].value, Some(Value::Text("%50/%%".into())));
    /// ```
    pub fn contains(self, text: &str) -> Expr {
        self.like_escape(format!("%{}%", escape_like(text)), LIKE_ESCAPE)
    }

    /// `self LIKE 'text%'`, with wildcards in `text` matched literally.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable, Value};
    /// let c = literal_column("a").startswith("a_b").compile(&aludel::dialects::Sqlite).unwrap();
    /// assert_eq!(c.binds[0].value, Some(Value::Text("a/_b%".into())));
    /// ```
    pub fn startswith(self, text: &str) -> Expr {
        self.like_escape(format!("{}%", escape_like(text)), LIKE_ESCAPE)
    }

    /// `self LIKE '%text'`, with wildcards in `text` matched literally.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable, Value};
    /// let c = literal_column("a").endswith("z").compile(&aludel::dialects::Sqlite).unwrap();
    /// assert_eq!(c.binds[0].value, Some(Value::Text("%z".into())));
    /// ```
    pub fn endswith(self, text: &str) -> Expr {
        self.like_escape(format!("%{}", escape_like(text)), LIKE_ESCAPE)
    }

    /// `self AND other`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// let e = literal_column("a").eq(1).and(literal_column("b").eq(2));
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "a = ? AND b = ?");
    /// ```
    pub fn and(self, other: Expr) -> Expr {
        and_([self, other])
    }

    /// `self OR other`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable};
    /// let e = literal_column("a").eq(1).or(literal_column("b").eq(2));
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "a = ? OR b = ?");
    /// ```
    pub fn or(self, other: Expr) -> Expr {
        or_([self, other])
    }

    /// `self AS name`.
    ///
    /// ```
    /// use aludel::sql::{func, literal_column, select, Executable};
    /// let s = select([func::count(literal_column("id")).label("n")]);
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT count(id) AS n");
    /// ```
    pub fn label(self, name: &str) -> Expr {
        Expr::Label {
            expr: Box::new(self),
            name: Arc::from(name),
        }
    }

    /// `CAST(self AS ty)`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, Executable, SqlType};
    /// let e = literal_column("x").cast(SqlType::Text);
    /// assert_eq!(e.compile(&aludel::dialects::Postgres).unwrap().sql, "CAST(x AS TEXT)");
    /// ```
    pub fn cast(self, ty: SqlType) -> Expr {
        cast(self, ty)
    }

    /// `DISTINCT self`, as in `count(DISTINCT x)`.
    ///
    /// ```
    /// use aludel::sql::{func, literal_column, Executable};
    /// let e = func::count(literal_column("name").distinct());
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "count(DISTINCT name)");
    /// ```
    pub fn distinct(self) -> Expr {
        Expr::Distinct(Box::new(self))
    }

    /// Ascending sort key.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a")]).order_by(literal_column("a").asc());
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT a ORDER BY a ASC");
    /// ```
    pub fn asc(self) -> OrderBy {
        OrderBy {
            expr: self,
            direction: Some(Direction::Asc),
            nulls: None,
        }
    }

    /// Descending sort key.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a")]).order_by(literal_column("a").desc());
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT a ORDER BY a DESC");
    /// ```
    pub fn desc(self) -> OrderBy {
        OrderBy {
            expr: self,
            direction: Some(Direction::Desc),
            nulls: None,
        }
    }
}

/// The escape character used by `contains`, `startswith` and `endswith`.
const LIKE_ESCAPE: char = '/';

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | LIKE_ESCAPE) {
            out.push(LIKE_ESCAPE);
        }
        out.push(ch);
    }
    out
}

macro_rules! arithmetic_operator {
    ($($trait:ident $method:ident => $op:ident),*) => {$(
        impl<R: Into<Expr>> ops::$trait<R> for Expr {
            type Output = Expr;
            fn $method(self, rhs: R) -> Expr {
                self.binary(BinaryOp::$op, rhs.into())
            }
        }
    )*};
}
arithmetic_operator!(Add add => Add, Sub sub => Sub, Mul mul => Mul, Div div => Div, Rem rem => Mod);

impl ops::Neg for Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        Expr::Unary {
            op: UnaryOp::Neg,
            operand: Box::new(self),
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `ASC`.
    Asc,
    /// `DESC`.
    Desc,
}

/// Where NULLs sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullsOrder {
    /// `NULLS FIRST`.
    First,
    /// `NULLS LAST`.
    Last,
}

/// One ORDER BY key.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    /// The sorted expression.
    pub expr: Expr,
    /// ASC/DESC, or the database default.
    pub direction: Option<Direction>,
    /// NULLS FIRST/LAST, or the database default.
    pub nulls: Option<NullsOrder>,
}

impl OrderBy {
    /// Sort NULLs first (emulated with an `x IS NULL` key on MySQL).
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a")]).order_by(literal_column("a").asc().nulls_first());
    /// assert_eq!(s.compile(&aludel::dialects::Postgres).unwrap().sql, "SELECT a ORDER BY a ASC NULLS FIRST");
    /// assert_eq!(s.compile(&aludel::dialects::MySql).unwrap().sql, "SELECT a ORDER BY a IS NULL DESC, a ASC");
    /// ```
    pub fn nulls_first(mut self) -> OrderBy {
        self.nulls = Some(NullsOrder::First);
        self
    }

    /// Sort NULLs last (emulated with an `x IS NULL` key on MySQL).
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a")]).order_by(literal_column("a").desc().nulls_last());
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT a ORDER BY a DESC NULLS LAST");
    /// ```
    pub fn nulls_last(mut self) -> OrderBy {
        self.nulls = Some(NullsOrder::Last);
        self
    }
}

impl From<Expr> for OrderBy {
    fn from(expr: Expr) -> Self {
        OrderBy {
            expr,
            direction: None,
            nulls: None,
        }
    }
}

impl Executable for Expr {
    /// Renders the expression alone (useful in tests and docs).
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        Compiler::render(dialect, |c| c.expr(self))
    }
}
