//! [`Query<M>`]: the generative ORM query (SQLAlchemy's `Query`). Each method returns a new
//! query; nothing runs until `all`, `first`, `one`, `one_or_none`, `get` or `count`.
//!
//! ```
//! use aludel::orm::{Model, Session};
//!
//! #[derive(aludel::Model, Debug, Clone)]
//! #[model(table = "employees")]
//! struct Employee {
//!     #[column(primary_key)]
//!     emp_no: i32,
//!     last_name: String,
//! }
//!
//! let engine = aludel::create_engine("sqlite://:memory:")?;
//! aludel::orm::create_all(&engine, &[Employee::info()])?;
//! let s = Session::new(&engine);
//! s.add(Employee { emp_no: 16621, last_name: "Strehl".into() })?;
//! let e = s.query::<Employee>().filter(Employee::emp_no.eq(16621)).first()?.unwrap();
//! assert_eq!(e.read()?.last_name, "Strehl");
//! let n = s.query::<Employee>().filter_by("last_name", "Strehl").count()?;
//! assert_eq!(n, 1);
//! # Ok::<(), aludel::Error>(())
//! ```

use std::marker::PhantomData;

use crate::error::{Error, Result};
use crate::orm::instance::Instance;
use crate::orm::mapper::Model;
use crate::orm::session::{PrimaryKey, Session};
use crate::sql::{Expr, OrderBy, Select, ToValue, func, select};

/// A query for objects of model `M`.
pub struct Query<M: Model> {
    session: Result<Session, Error>,
    select: Select,
    _model: PhantomData<fn() -> M>,
}

impl<M: Model> Clone for Query<M> {
    fn clone(&self) -> Self {
        Query {
            session: self.session.clone(),
            select: self.select.clone(),
            _model: PhantomData,
        }
    }
}

impl<M: Model> std::fmt::Debug for Query<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Query<{}>({:?})", M::info().name, self.select)
    }
}

impl<M: Model> Query<M> {
    /// A query through `session` (or an error to report when it runs, e.g. a scoped
    /// session used before configuration).
    pub(crate) fn new(session: Result<Session, Error>) -> Self {
        let info = M::info();
        let columns = (0..info.columns().len()).map(|i| info.column_expr(i));
        Query {
            session,
            select: select(columns).from(&info.table),
            _model: PhantomData,
        }
    }

    fn with(&self, f: impl FnOnce(Select) -> Select) -> Self {
        Query {
            session: self.session.clone(),
            select: f(self.select.clone()),
            _model: PhantomData,
        }
    }

    fn session(&self) -> Result<&Session> {
        self.session.as_ref().map_err(Clone::clone)
    }

    /// The SELECT this query runs.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().limit(3);
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id FROM t LIMIT ?");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn statement(&self) -> &Select {
        &self.select
    }

    /// Adds a WHERE criterion (AND-ed with the others).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().filter(T::id.gt(1)).filter(T::id.lt(9));
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id FROM t WHERE t.id > ? AND t.id < ?");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn filter(&self, criterion: Expr) -> Self {
        self.with(|s| s.where_(criterion))
    }

    /// Adds `column = value` for a column named by its field (or column) name; an unknown
    /// name makes the query fail with an error naming the model and the column.
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// assert!(s.query::<T>().filter_by("id", 1).all()?.is_empty());
    /// let err = s.query::<T>().filter_by("nope", 1).all().unwrap_err();
    /// assert!(err.to_string().contains("T has no column 'nope'"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn filter_by(&self, column: &str, value: impl ToValue) -> Self {
        let info = M::info();
        let criterion = match info.column_index(column) {
            Some(i) => info.column_expr(i).eq(value.to_value()),
            None => Expr::Invalid(std::sync::Arc::from(format!(
                "filter_by: model {} has no column '{column}' (columns: {})",
                info.name,
                info.fields.join(", ")
            ))),
        };
        self.filter(criterion)
    }

    /// Adds an ORDER BY key.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().order_by(T::id.desc());
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id FROM t ORDER BY t.id DESC");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn order_by(&self, key: impl Into<OrderBy>) -> Self {
        let key = key.into();
        self.with(|s| s.order_by(key))
    }

    /// Sets LIMIT.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all([T { id: 1 }, T { id: 2 }, T { id: 3 }])?;
    /// assert_eq!(s.query::<T>().limit(2).all()?.len(), 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn limit(&self, n: u64) -> Self {
        self.with(|s| s.limit(n))
    }

    /// Sets OFFSET.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all([T { id: 1 }, T { id: 2 }, T { id: 3 }])?;
    /// let rest = s.query::<T>().order_by(T::id).offset(2).all()?;
    /// assert_eq!(rest[0].read()?.id, 3);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn offset(&self, n: u64) -> Self {
        self.with(|s| s.offset(n))
    }

    /// Every matching object (through the identity map).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all([T { id: 1 }, T { id: 2 }])?;
    /// assert_eq!(s.query::<T>().all()?.len(), 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn all(&self) -> Result<Vec<Instance<M>>> {
        self.session()?.load::<M>(&self.select)
    }

    /// The first matching object (with LIMIT 1), or `None`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// assert!(s.query::<T>().first()?.is_none());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn first(&self) -> Result<Option<Instance<M>>> {
        Ok(self.limit(1).all()?.into_iter().next())
    }

    /// Exactly one object: `NoResultFound` or `MultipleResultsFound` otherwise.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// assert!(matches!(s.query::<T>().one(), Err(aludel::Error::NoResultFound)));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn one(&self) -> Result<Instance<M>> {
        self.one_or_none()?.ok_or(Error::NoResultFound)
    }

    /// One object or `None`; `MultipleResultsFound` if there are more.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all([T { id: 1 }, T { id: 2 }])?;
    /// assert!(matches!(s.query::<T>().one_or_none(), Err(aludel::Error::MultipleResultsFound)));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn one_or_none(&self) -> Result<Option<Instance<M>>> {
        let mut all = self.all()?;
        match all.len() {
            0 => Ok(None),
            1 => Ok(all.pop()),
            _ => Err(Error::MultipleResultsFound),
        }
    }

    /// The object with primary key `key` (identity map first, like [`Session::get`]);
    /// as in SQLAlchemy, the query's criteria do not apply.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let t = s.add(T { id: 4 })?;
    /// s.flush()?;
    /// assert!(s.query::<T>().get(4)?.unwrap().ptr_eq(&t));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get(&self, key: impl PrimaryKey) -> Result<Option<Instance<M>>> {
        self.session()?.get::<M>(key)
    }

    /// How many rows the query matches: `SELECT count(*) FROM (query) AS anon_1`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all([T { id: 1 }, T { id: 2 }])?;
    /// assert_eq!(s.query::<T>().filter(T::id.gt(1)).count()?, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn count(&self) -> Result<i64> {
        let stmt = select([func::count_star()]).from(self.select.clone().subquery("anon_1"));
        self.session()?.run_statement(&stmt)?.scalar()
    }
}
