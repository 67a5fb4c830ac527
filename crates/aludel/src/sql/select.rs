//! Building SELECT and compound statements: [`select`] and the generative methods of
//! [`Select`] and [`CompoundSelect`].
//!
//! ```
//! use aludel::dialects::{MySql, Postgres, Sqlite};
//! use aludel::sql::{select, Column, Executable, SqlType, Table};
//! let users = Table::build("users")
//!     .column(Column::new("id", SqlType::Integer).primary_key())
//!     .column(Column::new("name", SqlType::Text))
//!     .finish();
//! let q = select([users.c("id")]).where_(users.c("name").eq("ada")).limit(1);
//! assert_eq!(q.compile(&Sqlite).unwrap().sql, "SELECT users.id FROM users WHERE users.name = ? LIMIT ?");
//! assert_eq!(q.compile(&Postgres).unwrap().sql, "SELECT users.id FROM users WHERE users.name = $1 LIMIT $2");
//! assert_eq!(q.compile(&MySql).unwrap().sql, "SELECT users.id FROM users WHERE users.name = ? LIMIT ?");
//! ```

use std::sync::Arc;

use crate::sql::elements::{Expr, OrderBy};
use crate::sql::selectable::{
    CompoundSelect, Cte, CteDef, FromItem, Hint, JoinKind, LabelStyle, LockOptions, Select,
    SelectStatement, SetOp, Subquery,
};

/// `SELECT columns`; the FROM clause is inferred from the columns and the WHERE clause
/// unless given with [`Select::from`].
///
/// ```
/// use aludel::sql::{literal_column, select, Executable};
/// assert_eq!(select([literal_column("1")]).compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT 1");
/// ```
pub fn select<E: Into<Expr>>(columns: impl IntoIterator<Item = E>) -> Select {
    Select {
        columns: columns.into_iter().map(Into::into).collect(),
        ..Select::default()
    }
}

macro_rules! set_operations {
    ($($(#[$doc:meta])* $name:ident => $op:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(self, other: impl Into<SelectStatement>) -> CompoundSelect {
            SelectStatement::from(self).set_op(SetOp::$op, other.into())
        }
    )*};
}

impl Select {
    /// Adds result columns.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a")]).columns([literal_column("b")]);
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT a, b");
    /// ```
    pub fn columns<E: Into<Expr>>(mut self, columns: impl IntoIterator<Item = E>) -> Self {
        self.columns.extend(columns.into_iter().map(Into::into));
        self
    }

    /// Replaces the result columns (SQLAlchemy's `with_only_columns`).
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a")]).with_only_columns([literal_column("b")]);
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT b");
    /// ```
    pub fn with_only_columns<E: Into<Expr>>(
        mut self,
        columns: impl IntoIterator<Item = E>,
    ) -> Self {
        self.columns = columns.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an explicit FROM item (SQLAlchemy's `select_from`).
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable, Table};
    /// let t = Table::build("t").finish();
    /// let s = select([literal_column("count(*)")]).from(&t);
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT count(*) FROM t");
    /// ```
    pub fn from(mut self, item: impl Into<FromItem>) -> Self {
        let item = item.into();
        if !self.from.iter().any(|f| f == &item) {
            self.from.push(item);
        }
        self
    }

    /// `JOIN target ON on`, joined to the first FROM item.
    ///
    /// ```
    /// use aludel::sql::{select, Column, Executable, SqlType, Table};
    /// let u = Table::build("users").column(Column::new("id", SqlType::Integer)).finish();
    /// let a = Table::build("addresses").column(Column::new("user_id", SqlType::Integer)).finish();
    /// let s = select([u.c("id")]).join(&a, u.c("id").eq(a.c("user_id")));
    /// assert_eq!(
    ///     s.compile(&aludel::dialects::Sqlite).unwrap().sql,
    ///     "SELECT users.id FROM users JOIN addresses ON users.id = addresses.user_id"
    /// );
    /// ```
    pub fn join(self, target: impl Into<FromItem>, on: Expr) -> Self {
        self.add_join(JoinKind::Inner, target.into(), on)
    }

    /// `LEFT OUTER JOIN target ON on`.
    ///
    /// ```
    /// use aludel::sql::{select, Column, Executable, SqlType, Table};
    /// let u = Table::build("users").column(Column::new("id", SqlType::Integer)).finish();
    /// let a = Table::build("addresses").column(Column::new("user_id", SqlType::Integer)).finish();
    /// let s = select([u.c("id")]).outer_join(&a, u.c("id").eq(a.c("user_id")));
    /// assert!(s.compile(&aludel::dialects::Sqlite).unwrap().sql.contains("LEFT OUTER JOIN addresses"));
    /// ```
    pub fn outer_join(self, target: impl Into<FromItem>, on: Expr) -> Self {
        self.add_join(JoinKind::LeftOuter, target.into(), on)
    }

    /// `FULL OUTER JOIN target ON on` (a compile error on MySQL).
    ///
    /// ```
    /// use aludel::sql::{select, Column, Executable, SqlType, Table};
    /// let u = Table::build("users").column(Column::new("id", SqlType::Integer)).finish();
    /// let a = Table::build("addresses").column(Column::new("user_id", SqlType::Integer)).finish();
    /// let s = select([u.c("id")]).full_join(&a, u.c("id").eq(a.c("user_id")));
    /// let err = s.compile(&aludel::dialects::MySql).unwrap_err().to_string();
    /// assert_eq!(err, "FULL OUTER JOIN is not supported by the mysql dialect");
    /// ```
    pub fn full_join(self, target: impl Into<FromItem>, on: Expr) -> Self {
        self.add_join(JoinKind::FullOuter, target.into(), on)
    }

    fn add_join(mut self, kind: JoinKind, target: FromItem, on: Expr) -> Self {
        self.joins.push((kind, target, on));
        self
    }

    /// Adds a WHERE condition; several are joined with AND (SQLAlchemy's `where`/`filter`).
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let a = literal_column("a");
    /// let s = select([a.clone()]).where_(a.clone().gt(1)).where_(a.lt(5));
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT a WHERE a > ? AND a < ?");
    /// ```
    pub fn where_(mut self, condition: Expr) -> Self {
        self.where_.push(condition);
        self
    }

    /// Adds GROUP BY expressions.
    ///
    /// ```
    /// use aludel::sql::{func, literal_column, select, Executable};
    /// let g = literal_column("g");
    /// let s = select([g.clone(), func::count_star()]).group_by([g]);
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT g, count(*) GROUP BY g");
    /// ```
    pub fn group_by(mut self, exprs: impl IntoIterator<Item = Expr>) -> Self {
        self.group_by.extend(exprs);
        self
    }

    /// Adds a HAVING condition (AND-ed with earlier ones).
    ///
    /// ```
    /// use aludel::sql::{func, literal_column, select, Executable};
    /// let g = literal_column("g");
    /// let s = select([g.clone()]).group_by([g]).having(func::count_star().gt(1));
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT g GROUP BY g HAVING count(*) > ?");
    /// ```
    pub fn having(mut self, condition: Expr) -> Self {
        self.having.push(condition);
        self
    }

    /// Adds an ORDER BY key.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a")]).order_by(literal_column("a")).order_by(literal_column("b").desc());
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT a ORDER BY a, b DESC");
    /// ```
    pub fn order_by(mut self, key: impl Into<OrderBy>) -> Self {
        self.order_by.push(key.into());
        self
    }

    /// Sets LIMIT.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a")]).limit(10).offset(20);
    /// assert_eq!(s.compile(&aludel::dialects::Postgres).unwrap().sql, "SELECT a LIMIT $1 OFFSET $2");
    /// ```
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Sets OFFSET.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a")]).offset(5);
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT a LIMIT -1 OFFSET ?");
    /// ```
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// `SELECT DISTINCT`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a")]).distinct();
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT DISTINCT a");
    /// ```
    pub fn distinct(mut self) -> Self {
        self.distinct = true;
        self
    }

    /// PostgreSQL's `SELECT DISTINCT ON (exprs)` (a compile error elsewhere).
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a"), literal_column("b")]).distinct_on([literal_column("a")]);
    /// assert_eq!(s.compile(&aludel::dialects::Postgres).unwrap().sql, "SELECT DISTINCT ON (a) a, b");
    /// assert!(s.compile(&aludel::dialects::Sqlite).is_err());
    /// ```
    pub fn distinct_on(mut self, exprs: impl IntoIterator<Item = Expr>) -> Self {
        self.distinct_on.extend(exprs);
        self
    }

    /// Row locking: `FOR UPDATE`, `FOR SHARE`, ... (not rendered on SQLite, which locks
    /// the whole database for writes).
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable, LockOptions};
    /// let s = select([literal_column("a")]).with_for_update(LockOptions::update().skip_locked());
    /// assert_eq!(s.compile(&aludel::dialects::Postgres).unwrap().sql, "SELECT a FOR UPDATE SKIP LOCKED");
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT a");
    /// ```
    pub fn with_for_update(mut self, lock: LockOptions) -> Self {
        self.lock = Some(lock);
        self
    }

    /// Text after `SELECT` (e.g. `SQL_NO_CACHE`). Never pass user input.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a")]).prefix_with("SQL_NO_CACHE");
    /// assert_eq!(s.compile(&aludel::dialects::MySql).unwrap().sql, "SELECT SQL_NO_CACHE a");
    /// ```
    pub fn prefix_with(mut self, text: &str) -> Self {
        self.prefixes.push(text.to_owned());
        self
    }

    /// Text at the end of the statement. Never pass user input.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a")]).suffix_with("-- tagged");
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT a -- tagged");
    /// ```
    pub fn suffix_with(mut self, text: &str) -> Self {
        self.suffixes.push(text.to_owned());
        self
    }

    /// A table hint, rendered after the table's name for `dialect` (or `"*"`).
    ///
    /// ```
    /// use aludel::sql::{select, Column, Executable, SqlType, Table};
    /// let t = Table::build("t").column(Column::new("a", SqlType::Integer)).finish();
    /// let s = select([t.c("a")]).with_hint(&t, "USE INDEX (ix_a)", "mysql");
    /// assert_eq!(s.compile(&aludel::dialects::MySql).unwrap().sql, "SELECT t.a FROM t USE INDEX (ix_a)");
    /// assert_eq!(s.compile(&aludel::dialects::Postgres).unwrap().sql, "SELECT t.a FROM t");
    /// ```
    pub fn with_hint(mut self, target: impl Into<FromItem>, text: &str, dialect: &str) -> Self {
        let target = target.into();
        self.hints.push(Hint {
            target: target.qualifier().map(Arc::from),
            text: text.to_owned(),
            dialect: dialect.to_owned(),
        });
        self
    }

    /// A statement hint, rendered at the end for `dialect` (or `"*"`).
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("a")]).with_statement_hint("/*+ hint */", "postgresql");
    /// assert_eq!(s.compile(&aludel::dialects::Postgres).unwrap().sql, "SELECT a /*+ hint */");
    /// ```
    pub fn with_statement_hint(mut self, text: &str, dialect: &str) -> Self {
        self.hints.push(Hint {
            target: None,
            text: text.to_owned(),
            dialect: dialect.to_owned(),
        });
        self
    }

    /// As a subquery, omit exactly these FROM items when the enclosing statement has them
    /// (instead of the automatic correlation of every enclosing item).
    ///
    /// ```
    /// use aludel::sql::{func, select, Column, Executable, SqlType, Table};
    /// let u = Table::build("users").column(Column::new("id", SqlType::Integer)).finish();
    /// let a = Table::build("addresses").column(Column::new("user_id", SqlType::Integer)).finish();
    /// let n = select([func::count_star()]).where_(a.c("user_id").eq(u.c("id"))).correlate([&u]);
    /// let s = select([u.c("id"), n.scalar_subquery().label("n")]);
    /// assert_eq!(
    ///     s.compile(&aludel::dialects::Sqlite).unwrap().sql,
    ///     "SELECT users.id, (SELECT count(*) FROM addresses WHERE addresses.user_id = users.id) AS n FROM users"
    /// );
    /// ```
    pub fn correlate<'a>(mut self, items: impl IntoIterator<Item = &'a crate::sql::Table>) -> Self {
        let names = items.into_iter().map(|t| Arc::from(t.name()));
        self.correlate.get_or_insert_with(Vec::new).extend(names);
        self
    }

    /// Labels every table column `<table>_<column>` (SQLAlchemy's `apply_labels`).
    ///
    /// ```
    /// use aludel::sql::{select, Column, Executable, LabelStyle, SqlType, Table};
    /// let t = Table::build("users").column(Column::new("id", SqlType::Integer)).finish();
    /// let s = select([t.c("id")]).set_label_style(LabelStyle::TablenameColumn);
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT users.id AS users_id FROM users");
    /// ```
    pub fn set_label_style(mut self, style: LabelStyle) -> Self {
        self.label_style = style;
        self
    }

    /// This select as a named subquery for a FROM clause: `(SELECT ...) AS name`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let sq = select([literal_column("a")]).subquery("sq");
    /// let s = select([sq.c("a")]).from(&sq);
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT sq.a FROM (SELECT a) AS sq");
    /// ```
    pub fn subquery(self, name: &str) -> FromItem {
        SelectStatement::from(self).subquery(name)
    }

    /// This select as a scalar subquery expression: `(SELECT ...)`.
    ///
    /// ```
    /// use aludel::sql::{func, literal_column, select, Executable};
    /// let e = select([func::max(literal_column("a"))]).scalar_subquery();
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "(SELECT max(a))");
    /// ```
    pub fn scalar_subquery(self) -> Expr {
        Expr::Subquery(Box::new(self.into()))
    }

    /// `EXISTS (this select)`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let e = select([literal_column("1")]).exists();
    /// assert_eq!(e.compile(&aludel::dialects::Sqlite).unwrap().sql, "EXISTS (SELECT 1)");
    /// ```
    pub fn exists(self) -> Expr {
        Expr::Exists(Box::new(self.into()))
    }

    /// This select as a common table expression named `name`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let c = select([literal_column("1").label("n")]).cte("one");
    /// let s = select([c.c("n")]).from(&c);
    /// assert_eq!(s.compile(&aludel::dialects::MySql).unwrap().sql, "WITH one AS (SELECT 1 AS n) SELECT one.n FROM one");
    /// ```
    pub fn cte(self, name: &str) -> Cte {
        SelectStatement::from(self).cte(name, false)
    }

    /// This select as the anchor of a `WITH RECURSIVE` CTE; extend it with
    /// [`Cte::union_all`].
    ///
    /// ```
    /// use aludel::sql::{literal_column, select};
    /// assert_eq!(select([literal_column("1").label("n")]).cte_recursive("r").name(), "r");
    /// ```
    pub fn cte_recursive(self, name: &str) -> Cte {
        SelectStatement::from(self).cte(name, true)
    }

    set_operations! {
        /// `self UNION other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, select, Executable};
        /// let s = select([literal_column("1")]).union(select([literal_column("2")]));
        /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT 1 UNION SELECT 2");
        /// ```
        union => Union;
        /// `self UNION ALL other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, select, Executable};
        /// let s = select([literal_column("1")]).union_all(select([literal_column("1")]));
        /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT 1 UNION ALL SELECT 1");
        /// ```
        union_all => UnionAll;
        /// `self INTERSECT other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, select, Executable};
        /// let s = select([literal_column("1")]).intersect(select([literal_column("1")]));
        /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT 1 INTERSECT SELECT 1");
        /// ```
        intersect => Intersect;
        /// `self INTERSECT ALL other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, select, Executable};
        /// let s = select([literal_column("1")]).intersect_all(select([literal_column("1")]));
        /// assert_eq!(s.compile(&aludel::dialects::Postgres).unwrap().sql, "SELECT 1 INTERSECT ALL SELECT 1");
        /// ```
        intersect_all => IntersectAll;
        /// `self EXCEPT other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, select, Executable};
        /// let s = select([literal_column("1")]).except_(select([literal_column("2")]));
        /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT 1 EXCEPT SELECT 2");
        /// ```
        except_ => Except;
        /// `self EXCEPT ALL other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, select, Executable};
        /// let s = select([literal_column("1")]).except_all(select([literal_column("2")]));
        /// assert_eq!(s.compile(&aludel::dialects::Postgres).unwrap().sql, "SELECT 1 EXCEPT ALL SELECT 2");
        /// ```
        except_all => ExceptAll;
    }
}

impl SelectStatement {
    /// This statement as a named subquery for a FROM clause.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, SelectStatement};
    /// let sq = SelectStatement::from(select([literal_column("a")])).subquery("sq");
    /// assert!(matches!(sq, aludel::sql::FromItem::Subquery(_)));
    /// ```
    pub fn subquery(self, name: &str) -> FromItem {
        FromItem::Subquery(Arc::new(Subquery {
            select: self,
            name: Arc::from(name),
        }))
    }

    fn cte(self, name: &str, recursive: bool) -> Cte {
        Cte(Arc::new(CteDef {
            name: Arc::from(name),
            select: self,
            recursive,
            generation: 0,
        }))
    }
}

macro_rules! set_operations_compound {
    ($($(#[$doc:meta])* $name:ident => $op:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(self, other: impl Into<SelectStatement>) -> CompoundSelect {
            self.chain(SetOp::$op, other.into())
        }
    )*};
}

impl CompoundSelect {
    /// Appends `op other` to the chain. `a UNION b UNION ALL c` stays flat; mixing
    /// operators of different precedence (UNION then INTERSECT), or extending a compound
    /// that has its own ORDER BY/LIMIT, nests the left side so every database evaluates it
    /// the same way.
    fn chain(mut self, op: SetOp, other: SelectStatement) -> CompoundSelect {
        let is_union = |o: &SetOp| matches!(o, SetOp::Union | SetOp::UnionAll);
        let same_level = self
            .ops
            .iter()
            .all(|o| if is_union(&op) { is_union(o) } else { *o == op });
        if same_level && self.order_by.is_empty() && self.limit.is_none() && self.offset.is_none() {
            self.members.push(other);
            self.ops.push(op);
            self
        } else {
            SelectStatement::from(self).set_op(op, other)
        }
    }

    set_operations_compound! {
        /// Appends `UNION other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, select, Executable};
        /// let s = select([literal_column("1")]).union(select([literal_column("2")])).union(select([literal_column("3")]));
        /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT 1 UNION SELECT 2 UNION SELECT 3");
        /// ```
        union => Union;
        /// Appends `UNION ALL other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, select, Executable};
        /// let s = select([literal_column("1")]).union(select([literal_column("2")])).union_all(select([literal_column("3")]));
        /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT 1 UNION SELECT 2 UNION ALL SELECT 3");
        /// ```
        union_all => UnionAll;
        /// Appends `INTERSECT other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, select, Executable};
        /// let s = select([literal_column("1")]).union(select([literal_column("2")])).intersect(select([literal_column("1")]));
        /// assert!(s.compile(&aludel::dialects::Sqlite).unwrap().sql.ends_with("INTERSECT SELECT 1"));
        /// ```
        intersect => Intersect;
        /// Appends `INTERSECT ALL other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, select, Executable};
        /// let s = select([literal_column("1")]).union(select([literal_column("2")])).intersect_all(select([literal_column("1")]));
        /// assert!(s.compile(&aludel::dialects::Postgres).unwrap().sql.ends_with("INTERSECT ALL SELECT 1"));
        /// ```
        intersect_all => IntersectAll;
        /// Appends `EXCEPT other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, select, Executable};
        /// let s = select([literal_column("1")]).union(select([literal_column("2")])).except_(select([literal_column("1")]));
        /// assert!(s.compile(&aludel::dialects::Sqlite).unwrap().sql.ends_with("EXCEPT SELECT 1"));
        /// ```
        except_ => Except;
        /// Appends `EXCEPT ALL other`.
        ///
        /// ```
        /// use aludel::sql::{literal_column, select, Executable};
        /// let s = select([literal_column("1")]).union(select([literal_column("2")])).except_all(select([literal_column("1")]));
        /// assert!(s.compile(&aludel::dialects::Postgres).unwrap().sql.ends_with("EXCEPT ALL SELECT 1"));
        /// ```
        except_all => ExceptAll;
    }

    /// ORDER BY for the whole compound.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("1").label("n")]).union(select([literal_column("2")])).order_by(literal_column("n"));
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT 1 AS n UNION SELECT 2 ORDER BY n");
    /// ```
    pub fn order_by(mut self, key: impl Into<OrderBy>) -> Self {
        self.order_by.push(key.into());
        self
    }

    /// LIMIT for the whole compound.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("1")]).union(select([literal_column("2")])).limit(1);
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT 1 UNION SELECT 2 LIMIT ?");
    /// ```
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// OFFSET for the whole compound.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let s = select([literal_column("1")]).union(select([literal_column("2")])).limit(1).offset(1);
    /// assert_eq!(s.compile(&aludel::dialects::Postgres).unwrap().sql, "SELECT 1 UNION SELECT 2 LIMIT $1 OFFSET $2");
    /// ```
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// The compound as a named subquery.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let sq = select([literal_column("1").label("n")]).union(select([literal_column("2")])).subquery("u");
    /// let s = select([sq.c("n")]).from(&sq);
    /// assert_eq!(s.compile(&aludel::dialects::Sqlite).unwrap().sql, "SELECT u.n FROM (SELECT 1 AS n UNION SELECT 2) AS u");
    /// ```
    pub fn subquery(self, name: &str) -> FromItem {
        SelectStatement::from(self).subquery(name)
    }

    /// The compound as a common table expression.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select};
    /// let c = select([literal_column("1").label("n")]).union(select([literal_column("2")])).cte("u");
    /// assert_eq!(c.name(), "u");
    /// ```
    pub fn cte(self, name: &str) -> Cte {
        SelectStatement::from(self).cte(name, false)
    }
}
