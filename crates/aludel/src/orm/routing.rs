//! [`Routing`]: read/write splitting for a bind. Flushes, statements of no model
//! (`Session::execute`, bulk UPDATE/DELETE), savepoints and locking reads
//! (`with_for_update`) go to the primary; plain reads of models go to a replica, chosen
//! round-robin or by a chooser. Once a unit of work has written (a flush that sent
//! something), or after [`Session::use_primary`], its reads go to the primary too until
//! commit or rollback, so it reads its own writes. A write that reaches a replica anyway
//! fails with [`DatabaseErrorKind::ReadOnly`](crate::DatabaseErrorKind::ReadOnly).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::engine::Engine;
use crate::orm::binds::Purpose;
use crate::orm::session::{Session, lock};

/// Picks the index of the replica a read goes to, among `replicas`.
pub type ReplicaChooser = Arc<dyn Fn(&[Engine]) -> usize + Send + Sync>;

/// A primary and its read replicas, used as a bind ([`Binds`](crate::orm::Binds)).
///
/// ```
/// use aludel::orm::{Binds, Routing, Session};
/// let primary = aludel::create_engine("sqlite://")?;
/// let replica = aludel::create_engine("sqlite://")?;
/// let routing = Routing::new(&primary).replica(&replica);
/// let s = Session::with_binds(Binds::new().bind(routing), Default::default());
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Clone)]
pub struct Routing {
    primary: Engine,
    replicas: Vec<Engine>,
    chooser: Option<ReplicaChooser>,
    next: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Routing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routing")
            .field("primary", &self.primary)
            .field("replicas", &self.replicas)
            .field("chooser", &self.chooser.is_some())
            .finish()
    }
}

impl Routing {
    /// Routing with `primary` and no replica yet (everything goes to the primary).
    ///
    /// ```
    /// let primary = aludel::create_engine("sqlite://")?;
    /// let r = aludel::orm::Routing::new(&primary);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn new(primary: &Engine) -> Routing {
        Routing {
            primary: primary.clone(),
            replicas: Vec::new(),
            chooser: None,
            next: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Adds a replica; reads go to the replicas in turn (round-robin) unless a
    /// [`chooser`](Self::chooser) is set.
    ///
    /// ```
    /// let primary = aludel::create_engine("sqlite://")?;
    /// let replica = aludel::create_engine("sqlite://")?;
    /// let r = aludel::orm::Routing::new(&primary).replica(&replica);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn replica(mut self, replica: &Engine) -> Routing {
        self.replicas.push(replica.clone());
        self
    }

    /// Chooses the replica of each read: `chooser` gets the replicas and returns an
    /// index (taken modulo their number, so any value is safe).
    ///
    /// ```
    /// let primary = aludel::create_engine("sqlite://")?;
    /// let replica = aludel::create_engine("sqlite://")?;
    /// let r = aludel::orm::Routing::new(&primary)
    ///     .replica(&replica)
    ///     .chooser(|_replicas| 0);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn chooser(
        mut self,
        chooser: impl Fn(&[Engine]) -> usize + Send + Sync + 'static,
    ) -> Routing {
        self.chooser = Some(Arc::new(chooser));
        self
    }

    /// The primary engine.
    pub(crate) fn primary(&self) -> &Engine {
        &self.primary
    }

    /// The engine for a statement with `purpose`.
    pub(crate) fn engine(&self, purpose: Purpose) -> Engine {
        if purpose == Purpose::Write || self.replicas.is_empty() {
            return self.primary.clone();
        }
        let n = self.replicas.len();
        let i = match &self.chooser {
            Some(choose) => choose(&self.replicas) % n,
            None => self.next.fetch_add(1, Ordering::Relaxed) % n,
        };
        self.replicas[i].clone()
    }
}

impl Session {
    /// Pins the current unit of work to the primary: until `commit()` or `rollback()`,
    /// reads of routed binds go to the primary (read-your-writes before a flush has
    /// written anything, or for reads that must not lag).
    ///
    /// ```
    /// use aludel::orm::{Binds, Routing, Session};
    /// let primary = aludel::create_engine("sqlite://")?;
    /// let s = Session::with_binds(Binds::new().bind(Routing::new(&primary)), Default::default());
    /// s.use_primary();
    /// assert!(s.uses_primary());
    /// s.rollback()?;
    /// assert!(!s.uses_primary());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn use_primary(&self) {
        lock(&self.inner.state).pinned_primary = true;
    }

    /// Whether reads of this unit of work go to the primary: after
    /// [`use_primary`](Self::use_primary), or once a flush wrote.
    ///
    /// ```
    /// let e = aludel::create_engine("sqlite://")?;
    /// assert!(!aludel::orm::Session::new(&e).uses_primary());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn uses_primary(&self) -> bool {
        lock(&self.inner.state).pinned_primary
    }
}
