//! The relationship fields: [`Many<T>`] (a collection) and [`One<T>`] (one object or none).
//!
//! A field knows the object that owns it (set when the object is wrapped in an
//! [`Instance`]) and which of the owner's relationships it is, so reading it unloaded
//! loads through the owner's session, and changing it records history for the next flush
//! and keeps the `back_populates` side in step in memory. The state sits behind its own
//! small lock, so loaders fill it through a read guard of the owner.
//!
//! Links the program made (by loading or by assignment) are strong; the mirror links
//! `back_populates` adds are weak once the object they point to has an identity, so a
//! parent and its children never keep each other alive in a cycle. A dead mirror is not
//! an error: a many-to-one is found again by its foreign key, a collection is reloaded.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::error::{Error, Result};
use crate::orm::instance::{AnyInstance, Cell, Instance, downcast};
use crate::orm::loading::options::LoaderTree;
use crate::orm::mapper::Model;
use crate::orm::relationship::info::{Loading, RelationshipInfo};
use crate::orm::session::IntoInstance;

/// A field type that declares a relationship: [`Many<T>`] or [`One<T>`].
///
/// ```
/// use aludel::orm::{Many, One, RelationField};
/// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
/// assert!(<Many<T> as RelationField>::USELIST);
/// assert!(!<One<T> as RelationField>::USELIST);
/// assert!(!<Many<T> as RelationField>::unloaded().is_loaded());
/// ```
pub trait RelationField: Send + Sync + 'static {
    /// The related model.
    type Target: Model;
    /// Whether the field holds a collection.
    const USELIST: bool;
    /// The field of an object loaded from a row: not loaded yet.
    fn unloaded() -> Self;
    /// Whether the field's value is loaded (reading it needs no SQL).
    fn is_loaded(&self) -> bool;
    /// The field's state, for the ORM's loaders and flush.
    fn slot(&self) -> SlotRef<'_>;
}

/// A handle on a relationship field's state, handed by [`RelationField::slot`] to the
/// ORM's loaders and flush (it has no public methods).
///
/// ```
/// use aludel::orm::{Many, RelationField};
/// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
/// let m = Many::<T>::new();
/// let _handle = m.slot();
/// ```
pub struct SlotRef<'a>(pub(crate) &'a dyn AnySlot);

/// One link to a related object.
enum Link<C: Model> {
    /// Made by loading or by the program: keeps the object alive.
    Strong(Instance<C>),
    /// A `back_populates` mirror of an object without an identity yet: strong until the
    /// flush gives the object one ([`AnySlot::settle`]).
    NewMirror(Instance<C>),
    /// A `back_populates` mirror of an object with an identity.
    Mirror(Weak<Cell<C>>),
}

impl<C: Model> Link<C> {
    fn get(&self) -> Option<Instance<C>> {
        match self {
            Link::Strong(i) | Link::NewMirror(i) => Some(i.clone()),
            Link::Mirror(w) => w.upgrade().map(Instance::from_cell),
        }
    }

    fn is(&self, other: &Arc<dyn AnyInstance>) -> bool {
        match self {
            Link::Strong(i) | Link::NewMirror(i) => {
                std::ptr::addr_eq(Arc::as_ptr(&i.erased()), Arc::as_ptr(other))
            }
            Link::Mirror(w) => std::ptr::addr_eq(w.as_ptr(), Arc::as_ptr(other)),
        }
    }

    /// A mirror link to `target`: weak once it has an identity, strong before (nothing
    /// else may hold a new object the program reached only through this link).
    fn mirror(target: &Instance<C>) -> Self {
        if target.erased().state().key.is_some() {
            Link::Mirror(target.downgrade())
        } else {
            Link::NewMirror(target.clone())
        }
    }
}

/// What changed since the last flush: the objects added and removed by the program (not
/// by mirroring), and, for a [`One`], whether it was set at all.
pub(crate) struct History {
    pub(crate) added: Vec<Arc<dyn AnyInstance>>,
    pub(crate) removed: Vec<Arc<dyn AnyInstance>>,
    pub(crate) set: bool,
}

struct SlotState<C: Model> {
    /// `None` while not loaded.
    items: Option<Vec<Link<C>>>,
    added: Vec<Instance<C>>,
    removed: Vec<Instance<C>>,
    set: bool,
    /// The owning object and the relationship's index in its model's info.
    owner: Option<(Weak<dyn AnyInstance>, usize)>,
    /// A strategy the loading query chose for this object (`raiseload`, `noload`, ...).
    strategy: Option<Loading>,
    /// The loading query's options below this relationship
    /// (`defaultload(User::orders).selectinload(Order::items)`), for its lazy load.
    below: Option<Arc<LoaderTree>>,
}

/// The state shared by [`Many`] and [`One`].
pub(crate) struct Slot<C: Model> {
    state: Mutex<SlotState<C>>,
}

impl<C: Model> Slot<C> {
    fn new(items: Option<Vec<Instance<C>>>, added: Vec<Instance<C>>) -> Self {
        Slot {
            state: Mutex::new(SlotState {
                items: items.map(|v| v.into_iter().map(Link::Strong).collect()),
                set: !added.is_empty(),
                added,
                removed: Vec::new(),
                owner: None,
                strategy: None,
                below: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SlotState<C>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The loaded objects, if loaded and every link is alive.
    fn alive(&self) -> Option<Vec<Instance<C>>> {
        let st = self.lock();
        st.items.as_ref()?.iter().map(Link::get).collect()
    }

    /// The owner and this relationship's info, if the field belongs to an instance.
    fn owner(&self) -> Option<(Arc<dyn AnyInstance>, &'static RelationshipInfo)> {
        let (weak, index) = self.lock().owner.clone()?;
        let owner = weak.upgrade()?;
        let rel = owner.info().relationships.get(index)?;
        Some((owner, rel))
    }

    /// The loaded value, loading it through the owner's session when needed.
    fn load(&self) -> Result<Vec<Instance<C>>> {
        if let Some(items) = self.alive() {
            return Ok(items);
        }
        let Some((owner, rel)) = self.owner() else {
            return Err(Error::invalid(format!(
                "this relationship to {} is not part of an instance, so it cannot load; wrap the object with Instance::new or add it to a session",
                C::info().name
            )));
        };
        let (strategy, below) = {
            let st = self.lock();
            (st.strategy.unwrap_or(rel.loading), st.below.clone())
        };
        let items = crate::orm::loading::lazy::load::<C>(&owner, rel, strategy, below.as_deref())?;
        self.fill(&owner, rel, items.clone())?;
        Ok(items)
    }

    /// Stores loaded objects (strong links) and mirrors the owner into each one's
    /// `back_populates` side (weak links, no history).
    fn fill(
        &self,
        owner: &Arc<dyn AnyInstance>,
        rel: &RelationshipInfo,
        items: Vec<Instance<C>>,
    ) -> Result<()> {
        self.lock().items = Some(items.iter().cloned().map(Link::Strong).collect());
        for item in &items {
            mirror(owner, rel, &item.erased(), true)?;
        }
        Ok(())
    }

    /// Records a change made by the program and keeps the other side in step.
    fn change(&self, added: Option<Instance<C>>, removed: Option<Instance<C>>) -> Result<()> {
        let owner = self.owner();
        {
            let mut st = self.lock();
            if let Some(r) = &removed {
                let gone = r.erased();
                if let Some(items) = st.items.as_mut() {
                    items.retain(|l| !l.is(&gone));
                }
                let was_added = st.added.iter().position(|a| a.ptr_eq(r));
                match was_added {
                    Some(i) => {
                        st.added.remove(i);
                    }
                    None => st.removed.push(r.clone()),
                }
            }
            if let Some(a) = &added {
                st.items
                    .get_or_insert_with(Vec::new)
                    .push(Link::Strong(a.clone()));
                let was_removed = st.removed.iter().position(|r| r.ptr_eq(a));
                match was_removed {
                    Some(i) => {
                        st.removed.remove(i);
                    }
                    None => st.added.push(a.clone()),
                }
            }
            st.set = true;
        }
        let Some((owner, rel)) = owner else {
            return Ok(());
        };
        if let Some(r) = &removed {
            mirror(&owner, rel, &r.erased(), false)?;
        }
        if let Some(a) = &added {
            mirror(&owner, rel, &a.erased(), true)?;
            // Its mirror may be a strong link to a new owner: the flush settles it.
            crate::orm::relationship::cascade::note_changed(&a.erased());
            crate::orm::relationship::cascade::save_update_on_change(&owner, rel, &a.erased())?;
        }
        crate::orm::relationship::cascade::note_changed(&owner);
        Ok(())
    }
}

/// Keeps `item`'s `back_populates` side in step with `owner.rel` gaining (`added`) or
/// losing `item`. A many-to-one mirror that moves an item from another parent also takes
/// it out of that parent's collection.
fn mirror(
    owner: &Arc<dyn AnyInstance>,
    rel: &RelationshipInfo,
    item: &Arc<dyn AnyInstance>,
    added: bool,
) -> Result<()> {
    let Some(reverse) = rel.resolved(owner.info())?.reverse else {
        return Ok(());
    };
    let mut previous = None;
    item.with_slot(reverse, &mut |slot| {
        previous = if added {
            slot.mirror_add(owner)
        } else {
            slot.mirror_remove(owner);
            None
        };
        Ok(())
    })?;
    if let Some(old) = previous.filter(|o| !Arc::ptr_eq(o, owner)) {
        let index = owner
            .info()
            .relationships
            .iter()
            .position(|r| std::ptr::eq(r, rel))
            .unwrap_or(usize::MAX);
        old.with_slot(index, &mut |slot| {
            slot.mirror_remove(item);
            Ok(())
        })?;
    }
    Ok(())
}

/// A relationship field as code without its target type sees it (loaders, the flush).
pub(crate) trait AnySlot: Send + Sync {
    /// Records the owning object and the relationship's index in its model.
    fn bind(&self, owner: Weak<dyn AnyInstance>, index: usize);
    /// Whether loaded, with every link alive.
    fn is_loaded(&self) -> bool;
    /// The loaded objects (alive ones), or `None` when not loaded.
    fn current(&self) -> Option<Vec<Arc<dyn AnyInstance>>>;
    /// Stores objects a loader found (strong links), without history.
    fn set_loaded(&self, items: Vec<Arc<dyn AnyInstance>>);
    /// Makes it hold `items`, in that order, as the program's own changes would (the merge
    /// cascade sets relationships this way, as SQLAlchemy's merge does): each object not
    /// held before is added and each one no longer held removed, with history, the
    /// `back_populates` side and the save-update cascade, so the flush writes the links.
    /// The current value is loaded first when needed.
    fn replace(&self, items: Vec<Arc<dyn AnyInstance>>) -> Result<()>;
    /// Mirrors `other` gaining this object: adds it to a loaded collection, or sets a
    /// `One` (returning the object it pointed to before).
    fn mirror_add(&self, other: &Arc<dyn AnyInstance>) -> Option<Arc<dyn AnyInstance>>;
    /// Mirrors `other` losing this object.
    fn mirror_remove(&self, other: &Arc<dyn AnyInstance>);
    /// The changes since the last flush.
    fn history(&self) -> History;
    /// Forgets the history (after a successful flush).
    fn clear_history(&self);
    /// Forgets the loaded value and the history (expiry).
    fn expire(&self);
    /// Sets what a lazy load of the field does: its strategy (`None`: the relationship's
    /// default) and the loader options below it (`None`: the targets' defaults).
    fn set_lazy_plan(&self, strategy: Option<Loading>, below: Option<Arc<LoaderTree>>);
    /// Turns mirrors of objects that now have an identity weak (after a flush), so a
    /// parent and child flushed together do not keep each other alive.
    fn settle(&self);
}

impl<C: Model> AnySlot for Slot<C> {
    fn bind(&self, owner: Weak<dyn AnyInstance>, index: usize) {
        self.lock().owner = Some((owner, index));
    }

    fn is_loaded(&self) -> bool {
        self.alive().is_some()
    }

    fn current(&self) -> Option<Vec<Arc<dyn AnyInstance>>> {
        self.alive()
            .map(|v| v.into_iter().map(|i| i.erased()).collect())
    }

    fn set_loaded(&self, items: Vec<Arc<dyn AnyInstance>>) {
        let links = items
            .iter()
            .filter_map(downcast::<C>)
            .map(Link::Strong)
            .collect();
        self.lock().items = Some(links);
    }

    fn replace(&self, items: Vec<Arc<dyn AnyInstance>>) -> Result<()> {
        let wanted: Vec<Instance<C>> = items.iter().filter_map(downcast::<C>).collect();
        let current = self.load()?;
        let held = |list: &[Instance<C>], i: &Instance<C>| list.iter().any(|o| o.ptr_eq(i));
        for gone in current.iter().filter(|o| !held(&wanted, o)) {
            self.change(None, Some(gone.clone()))?;
        }
        for new in wanted.iter().filter(|i| !held(&current, i)) {
            self.change(Some(new.clone()), None)?;
        }
        self.set_loaded(items);
        Ok(())
    }

    fn mirror_add(&self, other: &Arc<dyn AnyInstance>) -> Option<Arc<dyn AnyInstance>> {
        let other = downcast::<C>(other)?;
        let owner_is_one = self.owner().map(|(_, rel)| !rel.uselist).unwrap_or(false);
        let mut st = self.lock();
        if owner_is_one || st.owner.is_none() {
            let old = st
                .items
                .replace(vec![Link::mirror(&other)])
                .and_then(|v| v.into_iter().next())
                .and_then(|l| l.get())
                .map(|i| i.erased());
            return old;
        }
        // A collection that is not loaded stays unloaded: loading it later finds the
        // object through the database (after the flush that writes the link).
        if let Some(items) = st.items.as_mut() {
            let erased = other.erased();
            if !items.iter().any(|l| l.is(&erased)) {
                items.push(Link::mirror(&other));
            }
        }
        None
    }

    fn mirror_remove(&self, other: &Arc<dyn AnyInstance>) {
        let mut st = self.lock();
        if let Some(items) = st.items.as_mut() {
            items.retain(|l| !l.is(other));
        }
    }

    fn history(&self) -> History {
        let st = self.lock();
        History {
            added: st.added.iter().map(|i| i.erased()).collect(),
            removed: st.removed.iter().map(|i| i.erased()).collect(),
            set: st.set,
        }
    }

    fn clear_history(&self) {
        let mut st = self.lock();
        st.added.clear();
        st.removed.clear();
        st.set = false;
    }

    fn expire(&self) {
        let mut st = self.lock();
        st.items = None;
        st.added.clear();
        st.removed.clear();
        st.set = false;
    }

    fn set_lazy_plan(&self, strategy: Option<Loading>, below: Option<Arc<LoaderTree>>) {
        let mut st = self.lock();
        if strategy.is_some() {
            st.strategy = strategy;
        }
        if below.is_some() {
            st.below = below;
        }
    }

    fn settle(&self) {
        let mut st = self.lock();
        for link in st.items.iter_mut().flatten() {
            if let Link::NewMirror(i) = link {
                if i.erased().state().key.is_some() {
                    *link = Link::Mirror(i.downgrade());
                }
            }
        }
    }
}

/// A one-to-many or many-to-many collection field (SQLAlchemy's list relationship).
///
/// A new object starts with an empty, loaded collection (`Many::new()`, or
/// `Many::from(vec![...])`); an object loaded from the database starts unloaded and loads
/// on first [`all`](Many::all) through its session (or as a query's loader options say).
///
/// ```
/// use aludel::orm::{Many, Model, One, Session};
///
/// #[derive(aludel::Model)]
/// #[model(table = "users")]
/// struct User {
///     #[column(primary_key)]
///     id: i64,
///     name: String,
///     #[relationship(back_populates = "user")]
///     addresses: Many<Address>,
/// }
///
/// #[derive(aludel::Model)]
/// #[model(table = "addresses")]
/// struct Address {
///     #[column(primary_key)]
///     id: i64,
///     #[column(foreign_key = "users.id")]
///     user_id: Option<i64>,
///     email: String,
///     #[relationship(back_populates = "addresses")]
///     user: One<User>,
/// }
///
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// aludel::orm::create_all(&engine, &[User::info(), Address::info()])?;
/// let s = Session::new(&engine);
/// let ada = s.add(User { id: 1, name: "ada".into(), addresses: Many::new() })?;
/// let home = ada.read()?.addresses.push(Address { id: 0, user_id: None, email: "a@home".into(), user: One::new() })?;
/// // back_populates: the other side knows, before any flush.
/// assert!(home.read()?.user.get()?.unwrap().ptr_eq(&ada));
/// s.commit()?;
/// assert_eq!(home.read()?.user_id, Some(1));
/// s.close()?;
/// let s = Session::new(&engine);
/// let ada = s.get::<User>(1)?.unwrap();
/// assert_eq!(ada.read()?.addresses.all()?.len(), 1); // a lazy load
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct Many<T: Model> {
    slot: Slot<T>,
}

impl<T: Model> Many<T> {
    /// An empty, loaded collection (for a new object).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert!(aludel::orm::Many::<T>::new().loaded().unwrap().is_empty());
    /// ```
    pub fn new() -> Self {
        Many {
            slot: Slot::new(Some(Vec::new()), Vec::new()),
        }
    }

    /// The collection's objects, loading them first if needed (a SELECT through the
    /// owner's session, unless a loader option already filled it). Errors: the owner is
    /// detached ([`Error::DetachedInstance`]), the strategy refuses the load
    /// ([`Error::LazyLoadRefused`]), or the SELECT failed.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let m = aludel::orm::Many::from(vec![T { id: 1 }]);
    /// assert_eq!(m.all()?[0].read()?.id, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn all(&self) -> Result<Vec<Instance<T>>> {
        self.slot.load()
    }

    /// The loaded objects without touching the database, or `None` when not loaded.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// use aludel::orm::{Many, RelationField};
    /// assert!(Many::<T>::unloaded().loaded().is_none());
    /// ```
    pub fn loaded(&self) -> Option<Vec<Instance<T>>> {
        self.slot.alive()
    }

    /// Appends an object (loading the collection first if needed) and returns its
    /// instance. At the next flush its foreign key (or association row) is written; the
    /// object joins the owner's session (save-update cascade), and its `back_populates`
    /// side points to the owner at once.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let m = aludel::orm::Many::new();
    /// m.push(T { id: 1 })?;
    /// assert_eq!(m.loaded().unwrap().len(), 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn push(&self, item: impl IntoInstance<T>) -> Result<Instance<T>> {
        let item = item.into_instance();
        let present = self.all()?.iter().any(|i| i.ptr_eq(&item));
        if !present {
            self.slot.change(Some(item.clone()), None)?;
        }
        Ok(item)
    }

    /// Removes an object; returns whether it was there. At the next flush its foreign key
    /// is set to NULL (or the object deleted, with `delete-orphan`), or its association
    /// row deleted.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let m = aludel::orm::Many::new();
    /// let t = m.push(T { id: 1 })?;
    /// assert!(m.remove(&t)?);
    /// assert!(!m.remove(&t)?);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn remove(&self, item: &Instance<T>) -> Result<bool> {
        let present = self.all()?.iter().any(|i| i.ptr_eq(item));
        if present {
            self.slot.change(None, Some(item.clone()))?;
        }
        Ok(present)
    }

    /// The number of objects (loading the collection if needed).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(aludel::orm::Many::from(vec![T { id: 1 }, T { id: 2 }]).len()?, 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn len(&self) -> Result<usize> {
        Ok(self.all()?.len())
    }

    /// Whether the collection is empty (loading it if needed).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert!(aludel::orm::Many::<T>::new().is_empty()?);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.all()?.is_empty())
    }
}

impl<T: Model> Default for Many<T> {
    fn default() -> Self {
        Many::new()
    }
}

/// A new object's collection holding `items` (they are flushed as added).
impl<T: Model, I: IntoInstance<T>> From<Vec<I>> for Many<T> {
    fn from(items: Vec<I>) -> Self {
        let items: Vec<Instance<T>> = items.into_iter().map(IntoInstance::into_instance).collect();
        Many {
            slot: Slot::new(Some(items.clone()), items),
        }
    }
}

/// A copy holds the same objects, belongs to no instance and has no history.
impl<T: Model> Clone for Many<T> {
    fn clone(&self) -> Self {
        Many {
            slot: Slot::new(self.slot.alive(), Vec::new()),
        }
    }
}

impl<T: Model> fmt::Debug for Many<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.slot.alive() {
            Some(items) => write!(f, "Many<{}>({} loaded)", T::info().name, items.len()),
            None => write!(f, "Many<{}>(not loaded)", T::info().name),
        }
    }
}

impl<T: Model> RelationField for Many<T> {
    type Target = T;
    const USELIST: bool = true;

    fn unloaded() -> Self {
        Many {
            slot: Slot::new(None, Vec::new()),
        }
    }

    fn is_loaded(&self) -> bool {
        self.slot.is_loaded()
    }

    fn slot(&self) -> SlotRef<'_> {
        SlotRef(&self.slot)
    }
}

/// A many-to-one or one-to-one field: one related object or none.
///
/// ```
/// use aludel::orm::{Many, Model, One, Session};
///
/// #[derive(aludel::Model)]
/// #[model(table = "dept")]
/// struct Dept {
///     #[column(primary_key)]
///     id: i64,
/// }
///
/// #[derive(aludel::Model)]
/// #[model(table = "emp")]
/// struct Emp {
///     #[column(primary_key)]
///     id: i64,
///     #[column(foreign_key = "dept.id")]
///     dept_id: Option<i64>,
///     #[relationship]
///     dept: One<Dept>,
/// }
///
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// aludel::orm::create_all(&engine, &[Dept::info(), Emp::info()])?;
/// let s = Session::new(&engine);
/// let d = s.add(Dept { id: 7 })?;
/// let e = s.add(Emp { id: 1, dept_id: None, dept: One::new() })?;
/// e.read()?.dept.set(Some(&d))?;
/// s.flush()?;
/// assert_eq!(e.read()?.dept_id, Some(7)); // the flush wrote the foreign key
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct One<T: Model> {
    slot: Slot<T>,
}

impl<T: Model> One<T> {
    /// No object, loaded (for a new object).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert!(aludel::orm::One::<T>::new().get()?.is_none());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn new() -> Self {
        One {
            slot: Slot::new(Some(Vec::new()), Vec::new()),
        }
    }

    /// A new object's field pointing to `target` (flushed as set).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let one = aludel::orm::One::to(T { id: 3 });
    /// assert_eq!(one.get()?.unwrap().read()?.id, 3);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn to(target: impl IntoInstance<T>) -> Self {
        let target = target.into_instance();
        One {
            slot: Slot::new(Some(vec![target.clone()]), vec![target]),
        }
    }

    /// The related object, loading it first if needed: a many-to-one whose target is in
    /// the session's identity map costs no SQL. Errors as [`Many::all`].
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert!(aludel::orm::One::<T>::new().get()?.is_none());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get(&self) -> Result<Option<Instance<T>>> {
        Ok(self.slot.load()?.into_iter().next())
    }

    /// The loaded value without touching the database (`None` when not loaded).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(aludel::orm::One::<T>::new().loaded().map(|o| o.is_none()), Some(true));
    /// ```
    pub fn loaded(&self) -> Option<Option<Instance<T>>> {
        self.slot.alive().map(|v| v.into_iter().next())
    }

    /// Points the field to `target` (or to nothing). At the next flush the foreign key is
    /// written (a many-to-one) or the target's foreign key is (a one-to-one); the target
    /// joins the owner's session, and its `back_populates` side follows at once.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let one = aludel::orm::One::new();
    /// one.set(Some(&aludel::orm::Instance::new(T { id: 1 })))?;
    /// assert!(one.get()?.is_some());
    /// one.set(None)?;
    /// assert!(one.get()?.is_none());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn set(&self, target: Option<&Instance<T>>) -> Result<()> {
        let current = self.get()?;
        if let (Some(a), Some(b)) = (&current, target) {
            if a.ptr_eq(b) {
                return Ok(());
            }
        }
        self.slot.change(target.cloned(), current)?;
        if target.is_none() {
            // `change` recorded the removal; the field now holds nothing, loaded.
            self.slot.lock().items = Some(Vec::new());
        }
        Ok(())
    }
}

impl<T: Model> Default for One<T> {
    fn default() -> Self {
        One::new()
    }
}

/// A copy points to the same object, belongs to no instance and has no history.
impl<T: Model> Clone for One<T> {
    fn clone(&self) -> Self {
        One {
            slot: Slot::new(self.slot.alive(), Vec::new()),
        }
    }
}

impl<T: Model> fmt::Debug for One<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.loaded() {
            Some(Some(_)) => write!(f, "One<{}>(loaded)", T::info().name),
            Some(None) => write!(f, "One<{}>(none)", T::info().name),
            None => write!(f, "One<{}>(not loaded)", T::info().name),
        }
    }
}

impl<T: Model> RelationField for One<T> {
    type Target = T;
    const USELIST: bool = false;

    fn unloaded() -> Self {
        One {
            slot: Slot::new(None, Vec::new()),
        }
    }

    fn is_loaded(&self) -> bool {
        self.slot.is_loaded()
    }

    fn slot(&self) -> SlotRef<'_> {
        SlotRef(&self.slot)
    }
}

/// Binds every relationship field of a freshly wrapped object to it.
pub(crate) fn bind_all<T: Model>(object: &T, owner: &Weak<dyn AnyInstance>) {
    for (index, rel) in T::info().relationships.iter().enumerate() {
        if let Some(slot) = (rel.slot)(object as &dyn Any) {
            slot.bind(owner.clone(), index);
        }
    }
}

/// The loaded objects of relationship `index` of `obj` (alive ones), or `None` when it is
/// not loaded: what cascades and the flush walk, without loading anything.
pub(crate) fn loaded_related(
    obj: &Arc<dyn AnyInstance>,
    index: usize,
) -> Result<Option<Vec<Arc<dyn AnyInstance>>>> {
    let mut out = None;
    obj.with_slot(index, &mut |slot| {
        out = slot.current();
        Ok(())
    })?;
    Ok(out)
}
