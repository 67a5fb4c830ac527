//! Joins to other models: with an explicit ON expression, or with the ON inferred from the
//! single foreign key between the two tables; `outerjoin`; `select_from`.

use std::sync::Arc;

use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::query::{JoinPoint, Query, Selection};
use crate::sql::{Constraint, Expr, FromItem, JoinKind, Table, and_};

/// Each foreign key of `child` that references `parent`, as (child columns, parent columns).
fn foreign_keys(child: &Table, parent: &Table) -> Vec<(Vec<String>, Vec<String>)> {
    let def = child.def();
    let mut out: Vec<(Vec<String>, Vec<String>)> = def
        .columns
        .iter()
        .filter_map(|c| c.foreign_key.as_ref().map(|fk| (c, fk)))
        .filter(|(_, fk)| fk.table == parent.name())
        .map(|(c, fk)| (vec![c.name.clone()], vec![fk.column.clone()]))
        .collect();
    for c in &def.constraints {
        if let Constraint::ForeignKey {
            columns,
            ref_table,
            ref_columns,
            ..
        } = c
        {
            if ref_table == parent.name() {
                out.push((columns.clone(), ref_columns.clone()));
            }
        }
    }
    out
}

/// The ON clause of each foreign-key path between `left` and `right`, in either
/// direction, rendered `referenced = referencing` as SQLAlchemy does.
fn join_conditions(left: &Table, right: &Table) -> Vec<Expr> {
    let mut paths: Vec<(&Table, &Table, Vec<String>, Vec<String>)> = Vec::new();
    for (cols, refs) in foreign_keys(right, left) {
        paths.push((right, left, cols, refs));
    }
    if left.name() != right.name() {
        for (cols, refs) in foreign_keys(left, right) {
            paths.push((left, right, cols, refs));
        }
    }
    paths
        .into_iter()
        .map(|(child, parent, cols, refs)| {
            let pairs: Vec<Expr> = cols
                .iter()
                .zip(&refs)
                .map(|(c, r)| parent.c(r).eq(child.c(c)))
                .collect();
            match pairs.len() {
                1 => pairs.into_iter().next().unwrap_or(Expr::Bool(true)),
                _ => and_(pairs),
            }
        })
        .collect()
}

/// The ON clause joining `target` to one of the entities already in FROM, or an invalid
/// expression naming the models when there is no single foreign-key path.
fn inferred_on(froms: &[&'static ModelInfo], target: &ModelInfo) -> Expr {
    let candidates: Vec<(&ModelInfo, Vec<Expr>)> = froms
        .iter()
        .map(|left| (*left, join_conditions(&left.table, &target.table)))
        .filter(|(_, conds)| !conds.is_empty())
        .collect();
    let names = || froms.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
    let message = match candidates.as_slice() {
        [] => format!(
            "join: no foreign key joins {} to {}; pass the ON clause with join_on()",
            names(),
            target.name
        ),
        [(left, conds)] if conds.len() == 1 => return conds[0].clone(),
        [(left, conds)] => format!(
            "join: {} and {} have {} foreign key paths between them; pass the ON clause with join_on()",
            left.name,
            target.name,
            conds.len()
        ),
        _ => format!(
            "join: {} can be joined from several entities ({}); pass the ON clause with join_on() or start with select_from()",
            target.name,
            candidates
                .iter()
                .map(|(l, _)| l.name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Expr::Invalid(Arc::from(message))
}

impl<M: Model, S: Selection> Query<M, S> {
    fn add_join<T: Model>(&self, kind: JoinKind, on: Option<Expr>, method: &str) -> Self {
        if let Some(refused) = self.assert_no_limit(method) {
            return refused;
        }
        let target = T::info();
        let on = on.unwrap_or_else(|| inferred_on(&self.ctx.entities, target));
        // After a set operation the entity is read from the subquery: join from there.
        let on = self.adapted(&on);
        self.with_ctx(|s, ctx| {
            s.joins
                .push((kind, FromItem::Table(target.table.clone()), on));
            ctx.entities.push(target);
            ctx.join_point = Some(JoinPoint::Model(target));
            ctx.joined = true;
            ctx.filter_alias = None;
        })
    }

    /// `JOIN` model `T`, with the ON clause taken from the one foreign key between `T`'s
    /// table and an entity already in the query. No such key, several keys, or several
    /// entities `T` could join to make the query fail with an error naming the models.
    /// Afterwards [`filter_by`](Self::filter_by) applies to `T` (the join point).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64, email: String }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<User>().join::<Address>().filter_by("email", "ed@x");
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT users.id, users.name FROM users JOIN addresses ON users.id = addresses.user_id WHERE addresses.email = ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn join<T: Model>(&self) -> Self {
        self.add_join::<T>(JoinKind::Inner, None, "join")
    }

    /// `JOIN` model `T` `ON on`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, user_id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<User>().join_on::<Address>(User::id.eq(Address::user_id));
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::MySql)?.sql,
    ///     "SELECT users.id FROM users JOIN addresses ON users.id = addresses.user_id"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn join_on<T: Model>(&self, on: Expr) -> Self {
        self.add_join::<T>(JoinKind::Inner, Some(on), "join")
    }

    fn add_item_join(&self, kind: JoinKind, target: FromItem, on: Expr, method: &str) -> Self {
        if let Some(refused) = self.assert_no_limit(method) {
            return refused;
        }
        let on = self.adapted(&on);
        self.with_ctx(|s, ctx| {
            s.joins.push((kind, target.clone(), on));
            ctx.join_point = Some(JoinPoint::Item(target));
            ctx.joined = true;
            ctx.filter_alias = None;
        })
    }

    /// `JOIN` a subquery, CTE or table alias `ON on` (the same table twice, a grouped
    /// subquery); afterwards `filter_by` names its columns.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, user_id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::{func, select, Executable};
    /// let counts = select([Address::user_id.expr(), func::count_star().label("n")])
    ///     .group_by([Address::user_id.expr()])
    ///     .subquery("counts");
    /// let q = aludel::orm::Session::new(&engine).query::<User>()
    ///     .join_item(&counts, User::id.eq(counts.c("user_id")))
    ///     .filter_by("n", 3);
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT users.id FROM users JOIN (SELECT addresses.user_id, count(*) AS n FROM addresses \
    ///      GROUP BY addresses.user_id) AS counts ON users.id = counts.user_id WHERE counts.n = ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn join_item(&self, target: impl Into<FromItem>, on: Expr) -> Self {
        self.add_item_join(JoinKind::Inner, target.into(), on, "join")
    }

    /// `LEFT OUTER JOIN` a subquery, CTE or table alias `ON on`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::orm::Model;
    /// use aludel::sql::Executable;
    /// let boss = User::info().table.alias("boss");
    /// let q = aludel::orm::Session::new(&engine).query::<User>().outerjoin_item(&boss, boss.c("id").eq(User::id));
    /// assert!(q.statement().compile(&aludel::dialects::Sqlite)?.sql.contains("LEFT OUTER JOIN users AS boss ON boss.id = users.id"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn outerjoin_item(&self, target: impl Into<FromItem>, on: Expr) -> Self {
        self.add_item_join(JoinKind::LeftOuter, target.into(), on, "outerjoin")
    }

    /// `LEFT OUTER JOIN` model `T`, ON inferred as in [`join`](Self::join).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<User>().outerjoin::<Address>();
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Postgres)?.sql,
    ///     "SELECT users.id FROM users LEFT OUTER JOIN addresses ON users.id = addresses.user_id"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn outerjoin<T: Model>(&self) -> Self {
        self.add_join::<T>(JoinKind::LeftOuter, None, "outerjoin")
    }

    /// `LEFT OUTER JOIN` model `T` `ON on`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, user_id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<User>().outerjoin_on::<Address>(User::id.eq(Address::user_id));
    /// assert!(q.statement().compile(&aludel::dialects::Sqlite)?.sql.contains("LEFT OUTER JOIN addresses ON"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn outerjoin_on<T: Model>(&self, on: Expr) -> Self {
        self.add_join::<T>(JoinKind::LeftOuter, Some(on), "outerjoin")
    }

    /// `FULL OUTER JOIN` model `T` `ON on` (SQLAlchemy's `join(..., full=True)`); MySQL
    /// has none and refuses it with an error naming the dialect.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, user_id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<User>().full_outerjoin_on::<Address>(User::id.eq(Address::user_id));
    /// assert!(q.statement().compile(&aludel::dialects::Postgres)?.sql.contains("FULL OUTER JOIN addresses ON"));
    /// assert!(q.statement().compile(&aludel::dialects::MySql).is_err());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn full_outerjoin_on<T: Model>(&self, on: Expr) -> Self {
        self.add_join::<T>(JoinKind::FullOuter, Some(on), "join")
    }

    /// Makes model `T`'s table the FROM clause the query starts from (SQLAlchemy's
    /// `select_from`): later joins go from it, and `filter_by` applies to it until a join.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<Address>().select_from::<User>().join::<Address>();
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT addresses.id, addresses.user_id FROM users JOIN addresses ON users.id = addresses.user_id"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn select_from<T: Model>(&self) -> Self {
        let from = T::info();
        self.with_ctx(|s, ctx| {
            s.from = vec![FromItem::Table(from.table.clone())];
            ctx.entities = vec![from];
            ctx.join_point = Some(JoinPoint::Model(from));
            ctx.joined = true;
            ctx.filter_alias = None;
        })
    }

    /// Makes a table alias, subquery or CTE the FROM clause the query starts from
    /// (SQLAlchemy's `select_from(alias)`): select its columns with `with_entities`
    /// (e.g. [`Aliased::column`](crate::orm::Aliased::column)); `filter_by` names its
    /// columns, and `join_rel` starts from it when it aliases the relationship's owner.
    /// The queried model's columns are not rewritten to it (that is
    /// [`select_entity_from`](Self::select_entity_from)).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "part")] struct Part { #[column(primary_key)] part: String, quantity: i64 }
    /// use aludel::orm::Aliased;
    /// use aludel::sql::Executable;
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// let p = Aliased::<Part>::new("p");
    /// let q = aludel::orm::Session::new(&engine).query::<Part>()
    ///     .select_from_item(p.from_item())
    ///     .with_entities(p.column(Part::quantity))
    ///     .filter_by("part", "bolt");
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT p.quantity AS quantity FROM part AS p WHERE p.part = ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn select_from_item(&self, from: impl Into<FromItem>) -> Self {
        let from = from.into();
        self.with_ctx(|s, ctx| {
            s.from = vec![from.clone()];
            ctx.entities.clear();
            ctx.join_point = Some(JoinPoint::Item(from));
            ctx.joined = true;
            ctx.filter_alias = None;
        })
    }

    /// Makes `filter_by` apply to the queried model again after joins, and stops adapting
    /// criteria to the alias of a [`join_rel_with`](Self::join_rel_with)`(rel,
    /// JoinArgs::aliased())` (SQLAlchemy's legacy `reset_joinpoint()`; in 2.x, `filter_by`
    /// always uses the last join target, so use `filter` with the model's columns instead).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = aludel::orm::Session::new(&engine).query::<User>().join::<Address>().reset_joinpoint().filter_by("name", "ed");
    /// assert!(q.statement().compile(&aludel::dialects::Sqlite)?.sql.ends_with("WHERE users.name = ?"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn reset_joinpoint(&self) -> Self {
        self.with_ctx(|_, ctx| {
            ctx.join_point = None;
            ctx.filter_alias = None;
        })
    }
}
