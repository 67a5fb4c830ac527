//! Rendering CREATE/DROP TABLE and CREATE INDEX.

use super::Compiler;
use crate::dialects::{AutoincrementStyle, Dialect};
use crate::error::Result;
use crate::sql::NamingConvention;
use crate::sql::compiled::{Compiled, Executable};
use crate::sql::ddl::{
    AddForeignKey, CreateIndex, CreateTable, DdlStatement, DropForeignKey, DropTable,
};
use crate::sql::ddl_order::{ForeignKeyRef, foreign_keys};
use crate::sql::schema::{Column, Constraint, ReferentialAction, Table, TableDef};

impl Compiler<'_> {
    fn create_table(&mut self, stmt: &CreateTable) -> Result<()> {
        let table = &stmt.table;
        let def = table.def();
        let autoincrement = table.autoincrement_column().map(|c| c.name.clone());
        self.push(if stmt.if_not_exists {
            "CREATE TABLE IF NOT EXISTS "
        } else {
            "CREATE TABLE "
        });
        self.table_name(table);
        self.push(" (");
        let mut first = true;
        let mut sep = |c: &mut Self| {
            if !first {
                c.push(", ");
            }
            first = false;
        };
        for column in &def.columns {
            sep(self);
            self.column_ddl(
                column,
                autoincrement.as_deref() == Some(column.name.as_str()),
                is_keyed(def, &column.name),
            );
        }
        let naming = stmt.naming.as_ref();
        let table_name = table.name();
        // Keys added later by ALTER TABLE stay out, where the database can add them.
        let altered = |columns: &[&str]| {
            self.dialect.supports_alter()
                && stmt
                    .altered_keys
                    .iter()
                    .any(|k| k.iter().eq(columns.iter()))
        };
        // A name from the convention, when it has a template for this kind of constraint.
        let named = |template: Option<&String>, column_0: &str, referred: &str, name: &str| {
            template.map(|t| NamingConvention::render(t, table_name, column_0, referred, name))
        };
        let pk = table.primary_key();
        if !pk.is_empty() {
            sep(self);
            let name = named(naming.and_then(|n| n.pk.as_ref()), pk[0], "", "");
            self.constraint_name(name.as_deref());
            self.push("PRIMARY KEY (");
            self.idents(&pk);
            self.push(")");
        }
        for column in def.columns.iter().filter(|c| c.unique) {
            sep(self);
            let name = named(naming.and_then(|n| n.uq.as_ref()), &column.name, "", "");
            self.constraint_name(name.as_deref());
            self.push("UNIQUE (");
            self.ident(&column.name);
            self.push(")");
        }
        for column in &def.columns {
            if let Some(fk) = &column.foreign_key
                && !altered(&[column.name.as_str()])
            {
                sep(self);
                let name = named(
                    naming.and_then(|n| n.fk.as_ref()),
                    &column.name,
                    &fk.table,
                    "",
                );
                self.foreign_key(
                    name.as_deref(),
                    &[column.name.as_str()],
                    &fk.table,
                    &[fk.column.as_str()],
                    fk.on_delete,
                    fk.on_update,
                );
            }
        }
        for constraint in &def.constraints {
            if let Constraint::ForeignKey { columns, .. } = constraint {
                let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
                if altered(&cols) {
                    continue;
                }
            }
            sep(self);
            match constraint {
                Constraint::Unique { name, columns } => {
                    let conventional = name
                        .is_none()
                        .then(|| named(naming.and_then(|n| n.uq.as_ref()), &columns[0], "", ""))
                        .flatten();
                    self.constraint_name(name.as_deref().or(conventional.as_deref()));
                    self.push("UNIQUE (");
                    let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
                    self.idents(&cols);
                    self.push(")");
                }
                Constraint::Check { name, sql } => {
                    // A named CHECK takes the convention's form around its name.
                    let conventional = name
                        .as_deref()
                        .and_then(|n| named(naming.and_then(|c| c.ck.as_ref()), "", "", n));
                    self.constraint_name(conventional.as_deref().or(name.as_deref()));
                    self.push("CHECK (");
                    self.push(sql);
                    self.push(")");
                }
                Constraint::ForeignKey {
                    name,
                    columns,
                    ref_table,
                    ref_columns,
                    on_delete,
                    on_update,
                } => {
                    let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
                    let refs: Vec<&str> = ref_columns.iter().map(String::as_str).collect();
                    let conventional = name
                        .is_none()
                        .then(|| named(naming.and_then(|n| n.fk.as_ref()), cols[0], ref_table, ""))
                        .flatten();
                    self.foreign_key(
                        name.as_deref().or(conventional.as_deref()),
                        &cols,
                        ref_table,
                        &refs,
                        *on_delete,
                        *on_update,
                    );
                }
            }
        }
        self.push(")");
        Ok(())
    }

    fn column_ddl(&mut self, column: &Column, autoincrement: bool, keyed: bool) {
        self.ident(&column.name);
        self.push(" ");
        let ty = if keyed {
            self.dialect.key_type_name(&column.ty)
        } else {
            self.dialect.type_name(&column.ty)
        };
        self.push(&ty);
        let style = self.dialect.autoincrement_style();
        if autoincrement && style == AutoincrementStyle::Identity {
            self.push(" GENERATED BY DEFAULT AS IDENTITY");
        } else if !column.nullable {
            self.push(" NOT NULL");
        }
        if let Some(default) = &column.server_default {
            self.push(" DEFAULT ");
            self.push(default);
        }
        if autoincrement && style == AutoincrementStyle::AutoIncrement {
            self.push(" AUTO_INCREMENT");
        }
    }

    fn constraint_name(&mut self, name: Option<&str>) {
        if let Some(n) = name {
            self.push("CONSTRAINT ");
            self.ident(n);
            self.push(" ");
        }
    }

    fn foreign_key(
        &mut self,
        name: Option<&str>,
        columns: &[&str],
        ref_table: &str,
        ref_columns: &[&str],
        on_delete: Option<ReferentialAction>,
        on_update: Option<ReferentialAction>,
    ) {
        self.constraint_name(name);
        self.push("FOREIGN KEY (");
        self.idents(columns);
        self.push(") REFERENCES ");
        self.ident(ref_table);
        self.push(" (");
        self.idents(ref_columns);
        self.push(")");
        if let Some(a) = on_delete {
            self.push(" ON DELETE ");
            self.push(a.sql());
        }
        if let Some(a) = on_update {
            self.push(" ON UPDATE ");
            self.push(a.sql());
        }
    }

    fn create_index(&mut self, stmt: &CreateIndex) -> Result<()> {
        self.push(if stmt.index.unique {
            "CREATE UNIQUE INDEX "
        } else {
            "CREATE INDEX "
        });
        if stmt.if_not_exists {
            if !self.dialect.supports_create_index_if_not_exists() {
                return Err(self.dialect.unsupported("CREATE INDEX IF NOT EXISTS"));
            }
            self.push("IF NOT EXISTS ");
        }
        self.ident(&stmt.index.name);
        self.push(" ON ");
        self.table_name(&stmt.table);
        self.push(" (");
        let cols: Vec<&str> = stmt.index.columns.iter().map(String::as_str).collect();
        self.idents(&cols);
        self.push(")");
        Ok(())
    }

    fn add_foreign_key(&mut self, stmt: &AddForeignKey) -> Result<()> {
        if !self.dialect.supports_alter() {
            return Err(self.dialect.unsupported("ALTER TABLE ... ADD CONSTRAINT"));
        }
        let fk = altered_key(&stmt.table, &stmt.columns)?;
        self.push("ALTER TABLE ");
        self.table_name(&stmt.table);
        self.push(" ADD ");
        let name = altered_key_name(&stmt.table, &fk, stmt.naming.as_ref());
        self.foreign_key(
            Some(&name),
            &fk.columns,
            fk.ref_table,
            &fk.ref_columns,
            fk.on_delete,
            fk.on_update,
        );
        Ok(())
    }

    fn drop_foreign_key(&mut self, stmt: &DropForeignKey) -> Result<()> {
        if !self.dialect.supports_alter() {
            return Err(self.dialect.unsupported("ALTER TABLE ... DROP CONSTRAINT"));
        }
        let fk = altered_key(&stmt.table, &stmt.columns)?;
        let if_exists = if stmt.if_exists { "IF EXISTS " } else { "" };
        self.push("ALTER TABLE ");
        self.push(if_exists);
        self.table_name(&stmt.table);
        self.push(" DROP ");
        self.push(self.dialect.drop_foreign_key_keyword());
        self.push(" ");
        self.push(if_exists);
        self.ident(&altered_key_name(&stmt.table, &fk, stmt.naming.as_ref()));
        Ok(())
    }

    fn drop_table(&mut self, stmt: &DropTable) {
        self.push(if stmt.if_exists {
            "DROP TABLE IF EXISTS "
        } else {
            "DROP TABLE "
        });
        self.table_name(&stmt.table);
    }
}

/// The foreign key of `table` on exactly `columns`.
fn altered_key<'t>(table: &'t Table, columns: &[String]) -> Result<ForeignKeyRef<'t>> {
    foreign_keys(table)
        .into_iter()
        .find(|fk| fk.columns.iter().eq(columns.iter()))
        .ok_or_else(|| {
            crate::error::Error::compile(format!(
                "table {} has no foreign key on ({})",
                table.name(),
                columns.join(", ")
            ))
        })
}

/// The name a key added by ALTER TABLE goes by: its own, the convention's, else
/// `fk_<table>_<column_0>_<referred_table>` (it must have one to be dropped).
fn altered_key_name(
    table: &Table,
    fk: &ForeignKeyRef<'_>,
    naming: Option<&NamingConvention>,
) -> String {
    if let Some(name) = fk.name {
        return name.to_owned();
    }
    let template = naming
        .and_then(|n| n.fk.as_deref())
        .unwrap_or("fk_{table}_{column_0}_{referred_table}");
    NamingConvention::render(template, table.name(), fk.columns[0], fk.ref_table, "")
}

/// Whether `column` is part of a key or an index of the table: primary key, unique,
/// indexed, or a foreign key (which MySQL indexes).
fn is_keyed(def: &TableDef, column: &str) -> bool {
    let named = |columns: &[String]| columns.iter().any(|c| c == column);
    def.columns.iter().any(|c| {
        c.name == column && (c.primary_key || c.unique || c.index || c.foreign_key.is_some())
    }) || def.indexes.iter().any(|i| named(&i.columns))
        || def.constraints.iter().any(|c| match c {
            Constraint::Unique { columns, .. } | Constraint::ForeignKey { columns, .. } => {
                named(columns)
            }
            Constraint::Check { .. } => false,
        })
}

impl Executable for CreateTable {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        Compiler::render(dialect, |c| c.create_table(self))
    }
}

impl Executable for CreateIndex {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        Compiler::render(dialect, |c| c.create_index(self))
    }
}

impl Executable for DropTable {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        Compiler::render(dialect, |c| {
            c.drop_table(self);
            Ok(())
        })
    }
}

impl Executable for AddForeignKey {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        Compiler::render(dialect, |c| c.add_foreign_key(self))
    }
}

impl Executable for DropForeignKey {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        Compiler::render(dialect, |c| c.drop_foreign_key(self))
    }
}

impl Executable for DdlStatement {
    fn compile(&self, dialect: &dyn Dialect) -> Result<Compiled> {
        match self {
            DdlStatement::CreateTable(s) => s.compile(dialect),
            DdlStatement::CreateIndex(s) => s.compile(dialect),
            DdlStatement::DropTable(s) => s.compile(dialect),
            DdlStatement::AddForeignKey(s) => s.compile(dialect),
            DdlStatement::DropForeignKey(s) => s.compile(dialect),
        }
    }
}
