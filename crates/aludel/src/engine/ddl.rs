//! `create_all` / `drop_all`: running a [`MetaData`]'s DDL through an engine.

use crate::engine::{Connection, Engine};
use crate::error::Result;
use crate::sql::{DdlStatement, MetaData};

impl MetaData {
    /// Creates every table and index that does not exist yet, referenced tables first,
    /// in one transaction where the database allows transactional DDL. Foreign keys
    /// marked `use_alter` or closing a cycle between tables are added afterwards by
    /// `ALTER TABLE` to the tables created now (SQLite, which cannot, keeps them in CREATE
    /// TABLE).
    ///
    /// ```
    /// use aludel::sql::{Column, MetaData, SqlType, Table};
    /// let mut md = MetaData::new();
    /// md.add(Table::build("t").column(Column::new("id", SqlType::Integer).primary_key()));
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// md.create_all(&engine)?;
    /// md.create_all(&engine)?; // IF NOT EXISTS: a second run is harmless
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn create_all(&self, engine: &Engine) -> Result<()> {
        let mut statements = self.create_statements(true)?;
        let dialect = engine.dialect();
        let mut conn = engine.connect()?;
        if statements.iter().any(|s| s.alters_constraint()) && dialect.supports_alter() {
            // A key added by ALTER TABLE belongs to a table created now: the keys of a
            // table that existed before are left as they are (checkfirst).
            let existing: Vec<String> = conn
                .run_sql(dialect.table_names_sql(), &[])?
                .fetchall()
                .iter()
                .map(|row| row.get::<String>(0))
                .collect::<Result<_>>()?;
            statements.retain(|s| match s {
                DdlStatement::AddForeignKey(add) => !existing.iter().any(|t| t == add.table.name()),
                _ => true,
            });
        }
        run_ddl(&mut conn, statements)
    }

    /// Drops every table that exists, referencing tables first; foreign keys added by
    /// ALTER TABLE (a cycle's) are dropped first.
    ///
    /// ```
    /// use aludel::sql::{Column, MetaData, SqlType, Table};
    /// let mut md = MetaData::new();
    /// md.add(Table::build("t").column(Column::new("id", SqlType::Integer).primary_key()));
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// md.create_all(&engine)?;
    /// md.drop_all(&engine)?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn drop_all(&self, engine: &Engine) -> Result<()> {
        run_ddl(&mut engine.connect()?, self.drop_statements(true)?)
    }
}

/// Runs `statements` in one transaction, leaving out the constraint changes a database
/// without `ALTER TABLE ... ADD CONSTRAINT` (SQLite) keeps inline in CREATE TABLE.
fn run_ddl(conn: &mut Connection, statements: Vec<DdlStatement>) -> Result<()> {
    let alter = conn.dialect().supports_alter();
    let mut tx = conn.begin()?;
    for stmt in statements
        .iter()
        .filter(|s| alter || !s.alters_constraint())
    {
        tx.execute(stmt, ())?;
    }
    tx.commit()
}
