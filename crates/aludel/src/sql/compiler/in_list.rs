//! Long `IN` lists: more than [`LONG_IN_LIST`] plain values are bound as one parameter, in
//! the form the dialect names ([`LongInList`]), so a list of 100,000 ids stays far inside
//! every database's bind-parameter limit. Shorter lists, and lists holding anything but
//! plain values (columns, expressions, named parameters, row values), render one
//! placeholder per item as always.

use chrono::Datelike;

use super::Compiler;
use super::expr::COMPARISON;
use crate::dialects::{LONG_IN_LIST, LongInList};
use crate::error::Result;
use crate::sql::elements::Expr;
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
        let style = self.dialect.long_in_list();
        if items.len() <= LONG_IN_LIST || style == LongInList::Placeholders {
            return Ok(false);
        }
        let Some(values) = plain_values(items) else {
            return Ok(false);
        };
        match style {
            LongInList::Placeholders => return Ok(false),
            LongInList::AnyArray => {
                self.operand(expr, COMPARISON, true)?;
                self.push(if negated { " <> ALL(" } else { " = ANY(" });
                self.bind_value(Value::Array(values));
                self.push(")");
            }
            LongInList::CarrayTable => {
                // SQLite stores NaN as NULL; such a list keeps one placeholder per value,
                // where each value's checks apply.
                if values
                    .iter()
                    .any(|v| matches!(v, Value::Float(f) if f.is_nan()))
                {
                    return Ok(false);
                }
                self.operand(expr, COMPARISON, true)?;
                self.push(if negated {
                    " NOT IN rarray("
                } else {
                    " IN rarray("
                });
                self.bind_value(Value::Array(values));
                self.push(")");
            }
            LongInList::JsonTable => {
                let Some(column_type) = json_table_type(&values) else {
                    return Ok(false);
                };
                let alias = self.anon_name();
                self.operand(expr, COMPARISON, true)?;
                self.push(if negated {
                    " NOT IN (SELECT "
                } else {
                    " IN (SELECT "
                });
                self.ident(&alias);
                self.push(".v FROM JSON_TABLE(");
                self.bind_value(Value::Array(values));
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
fn json_table_type(values: &[Value]) -> Option<&'static str> {
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
