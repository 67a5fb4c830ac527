//! Set operations between queries of one model: `union`, `union_all`, `intersect`,
//! `intersect_all`, `except_`, `except_all`. As in SQLAlchemy the result is again a
//! `Query<M>` that selects the entity from the compound wrapped in a subquery
//! (`SELECT anon_1.id, ... FROM (a UNION b) AS anon_1`), so it can be filtered, ordered and
//! set-combined further; criteria on the entity are rewritten to the subquery's columns.

use crate::orm::mapper::Model;
use crate::orm::query::Query;
use crate::sql::{SelectStatement, SetOp, select};

impl<M: Model> Query<M> {
    fn set_op(&self, op: SetOp, other: &Query<M>) -> Self {
        let left = SelectStatement::from(self.select.clone());
        let compound = left.set_op(op, other.select.clone().into());
        let depth = self.depth().max(other.depth()) + 1;
        let sub = SelectStatement::from(compound).subquery(&format!("anon_{depth}"));
        let mut q = self.clone();
        q.select = select(Self::entity_columns(Some(&sub))).from(&sub);
        q.ctx.wrapped_in = Some(sub);
        q.ctx.joined = true;
        q.ctx.join_point = None;
        for (name, value) in &other.ctx.params.0 {
            if !q.ctx.params.0.iter().any(|(n, _)| n == name) {
                q.ctx.params.0.push((name.clone(), value.clone()));
            }
        }
        if q.ctx.error.is_none() {
            q.ctx.error = other.ctx.error.clone();
        }
        q
    }

    /// How many set operations are nested in this query (names the next subquery).
    fn depth(&self) -> usize {
        match &self.ctx.wrapped_in {
            Some(crate::sql::FromItem::Subquery(s)) => s
                .name
                .strip_prefix("anon_")
                .and_then(|n| n.parse().ok())
                .unwrap_or(1),
            _ => 0,
        }
    }

    /// `self UNION other` (duplicates removed).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let s = aludel::orm::Session::new(&engine);
    /// let q = s.query::<T>().filter(T::id.lt(3)).union(&s.query::<T>().filter(T::id.gt(7)))
    ///     .filter(T::id.ne(1))
    ///     .order_by(T::id);
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT anon_1.id FROM (SELECT t.id FROM t WHERE t.id < ? UNION SELECT t.id FROM t WHERE t.id > ?) AS anon_1 \
    ///      WHERE anon_1.id != ? ORDER BY anon_1.id"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn union(&self, other: &Query<M>) -> Self {
        self.set_op(SetOp::Union, other)
    }

    /// `self UNION ALL other` (duplicates kept).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let s = aludel::orm::Session::new(&engine);
    /// let q = s.query::<T>().union_all(&s.query::<T>());
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Postgres)?.sql,
    ///     "SELECT anon_1.id FROM (SELECT t.id FROM t UNION ALL SELECT t.id FROM t) AS anon_1"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn union_all(&self, other: &Query<M>) -> Self {
        self.set_op(SetOp::UnionAll, other)
    }

    /// `self INTERSECT other`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let s = aludel::orm::Session::new(&engine);
    /// let q = s.query::<T>().intersect(&s.query::<T>());
    /// assert!(q.statement().compile(&aludel::dialects::MySql)?.sql.contains(" INTERSECT "));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn intersect(&self, other: &Query<M>) -> Self {
        self.set_op(SetOp::Intersect, other)
    }

    /// `self INTERSECT ALL other` (SQLite has none: an error naming the dialect).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let s = aludel::orm::Session::new(&engine);
    /// let q = s.query::<T>().intersect_all(&s.query::<T>());
    /// assert!(q.statement().compile(&aludel::dialects::Postgres)?.sql.contains(" INTERSECT ALL "));
    /// assert!(q.statement().compile(&aludel::dialects::Sqlite).is_err());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn intersect_all(&self, other: &Query<M>) -> Self {
        self.set_op(SetOp::IntersectAll, other)
    }

    /// `self EXCEPT other`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let s = aludel::orm::Session::new(&engine);
    /// let q = s.query::<T>().except_(&s.query::<T>().filter(T::id.eq(1)));
    /// assert!(q.statement().compile(&aludel::dialects::Sqlite)?.sql.contains(" EXCEPT SELECT t.id FROM t WHERE t.id = ?"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn except_(&self, other: &Query<M>) -> Self {
        self.set_op(SetOp::Except, other)
    }

    /// `self EXCEPT ALL other` (SQLite has none: an error naming the dialect).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let s = aludel::orm::Session::new(&engine);
    /// let q = s.query::<T>().except_all(&s.query::<T>());
    /// assert!(q.statement().compile(&aludel::dialects::Postgres)?.sql.contains(" EXCEPT ALL "));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn except_all(&self, other: &Query<M>) -> Self {
        self.set_op(SetOp::ExceptAll, other)
    }
}
