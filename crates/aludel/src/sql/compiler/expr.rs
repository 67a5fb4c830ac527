//! Rendering expressions, with parentheses exactly where precedence needs them.

use super::{Compiler, Source};
use crate::dialects::FunctionSpelling;
use crate::error::{Error, Result};
use crate::sql::elements::{
    BinaryOp, BoolOp, Direction, Expr, InTarget, NullsOrder, OrderBy, UnaryOp,
};
use crate::sql::selectable::FromItem;
use crate::sql::shape::Addr;

/// Precedence of an atom (never needs parentheses).
const ATOM: u8 = 10;
/// Precedence of comparisons, IN, LIKE, BETWEEN.
pub(super) const COMPARISON: u8 = 5;

fn precedence(e: &Expr) -> u8 {
    match e {
        Expr::BoolList {
            op: BoolOp::Or,
            items,
        } if items.len() > 1 => 1,
        Expr::BoolList {
            op: BoolOp::And,
            items,
        } if items.len() > 1 => 2,
        Expr::Unary {
            op: UnaryOp::Not, ..
        } => 3,
        Expr::Binary { op, .. } => op.precedence(),
        Expr::In { .. } | Expr::Between { .. } | Expr::Like { .. } => COMPARISON,
        Expr::Unary {
            op: UnaryOp::Neg, ..
        } => 9,
        _ => ATOM,
    }
}

impl Compiler<'_> {
    /// Renders an expression.
    pub(crate) fn expr(&mut self, e: &Expr) -> Result<()> {
        match e {
            Expr::Column(c) => {
                if let Some(source) = c.source.as_ref().filter(|_| !self.bare_columns) {
                    self.qualifier(source)?;
                    self.push(".");
                }
                self.ident(&c.name);
            }
            Expr::Value(v) => self.bind_value(v.clone(), Source::At(Addr::expr(e))),
            Expr::BindParam { name, value } => {
                self.bind_named(name.clone(), value.clone(), Addr::expr(e))
            }
            Expr::Null => self.push("NULL"),
            Expr::Bool(b) => self.push(self.dialect.boolean_literal(*b)),
            Expr::Raw(sql) => self.push(sql),
            Expr::Text(t) => t.render(self),
            Expr::Star { qualifier } => {
                if let Some(q) = qualifier {
                    self.ident(q);
                    self.push(".");
                }
                self.push("*");
            }
            Expr::Binary { op, left, right } => self.binary(*op, left, right)?,
            Expr::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                self.push("NOT ");
                self.operand(operand, ATOM, false)?;
            }
            Expr::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                self.push("-");
                self.operand(operand, ATOM, false)?;
            }
            Expr::BoolList { op, items } => {
                let items: Vec<&Expr> = items.iter().collect();
                self.bool_list(*op, &items, precedence(e))?
            }
            Expr::In {
                expr,
                target,
                negated,
            } => self.in_(expr, target, *negated)?,
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                self.operand(expr, COMPARISON, true)?;
                self.push(if *negated {
                    " NOT BETWEEN "
                } else {
                    " BETWEEN "
                });
                let column = Self::column_label(expr);
                self.for_column(column.clone(), low, |c| c.operand(low, COMPARISON, true))?;
                self.push(" AND ");
                self.for_column(column, high, |c| c.operand(high, COMPARISON, true))?;
            }
            Expr::Like {
                expr,
                pattern,
                escape,
                case_insensitive,
                negated,
            } => self.like(expr, pattern, *escape, *case_insensitive, *negated)?,
            Expr::Function(f) => match self.dialect.function_name(&f.name) {
                FunctionSpelling::Keyword(k) => self.push(k),
                FunctionSpelling::Call(name) => {
                    self.push(name);
                    self.push("(");
                    match &f.args {
                        None => self.push("*"),
                        Some(args) => self.comma_list(args, |c, a| c.expr(a))?,
                    }
                    self.push(")");
                }
            },
            Expr::Distinct(inner) => {
                self.push("DISTINCT ");
                self.expr(inner)?;
            }
            Expr::Case {
                operand,
                whens,
                else_,
            } => {
                self.push("CASE");
                if let Some(o) = operand {
                    self.push(" ");
                    self.expr(o)?;
                }
                for (when, then) in whens {
                    self.push(" WHEN ");
                    self.expr(when)?;
                    self.push(" THEN ");
                    self.expr(then)?;
                }
                if let Some(e) = else_ {
                    self.push(" ELSE ");
                    self.expr(e)?;
                }
                self.push(" END");
            }
            Expr::Cast { expr, ty } => {
                self.push("CAST(");
                self.expr(expr)?;
                self.push(" AS ");
                let name = self.dialect.cast_type_name(ty);
                self.push(&name);
                self.push(")");
            }
            Expr::Label { expr, name } => {
                self.expr(expr)?;
                self.push(" AS ");
                self.ident(name);
            }
            Expr::Exists(select) => {
                self.push("EXISTS (");
                self.nested_select(select)?;
                self.push(")");
            }
            Expr::Subquery(select) => {
                self.push("(");
                self.nested_select(select)?;
                self.push(")");
            }
            Expr::Tuple(items) => {
                self.push("(");
                self.comma_list(items, |c, a| c.expr(a))?;
                self.push(")");
            }
            Expr::Excluded(column) => {
                if self.dialect.upsert_style() == crate::dialects::UpsertStyle::OnDuplicateKey {
                    self.push("VALUES(");
                    self.ident(column);
                    self.push(")");
                } else {
                    self.push("excluded.");
                    self.ident(column);
                }
            }
            Expr::Invalid(message) => return Err(Error::compile(message.to_string())),
        }
        Ok(())
    }

    /// Renders `e` as the operand of an operator of precedence `parent`, parenthesised when
    /// it binds more loosely (or equally, when `strict`).
    pub(super) fn operand(&mut self, e: &Expr, parent: u8, strict: bool) -> Result<()> {
        let p = precedence(e);
        if p < parent || (strict && p == parent && p != ATOM) {
            self.push("(");
            self.expr(e)?;
            self.push(")");
            Ok(())
        } else {
            self.expr(e)
        }
    }

    fn binary(&mut self, op: BinaryOp, left: &Expr, right: &Expr) -> Result<()> {
        let op = match (op, right) {
            (BinaryOp::Eq, Expr::Null) => BinaryOp::Is,
            (BinaryOp::Ne, Expr::Null) => BinaryOp::IsNot,
            (op, _) => op,
        };
        if op == BinaryOp::Concat && self.dialect.concat_operator().is_none() {
            let mut parts = Vec::new();
            flatten_concat(left, &mut parts);
            flatten_concat(right, &mut parts);
            self.push("concat(");
            self.comma_list(&parts, |c, a| c.expr(a))?;
            self.push(")");
            return Ok(());
        }
        let p = op.precedence();
        let comparison = p == COMPARISON;
        // A value compared with a column is reported under the column's name.
        let (tag_left, tag_right) = match comparison {
            true => (Self::column_label(right), Self::column_label(left)),
            false => (None, None),
        };
        self.for_column(tag_left, left, |c| c.operand(left, p, comparison))?;
        self.push(op.sql());
        self.for_column(tag_right, right, |c| {
            c.operand(right, p, comparison || !op.is_associative())
        })
    }

    pub(super) fn bool_list(&mut self, op: BoolOp, items: &[&Expr], p: u8) -> Result<()> {
        match items {
            [] => self.push(if op == BoolOp::And { "1 = 1" } else { "1 != 1" }),
            [only] => self.expr(only)?,
            _ => {
                let sep = if op == BoolOp::And { " AND " } else { " OR " };
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.push(sep);
                    }
                    self.operand(item, p, false)?;
                }
            }
        }
        Ok(())
    }

    fn in_(&mut self, expr: &Expr, target: &InTarget, negated: bool) -> Result<()> {
        if let InTarget::List(items) = target {
            if items.is_empty() {
                // `x IN ()` is not valid SQL; an empty list matches nothing (or, negated,
                // everything), whatever x is.
                self.push(if negated { "1 = 1" } else { "1 != 1" });
                return Ok(());
            }
            if self.long_in_list(expr, items, negated)? {
                return Ok(());
            }
        }
        self.operand(expr, COMPARISON, true)?;
        self.push(if negated { " NOT IN (" } else { " IN (" });
        match target {
            InTarget::List(items) => {
                let column = Self::column_label(expr);
                self.comma_list(items, |c, a| c.for_column(column.clone(), a, |c| c.expr(a)))?
            }
            InTarget::Select(select) => self.nested_select(select)?,
        }
        self.push(")");
        Ok(())
    }

    fn like(
        &mut self,
        expr: &Expr,
        pattern: &Expr,
        escape: Option<char>,
        ci: bool,
        negated: bool,
    ) -> Result<()> {
        let native_ilike = ci && self.dialect.supports_ilike();
        if ci && !native_ilike {
            self.push("lower(");
            self.expr(expr)?;
            self.push(")");
        } else {
            self.operand(expr, COMPARISON, true)?;
        }
        self.push(match (negated, native_ilike) {
            (false, false) => " LIKE ",
            (true, false) => " NOT LIKE ",
            (false, true) => " ILIKE ",
            (true, true) => " NOT ILIKE ",
        });
        if ci && !native_ilike {
            self.push("lower(");
            self.expr(pattern)?;
            self.push(")");
        } else {
            self.operand(pattern, COMPARISON, true)?;
        }
        if let Some(ch) = escape {
            self.push(" ESCAPE ");
            self.dialect.string_literal(&ch.to_string(), &mut self.sql);
        }
        Ok(())
    }

    /// Renders the name a FROM item's columns are qualified with.
    pub(crate) fn qualifier(&mut self, source: &FromItem) -> Result<()> {
        match source {
            FromItem::Table(t) => self.table_name(t),
            FromItem::Join(_) => {
                return Err(Error::compile("a column cannot be qualified by a join"));
            }
            other => {
                let name = other.qualifier().unwrap_or_default().to_owned();
                self.ident(&name);
            }
        }
        Ok(())
    }

    /// Renders `schema.table` or `table`.
    pub(crate) fn table_name(&mut self, table: &crate::sql::Table) {
        if let Some(schema) = &table.def().schema {
            self.ident(schema);
            self.push(".");
        }
        self.ident(table.name());
    }

    /// Renders items separated by `, `.
    pub(crate) fn comma_list<T>(
        &mut self,
        items: &[T],
        mut render: impl FnMut(&mut Self, &T) -> Result<()>,
    ) -> Result<()> {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            render(self, item)?;
        }
        Ok(())
    }

    /// Renders ORDER BY keys (without the keyword), emulating NULLS FIRST/LAST where the
    /// dialect lacks them.
    pub(crate) fn order_by_list(&mut self, keys: &[OrderBy]) -> Result<()> {
        self.comma_list(keys, |c, key| {
            if let (Some(nulls), false) = (key.nulls, c.dialect.supports_nulls_ordering()) {
                c.operand(&key.expr, COMPARISON, true)?;
                c.push(match nulls {
                    NullsOrder::First => " IS NULL DESC, ",
                    NullsOrder::Last => " IS NULL ASC, ",
                });
            }
            c.expr(&key.expr)?;
            match key.direction {
                Some(Direction::Asc) => c.push(" ASC"),
                Some(Direction::Desc) => c.push(" DESC"),
                None => {}
            }
            if c.dialect.supports_nulls_ordering() {
                match key.nulls {
                    Some(NullsOrder::First) => c.push(" NULLS FIRST"),
                    Some(NullsOrder::Last) => c.push(" NULLS LAST"),
                    None => {}
                }
            }
            Ok(())
        })
    }
}

fn flatten_concat(e: &Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::Binary {
            op: BinaryOp::Concat,
            left,
            right,
        } => {
            flatten_concat(left, out);
            flatten_concat(right, out);
        }
        other => out.push(other.clone()),
    }
}
