//! Rendering SELECT, compound selects, FROM items, and the WITH clause.

use std::sync::Arc;

use super::walk::{CteCollector, column_sources};
use super::{Compiler, Source};
use crate::dialects::{Dialect, LockRequest};
use crate::error::{Error, Result};
use crate::sql::compiled::{Compiled, Executable, StatementRef};
use crate::sql::elements::{BoolOp, Expr};
use crate::sql::selectable::{
    CompoundSelect, FromItem, JoinKind, LabelStyle, Select, SelectStatement,
};
use crate::sql::shape::Addr;

impl Compiler<'_> {
    /// Renders `WITH ...` for every CTE the statement uses, collected by `collect`.
    pub(crate) fn with_clause(&mut self, collect: impl FnOnce(&mut CteCollector)) -> Result<()> {
        let mut collector = CteCollector::default();
        collect(&mut collector);
        if collector.ctes.is_empty() {
            return Ok(());
        }
        let recursive = collector.ctes.iter().any(|c| c.0.recursive);
        self.push(if recursive {
            "WITH RECURSIVE "
        } else {
            "WITH "
        });
        let saved = std::mem::take(&mut self.frames);
        let ctes = collector.ctes;
        let result = self.comma_list(&ctes, |c, cte| {
            c.ident(&cte.0.name);
            if cte.0.recursive {
                if let Some(names) = cte.0.select.output_names() {
                    c.push("(");
                    c.comma_list(&names, |c, n| {
                        c.ident(n);
                        Ok(())
                    })?;
                    c.push(")");
                }
            }
            c.push(" AS (");
            c.select_statement(&cte.0.select)?;
            c.push(")");
            Ok(())
        });
        self.frames = saved;
        result?;
        self.push(" ");
        Ok(())
    }

    /// Renders a select nested in an expression (scalar, EXISTS, IN): it may correlate to
    /// the enclosing statements' FROM items.
    pub(crate) fn nested_select(&mut self, s: &SelectStatement) -> Result<()> {
        self.select_statement(s)
    }

    /// Renders a select or compound select (without WITH).
    pub(crate) fn select_statement(&mut self, s: &SelectStatement) -> Result<()> {
        match s {
            SelectStatement::Select(select) => self.select(select),
            SelectStatement::Compound(compound) => self.compound(compound),
        }
    }

    pub(crate) fn compound(&mut self, c: &CompoundSelect) -> Result<()> {
        for (i, member) in c.members.iter().enumerate() {
            if i > 0 {
                let op = c.ops[i - 1];
                if op.is_intersect_or_except_all() && !self.dialect.supports_set_op_all() {
                    return Err(self.dialect.unsupported(op.sql().trim()));
                }
                self.push(op.sql());
            }
            if member.needs_wrapping_as_member() {
                // Parenthesised members are not portable (SQLite rejects them); a derived
                // table works everywhere and keeps the member's own ORDER BY/LIMIT.
                let name = self.anon_name();
                self.push("SELECT * FROM (");
                self.select_statement(member)?;
                self.push(") AS ");
                self.ident(&name);
            } else {
                self.select_statement(member)?;
            }
        }
        if !c.order_by.is_empty() {
            self.push(" ORDER BY ");
            self.bare_columns = true;
            let result = self.order_by_list(&c.order_by);
            self.bare_columns = false;
            result?;
        }
        self.limit_offset(&c.limit, &c.offset);
        Ok(())
    }

    pub(crate) fn select(&mut self, s: &Select) -> Result<()> {
        let froms = self.froms(s)?;
        self.frames
            .push(froms.iter().flat_map(qualifiers).collect());
        let result = self.select_body(s, &froms);
        self.frames.pop();
        result
    }

    fn select_body(&mut self, s: &Select, froms: &[FromItem]) -> Result<()> {
        self.push("SELECT ");
        for p in &s.prefixes {
            self.push(p);
            self.push(" ");
        }
        if !s.distinct_on.is_empty() {
            if !self.dialect.supports_distinct_on() {
                return Err(self.dialect.unsupported("DISTINCT ON"));
            }
            self.push("DISTINCT ON (");
            self.comma_list(&s.distinct_on, |c, e| c.expr(e))?;
            self.push(") ");
        } else if s.distinct {
            self.push("DISTINCT ");
        }
        if s.columns.is_empty() {
            return Err(Error::compile("a SELECT needs at least one column"));
        }
        let style = s.label_style;
        self.comma_list(&s.columns, |c, e| {
            c.expr(e)?;
            if let (LabelStyle::TablenameColumn, Expr::Column(col)) = (style, e) {
                if let Some(q) = col.source.as_ref().and_then(|s| s.qualifier()) {
                    c.push(" AS ");
                    c.ident(&format!("{q}_{}", col.name));
                }
            }
            Ok(())
        })?;
        if !froms.is_empty() {
            self.push(" FROM ");
            self.comma_list(froms, |c, f| c.visit_from_item(f, s))?;
        }
        self.conditions(" WHERE ", &s.where_)?;
        if !s.group_by.is_empty() {
            self.push(" GROUP BY ");
            self.comma_list(&s.group_by, |c, e| c.expr(e))?;
        }
        self.conditions(" HAVING ", &s.having)?;
        if !s.order_by.is_empty() {
            self.push(" ORDER BY ");
            self.order_by_list(&s.order_by)?;
        }
        self.limit_offset(&s.limit, &s.offset);
        if let Some(lock) = &s.lock {
            if self.dialect.supports_row_locking() {
                let of: Vec<String> = lock
                    .of
                    .iter()
                    .filter_map(|f| f.qualifier())
                    .map(|q| {
                        let mut out = String::new();
                        self.dialect.quote_identifier(q, &mut out);
                        out
                    })
                    .collect();
                let request = LockRequest {
                    strength: lock.strength,
                    wait: lock.wait,
                    of: &of,
                };
                self.dialect.locking_clause(&request, &mut self.sql)?;
            }
        }
        for suffix in &s.suffixes {
            self.push(" ");
            self.push(suffix);
        }
        for hint in s.hints.iter().filter(|h| h.target.is_none()) {
            if self.hint_applies(&hint.dialect) {
                self.push(" ");
                self.push(&hint.text);
            }
        }
        Ok(())
    }

    /// ` WHERE a AND b` (nothing when there are no conditions).
    pub(crate) fn conditions(&mut self, keyword: &str, conditions: &[Expr]) -> Result<()> {
        if conditions.is_empty() {
            return Ok(());
        }
        self.push(keyword);
        // As `and_(conditions)` renders (nested ANDs flattened one level), but from the
        // tree itself: the compiled-shape cache traces each value to its node.
        let mut flat: Vec<&Expr> = Vec::with_capacity(conditions.len());
        for c in conditions {
            match c {
                Expr::BoolList {
                    op: BoolOp::And,
                    items,
                } => flat.extend(items),
                other => flat.push(other),
            }
        }
        match flat.as_slice() {
            [only] => self.expr(only),
            _ => self.bool_list(BoolOp::And, &flat, 2),
        }
    }

    fn limit_offset(&mut self, limit: &Option<u64>, offset: &Option<u64>) {
        let as_int = |n: u64| crate::sql::Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
        match (*limit, *offset) {
            (None, None) => {}
            (Some(l), _) => {
                self.push(" LIMIT ");
                self.bind_value(as_int(l), Source::At(Addr::limit(limit)));
            }
            (None, Some(_)) => {
                if let Some(all) = self.dialect.limit_for_offset_only() {
                    self.push(" LIMIT ");
                    self.push(all);
                }
            }
        }
        if let Some(o) = *offset {
            self.push(" OFFSET ");
            self.bind_value(as_int(o), Source::At(Addr::offset(offset)));
        }
    }

    fn hint_applies(&self, dialect: &str) -> bool {
        dialect == "*" || dialect == self.dialect.name()
    }

    /// The FROM list of `s`: explicit items, then the items its columns and conditions
    /// imply, minus those covered by a join and those correlated to an enclosing select;
    /// joins are applied to the first item.
    fn froms(&mut self, s: &Select) -> Result<Vec<FromItem>> {
        let mut implied = Vec::new();
        for e in s.columns.iter().chain(&s.where_).chain(&s.having) {
            column_sources(e, &mut implied);
        }
        let covered = |q: &str| {
            s.from.iter().any(|f| f.covers(q)) || s.joins.iter().any(|(_, t, _)| t.covers(q))
        };
        let mut froms: Vec<FromItem> = s.from.clone();
        let mut correlated = Vec::new();
        for item in implied {
            let Some(q) = item.qualifier() else { continue };
            if covered(q) || froms.iter().any(|f| f.qualifier() == Some(q)) {
                continue;
            }
            let enclosing = self
                .frames
                .iter()
                .any(|frame| frame.iter().any(|n| &**n == q));
            let allowed = s
                .correlate
                .as_ref()
                .is_none_or(|names| names.iter().any(|n| &**n == q));
            if enclosing && allowed {
                correlated.push(item);
            } else {
                froms.push(item);
            }
        }
        if froms.is_empty() && s.correlate.is_none() && !correlated.is_empty() && s.joins.is_empty()
        {
            // Everything correlated away: keep the items rather than render no FROM.
            froms = correlated;
        }
        if !s.joins.is_empty() {
            if froms.is_empty() {
                return Err(Error::compile(
                    "join() needs a FROM item to join from; add one with from()",
                ));
            }
            let mut base = froms.remove(0);
            for (kind, target, on) in &s.joins {
                base = base.join_kind(target.clone(), on.clone(), *kind);
            }
            froms.insert(0, base);
        }
        Ok(froms)
    }

    /// Renders a FROM item in `select` (whose table hints apply).
    fn visit_from_item(&mut self, f: &FromItem, select: &Select) -> Result<()> {
        match f {
            FromItem::Table(t) => {
                self.table_name(t);
                self.table_hints(t.name(), select);
            }
            FromItem::Alias(a) => {
                match &a.inner {
                    FromItem::Table(t) => self.table_name(t),
                    FromItem::Cte(c) => self.ident(&c.0.name),
                    FromItem::Subquery(sq) => self.derived_table(&sq.select)?,
                    FromItem::Alias(_) | FromItem::Join(_) => {
                        self.visit_from_item(&a.inner, select)?
                    }
                }
                self.push(" AS ");
                self.ident(&a.name);
                self.table_hints(&a.name, select);
            }
            FromItem::Join(j) => {
                self.visit_from_item(&j.left, select)?;
                self.push(match j.kind {
                    JoinKind::Inner => " JOIN ",
                    JoinKind::LeftOuter => " LEFT OUTER JOIN ",
                    JoinKind::FullOuter => {
                        if !self.dialect.supports_full_join() {
                            return Err(self.dialect.unsupported("FULL OUTER JOIN"));
                        }
                        " FULL OUTER JOIN "
                    }
                });
                let nested_join = matches!(j.right, FromItem::Join(_));
                if nested_join {
                    self.push("(");
                }
                self.visit_from_item(&j.right, select)?;
                if nested_join {
                    self.push(")");
                }
                self.push(" ON ");
                self.expr(&j.on)?;
            }
            FromItem::Subquery(sq) => {
                self.derived_table(&sq.select)?;
                self.push(" AS ");
                self.ident(&sq.name);
            }
            FromItem::Cte(c) => self.ident(&c.0.name),
        }
        Ok(())
    }

    /// `(SELECT ...)` in a FROM clause: it sees no enclosing FROM items (no LATERAL).
    fn derived_table(&mut self, s: &SelectStatement) -> Result<()> {
        let saved = std::mem::take(&mut self.frames);
        self.push("(");
        let result = self.select_statement(s);
        self.push(")");
        self.frames = saved;
        result
    }

    fn table_hints(&mut self, name: &str, select: &Select) {
        for hint in &select.hints {
            if hint.target.as_deref() == Some(name) && self.hint_applies(&hint.dialect) {
                self.push(" ");
                self.push(&hint.text);
            }
        }
    }

    /// A fresh, deterministic anonymous name: `anon_1`, `anon_2`, ...
    pub(crate) fn anon_name(&mut self) -> String {
        self.anon_counter += 1;
        format!("anon_{}", self.anon_counter)
    }
}

/// Every qualifier a FROM item makes visible (both sides of joins).
fn qualifiers(f: &FromItem) -> Vec<Arc<str>> {
    match f {
        FromItem::Join(j) => {
            let mut v = qualifiers(&j.left);
            v.extend(qualifiers(&j.right));
            v
        }
        other => other.qualifier().map(Arc::from).into_iter().collect(),
    }
}

impl Executable for SelectStatement {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        Compiler::render(dialect, |c| StatementRef::Statement(self).render(c))
    }

    fn statement(&self) -> Option<StatementRef<'_>> {
        Some(StatementRef::Statement(self))
    }
}

impl Executable for Select {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        Compiler::render(dialect, |c| StatementRef::Select(self).render(c))
    }

    fn statement(&self) -> Option<StatementRef<'_>> {
        Some(StatementRef::Select(self))
    }
}

impl Executable for CompoundSelect {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        Compiler::render(dialect, |c| StatementRef::Compound(self).render(c))
    }

    fn statement(&self) -> Option<StatementRef<'_>> {
        Some(StatementRef::Compound(self))
    }
}
