//! Queries in a sharded session ([`Sharding`](crate::orm::Sharding)): `set_shard` names
//! the shard a query runs on; otherwise the session's pinned shard or its execute
//! chooser says which. On one shard a query runs as anywhere else; on several, each
//! shard runs it and the results are merged (`shard_merge`): objects in ORDER BY order
//! with LIMIT/OFFSET applied once over all shards, `count` added up, `exists_scalar`
//! true when any shard has a row.

use crate::error::{Error, Result};
use crate::orm::instance::Instance;
use crate::orm::mapper::Model;
use crate::orm::query::shard_merge::{ShardOrder, spread_limit};
use crate::orm::query::{Query, Selection};
use crate::orm::session::Session;
use crate::sql::Select;

impl<M: Model, S: Selection> Query<M, S> {
    /// Runs the query on shard `name` only (SQLAlchemy's `set_shard_id` /
    /// `execution_options(shard_id=...)`), whatever the execute chooser would say.
    ///
    /// ```
    /// use aludel::orm::{Model, Session, Sharding};
    /// #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let (a, b) = (aludel::create_engine("sqlite://:memory:")?, aludel::create_engine("sqlite://:memory:")?);
    /// for e in [&a, &b] { aludel::orm::create_all(e, &[T::info()])?; }
    /// let s = Session::sharded(Sharding::new().shard("a", &a).shard("b", &b), Default::default())?;
    /// s.pin_shard("b")?;
    /// s.add(T { id: 7 })?;
    /// s.unpin_shard();
    /// assert_eq!(s.query::<T>().set_shard("a").count()?, 0);
    /// assert_eq!(s.query::<T>().set_shard("b").count()?, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn set_shard(&self, name: &str) -> Self {
        self.with_ctx(|_, ctx| ctx.shard = Some(name.to_owned()))
    }

    /// The shards this query runs on (`[0]` outside a sharded session).
    pub(crate) fn shards(&self, session: &Session, select: &Select) -> Result<Vec<u16>> {
        session
            .inner
            .query_shards(M::info(), select, self.ctx.shard.as_deref())
    }

    /// Runs `run` on the query's one shard; an error naming `method` when the query
    /// would run on several (its result cannot be merged).
    pub(crate) fn on_one_shard<R>(
        &self,
        session: &Session,
        method: &str,
        run: impl FnOnce() -> Result<R>,
    ) -> Result<R> {
        match self.shards(session, &self.select)?[..] {
            [shard] => session.inner.on_shard(shard, run),
            _ => Err(Error::invalid(format!(
                "Query<{}>::{method}() cannot merge results from several shards: name one \
                 (Query::set_shard, Session::pin_shard) or narrow the execute chooser",
                M::info().name
            ))),
        }
    }

    /// The rows of a selection other than the entity: from one shard, or from several
    /// one shard after the other when the query has no ORDER BY (there is no order to
    /// merge by; LIMIT and OFFSET are applied over all of them).
    pub(crate) fn rows_on_shards(&self, session: &Session) -> Result<Vec<S::Output>> {
        let opts = self.load_options();
        let shards = self.shards(session, &self.select)?;
        if let [shard] = shards[..] {
            return session.inner.on_shard(shard, || {
                session.load_rows(&self.select, M::info(), &self.selection, &opts)
            });
        }
        if !self.select.order_by.is_empty() {
            return Err(Error::invalid(format!(
                "Query<{}>: rows of columns or several entities from several shards are not \
                 merged by ORDER BY (only whole objects of the query's model are); name one \
                 shard (Query::set_shard) or select the model",
                M::info().name
            )));
        }
        let (each, skip, keep) = spread_limit(&self.select);
        let mut rows = Vec::new();
        for shard in shards {
            rows.extend(session.inner.on_shard(shard, || {
                session.load_rows(&each, M::info(), &self.selection, &opts)
            })?);
        }
        Ok(rows.into_iter().skip(skip).take(keep).collect())
    }

    /// How many rows the query matches on all its shards: each shard counts its rows
    /// without LIMIT/OFFSET, and those apply to the total.
    pub(crate) fn count_on_shards(&self, session: &Session, shards: &[u16]) -> Result<i64> {
        let mut unlimited = self.select.clone();
        unlimited.limit = None;
        unlimited.offset = None;
        let stmt =
            crate::sql::select([crate::sql::func::count_star()]).from(unlimited.subquery("anon_1"));
        let mut total: i64 = 0;
        for &shard in shards {
            let n: i64 = session
                .inner
                .on_shard(shard, || self.run_core(&stmt, "count")?.scalar())?;
            total += n;
        }
        let offset = self.select.offset.unwrap_or(0) as i64;
        let after = (total - offset).max(0);
        Ok(match self.select.limit {
            Some(limit) => after.min(limit as i64),
            None => after,
        })
    }
}

impl<M: Model> Query<M> {
    /// The objects of the query from each of its shards, merged in ORDER BY order, with
    /// LIMIT and OFFSET applied over all of them.
    pub(crate) fn objects_on_shards(&self, session: &Session) -> Result<Vec<Instance<M>>> {
        let opts = self.load_options();
        let shards = self.shards(session, &self.select)?;
        if let [shard] = shards[..] {
            return session
                .inner
                .on_shard(shard, || session.load::<M>(&self.select, &opts));
        }
        let order = ShardOrder::of(
            M::info(),
            &self.select,
            session.inner.dialect_for(M::info())?,
        )?;
        let (each, skip, keep) = spread_limit(&self.select);
        let mut lists = Vec::with_capacity(shards.len());
        for shard in shards {
            lists.push(
                session
                    .inner
                    .on_shard(shard, || session.load::<M>(&each, &opts))?,
            );
        }
        let merged = order.merge(lists, |o| o.erased().values())?;
        Ok(merged.into_iter().skip(skip).take(keep).collect())
    }
}
