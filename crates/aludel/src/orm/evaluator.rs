//! An in-memory evaluator of Core expressions against one object's column values: how a
//! bulk update or delete with `SynchronizeSession::Evaluate` finds the objects in the
//! identity map that its WHERE clause matches, and computes their new values.
//!
//! SQL's three-valued logic is kept (a comparison with NULL is unknown, and an unknown
//! criterion does not match). What cannot be evaluated faithfully is refused with an error
//! naming the construct: pattern matching (collations differ per database), functions,
//! subqueries, CASE, casts, integer division (MySQL's `/` is not integer division), and
//! columns of other tables.

use std::cmp::Ordering;

use crate::error::{Error, Result};
use crate::orm::mapper::ModelInfo;
use crate::sql::{BinaryOp, BoolOp, Expr, FromItem, InTarget, Params, UnaryOp, Value};

/// Evaluates expressions against rows of one model.
pub(crate) struct Evaluator<'a> {
    info: &'static ModelInfo,
    params: &'a Params,
}

fn unsupported(what: &str) -> Error {
    Error::InvalidRequest {
        message: format!(
            "synchronize_session=Evaluate cannot evaluate {what} in Rust; use \
             SynchronizeSession::Fetch or SynchronizeSession::False"
        ),
    }
}

fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(*b),
        Value::Int(i) => Some(*i != 0),
        _ => Some(true),
    }
}

fn from_truth(b: Option<bool>) -> Value {
    b.map_or(Value::Null, Value::Bool)
}

/// Orders two non-NULL values the way the databases do for the types they share.
fn compare(a: &Value, b: &Value) -> Result<Ordering> {
    use Value::*;
    let ord = match (a, b) {
        (Int(x), Int(y)) => Some(x.cmp(y)),
        (Float(x), Float(y)) => x.partial_cmp(y),
        (Int(x), Float(y)) => (*x as f64).partial_cmp(y),
        (Float(x), Int(y)) => x.partial_cmp(&(*y as f64)),
        (Decimal(x), Decimal(y)) => Some(x.cmp(y)),
        (Decimal(x), Int(y)) => Some(x.cmp(&rust_decimal::Decimal::from(*y))),
        (Int(x), Decimal(y)) => Some(rust_decimal::Decimal::from(*x).cmp(y)),
        (Bool(x), Bool(y)) => Some(x.cmp(y)),
        (Bool(x), Int(y)) => Some(i64::from(*x).cmp(y)),
        (Int(x), Bool(y)) => Some(x.cmp(&i64::from(*y))),
        (Text(x), Text(y)) => Some(x.cmp(y)),
        (Bytes(x), Bytes(y)) => Some(x.cmp(y)),
        (Date(x), Date(y)) => Some(x.cmp(y)),
        (Time(x), Time(y)) => Some(x.cmp(y)),
        (DateTime(x), DateTime(y)) => Some(x.cmp(y)),
        (DateTimeUtc(x), DateTimeUtc(y)) => Some(x.cmp(y)),
        (Uuid(x), Uuid(y)) => Some(x.cmp(y)),
        _ => None,
    };
    ord.ok_or_else(|| unsupported(&format!("a comparison of {a:?} with {b:?}")))
}

fn arithmetic(op: BinaryOp, a: Value, b: Value) -> Result<Value> {
    use Value::*;
    let overflow = || unsupported(&format!("{a:?} {} {b:?} (it overflows)", op.sql().trim()));
    Ok(match (op, &a, &b) {
        (_, Null, _) | (_, _, Null) => Null,
        (BinaryOp::Add, Int(x), Int(y)) => Int(x.checked_add(*y).ok_or_else(overflow)?),
        (BinaryOp::Sub, Int(x), Int(y)) => Int(x.checked_sub(*y).ok_or_else(overflow)?),
        (BinaryOp::Mul, Int(x), Int(y)) => Int(x.checked_mul(*y).ok_or_else(overflow)?),
        (BinaryOp::Mod, Int(x), Int(y)) if *y != 0 => Int(x % y),
        (BinaryOp::Add, Float(x), Float(y)) => Float(x + y),
        (BinaryOp::Sub, Float(x), Float(y)) => Float(x - y),
        (BinaryOp::Mul, Float(x), Float(y)) => Float(x * y),
        (BinaryOp::Div, Float(x), Float(y)) if *y != 0.0 => Float(x / y),
        (BinaryOp::Add, Float(x), Int(y)) => Float(x + *y as f64),
        (BinaryOp::Sub, Float(x), Int(y)) => Float(x - *y as f64),
        (BinaryOp::Mul, Float(x), Int(y)) => Float(x * *y as f64),
        (BinaryOp::Add, Decimal(x), Decimal(y)) => Decimal(x + y),
        (BinaryOp::Sub, Decimal(x), Decimal(y)) => Decimal(x - y),
        (BinaryOp::Add, Decimal(x), Int(y)) => Decimal(x + rust_decimal::Decimal::from(*y)),
        (BinaryOp::Sub, Decimal(x), Int(y)) => Decimal(x - rust_decimal::Decimal::from(*y)),
        (BinaryOp::Concat, Text(x), Text(y)) => Text(format!("{x}{y}")),
        _ => {
            return Err(unsupported(&format!("{a:?} {} {b:?}", op.sql().trim())));
        }
    })
}

impl<'a> Evaluator<'a> {
    /// An evaluator for rows of `info`, with `params` for named bind parameters.
    pub(crate) fn new(info: &'static ModelInfo, params: &'a Params) -> Self {
        Evaluator { info, params }
    }

    /// Whether `criteria` (AND-ed) are true for a row; unknown (NULL) is false.
    pub(crate) fn matches(&self, criteria: &[Expr], row: &[Value]) -> Result<bool> {
        let mut all = Some(true);
        for c in criteria {
            all = and3(all, truth(&self.eval(c, row)?));
        }
        Ok(all == Some(true))
    }

    /// The value of `expr` for a row of the model's column values.
    pub(crate) fn eval(&self, expr: &Expr, row: &[Value]) -> Result<Value> {
        match expr {
            Expr::Column(c) => {
                let ours = match &c.source {
                    None => true,
                    Some(FromItem::Table(t)) => t.name() == self.info.table.name(),
                    Some(_) => false,
                };
                let index = self
                    .info
                    .columns()
                    .iter()
                    .position(|col| *col.name == *c.name);
                match (ours, index) {
                    (true, Some(i)) => Ok(row[i].clone()),
                    _ => Err(unsupported(&format!(
                        "column '{}' of {}, which is not a column of {}",
                        c.name,
                        c.source
                            .as_ref()
                            .and_then(|s| s.qualifier().map(str::to_string))
                            .unwrap_or_else(|| "no table".into()),
                        self.info.name
                    ))),
                }
            }
            Expr::Value(v) => Ok(v.clone()),
            Expr::BindParam { name, value } => match (self.params.get(name), value) {
                (Some(v), _) | (None, Some(v)) => Ok(v.clone()),
                (None, None) => Err(Error::compile(format!(
                    "no value supplied for bind parameter :{name}"
                ))),
            },
            Expr::Null => Ok(Value::Null),
            Expr::Bool(b) => Ok(Value::Bool(*b)),
            Expr::Binary { op, left, right } => {
                let (l, r) = (self.eval(left, row)?, self.eval(right, row)?);
                self.binary(*op, l, r)
            }
            Expr::Unary { op, operand } => {
                let v = self.eval(operand, row)?;
                match (op, v) {
                    (_, Value::Null) => Ok(Value::Null),
                    (UnaryOp::Not, v) => Ok(from_truth(truth(&v).map(|b| !b))),
                    (UnaryOp::Neg, Value::Int(i)) => Ok(Value::Int(-i)),
                    (UnaryOp::Neg, Value::Float(f)) => Ok(Value::Float(-f)),
                    (UnaryOp::Neg, Value::Decimal(d)) => Ok(Value::Decimal(-d)),
                    (UnaryOp::Neg, v) => Err(unsupported(&format!("the negation of {v:?}"))),
                }
            }
            Expr::BoolList { op, items } => {
                let mut acc = Some(matches!(op, BoolOp::And));
                for item in items {
                    let t = truth(&self.eval(item, row)?);
                    acc = match op {
                        BoolOp::And => and3(acc, t),
                        BoolOp::Or => or3(acc, t),
                    };
                }
                Ok(from_truth(acc))
            }
            Expr::In {
                expr,
                target,
                negated,
            } => {
                let InTarget::List(items) = target else {
                    return Err(unsupported("IN (subquery)"));
                };
                let v = self.eval(expr, row)?;
                let mut found = Some(false);
                for item in items {
                    let eq = self.binary(BinaryOp::Eq, v.clone(), self.eval(item, row)?)?;
                    found = or3(found, truth(&eq));
                }
                Ok(from_truth(found.map(|f| f != *negated)))
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let v = self.eval(expr, row)?;
                let ge = self.binary(BinaryOp::Ge, v.clone(), self.eval(low, row)?)?;
                let le = self.binary(BinaryOp::Le, v, self.eval(high, row)?)?;
                let inside = and3(truth(&ge), truth(&le));
                Ok(from_truth(inside.map(|b| b != *negated)))
            }
            Expr::Label { expr, .. } => self.eval(expr, row),
            Expr::Tuple(_) => Err(unsupported("a tuple (row value)")),
            Expr::Raw(sql) => Err(unsupported(&format!("literal SQL '{sql}'"))),
            Expr::Text(_) => Err(unsupported("a text() clause")),
            Expr::Star { .. } => Err(unsupported("*")),
            Expr::Like { .. } => Err(unsupported("LIKE / ILIKE (collations differ per database)")),
            Expr::Function(call) => Err(unsupported(&format!("the SQL function {}()", call.name))),
            Expr::Distinct(_) => Err(unsupported("DISTINCT")),
            Expr::Case { .. } => Err(unsupported("CASE")),
            Expr::Cast { .. } => Err(unsupported("CAST")),
            Expr::Exists(_) => Err(unsupported("EXISTS (subquery)")),
            Expr::Subquery(_) => Err(unsupported("a scalar subquery")),
            Expr::Excluded(_) => Err(unsupported("an EXCLUDED column")),
            Expr::Invalid(message) => Err(Error::compile(message.to_string())),
        }
    }

    fn binary(&self, op: BinaryOp, l: Value, r: Value) -> Result<Value> {
        let cmp = |l: &Value, r: &Value, f: fn(Ordering) -> bool| -> Result<Value> {
            if matches!(l, Value::Null) || matches!(r, Value::Null) {
                return Ok(Value::Null);
            }
            let ord = match (l, r) {
                (Value::Json(a), Value::Json(b)) if a == b => Ordering::Equal,
                _ => compare(l, r)?,
            };
            Ok(Value::Bool(f(ord)))
        };
        match op {
            BinaryOp::Eq => cmp(&l, &r, |o| o == Ordering::Equal),
            BinaryOp::Ne => cmp(&l, &r, |o| o != Ordering::Equal),
            BinaryOp::Lt => cmp(&l, &r, |o| o == Ordering::Less),
            BinaryOp::Le => cmp(&l, &r, |o| o != Ordering::Greater),
            BinaryOp::Gt => cmp(&l, &r, |o| o == Ordering::Greater),
            BinaryOp::Ge => cmp(&l, &r, |o| o != Ordering::Less),
            BinaryOp::Is | BinaryOp::IsNot => {
                let same = match (&l, &r) {
                    (Value::Null, Value::Null) => true,
                    (Value::Null, _) | (_, Value::Null) => false,
                    _ => compare(&l, &r)? == Ordering::Equal,
                };
                Ok(Value::Bool(same == (op == BinaryOp::Is)))
            }
            BinaryOp::Div => match (&l, &r) {
                (Value::Int(_), Value::Int(_)) => Err(unsupported(
                    "integer division (MySQL's / gives a decimal, the others truncate)",
                )),
                _ => arithmetic(op, l, r),
            },
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Mod | BinaryOp::Concat => {
                arithmetic(op, l, r)
            }
        }
    }
}

fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orm::Model;
    use crate::sql::{and_, bindparam, or_};

    #[derive(aludel::Model, Debug, Clone)]
    #[model(table = "people")]
    struct Person {
        #[column(primary_key)]
        id: i64,
        name: String,
        age: Option<i32>,
    }

    fn row(id: i64, name: &str, age: Option<i64>) -> Vec<Value> {
        vec![
            Value::Int(id),
            Value::Text(name.into()),
            age.map_or(Value::Null, Value::Int),
        ]
    }

    #[test]
    fn comparisons_and_logic_follow_sql_three_valued_logic() {
        let params = Params::new();
        let ev = Evaluator::new(Person::info(), &params);
        let ed = row(1, "ed", Some(30));
        let nobody = row(2, "x", None);
        assert!(ev.matches(&[Person::age.gt(20)], &ed).unwrap());
        assert!(!ev.matches(&[Person::age.gt(20)], &nobody).unwrap());
        assert!(
            !ev.matches(&[not_null(Person::age.gt(20))], &nobody)
                .unwrap()
        );
        assert!(ev.matches(&[Person::age.is_null()], &nobody).unwrap());
        let either = or_([Person::age.gt(99), Person::name.eq("ed")]);
        assert!(ev.matches(&[either], &ed).unwrap());
        let both = and_([Person::id.in_([1, 5]), Person::age.between(30, 40)]);
        assert!(ev.matches(&[both], &ed).unwrap());
        let late = Person::name.eq(bindparam("n"));
        let p = Params::new().with("n", "ed");
        assert!(
            Evaluator::new(Person::info(), &p)
                .matches(&[late], &ed)
                .unwrap()
        );
        let next = ev.eval(&(Expr::from(Person::age) - 10), &ed).unwrap();
        assert_eq!(next, Value::Int(20));
    }

    fn not_null(e: Expr) -> Expr {
        crate::sql::not_(e)
    }

    #[test]
    fn what_cannot_be_evaluated_is_named() {
        let params = Params::new();
        let ev = Evaluator::new(Person::info(), &params);
        let err = ev
            .matches(&[Person::name.like("e%")], &row(1, "ed", None))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot evaluate LIKE"), "{err}");
        let err = ev
            .eval(&(Expr::from(Person::id) / 2), &row(1, "ed", None))
            .unwrap_err()
            .to_string();
        assert!(err.contains("integer division"), "{err}");
    }
}
