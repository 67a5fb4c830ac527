//! The session's transaction: beginning it on first use, commit, rollback (undoing the
//! in-memory effects of rolled-back flushes), the pending-rollback state after a failed
//! flush, and SAVEPOINTs ([`NestedTransaction`]).

use std::sync::Arc;

use crate::engine::Connection;
use crate::error::{Error, Result};
use crate::orm::instance::{AnyInstance, ObjectState};
use crate::orm::session::{Session, SessionInner, SessionState, lock};
use crate::orm::two_phase;

/// A savepoint's name and the lengths of `new`, `tx_inserted` and `tx_deleted` when it
/// was opened, so rolling back to it can undo exactly what came after.
#[derive(Clone)]
pub(crate) struct SavepointMark {
    name: String,
    new: usize,
    inserted: usize,
    deleted: usize,
}

impl SessionState {
    fn savepoint_position(&self, name: &str) -> Result<usize> {
        self.savepoints
            .iter()
            .position(|m| m.name == name)
            .ok_or_else(|| Error::invalid(format!("savepoint {name} is no longer open")))
    }
}

impl Session {
    /// Opens a SAVEPOINT (after flushing); roll back to it or release it through the
    /// returned handle. Objects inserted after it become transient again on rollback.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add(T { id: 1 })?;
    /// let sp = s.begin_nested()?;
    /// s.add(T { id: 2 })?;
    /// sp.rollback()?;
    /// s.commit()?;
    /// assert_eq!(s.query::<T>().count()?, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn begin_nested(&self) -> Result<NestedTransaction> {
        let mut st = self.inner.usable()?;
        self.inner.flush_locked(&mut st)?;
        st.savepoint_seq += 1;
        let name = format!("sa_savepoint_{}", st.savepoint_seq);
        self.inner
            .on_savepoint(&mut st, &mut |conn| conn.savepoint(&name))?;
        let mark = SavepointMark {
            name: name.clone(),
            new: st.new.len(),
            inserted: st.tx_inserted.len(),
            deleted: st.tx_deleted.len(),
        };
        st.savepoints.push(mark);
        Ok(NestedTransaction {
            session: self.clone(),
            name,
        })
    }
}

/// An open SAVEPOINT of a session; see [`Session::begin_nested`]. Left alone, it is
/// released when the outer transaction commits.
pub struct NestedTransaction {
    session: Session,
    name: String,
}

impl NestedTransaction {
    /// Flushes and releases the savepoint, keeping its work in the outer transaction.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.begin_nested()?.commit()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn commit(self) -> Result<()> {
        let inner = &self.session.inner;
        let mut st = inner.usable()?;
        inner.flush_locked(&mut st)?;
        let pos = st.savepoint_position(&self.name)?;
        st.savepoints.truncate(pos);
        inner.on_savepoint(&mut st, &mut |conn| conn.release_savepoint(&self.name))
    }

    /// Rolls back to the savepoint: objects inserted since become transient, objects
    /// deleted since persistent again, pending changes are discarded and every object is
    /// expired.
    ///
    /// ```
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.begin_nested()?.rollback()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn rollback(self) -> Result<()> {
        let inner = &self.session.inner;
        let mut st = lock(&inner.state);
        if st.failed.is_some() && st.failed_savepoint.is_none() {
            // The whole transaction failed: only `Session::rollback` can recover.
            return Err(inner.pending_rollback(&st));
        }
        let pos = st.savepoint_position(&self.name)?;
        let rolled_back_already = match (&st.failed, &st.failed_savepoint) {
            (None, _) => false,
            // A flush failed inside this savepoint or one opened after it: the database was
            // rolled back to the innermost one; rolling back to this one clears the failure.
            (Some(_), Some(failed)) => {
                if st.savepoint_position(failed)? < pos {
                    return Err(inner.pending_rollback(&st));
                }
                *failed == self.name
            }
            (Some(_), None) => unreachable!("handled above"),
        };
        let mark = st.savepoints[pos].clone();
        if !rolled_back_already {
            inner.on_savepoint(&mut st, &mut |conn| conn.rollback_to_savepoint(&self.name))?;
        }
        st.savepoints.truncate(pos);
        st.failed = None;
        st.failed_savepoint = None;
        let new_at = mark.new.min(st.new.len());
        for obj in st.new.split_off(new_at) {
            SessionInner::detach(&obj, ObjectState::Transient);
        }
        let inserted_at = mark.inserted.min(st.tx_inserted.len());
        let deleted_at = mark.deleted.min(st.tx_deleted.len());
        let inserted = st.tx_inserted.split_off(inserted_at);
        let deleted = st.tx_deleted.split_off(deleted_at);
        inner.revert(&mut st, inserted, deleted);
        Ok(())
    }
}

impl SessionInner {
    /// Ensures a connection in a transaction, then runs `f` with it.
    pub(crate) fn run<R>(
        &self,
        st: &mut SessionState,
        f: impl FnOnce(&mut Connection) -> Result<R>,
    ) -> Result<R> {
        f(self.connection(st)?)
    }

    /// The session's connection to its default bind, checked out and in a transaction
    /// (begun on first use).
    pub(crate) fn connection<'s>(&self, st: &'s mut SessionState) -> Result<&'s mut Connection> {
        self.switch_to_default(st)?;
        self.active_connection(st)
    }

    /// Runs a savepoint statement: on the session's connection, or, with binds (and
    /// shards), on each connection in a transaction (a connection that begins one later
    /// opens the savepoints still open first, so every engine rolls back to the same
    /// point: SQLAlchemy's nested transaction over several binds).
    pub(crate) fn on_savepoint(
        &self,
        st: &mut SessionState,
        statement: &mut dyn FnMut(&mut Connection) -> Result<()>,
    ) -> Result<()> {
        if self.binds.is_none() {
            return self.run(st, statement);
        }
        st.each_transaction(statement)
    }

    /// The connection in use, checked out (from the engine it belongs to) and in a
    /// transaction (begun on first use).
    pub(crate) fn active_connection<'s>(
        &self,
        st: &'s mut SessionState,
    ) -> Result<&'s mut Connection> {
        st.check_not_streaming()?;
        if st.conn.is_none() {
            let engine = st
                .conn_engine
                .as_ref()
                .or(self.engine.as_ref())
                .ok_or_else(|| Error::invalid("the session's connection was closed"))?;
            st.conn = Some(engine.connect()?);
            st.owns_connection = true;
        }
        let conn = st
            .conn
            .as_mut()
            .ok_or_else(|| Error::invalid("no connection"))?;
        if !st.in_transaction {
            if !conn.in_transaction() {
                let twophase = self.config.twophase && !st.conn_replica;
                st.twophase = two_phase::begin(conn, twophase)?;
            }
            st.in_transaction = true;
            // With binds, an engine first used inside savepoints opens them too.
            if self.binds.is_some() {
                for mark in &st.savepoints {
                    conn.savepoint(&mark.name)?;
                }
            }
        }
        Ok(conn)
    }

    pub(crate) fn commit_locked(&self, st: &mut SessionState) -> Result<()> {
        self.flush_locked(st)?;
        if st.any_transaction() {
            let committed = two_phase::commit(st);
            if let Err(e) = committed {
                self.fail(st, &e);
                return Err(e);
            }
        }
        st.end_transactions();
        st.tx_inserted.clear();
        for obj in std::mem::take(&mut st.tx_deleted) {
            Self::detach(&obj, ObjectState::Detached);
        }
        if self.config.expire_on_commit {
            for obj in st.identity.values() {
                Self::expire(&obj);
            }
        }
        if st.owns_connection {
            st.release_connections();
        }
        Ok(())
    }

    pub(crate) fn rollback_locked(&self, st: &mut SessionState) -> Result<()> {
        let mut result = Ok(());
        if st.any_transaction() {
            result = two_phase::rollback(st);
        }
        if result.is_err() || st.owns_connection {
            // A connection that cannot roll back is broken; the server discards its work.
            st.release_connections();
        }
        st.end_transactions();
        st.failed = None;
        st.failed_savepoint = None;
        for obj in std::mem::take(&mut st.new) {
            Self::detach(&obj, ObjectState::Transient);
        }
        let inserted = std::mem::take(&mut st.tx_inserted);
        let deleted = std::mem::take(&mut st.tx_deleted);
        self.revert(st, inserted, deleted);
        match result {
            Err(e) if e.is_disconnect() => Ok(()),
            other => other,
        }
    }

    /// Undoes the in-memory effects of rolled-back flushes.
    fn revert(
        &self,
        st: &mut SessionState,
        inserted: Vec<Arc<dyn AnyInstance>>,
        deleted: Vec<Arc<dyn AnyInstance>>,
    ) {
        for obj in inserted {
            let key = obj.identity_key();
            if let Some(k) = key {
                st.identity.remove(&k);
            }
            Self::detach(&obj, ObjectState::Transient);
        }
        for obj in deleted {
            let key = obj.identity_key();
            {
                let mut s = obj.state();
                s.state = ObjectState::Persistent;
                s.delete_pending = false;
                s.session = Some((self.id, self.me.clone()));
            }
            if let Some(k) = key {
                st.identity.insert(k, obj);
            }
        }
        for obj in std::mem::take(&mut st.deleted) {
            obj.state().delete_pending = false;
        }
        st.modified.clear();
        for obj in st.identity.values() {
            Self::expire(&obj);
        }
    }

    /// The error for work attempted while a failed flush awaits a rollback.
    pub(crate) fn pending_rollback(&self, st: &SessionState) -> Error {
        Error::PendingRollback {
            cause: st.failed.clone().unwrap_or_default(),
        }
    }

    /// After a failed flush: inside a savepoint, the database rolls back to the innermost
    /// savepoint only, and the session waits for that [`NestedTransaction`] (or the whole
    /// session) to be rolled back, as SQLAlchemy does; the outer transaction and its work
    /// live on. Outside a savepoint, or when the connection is gone, the whole transaction
    /// fails ([`fail`](Self::fail)).
    pub(crate) fn fail_flush(&self, st: &mut SessionState, error: &Error) {
        let innermost = st.savepoints.last().map(|m| m.name.clone());
        if let (Some(name), true) = (innermost, st.any_transaction()) {
            let rolled_back = !error.is_disconnect()
                && self
                    .on_savepoint(st, &mut |conn| conn.rollback_to_savepoint(&name))
                    .is_ok();
            if rolled_back {
                st.failed = Some(format!(
                    "{error}; the work since savepoint {name} was rolled back, roll back its \
                     NestedTransaction to go on with the outer transaction"
                ));
                st.failed_savepoint = Some(name);
                return;
            }
        }
        self.fail(st, error);
    }

    /// Puts the session into the pending-rollback state after a failed flush or commit:
    /// the database transaction is rolled back now, and the session refuses work until
    /// `rollback()` restores its objects.
    pub(crate) fn fail(&self, st: &mut SessionState, error: &Error) {
        if two_phase::rollback(st).is_err() {
            st.release_connections();
        }
        st.end_transactions();
        st.failed = Some(error.to_string());
        st.failed_savepoint = None;
    }
}
