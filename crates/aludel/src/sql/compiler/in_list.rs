//! Long `IN` lists: more than [`LONG_IN_LIST`] plain values are bound as one parameter, in
//! the form the dialect names ([`LongInList`]), so a list of 100,000 ids stays far inside
//! every database's bind-parameter limit. Shorter lists, and lists holding anything but
//! plain values (columns, expressions, named parameters, row values), render one
//! placeholder per item as always.

use chrono::Datelike;

use super::expr::COMPARISON;
use super::{Compiler, Source};
use crate::dialects::Dialect;
use crate::dialects::{LONG_IN_LIST, LongInList};
use crate::error::Result;
use crate::sql::elements::Expr;
use crate::sql::shape::Addr;
use crate::sql::value::Value;

impl Compiler<'_> {
    /// Renders `expr [NOT] IN (items)` with the whole list bound as one parameter when the
    /// list is long, holds only values and the dialect has a form for it; returns whether
    /// it did. The three forms keep `IN`'s NULL semantics: a NULL in the list makes a
    /// non-matching row's test NULL (so `NOT IN` with a NULL matches nothing).
    pub(super) fn long_in_list(
        &mut self,
        expr: &Expr,
        items: &[Expr],
        negated: bool,
    ) -> Result<bool> {
        let Some(form) = long_in_plan(self.dialect, items) else {
            return Ok(false);
        };
        let values = plain_values(items).unwrap_or_default();
        let source = Source::At(Addr::list(items));
        match form {
            Form::AnyArray => {
                self.operand(expr, COMPARISON, true)?;
                self.push(if negated { " <> ALL(" } else { " = ANY(" });
                self.bind_value(Value::Array(values), source);
                self.push(")");
            }
            Form::Carray => {
                self.operand(expr, COMPARISON, true)?;
                self.push(if negated {
                    " NOT IN rarray("
                } else {
                    " IN rarray("
                });
                self.bind_value(Value::Array(values), source);
                self.push(")");
            }
            Form::JsonTable(column_type) => {
                let alias = self.anon_name();
                self.operand(expr, COMPARISON, true)?;
                self.push(if negated {
                    " NOT IN (SELECT "
                } else {
                    " IN (SELECT "
                });
                self.ident(&alias);
                self.push(".v FROM JSON_TABLE(");
                self.bind_value(Value::Array(values), source);
                self.push(", '$[*]' COLUMNS (v ");
                self.push(column_type);
                self.push(" PATH '$' ERROR ON ERROR)) AS ");
                self.ident(&alias);
                self.push(")");
            }
        }
        Ok(true)
    }
}

/// How a long list is bound.
#[derive(Clone, Copy)]
enum Form {
    AnyArray,
    Carray,
    JsonTable(&'static str),
}

/// The form `items` is bound in on `dialect`, or `None` when it renders one placeholder
/// per item. Depends on the list's length and, for SQLite and MySQL, on its values.
fn long_in_plan(dialect: &dyn Dialect, items: &[Expr]) -> Option<Form> {
    let style = dialect.long_in_list();
    if items.len() <= LONG_IN_LIST || style == LongInList::Placeholders {
        return None;
    }
    let plain = items.iter().all(|item| match item {
        Expr::Value(Value::Array(_)) => false,
        Expr::Value(_) | Expr::Null => true,
        _ => false,
    });
    if !plain {
        return None;
    }
    let values = || {
        items.iter().map(|item| match item {
            Expr::Value(v) => v,
            _ => &Value::Null,
        })
    };
    match style {
        LongInList::Placeholders => None,
        LongInList::AnyArray => Some(Form::AnyArray),
        // SQLite stores NaN as NULL; such a list keeps one placeholder per value, where
        // each value's checks apply.
        LongInList::CarrayTable => {
            (!values().any(|v| matches!(v, Value::Float(f) if f.is_nan()))).then_some(Form::Carray)
        }
        LongInList::JsonTable => json_table_type(values()).map(Form::JsonTable),
    }
}

/// The form of a long `IN` list as a shape-key word (see [`crate::sql::ShapeKey`]), or
/// `None` when the list renders one placeholder per item.
pub(crate) fn long_in_form(dialect: &dyn Dialect, items: &[Expr]) -> Option<&'static str> {
    long_in_plan(dialect, items).map(|form| match form {
        Form::AnyArray => "any",
        Form::Carray => "carray",
        Form::JsonTable(t) => t,
    })
}

/// The list's values, when every item is a plain value or NULL.
fn plain_values(items: &[Expr]) -> Option<Vec<Value>> {
    items
        .iter()
        .map(|item| match item {
            Expr::Value(Value::Array(_)) => None,
            Expr::Value(v) => Some(v.clone()),
            Expr::Null => Some(Value::Null),
            _ => None,
        })
        .collect()
}

/// The JSON_TABLE column type that holds every value of the list exactly as MySQL would
/// compare the single bound value, or `None` when there is none: text (the column's
/// collation would take over the comparison), bytes, JSON, UUIDs, mixed kinds, non-finite
/// floats and years outside MySQL's 1000-9999 are left to one placeholder each.
fn json_table_type<'v>(values: impl Iterator<Item = &'v Value>) -> Option<&'static str> {
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Int,
        Double,
        Decimal,
        Date,
        DateTime,
        Time,
    }
    let year_ok = |y: i32| (1000..=9999).contains(&y);
    let mut kind: Option<Kind> = None;
    for v in values {
        let k = match v {
            Value::Null => continue,
            Value::Int(_) | Value::Bool(_) => Kind::Int,
            Value::Float(f) if f.is_finite() => Kind::Double,
            Value::Decimal(_) => Kind::Decimal,
            Value::Date(d) if year_ok(d.year()) => Kind::Date,
            Value::DateTime(dt) if year_ok(dt.year()) => Kind::DateTime,
            Value::DateTimeUtc(dt) if year_ok(dt.year()) => Kind::DateTime,
            Value::Time(_) => Kind::Time,
            _ => return None,
        };
        kind = match (kind, k) {
            (None, k) => Some(k),
            (Some(a), b) if a == b => Some(a),
            // Integers join a list of floats or decimals, as they compare as numbers there.
            (Some(Kind::Int), b @ (Kind::Double | Kind::Decimal)) => Some(b),
            (Some(a @ (Kind::Double | Kind::Decimal)), Kind::Int) => Some(a),
            _ => return None,
        };
    }
    Some(match kind? {
        Kind::Int => "BIGINT",
        Kind::Double => "DOUBLE",
        Kind::Decimal => "DECIMAL(65, 30)",
        Kind::Date => "DATE",
        Kind::DateTime => "DATETIME(6)",
        Kind::Time => "TIME(6)",
    })
}
