//! What can stand in a FROM clause ([`FromItem`]: tables, aliases, joins, subqueries,
//! CTEs) and the statements that select from them ([`Select`], [`CompoundSelect`]).

use std::sync::Arc;

use crate::dialects::{LockStrength, LockWait};
use crate::sql::elements::{ColumnRef, Expr, OrderBy};
use crate::sql::schema::Table;

/// Anything that can stand in a FROM clause. Cheap to clone.
#[derive(Debug, Clone, PartialEq)]
pub enum FromItem {
    /// A table.
    Table(Table),
    /// `inner AS name`: an alias of a table, subquery or CTE.
    Alias(Arc<Alias>),
    /// `left JOIN right ON ...`.
    Join(Arc<Join>),
    /// `(SELECT ...) AS name`.
    Subquery(Arc<Subquery>),
    /// A reference to a common table expression (defined in the statement's WITH).
    Cte(Cte),
}

/// `inner AS name`.
#[derive(Debug, Clone, PartialEq)]
pub struct Alias {
    /// What is aliased.
    pub inner: FromItem,
    /// The alias.
    pub name: Arc<str>,
}

/// The kind of a join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// `JOIN`.
    Inner,
    /// `LEFT OUTER JOIN`.
    LeftOuter,
    /// `FULL OUTER JOIN` (not on MySQL).
    FullOuter,
}

/// `left JOIN right ON on`.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// Left side.
    pub left: FromItem,
    /// Right side.
    pub right: FromItem,
    /// The ON condition.
    pub on: Expr,
    /// The join kind.
    pub kind: JoinKind,
}

/// `(SELECT ...) AS name`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subquery {
    /// The select.
    pub select: SelectStatement,
    /// The name it is known by.
    pub name: Arc<str>,
}

/// A common table expression: `WITH [RECURSIVE] name AS (select)`. Cheap to clone; use
/// it like a table (`cte.c("col")`, `cte.alias("x")`, `select(..).from(&cte)`), and the
/// statement that uses it gets the WITH clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Cte(pub(crate) Arc<CteDef>);

/// A CTE's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct CteDef {
    /// The CTE's name.
    pub name: Arc<str>,
    /// The definition.
    pub select: SelectStatement,
    /// `WITH RECURSIVE`.
    pub recursive: bool,
    /// How many times the definition was extended by `union`/`union_all`; when a statement
    /// refers to several versions of one CTE, the most extended one is defined.
    pub(crate) generation: u32,
}

impl FromItem {
    /// The name columns of this item are qualified with, if it has one.
    pub(crate) fn qualifier(&self) -> Option<&str> {
        match self {
            FromItem::Table(t) => Some(t.name()),
            FromItem::Alias(a) => Some(&a.name),
            FromItem::Join(_) => None,
            FromItem::Subquery(s) => Some(&s.name),
            FromItem::Cte(c) => Some(&c.0.name),
        }
    }

    /// The names of the columns this item exports, or `None` when unknown (joins, and
    /// selects of unlabelled expressions or `*`).
    pub(crate) fn column_names(&self) -> Option<Vec<Arc<str>>> {
        match self {
            FromItem::Table(t) => Some(
                t.def()
                    .columns
                    .iter()
                    .map(|c| Arc::from(c.name.as_str()))
                    .collect(),
            ),
            FromItem::Alias(a) => a.inner.column_names(),
            FromItem::Join(_) => None,
            FromItem::Subquery(s) => s.select.output_names(),
            FromItem::Cte(c) => c.0.select.output_names(),
        }
    }

    /// The name under which this subquery or CTE exports column `column` of `table` when
    /// one of its output columns is a plain reference to it, labelled or not (the
    /// column's lineage: `users.id AS uid` exports `users.id` as `uid`). `None` for
    /// other items, or when no output column is that column.
    pub(crate) fn exported_name_of(&self, table: &Table, column: &str) -> Option<Arc<str>> {
        let select = match self {
            FromItem::Subquery(s) => &s.select,
            FromItem::Cte(c) => &c.0.select,
            _ => return None,
        };
        let first = match select {
            SelectStatement::Select(s) => s,
            SelectStatement::Compound(c) => match c.members.first() {
                Some(SelectStatement::Select(s)) => s,
                _ => return None,
            },
        };
        let names = first.output_names()?;
        first.columns.iter().zip(names).find_map(|(e, name)| {
            let inner = match e {
                Expr::Label { expr, .. } => expr,
                other => other,
            };
            match inner {
                Expr::Column(c)
                    if &*c.name == column
                        && matches!(&c.source, Some(FromItem::Table(t)) if t.name() == table.name() && t.def().schema == table.def().schema) =>
                {
                    Some(name)
                }
                _ => None,
            }
        })
    }

    /// An expression for column `name` of this item (`alias.c("id")`). An unknown name is
    /// reported when the statement compiles.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let sq = select([literal_column("id")]).subquery("sq");
    /// assert_eq!(sq.c("id").compile(&aludel::dialects::Postgres).unwrap().sql, "sq.id");
    /// assert!(sq.c("nope").compile(&aludel::dialects::Postgres).is_err());
    /// ```
    pub fn c(&self, name: &str) -> Expr {
        if let Some(names) = self.column_names() {
            if !names.iter().any(|n| &**n == name) {
                let owner = self.qualifier().unwrap_or("join");
                return Expr::Invalid(Arc::from(format!(
                    "{owner} has no column '{name}' (columns: {})",
                    names.iter().map(|n| &**n).collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Expr::Column(ColumnRef {
            name: Arc::from(name),
            source: Some(self.clone()),
        })
    }

    /// `self AS name`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let sq = select([literal_column("id")]).subquery("sq").alias("s2");
    /// assert_eq!(sq.c("id").compile(&aludel::dialects::Sqlite).unwrap().sql, "s2.id");
    /// ```
    pub fn alias(&self, name: &str) -> FromItem {
        FromItem::Alias(Arc::new(Alias {
            inner: self.clone(),
            name: Arc::from(name),
        }))
    }

    /// `self JOIN right ON on`.
    ///
    /// ```
    /// use aludel::sql::{Column, FromItem, SqlType, Table};
    /// let a = Table::build("a").column(Column::new("id", SqlType::Integer)).finish();
    /// let b = Table::build("b").column(Column::new("a_id", SqlType::Integer)).finish();
    /// let j = FromItem::from(a.clone()).join(b.clone(), a.c("id").eq(b.c("a_id")));
    /// assert!(matches!(j, FromItem::Join(_)));
    /// ```
    pub fn join(self, right: impl Into<FromItem>, on: Expr) -> FromItem {
        self.join_kind(right.into(), on, JoinKind::Inner)
    }

    /// `self LEFT OUTER JOIN right ON on`.
    ///
    /// ```
    /// use aludel::sql::{Column, FromItem, SqlType, Table};
    /// let a = Table::build("a").column(Column::new("id", SqlType::Integer)).finish();
    /// let j = FromItem::from(a.clone()).outer_join(a.alias("a2"), aludel::sql::true_());
    /// assert!(matches!(j, FromItem::Join(_)));
    /// ```
    pub fn outer_join(self, right: impl Into<FromItem>, on: Expr) -> FromItem {
        self.join_kind(right.into(), on, JoinKind::LeftOuter)
    }

    /// `self FULL OUTER JOIN right ON on` (an error on MySQL).
    ///
    /// ```
    /// use aludel::sql::{Column, FromItem, SqlType, Table};
    /// let a = Table::build("a").column(Column::new("id", SqlType::Integer)).finish();
    /// let j = FromItem::from(a.clone()).full_join(a.alias("a2"), aludel::sql::true_());
    /// assert!(matches!(j, FromItem::Join(_)));
    /// ```
    pub fn full_join(self, right: impl Into<FromItem>, on: Expr) -> FromItem {
        self.join_kind(right.into(), on, JoinKind::FullOuter)
    }

    pub(crate) fn join_kind(self, right: FromItem, on: Expr, kind: JoinKind) -> FromItem {
        FromItem::Join(Arc::new(Join {
            left: self,
            right,
            on,
            kind,
        }))
    }

    /// Whether this item is, or contains (as a join side), an item with `qualifier`.
    pub(crate) fn covers(&self, qualifier: &str) -> bool {
        match self {
            FromItem::Join(j) => j.left.covers(qualifier) || j.right.covers(qualifier),
            other => other.qualifier() == Some(qualifier),
        }
    }
}

impl Cte {
    /// The CTE's name.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select};
    /// assert_eq!(select([literal_column("1")]).cte("c").name(), "c");
    /// ```
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// An expression for column `name` of the CTE.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let c = select([literal_column("1").label("n")]).cte("c");
    /// assert_eq!(c.c("n").compile(&aludel::dialects::Sqlite).unwrap().sql, "c.n");
    /// ```
    pub fn c(&self, name: &str) -> Expr {
        FromItem::Cte(self.clone()).c(name)
    }

    /// `cte AS name`, e.g. to refer to a recursive CTE from its own recursive part.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let c = select([literal_column("1").label("n")]).cte("c");
    /// assert_eq!(c.alias("pr").c("n").compile(&aludel::dialects::Sqlite).unwrap().sql, "pr.n");
    /// ```
    pub fn alias(&self, name: &str) -> FromItem {
        FromItem::Cte(self.clone()).alias(name)
    }

    /// Extends the definition: `name AS (definition UNION ALL other)`, as for the
    /// recursive part of a `WITH RECURSIVE`.
    ///
    /// ```
    /// use aludel::sql::{literal_column, select, Executable};
    /// let base = select([literal_column("1").label("n")]).cte_recursive("cnt");
    /// let n = base.c("n");
    /// let full = base.union_all(select([(n.clone() + 1).label("n")]).from(&base).where_(n.lt(3)));
    /// let s = select([full.c("n")]).from(&full);
    /// assert_eq!(
    ///     s.compile(&aludel::dialects::Postgres).unwrap().sql,
    ///     "WITH RECURSIVE cnt(n) AS (SELECT 1 AS n UNION ALL SELECT cnt.n + $1 AS n FROM cnt WHERE cnt.n < $2) SELECT cnt.n FROM cnt"
    /// );
    /// ```
    pub fn union_all(&self, other: impl Into<SelectStatement>) -> Cte {
        self.extend(SetOp::UnionAll, other.into())
    }

    /// Extends the definition with `UNION` (duplicates removed).
    ///
    /// ```
    /// use aludel::sql::{literal_column, select};
    /// let base = select([literal_column("1").label("n")]).cte("c");
    /// assert_eq!(base.union(select([literal_column("2")])).name(), "c");
    /// ```
    pub fn union(&self, other: impl Into<SelectStatement>) -> Cte {
        self.extend(SetOp::Union, other.into())
    }

    fn extend(&self, op: SetOp, other: SelectStatement) -> Cte {
        let def = &self.0;
        let select = def.select.clone().set_op(op, other);
        Cte(Arc::new(CteDef {
            name: def.name.clone(),
            select: SelectStatement::Compound(Box::new(select)),
            recursive: def.recursive,
            generation: def.generation + 1,
        }))
    }
}

impl From<Cte> for FromItem {
    fn from(c: Cte) -> Self {
        FromItem::Cte(c)
    }
}

impl From<&Cte> for FromItem {
    fn from(c: &Cte) -> Self {
        FromItem::Cte(c.clone())
    }
}

impl From<Table> for FromItem {
    fn from(t: Table) -> Self {
        FromItem::Table(t)
    }
}

impl From<&Table> for FromItem {
    fn from(t: &Table) -> Self {
        FromItem::Table(t.clone())
    }
}

impl From<&FromItem> for FromItem {
    fn from(f: &FromItem) -> Self {
        f.clone()
    }
}

/// Set operators for compound selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum SetOp {
    Union,
    UnionAll,
    Intersect,
    IntersectAll,
    Except,
    ExceptAll,
}

impl SetOp {
    /// INTERSECT ALL / EXCEPT ALL, which not every database has.
    pub(crate) fn is_intersect_or_except_all(self) -> bool {
        matches!(self, SetOp::IntersectAll | SetOp::ExceptAll)
    }

    pub(crate) fn sql(self) -> &'static str {
        match self {
            SetOp::Union => " UNION ",
            SetOp::UnionAll => " UNION ALL ",
            SetOp::Intersect => " INTERSECT ",
            SetOp::IntersectAll => " INTERSECT ALL ",
            SetOp::Except => " EXCEPT ",
            SetOp::ExceptAll => " EXCEPT ALL ",
        }
    }
}

/// A SELECT or a compound (UNION ...) select.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectStatement {
    /// A simple select.
    Select(Box<Select>),
    /// A compound select.
    Compound(Box<CompoundSelect>),
}

impl From<Select> for SelectStatement {
    fn from(s: Select) -> Self {
        SelectStatement::Select(Box::new(s))
    }
}

impl From<CompoundSelect> for SelectStatement {
    fn from(s: CompoundSelect) -> Self {
        SelectStatement::Compound(Box::new(s))
    }
}

impl SelectStatement {
    /// The names of the output columns, when every one has a name.
    pub(crate) fn output_names(&self) -> Option<Vec<Arc<str>>> {
        match self {
            SelectStatement::Select(s) => s.output_names(),
            SelectStatement::Compound(c) => c.members.first().and_then(|m| m.output_names()),
        }
    }

    pub(crate) fn set_op(self, op: SetOp, other: SelectStatement) -> CompoundSelect {
        CompoundSelect {
            members: vec![self, other],
            ops: vec![op],
            order_by: Vec::new(),
            limit: None,
            offset: None,
        }
    }

    /// Whether rendering this as a compound member needs a derived-table wrapper.
    pub(crate) fn needs_wrapping_as_member(&self) -> bool {
        match self {
            SelectStatement::Select(s) => {
                !s.order_by.is_empty() || s.limit.is_some() || s.offset.is_some()
            }
            SelectStatement::Compound(_) => true,
        }
    }
}

/// A row-locking request: `FOR UPDATE`, `FOR SHARE`, with `NOWAIT`, `SKIP LOCKED`, `OF`.
#[derive(Debug, Clone, PartialEq)]
pub struct LockOptions {
    /// Strength.
    pub strength: LockStrength,
    /// Behaviour on contention.
    pub wait: LockWait,
    /// Lock only rows of these tables or aliases.
    pub of: Vec<FromItem>,
}

impl LockOptions {
    /// `FOR UPDATE`.
    ///
    /// ```
    /// let l = aludel::sql::LockOptions::update();
    /// assert_eq!(l.strength, aludel::dialects::LockStrength::Update);
    /// ```
    pub fn update() -> Self {
        LockOptions {
            strength: LockStrength::Update,
            wait: LockWait::Wait,
            of: Vec::new(),
        }
    }

    /// `FOR SHARE` (`LOCK IN SHARE MODE` on MySQL).
    ///
    /// ```
    /// let l = aludel::sql::LockOptions::share();
    /// assert_eq!(l.strength, aludel::dialects::LockStrength::Share);
    /// ```
    pub fn share() -> Self {
        LockOptions {
            strength: LockStrength::Share,
            wait: LockWait::Wait,
            of: Vec::new(),
        }
    }

    /// `FOR KEY SHARE` (PostgreSQL; SQLAlchemy's `read=True, key_share=True`).
    ///
    /// ```
    /// let l = aludel::sql::LockOptions::key_share();
    /// assert_eq!(l.strength, aludel::dialects::LockStrength::KeyShare);
    /// ```
    pub fn key_share() -> Self {
        LockOptions {
            strength: LockStrength::KeyShare,
            ..LockOptions::update()
        }
    }

    /// `FOR NO KEY UPDATE` (PostgreSQL; SQLAlchemy's `key_share=True`).
    ///
    /// ```
    /// let l = aludel::sql::LockOptions::no_key_update();
    /// assert_eq!(l.strength, aludel::dialects::LockStrength::NoKeyUpdate);
    /// ```
    pub fn no_key_update() -> Self {
        LockOptions {
            strength: LockStrength::NoKeyUpdate,
            ..LockOptions::update()
        }
    }

    /// Adds `NOWAIT`.
    ///
    /// ```
    /// let l = aludel::sql::LockOptions::update().nowait();
    /// assert_eq!(l.wait, aludel::dialects::LockWait::NoWait);
    /// ```
    pub fn nowait(mut self) -> Self {
        self.wait = LockWait::NoWait;
        self
    }

    /// Adds `SKIP LOCKED`.
    ///
    /// ```
    /// let l = aludel::sql::LockOptions::update().skip_locked();
    /// assert_eq!(l.wait, aludel::dialects::LockWait::SkipLocked);
    /// ```
    pub fn skip_locked(mut self) -> Self {
        self.wait = LockWait::SkipLocked;
        self
    }

    /// Adds `OF item`.
    ///
    /// ```
    /// let t = aludel::sql::Table::build("t").finish();
    /// assert_eq!(aludel::sql::LockOptions::update().of(&t).of.len(), 1);
    /// ```
    pub fn of(mut self, item: impl Into<FromItem>) -> Self {
        self.of.push(item.into());
        self
    }
}

/// Which select-list labels to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabelStyle {
    /// Columns render as themselves.
    #[default]
    None,
    /// Each table column is labelled `<table>_<column>` (SQLAlchemy's `apply_labels`).
    TablenameColumn,
}

/// A hint: SQL text attached to a table (`users USE INDEX (ix)`) or to the statement,
/// rendered only for the named dialect (or all, with `"*"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    /// The table or alias the hint follows; `None` for a statement hint.
    pub target: Option<Arc<str>>,
    /// The hint text.
    pub text: String,
    /// The dialect it applies to, or `"*"`.
    pub dialect: String,
}

/// A SELECT statement. Build with [`select`](crate::sql::select) and chain methods; each
/// method returns the changed statement (generative, like SQLAlchemy).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Select {
    pub(crate) columns: Vec<Expr>,
    pub(crate) from: Vec<FromItem>,
    pub(crate) joins: Vec<(JoinKind, FromItem, Expr)>,
    pub(crate) where_: Vec<Expr>,
    pub(crate) group_by: Vec<Expr>,
    pub(crate) having: Vec<Expr>,
    pub(crate) order_by: Vec<OrderBy>,
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
    pub(crate) distinct: bool,
    pub(crate) distinct_on: Vec<Expr>,
    pub(crate) lock: Option<LockOptions>,
    pub(crate) prefixes: Vec<String>,
    pub(crate) suffixes: Vec<String>,
    pub(crate) hints: Vec<Hint>,
    pub(crate) correlate: Option<Vec<Arc<str>>>,
    pub(crate) label_style: LabelStyle,
}

/// `a UNION b INTERSECT c ...` with an optional ORDER BY / LIMIT / OFFSET for the whole.
#[derive(Debug, Clone, PartialEq)]
pub struct CompoundSelect {
    pub(crate) members: Vec<SelectStatement>,
    pub(crate) ops: Vec<SetOp>,
    pub(crate) order_by: Vec<OrderBy>,
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
}

/// Output names shared by `Select` and compound members.
fn expr_output_name(e: &Expr) -> Option<Arc<str>> {
    match e {
        Expr::Label { name, .. } => Some(name.clone()),
        Expr::Column(c) => Some(c.name.clone()),
        // `literal_column("name")` is known by its text, as in SQLAlchemy.
        Expr::Raw(sql) => Some(sql.clone()),
        _ => None,
    }
}

impl Select {
    pub(crate) fn output_names(&self) -> Option<Vec<Arc<str>>> {
        self.columns
            .iter()
            .map(|e| match (self.label_style, e) {
                (LabelStyle::TablenameColumn, Expr::Column(c)) => {
                    match c.source.as_ref().and_then(|s| s.qualifier()) {
                        Some(q) => Some(Arc::from(format!("{q}_{}", c.name))),
                        None => Some(c.name.clone()),
                    }
                }
                _ => expr_output_name(e),
            })
            .collect()
    }
}
