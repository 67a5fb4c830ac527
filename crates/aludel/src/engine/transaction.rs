//! RAII guards: [`Transaction`] (rolls back on drop) and [`Savepoint`] (rolls back to the
//! savepoint on drop). Both deref to the [`Connection`], so statements run through them.

use std::ops::{Deref, DerefMut};

use crate::engine::connection::Connection;
use crate::error::Result;

/// A connection a guard borrows or owns (an engine-level guard owns its connection).
pub(super) enum Held<'c> {
    Borrowed(&'c mut Connection),
    Owned(Connection),
}

impl Held<'_> {
    pub(super) fn get(&self) -> &Connection {
        match self {
            Held::Borrowed(c) => c,
            Held::Owned(c) => c,
        }
    }

    pub(super) fn get_mut(&mut self) -> &mut Connection {
        match self {
            Held::Borrowed(c) => c,
            Held::Owned(c) => c,
        }
    }
}

/// An open transaction. [`commit`](Transaction::commit) ends it; dropping it without
/// committing rolls it back. [`Engine::begin`](crate::engine::Engine::begin) returns one
/// that owns its connection (`Transaction<'static>`).
///
/// ```
/// use aludel::sql::text;
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// engine.connect()?.execute(&text("CREATE TABLE t (x INTEGER)"), ())?;
/// let mut tx = engine.begin()?;
/// tx.execute(&text("INSERT INTO t VALUES (1)"), ())?;
/// tx.commit()?;
/// assert_eq!(engine.connect()?.scalar::<i64>(&text("SELECT count(*) FROM t"), ())?, 1);
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct Transaction<'c> {
    conn: Held<'c>,
    done: bool,
}

impl<'c> Transaction<'c> {
    pub(crate) fn begin_borrowed(conn: &'c mut Connection) -> Result<Self> {
        conn.begin_transaction()?;
        Ok(Transaction {
            conn: Held::Borrowed(conn),
            done: false,
        })
    }

    /// Commits the transaction.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// engine.begin()?.commit()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.commit_or_rollback()
    }

    fn commit_or_rollback(&mut self) -> Result<()> {
        let conn: &mut Connection = self;
        match conn.commit() {
            Ok(()) => Ok(()),
            Err(e) => {
                // A failed COMMIT leaves the transaction open; roll it back so the
                // connection is usable again, and report the commit error.
                let _ = conn.rollback();
                Err(e)
            }
        }
    }

    /// Rolls the transaction back (what dropping it does, but reporting errors).
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// engine.begin()?.rollback()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn rollback(mut self) -> Result<()> {
        self.done = true;
        let conn: &mut Connection = &mut self;
        conn.rollback()
    }
}

impl Transaction<'static> {
    pub(crate) fn begin_owned(mut conn: Connection) -> Result<Self> {
        conn.begin_transaction()?;
        Ok(Transaction {
            conn: Held::Owned(conn),
            done: false,
        })
    }
}

impl Deref for Transaction<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn.get()
    }
}

impl DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.get_mut()
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            if let Err(e) = self.deref_mut().rollback() {
                log::warn!(target: "aludel::engine", "rollback of a dropped transaction failed: {e}");
            }
        }
    }
}

/// A savepoint inside a transaction (SQLAlchemy's `begin_nested()`).
/// [`commit`](Savepoint::commit) releases it; dropping it without committing rolls back to
/// it, keeping the enclosing transaction's earlier work.
///
/// ```
/// use aludel::sql::text;
/// let engine = aludel::create_engine("sqlite://")?;
/// let mut conn = engine.connect()?;
/// conn.execute(&text("CREATE TABLE t (x INTEGER)"), ())?;
/// let mut tx = conn.begin()?;
/// tx.execute(&text("INSERT INTO t VALUES (1)"), ())?;
/// {
///     let mut sp = tx.begin_nested()?;
///     sp.execute(&text("INSERT INTO t VALUES (2)"), ())?;
/// } // rolled back to the savepoint
/// tx.commit()?;
/// assert_eq!(conn.scalar::<i64>(&text("SELECT count(*) FROM t"), ())?, 1);
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct Savepoint<'c> {
    conn: &'c mut Connection,
    name: String,
    done: bool,
}

impl<'c> Savepoint<'c> {
    pub(crate) fn begin(conn: &'c mut Connection, name: String) -> Result<Self> {
        conn.savepoint(&name)?;
        Ok(Savepoint {
            conn,
            name,
            done: false,
        })
    }

    /// The savepoint's name.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// assert!(conn.begin_nested()?.name().starts_with("aludel_sp_"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Releases the savepoint, keeping its work in the enclosing transaction.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// conn.begin_nested()?.commit()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.conn.release_savepoint(&self.name)
    }

    /// Rolls back to the savepoint.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let mut conn = engine.connect()?;
    /// conn.begin_nested()?.rollback()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn rollback(mut self) -> Result<()> {
        self.done = true;
        self.conn.rollback_to_savepoint(&self.name)
    }
}

impl Deref for Savepoint<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl DerefMut for Savepoint<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if !self.done && self.conn.in_transaction() {
            if let Err(e) = self.conn.rollback_to_savepoint(&self.name) {
                log::warn!(target: "aludel::engine", "rollback to a dropped savepoint failed: {e}");
            }
        }
    }
}
