//! A blocking PostgreSQL client that can pipeline: the `tokio-postgres` client driven on a
//! current-thread runtime, as the `postgres` crate does, but keeping the async client at
//! hand so two requests can be written before either answer is read. That is how a
//! transaction's `BEGIN` travels with its first statement in one round trip.
//!
//! The `postgres` crate's `Client` hides the `tokio_postgres::Client` it wraps and waits for
//! every answer before sending the next request, so it cannot do this.
//!
//! The same lets a `ROLLBACK` go out without waiting ([`PgClient::rollback_unanswered`]):
//! its answer is read with the next request's, in that request's round trip.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::Stream;
use postgres::fallible_iterator::FallibleIterator;
use tokio::runtime::Runtime;
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::types::{BorrowToSql, Type};
use tokio_postgres::{AsyncMessage, Config, Error, NoTls, Row, RowStream, Socket, Statement};

/// A request already written whose answer is still to be read.
type Unanswered = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

/// The runtime and the connection task; every wait drives the connection too.
struct Io {
    runtime: Runtime,
    connection: tokio_postgres::Connection<Socket, NoTlsStream>,
    /// The connection task ended (the server closed the socket, or Terminate was sent).
    done: bool,
    /// A `ROLLBACK` written without waiting; every wait reads its answer first (answers
    /// come back in request order).
    unanswered: Option<Unanswered>,
    /// That `ROLLBACK` failed: the connection's state is unknown, so it counts as closed.
    rollback_failed: bool,
}

impl Io {
    /// Polls the connection (sending queued requests, routing answers) until it has
    /// nothing to do, then `poll` (told whether the connection ended), until `poll` is
    /// ready.
    fn block_on<T>(
        &mut self,
        mut poll: impl FnMut(&mut Context<'_>, bool) -> Poll<Result<T, Error>>,
    ) -> Result<T, Error> {
        let Io {
            runtime,
            connection,
            done,
            unanswered,
            rollback_failed,
        } = self;
        runtime.block_on(poll_fn(|cx| {
            while !*done {
                match connection.poll_message(cx) {
                    Poll::Ready(Some(Ok(AsyncMessage::Notice(notice)))) => {
                        log::info!(target: "aludel::postgres", "{}: {}", notice.severity(), notice.message());
                    }
                    Poll::Ready(Some(Ok(_))) => {}
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                    Poll::Ready(None) => *done = true,
                    Poll::Pending => break,
                }
            }
            if let Some(rollback) = unanswered {
                if let Poll::Ready(answer) = rollback.as_mut().poll(cx) {
                    *unanswered = None;
                    if let Err(e) = answer {
                        *rollback_failed = true;
                        return Poll::Ready(Err(e));
                    }
                }
            }
            poll(cx, *done)
        }))
    }

    fn wait<T>(&mut self, future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        let mut future = pin!(future);
        self.block_on(|cx, _| future.as_mut().poll(cx))
    }
}

/// A synchronous client over one PostgreSQL connection.
pub(crate) struct PgClient {
    /// `None` only while dropping (the client goes first, so the connection terminates).
    /// Shared only with an unanswered request's future, which needs it until its answer.
    client: Option<Arc<tokio_postgres::Client>>,
    io: Io,
}

impl PgClient {
    /// Connects without TLS, driving the connection on `runtime` (current-thread, with
    /// I/O and timers enabled).
    pub(crate) fn connect(runtime: Runtime, config: &Config) -> Result<PgClient, Error> {
        let (client, connection) = runtime.block_on(config.connect(NoTls))?;
        Ok(PgClient {
            client: Some(Arc::new(client)),
            io: Io {
                runtime,
                connection,
                done: false,
                unanswered: None,
                rollback_failed: false,
            },
        })
    }

    fn parts(&mut self) -> (&tokio_postgres::Client, &mut Io) {
        let client = self.client.as_deref().expect("the client lives until drop");
        (client, &mut self.io)
    }

    /// Prepares `sql` (one round trip).
    pub(crate) fn prepare(&mut self, sql: &str) -> Result<Statement, Error> {
        let (client, io) = self.parts();
        io.wait(client.prepare(sql))
    }

    /// Writes a `ROLLBACK` and returns without waiting for its answer, which the next
    /// request's wait reads (in the same round trip as that request's). Its failure fails
    /// that request and leaves the client [closed](Self::is_closed).
    pub(crate) fn rollback_unanswered(&mut self) -> Result<(), Error> {
        let client = Arc::clone(self.client.as_ref().expect("the client lives until drop"));
        let mut rollback: Unanswered =
            Box::pin(async move { client.batch_execute("ROLLBACK").await });
        // The first poll queues the request; the connection writes it on the next pass.
        let mut queued = false;
        self.io.block_on(|cx, _| match rollback.as_mut().poll(cx) {
            Poll::Ready(answer) => Poll::Ready(answer),
            Poll::Pending if queued => Poll::Ready(Ok(())),
            Poll::Pending => {
                queued = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })?;
        if self.io.done {
            // The socket closed under it: wait for the answer, which is that error.
            return self.io.wait(rollback);
        }
        self.io.unanswered = Some(rollback);
        Ok(())
    }

    /// Runs SQL through the simple query protocol (several statements allowed); with
    /// `begin`, a `BEGIN` goes first in the same message.
    pub(crate) fn batch_execute(&mut self, sql: &str, begin: bool) -> Result<(), Error> {
        let (client, io) = self.parts();
        if begin {
            io.wait(client.batch_execute(&format!("BEGIN; {sql}")))
        } else {
            io.wait(client.batch_execute(sql))
        }
    }

    /// The one row `sql` returns (prepared unnamed, then executed: two round trips).
    pub(crate) fn query_one(&mut self, sql: &str) -> Result<Row, Error> {
        let (client, io) = self.parts();
        io.wait(client.query_one(sql, &[]))
    }

    /// Executes a prepared statement and streams its rows; with `begin`, a `BEGIN` is
    /// written in the same round trip, ahead of it (pipelined).
    pub(crate) fn query_raw<'a, P, I>(
        &'a mut self,
        statement: &Statement,
        params: I,
        begin: bool,
    ) -> Result<RowIter<'a>, Error>
    where
        P: BorrowToSql,
        I: IntoIterator<Item = P>,
        I::IntoIter: ExactSizeIterator,
    {
        let (client, io) = self.parts();
        let query = client.query_raw(statement, params);
        let stream = start(io, client, query, begin)?;
        Ok(RowIter::new(&mut self.io, stream))
    }

    /// Runs `sql` as the unnamed statement: parsed, bound and executed in one round trip
    /// (a `BEGIN` ahead of it with `begin`), leaving no named statement on the server, as
    /// a transaction-pooling PgBouncer needs. Each parameter comes with the type to
    /// declare for it; the result's column types are looked up as usual.
    pub(crate) fn query_unnamed<'a, P, I>(
        &'a mut self,
        sql: &str,
        params: I,
        begin: bool,
    ) -> Result<RowIter<'a>, Error>
    where
        P: BorrowToSql,
        I: IntoIterator<Item = (P, Type)>,
    {
        let (client, io) = self.parts();
        let query = client.query_typed_raw(sql, params);
        let stream = start(io, client, query, begin)?;
        Ok(RowIter::new(&mut self.io, stream))
    }

    /// Executes `statement` once per parameter set with every request written before any
    /// answer is read (one round trip for all), a `BEGIN` ahead of them with `begin`; each
    /// run's rows affected, in order. Every answer is awaited; the first error (in request
    /// order) wins: inside a transaction the runs after a failed one fail only because the
    /// transaction is aborted.
    pub(crate) fn execute_pipelined<P, I>(
        &mut self,
        statement: &Statement,
        sets: impl Iterator<Item = I>,
        begin: bool,
    ) -> Result<Vec<u64>, Error>
    where
        P: BorrowToSql,
        I: IntoIterator<Item = P>,
        I::IntoIter: ExactSizeIterator,
    {
        type Run<'f, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + 'f>>;
        let (client, io) = self.parts();
        let mut begun: Option<Run<'_, ()>> =
            begin.then(|| Box::pin(client.batch_execute("BEGIN")) as Run<'_, ()>);
        let mut began: Option<Result<(), Error>> = None;
        let mut runs: Vec<Run<'_, u64>> = sets
            .map(|params| Box::pin(client.execute_raw(statement, params)) as Run<'_, u64>)
            .collect();
        let mut results: Vec<Option<Result<u64, Error>>> = runs.iter().map(|_| None).collect();
        // The first pass polls every run, which queues every request; answers come back
        // in order, so later passes resume at the first unanswered run.
        let mut next = 0;
        io.block_on(|cx, _| {
            if let (Some(b), None) = (begun.as_mut(), &began) {
                if let Poll::Ready(r) = b.as_mut().poll(cx) {
                    began = Some(r);
                }
            }
            let first_pass = next == 0 && results.first().is_some_and(Option::is_none);
            let mut i = next;
            while i < runs.len() {
                if results[i].is_none() {
                    match runs[i].as_mut().poll(cx) {
                        Poll::Ready(r) => results[i] = Some(r),
                        Poll::Pending if first_pass => {}
                        Poll::Pending => break,
                    }
                }
                i += 1;
            }
            while next < results.len() && results[next].is_some() {
                next += 1;
            }
            let begin_done = begun.is_none() || began.is_some();
            if next == results.len() && begin_done {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            }
        })?;
        if let Some(Err(e)) = began {
            return Err(e);
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| unreachable!("block_on returned once every run answered")))
            .collect()
    }

    /// Whether the connection is closed (or a `ROLLBACK` written without waiting failed).
    pub(crate) fn is_closed(&self) -> bool {
        self.io.rollback_failed || self.client.as_ref().is_none_or(|c| c.is_closed())
    }
}

impl Drop for PgClient {
    fn drop(&mut self) {
        // Without its client (and the unanswered request's share of it), the connection
        // task sends Terminate and ends.
        self.io.unanswered = None;
        drop(self.client.take());
        let _ = self.io.block_on(|_, done| {
            if done {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            }
        });
    }
}

/// Awaits `query`'s first answer, with a `BEGIN` written ahead of it in the same round
/// trip when `begin`.
fn start(
    io: &mut Io,
    client: &tokio_postgres::Client,
    query: impl Future<Output = Result<RowStream, Error>>,
    begin: bool,
) -> Result<RowStream, Error> {
    if begin {
        Ok(both(io, client.batch_execute("BEGIN"), query)?.1)
    } else {
        io.wait(query)
    }
}

/// Drives two requests at once: the first poll of each queues its request, so the
/// connection writes both before it reads either answer (one round trip). Both answers
/// are awaited; the first error wins.
fn both<A, B>(
    io: &mut Io,
    a: impl Future<Output = Result<A, Error>>,
    b: impl Future<Output = Result<B, Error>>,
) -> Result<(A, B), Error> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut ra, mut rb) = (None, None);
    io.block_on(|cx, _| {
        if ra.is_none() {
            if let Poll::Ready(r) = a.as_mut().poll(cx) {
                ra = Some(r);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(r) = b.as_mut().poll(cx) {
                rb = Some(r);
            }
        }
        if ra.is_some() && rb.is_some() {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    })?;
    match (ra, rb) {
        (Some(a), Some(b)) => Ok((a?, b?)),
        _ => unreachable!("block_on returned only once both were ready"),
    }
}

/// Rows read from the server as the caller iterates, with back-pressure.
///
/// Entering the runtime costs about as much as decoding a small row, so each entry takes
/// every row that has already arrived (up to [`READ_AHEAD`]) rather than one: memory stays
/// bounded, and a large result enters the runtime once per network read, not once per row.
pub(crate) struct RowIter<'a> {
    io: &'a mut Io,
    rows: Pin<Box<RowStream>>,
    /// Rows already received, in order.
    ahead: VecDeque<Row>,
    /// What ended the stream (`None` for its end), once read ahead of the buffered rows.
    end: Option<Option<Error>>,
}

/// The most rows one runtime entry takes from the connection.
const READ_AHEAD: usize = 256;

impl<'a> RowIter<'a> {
    fn new(io: &'a mut Io, stream: RowStream) -> RowIter<'a> {
        RowIter {
            io,
            rows: Box::pin(stream),
            ahead: VecDeque::new(),
            end: None,
        }
    }

    /// Puts a row taken with `next` back in front (to read a result's columns from its
    /// first row).
    pub(crate) fn unread(&mut self, row: Row) {
        self.ahead.push_front(row);
    }

    /// Rows affected, once the rows are exhausted.
    pub(crate) fn rows_affected(&self) -> Option<u64> {
        self.rows.rows_affected()
    }
}

impl FallibleIterator for RowIter<'_> {
    type Item = Row;
    type Error = Error;

    fn next(&mut self) -> Result<Option<Row>, Error> {
        if let Some(row) = self.ahead.pop_front() {
            return Ok(Some(row));
        }
        if let Some(end) = self.end.take() {
            // The stream is not polled again after its end (it is not fused).
            self.end = Some(None);
            return end.map_or(Ok(None), Err);
        }
        let RowIter {
            io,
            rows,
            ahead,
            end,
        } = self;
        io.block_on(|cx, _| {
            loop {
                match rows.as_mut().poll_next(cx) {
                    Poll::Ready(Some(Ok(row))) => {
                        ahead.push_back(row);
                        if ahead.len() >= READ_AHEAD {
                            return Poll::Ready(Ok(()));
                        }
                    }
                    Poll::Ready(Some(Err(e))) if ahead.is_empty() => {
                        *end = Some(None);
                        return Poll::Ready(Err(e));
                    }
                    Poll::Ready(Some(Err(e))) => {
                        *end = Some(Some(e));
                        return Poll::Ready(Ok(()));
                    }
                    Poll::Ready(None) => {
                        *end = Some(None);
                        return Poll::Ready(Ok(()));
                    }
                    Poll::Pending if ahead.is_empty() => return Poll::Pending,
                    Poll::Pending => return Poll::Ready(Ok(())),
                }
            }
        })?;
        match self.ahead.pop_front() {
            Some(row) => Ok(Some(row)),
            None => {
                self.end = Some(None);
                Ok(None)
            }
        }
    }
}
