//! [`Deferred<T>`]: a column field whose value the model's default SELECT leaves out and
//! which loads on first [`get`](Deferred::get) (SQLAlchemy's `deferred()` column).
//!
//! Like a relationship field, it knows the object that owns it (bound when the object is
//! wrapped in an [`Instance`](crate::orm::Instance)) and which column it is, so reading
//! it unloaded loads through the owner's session. Its state sits behind its own small lock:
//! a load fills it through a read guard of the owner.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::error::{Error, Result};
use crate::orm::instance::AnyInstance;
use crate::orm::mapper::{Model, SqlTyped};
use crate::sql::{FromValue, FromValueRef, SqlType, ToValue, Value, ValueRef};

/// A deferred column: its value loads on first [`get`](Deferred::get), with one SELECT of
/// the column (and of the other columns of its `group`) by primary key, unless the query
/// loaded it ([`undefer`](crate::orm::undefer), [`undefer_group`](crate::orm::undefer_group),
/// [`load_only`](crate::orm::load_only)). A new object's field is loaded
/// ([`Deferred::new`]).
///
/// ```
/// use aludel::orm::{Deferred, Model, Session};
///
/// #[derive(aludel::Model)]
/// #[model(table = "docs")]
/// struct Doc {
///     #[column(primary_key)]
///     id: i64,
///     title: String,
///     body: Deferred<String>,
/// }
///
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// aludel::orm::create_all(&engine, &[Doc::info()])?;
/// let s = Session::new(&engine);
/// s.add(Doc { id: 1, title: "t".into(), body: Deferred::new("long text".into()) })?;
/// s.commit()?;
/// let s = Session::new(&engine);
/// let doc = s.get::<Doc>(1)?.unwrap();
/// assert!(!doc.read()?.body.is_loaded()); // the SELECT left `body` out
/// assert_eq!(doc.read()?.body.get()?, "long text"); // one more SELECT
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct Deferred<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    /// `None` while not loaded.
    value: Option<T>,
    /// Set by [`Deferred::set`]: the flush writes the column even if the value looks the
    /// same as before (it was never loaded, so there is nothing to compare with).
    modified: bool,
    /// The owning object and the column's index in its model.
    owner: Option<(Weak<dyn AnyInstance>, usize)>,
    /// Loaded by a query with `defer(col).raiseload()`: reading it unloaded is an error
    /// instead of a SELECT.
    raise: bool,
}

impl<T> Deferred<T> {
    fn with(value: Option<T>, modified: bool) -> Self {
        Deferred {
            state: Mutex::new(State {
                value,
                modified,
                owner: None,
                raise: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A loaded field holding `value` (for a new object).
    ///
    /// ```
    /// let d = aludel::orm::Deferred::new(5);
    /// assert_eq!(d.loaded(), Some(5));
    /// ```
    pub fn new(value: T) -> Self {
        Deferred::with(Some(value), false)
    }

    /// The field of an object loaded without this column: not loaded yet (used by
    /// `#[derive(Model)]`).
    ///
    /// ```
    /// assert!(!aludel::orm::Deferred::<String>::unloaded().is_loaded());
    /// ```
    pub fn unloaded() -> Self {
        Deferred::with(None, false)
    }

    /// Whether the value is loaded (reading it needs no SQL).
    ///
    /// ```
    /// assert!(aludel::orm::Deferred::new(1).is_loaded());
    /// ```
    pub fn is_loaded(&self) -> bool {
        self.lock().value.is_some()
    }

    /// Replaces the value; the next flush writes the column (take the owner's
    /// [`write`](crate::orm::Instance::write) guard). Setting an unloaded field does not
    /// load it first.
    ///
    /// ```
    /// let mut d = aludel::orm::Deferred::<String>::unloaded();
    /// d.set("new".into());
    /// assert_eq!(d.loaded().as_deref(), Some("new"));
    /// ```
    pub fn set(&mut self, value: T) {
        let st = self.state.get_mut().unwrap_or_else(|p| p.into_inner());
        st.value = Some(value);
        st.modified = true;
    }
}

impl<T: Clone> Deferred<T> {
    /// The loaded value without touching the database, or `None` when not loaded.
    ///
    /// ```
    /// assert_eq!(aludel::orm::Deferred::<i64>::unloaded().loaded(), None);
    /// ```
    pub fn loaded(&self) -> Option<T> {
        self.lock().value.clone()
    }
}

impl<T: Clone + FromValue + Send + 'static> Deferred<T> {
    /// The value, loading it first if needed: one SELECT of the column and the other
    /// unloaded columns of its group, by the owner's primary key, through the owner's
    /// session. Errors: the owner is detached ([`Error::DetachedInstance`]), the field
    /// belongs to no instance, the row is gone ([`Error::ObjectDeleted`]), or the SELECT
    /// failed.
    ///
    /// ```
    /// assert_eq!(aludel::orm::Deferred::new(3).get()?, 3);
    /// let err = aludel::orm::Deferred::<i64>::unloaded().get().unwrap_err();
    /// assert!(err.to_string().contains("not part of an instance"), "{err}");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get(&self) -> Result<T> {
        if let Some(v) = self.loaded() {
            return Ok(v);
        }
        let (owner, raise) = {
            let st = self.lock();
            (st.owner.clone(), st.raise)
        };
        if raise {
            let name = owner
                .as_ref()
                .and_then(|(w, c)| Some((w.upgrade()?, *c)))
                .map(|(o, c)| format!("{}.{}", o.info().name, o.info().fields[c]))
                .unwrap_or_else(|| "a deferred column".to_owned());
            return Err(Error::LazyLoadRefused {
                message: format!(
                    "{name} was deferred with raiseload by the query that loaded it; undefer it in that query to read it"
                ),
            });
        }
        let Some((owner, column)) = owner.and_then(|(w, c)| Some((w.upgrade()?, c))) else {
            return Err(Error::invalid(
                "this deferred column is not part of an instance, so it cannot load; wrap the object with Instance::new or add it to a session",
            ));
        };
        let values = super::load::load_group(&owner, column)?;
        // The field fills itself (its owner may be behind a write guard); the load
        // filled the group's other unloaded columns through the owner when it could.
        let mine = values
            .into_iter()
            .find(|(c, _)| *c == column)
            .map(|(_, v)| v)
            .unwrap_or(Value::Null);
        self.fill(mine)?;
        self.loaded()
            .ok_or_else(|| Error::invalid("a deferred column loaded no value"))
    }
}

/// A deferred field as code without its value type sees it (loading, the flush).
pub(crate) trait AnyDeferred: Send + Sync {
    /// Records the owning object and the column's index in its model.
    fn bind(&self, owner: Weak<dyn AnyInstance>, column: usize);
    /// Whether the value is loaded.
    fn is_loaded(&self) -> bool;
    /// Stores a value read from the database, unless one is loaded already.
    fn fill(&self, value: Value) -> Result<()>;
    /// Whether [`Deferred::set`] changed it since the last flush.
    fn is_modified(&self) -> bool;
    /// Forgets the change (after a successful flush).
    fn clear_modified(&self);
    /// Makes reading it unloaded an error (`defer(col).raiseload()`).
    fn set_raise(&self);
}

impl<T: FromValue + Send + 'static> AnyDeferred for Deferred<T> {
    fn bind(&self, owner: Weak<dyn AnyInstance>, column: usize) {
        self.lock().owner = Some((owner, column));
    }

    fn is_loaded(&self) -> bool {
        Deferred::is_loaded(self)
    }

    fn fill(&self, value: Value) -> Result<()> {
        let mut st = self.lock();
        if st.value.is_none() {
            st.value = Some(T::from_value(value)?);
        }
        Ok(())
    }

    fn is_modified(&self) -> bool {
        self.lock().modified
    }

    fn clear_modified(&self) {
        self.lock().modified = false;
    }

    fn set_raise(&self) {
        self.lock().raise = true;
    }
}

/// Unloaded, the column's value is unknown: NULL here, and never written by a flush
/// (the flush leaves unloaded deferred columns out).
impl<T: ToValue> ToValue for Deferred<T> {
    fn to_value(&self) -> Value {
        self.lock()
            .value
            .as_ref()
            .map_or(Value::Null, ToValue::to_value)
    }
}

/// A value read from the database: loaded.
impl<T: FromValue> FromValue for Deferred<T> {
    fn from_value(value: Value) -> Result<Self> {
        Ok(Deferred::with(Some(T::from_value(value)?), false))
    }
}

/// A cell read from the database: loaded.
impl<T: FromValueRef> FromValueRef for Deferred<T> {
    fn from_value_ref(value: ValueRef<'_>) -> Result<Self> {
        Ok(Deferred::with(Some(T::from_value_ref(value)?), false))
    }
}

/// The column's SQL type is the value's.
impl<T: SqlTyped> SqlTyped for Deferred<T> {
    const NULLABLE: bool = T::NULLABLE;

    fn sql_type() -> SqlType {
        T::sql_type()
    }
}

impl<T> From<T> for Deferred<T> {
    fn from(value: T) -> Self {
        Deferred::new(value)
    }
}

/// A copy holds the same value (or none), belongs to no instance and has no change.
impl<T: Clone> Clone for Deferred<T> {
    fn clone(&self) -> Self {
        Deferred::with(self.loaded(), false)
    }
}

impl<T: fmt::Debug> fmt::Debug for Deferred<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.lock().value {
            Some(v) => write!(f, "Deferred({v:?})"),
            None => write!(f, "Deferred(not loaded)"),
        }
    }
}

/// One deferred column of a model: its index, its group and how to reach its field in an
/// object (built by `#[derive(Model)]`, listed in
/// [`ModelInfo::deferred`](crate::orm::ModelInfo::deferred)).
///
/// ```
/// use aludel::orm::{Deferred, Model};
/// #[derive(aludel::Model)]
/// #[model(table = "docs")]
/// struct Doc { #[column(primary_key)] id: i64, #[column(group = "text")] body: Deferred<String> }
/// let d = &Doc::info().deferred[0];
/// assert_eq!((d.column, d.group), (1, Some("text")));
/// ```
pub struct DeferredColumn {
    /// The column's index in the model.
    pub column: usize,
    /// The group whose columns load together (`#[column(group = "...")]`).
    pub group: Option<&'static str>,
    field: FieldAccess,
}

/// Reaches a deferred field in an object of the model (erased).
type FieldAccess = Box<dyn Fn(&dyn Any) -> Option<&dyn AnyDeferred> + Send + Sync>;

impl DeferredColumn {
    /// Describes column `column` of model `M`, reached with `field` (used by the derive).
    ///
    /// ```
    /// use aludel::orm::{Deferred, DeferredColumn};
    /// struct Doc { body: Deferred<String> }
    /// let d = DeferredColumn::new::<Doc, String>(1, None, |d| &d.body);
    /// assert_eq!(d.column, 1);
    /// ```
    pub fn new<M: 'static, T: FromValue + Send + 'static>(
        column: usize,
        group: Option<&'static str>,
        field: fn(&M) -> &Deferred<T>,
    ) -> Self {
        DeferredColumn {
            column,
            group,
            field: Box::new(move |object| {
                let object = object.downcast_ref::<M>()?;
                Some(field(object) as &dyn AnyDeferred)
            }),
        }
    }

    /// The field in `object` (an `M`).
    pub(crate) fn field<'a>(&self, object: &'a dyn Any) -> Option<&'a dyn AnyDeferred> {
        (self.field)(object)
    }
}

impl fmt::Debug for DeferredColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeferredColumn({}, {:?})", self.column, self.group)
    }
}

/// Binds every deferred field of a freshly wrapped object to it.
pub(crate) fn bind_deferred<T: Model>(object: &T, owner: &Weak<dyn AnyInstance>) {
    for d in &T::info().deferred {
        if let Some(field) = d.field(object as &dyn Any) {
            field.bind(owner.clone(), d.column);
        }
    }
}

/// Makes the deferred fields of `columns` in a freshly loaded object refuse to load on
/// access (the query deferred them with `raiseload`).
pub(crate) fn mark_raising<T: Model>(object: &T, columns: &[usize]) {
    for d in T::info()
        .deferred
        .iter()
        .filter(|d| columns.contains(&d.column))
    {
        if let Some(field) = d.field(object as &dyn Any) {
            field.set_raise();
        }
    }
}

/// Runs `f` on each deferred field of `obj` with its column (through a read guard of the
/// owner); `false` when the owner is behind a write guard (nothing ran).
pub(crate) fn each_field(
    obj: &Arc<dyn AnyInstance>,
    f: &mut dyn FnMut(usize, &dyn AnyDeferred) -> Result<()>,
) -> Result<bool> {
    let info = obj.info();
    if info.deferred.is_empty() {
        return Ok(true);
    }
    obj.with_object(&mut |object| {
        for d in &info.deferred {
            if let Some(field) = d.field(object) {
                f(d.column, field)?;
            }
        }
        Ok(())
    })
}
