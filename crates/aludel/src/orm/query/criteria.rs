//! WHERE criteria: `filter`, `filter_by` (one pair or several), `where_`, `whereclause`,
//! and late-bound `params`.

use std::sync::Arc;

use crate::orm::instance::Instance;
use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::query::{Aliased, JoinPoint, Query, Selection};
use crate::orm::relationship::{
    RelationField, Relationship, only_relationship_to, related_to, with_parent,
};
use crate::sql::adapt::adapt;
use crate::sql::{Expr, FromItem, Params, ToValue, Value, and_};

/// `column = value` on `info`'s table, or an invalid expression naming the model and its
/// columns when it has no such column.
pub(crate) fn column_equals(info: &ModelInfo, column: &str, value: Value) -> Expr {
    match info.column_index(column) {
        Some(i) => info.column_expr(i).eq(value),
        None => Expr::Invalid(Arc::from(format!(
            "filter_by: {}",
            info.no_such_name(column)
        ))),
    }
}

/// The criteria relating `rel`'s target table to `parent`, or an invalid expression
/// naming the relationship when they cannot be built.
fn parent_criteria<P: Model, F: RelationField>(
    parent: &Instance<P>,
    rel: Relationship<P, F>,
) -> Expr {
    with_parent(parent, rel).unwrap_or_else(|e| {
        Expr::Invalid(Arc::from(format!(
            "with_parent: {}.{}: {e}",
            P::info().name,
            rel.info().name
        )))
    })
}

impl<M: Model, S: Selection> Query<M, S> {
    /// Adds a WHERE criterion (AND-ed with the others). After a set operation the
    /// criterion is rewritten to the subquery's columns, as SQLAlchemy adapts it.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().filter(T::id.gt(1)).filter(T::id.lt(9));
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id FROM t WHERE t.id > ? AND t.id < ?");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn filter(&self, criterion: Expr) -> Self {
        if let Some(refused) = self.assert_no_limit("filter") {
            return refused;
        }
        let criterion = self.criterion_adapted(&criterion);
        self.with(|s| s.where_(criterion))
    }

    /// Adds several WHERE criteria at once (SQLAlchemy's `filter(a, b)`), AND-ed.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().filter_all([T::id.gt(1), T::id.lt(9)]);
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id FROM t WHERE t.id > ? AND t.id < ?");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn filter_all(&self, criteria: impl IntoIterator<Item = Expr>) -> Self {
        criteria.into_iter().fold(self.clone(), |q, c| q.filter(c))
    }

    /// The same as [`filter`](Self::filter), by its SQLAlchemy 2.x name.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().where_(T::id.eq(1));
    /// assert_eq!(q.statement().compile(&aludel::dialects::Postgres)?.sql, "SELECT t.id FROM t WHERE t.id = $1");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn where_(&self, criterion: Expr) -> Self {
        self.filter(criterion)
    }

    /// Adds `column = value` for a column named by its field (or column) name, on the
    /// query's join point: the last entity joined with [`join`](Self::join) and the like,
    /// else the queried model. An unknown name makes the query fail with an error naming
    /// the model and its columns.
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// assert!(s.query::<T>().filter_by("id", 1).all()?.is_empty());
    /// let err = s.query::<T>().filter_by("nope", 1).all().unwrap_err();
    /// assert!(err.to_string().contains("T has no column 'nope'"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn filter_by(&self, column: &str, value: impl ToValue) -> Self {
        self.filter(self.join_point_equals(column, value.to_value()))
    }

    /// Adds `column = value` for each pair (SQLAlchemy's `filter_by(a=1, b=2)`), on the join
    /// point like [`filter_by`](Self::filter_by).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>()
    ///     .filter_by_all(aludel::params! { "name" => "ed", "id" => 7 });
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT t.id, t.name FROM t WHERE t.name = ? AND t.id = ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn filter_by_all(&self, pairs: impl Into<Params>) -> Self {
        let criteria: Vec<Expr> = pairs
            .into()
            .0
            .into_iter()
            .map(|(name, value)| self.join_point_equals(&name, value))
            .collect();
        match criteria.len() {
            0 => self.clone(),
            1 => self.filter(criteria.into_iter().next().unwrap_or(Expr::Bool(true))),
            _ => self.filter(and_(criteria)),
        }
    }

    /// Adds the criteria relating the queried model to `parent` along `rel` (SQLAlchemy's
    /// `Query.with_parent`), built from the parent's current key values without SQL; see
    /// [`orm::with_parent`](crate::orm::with_parent). `rel`'s target must be the queried
    /// model (the compiler checks it).
    ///
    /// ```
    /// use aludel::orm::{create_all, Many, Model, One, Session};
    /// # #[derive(aludel::Model, Clone)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship(back_populates = "user")] addresses: Many<Address> }
    /// # #[derive(aludel::Model, Clone)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: Option<i64>, #[relationship(back_populates = "addresses")] user: One<User> }
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// create_all(&engine, &[User::info(), Address::info()])?;
    /// let s = Session::new(&engine);
    /// let ed = s.add(User { id: 1, addresses: Many::new() })?;
    /// s.add(Address { id: 10, user_id: Some(1), user: One::new() })?;
    /// s.add(Address { id: 20, user_id: None, user: One::new() })?;
    /// let mine = s.query::<Address>().with_parent(&ed, User::addresses).all()?;
    /// assert_eq!(mine.len(), 1);
    /// assert_eq!(mine[0].read()?.id, 10);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_parent<P: Model, F: RelationField<Target = M>>(
        &self,
        parent: &Instance<P>,
        rel: Relationship<P, F>,
    ) -> Self {
        self.filter(parent_criteria(parent, rel))
    }

    /// [`with_parent`](Self::with_parent) along the one relationship of `P` whose target
    /// is the queried model, found from the models (SQLAlchemy's `with_parent(instance)`
    /// without `property`). When `P` has no such relationship, or several (say a
    /// self-referential `parent` and `children`), running the query is an error naming
    /// the candidates: name the relationship with `with_parent` then.
    ///
    /// ```
    /// use aludel::orm::{create_all, Many, Model, One, Session};
    /// # #[derive(aludel::Model, Clone)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship(back_populates = "user")] addresses: Many<Address> }
    /// # #[derive(aludel::Model, Clone)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: Option<i64>, #[relationship(back_populates = "addresses")] user: One<User> }
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// create_all(&engine, &[User::info(), Address::info()])?;
    /// let s = Session::new(&engine);
    /// let ed = s.add(User { id: 1, addresses: Many::new() })?;
    /// s.add(Address { id: 10, user_id: Some(1), user: One::new() })?;
    /// s.add(Address { id: 20, user_id: None, user: One::new() })?;
    /// let mine = s.query::<Address>().with_parent_inferred(&ed).all()?;
    /// assert_eq!(mine.len(), 1);
    /// assert_eq!(mine[0].read()?.id, 10);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_parent_inferred<P: Model>(&self, parent: &Instance<P>) -> Self {
        let criteria = only_relationship_to(P::info(), M::info())
            .and_then(|rel| related_to(parent, rel))
            .unwrap_or_else(|e| Expr::Invalid(Arc::from(format!("with_parent: {e}"))));
        self.filter(criteria)
    }

    /// [`with_parent`](Self::with_parent) with the criteria on `from_entity`, an alias of
    /// the relationship's target, instead of the target's table (SQLAlchemy's
    /// `with_parent(instance, property, from_entity=alias)`): the same table twice, one
    /// side related to `parent`.
    ///
    /// ```
    /// use aludel::orm::{Aliased, Many, Model, One, Session};
    /// use aludel::sql::Executable;
    /// # #[derive(aludel::Model, Clone)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship(back_populates = "user")] addresses: Many<Address> }
    /// # #[derive(aludel::Model, Clone)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: Option<i64>, #[relationship(back_populates = "addresses")] user: One<User> }
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// let s = Session::new(&engine);
    /// let ed = s.add(User { id: 7, addresses: Many::new() })?;
    /// let a2 = Aliased::<Address>::new("a2");
    /// let q = s.query::<Address>()
    ///     .join_item(a2.from_item(), a2.c("id").ne(Address::id))
    ///     .with_parent_from(&ed, User::addresses, &a2);
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT addresses.id, addresses.user_id FROM addresses JOIN addresses AS a2 ON a2.id != addresses.id WHERE a2.user_id = ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_parent_from<P: Model, F: RelationField>(
        &self,
        parent: &Instance<P>,
        rel: Relationship<P, F>,
        from_entity: &Aliased<F::Target>,
    ) -> Self {
        let target = FromItem::Table(<F::Target as Model>::info().table.clone());
        let criteria = parent_criteria(parent, rel);
        self.filter(adapt(&criteria, &target, from_entity.from_item()))
    }

    /// The query's WHERE criteria AND-ed into one expression, or `None` (SQLAlchemy's
    /// `Query.whereclause`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>();
    /// assert!(q.whereclause().is_none());
    /// let w = q.filter(T::id.gt(1)).filter(T::id.lt(5)).whereclause().unwrap();
    /// assert_eq!(w.compile(&aludel::dialects::Sqlite)?.sql, "t.id > ? AND t.id < ?");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn whereclause(&self) -> Option<Expr> {
        match self.select.where_.len() {
            0 => None,
            1 => self.select.where_.first().cloned(),
            _ => Some(and_(self.select.where_.iter().cloned())),
        }
    }

    /// Supplies values for named [`bindparam`](crate::sql::bindparam)s in the query's
    /// criteria, used when it runs (SQLAlchemy's `Query.params`). Later calls add to and
    /// override earlier ones.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add_all([T { id: 1 }, T { id: 2 }])?;
    /// let q = s.query::<T>().filter(T::id.eq(aludel::sql::bindparam("wanted")));
    /// assert_eq!(q.params(aludel::params! { "wanted" => 2 }).one()?.read()?.id, 2);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn params(&self, params: impl Into<Params>) -> Self {
        let params = params.into();
        self.with_ctx(|_, ctx| {
            for (name, value) in params.0 {
                ctx.params.0.retain(|(n, _)| *n != name);
                ctx.params.0.push((name, value));
            }
        })
    }

    /// `column = value` on the join point (the queried model when nothing was joined).
    fn join_point_equals(&self, column: &str, value: Value) -> Expr {
        match &self.ctx.join_point {
            None => column_equals(M::info(), column, value),
            Some(JoinPoint::Model(info)) => column_equals(info, column, value),
            Some(JoinPoint::Item(item)) => item.c(column).eq(value),
        }
    }

    /// `expr` rewritten to the subquery a set operation wrapped the query in, if any.
    pub(crate) fn adapted(&self, expr: &Expr) -> Expr {
        match &self.ctx.wrapped_in {
            Some(to) => adapt(expr, &FromItem::from(&M::info().table), to),
            None => expr.clone(),
        }
    }

    /// `expr` as [`adapted`](Self::adapted), then with the columns of the last `aliased`
    /// join's table read from its anonymous alias (SQLAlchemy 1.x's filter adaptation).
    pub(crate) fn criterion_adapted(&self, expr: &Expr) -> Expr {
        let expr = self.adapted(expr);
        match &self.ctx.filter_alias {
            Some(alias @ FromItem::Alias(a)) => adapt(&expr, &a.inner, alias),
            _ => expr,
        }
    }
}
