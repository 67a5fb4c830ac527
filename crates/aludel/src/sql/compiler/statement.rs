//! Rendering a whole statement of any Core kind: the WITH clause its CTEs need, then the
//! statement. Every `Executable::compile` and the compiled-shape cache's traced compile
//! go through here, so both render exactly the same SQL.

use super::Compiler;
use crate::error::Result;
use crate::sql::compiled::StatementRef;

impl StatementRef<'_> {
    pub(crate) fn render(&self, c: &mut Compiler<'_>) -> Result<()> {
        match *self {
            StatementRef::Select(s) => {
                c.with_clause(|w| w.select(s))?;
                c.select(s)
            }
            StatementRef::Compound(s) => {
                c.with_clause(|w| w.compound(s))?;
                c.compound(s)
            }
            StatementRef::Statement(s) => {
                c.with_clause(|w| w.statement(s))?;
                c.select_statement(s)
            }
            StatementRef::Insert(i) => {
                if let Some(select) = &i.from_select {
                    c.with_clause(|w| w.statement(select))?;
                }
                c.insert(i)
            }
            StatementRef::Update(u) => c.update(u),
            StatementRef::Delete(d) => c.delete(d),
            StatementRef::Text(t) => {
                t.render(c);
                Ok(())
            }
        }
    }
}
