//! The connections of a session with [`Binds`](crate::orm::Binds): one per engine it
//! used, each in its own transaction. The one in use is the session's `conn` (so the
//! code that runs statements is the same for bound and plain sessions); the others wait
//! here, parked, until a statement for their engine switches back to them. Commit and
//! rollback end all of them (`orm/two_phase.rs`).

use crate::engine::{Connection, Engine, Prepared, ResultSet, TwoPhaseState};
use crate::error::{Error, Result};
use crate::orm::binds::{Purpose, StatementBind};
use crate::orm::mapper::ModelInfo;
use crate::orm::session::{Session, SessionInner, SessionState};
use crate::sql::{Executable, Params};

/// A connection of a bound session that is not the one in use.
pub(crate) struct ParkedConnection {
    pub(crate) engine: Engine,
    pub(crate) conn: Connection,
    /// Its two-phase progress, when the session commits in two phases.
    pub(crate) twophase: Option<TwoPhaseState>,
    pub(crate) in_transaction: bool,
}

impl SessionState {
    /// Whether any of the session's connections is in a transaction.
    pub(crate) fn any_transaction(&self) -> bool {
        self.in_transaction || self.parked.iter().any(|p| p.in_transaction)
    }

    /// Runs `f` on each of the session's connections that is in a transaction: the one
    /// in use, then the parked ones.
    pub(crate) fn each_transaction(
        &mut self,
        f: &mut dyn FnMut(&mut Connection) -> Result<()>,
    ) -> Result<()> {
        if self.in_transaction {
            if let Some(conn) = self.conn.as_mut() {
                f(conn)?;
            }
        }
        for p in self.parked.iter_mut().filter(|p| p.in_transaction) {
            f(&mut p.conn)?;
        }
        Ok(())
    }
}

impl SessionInner {
    /// The engine that runs a statement about `model` with `purpose`, with whether it is
    /// a replica; `None` for a session without binds (it has one connection).
    pub(crate) fn bound_engine(
        &self,
        st: &SessionState,
        model: &ModelInfo,
        purpose: Purpose,
    ) -> Result<Option<(Engine, bool)>> {
        let Some(binds) = &self.binds else {
            return Ok(None);
        };
        if let Some(sharding) = &self.sharding {
            let engine = self.current_shard_engine(sharding, st, Some(model))?;
            return Ok(Some((engine, false)));
        }
        let target = binds.resolve(model)?;
        let purpose = if st.pinned_primary {
            Purpose::Write
        } else {
            purpose
        };
        let engine = target.engine(purpose);
        let replica = !engine.same(target.primary());
        Ok(Some((engine, replica)))
    }

    /// The connection for `bind`'s statement, in a transaction.
    pub(crate) fn connection_for<'s>(
        &self,
        st: &'s mut SessionState,
        bind: StatementBind,
    ) -> Result<&'s mut Connection> {
        // The streamed connection is out of `conn`: switching now would lose track of it.
        st.check_not_streaming()?;
        if let Some((engine, replica)) = self.bound_engine(st, bind.model, bind.purpose)? {
            self.switch_to(st, engine, replica);
        }
        self.active_connection(st)
    }

    /// Compiles `statement` for `model`'s bind (its dialect, its engine's cache).
    pub(crate) fn prepare_for(
        &self,
        statement: &dyn Executable,
        model: &ModelInfo,
    ) -> Result<Prepared> {
        match &self.binds {
            Some(binds) => binds.resolve(model)?.primary().prepare(statement),
            None => self.prepare(statement),
        }
    }

    /// The dialect of `model`'s bind.
    pub(crate) fn dialect_for(
        &self,
        model: &ModelInfo,
    ) -> Result<&'static dyn crate::dialects::Dialect> {
        match &self.binds {
            Some(binds) => Ok(binds.resolve(model)?.primary().dialect()),
            None => self.dialect(),
        }
    }

    /// Makes the session's connection to the default bind (a sharded session's current
    /// shard) the one in use (a session without binds has only that one); nothing while
    /// a stream holds the connection. An error when there is no such bind.
    pub(crate) fn switch_to_default(&self, st: &mut SessionState) -> Result<()> {
        if self.binds.is_none() || st.streaming {
            return Ok(());
        }
        let engine = match &self.sharding {
            Some(sharding) => self.current_shard_engine(sharding, st, None)?,
            None => self.engine.clone().ok_or_else(|| {
                Error::invalid(
                    "the statement is unbound: it names no model and the session has no \
                     default bind (Binds::bind)",
                )
            })?,
        };
        self.switch_to(st, engine, false);
        Ok(())
    }

    /// Makes the connection to `engine` the one in use, parking the current one; the
    /// first switch to an engine leaves `conn` empty, to be connected on use.
    fn switch_to(&self, st: &mut SessionState, engine: Engine, replica: bool) {
        if st.conn_engine.as_ref().is_some_and(|e| e.same(&engine)) {
            return;
        }
        let current = st.conn_engine.take();
        let in_transaction = std::mem::replace(&mut st.in_transaction, false);
        let twophase = st.twophase.take();
        if let (Some(conn), Some(current)) = (st.conn.take(), current) {
            st.parked.push(ParkedConnection {
                engine: current,
                conn,
                twophase,
                in_transaction,
            });
        }
        if let Some(i) = st.parked.iter().position(|p| p.engine.same(&engine)) {
            let p = st.parked.swap_remove(i);
            st.conn = Some(p.conn);
            st.twophase = p.twophase;
            st.in_transaction = p.in_transaction;
        }
        st.conn_replica = replica;
        st.conn_engine = Some(engine);
        st.owns_connection = true;
    }
}

impl Session {
    /// [`execute`](Session::execute) on the connection of `bind`'s model (a query's
    /// count, exists and bulk UPDATE/DELETE).
    pub(crate) fn execute_bound(
        &self,
        bind: StatementBind,
        statement: &dyn Executable,
        params: Params,
    ) -> Result<ResultSet> {
        let mut st = self.inner.usable()?;
        self.inner.autoflush(&mut st)?;
        self.inner
            .connection_for(&mut st, bind)?
            .execute(statement, params)
    }
}

impl SessionState {
    /// Marks every connection's transaction ended (after commit or rollback): savepoints
    /// are gone and reads may go to replicas again.
    pub(crate) fn end_transactions(&mut self) {
        self.in_transaction = false;
        for p in &mut self.parked {
            p.in_transaction = false;
            p.twophase = None;
        }
        self.savepoints.clear();
        self.pinned_primary = false;
    }

    /// Returns every connection (to its pool).
    pub(crate) fn release_connections(&mut self) {
        self.conn = None;
        self.parked.clear();
        self.conn_engine = None;
    }
}
