//! A task-local scope for async runtimes, without depending on one: [`task_scope`] wraps a
//! future so that, whenever it is polled, [`Scope::task`](crate::orm::Scope::task) sees
//! its key — the way runtime task-locals work, for any executor.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

thread_local! {
    /// The key of the task being polled on this thread, if it runs inside `task_scope`.
    static CURRENT_TASK: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Runs `future` with `key` as its task scope: a [`ScopedSession`](crate::orm::ScopedSession)
/// configured with `Scope::task()` hands the same session to everything this future
/// awaits, whichever thread polls it, and another session to another key.
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use aludel::orm::{task_scope, Scope, ScopedSession, SessionMaker};
///
/// let engine = aludel::create_engine("sqlite://")?;
/// let db = ScopedSession::new(SessionMaker::new(&engine), Scope::task());
/// let job = |db: &ScopedSession| {
///     let (a, b) = (db.get().unwrap(), db.get().unwrap());
///     assert!(a.ptr_eq(&b));
///     a.id()
/// };
/// let mut one = pin!(task_scope(1, async { job(&db) }));
/// let mut two = pin!(task_scope(2, async { job(&db) }));
/// let mut cx = Context::from_waker(Waker::noop());
/// let (Poll::Ready(a), Poll::Ready(b)) = (one.as_mut().poll(&mut cx), two.as_mut().poll(&mut cx)) else { panic!() };
/// assert_ne!(a, b);
/// assert!(db.get().is_err(), "outside a task scope Scope::task() has no session");
/// # Ok::<(), aludel::Error>(())
/// ```
pub fn task_scope<F: Future>(key: u64, future: F) -> TaskScoped<F> {
    TaskScoped {
        key,
        future: Box::pin(future),
    }
}

/// A future running in a task scope; see [`task_scope`].
pub struct TaskScoped<F> {
    key: u64,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for TaskScoped<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let key = self.key;
        let previous = CURRENT_TASK.with(|c| c.replace(Some(key)));
        let result = self.future.as_mut().poll(cx);
        CURRENT_TASK.with(|c| c.set(previous));
        result
    }
}

/// The key of the task scope being polled on this thread.
pub(crate) fn current_task() -> Option<u64> {
    CURRENT_TASK.with(Cell::get)
}
