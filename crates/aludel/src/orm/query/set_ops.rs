//! Set operations between queries of one model: `union`, `union_all`, `intersect`,
//! `intersect_all`, `except_`, `except_all`. As in SQLAlchemy the result is again a
//! `Query<M>` that selects the entity from the compound wrapped in a subquery
//! (`SELECT anon_1.id, ... FROM (a UNION b) AS anon_1`), so it can be filtered, ordered and
//! set-combined further; criteria on the entity are rewritten to the subquery's columns.
//! `from_self` and `select_entity_from` use the same wrapping and adaptation for one query.

use crate::orm::mapper::Model;
use crate::orm::query::{Query, Selection};
use crate::sql::adapt::{adapt, adapt_order_by};
use crate::sql::{FromItem, SelectStatement, SetOp, select};

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

    /// Wraps the query in a subquery and selects the entity from it (SQLAlchemy's legacy
    /// `from_self()`; in 2.x, `aliased(User, q.subquery())`): later `filter`, `order_by`,
    /// `group_by` and joins apply to the subquery's rows, rewritten to its columns, so a
    /// LIMIT inside stays inside.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().order_by(T::id).limit(10)
    ///     .from_self()
    ///     .filter(T::id.gt(5));
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT anon_1.id FROM (SELECT t.id FROM t ORDER BY t.id LIMIT ?) AS anon_1 WHERE anon_1.id > ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn from_self(&self) -> Self {
        let depth = self.depth() + 1;
        let sub = SelectStatement::from(self.select.clone()).subquery(&format!("anon_{depth}"));
        let mut q = self.clone();
        q.select = select(Self::entity_columns(Some(&sub))).from(&sub);
        q.ctx.wrapped_in = Some(sub);
        q.ctx.joined = true;
        q.ctx.join_point = None;
        q
    }

    /// [`from_self`](Self::from_self) selecting `selection` from the subquery instead of
    /// the entity (SQLAlchemy's `from_self(*entities)`): columns of `M` are read from the
    /// subquery's columns, so `from_self_with(User::name)` gives the names of the inner
    /// query's rows, after its LIMIT.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::{func, Executable};
    /// use aludel::orm::typed;
    /// let q = aludel::orm::Session::new(&engine).query::<User>().order_by(User::id).limit(3)
    ///     .from_self_with((User::name, typed::<i64>(func::count_star(), "n")))
    ///     .group_by([User::name]);
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT anon_1.name, count(*) AS n FROM (SELECT users.id, users.name FROM users ORDER BY users.id LIMIT ?) AS anon_1 \
    ///      GROUP BY anon_1.name"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn from_self_with<T: Selection>(&self, selection: T) -> Query<M, T> {
        self.from_self().with_entities(selection)
    }

    /// Selects the entity from `from` (a subquery or alias exporting the model's column
    /// names) instead of its table, rewriting the query's criteria, ordering and grouping,
    /// before and after, to `from`'s columns (SQLAlchemy's legacy `select_entity_from`; in
    /// 2.x, `aliased(User, subquery)`). A column `from` lacks is an error naming it when
    /// the query compiles.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let s = aludel::orm::Session::new(&engine);
    /// let seven = s.query::<User>().filter(User::id.eq(7)).subquery("anon_1");
    /// let q = s.query::<User>().select_entity_from(&seven).filter(User::name.eq("ed"));
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT anon_1.id, anon_1.name FROM (SELECT users.id, users.name FROM users WHERE users.id = ?) AS anon_1 \
    ///      WHERE anon_1.name = ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn select_entity_from(&self, from: &FromItem) -> Self {
        let table = FromItem::from(&M::info().table);
        let old = &self.select;
        let mut q = self.clone();
        let mut s = select(Self::entity_columns(Some(from))).from(from);
        s.where_ = old.where_.iter().map(|e| adapt(e, &table, from)).collect();
        s.order_by = old
            .order_by
            .iter()
            .map(|k| adapt_order_by(k, &table, from))
            .collect();
        s.group_by = old
            .group_by
            .iter()
            .map(|e| adapt(e, &table, from))
            .collect();
        s.having = old.having.iter().map(|e| adapt(e, &table, from)).collect();
        s.joins = old
            .joins
            .iter()
            .map(|(kind, target, on)| (*kind, target.clone(), adapt(on, &table, from)))
            .collect();
        s.limit = old.limit;
        s.offset = old.offset;
        s.distinct = old.distinct;
        s.lock = old.lock.clone();
        q.select = s;
        q.ctx.wrapped_in = Some(from.clone());
        q.ctx.joined = true;
        q
    }
}
