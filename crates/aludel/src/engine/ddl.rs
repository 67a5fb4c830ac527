//! `create_all` / `drop_all`: running a [`MetaData`]'s DDL through an engine.

use crate::engine::Engine;
use crate::error::Result;
use crate::sql::MetaData;

impl MetaData {
    /// Creates every table and index that does not exist yet, referenced tables first,
    /// in one transaction where the database allows transactional DDL.
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
        self.run_ddl(engine, self.create_statements(true)?)
    }

    /// Drops every table that exists, referencing tables first.
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
        self.run_ddl(engine, self.drop_statements(true)?)
    }

    fn run_ddl(&self, engine: &Engine, statements: Vec<crate::sql::DdlStatement>) -> Result<()> {
        let mut conn = engine.connect()?;
        let mut tx = conn.begin()?;
        for stmt in &statements {
            tx.execute(stmt, ())?;
        }
        tx.commit()
    }
}
