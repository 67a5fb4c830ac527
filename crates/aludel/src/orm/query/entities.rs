//! Choosing what a query selects (SQLAlchemy's `with_entities`, `add_columns`,
//! `add_column`, `add_entity`, `only_return_tuples`, `values`, `is_single_entity`,
//! `column_descriptions`). Each returns a query of another [`Selection`] type, so a
//! row's Rust type follows from what was selected: `Query<User>` rows are
//! `Instance<User>`, `.add_columns(User::name)` rows are `(Instance<User>, String)`.

use std::marker::PhantomData;

use crate::error::Result;
use crate::orm::mapper::Model;
use crate::orm::query::{Aliased, ColumnDescription, Entity, Query, Selection};

impl<M: Model, S: Selection> Query<M, S> {
    /// This query selecting `selection` instead, with its criteria, joins and ordering
    /// (columns read from the query's subquery after a set operation or `from_self`).
    fn reselect<T: Selection>(&self, selection: T) -> Query<M, T> {
        let mut select = self.select.clone();
        select.columns = selection
            .columns()
            .iter()
            .map(|e| self.adapted(e))
            .collect();
        Query {
            session: self.session.clone(),
            select,
            ctx: self.ctx.clone(),
            selection,
            _model: PhantomData,
        }
    }

    /// The same query selecting only `selection` (SQLAlchemy's `with_entities`): columns,
    /// expressions, entities, bundles, or a tuple of them; the primary entity stays what
    /// `filter_by` and joins start from.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<User as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all([User { id: 1, name: "ada".into() }, User { id: 2, name: "bob".into() }])?;
    /// let rows: Vec<(i64, String)> = s.query::<User>().with_entities((User::id, User::name)).order_by(User::id).all()?;
    /// assert_eq!(rows, [(1, "ada".to_string()), (2, "bob".to_string())]);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_entities<T: Selection>(&self, selection: T) -> Query<M, T> {
        self.reselect(selection)
    }

    /// The same query with `columns` selected after what it selects (SQLAlchemy's
    /// `add_columns`): rows become `(current, added)`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<User as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// let ada = s.add(User { id: 1, name: "ada".into() })?;
    /// let (user, name) = s.query::<User>().add_columns(User::name).one()?;
    /// assert!(user.ptr_eq(&ada) && name == "ada");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn add_columns<C: Selection>(&self, columns: C) -> Query<M, (S, C)> {
        self.reselect((self.selection.clone(), columns))
    }

    /// [`add_columns`](Self::add_columns) with one column (SQLAlchemy's `add_column`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let q = aludel::orm::Session::new(&engine).query::<User>().add_column(User::name);
    /// assert_eq!(q.column_descriptions().len(), 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn add_column<C: Selection>(&self, column: C) -> Query<M, (S, C)> {
        self.add_columns(column)
    }

    /// The same query with model `T` selected too (SQLAlchemy's `add_entity`), usually
    /// after a join to it: rows become `(current, Instance<T>)`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<User as aludel::orm::Model>::info(), <Address as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add(User { id: 1 })?;
    /// s.add(Address { id: 7, user_id: 1 })?;
    /// let (u, a) = s.query::<User>().join::<Address>().add_entity::<Address>().one()?;
    /// assert_eq!((u.read()?.id, a.read()?.id), (1, 7));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn add_entity<T: Model>(&self) -> Query<M, (S, Entity<T>)> {
        self.add_columns(Entity::<T>::new())
    }

    /// The same query with an aliased entity selected too (SQLAlchemy's
    /// `add_entity(entity, alias=...)`): rows become `(current, Option<Instance<T>>)`
    /// (`None` where an outer join to the alias matched nothing).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "nodes")] struct Node { #[column(primary_key)] id: i64, #[column(foreign_key = "nodes.id")] parent_id: Option<i64> }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::orm::Aliased;
    /// let parent = Aliased::<Node>::new("parent");
    /// let q = aludel::orm::Session::new(&engine).query::<Node>()
    ///     .outerjoin_item(parent.from_item().clone(), Node::parent_id.eq(parent.c("id")))
    ///     .add_aliased(&parent);
    /// assert_eq!(q.column_descriptions()[1].name, "parent");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn add_aliased<T: Model>(&self, alias: &Aliased<T>) -> Query<M, (S, Aliased<T>)> {
        self.add_columns(alias.clone())
    }

    /// The same query with each row a one-element tuple, even for a single entity
    /// (SQLAlchemy's `only_return_tuples(True)`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<User as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add(User { id: 1 })?;
    /// let (u,) = s.query::<User>().only_return_tuples().one()?;
    /// assert_eq!(u.read()?.id, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn only_return_tuples(&self) -> Query<M, (S,)> {
        self.reselect((self.selection.clone(),))
    }

    /// The rows of this query selecting `selection` (SQLAlchemy's `values`):
    /// `with_entities(selection).all()`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<User as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add(User { id: 1, name: "ada".into() })?;
    /// assert_eq!(s.query::<User>().values(User::name)?, ["ada"]);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn values<T: Selection>(&self, selection: T) -> Result<Vec<T::Output>> {
        self.with_entities(selection).all()
    }

    /// Whether the query selects one entity alone, so rows are objects (SQLAlchemy's
    /// `is_single_entity`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let q = aludel::orm::Session::new(&engine).query::<User>();
    /// assert!(q.is_single_entity());
    /// assert!(!q.only_return_tuples().is_single_entity());
    /// assert!(!q.with_entities(User::id).is_single_entity());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn is_single_entity(&self) -> bool {
        self.selection.is_single_entity()
    }

    /// What the query selects, item by item: name, Rust type, entity (SQLAlchemy's
    /// `column_descriptions`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let d = aludel::orm::Session::new(&engine).query::<User>().add_columns(User::name).column_descriptions();
    /// assert_eq!((d[0].name.as_str(), d[0].is_entity), ("User", true));
    /// assert_eq!((d[1].name.as_str(), d[1].entity), ("name", Some("User")));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn column_descriptions(&self) -> Vec<ColumnDescription> {
        self.selection.descriptions()
    }
}
