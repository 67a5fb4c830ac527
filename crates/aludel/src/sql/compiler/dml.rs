//! Rendering INSERT, UPDATE and DELETE.

use std::sync::Arc;

use super::Compiler;
use crate::dialects::{Dialect, UpsertStyle};
use crate::error::{Error, Result};
use crate::sql::compiled::{Compiled, Executable, StatementRef};
use crate::sql::dml::{Delete, Insert, OnConflict, Update};
use crate::sql::elements::Expr;
use crate::sql::schema::Table;

impl Compiler<'_> {
    fn check_column(&self, table: &Table, column: &str) -> Result<()> {
        if table.column(column).is_none() {
            return Err(Error::compile(format!(
                "table {} has no column '{column}'",
                table.name()
            )));
        }
        Ok(())
    }

    fn returning(&mut self, exprs: &[Expr]) -> Result<()> {
        if exprs.is_empty() {
            return Ok(());
        }
        if !self.dialect.supports_returning() {
            return Err(self.dialect.unsupported("RETURNING"));
        }
        self.push(" RETURNING ");
        self.comma_list(exprs, |c, e| c.expr(e))
    }

    /// Runs `body` with `table` visible to correlated subqueries in WHERE clauses.
    fn with_target<T>(
        &mut self,
        table: &Table,
        body: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        self.frames.push(vec![Arc::from(table.name())]);
        let result = body(self);
        self.frames.pop();
        result
    }

    pub(super) fn insert(&mut self, stmt: &Insert) -> Result<()> {
        let table = &stmt.table;
        for column in &stmt.columns {
            self.check_column(table, column)?;
        }
        // Client-side defaults fill the columns a VALUES insert does not name.
        let defaults: Vec<(&str, &crate::sql::Value)> = if stmt.from_select.is_none() {
            table
                .def()
                .columns
                .iter()
                .filter(|c| !stmt.columns.contains(&c.name))
                .filter_map(|c| c.default.as_ref().map(|d| (c.name.as_str(), d)))
                .collect()
        } else {
            Vec::new()
        };
        self.push("INSERT INTO ");
        self.table_name(table);
        let names: Vec<&str> = stmt
            .columns
            .iter()
            .map(String::as_str)
            .chain(defaults.iter().map(|(n, _)| *n))
            .collect();
        if let Some(select) = &stmt.from_select {
            self.push(" (");
            self.idents(&names);
            self.push(") ");
            self.select_statement(select)?;
        } else if names.is_empty() {
            self.push(match self.dialect.upsert_style() {
                UpsertStyle::OnDuplicateKey => " () VALUES ()",
                UpsertStyle::OnConflict => " DEFAULT VALUES",
            });
        } else {
            self.push(" (");
            self.idents(&names);
            self.push(") VALUES ");
            let labels: Vec<Arc<str>> = names
                .iter()
                .map(|n| Arc::from(format!("{}.{n}", table.name())))
                .collect();
            let rows: &[Vec<Expr>] = if stmt.rows.is_empty() {
                &[Vec::new()]
            } else {
                &stmt.rows
            };
            for (i, row) in rows.iter().enumerate() {
                if row.len() != stmt.columns.len() {
                    return Err(Error::compile(format!(
                        "row {} of the INSERT into {} has {} values for {} columns",
                        i + 1,
                        table.name(),
                        row.len(),
                        stmt.columns.len()
                    )));
                }
                if i > 0 {
                    self.push(", ");
                }
                self.push("(");
                for (j, (e, column)) in row.iter().zip(&labels).enumerate() {
                    if j > 0 {
                        self.push(", ");
                    }
                    self.for_column(Some(column.clone()), e, |c| c.expr(e))?;
                }
                for ((_, value), column) in defaults.iter().zip(&labels[row.len()..]) {
                    self.push(", ");
                    let value = Expr::Value((*value).clone());
                    // The default belongs to the table, so to the statement's shape.
                    self.fixed_binds = true;
                    let written = self.for_column(Some(column.clone()), &value, |c| c.expr(&value));
                    self.fixed_binds = false;
                    written?;
                }
                self.push(")");
            }
        }
        if let Some(conflict) = &stmt.on_conflict {
            self.on_conflict(table, conflict, &names)?;
        }
        self.returning(&stmt.returning)
    }

    fn on_conflict(
        &mut self,
        table: &Table,
        conflict: &OnConflict,
        inserted: &[&str],
    ) -> Result<()> {
        for (column, _) in &conflict.set {
            self.check_column(table, column)?;
        }
        match self.dialect.upsert_style() {
            UpsertStyle::OnConflict => {
                self.push(" ON CONFLICT");
                if !conflict.target.is_empty() {
                    self.push(" (");
                    let target: Vec<&str> = conflict.target.iter().map(String::as_str).collect();
                    self.idents(&target);
                    self.push(")");
                }
                if conflict.set.is_empty() {
                    self.push(" DO NOTHING");
                } else {
                    self.push(" DO UPDATE SET ");
                    self.assignments(table, &conflict.set)?;
                }
            }
            UpsertStyle::OnDuplicateKey => {
                self.push(" ON DUPLICATE KEY UPDATE ");
                if conflict.set.is_empty() {
                    let first = conflict
                        .target
                        .first()
                        .map(String::as_str)
                        .or(inserted.first().copied());
                    let Some(first) = first else {
                        return Err(self
                            .dialect
                            .unsupported("ON CONFLICT DO NOTHING without columns"));
                    };
                    self.ident(first);
                    self.push(" = ");
                    self.ident(first);
                } else {
                    self.assignments(table, &conflict.set)?;
                }
            }
        }
        Ok(())
    }

    fn assignments(&mut self, table: &Table, set: &[(String, Expr)]) -> Result<()> {
        self.comma_list(set, |c, (column, value)| {
            c.ident(column);
            c.push(" = ");
            let label = Arc::from(format!("{}.{column}", table.name()));
            c.for_column(Some(label), value, |c| c.expr(value))
        })
    }

    pub(super) fn update(&mut self, stmt: &Update) -> Result<()> {
        if stmt.set.is_empty() {
            return Err(Error::compile(format!(
                "UPDATE of {} sets no columns",
                stmt.table.name()
            )));
        }
        for (column, _) in &stmt.set {
            self.check_column(&stmt.table, column)?;
        }
        // Columns with an on-update SQL expression get it whenever the UPDATE does not set
        // them itself (SQLAlchemy's `onupdate`). They carry no bound values, so they are
        // rendered apart from the statement's own assignments (whose values the
        // compiled-shape cache traces back into the statement).
        let on_update: Vec<(String, Expr)> = stmt
            .table
            .def()
            .columns
            .iter()
            .filter(|c| !stmt.set.iter().any(|(name, _)| *name == c.name))
            .filter_map(|c| {
                let sql = c.server_onupdate.as_ref()?;
                Some((c.name.clone(), crate::sql::literal_column(sql)))
            })
            .collect();
        self.push("UPDATE ");
        for p in &stmt.prefixes {
            self.push(p);
            self.push(" ");
        }
        self.table_name(&stmt.table);
        self.push(" SET ");
        self.with_target(&stmt.table, |c| {
            c.assignments(&stmt.table, &stmt.set)?;
            if !on_update.is_empty() {
                c.push(", ");
                c.assignments(&stmt.table, &on_update)?;
            }
            c.conditions(" WHERE ", &stmt.where_)
        })?;
        if let Some(n) = stmt.mysql_limit.filter(|_| self.dialect.name() == "mysql") {
            self.push(&format!(" LIMIT {n}"));
        }
        self.returning(&stmt.returning)
    }

    pub(super) fn delete(&mut self, stmt: &Delete) -> Result<()> {
        self.push("DELETE FROM ");
        self.table_name(&stmt.table);
        self.with_target(&stmt.table, |c| c.conditions(" WHERE ", &stmt.where_))?;
        self.returning(&stmt.returning)
    }
}

impl Executable for Insert {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        Compiler::render(dialect, |c| StatementRef::Insert(self).render(c))
    }

    fn statement(&self) -> Option<StatementRef<'_>> {
        Some(StatementRef::Insert(self))
    }
}

impl Executable for Update {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        Compiler::render(dialect, |c| StatementRef::Update(self).render(c))
    }

    fn statement(&self) -> Option<StatementRef<'_>> {
        Some(StatementRef::Update(self))
    }
}

impl Executable for Delete {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        Compiler::render(dialect, |c| StatementRef::Delete(self).render(c))
    }

    fn statement(&self) -> Option<StatementRef<'_>> {
        Some(StatementRef::Delete(self))
    }
}
