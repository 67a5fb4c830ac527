//! Column adaptation: rewriting an expression so that the columns of one FROM item are read
//! from another (SQLAlchemy's `ClauseAdapter`). The ORM uses it once a query is wrapped in a
//! subquery (set operations): criteria written against the entity's table then refer to
//! the subquery's columns.

use crate::sql::elements::{ColumnRef, Expr, FunctionCall, InTarget, OrderBy};
use crate::sql::selectable::FromItem;

/// `expr` with every column of `from` replaced by the same-named column of `to`. Columns of
/// other sources and the insides of subqueries are left as they are.
pub(crate) fn adapt(expr: &Expr, from: &FromItem, to: &FromItem) -> Expr {
    let go = |e: &Expr| Box::new(adapt(e, from, to));
    let list = |items: &[Expr]| items.iter().map(|e| adapt(e, from, to)).collect::<Vec<_>>();
    match expr {
        Expr::Column(c) if c.source.as_ref() == Some(from) => Expr::Column(ColumnRef {
            name: c.name.clone(),
            source: Some(to.clone()),
        }),
        Expr::Binary { op, left, right } => Expr::Binary {
            op: *op,
            left: go(left),
            right: go(right),
        },
        Expr::Unary { op, operand } => Expr::Unary {
            op: *op,
            operand: go(operand),
        },
        Expr::BoolList { op, items } => Expr::BoolList {
            op: *op,
            items: list(items),
        },
        Expr::Tuple(items) => Expr::Tuple(list(items)),
        Expr::In {
            expr,
            target,
            negated,
        } => Expr::In {
            expr: go(expr),
            target: match target {
                InTarget::List(items) => InTarget::List(list(items)),
                InTarget::Select(s) => InTarget::Select(s.clone()),
            },
            negated: *negated,
        },
        Expr::Between {
            expr,
            low,
            high,
            negated,
        } => Expr::Between {
            expr: go(expr),
            low: go(low),
            high: go(high),
            negated: *negated,
        },
        Expr::Like {
            expr,
            pattern,
            escape,
            case_insensitive,
            negated,
        } => Expr::Like {
            expr: go(expr),
            pattern: go(pattern),
            escape: *escape,
            case_insensitive: *case_insensitive,
            negated: *negated,
        },
        Expr::Function(call) => Expr::Function(FunctionCall {
            name: call.name.clone(),
            args: call.args.as_deref().map(list),
        }),
        Expr::Distinct(inner) => Expr::Distinct(go(inner)),
        Expr::Cast { expr, ty } => Expr::Cast {
            expr: go(expr),
            ty: ty.clone(),
        },
        Expr::Label { expr, name } => Expr::Label {
            expr: go(expr),
            name: name.clone(),
        },
        Expr::Case {
            operand,
            whens,
            else_,
        } => Expr::Case {
            operand: operand.as_deref().map(go),
            whens: whens
                .iter()
                .map(|(w, t)| (adapt(w, from, to), adapt(t, from, to)))
                .collect(),
            else_: else_.as_deref().map(go),
        },
        Expr::Column(_)
        | Expr::Value(_)
        | Expr::BindParam { .. }
        | Expr::Null
        | Expr::Bool(_)
        | Expr::Raw(_)
        | Expr::Text(_)
        | Expr::Star { .. }
        | Expr::Exists(_)
        | Expr::Subquery(_)
        | Expr::Excluded(_)
        | Expr::Invalid(_) => expr.clone(),
    }
}

/// An ORDER BY key with its expression adapted like [`adapt`].
pub(crate) fn adapt_order_by(key: &OrderBy, from: &FromItem, to: &FromItem) -> OrderBy {
    OrderBy {
        expr: adapt(&key.expr, from, to),
        ..key.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects::Sqlite;
    use crate::sql::{Column, Executable, SqlType, Table, func, select};

    #[test]
    fn columns_of_the_table_move_to_the_subquery_and_others_stay() {
        let t = Table::build("t")
            .column(Column::new("a", SqlType::Integer))
            .finish();
        let u = Table::build("u")
            .column(Column::new("b", SqlType::Integer))
            .finish();
        let sq = select([t.c("a")]).subquery("anon_1");
        let e = t
            .c("a")
            .gt(1)
            .and(u.c("b").eq(func::call("lower", [t.c("a")])));
        let adapted = adapt(&e, &FromItem::from(&t), &sq);
        assert_eq!(
            adapted.compile(&Sqlite).unwrap().sql,
            "anon_1.a > ? AND u.b = lower(anon_1.a)"
        );
    }
}
