//! `Query::options`: the loader options that choose how the query's relationships load.

use crate::orm::loading::options::Load;
use crate::orm::mapper::Model;
use crate::orm::query::Query;

impl<M: Model> Query<M> {
    /// Adds a loader option (SQLAlchemy's `Query.options`): a path from `M` through its
    /// relationships, each step with the strategy that loads it. Options add up; a later
    /// one for the same relationship wins. Relationships no option names load as their
    /// `#[relationship(lazy = ...)]` default says.
    ///
    /// ```
    /// use aludel::orm::{Many, Model, Session, selectinload};
    /// #[derive(aludel::Model)]
    /// #[model(table = "users")]
    /// struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// #[derive(aludel::Model)]
    /// #[model(table = "addresses")]
    /// struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    ///
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// aludel::orm::create_all(&engine, &[User::info(), Address::info()])?;
    /// let s = Session::new(&engine);
    /// s.add(User { id: 1, addresses: Many::new() })?;
    /// s.add(Address { id: 10, user_id: 1 })?;
    /// s.commit()?;
    /// let s = Session::new(&engine);
    /// let rec = engine.record_statements();
    /// let users = s.query::<User>().options(selectinload(User::addresses)).all()?;
    /// // Loaded with the users: reading needs no SQL.
    /// assert_eq!(users[0].read()?.addresses.loaded().unwrap()[0].read()?.id, 10);
    /// assert_eq!(rec.statements().iter().filter(|s| s.starts_with("SELECT")).count(), 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn options<T: Model>(&self, option: Load<M, T>) -> Self {
        self.with_ctx(|_, ctx| ctx.loaders.add(&option))
    }
}
