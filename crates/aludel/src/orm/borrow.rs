//! The guards [`Instance::read`](crate::orm::Instance::read) and
//! [`Instance::write`](crate::orm::Instance::write) hand out, and the per-thread record
//! of which objects a thread holds, so that a second borrow of one object on the same thread
//! is an error instead of a deadlock.
//!
//! The identity map gives one object per row, so two handles to one object are common
//! (`let w = a.write()?; b.read()?` where `a` and `b` are the same row). A plain `RwLock`
//! would wait forever there. Each thread keeps a short list of the objects it borrows; a
//! borrow that would wait on the thread's own guard fails at once with the model and key,
//! while a borrow held by *another* thread is waited for as usual.

use std::cell::RefCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};

use crate::error::{Error, Result};

/// How a thread holds an object.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
    Write,
}

thread_local! {
    /// The objects this thread borrows now: the lock's address and how it is held.
    static HELD: RefCell<Vec<(usize, Kind)>> = const { RefCell::new(Vec::new()) };
}

fn held_by_this_thread(addr: usize) -> Option<Kind> {
    HELD.with(|h| {
        let h = h.borrow();
        // A write excludes everything else, so any Write entry decides.
        let mut found = None;
        for &(a, k) in h.iter() {
            if a == addr {
                if k == Kind::Write {
                    return Some(Kind::Write);
                }
                found = Some(k);
            }
        }
        found
    })
}

fn record(addr: usize, kind: Kind) {
    HELD.with(|h| h.borrow_mut().push((addr, kind)));
}

fn forget(addr: usize, kind: Kind) {
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        if let Some(i) = h.iter().rposition(|&e| e == (addr, kind)) {
            h.swap_remove(i);
        }
    });
}

/// Shared access to a mapped object; derefs to the model. Returned by
/// [`Instance::read`](crate::orm::Instance::read); the object stays readable by others
/// and cannot be written until every read guard is dropped.
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
/// let t = aludel::orm::Instance::new(T { id: 7 });
/// let a: aludel::orm::ReadGuard<'_, T> = t.read()?;
/// let b = t.read()?; // two readers on one thread are fine
/// assert_eq!(a.id + b.id, 14);
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct ReadGuard<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    addr: usize,
}

/// Exclusive access to a mapped object; derefs mutably to the model. Returned by
/// [`Instance::write`](crate::orm::Instance::write).
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, n: i32 }
/// let t = aludel::orm::Instance::new(T { id: 1, n: 0 });
/// let mut w: aludel::orm::WriteGuard<'_, T> = t.write()?;
/// w.n = 5;
/// // Reading the same object while the guard lives is an error, not a deadlock.
/// assert!(t.read().is_err());
/// drop(w);
/// assert_eq!(t.read()?.n, 5);
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct WriteGuard<'a, T> {
    guard: RwLockWriteGuard<'a, T>,
    addr: usize,
}

fn addr_of<T>(lock: &RwLock<T>) -> usize {
    lock as *const RwLock<T> as usize
}

/// Takes a read guard, or fails at once when waiting would deadlock this thread: it holds
/// the object's write guard, or it holds a read guard while another thread waits to write
/// (a new reader would queue behind that writer, which waits for this thread).
/// `describe` names the object for the error.
pub(crate) fn read<'a, T>(
    lock: &'a RwLock<T>,
    describe: impl FnOnce() -> String,
) -> Result<ReadGuard<'a, T>> {
    let addr = addr_of(lock);
    let guard = match held_by_this_thread(addr) {
        None => lock.read().unwrap_or_else(|p| p.into_inner()),
        Some(Kind::Write) => {
            return Err(Error::invalid(format!(
                "{} is borrowed by a write() guard on this thread; drop that guard before read()",
                describe()
            )));
        }
        Some(Kind::Read) => match lock.try_read() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return Err(Error::invalid(format!(
                    "{} is read on this thread while another thread waits to write it; a second read() here would deadlock",
                    describe()
                )));
            }
        },
    };
    record(addr, Kind::Read);
    Ok(ReadGuard { guard, addr })
}

/// Takes a write guard, or fails at once when this thread already borrows the object.
pub(crate) fn write<'a, T>(
    lock: &'a RwLock<T>,
    describe: impl FnOnce() -> String,
) -> Result<WriteGuard<'a, T>> {
    let addr = addr_of(lock);
    if let Some(kind) = held_by_this_thread(addr) {
        let held = match kind {
            Kind::Read => "read()",
            Kind::Write => "write()",
        };
        return Err(Error::invalid(format!(
            "{} is borrowed by a {held} guard on this thread; drop that guard before write()",
            describe()
        )));
    }
    let guard = lock.write().unwrap_or_else(|p| p.into_inner());
    record(addr, Kind::Write);
    Ok(WriteGuard { guard, addr })
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> Drop for ReadGuard<'_, T> {
    fn drop(&mut self) {
        forget(self.addr, Kind::Read);
    }
}

impl<T: fmt::Debug> fmt::Debug for ReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        forget(self.addr, Kind::Write);
    }
}

impl<T: fmt::Debug> fmt::Debug for WriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
