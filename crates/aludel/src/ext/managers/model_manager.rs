//! [`ModelManager<M>`]: creating, finding and updating objects of one model from named
//! values, validated before anything is set.

use std::marker::PhantomData;
use std::ops::Deref;

use crate::error::{Error, Result};
use crate::ext::managers::SessionManager;
use crate::ext::managers::base_model::{BaseModel, column_of};
use crate::orm::{Instance, Model, PrimaryKey, Query, Session};
use crate::sql::{Expr, LockOptions, Params};

/// The manager of model `M` (sqlalchemy-unchained's `ModelManager`): every database
/// interaction for `M` goes through it. It derefs to its [`SessionManager`], so `save`,
/// `save_all`, `commit` and `no_autoflush` are there too. A manager holds no state but its
/// session source, so "one instance per manager type" is any instance: make them freely.
///
/// Values are named by field (or column) name with [`params!`](crate::params); an unknown
/// name is an error naming the model and its fields.
///
/// ```
/// use aludel::ext::managers::{ModelManager, SessionManager};
/// use aludel::orm::{create_all, Model, Session};
/// use aludel::params;
///
/// #[derive(aludel::Model, Debug, Clone)]
/// #[model(table = "tags")]
/// struct Tag {
///     #[column(primary_key)]
///     id: i64,
///     #[column(max_len = 20, unique)]
///     name: String,
///     color: Option<String>,
/// }
///
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// create_all(&engine, &[Tag::info()])?;
/// let tags = ModelManager::<Tag>::new(SessionManager::with_session(Session::new(&engine)));
/// let (rust, created) = tags.get_or_create(params! { "name" => "rust" }, params! { "color" => "orange" }, true)?;
/// assert!(created);
/// let (again, created) = tags.get_or_create(params! { "name" => "rust" }, params! {}, true)?;
/// assert!(!created && again.ptr_eq(&rust));
/// tags.update(&rust, params! { "color" => "red" }, true)?;
/// assert_eq!(tags.get_by(params! { "color" => "red" })?.unwrap().read()?.name, "rust");
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct ModelManager<M: Model> {
    sessions: SessionManager,
    _model: PhantomData<fn() -> M>,
}

impl<M: Model> Clone for ModelManager<M> {
    fn clone(&self) -> Self {
        ModelManager {
            sessions: self.sessions.clone(),
            _model: PhantomData,
        }
    }
}

impl<M: Model> Deref for ModelManager<M> {
    type Target = SessionManager;
    fn deref(&self) -> &SessionManager {
        &self.sessions
    }
}

impl<M: Model> ModelManager<M> {
    /// The manager of `M` on `sessions` (`SessionManager::new()` for the scoped session set
    /// at start-up).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let m = aludel::ext::managers::ModelManager::<T>::new(aludel::ext::managers::SessionManager::new());
    /// # let _ = m;
    /// ```
    pub fn new(sessions: SessionManager) -> Self {
        ModelManager {
            sessions,
            _model: PhantomData,
        }
    }

    /// Builds an `M` from named values, validating every column first (unchained's
    /// `BaseModel(**kwargs)`): a missing NOT NULL value is "`<Field> is required.`" unless
    /// the database fills it (autoincrement key, defaults); every failure is reported at
    /// once as [`Error::Validation`].
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, #[column(max_len = 3)] code: String }
    /// use aludel::ext::managers::{ModelManager, SessionManager};
    /// let m = ModelManager::<T>::new(SessionManager::new());
    /// assert_eq!(m.build(&aludel::params! { "code" => "abc" })?.code, "abc");
    /// let err = m.build(&aludel::params! {}).unwrap_err();
    /// assert_eq!(err.to_string(), "validation failed for T: code: Code is required.");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn build(&self, values: &Params) -> Result<M> {
        M::build(values)
    }

    /// Builds, validates and adds a new object; commits if `commit`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, n: i32 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// use aludel::ext::managers::{ModelManager, SessionManager};
    /// let m = ModelManager::<T>::new(SessionManager::with_session(aludel::orm::Session::new(&engine)));
    /// let t = m.create(aludel::params! { "n" => 7 }, true)?;
    /// assert!(t.read()?.id > 0);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn create(&self, values: Params, commit: bool) -> Result<Instance<M>> {
        let object = self.build(&values)?;
        self.save(object, commit)
    }

    /// Sets named values on `instance` after validating just those columns (unchained's
    /// `update(partial_validation=True)`); nothing is set if any fails. Commits if `commit`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, #[column(max_len = 2)] code: String }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// use aludel::ext::managers::{ModelManager, SessionManager};
    /// let m = ModelManager::<T>::new(SessionManager::with_session(aludel::orm::Session::new(&engine)));
    /// let t = m.create(aludel::params! { "code" => "ab" }, true)?;
    /// assert!(m.update(&t, aludel::params! { "code" => "abc" }, true).is_err());
    /// assert_eq!(t.read()?.code, "ab");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn update(&self, instance: &Instance<M>, values: Params, commit: bool) -> Result<()> {
        instance.write()?.update(&values, true)?;
        if commit {
            self.commit()?;
        }
        Ok(())
    }

    /// The object matching `values` exactly, or a new one built from `values` and
    /// `defaults` (values win), with whether it was created. The lookup runs with autoflush
    /// off. Several matches are `Error::MultipleResultsFound` (sqlalchemy-unchained would
    /// create yet another row). Safe under concurrency: the INSERT runs in a savepoint, and
    /// when another transaction created the row first (a unique constraint refuses ours),
    /// the savepoint is rolled back and that row is returned, read with a share lock so
    /// MySQL's REPEATABLE READ sees it too. Commits if `commit`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, #[column(unique)] n: i32 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// use aludel::ext::managers::{ModelManager, SessionManager};
    /// let m = ModelManager::<T>::new(SessionManager::with_session(aludel::orm::Session::new(&engine)));
    /// let (_, created) = m.get_or_create(aludel::params! { "n" => 1 }, aludel::params! {}, true)?;
    /// assert!(created);
    /// assert!(!m.get_or_create(aludel::params! { "n" => 1 }, aludel::params! {}, true)?.1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get_or_create(
        &self,
        values: Params,
        defaults: Params,
        commit: bool,
    ) -> Result<(Instance<M>, bool)> {
        let session = self.session()?;
        // SQLite refuses a write from a transaction that has read while another
        // connection writes ("database is locked", without waiting: its snapshot would be
        // stale), and a serializable transaction elsewhere fails the same way. When the
        // transaction holds nothing but this call's work, start it again, a few times
        // with a growing pause: once the other caller commits, the lookup sees its row.
        let ours_alone = !session.in_transaction() && !session.has_changes();
        let mut pause = std::time::Duration::from_millis(5);
        for _ in 0..RETRIES {
            match self.get_or_create_once(&session, &values, &defaults, commit) {
                Err(e) if ours_alone && is_lock_conflict(&e) => {
                    session.rollback()?;
                    std::thread::sleep(pause);
                    pause *= 2;
                }
                other => return other,
            }
        }
        self.get_or_create_once(&session, &values, &defaults, commit)
    }

    fn get_or_create_once(
        &self,
        session: &Session,
        values: &Params,
        defaults: &Params,
        commit: bool,
    ) -> Result<(Instance<M>, bool)> {
        let found = {
            let _no_autoflush = session.no_autoflush();
            self.find_one(session, values, false)?
        };
        if let Some(existing) = found {
            return Ok((existing, false));
        }
        let object = self.build(&merged(values, defaults))?;
        let savepoint = session.begin_nested()?;
        let created = session.add(object)?;
        match session.flush() {
            Ok(()) => savepoint.commit()?,
            Err(Error::Integrity(cause)) => {
                savepoint.rollback()?;
                return match self.find_one(session, values, true)? {
                    Some(existing) => {
                        if commit {
                            session.commit()?;
                        }
                        Ok((existing, false))
                    }
                    None => Err(Error::Integrity(cause)),
                };
            }
            Err(e) => {
                let _ = savepoint.rollback();
                return Err(e);
            }
        }
        if commit {
            session.commit()?;
        }
        Ok((created, true))
    }

    /// Updates the object matching `values` with `defaults`, or creates it from both;
    /// returns it and whether it was created. Commits if `commit`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, #[column(unique)] n: i32, m: i32 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// use aludel::ext::managers::{ModelManager, SessionManager};
    /// let mgr = ModelManager::<T>::new(SessionManager::with_session(aludel::orm::Session::new(&engine)));
    /// let (t, created) = mgr.update_or_create(aludel::params! { "n" => 1 }, aludel::params! { "m" => 5 }, true)?;
    /// assert!(created);
    /// let (u, created) = mgr.update_or_create(aludel::params! { "n" => 1 }, aludel::params! { "m" => 6 }, true)?;
    /// assert!(!created && u.ptr_eq(&t) && u.read()?.m == 6);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn update_or_create(
        &self,
        values: Params,
        defaults: Params,
        commit: bool,
    ) -> Result<(Instance<M>, bool)> {
        let (instance, created) = self.get_or_create(values, defaults.clone(), false)?;
        if !created {
            self.update(&instance, defaults, false)?;
        }
        if commit {
            self.commit()?;
        }
        Ok((instance, created))
    }

    /// A query for `M` through the manager's session (unchained's `query`).
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// use aludel::ext::managers::{ModelManager, SessionManager};
    /// let m = ModelManager::<T>::new(SessionManager::with_session(aludel::orm::Session::new(&engine)));
    /// assert_eq!(m.query()?.count()?, 0);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn query(&self) -> Result<Query<M>> {
        Ok(self.session()?.query::<M>())
    }

    /// Shorthand for [`query`](Self::query) (unchained's `q`).
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// # let m = aludel::ext::managers::ModelManager::<T>::new(aludel::ext::managers::SessionManager::with_session(aludel::orm::Session::new(&engine)));
    /// assert!(m.q()?.all()?.is_empty());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn q(&self) -> Result<Query<M>> {
        self.query()
    }

    /// Every object of `M`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// # let m = aludel::ext::managers::ModelManager::<T>::new(aludel::ext::managers::SessionManager::with_session(aludel::orm::Session::new(&engine)));
    /// m.create(aludel::params! {}, false)?;
    /// assert_eq!(m.all()?.len(), 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn all(&self) -> Result<Vec<Instance<M>>> {
        self.query()?.all()
    }

    /// The object with primary key `key` (the identity map first).
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// # let m = aludel::ext::managers::ModelManager::<T>::new(aludel::ext::managers::SessionManager::with_session(aludel::orm::Session::new(&engine)));
    /// let t = m.create(aludel::params! {}, true)?;
    /// let id = t.read()?.id;
    /// assert!(m.get(id)?.unwrap().ptr_eq(&t));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get(&self, key: impl PrimaryKey) -> Result<Option<Instance<M>>> {
        self.session()?.get::<M>(key)
    }

    /// The object matching every named value, when exactly one does; `None` when none or
    /// several do (seed 003's `get_by`).
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, n: i32 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// # let m = aludel::ext::managers::ModelManager::<T>::new(aludel::ext::managers::SessionManager::with_session(aludel::orm::Session::new(&engine)));
    /// m.create(aludel::params! { "n" => 1 }, false)?;
    /// m.create(aludel::params! { "n" => 1 }, false)?;
    /// m.create(aludel::params! { "n" => 2 }, false)?;
    /// assert!(m.get_by(aludel::params! { "n" => 1 })?.is_none());
    /// assert!(m.get_by(aludel::params! { "n" => 2 })?.is_some());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get_by(&self, values: Params) -> Result<Option<Instance<M>>> {
        let mut rows = self.filter_by(values)?.limit(2).all()?;
        Ok(if rows.len() == 1 { rows.pop() } else { None })
    }

    /// A query for `M` filtered by `criterion`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, n: i32 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// # let m = aludel::ext::managers::ModelManager::<T>::new(aludel::ext::managers::SessionManager::with_session(aludel::orm::Session::new(&engine)));
    /// m.create(aludel::params! { "n" => 3 }, false)?;
    /// assert_eq!(m.filter(T::n.gt(2))?.count()?, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn filter(&self, criterion: Expr) -> Result<Query<M>> {
        Ok(self.query()?.filter(criterion))
    }

    /// A query for `M` filtered by `name = value` for each named value (an unknown name
    /// is an error naming the model and its fields).
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, n: i32 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// # let m = aludel::ext::managers::ModelManager::<T>::new(aludel::ext::managers::SessionManager::with_session(aludel::orm::Session::new(&engine)));
    /// assert_eq!(m.filter_by(aludel::params! { "n" => 3 })?.count()?, 0);
    /// assert!(m.filter_by(aludel::params! { "nope" => 3 }).is_err());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn filter_by(&self, values: Params) -> Result<Query<M>> {
        let info = M::info();
        let mut query = self.query()?;
        for (name, value) in values.0 {
            let i = column_of(info, &name)?;
            let column = &info.fields[i];
            query = query.filter_by(column, value);
        }
        Ok(query)
    }

    /// The one object matching `values` in `session`, locking it for share when `lock`
    /// (which also makes MySQL's REPEATABLE READ read the latest committed row).
    fn find_one(
        &self,
        session: &Session,
        values: &Params,
        lock: bool,
    ) -> Result<Option<Instance<M>>> {
        let manager = ModelManager::<M>::new(SessionManager::with_session(session.clone()));
        let query = manager.filter_by(values.clone())?.limit(2);
        let mut rows = if lock {
            query.with_for_update(LockOptions::share()).all()?
        } else {
            query.all()?
        };
        match rows.len() {
            0 | 1 => Ok(rows.pop()),
            _ => Err(Error::MultipleResultsFound),
        }
    }
}

/// How many times `get_or_create` starts its own transaction again after a lock conflict
/// (pauses of 5 ms doubling: about 1.3 s in all before the last try).
const RETRIES: usize = 8;

/// A conflict that starting the transaction again can resolve: SQLite's "database is
/// locked" on a stale snapshot, a serialization failure, a deadlock.
fn is_lock_conflict(error: &Error) -> bool {
    use crate::error::DatabaseErrorKind::{Deadlock, LockTimeout, SerializationFailure};
    matches!(error, Error::Operational(e) if matches!(e.kind, LockTimeout | SerializationFailure | Deadlock))
}

/// `values` plus the `defaults` they do not name.
fn merged(values: &Params, defaults: &Params) -> Params {
    let mut all = values.clone();
    for (name, value) in &defaults.0 {
        if values.get(name).is_none() {
            all.0.push((name.clone(), value.clone()));
        }
    }
    all
}
