//! The compiler: one walk over any statement tree that writes SQL text and collects the
//! bind values in placeholder order, asking the [`Dialect`] only where databases differ.
//!
//! It is split by what it renders: [`expr`] for expressions, [`select`] for SELECT and
//! compound selects, [`dml`] for INSERT/UPDATE/DELETE, [`ddl`] for CREATE/DROP. Every
//! `visit_*` method matches exhaustively on the node enums, so a new node kind is a compile
//! error until it is rendered.

mod ddl;
mod dml;
mod expr;
mod in_list;
mod select;
mod statement;
mod walk;

use std::sync::Arc;

use crate::dialects::Dialect;
use crate::error::{Error, Result};
use crate::sql::compiled::{BindSlot, Compiled, StatementRef};
use crate::sql::elements::Expr;
use crate::sql::shape::Addr;
use crate::sql::value::Value;

pub(crate) use in_list::long_in_form;

/// Where a placeholder's value came from, recorded beside each [`BindSlot`] so the
/// compiled-shape cache can re-bind the statement with another tree's values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Source {
    /// The value of the node at this address (see [`Addr`]).
    At(Addr),
    /// A value fixed by the shape (a column's client-side default): the slot's own value.
    Fixed,
    /// A `text()` parameter: always supplied by name.
    Param,
}

/// Renders statements for one dialect. Create one per statement.
pub struct Compiler<'d> {
    pub(crate) dialect: &'d dyn Dialect,
    pub(crate) sql: String,
    pub(crate) binds: Vec<BindSlot>,
    /// Counter behind `anon_1`, `anon_2`, ... so generated names are deterministic.
    anon_counter: usize,
    /// For each enclosing SELECT being rendered, the names its FROM clause makes visible;
    /// a nested subquery correlates to them instead of listing them again.
    frames: Vec<Vec<Arc<str>>>,
    /// The first error found by a writer that cannot fail on the spot (see `ident`).
    error: Option<Error>,
    /// Render columns by name only, as the ORDER BY of a compound select requires (its
    /// result columns have no table).
    pub(crate) bare_columns: bool,
    /// The column the placeholder being written belongs to (see [`BindSlot::column`]).
    bind_column: Option<Arc<str>>,
    /// Where each placeholder's value came from, in placeholder order.
    sources: Vec<Source>,
    /// Placeholders written now hold values fixed by the statement's shape.
    pub(crate) fixed_binds: bool,
}

impl<'d> Compiler<'d> {
    /// A compiler writing for `dialect`.
    pub(crate) fn new(dialect: &'d dyn Dialect) -> Self {
        Compiler {
            dialect,
            sql: String::with_capacity(128),
            binds: Vec::new(),
            anon_counter: 0,
            frames: Vec::new(),
            error: None,
            bare_columns: false,
            bind_column: None,
            sources: Vec::new(),
            fixed_binds: false,
        }
    }

    /// Renders `statement` for `dialect`, also returning where each placeholder's value
    /// came from (the compiled-shape cache's miss path).
    pub(crate) fn render_traced(
        dialect: &'d dyn Dialect,
        statement: StatementRef<'_>,
    ) -> Result<(Compiled, Vec<Source>)> {
        let mut c = Compiler::new(dialect);
        statement.render(&mut c)?;
        let sources = std::mem::take(&mut c.sources);
        Ok((c.finish()?, sources))
    }

    /// Renders one statement: a fresh compiler for `dialect`, `render`, then the result.
    pub(crate) fn render(
        dialect: &'d dyn Dialect,
        render: impl FnOnce(&mut Compiler<'d>) -> Result<()>,
    ) -> Result<Compiled> {
        let mut c = Compiler::new(dialect);
        render(&mut c)?;
        c.finish()
    }

    /// The finished SQL and binds, or the first error an infallible writer recorded.
    pub(crate) fn finish(self) -> Result<Compiled> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(Compiled {
                sql: self.sql,
                binds: self.binds,
            }),
        }
    }

    /// Writes raw SQL text.
    pub(crate) fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    /// Writes an identifier, quoted as the dialect requires. No database accepts NUL in a
    /// name (and C APIs would cut the statement there), so it is refused.
    pub(crate) fn ident(&mut self, name: &str) {
        if name.contains('\0') && self.error.is_none() {
            self.error = Some(Error::compile(format!(
                "identifier {name:?} contains a NUL character"
            )));
        }
        self.dialect.quote_identifier(name, &mut self.sql);
    }

    /// Writes identifiers separated by `, `.
    pub(crate) fn idents(&mut self, names: &[&str]) {
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.ident(n);
        }
    }

    /// Writes a placeholder for an anonymous value taken from `source`.
    pub(crate) fn bind_value(&mut self, value: Value, source: Source) {
        self.bind(
            BindSlot {
                name: None,
                value: Some(value),
                column: self.bind_column.clone(),
            },
            source,
        );
    }

    /// Writes a placeholder for a named parameter (a `bindparam` node at `at`), with an
    /// optional build-time value.
    pub(crate) fn bind_named(&mut self, name: Arc<str>, value: Option<Value>, at: Addr) {
        self.bind(
            BindSlot {
                name: Some(name),
                value,
                column: self.bind_column.clone(),
            },
            Source::At(at),
        );
    }

    /// Writes a placeholder for a `text()` parameter, supplied by name at execution.
    pub(crate) fn bind_param(&mut self, name: Arc<str>) {
        self.bind(
            BindSlot {
                name: Some(name),
                value: None,
                column: self.bind_column.clone(),
            },
            Source::Param,
        );
    }

    /// Runs `render` (which writes `value`) with placeholders tagged as belonging to
    /// `column`, but only when `value` is itself a placeholder: the values inside a
    /// function call or subquery are not the column's.
    pub(crate) fn for_column<T>(
        &mut self,
        column: Option<Arc<str>>,
        value: &Expr,
        render: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let column = column.filter(|_| matches!(value, Expr::Value(_) | Expr::BindParam { .. }));
        let outer = std::mem::replace(&mut self.bind_column, column);
        let result = render(self);
        self.bind_column = outer;
        result
    }

    /// The name a value compared with `e` is reported under: `table.column` (or
    /// `alias.column`) when `e` is a column, else `None`.
    pub(crate) fn column_label(e: &Expr) -> Option<Arc<str>> {
        let Expr::Column(c) = e else { return None };
        Some(match c.source.as_ref().and_then(|s| s.qualifier()) {
            Some(q) => Arc::from(format!("{q}.{}", c.name)),
            None => c.name.clone(),
        })
    }

    fn bind(&mut self, slot: BindSlot, source: Source) {
        self.sources.push(if self.fixed_binds {
            Source::Fixed
        } else {
            source
        });
        self.binds.push(slot);
        self.dialect.placeholder(self.binds.len(), &mut self.sql);
    }
}
