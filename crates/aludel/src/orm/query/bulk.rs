//! Bulk UPDATE and DELETE compiled from a query's criteria (SQLAlchemy's
//! `Query.update(values, synchronize_session)` / `Query.delete(synchronize_session)`),
//! and how the session's objects are brought in line afterwards.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::orm::column::Column;
use crate::orm::evaluator::Evaluator;
use crate::orm::identity::IdentityKey;
use crate::orm::instance::AnyInstance;
use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::query::Query;
use crate::orm::session::Session;
use crate::sql::{Executable, Expr, Update, Value, and_, delete, select, update};

/// How a bulk [`update`](Query::update) or [`delete`](Query::delete) brings the objects
/// already in the session in line with the database (SQLAlchemy's `synchronize_session`).
///
/// ```
/// assert_ne!(aludel::orm::SynchronizeSession::Evaluate, aludel::orm::SynchronizeSession::Fetch);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SynchronizeSession {
    /// Evaluate the criteria (and the new values) in Rust against the objects in the
    /// identity map; criteria the evaluator cannot handle are an error before any SQL runs.
    Evaluate,
    /// Find the matched rows in the database: RETURNING where the database has it, else a
    /// SELECT of their primary keys first; matched objects then get the database's values.
    Fetch,
    /// Leave the session's objects as they are (they may be stale afterwards).
    False,
}

/// A column a bulk [`update`](Query::update) sets: a typed [`Column`] of the model, or its
/// field (or column) name, resolved against the mapper.
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, age: i64 }
/// use aludel::orm::UpdateKey;
/// assert_eq!(UpdateKey::<User>::column_index(&User::age)?, 1);
/// assert_eq!(UpdateKey::<User>::column_index(&"age")?, 1);
/// let err = UpdateKey::<User>::column_index(&"nope").unwrap_err();
/// assert!(err.to_string().contains("model User has no column 'nope' (columns: id, age)"));
/// # Ok::<(), aludel::Error>(())
/// ```
pub trait UpdateKey<M: Model> {
    /// The column's index in the model, or an error naming the model and its columns.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, age: i64 }
    /// assert_eq!(aludel::orm::UpdateKey::<User>::column_index(&"id")?, 0);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    fn column_index(&self) -> Result<usize>;
}

impl<M: Model, T> UpdateKey<M> for Column<M, T> {
    fn column_index(&self) -> Result<usize> {
        Ok(self.index())
    }
}

impl<M: Model> UpdateKey<M> for &str {
    fn column_index(&self) -> Result<usize> {
        let info = M::info();
        info.column_index(self)
            .ok_or_else(|| Error::InvalidRequest {
                message: format!("update: {}", info.no_such_name(self)),
            })
    }
}

impl<M: Model> UpdateKey<M> for String {
    fn column_index(&self) -> Result<usize> {
        <&str as UpdateKey<M>>::column_index(&self.as_str())
    }
}

/// The objects of `info` in the session's identity map (loaded ones; expired objects reload
/// from the database anyway).
fn loaded_objects(session: &Session, info: &ModelInfo) -> Result<Vec<Arc<dyn AnyInstance>>> {
    let st = session.inner.usable()?;
    // In a sharded session, the objects of the shard the statement runs on.
    let shard = st.identity.shard;
    Ok(st
        .identity
        .values()
        .filter(|o| {
            let s = o.state();
            o.info().type_id == info.type_id && !s.expired && s.shard == shard
        })
        .collect())
}

/// Sets `values` on `obj` as loaded values (not changes): the snapshot, if a write took
/// one, gets them too so the next flush does not write them again.
fn set_loaded(obj: &Arc<dyn AnyInstance>, values: &[(usize, Value)]) -> Result<()> {
    obj.set_values(values)?;
    let mut s = obj.state();
    if let Some(snapshot) = s.snapshot.as_mut() {
        for (i, v) in values {
            snapshot[*i] = v.clone();
        }
    }
    Ok(())
}

/// Marks `obj` deleted by a bulk DELETE: out of the identity map, detached at commit,
/// restored by a rollback (as objects deleted by a flush are).
fn mark_deleted(session: &Session, obj: &Arc<dyn AnyInstance>) -> Result<()> {
    let mut st = session.inner.usable()?;
    st.deleted.retain(|o| !Arc::ptr_eq(o, obj));
    st.record_deleted(obj.clone());
    Ok(())
}

/// The identity-map objects with the given primary keys.
fn objects_with_keys(
    session: &Session,
    info: &ModelInfo,
    keys: &[Vec<Value>],
) -> Result<Vec<Arc<dyn AnyInstance>>> {
    let st = session.inner.usable()?;
    Ok(keys
        .iter()
        .filter_map(|pk| IdentityKey::new(info.identity_type(), pk))
        .filter_map(|k| st.identity.get(&k.on_shard(st.identity.shard)))
        .collect())
}

impl<M: Model> Query<M> {
    /// Refuses what a bulk statement cannot carry, as SQLAlchemy does, and flushes first.
    fn bulk_session(&self, method: &str) -> Result<&Session> {
        if let Some(err) = &self.ctx.error {
            return Err(err.clone());
        }
        if let Some(err) = self.misuse_after_from_statement(Some(method)) {
            return Err(err);
        }
        let s = &self.select;
        let mut refused = Vec::new();
        if self.ctx.joined || self.ctx.wrapped_in.is_some() {
            refused.push("join(), outerjoin(), select_from() or a set operation");
        }
        if M::info().joined_parts()?.is_some() {
            refused.push("a joined-table subtype (its rows span two tables)");
        }
        if s.limit.is_some() || s.offset.is_some() {
            refused.push("limit(), offset() or slice()");
        }
        if !s.order_by.is_empty() {
            refused.push("order_by()");
        }
        if !s.group_by.is_empty() || !s.having.is_empty() {
            refused.push("group_by() or having()");
        }
        if s.distinct || !s.distinct_on.is_empty() {
            refused.push("distinct()");
        }
        if !refused.is_empty() {
            return Err(Error::InvalidRequest {
                message: format!(
                    "Query<{}>::{method}() cannot run on a query with {}: a bulk statement takes only the model's own criteria",
                    M::info().name,
                    refused.join(", ")
                ),
            });
        }
        let session = self.session()?;
        if self.ctx.options.is_autoflush() {
            let mut st = session.inner.usable()?;
            session.inner.autoflush(&mut st)?;
        }
        Ok(session)
    }

    fn criteria(&self) -> Vec<Expr> {
        self.select.where_.clone()
    }

    /// The primary keys of the rows the criteria match now (the SELECT of `Fetch` where
    /// the database has no RETURNING).
    fn matched_keys(&self, session: &Session) -> Result<Vec<Vec<Value>>> {
        let info = M::info();
        let mut stmt = select(info.primary_key.iter().map(|&i| info.column_expr(i)));
        for c in self.criteria() {
            stmt = stmt.where_(c);
        }
        let _guard = self.autoflush_guard(session);
        let bind = crate::orm::binds::StatementBind::write(M::info());
        let mut rows = session.execute_bound(bind, &stmt, self.ctx.params.clone())?;
        Ok(rows
            .fetchall()
            .into_iter()
            .map(|r| r.into_values())
            .collect())
    }

    /// Runs `stmt` with the query's parameters (without flushing again).
    fn run_bulk(
        &self,
        session: &Session,
        stmt: &dyn Executable,
    ) -> Result<crate::engine::ResultSet> {
        let _guard = session.no_autoflush();
        let bind = crate::orm::binds::StatementBind::write(M::info());
        session.execute_bound(bind, stmt, self.ctx.params.clone())
    }

    /// `UPDATE <table> SET ... WHERE <the query's criteria>`, then the session's objects
    /// brought in line as `sync` says. Keys are typed columns of `M` or field names;
    /// values are anything that becomes an [`Expr`] (`Expr::from(User::age) - 10`).
    /// Returns the number of rows matched. A query with joins, a set operation, LIMIT,
    /// OFFSET, ORDER BY, GROUP BY or DISTINCT is refused, as in SQLAlchemy.
    ///
    /// A bulk UPDATE neither checks nor bumps a versioned model's version counter
    /// (`#[model(version = "...")]`), as in SQLAlchemy: set it yourself
    /// (`(Model::version, Expr::from(Model::version) + 1)`) if other sessions should
    /// see the change as a new version.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, age: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<User as aludel::orm::Model>::info()])?;
    /// use aludel::orm::SynchronizeSession;
    /// use aludel::sql::Expr;
    /// let s = aludel::orm::Session::new(&engine);
    /// let (a, b) = (s.add(User { id: 1, age: 30 })?, s.add(User { id: 2, age: 50 })?);
    /// let n = s.query::<User>().filter(User::age.gt(40))
    ///     .update([(User::age, Expr::from(User::age) - 10)], SynchronizeSession::Evaluate)?;
    /// assert_eq!(n, 1);
    /// assert_eq!((a.read()?.age, b.read()?.age), (30, 40));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn update<K: UpdateKey<M>, V: Into<Expr>>(
        &self,
        values: impl IntoIterator<Item = (K, V)>,
        sync: SynchronizeSession,
    ) -> Result<u64> {
        self.update_with(values, sync, |stmt| stmt)
    }

    /// [`update`](Self::update) with the UPDATE statement passed through `args` before it
    /// runs (SQLAlchemy's `update_args`, handed to the underlying `update()`; once per
    /// shard in a sharded session): e.g.
    /// [`Update::prefix_with`] (text after `UPDATE`) and [`Update::mysql_limit`]. A LIMIT
    /// with [`SynchronizeSession::Evaluate`] is refused on MySQL (the evaluator cannot know
    /// which rows the LIMIT left out): use `Fetch` or `False`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, age: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<User as aludel::orm::Model>::info()])?;
    /// use aludel::orm::SynchronizeSession;
    /// let s = aludel::orm::Session::new(&engine);
    /// let rec = engine.record_statements();
    /// let a = s.add(User { id: 1, age: 30 })?;
    /// let args = |u: aludel::sql::Update| u.prefix_with("OR IGNORE").mysql_limit(1);
    /// assert_eq!(s.query::<User>().update_with([(User::age, 31)], SynchronizeSession::Fetch, args)?, 1);
    /// assert_eq!(a.read()?.age, 31);
    /// assert!(rec.statements().iter().any(|s| s.starts_with("UPDATE OR IGNORE users SET age = ?")));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn update_with<K: UpdateKey<M>, V: Into<Expr>>(
        &self,
        values: impl IntoIterator<Item = (K, V)>,
        sync: SynchronizeSession,
        args: impl Fn(Update) -> Update,
    ) -> Result<u64> {
        let info = M::info();
        let values: Vec<(usize, Expr)> = values
            .into_iter()
            .map(|(k, v)| Ok((k.column_index()?, v.into())))
            .collect::<Result<_>>()?;
        if values.is_empty() {
            return Err(Error::InvalidRequest {
                message: format!("Query<{}>::update() was given no values", info.name),
            });
        }
        let session = self.bulk_session("update")?;
        // On each of the query's shards (the one place outside a sharded session).
        let mut n = 0;
        for shard in self.shards(session, &self.select)? {
            n += session
                .inner
                .on_shard(shard, || self.update_here(session, &values, sync, &args))?;
        }
        Ok(n)
    }

    /// [`update`](Self::update) where the session's statements go now.
    fn update_here(
        &self,
        session: &Session,
        values: &[(usize, Expr)],
        sync: SynchronizeSession,
        args: &dyn Fn(Update) -> Update,
    ) -> Result<u64> {
        let info = M::info();
        let criteria = self.criteria();
        let mut stmt = update(&info.table);
        for (i, v) in values {
            stmt = stmt.set(&info.columns()[*i].name, v.clone());
        }
        if !criteria.is_empty() {
            stmt = stmt.where_(and_(criteria.clone()));
        }
        let stmt = args(stmt);
        let limited =
            stmt.mysql_limit.is_some() && session.inner.dialect_for(info)?.name() == "mysql";
        if limited && sync == SynchronizeSession::Evaluate {
            return Err(Error::InvalidRequest {
                message: format!(
                    "Query<{}>::update_with(): mysql_limit with SynchronizeSession::Evaluate cannot know which matched objects the LIMIT left out; use Fetch or False",
                    info.name
                ),
            });
        }
        let updated: Vec<usize> = values.iter().map(|(i, _)| *i).collect();
        match sync {
            SynchronizeSession::False => Ok(self.run_bulk(session, &stmt)?.rows_affected()),
            SynchronizeSession::Evaluate => {
                let ev = Evaluator::new(info, &self.ctx.params);
                let nulls = vec![Value::Null; info.columns().len()];
                ev.matches(&criteria, &nulls)?;
                for (_, v) in values {
                    ev.eval(v, &nulls)?;
                }
                let mut changes = Vec::new();
                for obj in loaded_objects(session, info)? {
                    let row = obj.values()?;
                    if ev.matches(&criteria, &row)? {
                        let new: Vec<(usize, Value)> = values
                            .iter()
                            .map(|(i, v)| Ok((*i, ev.eval(v, &row)?)))
                            .collect::<Result<_>>()?;
                        changes.push((obj, new));
                    }
                }
                let n = self.run_bulk(session, &stmt)?.rows_affected();
                for (obj, new) in changes {
                    set_loaded(&obj, &new)?;
                }
                Ok(n)
            }
            SynchronizeSession::Fetch if session.inner.dialect_for(info)?.supports_returning() => {
                let stmt = stmt.returning((0..info.columns().len()).map(|i| info.column_expr(i)));
                let rows: Vec<Vec<Value>> = self
                    .run_bulk(session, &stmt)?
                    .fetchall()
                    .into_iter()
                    .map(|r| r.into_values())
                    .collect();
                for row in &rows {
                    let key = std::slice::from_ref(&info.pk_of(row)).to_vec();
                    for obj in objects_with_keys(session, info, &key)? {
                        let new: Vec<(usize, Value)> =
                            updated.iter().map(|&i| (i, row[i].clone())).collect();
                        set_loaded(&obj, &new)?;
                    }
                }
                Ok(rows.len() as u64)
            }
            SynchronizeSession::Fetch => {
                let keys = self.matched_keys(session)?;
                let n = self.run_bulk(session, &stmt)?.rows_affected();
                for obj in objects_with_keys(session, info, &keys)? {
                    let pk = info.by_pk_values(info.pk_of(&obj.values()?))?;
                    let compiled = info.select_by_pk(session.inner.dialect_for(info)?)?;
                    let mut st = session.inner.usable()?;
                    let bind = crate::orm::binds::StatementBind::write(info);
                    let mut rs = session
                        .inner
                        .connection_for(&mut st, bind)?
                        .execute_compiled(&compiled, pk)?;
                    drop(st);
                    if let Some(row) = rs.fetchone() {
                        let row = row.into_values();
                        let new: Vec<(usize, Value)> =
                            updated.iter().map(|&i| (i, row[i].clone())).collect();
                        set_loaded(&obj, &new)?;
                    }
                }
                Ok(n)
            }
        }
    }

    /// `DELETE FROM <table> WHERE <the query's criteria>`, then the matched objects in the
    /// session marked deleted as `sync` says (gone from the identity map, detached at
    /// commit, restored by a rollback). Returns the number of rows matched; refused on the
    /// same queries as [`update`](Self::update). Like a bulk update it does not check a
    /// versioned model's version counter.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, age: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<User as aludel::orm::Model>::info()])?;
    /// use aludel::orm::{ObjectState, SynchronizeSession};
    /// let s = aludel::orm::Session::new(&engine);
    /// let (a, b) = (s.add(User { id: 1, age: 30 })?, s.add(User { id: 2, age: 50 })?);
    /// let n = s.query::<User>().filter(User::age.gt(40)).delete(SynchronizeSession::Fetch)?;
    /// assert_eq!(n, 1);
    /// assert_eq!((a.state(), b.state()), (ObjectState::Persistent, ObjectState::Deleted));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn delete(&self, sync: SynchronizeSession) -> Result<u64> {
        let session = self.bulk_session("delete")?;
        let mut n = 0;
        for shard in self.shards(session, &self.select)? {
            n += session
                .inner
                .on_shard(shard, || self.delete_here(session, sync))?;
        }
        Ok(n)
    }

    /// [`delete`](Self::delete) where the session's statements go now.
    fn delete_here(&self, session: &Session, sync: SynchronizeSession) -> Result<u64> {
        let info = M::info();
        let criteria = self.criteria();
        let mut stmt = delete(&info.table);
        if !criteria.is_empty() {
            stmt = stmt.where_(and_(criteria.clone()));
        }
        let (n, matched) = match sync {
            SynchronizeSession::False => (self.run_bulk(session, &stmt)?.rows_affected(), vec![]),
            SynchronizeSession::Evaluate => {
                let ev = Evaluator::new(info, &self.ctx.params);
                ev.matches(&criteria, &vec![Value::Null; info.columns().len()])?;
                let mut matched = Vec::new();
                for obj in loaded_objects(session, info)? {
                    if ev.matches(&criteria, &obj.values()?)? {
                        matched.push(obj);
                    }
                }
                (self.run_bulk(session, &stmt)?.rows_affected(), matched)
            }
            SynchronizeSession::Fetch if session.inner.dialect_for(info)?.supports_returning() => {
                let stmt = stmt.returning(info.primary_key.iter().map(|&i| info.column_expr(i)));
                let keys: Vec<Vec<Value>> = self
                    .run_bulk(session, &stmt)?
                    .fetchall()
                    .into_iter()
                    .map(|r| r.into_values())
                    .collect();
                (keys.len() as u64, objects_with_keys(session, info, &keys)?)
            }
            SynchronizeSession::Fetch => {
                let keys = self.matched_keys(session)?;
                let n = self.run_bulk(session, &stmt)?.rows_affected();
                (n, objects_with_keys(session, info, &keys)?)
            }
        };
        for obj in matched {
            mark_deleted(session, &obj)?;
        }
        Ok(n)
    }
}
