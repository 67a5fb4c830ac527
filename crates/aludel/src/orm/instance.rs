//! [`Instance<T>`]: the shared handle to one mapped object, its state (transient, pending,
//! persistent, deleted, detached) and its change tracking.
//!
//! Reading is free: a loaded object carries no copy of its values. The first `write()` of a
//! persistent object takes a snapshot of its column values; the flush compares against it
//! and updates only the columns that changed.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};

use crate::engine::RowView;
use crate::error::{Error, Result};
use crate::orm::borrow::{self, ReadGuard, WriteGuard};
use crate::orm::deferred::{ColumnLayout, bind_deferred};
use crate::orm::identity::{IdentityKey, KeyParts};
use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::relationship::{AnySlot, bind_all};
use crate::orm::session::SessionInner;
use crate::sql::Value;

/// Where an object stands relative to a session (SQLAlchemy's object states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectState {
    /// Not in a session and not in the database.
    Transient,
    /// Added to a session, not yet flushed.
    Pending,
    /// In the session's identity map, with a database row.
    Persistent,
    /// Deleted in a flush; detached when the transaction commits.
    Deleted,
    /// Was persistent, but is no longer in a session.
    Detached,
}

/// The per-object bookkeeping shared with the session.
pub(crate) struct StateData {
    pub(crate) state: ObjectState,
    /// Column values at the first write since the last flush or load.
    pub(crate) snapshot: Option<Box<[Value]>>,
    /// Attributes must be reloaded before use.
    pub(crate) expired: bool,
    /// Primary key in the owning session's map, once persistent (the model is the
    /// object's own and the shard is `shard`: [`AnyInstance::identity_key`] gives the
    /// whole key).
    pub(crate) key: Option<KeyParts>,
    /// In a sharded session, the object's shard (number plus one; 0 until chosen):
    /// chosen at its first flush, or the shard it was loaded from.
    pub(crate) shard: u16,
    /// Marked for deletion at the next flush.
    pub(crate) delete_pending: bool,
    /// The owning session.
    pub(crate) session: Option<(u64, Weak<SessionInner>)>,
}

impl StateData {
    /// The identity of an object of `info` in this state, once persistent.
    pub(crate) fn identity_key(&self, info: &ModelInfo) -> Option<IdentityKey> {
        let pk = self.key.clone()?;
        Some(IdentityKey {
            model: info.identity_type(),
            pk,
            shard: self.shard,
        })
    }
}

/// The object and its state behind an [`Instance`].
pub(crate) struct Cell<T> {
    data: RwLock<T>,
    state: Mutex<StateData>,
    /// This cell, for the relationship fields of a reloaded object to point back to.
    me: Weak<Cell<T>>,
}

/// A shared handle to one mapped object. Cloning is cheap and yields the same object:
/// a session hands out one `Instance` per primary key, so two loads of one row compare
/// equal with [`Instance::ptr_eq`].
///
/// ```
/// use aludel::orm::{Instance, ObjectState};
///
/// #[derive(aludel::Model, Debug, Clone)]
/// #[model(table = "notes")]
/// struct Note {
///     #[column(primary_key)]
///     id: i64,
///     body: String,
/// }
///
/// let note = Instance::new(Note { id: 1, body: "hi".into() });
/// assert_eq!(note.state(), ObjectState::Transient);
/// note.write()?.body.push('!');
/// assert_eq!(note.read()?.body, "hi!");
/// assert!(note.ptr_eq(&note.clone()));
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct Instance<T: Model> {
    cell: Arc<Cell<T>>,
}

impl<T: Model> Clone for Instance<T> {
    fn clone(&self) -> Self {
        Instance {
            cell: self.cell.clone(),
        }
    }
}

impl<T: Model + fmt::Debug> fmt::Debug for Instance<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cell.data.try_read() {
            Ok(data) => write!(f, "Instance({:?}, {:?})", self.state(), &*data),
            Err(_) => write!(f, "Instance({:?}, <being written>)", self.state()),
        }
    }
}

fn lock<S>(m: &Mutex<S>) -> MutexGuard<'_, S> {
    // A panic elsewhere while holding the lock leaves plain data behind; keep using it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<T: Model> Instance<T> {
    /// Wraps a new (transient) object.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let t = aludel::orm::Instance::new(T { id: 1 });
    /// assert_eq!(t.state(), aludel::orm::ObjectState::Transient);
    /// ```
    pub fn new(object: T) -> Self {
        Instance::with_state(object, ObjectState::Transient)
    }

    pub(crate) fn with_state(object: T, state: ObjectState) -> Self {
        Self::with_state_data(
            object,
            StateData {
                state,
                snapshot: None,
                expired: false,
                key: None,
                shard: 0,
                delete_pending: false,
                session: None,
            },
        )
    }

    /// A persistent object just loaded from a row: its key and session set as it is built
    /// (no lock taken afterwards to set them; the loading hot path).
    pub(crate) fn loaded(object: T, key: IdentityKey, session: (u64, Weak<SessionInner>)) -> Self {
        Self::with_state_data(
            object,
            StateData {
                state: ObjectState::Persistent,
                snapshot: None,
                expired: false,
                shard: key.shard,
                key: Some(key.pk),
                delete_pending: false,
                session: Some(session),
            },
        )
    }

    fn with_state_data(object: T, state: StateData) -> Self {
        let cell = Arc::new_cyclic(|me| Cell {
            data: RwLock::new(object),
            state: Mutex::new(state),
            me: me.clone(),
        });
        let info = T::info();
        if !info.relationships.is_empty() || !info.deferred.is_empty() {
            let owner: Weak<dyn AnyInstance> = cell.me.clone();
            let data = cell.data.read().unwrap_or_else(|p| p.into_inner());
            bind_all(&*data, &owner);
            bind_deferred(&*data, &owner);
        }
        Instance { cell }
    }

    /// A weak handle (relationship mirrors hold these).
    pub(crate) fn downgrade(&self) -> Weak<Cell<T>> {
        Arc::downgrade(&self.cell)
    }

    /// How many handles share this object (the identity map's weak reference is not one):
    /// an object with a single handle cannot appear twice in one result.
    pub(crate) fn handle_count(&self) -> usize {
        Arc::strong_count(&self.cell)
    }

    pub(crate) fn from_cell(cell: Arc<Cell<T>>) -> Self {
        Instance { cell }
    }

    pub(crate) fn erased(&self) -> Arc<dyn AnyInstance> {
        self.cell.clone()
    }

    /// The object's state.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(aludel::orm::Instance::new(T { id: 1 }).state(), aludel::orm::ObjectState::Transient);
    /// ```
    pub fn state(&self) -> ObjectState {
        lock(&self.cell.state).state
    }

    /// Whether both handles are the same object (SQLAlchemy's `is`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let a = aludel::orm::Instance::new(T { id: 1 });
    /// let b = aludel::orm::Instance::new(T { id: 1 });
    /// assert!(a.ptr_eq(&a.clone()) && !a.ptr_eq(&b));
    /// ```
    pub fn ptr_eq(&self, other: &Instance<T>) -> bool {
        Arc::ptr_eq(&self.cell, &other.cell)
    }

    /// Whether the attributes were expired and will be reloaded on next access.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert!(!aludel::orm::Instance::new(T { id: 1 }).is_expired());
    /// ```
    pub fn is_expired(&self) -> bool {
        lock(&self.cell.state).expired
    }

    /// Read access. An expired object is first reloaded from the database through its
    /// session (an error if that fails, or if the row is gone: `ObjectDeleted`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let t = aludel::orm::Instance::new(T { id: 7 });
    /// assert_eq!(t.read()?.id, 7);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    ///
    /// Any number of read guards may live at once. A `read()` on a thread that holds the
    /// object's [`write`](Self::write) guard is an error naming the object (it would wait
    /// forever); a write guard on another thread is waited for.
    pub fn read(&self) -> Result<ReadGuard<'_, T>> {
        self.load_if_expired()?;
        borrow::read(&self.cell.data, || self.describe())
    }

    /// Write access. The first write of a persistent object records a snapshot so the next
    /// flush can UPDATE exactly the changed columns.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, n: i32 }
    /// let t = aludel::orm::Instance::new(T { id: 1, n: 0 });
    /// t.write()?.n += 1;
    /// assert_eq!(t.read()?.n, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    ///
    /// A `write()` on a thread that already holds a read or write guard of the object is an
    /// error naming the object, not a deadlock; guards on other threads are waited for.
    pub fn write(&self) -> Result<WriteGuard<'_, T>> {
        self.load_if_expired()?;
        let guard = borrow::write(&self.cell.data, || self.describe())?;
        let mut st = lock(&self.cell.state);
        if st.snapshot.is_none() && matches!(st.state, ObjectState::Persistent) {
            st.snapshot = Some(guard.values().into_boxed_slice());
            if let Some(session) = st.session.as_ref().and_then(|(_, s)| s.upgrade()) {
                drop(st);
                session.note_modified(self.erased());
            }
        }
        Ok(guard)
    }

    /// A copy of the object (reloading it first if expired).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let t = aludel::orm::Instance::new(T { id: 3 });
    /// assert_eq!(t.get()?.id, 3);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get(&self) -> Result<T>
    where
        T: Clone,
    {
        Ok(self.read()?.clone())
    }

    /// The model and, once persistent, the key: `"Employee (16621)"`, for error messages.
    fn describe(&self) -> String {
        match &lock(&self.cell.state).key {
            Some(key) => format!("{} {}", T::info().name, key),
            None => format!("a new {}", T::info().name),
        }
    }

    fn load_if_expired(&self) -> Result<()> {
        let session = {
            let st = lock(&self.cell.state);
            if !st.expired {
                return Ok(());
            }
            st.session.as_ref().and_then(|(_, s)| s.upgrade())
        };
        match session {
            Some(s) => s.refresh_object(&self.erased()),
            None => Err(Error::invalid(format!(
                "{} instance is expired and detached from its session, so it cannot be reloaded",
                T::info().name
            ))),
        }
    }
}

/// The type-erased view of an instance that the session and unit of work use.
pub(crate) trait AnyInstance: Send + Sync {
    fn info(&self) -> &'static ModelInfo;
    fn state(&self) -> MutexGuard<'_, StateData>;
    /// Current column values; an error if a write guard is alive (a flush must not block).
    fn values(&self) -> Result<Vec<Value>>;
    /// Sets column values by index.
    fn set_values(&self, values: &[(usize, Value)]) -> Result<()>;
    /// Sets column `column` and returns the value it held (a flush writing a generated
    /// key, which it undoes if the flush fails): one lock, no copy of the other columns.
    fn replace_value(&self, column: usize, value: Value) -> Result<Value>;
    /// The values of the columns `columns` (the primary key), without copying the rest;
    /// an error if a write guard is alive, as for [`values`](Self::values).
    fn values_of(&self, columns: &[usize]) -> Result<Vec<Value>>;
    /// Replaces the object with one built from a row read in place (refresh, expired
    /// objects met again by a query), its columns starting at `offset` and laid out as
    /// `layout` says (every column when `None`); its relationships, and the deferred
    /// columns the row leaves out, become unloaded.
    fn load_row(
        &self,
        row: &dyn RowView,
        offset: usize,
        layout: Option<&ColumnLayout>,
    ) -> Result<()>;
    /// Runs `f` on the object (under a read lock); `false` when it is behind a write
    /// guard (nothing ran).
    fn with_object(&self, f: &mut dyn FnMut(&dyn Any) -> Result<()>) -> Result<bool>;
    /// Runs `f` on relationship `index`'s field (under a read lock of the object).
    fn with_slot(&self, index: usize, f: &mut dyn FnMut(&dyn AnySlot) -> Result<()>) -> Result<()>;
    /// Forgets every loaded relationship and its history (expiry).
    fn expire_relationships(&self);
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;

    /// The object's identity in its session's map, once persistent.
    fn identity_key(&self) -> Option<IdentityKey> {
        self.state().identity_key(self.info())
    }
}

impl<T: Model> AnyInstance for Cell<T> {
    fn info(&self) -> &'static ModelInfo {
        T::info()
    }

    fn state(&self) -> MutexGuard<'_, StateData> {
        lock(&self.state)
    }

    fn values(&self) -> Result<Vec<Value>> {
        Ok(self.read_for_flush()?.values())
    }

    fn set_values(&self, values: &[(usize, Value)]) -> Result<()> {
        let mut g = self.write_for_flush()?;
        for (i, v) in values {
            g.set_value(*i, v.clone())?;
        }
        Ok(())
    }

    fn replace_value(&self, column: usize, value: Value) -> Result<Value> {
        let mut g = self.write_for_flush()?;
        let previous = g.value(column);
        g.set_value(column, value)?;
        Ok(previous)
    }

    fn values_of(&self, columns: &[usize]) -> Result<Vec<Value>> {
        let g = self.read_for_flush()?;
        Ok(columns.iter().map(|&i| g.value(i)).collect())
    }

    fn load_row(
        &self,
        row: &dyn RowView,
        offset: usize,
        layout: Option<&ColumnLayout>,
    ) -> Result<()> {
        let fresh = match layout {
            Some(layout) => T::from_row_in(row, offset, layout)?,
            None => T::from_row(row, offset)?,
        };
        let mut g = self.data.try_write().map_err(|_| {
            Error::invalid(format!(
                "a {} instance is borrowed while the session reloads it",
                T::info().name
            ))
        })?;
        *g = fresh;
        let owner: Weak<dyn AnyInstance> = self.me.clone();
        bind_all(&*g, &owner);
        bind_deferred(&*g, &owner);
        Ok(())
    }

    fn with_object(&self, f: &mut dyn FnMut(&dyn Any) -> Result<()>) -> Result<bool> {
        let g = match self.data.try_read() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Ok(false),
        };
        f(&*g as &dyn Any)?;
        Ok(true)
    }

    fn with_slot(&self, index: usize, f: &mut dyn FnMut(&dyn AnySlot) -> Result<()>) -> Result<()> {
        let rel = T::info().relationships.get(index).ok_or_else(|| {
            Error::invalid(format!(
                "model {} has no relationship #{index}",
                T::info().name
            ))
        })?;
        let g = match self.data.try_read() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                return Err(Error::invalid(format!(
                    "a {} instance is being written (a write() guard is alive) while its relationship '{}' is updated; drop the guard first",
                    T::info().name,
                    rel.name
                )));
            }
        };
        f(rel.slot_of(&*g as &dyn Any)?)
    }

    fn expire_relationships(&self) {
        let rels = &T::info().relationships;
        if rels.is_empty() {
            return;
        }
        if let Ok(g) = self.data.try_read() {
            for rel in rels {
                if let Ok(slot) = rel.slot_of(&*g as &dyn Any) {
                    slot.expire();
                }
            }
        }
    }

    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

impl<T: Model> Cell<T> {
    /// The object for the session to read, never waiting: an error naming the model if a
    /// write guard is alive (a flush must not block).
    fn read_for_flush(&self) -> Result<std::sync::RwLockReadGuard<'_, T>> {
        match self.data.try_read() {
            Ok(g) => Ok(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => Err(Error::invalid(format!(
                "a {} instance is being written (a write() guard is alive) while the session flushes; drop the guard first",
                T::info().name
            ))),
        }
    }

    /// The object for the session to write, never waiting: an error naming the model if
    /// any guard is alive.
    fn write_for_flush(&self) -> Result<std::sync::RwLockWriteGuard<'_, T>> {
        self.data.try_write().map_err(|_| {
            Error::invalid(format!(
                "a {} instance is borrowed while the session updates it",
                T::info().name
            ))
        })
    }
}

/// Recovers the typed handle from an erased one, if it is of model `T`.
pub(crate) fn downcast<T: Model>(obj: &Arc<dyn AnyInstance>) -> Option<Instance<T>> {
    obj.clone()
        .as_any()
        .downcast::<Cell<T>>()
        .ok()
        .map(Instance::from_cell)
}
