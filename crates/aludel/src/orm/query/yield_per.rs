//! Streaming a query's objects (SQLAlchemy's `Query.yield_per`): [`Query::stream`] gives an
//! [`Iterator`] over them ([`QueryStream::iter`]), [`Query::for_each`] and
//! [`Query::for_each_partition`] hand them to a callback; all read the rows batch by batch
//! while they arrive, so memory stays flat however many rows the query matches.
//!
//! The iterator is split in two because the row stream borrows the connection it reads
//! from: [`QueryStream`] owns the lent connection, and [`Objects`] (from `iter(&mut
//! stream)`) borrows it, as rusqlite's `Statement` and `Rows` do.
//!
//! For the length of the stream the session lends its connection (inside its transaction)
//! to the row stream: the connection leaves the session's state, which is marked as
//! streaming, and goes back when the stream ends, fails or is stopped. The session's state
//! is locked only while a batch of rows becomes objects (through the identity map, so an
//! object the session already holds is handed out as that same instance); the callback runs
//! without it, so it can read and write the objects. Anything that needs the session's
//! connection meanwhile (a query, `flush`, `commit`, `rollback`, `get`, reading an expired
//! object) fails with an error saying so, rather than waiting for itself.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::engine::{Connection, ExecutionOptions, RowStream};
use crate::error::{Error, Result};
use crate::orm::deferred::ColumnLayout;
use crate::orm::instance::Instance;
use crate::orm::mapper::Model;
use crate::orm::query::Query;
use crate::orm::session::{Session, SessionInner, SessionState, lock};
use crate::sql::{Compiled, Value};

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
        let (batch_size, session, shards) = self.stream_plan()?;
        let shaped = !self.select.order_by.is_empty()
            || self.select.limit.is_some()
            || self.select.offset.is_some();
        if shards.len() > 1 && shaped {
            return Err(Error::invalid(format!(
                "Query<{}>: a stream from several shards is not merged by ORDER BY, LIMIT or \
                 OFFSET; stream one shard at a time (Query::set_shard) or load the merged \
                 result with all()",
                M::info().name
            )));
        }
        // Shard after shard (one pass outside a sharded session).
        let mut streamed = 0_u64;
        for shard in shards {
            let mut stream = session
                .inner
                .on_shard(shard, || self.stream_here(session, batch_size, shard))?;
            let mut objects = stream.iter()?;
            loop {
                let batch = objects.next_batch()?;
                if batch.is_empty() {
                    break;
                }
                streamed += batch.len() as u64;
                f(batch)?;
            }
        }
        Ok(streamed)
    }

    /// Opens a stream of the query's objects (SQLAlchemy's iteration over a
    /// `yield_per` query): the session lends it its connection until the stream is dropped,
    /// and [`QueryStream::iter`] runs the statement and gives an [`Iterator`] of
    /// `Result<Instance<M>>`, read from the rows in batches of the query's
    /// [`yield_per`](Self::yield_per) (1000 when unset), so memory stays flat. The same
    /// rules as [`for_each`](Self::for_each) apply while the stream is open: objects can be
    /// read and written, session operations that need the connection return an error.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all((1..=5).map(|id| T { id }))?;
    /// let mut stream = s.query::<T>().order_by(T::id).yield_per(2).stream()?;
    /// let mut ids = Vec::new();
    /// for t in stream.iter()? {
    ///     ids.push(t?.read()?.id);
    /// }
    /// assert_eq!(ids, [1, 2, 3, 4, 5]);
    /// drop(stream); // the session has its connection back
    /// assert_eq!(s.query::<T>().count()?, 5);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn stream(&self) -> Result<QueryStream<M>> {
        let (batch_size, session, shards) = self.stream_plan()?;
        match shards[..] {
            [shard] => session
                .inner
                .on_shard(shard, || self.stream_here(session, batch_size, shard)),
            _ => Err(Error::invalid(format!(
                "Query<{}>::stream() reads one shard: name it (Query::set_shard, \
                 Session::pin_shard), or stream shard after shard with for_each / \
                 for_each_partition",
                M::info().name
            ))),
        }
    }

    /// Opens the query's stream where the session's statements go now: on `shard` (its
    /// number plus one; 0 outside a sharded session), whose rows are keyed on it.
    fn stream_here(
        &self,
        session: &Session,
        batch_size: usize,
        shard: u16,
    ) -> Result<QueryStream<M>> {
        let opts = self.load_options();
        let inner = &*session.inner;
        // Deferred columns the options do not load are left out, as `all()` does.
        let planned = crate::orm::deferred::plan(M::info(), &self.select, &opts.loaders.columns);
        let (stmt, layout) = match planned {
            Some((planned, layout)) => (planned, Some(layout)),
            None => (self.select.clone(), None),
        };
        let (compiled, values) = inner
            .prepare_for(&stmt, M::info())?
            .into_bound(&opts.params)?;
        let mut lent = {
            let mut st = inner.usable()?;
            if opts.autoflush {
                inner.autoflush(&mut st)?;
            }
            let bind = crate::orm::binds::StatementBind::select(M::info(), &self.select);
            LentConnection::take(session, &mut st, bind)?
        };
        let saved = lent.saved;
        // The query's timeouts hold for its statement only (the lent connection restores
        // `saved` when the stream is dropped).
        lent.connection()?.set_execution_options(ExecutionOptions {
            statement_timeout: opts.statement_timeout.or(saved.statement_timeout),
            lock_timeout: opts.lock_timeout.or(saved.lock_timeout),
            ..saved
        });
        Ok(QueryStream {
            lent,
            compiled,
            values,
            batch_size,
            populate_existing: opts.populate_existing,
            layout,
            shard,
            _model: PhantomData,
        })
    }

    /// What every stream of the query needs: its batch size, its session and the shards
    /// it reads (`[0]` outside a sharded session); a `from_statement` query is refused
    /// (its statement is not the query's own SELECT, which a stream runs).
    fn stream_plan(&self) -> Result<(usize, &Session, Vec<u16>)> {
        let batch_size = self.batch_size()?;
        if self.ctx.from_statement.is_some() {
            return Err(Error::invalid(format!(
                "Query<{}>: a from_statement() query cannot be streamed; run it with all()",
                M::info().name
            )));
        }
        let session = self.runnable()?;
        let shards = self.shards(session, &self.select)?;
        Ok((batch_size, session, shards))
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
struct LentConnection {
    session: Session,
    conn: Option<Connection>,
    /// The connection's execution options before the query set its timeouts.
    saved: ExecutionOptions,
}

impl LentConnection {
    /// Takes `session`'s connection for `bind`, in its transaction (begun here if
    /// needed).
    fn take(
        session: &Session,
        st: &mut SessionState,
        bind: crate::orm::binds::StatementBind,
    ) -> Result<LentConnection> {
        let saved = session.inner.connection_for(st, bind)?.execution_options();
        let conn = st.conn.take();
        st.streaming = true;
        Ok(LentConnection {
            session: session.clone(),
            conn,
            saved,
        })
    }

    fn connection(&mut self) -> Result<&mut Connection> {
        self.conn
            .as_mut()
            .ok_or_else(|| Error::invalid("the session's connection was closed"))
    }
}

impl Drop for LentConnection {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            conn.set_execution_options(self.saved);
        }
        let mut st = lock(&self.session.inner.state);
        st.conn = self.conn.take();
        st.streaming = false;
    }
}

/// An open stream of a query's objects ([`Query::stream`]): it holds the session's
/// connection, lent for the stream, until dropped.
pub struct QueryStream<M: Model> {
    lent: LentConnection,
    compiled: Arc<Compiled>,
    values: Vec<Value>,
    batch_size: usize,
    populate_existing: bool,
    /// Which columns the rows hold when deferred columns are left out.
    layout: Option<ColumnLayout>,
    /// The shard the rows come from (0 outside a sharded session).
    shard: u16,
    _model: PhantomData<fn() -> M>,
}

impl<M: Model> QueryStream<M> {
    /// Runs the query's statement and returns its objects as an [`Iterator`] of
    /// `Result<Instance<M>>`, read in batches; an error ends the iteration. Calling it again
    /// runs the statement again.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all((1..=3).map(|id| T { id }))?;
    /// let mut stream = s.query::<T>().stream()?;
    /// assert_eq!(stream.iter()?.count(), 3);
    /// assert_eq!(stream.iter()?.filter_map(|t| t.ok()).count(), 3);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn iter(&mut self) -> Result<Objects<'_, M>> {
        let session = &self.lent.session;
        let conn = self
            .lent
            .conn
            .as_mut()
            .ok_or_else(|| Error::invalid("the session's connection was closed"))?;
        let rows = conn.stream_compiled(&self.compiled, self.values.clone())?;
        Ok(Objects {
            inner: &session.inner,
            rows,
            buffer: VecDeque::new(),
            batch_size: self.batch_size,
            populate_existing: self.populate_existing,
            layout: self.layout.as_ref(),
            shard: self.shard,
            done: false,
            _model: PhantomData,
        })
    }
}

/// The objects of a [`QueryStream`], one `Result` per row, made batch by batch through the
/// session's identity map (an object the session holds is that same instance).
pub struct Objects<'a, M: Model> {
    inner: &'a SessionInner,
    rows: RowStream<'a>,
    buffer: VecDeque<Instance<M>>,
    batch_size: usize,
    populate_existing: bool,
    layout: Option<&'a ColumnLayout>,
    shard: u16,
    done: bool,
    _model: PhantomData<fn() -> M>,
}

impl<M: Model> Objects<'_, M> {
    /// The next batch of up to `batch_size` objects, read under one lock of the session's
    /// state; empty at the end.
    fn next_batch(&mut self) -> Result<Vec<Instance<M>>> {
        let mut batch = Vec::with_capacity(self.batch_size.min(DEFAULT_BATCH));
        if self.done {
            return Ok(batch);
        }
        let inner = self.inner;
        let mut st = lock(&inner.state);
        // Rows are keyed on the stream's shard, whatever the session's statements use now.
        let current = std::mem::replace(&mut st.identity.shard, self.shard);
        let read = self.read_batch(&mut st, &mut batch);
        st.identity.shard = current;
        read.map(|()| batch)
    }

    /// Reads rows into `batch` until it is full or the rows end.
    fn read_batch(&mut self, st: &mut SessionState, batch: &mut Vec<Instance<M>>) -> Result<()> {
        while batch.len() < self.batch_size {
            let row = match self.rows.next_ref() {
                Some(Ok(row)) => row,
                Some(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                None => {
                    self.done = true;
                    break;
                }
            };
            let obj = self.inner.instance_in_row::<M>(
                &mut st.identity,
                &row,
                self.populate_existing,
                self.layout,
            );
            match obj {
                Ok(obj) => batch.push(obj),
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

impl<M: Model> Iterator for Objects<'_, M> {
    type Item = Result<Instance<M>>;

    fn next(&mut self) -> Option<Result<Instance<M>>> {
        if self.buffer.is_empty() {
            match self.next_batch() {
                Ok(batch) => self.buffer = batch.into(),
                Err(e) => return Some(Err(e)),
            }
        }
        self.buffer.pop_front().map(Ok)
    }
}
