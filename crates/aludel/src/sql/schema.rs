//! Schema: [`MetaData`], [`Table`], [`Column`], [`ForeignKey`], constraints and [`Index`].
//!
//! ```
//! use aludel::sql::{Column, Executable, ForeignKey, MetaData, SqlType, Table};
//! let mut metadata = MetaData::new();
//! let users = metadata.add(
//!     Table::build("users")
//!         .column(Column::new("id", SqlType::Integer).primary_key())
//!         .column(Column::new("name", SqlType::String { length: Some(50) }).unique()),
//! );
//! let addresses = metadata.add(
//!     Table::build("addresses")
//!         .column(Column::new("id", SqlType::Integer).primary_key())
//!         .column(Column::new("user_id", SqlType::Integer).references(ForeignKey::to("users", "id"))),
//! );
//! let sorted = metadata.sorted_tables().unwrap();
//! let order: Vec<&str> = sorted.iter().map(|t| t.name()).collect();
//! assert_eq!(order, ["users", "addresses"]);
//! assert_eq!(addresses.c("user_id").compile(&aludel::dialects::Sqlite).unwrap().sql, "addresses.user_id");
//! # let _ = users;
//! ```

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::sql::elements::Expr;
use crate::sql::selectable::FromItem;
use crate::sql::types::SqlType;
use crate::sql::value::{ToValue, Value};

/// A table: a cheap-clone handle to its definition.
///
/// ```
/// use aludel::sql::{Column, SqlType, Table};
/// let t = Table::build("users").column(Column::new("id", SqlType::Integer).primary_key()).finish();
/// assert_eq!(t.primary_key(), vec!["id"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Table(Arc<TableDef>);

/// A table's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    /// The table name.
    pub name: String,
    /// The schema (database on MySQL) it lives in, if not the default.
    pub schema: Option<String>,
    /// Columns, in declaration order.
    pub columns: Vec<Column>,
    /// Table-level constraints.
    pub constraints: Vec<Constraint>,
    /// Indexes.
    pub indexes: Vec<Index>,
}

/// A column definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column name.
    pub name: String,
    /// The SQL type.
    pub ty: SqlType,
    /// Whether NULL is allowed (primary key columns never are).
    pub nullable: bool,
    /// Part of the primary key.
    pub primary_key: bool,
    /// `Some(true)` forces autoincrement, `Some(false)` prevents it; `None` means
    /// autoincrement for a lone integer primary key, as in SQLAlchemy.
    pub autoincrement: Option<bool>,
    /// A client-side default, applied by INSERT when the column is not given.
    pub default: Option<Value>,
    /// A server-side default, rendered as SQL in `DEFAULT ...`.
    pub server_default: Option<String>,
    /// An SQL expression every UPDATE of the row sets the column to when it does not set
    /// the column itself (SQLAlchemy's `onupdate=func.now()`), e.g. `CURRENT_TIMESTAMP`.
    pub server_onupdate: Option<String>,
    /// A single-column UNIQUE constraint.
    pub unique: bool,
    /// A single-column index (`ix_<table>_<column>`).
    pub index: bool,
    /// A foreign key.
    pub foreign_key: Option<ForeignKey>,
}

impl Column {
    /// A nullable column of `ty`.
    ///
    /// ```
    /// let c = aludel::sql::Column::new("name", aludel::sql::SqlType::Text);
    /// assert!(c.nullable);
    /// ```
    pub fn new(name: &str, ty: SqlType) -> Self {
        Column {
            name: name.to_owned(),
            ty,
            nullable: true,
            primary_key: false,
            autoincrement: None,
            default: None,
            server_default: None,
            server_onupdate: None,
            unique: false,
            index: false,
            foreign_key: None,
        }
    }

    /// Makes the column part of the primary key (and NOT NULL).
    ///
    /// ```
    /// let c = aludel::sql::Column::new("id", aludel::sql::SqlType::Integer).primary_key();
    /// assert!(c.primary_key && !c.nullable);
    /// ```
    pub fn primary_key(mut self) -> Self {
        self.primary_key = true;
        self.nullable = false;
        self
    }

    /// Sets NOT NULL (`false`) or NULL (`true`).
    ///
    /// ```
    /// let c = aludel::sql::Column::new("n", aludel::sql::SqlType::Integer).nullable(false);
    /// assert!(!c.nullable);
    /// ```
    pub fn nullable(mut self, nullable: bool) -> Self {
        self.nullable = nullable;
        self
    }

    /// Forces or prevents autoincrement.
    ///
    /// ```
    /// let c = aludel::sql::Column::new("id", aludel::sql::SqlType::Integer).primary_key().autoincrement(false);
    /// assert_eq!(c.autoincrement, Some(false));
    /// ```
    pub fn autoincrement(mut self, on: bool) -> Self {
        self.autoincrement = Some(on);
        self
    }

    /// A client-side default value, used by INSERT when the column is not given.
    ///
    /// ```
    /// let c = aludel::sql::Column::new("n", aludel::sql::SqlType::Integer).default(0);
    /// assert_eq!(c.default, Some(aludel::sql::Value::Int(0)));
    /// ```
    pub fn default(mut self, value: impl ToValue) -> Self {
        self.default = Some(value.to_value());
        self
    }

    /// A server-side default, as SQL (`"0"`, `"CURRENT_TIMESTAMP"`, `"'draft'"`).
    ///
    /// ```
    /// let c = aludel::sql::Column::new("s", aludel::sql::SqlType::Text).server_default("'draft'");
    /// assert_eq!(c.server_default.as_deref(), Some("'draft'"));
    /// ```
    pub fn server_default(mut self, sql: &str) -> Self {
        self.server_default = Some(sql.to_owned());
        self
    }

    /// Sets the SQL expression every UPDATE writes into the column (when it does not set
    /// the column itself).
    ///
    /// ```
    /// use aludel::sql::{update, Column, Executable, SqlType, Table};
    /// let t = Table::build("t")
    ///     .column(Column::new("n", SqlType::Integer))
    ///     .column(Column::new("at", SqlType::DateTime).server_onupdate("CURRENT_TIMESTAMP"))
    ///     .finish();
    /// let sql = update(&t).set("n", 1).compile(&aludel::dialects::Sqlite)?.sql;
    /// assert_eq!(sql, "UPDATE t SET n = ?, at = CURRENT_TIMESTAMP");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn server_onupdate(mut self, sql: &str) -> Self {
        self.server_onupdate = Some(sql.to_owned());
        self
    }

    /// Adds a single-column UNIQUE constraint.
    ///
    /// ```
    /// assert!(aludel::sql::Column::new("e", aludel::sql::SqlType::Text).unique().unique);
    /// ```
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    /// Adds a single-column index.
    ///
    /// ```
    /// assert!(aludel::sql::Column::new("e", aludel::sql::SqlType::Text).index().index);
    /// ```
    pub fn index(mut self) -> Self {
        self.index = true;
        self
    }

    /// Adds a foreign key.
    ///
    /// ```
    /// use aludel::sql::{Column, ForeignKey, SqlType};
    /// let c = Column::new("user_id", SqlType::Integer).references(ForeignKey::to("users", "id"));
    /// assert_eq!(c.foreign_key.unwrap().table, "users");
    /// ```
    pub fn references(mut self, fk: ForeignKey) -> Self {
        self.foreign_key = Some(fk);
        self
    }
}

/// What a foreign key does when the referenced row changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferentialAction {
    /// `CASCADE`.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT`.
    SetDefault,
    /// `RESTRICT`.
    Restrict,
    /// `NO ACTION`.
    NoAction,
}

impl ReferentialAction {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::SetNull => "SET NULL",
            ReferentialAction::SetDefault => "SET DEFAULT",
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::NoAction => "NO ACTION",
        }
    }
}

/// A single-column foreign key reference.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKey {
    /// The referenced table.
    pub table: String,
    /// The referenced column.
    pub column: String,
    /// `ON DELETE` action.
    pub on_delete: Option<ReferentialAction>,
    /// `ON UPDATE` action.
    pub on_update: Option<ReferentialAction>,
}

impl ForeignKey {
    /// A reference to `table.column`.
    ///
    /// ```
    /// let fk = aludel::sql::ForeignKey::to("users", "id");
    /// assert_eq!((fk.table.as_str(), fk.column.as_str()), ("users", "id"));
    /// ```
    pub fn to(table: &str, column: &str) -> Self {
        ForeignKey {
            table: table.to_owned(),
            column: column.to_owned(),
            on_delete: None,
            on_update: None,
        }
    }

    /// Sets `ON DELETE`.
    ///
    /// ```
    /// use aludel::sql::{ForeignKey, ReferentialAction};
    /// let fk = ForeignKey::to("users", "id").on_delete(ReferentialAction::Cascade);
    /// assert_eq!(fk.on_delete, Some(ReferentialAction::Cascade));
    /// ```
    pub fn on_delete(mut self, action: ReferentialAction) -> Self {
        self.on_delete = Some(action);
        self
    }

    /// Sets `ON UPDATE`.
    ///
    /// ```
    /// use aludel::sql::{ForeignKey, ReferentialAction};
    /// let fk = ForeignKey::to("users", "id").on_update(ReferentialAction::Restrict);
    /// assert_eq!(fk.on_update, Some(ReferentialAction::Restrict));
    /// ```
    pub fn on_update(mut self, action: ReferentialAction) -> Self {
        self.on_update = Some(action);
        self
    }
}

/// A table-level constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    /// `CONSTRAINT name UNIQUE (columns)`.
    Unique {
        /// Constraint name (generated `uq_<table>_<cols>` when `None`).
        name: Option<String>,
        /// The columns.
        columns: Vec<String>,
    },
    /// `CONSTRAINT name CHECK (sql)`. The condition is SQL text: DDL takes no parameters.
    Check {
        /// Constraint name.
        name: Option<String>,
        /// The condition, as SQL.
        sql: String,
    },
    /// A composite foreign key.
    ForeignKey {
        /// Constraint name.
        name: Option<String>,
        /// Local columns.
        columns: Vec<String>,
        /// The referenced table.
        ref_table: String,
        /// Referenced columns, in the same order.
        ref_columns: Vec<String>,
        /// `ON DELETE`.
        on_delete: Option<ReferentialAction>,
        /// `ON UPDATE`.
        on_update: Option<ReferentialAction>,
    },
}

/// An index on one or more columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// The index name.
    pub name: String,
    /// The indexed columns.
    pub columns: Vec<String>,
    /// `CREATE UNIQUE INDEX`.
    pub unique: bool,
}

/// Builds a [`Table`].
#[derive(Debug, Clone)]
pub struct TableBuilder(TableDef);

impl Table {
    /// Starts a table definition named `name`.
    ///
    /// ```
    /// use aludel::sql::{Column, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Text)).finish();
    /// assert_eq!(t.name(), "t");
    /// ```
    pub fn build(name: &str) -> TableBuilder {
        TableBuilder(TableDef {
            name: name.to_owned(),
            schema: None,
            columns: Vec::new(),
            constraints: Vec::new(),
            indexes: Vec::new(),
        })
    }

    /// The table's name.
    ///
    /// ```
    /// assert_eq!(aludel::sql::Table::build("t").finish().name(), "t");
    /// ```
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The full definition.
    ///
    /// ```
    /// assert!(aludel::sql::Table::build("t").finish().def().columns.is_empty());
    /// ```
    pub fn def(&self) -> &TableDef {
        &self.0
    }

    /// This table with the columns, constraints and indexes of `other` it lacks appended
    /// (the types of a single-table hierarchy each map some columns of one table).
    ///
    /// ```
    /// use aludel::sql::{Column, SqlType, Table};
    /// let a = Table::build("t").column(Column::new("id", SqlType::Integer).primary_key()).finish();
    /// let b = Table::build("t").column(Column::new("id", SqlType::Integer).primary_key())
    ///     .column(Column::new("extra", SqlType::Text)).finish();
    /// let names: Vec<_> = a.with_columns_of(&b).def().columns.iter().map(|c| c.name.clone()).collect();
    /// assert_eq!(names, ["id", "extra"]);
    /// ```
    pub fn with_columns_of(&self, other: &Table) -> Table {
        let mut def = (*self.0).clone();
        for c in &other.0.columns {
            if def.columns.iter().all(|d| d.name != c.name) {
                def.columns.push(c.clone());
            }
        }
        for c in &other.0.constraints {
            if !def.constraints.contains(c) {
                def.constraints.push(c.clone());
            }
        }
        for i in &other.0.indexes {
            if !def.indexes.contains(i) {
                def.indexes.push(i.clone());
            }
        }
        Table(Arc::new(def))
    }

    /// The column definition named `name`.
    ///
    /// ```
    /// use aludel::sql::{Column, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Text)).finish();
    /// assert!(t.column("a").is_some() && t.column("b").is_none());
    /// ```
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.0.columns.iter().find(|c| c.name == name)
    }

    /// The primary key's column names, in declaration order.
    ///
    /// ```
    /// use aludel::sql::{Column, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Text).primary_key()).finish();
    /// assert_eq!(t.primary_key(), vec!["a"]);
    /// ```
    pub fn primary_key(&self) -> Vec<&str> {
        self.0
            .columns
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| c.name.as_str())
            .collect()
    }

    /// The column that autoincrements, if any: an explicitly marked one, or else a lone
    /// integer primary key not marked `autoincrement(false)`.
    ///
    /// ```
    /// use aludel::sql::{Column, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("id", SqlType::Integer).primary_key()).finish();
    /// assert_eq!(t.autoincrement_column().unwrap().name, "id");
    /// ```
    pub fn autoincrement_column(&self) -> Option<&Column> {
        let pk: Vec<&Column> = self.0.columns.iter().filter(|c| c.primary_key).collect();
        if let Some(c) = pk.iter().find(|c| c.autoincrement == Some(true)) {
            return Some(c);
        }
        match pk.as_slice() {
            [only]
                if only.ty.is_integer()
                    && only.autoincrement != Some(false)
                    && only.foreign_key.is_none() =>
            {
                Some(only)
            }
            _ => None,
        }
    }

    /// An expression for column `name` of this table, qualified with the table name.
    /// An unknown name is reported when the statement compiles.
    ///
    /// ```
    /// use aludel::sql::{Column, Executable, SqlType, Table};
    /// let t = Table::build("users").column(Column::new("id", SqlType::Integer)).finish();
    /// assert_eq!(t.c("id").compile(&aludel::dialects::Sqlite).unwrap().sql, "users.id");
    /// assert!(t.c("nope").compile(&aludel::dialects::Sqlite).is_err());
    /// ```
    pub fn c(&self, name: &str) -> Expr {
        FromItem::Table(self.clone()).c(name)
    }

    /// An alias of this table: `FROM users AS u`.
    ///
    /// ```
    /// use aludel::sql::{Column, Executable, SqlType, Table};
    /// let t = Table::build("users").column(Column::new("id", SqlType::Integer)).finish();
    /// assert_eq!(t.alias("u").c("id").compile(&aludel::dialects::Sqlite).unwrap().sql, "u.id");
    /// ```
    pub fn alias(&self, name: &str) -> FromItem {
        FromItem::Table(self.clone()).alias(name)
    }
}

impl TableBuilder {
    /// The name of the table being built.
    ///
    /// ```
    /// assert_eq!(aludel::sql::Table::build("t").name(), "t");
    /// ```
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Adds a column.
    ///
    /// ```
    /// use aludel::sql::{Column, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Text)).finish();
    /// assert_eq!(t.def().columns.len(), 1);
    /// ```
    pub fn column(mut self, column: Column) -> Self {
        self.0.columns.push(column);
        self
    }

    /// Puts the table in schema `schema` (a database, on MySQL).
    ///
    /// ```
    /// let t = aludel::sql::Table::build("t").schema("audit").finish();
    /// assert_eq!(t.def().schema.as_deref(), Some("audit"));
    /// ```
    pub fn schema(mut self, schema: &str) -> Self {
        self.0.schema = Some(schema.to_owned());
        self
    }

    /// Adds a multi-column UNIQUE constraint.
    ///
    /// ```
    /// let t = aludel::sql::Table::build("t").unique(Some("uq_ab"), &["a", "b"]).finish();
    /// assert_eq!(t.def().constraints.len(), 1);
    /// ```
    pub fn unique(mut self, name: Option<&str>, columns: &[&str]) -> Self {
        self.0.constraints.push(Constraint::Unique {
            name: name.map(str::to_owned),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        });
        self
    }

    /// Adds a CHECK constraint whose condition is SQL text.
    ///
    /// ```
    /// let t = aludel::sql::Table::build("t").check(Some("ck_pos"), "n > 0").finish();
    /// assert_eq!(t.def().constraints.len(), 1);
    /// ```
    pub fn check(mut self, name: Option<&str>, sql: &str) -> Self {
        self.0.constraints.push(Constraint::Check {
            name: name.map(str::to_owned),
            sql: sql.to_owned(),
        });
        self
    }

    /// Adds a (composite) foreign key constraint.
    ///
    /// ```
    /// let t = aludel::sql::Table::build("t")
    ///     .foreign_key(None, &["a", "b"], "other", &["x", "y"], None, None)
    ///     .finish();
    /// assert_eq!(t.def().constraints.len(), 1);
    /// ```
    pub fn foreign_key(
        mut self,
        name: Option<&str>,
        columns: &[&str],
        ref_table: &str,
        ref_columns: &[&str],
        on_delete: Option<ReferentialAction>,
        on_update: Option<ReferentialAction>,
    ) -> Self {
        self.0.constraints.push(Constraint::ForeignKey {
            name: name.map(str::to_owned),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            ref_table: ref_table.to_owned(),
            ref_columns: ref_columns.iter().map(|c| (*c).to_owned()).collect(),
            on_delete,
            on_update,
        });
        self
    }

    /// Adds an index.
    ///
    /// ```
    /// let t = aludel::sql::Table::build("t").index("ix_t_ab", &["a", "b"], false).finish();
    /// assert_eq!(t.def().indexes[0].name, "ix_t_ab");
    /// ```
    pub fn index(mut self, name: &str, columns: &[&str], unique: bool) -> Self {
        self.0.indexes.push(Index {
            name: name.to_owned(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            unique,
        });
        self
    }

    /// Finishes the table. Single-column `index()` flags become named indexes here.
    ///
    /// ```
    /// use aludel::sql::{Column, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Text).index()).finish();
    /// assert_eq!(t.def().indexes[0].name, "ix_t_a");
    /// ```
    pub fn finish(mut self) -> Table {
        let extra: Vec<Index> = self
            .0
            .columns
            .iter()
            .filter(|c| c.index)
            .map(|c| Index {
                name: format!("ix_{}_{}", self.0.name, c.name),
                columns: vec![c.name.clone()],
                unique: false,
            })
            .collect();
        self.0.indexes.extend(extra);
        Table(Arc::new(self.0))
    }
}

/// A collection of tables, created and dropped together in dependency order.
///
/// ```
/// use aludel::sql::{Column, MetaData, SqlType, Table};
/// let mut md = MetaData::new();
/// md.add(Table::build("t").column(Column::new("id", SqlType::Integer).primary_key()));
/// assert!(md.table("t").is_some());
/// ```
#[derive(Debug, Clone, Default)]
pub struct MetaData {
    tables: Vec<Table>,
    naming: Option<crate::sql::NamingConvention>,
}

impl MetaData {
    /// An empty collection.
    ///
    /// ```
    /// assert!(aludel::sql::MetaData::new().tables().is_empty());
    /// ```
    pub fn new() -> Self {
        MetaData::default()
    }

    /// Names the unnamed constraints of every table this metadata creates (SQLAlchemy's
    /// `MetaData(naming_convention=...)`).
    ///
    /// ```
    /// use aludel::sql::{MetaData, NamingConvention};
    /// let md = MetaData::new().with_naming_convention(NamingConvention::unchained());
    /// assert!(md.naming_convention().is_some());
    /// ```
    pub fn with_naming_convention(mut self, convention: crate::sql::NamingConvention) -> Self {
        self.naming = Some(convention);
        self
    }

    /// The naming convention, if one was set.
    ///
    /// ```
    /// assert!(aludel::sql::MetaData::new().naming_convention().is_none());
    /// ```
    pub fn naming_convention(&self) -> Option<&crate::sql::NamingConvention> {
        self.naming.as_ref()
    }

    /// Finishes `table` and adds it, replacing a table of the same name; returns the table.
    ///
    /// ```
    /// use aludel::sql::{MetaData, Table};
    /// let mut md = MetaData::new();
    /// let t = md.add(Table::build("t"));
    /// assert_eq!(t.name(), "t");
    /// ```
    pub fn add(&mut self, table: TableBuilder) -> Table {
        let table = table.finish();
        self.add_table(table.clone());
        table
    }

    /// Adds an already finished table, replacing one of the same name.
    ///
    /// ```
    /// use aludel::sql::{MetaData, Table};
    /// let mut md = MetaData::new();
    /// md.add_table(Table::build("t").finish());
    /// assert_eq!(md.tables().len(), 1);
    /// ```
    pub fn add_table(&mut self, table: Table) {
        self.tables.retain(|t| t.name() != table.name());
        self.tables.push(table);
    }

    /// The tables, in the order added.
    ///
    /// ```
    /// assert!(aludel::sql::MetaData::new().tables().is_empty());
    /// ```
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// The table named `name`.
    ///
    /// ```
    /// assert!(aludel::sql::MetaData::new().table("x").is_none());
    /// ```
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name() == name)
    }

    /// The tables ordered so that every table comes after the tables it references
    /// (self-references are allowed). A foreign key cycle between tables is an error
    /// naming the tables involved.
    ///
    /// ```
    /// use aludel::sql::{Column, ForeignKey, MetaData, SqlType, Table};
    /// let mut md = MetaData::new();
    /// md.add(Table::build("child").column(Column::new("p", SqlType::Integer).references(ForeignKey::to("parent", "id"))));
    /// md.add(Table::build("parent").column(Column::new("id", SqlType::Integer).primary_key()));
    /// let sorted = md.sorted_tables().unwrap();
    /// let names: Vec<&str> = sorted.iter().map(|t| t.name()).collect();
    /// assert_eq!(names, ["parent", "child"]);
    /// ```
    pub fn sorted_tables(&self) -> Result<Vec<Table>> {
        let deps: Vec<Vec<usize>> = self
            .tables
            .iter()
            .map(|t| {
                referenced_tables(t)
                    .iter()
                    .filter(|name| **name != t.name())
                    .filter_map(|name| self.tables.iter().position(|o| o.name() == *name))
                    .collect()
            })
            .collect();
        let mut done = vec![false; self.tables.len()];
        let mut order = Vec::with_capacity(self.tables.len());
        while order.len() < self.tables.len() {
            let ready =
                (0..self.tables.len()).find(|&i| !done[i] && deps[i].iter().all(|&d| done[d]));
            match ready {
                Some(i) => {
                    done[i] = true;
                    order.push(self.tables[i].clone());
                }
                None => {
                    let stuck: Vec<&str> = (0..self.tables.len())
                        .filter(|&i| !done[i])
                        .map(|i| self.tables[i].name())
                        .collect();
                    return Err(Error::compile(format!(
                        "foreign keys form a cycle between tables {}; break it with a nullable key added after creation",
                        stuck.join(", ")
                    )));
                }
            }
        }
        Ok(order)
    }
}

/// The names of the tables `table` references through foreign keys.
pub(crate) fn referenced_tables(table: &Table) -> Vec<&str> {
    let def = table.def();
    let mut names: Vec<&str> = def
        .columns
        .iter()
        .filter_map(|c| c.foreign_key.as_ref())
        .map(|f| f.table.as_str())
        .collect();
    for c in &def.constraints {
        if let Constraint::ForeignKey { ref_table, .. } = c {
            names.push(ref_table);
        }
    }
    names
}
