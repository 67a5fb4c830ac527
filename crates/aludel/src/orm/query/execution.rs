//! Running the query: `all`, `first`, `one`, `one_or_none`, `scalar`, `get`, `count`,
//! `exists` (the Core EXISTS of the query) and `exists_scalar`.

use std::any::Any;

use crate::error::{Error, Result};
use crate::orm::instance::Instance;
use crate::orm::mapper::Model;
use crate::orm::query::{Query, Selection};
use crate::orm::session::{NoAutoflush, PrimaryKey, Session};
use crate::sql::{Expr, FromValue, Select, func, literal_column, select};

impl<M: Model, S: Selection> Query<M, S> {
    /// The session, once the query's recorded refusals (assertions) are checked.
    pub(crate) fn runnable(&self) -> Result<&Session> {
        if let Some(err) = &self.ctx.error {
            return Err(err.clone());
        }
        if let Some(err) = self.misuse_after_from_statement(None) {
            return Err(err);
        }
        self.session()
    }

    /// Suspends autoflush while the returned guard lives, when the query turned it off.
    pub(crate) fn autoflush_guard(&self, session: &Session) -> Option<NoAutoflush> {
        (!self.ctx.options.is_autoflush()).then(|| session.no_autoflush())
    }

    /// Runs a Core statement built from this query (count, exists) with its parameters.
    pub(crate) fn run_core(&self, stmt: &Select, method: &str) -> Result<crate::engine::ResultSet> {
        if let Some(err) = self.misuse_after_from_statement(Some(method)) {
            return Err(err);
        }
        let session = self.runnable()?;
        let _guard = self.autoflush_guard(session);
        let bind = crate::orm::binds::StatementBind::select(M::info(), stmt);
        session.execute_bound(bind, stmt, self.ctx.params.clone())
    }

    /// Every row: for a query of one entity (the default), every matching object
    /// (through the identity map), each once — as SQLAlchemy's `Query` does for a single
    /// entity, rows that are the same object (a user joined to three addresses) give it
    /// once, in first-seen order ([`count`](Self::count) still counts rows); for other
    /// selections ([`with_entities`](Self::with_entities), [`add_columns`](Self::add_columns),
    /// ...), one value per row, as the selection decodes it.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all([T { id: 1 }, T { id: 2 }])?;
    /// assert_eq!(s.query::<T>().all()?.len(), 2);
    /// assert_eq!(s.query::<T>().with_entities(T::id).order_by(T::id.desc()).all()?, [2, 1]);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn all(&self) -> Result<Vec<S::Output>> {
        if let Some(entity) = (self as &dyn Any).downcast_ref::<Query<M>>() {
            let objects: Box<dyn Any> = Box::new(entity.all_objects()?);
            return objects
                .downcast::<Vec<S::Output>>()
                .map(|rows| *rows)
                .map_err(|_| Error::invalid("a single-entity query's rows are its objects"));
        }
        let session = self.runnable()?;
        if self.ctx.from_statement.is_some() {
            return Err(Error::invalid(format!(
                "Query<{}>: from_statement() loads whole objects; with_entities, add_columns and the like do not apply to it",
                M::info().name
            )));
        }
        self.rows_on_shards(session)
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
    pub fn first(&self) -> Result<Option<S::Output>> {
        if self.ctx.from_statement.is_some() {
            return Ok(self.all()?.into_iter().next());
        }
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
    pub fn one(&self) -> Result<S::Output> {
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
    pub fn one_or_none(&self) -> Result<Option<S::Output>> {
        let mut all = self.all()?;
        match all.len() {
            0 => Ok(None),
            1 => Ok(all.pop()),
            _ => Err(Error::MultipleResultsFound),
        }
    }

    /// The first element of the only row, or `None` without rows; `MultipleResultsFound`
    /// with more (SQLAlchemy's `scalar`). A single-entity query's row is the object and a
    /// one-column query's row is the value; a tuple row gives its first element (`(name,
    /// id)` gives the name), a keyed [`Exprs`](crate::orm::Exprs) row its first value, and
    /// a [`Bundle`](crate::orm::Bundle) the whole bundle, as in SQLAlchemy.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add(T { id: 3 })?;
    /// assert_eq!(s.query::<T>().scalar()?.unwrap().read()?.id, 3);
    /// assert_eq!(s.query::<T>().with_entities((T::id, T::id)).scalar()?, Some(3));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn scalar(&self) -> Result<Option<S::Scalar>> {
        Ok(self.one_or_none()?.map(S::first))
    }

    /// The value of `column` in the query's first row, or `None` without rows (SQLAlchemy's
    /// `Query.value`): the query's SELECT with only that column.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all([T { id: 1, name: "a".into() }, T { id: 2, name: "b".into() }])?;
    /// assert_eq!(s.query::<T>().order_by(T::id.desc()).value::<String>(T::name)?, Some("b".into()));
    /// assert_eq!(s.query::<T>().filter(T::id.eq(9)).value::<String>(T::name)?, None);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn value<T: FromValue>(&self, column: impl Into<Expr>) -> Result<Option<T>> {
        let mut stmt = self.select.clone();
        stmt.columns = vec![self.adapted(&column.into())];
        let session = self.runnable()?;
        let mut rows = self.on_one_shard(session, "value", || self.run_core(&stmt, "value"))?;
        match rows.fetchone() {
            Some(row) => {
                let v = row
                    .into_values()
                    .into_iter()
                    .next()
                    .unwrap_or(crate::sql::Value::Null);
                T::from_value(v).map(Some)
            }
            None => Ok(None),
        }
    }
}

impl<M: Model> Query<M> {
    /// The objects of a single-entity query, each once.
    fn all_objects(&self) -> Result<Vec<Instance<M>>> {
        let session = self.runnable()?;
        let loaded = match &self.ctx.from_statement {
            Some(fs) => self.load_from_statement(fs)?,
            None => self.objects_on_shards(session)?,
        };
        Ok(unique(loaded))
    }

    /// The object with primary key `key` (identity map first, like [`Session::get`]);
    /// as in SQLAlchemy, the query's criteria do not apply. With
    /// [`populate_existing`](Self::populate_existing) the row is always read and overwrites
    /// the object in the session.
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
        if !self.ctx.options.is_populate_existing() {
            return self.session()?.get::<M>(key);
        }
        // populate_existing: always read the row, overwriting the object in the session.
        let info = M::info();
        let values = key.key_values();
        if values.len() != info.primary_key.len() {
            return Err(Error::InvalidRequest {
                message: format!(
                    "get: {} has {} primary key column(s), {} value(s) given",
                    info.name,
                    info.primary_key.len(),
                    values.len()
                ),
            });
        }
        let mut by_key = Query::<M>::new(Ok(self.session()?.clone()));
        by_key.ctx.options = self.ctx.options.clone();
        for (&i, v) in info.primary_key.iter().zip(values) {
            by_key = by_key.filter(info.column_expr(i).eq(v));
        }
        by_key.one_or_none()
    }
}

impl<M: Model, S: Selection> Query<M, S> {
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
        let session = self.runnable()?;
        match self.shards(session, &self.select)?[..] {
            [shard] => {
                let stmt =
                    select([func::count_star()]).from(self.select.clone().subquery("anon_1"));
                session
                    .inner
                    .on_shard(shard, || self.run_core(&stmt, "count")?.scalar())
            }
            ref shards => self.count_on_shards(session, shards),
        }
    }

    /// `EXISTS (SELECT 1 FROM ... WHERE ...)`: the query as a Core EXISTS, to use in other
    /// criteria or to select with [`exists_scalar`](Self::exists_scalar).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let e = aludel::orm::Session::new(&engine).query::<T>().filter(T::id.eq(1)).exists();
    /// assert_eq!(e.compile(&aludel::dialects::Postgres)?.sql, "EXISTS (SELECT 1 FROM t WHERE t.id = $1)");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn exists(&self) -> Expr {
        if let Some(err) = self.misuse_after_from_statement(Some("exists")) {
            return Expr::Invalid(std::sync::Arc::from(err.to_string()));
        }
        let mut inner = self.select.clone();
        inner.columns = vec![literal_column("1")];
        Expr::Exists(Box::new(inner.into()))
    }

    /// Whether the query matches any row: runs `SELECT EXISTS (SELECT 1 ...) AS anon_1`
    /// (SQLAlchemy's `session.query(q.exists()).scalar()`).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add(T { id: 1 })?;
    /// assert!(s.query::<T>().filter(T::id.eq(1)).exists_scalar()?);
    /// assert!(!s.query::<T>().filter(T::id.eq(2)).exists_scalar()?);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn exists_scalar(&self) -> Result<bool> {
        let stmt = select([self.exists().label("anon_1")]);
        let session = self.runnable()?;
        // Across shards: whether any of them has a row.
        for shard in self.shards(session, &self.select)? {
            let found: bool = session
                .inner
                .on_shard(shard, || self.run_core(&stmt, "exists_scalar")?.scalar())?;
            if found {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl<M: Model> Query<M> {
    /// The one object whose columns equal `pairs`, or `None` when no row or more than one
    /// matches (seed 003's `get_by`; never `MultipleResultsFound`).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all([T { id: 1, name: "a".into() }, T { id: 2, name: "b".into() }, T { id: 3, name: "b".into() }])?;
    /// assert_eq!(s.query::<T>().get_by(aludel::params! { "name" => "a" })?.unwrap().read()?.id, 1);
    /// assert!(s.query::<T>().get_by(aludel::params! { "name" => "b" })?.is_none());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get_by(&self, pairs: impl Into<crate::sql::Params>) -> Result<Option<Instance<M>>> {
        let mut found = self.filter_by_all(pairs).limit(2).all()?;
        Ok(if found.len() == 1 { found.pop() } else { None })
    }
}

/// `objects` without repeats of one object, in first-seen order. An object held by one
/// handle only (every object a load just built) appears once, so only objects with more
/// handles are looked up in a set; a plain load of new objects builds no set at all.
fn unique<M: Model>(objects: Vec<Instance<M>>) -> Vec<Instance<M>> {
    if objects.iter().all(|o| o.handle_count() == 1) {
        return objects;
    }
    let mut seen = std::collections::HashSet::new();
    objects
        .into_iter()
        .filter(|o| {
            o.handle_count() == 1
                || seen.insert(std::sync::Arc::as_ptr(&o.erased()).cast::<u8>() as usize)
        })
        .collect()
}
