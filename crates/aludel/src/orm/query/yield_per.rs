//! Streaming a query's objects (SQLAlchemy's `Query.yield_per`): [`Query::for_each`] and
//! [`Query::for_each_partition`] hand out the objects batch by batch while the rows arrive,
//! so memory stays flat however many rows the query matches.
//!
//! For the length of the stream the session lends its connection (inside its transaction)
//! to the row stream: the connection leaves the session's state, which is marked as
//! streaming, and goes back when the stream ends, fails or is stopped. The session's state
//! is locked only while a batch of rows becomes objects (through the identity map, so an
//! object the session already holds is handed out as that same instance); the callback runs
//! without it, so it can read and write the objects. Anything that needs the session's
//! connection meanwhile (a query, `flush`, `commit`, `rollback`, `get`, reading an expired
//! object) fails with an error saying so, rather than waiting for itself.

use crate::engine::{Connection, ExecutionOptions};
use crate::error::{Error, Result};
use crate::orm::instance::Instance;
use crate::orm::mapper::Model;
use crate::orm::query::Query;
use crate::orm::session::{SessionInner, SessionState, lock};

/// The batch size when the query has no `yield_per` (SQLAlchemy's `yield_per` examples
/// use 1000 as well; the Core stream's partitions default to it too).
const DEFAULT_BATCH: usize = 1000;

impl<M: Model> Query<M> {
    /// Streams the query's objects to `f` one by one, reading the rows in batches of the
    /// query's [`yield_per`](Self::yield_per) (1000 when unset): only one batch of objects
    /// is held at a time, and objects `f` does not keep are dropped (the identity map holds
    /// them weakly). Returns how many rows were streamed.
    ///
    /// Each row gives its object as it comes (a row repeated by a join gives its object
    /// again; [`all`](Self::all) would give it once). An object already in the session is
    /// that same instance. An error from `f` stops the stream and is returned; so is a
    /// failure reading a row. While the stream runs the session's connection is busy:
    /// inside `f`, objects can be read and written, but session operations that need the
    /// connection return an error (see the module documentation).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, n: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all((1..=10).map(|id| T { id, n: id * 10 }))?;
    /// let mut total = 0;
    /// let rows = s.query::<T>().yield_per(3).for_each(|t| {
    ///     total += t.read()?.n;
    ///     Ok(())
    /// })?;
    /// assert_eq!((rows, total), (10, 550));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn for_each(&self, mut f: impl FnMut(Instance<M>) -> Result<()>) -> Result<u64> {
        self.for_each_partition(|batch| batch.into_iter().try_for_each(&mut f))
    }

    /// Streams the query's objects to `f` in batches of the query's
    /// [`yield_per`](Self::yield_per) (1000 when unset; the last batch may be smaller),
    /// as SQLAlchemy's `Result.partitions()`. Returns how many rows were streamed. The same
    /// rules as [`for_each`](Self::for_each) apply.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all((1..=5).map(|id| T { id }))?;
    /// let mut sizes = Vec::new();
    /// s.query::<T>().yield_per(2).for_each_partition(|batch| {
    ///     sizes.push(batch.len());
    ///     Ok(())
    /// })?;
    /// assert_eq!(sizes, [2, 2, 1]);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn for_each_partition(
        &self,
        mut f: impl FnMut(Vec<Instance<M>>) -> Result<()>,
    ) -> Result<u64> {
        let batch_size = self.batch_size()?;
        if self.ctx.from_statement.is_some() {
            return Err(Error::invalid(format!(
                "Query<{}>: a from_statement() query cannot be streamed; run it with all()",
                M::info().name
            )));
        }
        let session = self.runnable()?;
        let shards = self.shards(session, &self.select)?;
        let shaped = !self.select.order_by.is_empty()
            || self.select.limit.is_some()
            || self.select.offset.is_some();
        if shards.len() > 1 && shaped {
            return Err(Error::invalid(format!(
                "Query<{}>: a stream from several shards is not merged by ORDER BY, LIMIT or \
                 OFFSET; stream \
                 one shard at a time (Query::set_shard) or load the merged result with all()",
                M::info().name
            )));
        }
        // Shard after shard (the one place outside a sharded session).
        let mut streamed = 0;
        for shard in shards {
            streamed += session
                .inner
                .on_shard(shard, || self.stream_here(session, batch_size, &mut f))?;
        }
        Ok(streamed)
    }

    /// Streams the query's rows where the session's statements go now.
    fn stream_here(
        &self,
        session: &crate::orm::Session,
        batch_size: usize,
        f: &mut dyn FnMut(Vec<Instance<M>>) -> Result<()>,
    ) -> Result<u64> {
        let opts = self.load_options();
        let inner = &*session.inner;
        // Deferred columns the options do not load are left out, as `all()` does.
        let planned = crate::orm::deferred::plan(M::info(), &self.select, &opts.loaders.columns);
        let (stmt, layout) = match &planned {
            Some((planned, layout)) => (planned, Some(layout)),
            None => (&self.select, None),
        };
        let (compiled, values) = inner
            .prepare_for(stmt, M::info())?
            .into_bound(&opts.params)?;
        let mut lent = {
            let mut st = inner.usable()?;
            if opts.autoflush {
                inner.autoflush(&mut st)?;
            }
            let bind = crate::orm::binds::StatementBind::select(M::info(), &self.select);
            LentConnection::take(inner, &mut st, bind)?
        };
        let saved = lent.saved;
        let conn = lent.connection()?;
        // The query's timeouts hold for its statement only (the guard restores `saved`).
        conn.set_execution_options(ExecutionOptions {
            statement_timeout: opts.statement_timeout.or(saved.statement_timeout),
            lock_timeout: opts.lock_timeout.or(saved.lock_timeout),
            ..saved
        });
        let mut rows = conn.stream_compiled(&compiled, values)?;
        let mut streamed = 0_u64;
        loop {
            let mut batch = Vec::with_capacity(batch_size.min(DEFAULT_BATCH));
            {
                let mut st = lock(&inner.state);
                while batch.len() < batch_size {
                    let Some(row) = rows.next_ref() else { break };
                    batch.push(inner.instance_in_row::<M>(
                        &mut st.identity,
                        &row?,
                        opts.populate_existing,
                        layout,
                    )?);
                }
            }
            if batch.is_empty() {
                return Ok(streamed);
            }
            streamed += batch.len() as u64;
            f(batch)?;
        }
    }

    /// The query's `yield_per`, or the default; zero is refused.
    fn batch_size(&self) -> Result<usize> {
        match self.ctx.options.get_yield_per() {
            Some(0) => Err(Error::invalid(format!(
                "Query<{}>::yield_per(0): the batch size must be at least 1",
                M::info().name
            ))),
            Some(n) => Ok(n),
            None => Ok(DEFAULT_BATCH),
        }
    }
}

/// The session's connection, lent to a stream: taken out of the session's state (which is
/// marked as streaming) and put back, with its execution options restored, when dropped,
/// also when the stream stops early, fails or the callback panics.
struct LentConnection<'s> {
    inner: &'s SessionInner,
    conn: Option<Connection>,
    /// The connection's execution options before the query set its timeouts.
    saved: ExecutionOptions,
}

impl<'s> LentConnection<'s> {
    /// Takes the session's connection for `bind`, in its transaction (begun here if
    /// needed).
    fn take(
        inner: &'s SessionInner,
        st: &mut SessionState,
        bind: crate::orm::binds::StatementBind,
    ) -> Result<LentConnection<'s>> {
        let saved = inner.connection_for(st, bind)?.execution_options();
        let conn = st.conn.take();
        st.streaming = true;
        Ok(LentConnection { inner, conn, saved })
    }

    fn connection(&mut self) -> Result<&mut Connection> {
        self.conn
            .as_mut()
            .ok_or_else(|| Error::invalid("the session's connection was closed"))
    }
}

impl Drop for LentConnection<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            conn.set_execution_options(self.saved);
        }
        let mut st = lock(&self.inner.state);
        st.conn = self.conn.take();
        st.streaming = false;
    }
}
