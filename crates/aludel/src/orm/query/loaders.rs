//! `Query::options`: the loader options that choose how the query's relationships load,
//! and which of its entity's deferred columns load with its rows.

use crate::orm::loading::loader_option::LoaderOption;
use crate::orm::mapper::Model;
use crate::orm::query::Query;

impl<M: Model> Query<M> {
    /// Adds a loader option (SQLAlchemy's `Query.options`): a path from `M` through its
    /// relationships, each step with the strategy that loads it, or a column loading
    /// option for `M`'s deferred columns ([`undefer`](crate::orm::undefer),
    /// [`defer`](crate::orm::defer), [`undefer_group`](crate::orm::undefer_group),
    /// [`load_only`](crate::orm::load_only)). Options add up; a later one for the same
    /// relationship or column wins. Relationships no option names load as their
    /// `#[relationship(lazy = ...)]` default says; deferred columns stay deferred.
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
    pub fn options(&self, option: impl Into<LoaderOption<M>>) -> Self {
        let option = option.into();
        self.with_ctx(|_, ctx| {
            if let Err(e) = option.apply(&mut ctx.loaders) {
                ctx.error.get_or_insert(e);
            }
        })
    }
}
