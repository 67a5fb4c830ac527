//! Batched `executemany` for INSERT (SQLAlchemy's "insertmanyvalues"): the rows of a
//! single-row INSERT run as multi-row `INSERT ... VALUES (...), (...), ...` statements of
//! up to [`PAGE_ROWS`] rows, fewer when the database's bind-parameter limit
//! ([`Dialect::max_bind_params`]) needs it, so 10,000 rows are 10 statements instead of
//! 10,000 round trips.
//!
//! RETURNING rows come back in the order of the parameter sets:
//! - PostgreSQL: one multi-row `INSERT ... VALUES ... RETURNING` per batch. PostgreSQL's
//!   executor inserts the rows of a VALUES list in list order and emits each RETURNING row
//!   as its row is inserted (an INSERT is never run in parallel), so the rows come back in
//!   VALUES order; the count is checked against the rows sent.
//! - SQLite: its documentation calls the RETURNING order of a multi-row statement
//!   arbitrary, so with RETURNING each row runs on its own through one prepared statement
//!   (in-process, so this costs no round trips) and order holds by construction. Without
//!   RETURNING, SQLite gets multi-row batches like the servers.
//! - MySQL/MariaDB have no RETURNING here; the statement is refused when compiled.

use crate::dialects::{Dialect, InsertManyStyle};
use crate::engine::connection::Connection;
use crate::engine::result::ResultSet;
use crate::engine::row::Row;
use crate::error::{Error, Result};
use std::sync::Arc;

use crate::sql::{Compiled, Executable, Insert, Params, StatementRef, Value};

/// How many rows of `per_row` placeholders one multi-row INSERT may carry on `dialect`.
pub(crate) fn rows_per_insert(dialect: &dyn Dialect, per_row: usize) -> usize {
    (dialect.max_bind_params() / per_row.max(1)).clamp(1, PAGE_ROWS)
}

/// The most rows one multi-row INSERT carries, whatever the bind limit would allow
/// (SQLAlchemy's `insertmanyvalues_page_size` default too). Measured with the bench's
/// `bulk_inserts/core` (10,000 rows of two columns, quick run): pages of 1,000 rows took
/// 45 ms on PostgreSQL and 38 ms on MariaDB, pages of 100 rows 52 and 41 ms, and one
/// statement of all 10,000 rows (as the bind limit alone would allow) 89 and 54 ms: the
/// server parses and plans a huge statement more slowly than ten pages. On SQLite, pages
/// of 1,000 rows cost what one prepared statement per row costs (9.6 vs 8.2 ms), one
/// 10,000-row statement twice that.
pub(crate) const PAGE_ROWS: usize = 1000;

impl Connection {
    /// Runs `statement` once per parameter set and returns the rows its RETURNING clause
    /// produced, in the order of `params` (row `i` belongs to `params[i]`). A single-row
    /// INSERT is sent in multi-row batches where the order of the returned rows is
    /// guaranteed (PostgreSQL), row by row through one prepared statement elsewhere
    /// (SQLite): see "execute_many" in docs/engine.md.
    ///
    /// ```
    /// use aludel::sql::{bindparam, insert, text, Column, SqlType, Table};
    /// use aludel::params;
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let t = Table::build("t")
    ///     .column(Column::new("id", SqlType::Integer).primary_key())
    ///     .column(Column::new("name", SqlType::Text))
    ///     .finish();
    /// let mut conn = engine.connect()?;
    /// conn.execute(&text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"), ())?;
    /// let stmt = insert(&t).value("name", bindparam("n")).returning([t.c("id"), t.c("name")]);
    /// let rows = conn.execute_many_returning(&stmt, &[params! {"n" => "a"}, params! {"n" => "b"}])?;
    /// assert_eq!(rows[1].get::<String>("name")?, "b");
    /// assert_eq!(rows[1].get::<i64>("id")?, 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn execute_many_returning(
        &mut self,
        statement: &dyn Executable,
        params: &[Params],
    ) -> Result<Vec<Row>> {
        let mut out = Vec::with_capacity(params.len());
        if let Some(StatementRef::Insert(insert)) = statement.statement() {
            if self.insert_many(insert, params, Some(&mut out))?.is_some() {
                return Ok(out);
            }
        }
        let prepared = self.prepare(statement)?;
        for p in params {
            let values = prepared.bind(p)?;
            out.extend(
                self.execute_compiled(&prepared.compiled, values)?
                    .fetchall(),
            );
        }
        Ok(out)
    }

    /// Sends the rows of a single-row INSERT as multi-row batches; `None` (nothing sent)
    /// when the statement cannot be batched, so the caller runs it row by row. With `out`,
    /// the RETURNING rows are appended in parameter order.
    pub(crate) fn insert_many(
        &mut self,
        insert: &Insert,
        params: &[Params],
        out: Option<&mut Vec<Row>>,
    ) -> Result<Option<u64>> {
        let dialect = self.dialect();
        if insert.has_returning() != out.is_some() || (params.len() < 2 && out.is_none()) {
            return Ok(None);
        }
        let Some(one) = insert.repeated(1) else {
            return Ok(None);
        };
        let prepared = self.prepare(&one)?;
        let single = &*prepared.compiled;
        let per_row = single.binds.len();
        if per_row == 0 {
            return Ok(None);
        }
        let rows = params
            .iter()
            .map(|p| prepared.bind(p))
            .collect::<Result<Vec<_>>>()?;
        let per_statement =
            if out.is_some() && dialect.insert_many_style() != InsertManyStyle::MultiValues {
                1
            } else {
                rows_per_insert(dialect, per_row)
            };
        let mut shape = |n: usize| -> Result<Arc<Compiled>> {
            if n == 1 {
                return Ok(prepared.compiled.clone());
            }
            let many = insert
                .repeated(n)
                .ok_or_else(|| Error::invalid("not a batchable INSERT"))?;
            many.compile(dialect).map(Arc::new)
        };
        let mut out = out;
        self.insert_batched(
            per_row,
            per_statement,
            rows,
            &mut shape,
            &mut |_, n, mut result| {
                if let Some(out) = out.as_deref_mut() {
                    let returned = result.fetchall();
                    if returned.len() != n {
                        return Err(Error::invalid(format!(
                            "a batched INSERT of {n} rows returned {} RETURNING rows; the rows \
                         cannot be matched to their parameter sets",
                            returned.len()
                        )));
                    }
                    out.extend(returned);
                }
                Ok(())
            },
        )
    }

    /// The shared insertmanyvalues loop of `execute_many` and the unit of work: `rows` (each
    /// `per_row` values) go `per_statement` at a time through `shape(n)`, the n-row
    /// statement, whose placeholders must be the rows' values in row order. `on_chunk`
    /// gets the index of the chunk's first row, its row count and its result. Returns the
    /// rows affected, or `None` (nothing sent) when the n-row statement does not have
    /// exactly `n * per_row` placeholders (e.g. a value inside RETURNING).
    pub(crate) fn insert_batched(
        &mut self,
        per_row: usize,
        per_statement: usize,
        rows: Vec<Vec<Value>>,
        shape: &mut dyn FnMut(usize) -> Result<Arc<Compiled>>,
        on_chunk: &mut dyn FnMut(usize, usize, ResultSet) -> Result<()>,
    ) -> Result<Option<u64>> {
        let per_statement = per_statement.max(1);
        let mut current: Option<(usize, Arc<Compiled>)> = None;
        let mut total = 0;
        let mut start = 0;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let mut values = Vec::with_capacity(per_statement.min(1024) * per_row);
            let mut n = 0;
            for row in rows.by_ref().take(per_statement) {
                values.extend(row);
                n += 1;
            }
            let compiled = match current {
                Some((size, ref c)) if size == n => c,
                _ => {
                    let c = shape(n)?;
                    if c.binds.len() != n * per_row {
                        if start == 0 {
                            return Ok(None);
                        }
                        return Err(Error::invalid(format!(
                            "a {n}-row INSERT has {} placeholders, not {}",
                            c.binds.len(),
                            n * per_row
                        )));
                    }
                    &current.insert((n, c)).1
                }
            };
            let result = self.execute_compiled(compiled, values)?;
            total += result.rows_affected();
            on_chunk(start, n, result)?;
            start += n;
        }
        Ok(Some(total))
    }
}
