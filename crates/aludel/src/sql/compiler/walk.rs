//! Walks over statement trees that the compiler needs before rendering: which FROM items
//! the columns of a select imply, and which CTEs a statement uses (they are all defined in
//! one WITH clause at the top, as SQLAlchemy does).

use crate::sql::elements::{Expr, InTarget};
use crate::sql::selectable::{CompoundSelect, Cte, FromItem, Select, SelectStatement};

/// Calls `f` on each direct sub-expression of `e`, not descending into subqueries.
pub(crate) fn for_each_child(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    match e {
        Expr::Binary { left, right, .. } => {
            f(left);
            f(right);
        }
        Expr::Unary { operand, .. } => f(operand),
        Expr::BoolList { items, .. } | Expr::Tuple(items) => items.iter().for_each(f),
        Expr::In { expr, target, .. } => {
            f(expr);
            if let InTarget::List(items) = target {
                items.iter().for_each(&mut *f);
            }
        }
        Expr::Between {
            expr, low, high, ..
        } => {
            f(expr);
            f(low);
            f(high);
        }
        Expr::Like { expr, pattern, .. } => {
            f(expr);
            f(pattern);
        }
        Expr::Function(call) => call.args.iter().flatten().for_each(f),
        Expr::Distinct(inner)
        | Expr::Cast { expr: inner, .. }
        | Expr::Label { expr: inner, .. } => f(inner),
        Expr::Case {
            operand,
            whens,
            else_,
        } => {
            operand.iter().for_each(|o| f(o));
            for (w, t) in whens {
                f(w);
                f(t);
            }
            else_.iter().for_each(|e| f(e));
        }
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
        | Expr::Invalid(_) => {}
    }
}

/// The subquery directly inside `e`, if `e` is one (EXISTS, scalar, IN).
fn subquery_of(e: &Expr) -> Option<&SelectStatement> {
    match e {
        Expr::Exists(s) | Expr::Subquery(s) => Some(s),
        Expr::In {
            target: InTarget::Select(s),
            ..
        } => Some(s),
        _ => None,
    }
}

/// Adds the FROM items that the columns inside `e` belong to (outside subqueries).
pub(crate) fn column_sources(e: &Expr, out: &mut Vec<FromItem>) {
    if let Expr::Column(c) = e {
        if let Some(source) = &c.source {
            let q = source.qualifier();
            if !out.iter().any(|o| o.qualifier() == q) {
                out.push(source.clone());
            }
        }
    }
    for_each_child(e, &mut |child| column_sources(child, out));
}

/// Collects the CTEs a statement uses, dependencies first. When several versions of one
/// CTE appear (the anchor and its `union_all` extension), the most extended one wins.
#[derive(Default)]
pub(crate) struct CteCollector {
    pub(crate) ctes: Vec<Cte>,
}

impl CteCollector {
    pub(crate) fn statement(&mut self, s: &SelectStatement) {
        match s {
            SelectStatement::Select(select) => self.select(select),
            SelectStatement::Compound(c) => self.compound(c),
        }
    }

    pub(crate) fn compound(&mut self, c: &CompoundSelect) {
        c.members.iter().for_each(|m| self.statement(m));
        c.order_by.iter().for_each(|o| self.expr(&o.expr));
    }

    pub(crate) fn select(&mut self, s: &Select) {
        s.from.iter().for_each(|f| self.visit_from_item(f));
        for (_, target, on) in &s.joins {
            self.visit_from_item(target);
            self.expr(on);
        }
        let exprs = s
            .columns
            .iter()
            .chain(&s.where_)
            .chain(&s.group_by)
            .chain(&s.having)
            .chain(&s.distinct_on);
        exprs.for_each(|e| self.expr(e));
        s.order_by.iter().for_each(|o| self.expr(&o.expr));
    }

    pub(crate) fn expr(&mut self, e: &Expr) {
        if let Expr::Column(c) = e {
            if let Some(source) = &c.source {
                self.visit_from_item(source);
            }
        }
        if let Some(s) = subquery_of(e) {
            self.statement(s);
        }
        for_each_child(e, &mut |child| self.expr(child));
    }

    pub(crate) fn visit_from_item(&mut self, f: &FromItem) {
        match f {
            FromItem::Table(_) => {}
            FromItem::Alias(a) => self.visit_from_item(&a.inner),
            FromItem::Join(j) => {
                self.visit_from_item(&j.left);
                self.visit_from_item(&j.right);
                self.expr(&j.on);
            }
            FromItem::Subquery(s) => self.statement(&s.select),
            FromItem::Cte(c) => self.cte(c),
        }
    }

    fn cte(&mut self, c: &Cte) {
        if let Some(existing) = self.ctes.iter().position(|e| e.0.name == c.0.name) {
            if self.ctes[existing].0.generation >= c.0.generation {
                return;
            }
            // A more extended version: walk its body (it may use other CTEs), then let it
            // replace the older version where that one stood.
            self.statement(&c.0.select);
            if let Some(pos) = self.ctes.iter().position(|e| e.0.name == c.0.name) {
                self.ctes[pos] = c.clone();
            }
            return;
        }
        self.statement(&c.0.select);
        match self.ctes.iter().position(|e| e.0.name == c.0.name) {
            Some(pos) if self.ctes[pos].0.generation < c.0.generation => self.ctes[pos] = c.clone(),
            Some(_) => {}
            None => self.ctes.push(c.clone()),
        }
    }
}
