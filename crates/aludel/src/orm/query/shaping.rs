//! Shaping the rows: `group_by`, `having`, `distinct` (and PostgreSQL's DISTINCT ON),
//! row locking (`with_for_update`), prefixes and suffixes.

use crate::orm::mapper::Model;
use crate::orm::query::{Query, Selection};
use crate::sql::{Expr, LockOptions};

impl<M: Model, S: Selection> Query<M, S> {
    /// Adds GROUP BY expressions.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::{func, Executable};
    /// let q = aludel::orm::Session::new(&engine).query::<T>()
    ///     .group_by([T::id.expr(), T::name.expr()])
    ///     .having(func::count(T::id).gt(1));
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT t.id, t.name FROM t GROUP BY t.id, t.name HAVING count(t.id) > ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn group_by<E: Into<Expr>>(&self, exprs: impl IntoIterator<Item = E>) -> Self {
        if let Some(refused) = self.assert_no_limit("group_by") {
            return refused;
        }
        let exprs: Vec<Expr> = exprs
            .into_iter()
            .map(|e| self.criterion_adapted(&e.into()))
            .collect();
        self.with(|s| s.group_by(exprs))
    }

    /// Adds a HAVING criterion (AND-ed with the others); see [`group_by`](Self::group_by).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::{func, Executable};
    /// let q = aludel::orm::Session::new(&engine).query::<T>().group_by([T::id]).having(func::count(T::id).ge(1));
    /// assert!(q.statement().compile(&aludel::dialects::Postgres)?.sql.ends_with("HAVING count(t.id) >= $1"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn having(&self, criterion: Expr) -> Self {
        let criterion = self.criterion_adapted(&criterion);
        self.with(|s| s.having(criterion))
    }

    /// `SELECT DISTINCT`. ORDER BY expressions are not added to the select list (as in
    /// SQLAlchemy 2.x), so on PostgreSQL order by the entity's own columns.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().distinct();
    /// assert_eq!(q.statement().compile(&aludel::dialects::MySql)?.sql, "SELECT DISTINCT t.id FROM t");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn distinct(&self) -> Self {
        self.with(|s| s.distinct())
    }

    /// `SELECT DISTINCT ON (exprs)`: PostgreSQL only; other databases refuse it with an
    /// error naming the dialect when the query runs (SQLAlchemy silently renders a plain
    /// DISTINCT there, which changes the result).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().distinct_on([T::name]).order_by(T::name);
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Postgres)?.sql,
    ///     "SELECT DISTINCT ON (t.name) t.id, t.name FROM t ORDER BY t.name"
    /// );
    /// assert!(q.statement().compile(&aludel::dialects::Sqlite).is_err());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn distinct_on<E: Into<Expr>>(&self, exprs: impl IntoIterator<Item = E>) -> Self {
        let exprs: Vec<Expr> = exprs.into_iter().map(|e| self.adapted(&e.into())).collect();
        self.with(|s| s.distinct_on(exprs))
    }

    /// Locks the selected rows: `FOR UPDATE` / `FOR SHARE` (SQLAlchemy's `read=True`) with
    /// `NOWAIT`, `SKIP LOCKED` and `OF`, per dialect (SQLite has no row locks and renders
    /// nothing; MySQL has no `OF`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::{Executable, LockOptions};
    /// use aludel::orm::Model;
    /// let q = aludel::orm::Session::new(&engine).query::<T>()
    ///     .with_for_update(LockOptions::update().nowait().of(&T::info().table));
    /// assert_eq!(q.statement().compile(&aludel::dialects::Postgres)?.sql, "SELECT t.id FROM t FOR UPDATE OF t NOWAIT");
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id FROM t");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_for_update(&self, lock: LockOptions) -> Self {
        self.with(|s| s.with_for_update(lock))
    }

    /// Adds text after `SELECT` (e.g. a MySQL optimizer keyword).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().prefix_with("SQL_NO_CACHE");
    /// assert_eq!(q.statement().compile(&aludel::dialects::MySql)?.sql, "SELECT SQL_NO_CACHE t.id FROM t");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn prefix_with(&self, text: &str) -> Self {
        self.with(|s| s.prefix_with(text))
    }

    /// Adds text at the end of the statement.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().suffix_with("-- tag");
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id FROM t -- tag");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn suffix_with(&self, text: &str) -> Self {
        self.with(|s| s.suffix_with(text))
    }
}
