//! The query used as a Core selectable inside other statements: `subquery`, `cte`,
//! `as_scalar` / `scalar_subquery`, `label`, and the statement-level options that only
//! change its SQL: `with_hint`, `with_statement_hint`, `correlate`, `with_labels`.

use crate::orm::mapper::Model;
use crate::orm::query::{Query, Selection};
use crate::sql::{Cte, Expr, FromItem, LabelStyle, SelectStatement, Table};

impl<M: Model, S: Selection> Query<M, S> {
    /// The query as `(SELECT ...) AS name`, to select from or join in another statement.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::{select, Executable};
    /// let sq = aludel::orm::Session::new(&engine).query::<T>().filter(T::id.gt(1)).subquery("big");
    /// let outer = select([sq.c("id")]).from(&sq);
    /// assert_eq!(
    ///     outer.compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT big.id FROM (SELECT t.id FROM t WHERE t.id > ?) AS big"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn subquery(&self, name: &str) -> FromItem {
        self.select.clone().subquery(name)
    }

    /// [`subquery`](Self::subquery) exporting each value once (SQLAlchemy's
    /// `subquery(name, reduce_columns=True)`): a selected column that must equal another
    /// selected column of its name (its foreign key references it, or a criterion or ON
    /// clause equates them) is left out; see [`Select::reduce_columns`](crate::sql::Select::reduce_columns).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// # #[derive(aludel::Model)] #[model(table = "details")] struct Detail { #[column(primary_key, foreign_key = "users.id")] id: i64, bio: String }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::{select, Executable};
    /// let sq = aludel::orm::Session::new(&engine).query::<User>()
    ///     .join::<Detail>()
    ///     .with_entities((User::id, User::name, Detail::id, Detail::bio))
    ///     .reduced_subquery("u");
    /// assert_eq!(
    ///     select([sq.c("id")]).from(&sq).compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT u.id FROM (SELECT users.id, users.name, details.bio FROM users JOIN details ON users.id = details.id) AS u"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn reduced_subquery(&self, name: &str) -> FromItem {
        self.select.clone().reduce_columns().subquery(name)
    }

    /// The query as a common table expression `WITH name AS (...)`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::{select, Executable};
    /// let c = aludel::orm::Session::new(&engine).query::<T>().cte("ts");
    /// let outer = select([c.c("id")]).from(&c);
    /// assert_eq!(outer.compile(&aludel::dialects::Postgres)?.sql, "WITH ts AS (SELECT t.id FROM t) SELECT ts.id FROM ts");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn cte(&self, name: &str) -> Cte {
        self.select.clone().cte(name)
    }

    /// The query as a `WITH RECURSIVE` CTE, to extend with [`Cte::union_all`].
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let c = aludel::orm::Session::new(&engine).query::<T>().cte_recursive("r");
    /// assert_eq!(c.name(), "r");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn cte_recursive(&self, name: &str) -> Cte {
        self.select.clone().cte_recursive(name)
    }

    /// The query as a scalar subquery `(SELECT ...)` (SQLAlchemy's `as_scalar()`); select
    /// one column first, e.g. with a Core statement built on [`statement`](Self::statement).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let e = aludel::orm::Session::new(&engine).query::<T>().filter(T::id.eq(1)).as_scalar();
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite)?.sql, "(SELECT t.id FROM t WHERE t.id = ?)");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn as_scalar(&self) -> Expr {
        self.select.clone().scalar_subquery()
    }

    /// The scalar subquery labelled `name` (SQLAlchemy's `Query.label`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let e = aludel::orm::Session::new(&engine).query::<T>().label("first_id");
    /// assert_eq!(e.compile(&aludel::dialects::MySql)?.sql, "(SELECT t.id FROM t) AS first_id");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn label(&self, name: &str) -> Expr {
        self.as_scalar().label(name)
    }

    /// A hint after the model's table for one dialect (`"*"` for all), e.g. MySQL's
    /// `USE INDEX`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().with_hint("USE INDEX (ix)", "mysql");
    /// assert_eq!(q.statement().compile(&aludel::dialects::MySql)?.sql, "SELECT t.id FROM t USE INDEX (ix)");
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id FROM t");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_hint(&self, text: &str, dialect: &str) -> Self {
        let table = &M::info().table;
        self.with(|s| s.with_hint(table, text, dialect))
    }

    /// A hint after another table or alias of the query (a join target) for one dialect
    /// (SQLAlchemy's `with_hint(selectable, text, dialect_name)`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::orm::Model;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<User>().join::<Address>()
    ///     .with_hint_on(&Address::info().table, "USE INDEX (ix_user)", "mysql");
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::MySql)?.sql,
    ///     "SELECT users.id FROM users JOIN addresses USE INDEX (ix_user) ON users.id = addresses.user_id"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_hint_on(&self, target: impl Into<FromItem>, text: &str, dialect: &str) -> Self {
        let target = target.into();
        self.with(|s| s.with_hint(target, text, dialect))
    }

    /// A statement-level hint for one dialect (`"*"` for all).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().with_statement_hint("/*+ hint */", "*");
    /// assert!(q.statement().compile(&aludel::dialects::Postgres)?.sql.contains("/*+ hint */"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_statement_hint(&self, text: &str, dialect: &str) -> Self {
        self.with(|s| s.with_statement_hint(text, dialect))
    }

    /// Correlates these tables when the query is used as a subquery (instead of the
    /// automatic correlation to the enclosing statement's FROM).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, user_id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::orm::Model;
    /// use aludel::sql::Executable;
    /// let s = aludel::orm::Session::new(&engine);
    /// let inner = s.query::<Address>().filter(Address::user_id.eq(User::id)).correlate([&User::info().table]);
    /// let q = s.query::<User>().filter(inner.exists());
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT users.id FROM users WHERE EXISTS (SELECT 1 FROM addresses WHERE addresses.user_id = users.id)"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn correlate<'a>(&self, tables: impl IntoIterator<Item = &'a Table>) -> Self {
        self.with(|s| s.correlate(tables))
    }

    /// Labels each column `<table>_<column>` (SQLAlchemy's `with_labels()`); objects load
    /// the same way.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<T>().with_labels();
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id AS t_id FROM t");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_labels(&self) -> Self {
        self.with(|s| s.set_label_style(LabelStyle::TablenameColumn))
    }
}

/// A query as a Core statement, e.g. the recursive member of a CTE
/// (`cte.union_all(&query)`, SQLAlchemy's `included_parts.union_all(session.query(...))`).
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
/// # let engine = aludel::create_engine("sqlite://")?;
/// use aludel::sql::{Executable, SelectStatement};
/// let q = aludel::orm::Session::new(&engine).query::<T>().filter(T::id.eq(1));
/// let stmt = SelectStatement::from(&q);
/// assert_eq!(stmt.compile(&aludel::dialects::Sqlite)?.sql, "SELECT t.id FROM t WHERE t.id = ?");
/// # Ok::<(), aludel::Error>(())
/// ```
impl<M: Model, S: Selection> From<&Query<M, S>> for SelectStatement {
    fn from(query: &Query<M, S>) -> Self {
        SelectStatement::from(query.select.clone())
    }
}
