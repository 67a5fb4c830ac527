//! Ordering and windows of rows: `order_by` (one key, several, or reset), `limit`,
//! `offset` (and their resets) and `slice`.

use crate::orm::mapper::Model;
use crate::orm::query::{Query, Selection};
use crate::sql::adapt::adapt_order_by;
use crate::sql::{FromItem, OrderBy};

impl<M: Model, S: Selection> Query<M, S> {
    /// Adds an ORDER BY key (after the existing ones).
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
        self.order_by_keys([key.into()])
    }

    /// Adds several ORDER BY keys, in order (SQLAlchemy's `order_by(a, b)`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().order_by_keys([T::name.desc(), T::id.asc()]);
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT t.id, t.name FROM t ORDER BY t.name DESC, t.id ASC"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn order_by_keys<K: Into<OrderBy>>(&self, keys: impl IntoIterator<Item = K>) -> Self {
        if let Some(refused) = self.assert_no_limit("order_by") {
            return refused;
        }
        let keys: Vec<OrderBy> = keys
            .into_iter()
            .map(|k| {
                let k = k.into();
                let k = match &self.ctx.wrapped_in {
                    Some(to) => adapt_order_by(&k, &(&M::info().table).into(), to),
                    None => k,
                };
                match &self.ctx.filter_alias {
                    Some(alias @ FromItem::Alias(a)) => adapt_order_by(&k, &a.inner, alias),
                    _ => k,
                }
            })
            .collect();
        self.with(|mut s| {
            s.order_by.extend(keys);
            s
        })
    }

    /// Removes every ORDER BY key (SQLAlchemy's `order_by(None)`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().order_by(T::name).reset_order_by().order_by(T::id);
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id, t.name FROM t ORDER BY t.id");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn reset_order_by(&self) -> Self {
        self.with(|mut s| {
            s.order_by.clear();
            s
        })
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

    /// Removes the LIMIT (SQLAlchemy's `limit(None)`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().limit(3).reset_limit();
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id FROM t");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn reset_limit(&self) -> Self {
        self.with(|mut s| {
            s.limit = None;
            s
        })
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

    /// Removes the OFFSET (SQLAlchemy's `offset(None)`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().offset(3).reset_offset();
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id FROM t");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn reset_offset(&self) -> Self {
        self.with(|mut s| {
            s.offset = None;
            s
        })
    }

    /// Rows `start..stop` of the result, like a Python slice: OFFSET moves by `start`
    /// (from any existing OFFSET) and LIMIT becomes `stop - start` (0 when `stop` is before
    /// `start`); a zero offset is left out.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().slice(1, 3);
    /// let c = q.statement().compile(&aludel::dialects::Postgres)?;
    /// assert_eq!(c.sql, "SELECT t.id FROM t LIMIT $1 OFFSET $2");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn slice(&self, start: u64, stop: u64) -> Self {
        self.with(|mut s| {
            let offset = s.offset.unwrap_or(0) + start;
            s.offset = (offset > 0).then_some(offset);
            s.limit = Some(stop.saturating_sub(start));
            s
        })
    }
}
