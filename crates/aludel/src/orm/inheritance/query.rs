//! [`PolymorphicQuery`]: a query for a whole hierarchy whose rows come back as the
//! [`Polymorphic`] enum's variants, each object the type its discriminator names.

use std::any::TypeId;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::engine::RowView;
use crate::error::{Error, Result};
use crate::orm::binds::StatementBind;
use crate::orm::inheritance::joined::join_condition;
use crate::orm::inheritance::polymorphic::{Polymorphic, VariantLoader};
use crate::orm::loading::selectin::{BATCH, in_keys};
use crate::orm::mapper::ModelInfo;
use crate::orm::session::Session;
use crate::sql::{Expr, FromItem, OrderBy, Params, Select, Table, Value, ValueRef, select};

/// A query for every type of a hierarchy, giving values of the enum `P`; made by
/// [`Session::query_polymorphic`]. It selects the columns of every variant in one
/// statement: the one table of a single-table hierarchy, or the base table outer-joined
/// to each subtype's table in a joined-table one (SQLAlchemy's `with_polymorphic("*")`).
///
/// ```
/// # use aludel::orm::{Instance, Model, Session};
/// # #[derive(aludel::Model)]
/// # #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
/// # struct Employee { #[column(primary_key)] id: i64, kind: String }
/// # #[derive(aludel::Polymorphic)] enum AnyEmployee { Employee(Instance<Employee>) }
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// aludel::orm::create_all(&engine, &[Employee::info()])?;
/// let s = Session::new(&engine);
/// s.add(Employee { id: 1, kind: String::new() })?;
/// let q: aludel::orm::PolymorphicQuery<AnyEmployee> = s.query_polymorphic();
/// assert_eq!(q.filter(Employee::id.eq(1)).all()?.len(), 1);
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct PolymorphicQuery<P: Polymorphic> {
    session: Session,
    select: Select,
    layout: Result<Arc<Layout>>,
    /// The criteria, ordering and limit added so far, replayed when
    /// [`with_polymorphic`](Self::with_polymorphic) plans the statement again.
    shaping: Vec<Arc<dyn Fn(Select) -> Select + Send + Sync>>,
    _variants: PhantomData<fn() -> P>,
}

impl<P: Polymorphic> Clone for PolymorphicQuery<P> {
    fn clone(&self) -> Self {
        PolymorphicQuery {
            session: self.session.clone(),
            select: self.select.clone(),
            layout: self.layout.clone(),
            shaping: self.shaping.clone(),
            _variants: PhantomData,
        }
    }
}

/// Where each variant's columns are in the union of columns the query selects.
#[derive(Debug)]
struct Layout {
    /// The enum's name, for errors.
    name: &'static str,
    /// The position of the discriminator column.
    discriminator: usize,
    /// Per variant: its discriminator value and where its columns are.
    variants: Vec<(String, Columns)>,
}

/// Where a variant's columns come from.
#[derive(Debug)]
enum Columns {
    /// All in the row: the position of each of its columns.
    InRow(Vec<usize>),
    /// A joined-table subtype left out of the outer joins (`with_polymorphic` with a
    /// subset): the row holds its primary key (at these positions), and `select` — its
    /// whole row, base table joined to its own — loads it by key after the query.
    Later {
        key: Vec<usize>,
        select: Box<Select>,
    },
}

impl Layout {
    /// The variant whose discriminator value `value` is; an unknown value is an error
    /// naming it and the known ones.
    fn variant_of(&self, value: ValueRef<'_>) -> Result<usize> {
        if let ValueRef::Text(text) = value
            && let Some(i) = self.variants.iter().position(|(id, _)| id == text)
        {
            return Ok(i);
        }
        let known: Vec<&str> = self.variants.iter().map(|(id, _)| id.as_str()).collect();
        Err(Error::invalid(format!(
            "a row's discriminator {:?} names no variant of {} (known: {})",
            value.to_value(),
            self.name,
            known.join(", ")
        )))
    }
}

/// The columns, FROM and layout of a query for hierarchy `P`, or the configuration error
/// that prevents it.
/// `included` (`with_polymorphic`) names the joined-table subtypes whose tables are
/// outer-joined; `None` joins every one.
fn plan<P: Polymorphic>(included: Option<&[TypeId]>) -> Result<(Select, Layout)> {
    let name = std::any::type_name::<P>()
        .rsplit("::")
        .next()
        .unwrap_or("?");
    let variants = P::variants();
    let Some(first) = variants.first() else {
        return Err(Error::config(format!("{name} has no variants")));
    };
    let base = first.hierarchy_base();
    let Some(inheritance) = &base.inheritance else {
        return Err(Error::config(format!(
            "{name}: {} is not polymorphic (declare polymorphic and polymorphic_on on it)",
            base.name
        )));
    };
    let mut columns: Vec<(String, String)> = Vec::new();
    let mut exprs: Vec<Expr> = Vec::new();
    let mut position = |table: &Table, column: &str| {
        let key = (table.name().to_owned(), column.to_owned());
        match columns.iter().position(|c| *c == key) {
            Some(at) => at,
            None => {
                columns.push(key);
                exprs.push(table.c(column));
                columns.len() - 1
            }
        }
    };
    let discriminator = position(&base.table, &inheritance.polymorphic_on);
    let mut joins = Vec::new();
    let mut layout = Vec::with_capacity(variants.len());
    for v in &variants {
        if v.hierarchy_base().type_id != base.type_id {
            return Err(Error::config(format!(
                "{name}: variant {} is not in the hierarchy of {}",
                v.name, base.name
            )));
        }
        let (_, identity) = v.discriminator()?.ok_or_else(|| {
            Error::config(format!("{name}: variant {} is not polymorphic", v.name))
        })?;
        let identity = match identity {
            Value::Text(s) => s,
            other => format!("{other:?}"),
        };
        if layout.iter().any(|(id, _)| *id == identity) {
            return Err(Error::config(format!(
                "{name}: two variants have the polymorphic identity '{identity}'"
            )));
        }
        let parts = v.joined_parts()?;
        let columns = match (parts, included) {
            (Some(_), Some(included)) if !included.contains(&v.type_id) => Columns::Later {
                key: v
                    .primary_key
                    .iter()
                    .map(|&i| position(v.column_table(i), &v.columns()[i].name))
                    .collect(),
                select: Box::new(
                    v.select_from(select((0..v.columns().len()).map(|i| v.column_expr(i)))),
                ),
            },
            _ => {
                // Each subtype table once, after the tables it joins to.
                if let Some(parts) = parts {
                    for (k, part) in parts.iter().enumerate().skip(1) {
                        let table = &part.info.table;
                        if !joins
                            .iter()
                            .any(|(t, _): &(Table, Expr)| t.name() == table.name())
                        {
                            joins.push((table.clone(), join_condition(parts, k)));
                        }
                    }
                }
                Columns::InRow(
                    v.columns()
                        .iter()
                        .enumerate()
                        .map(|(i, c)| position(v.column_table(i), &c.name))
                        .collect(),
                )
            }
        };
        layout.push((identity, columns));
    }
    // Joined tables: every subtype's table, outer-joined (a row has at most one).
    let mut stmt = joins.into_iter().fold(
        select(exprs).from(FromItem::Table(base.table.clone())),
        |stmt, (table, on)| stmt.outer_join(table, on),
    );
    // An enum without the base is part of the hierarchy (SQLAlchemy's query for a
    // subclass with its own subclasses): it keeps to its variants' rows. With the base it
    // is the whole hierarchy, and a row of no variant is an error.
    if !variants.iter().any(|v| v.type_id == base.type_id) {
        let identities = layout
            .iter()
            .map(|(id, _)| Expr::Value(Value::Text(id.clone())));
        stmt = stmt.where_(base.table.c(&inheritance.polymorphic_on).in_(identities));
    }
    Ok((
        stmt,
        Layout {
            name,
            discriminator,
            variants: layout,
        },
    ))
}

impl Session {
    /// A query for every type of the hierarchy `P` names (SQLAlchemy's query for a
    /// polymorphic base): each row comes back as the variant its discriminator names,
    /// through the identity map, so an object already loaded as its own type is the same
    /// object.
    ///
    /// ```
    /// use aludel::orm::{Instance, Model, Session};
    ///
    /// #[derive(aludel::Model)]
    /// #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
    /// struct Employee { #[column(primary_key)] id: i64, name: String, kind: String }
    ///
    /// #[derive(aludel::Model)]
    /// #[model(inherits = Employee)]
    /// struct Engineer { #[column(primary_key)] id: i64, name: String, kind: String, language: Option<String> }
    ///
    /// #[derive(aludel::Polymorphic)]
    /// enum AnyEmployee { Employee(Instance<Employee>), Engineer(Instance<Engineer>) }
    ///
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// aludel::orm::create_all(&engine, &[Employee::info(), Engineer::info()])?;
    /// let s = Session::new(&engine);
    /// s.add(Employee { id: 1, name: "ada".into(), kind: String::new() })?;
    /// let eng = s.add(Engineer { id: 2, name: "bob".into(), kind: String::new(), language: Some("rust".into()) })?;
    /// let all = s.query_polymorphic::<AnyEmployee>().order_by(Employee::id.asc()).all()?;
    /// match &all[..] {
    ///     [AnyEmployee::Employee(a), AnyEmployee::Engineer(b)] => {
    ///         assert_eq!(a.read()?.kind, "Employee");
    ///         assert!(b.ptr_eq(&eng));
    ///     }
    ///     _ => panic!("each row as its own type"),
    /// }
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn query_polymorphic<P: Polymorphic>(&self) -> PolymorphicQuery<P> {
        let mut q = PolymorphicQuery {
            session: self.clone(),
            select: Select::default(),
            layout: Ok(Arc::new(Layout {
                name: "",
                discriminator: 0,
                variants: Vec::new(),
            })),
            shaping: Vec::new(),
            _variants: PhantomData,
        };
        q.plan(None);
        q
    }
}

impl<P: Polymorphic> PolymorphicQuery<P> {
    /// Adds a WHERE criterion (columns of any variant may be named).
    ///
    /// ```
    /// # use aludel::orm::{Instance, Model, Session};
    /// # #[derive(aludel::Model)]
    /// # #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
    /// # struct Employee { #[column(primary_key)] id: i64, kind: String }
    /// # #[derive(aludel::Polymorphic)] enum AnyEmployee { Employee(Instance<Employee>) }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = Session::new(&engine).query_polymorphic::<AnyEmployee>().filter(Employee::id.gt(1));
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT employee.kind, employee.id FROM employee WHERE employee.id > ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn filter(&self, criterion: Expr) -> Self {
        self.with(move |s| s.where_(criterion.clone()))
    }

    /// Adds an ORDER BY key.
    ///
    /// ```
    /// # use aludel::orm::{Instance, Model, Session};
    /// # #[derive(aludel::Model)]
    /// # #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
    /// # struct Employee { #[column(primary_key)] id: i64, kind: String }
    /// # #[derive(aludel::Polymorphic)] enum AnyEmployee { Employee(Instance<Employee>) }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = Session::new(&engine).query_polymorphic::<AnyEmployee>().order_by(Employee::id.desc());
    /// assert!(q.statement().compile(&aludel::dialects::Sqlite)?.sql.ends_with("ORDER BY employee.id DESC"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn order_by(&self, key: impl Into<OrderBy>) -> Self {
        let key = key.into();
        self.with(move |s| s.order_by(key.clone()))
    }

    /// Limits the rows returned.
    ///
    /// ```
    /// # use aludel::orm::{Instance, Model, Session};
    /// # #[derive(aludel::Model)]
    /// # #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
    /// # struct Employee { #[column(primary_key)] id: i64, kind: String }
    /// # #[derive(aludel::Polymorphic)] enum AnyEmployee { Employee(Instance<Employee>) }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = Session::new(&engine).query_polymorphic::<AnyEmployee>().limit(2);
    /// assert!(q.statement().compile(&aludel::dialects::Sqlite)?.sql.ends_with("LIMIT ?"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn limit(&self, n: u64) -> Self {
        self.with(move |s| s.limit(n))
    }

    /// The Core statement the query runs.
    ///
    /// ```
    /// # use aludel::orm::{Instance, Model, Session};
    /// # #[derive(aludel::Model)]
    /// # #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
    /// # struct Employee { #[column(primary_key)] id: i64, kind: String }
    /// # #[derive(aludel::Polymorphic)] enum AnyEmployee { Employee(Instance<Employee>) }
    /// # let engine = aludel::create_engine("sqlite://")?;
    /// use aludel::sql::Executable;
    /// let q = Session::new(&engine).query_polymorphic::<AnyEmployee>();
    /// assert_eq!(q.statement().compile(&aludel::dialects::Sqlite)?.sql, "SELECT employee.kind, employee.id FROM employee");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn statement(&self) -> &Select {
        &self.select
    }

    /// Outer-joins only the tables of the joined-table subtypes in `subtypes` (SQLAlchemy's
    /// `with_polymorphic([Engineer])`, where `query_polymorphic` alone is
    /// `with_polymorphic("*")`). A row of another joined-table subtype comes from the
    /// statement with its base columns only; its own columns are loaded right after, by
    /// primary key (`IN` batches of at most 500 keys), one statement per such subtype
    /// present — not per row. SQLAlchemy loads them when an attribute is first touched;
    /// a Rust struct is built whole, so aludel loads them before returning. Single-table
    /// subtypes read one table either way and are unaffected.
    ///
    /// ```
    /// # use aludel::orm::{Instance, Model, Session};
    /// # #[derive(aludel::Model)] #[model(table = "employee", polymorphic = "joined", polymorphic_on = "kind")]
    /// # struct Employee { #[column(primary_key)] id: i64, kind: String }
    /// # #[derive(aludel::Model)] #[model(table = "engineer", inherits = Employee)]
    /// # struct Engineer { #[column(primary_key)] id: i64, kind: String, language: String }
    /// # #[derive(aludel::Model)] #[model(table = "manager", inherits = Employee)]
    /// # struct Manager { #[column(primary_key)] id: i64, kind: String, budget: i64 }
    /// # #[derive(aludel::Polymorphic)] enum AnyEmployee { Employee(Instance<Employee>), Engineer(Instance<Engineer>), Manager(Instance<Manager>) }
    /// use aludel::sql::Executable;
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let q = Session::new(&engine).query_polymorphic::<AnyEmployee>().with_polymorphic(&[Engineer::info()]);
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT employee.kind, employee.id, engineer.language FROM employee \
    ///      LEFT OUTER JOIN engineer ON employee.id = engineer.id"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_polymorphic(&self, subtypes: &[&ModelInfo]) -> Self {
        let mut q = self.clone();
        let included: Vec<TypeId> = subtypes.iter().map(|m| m.type_id).collect();
        q.plan(Some(&included));
        q
    }

    /// Plans the statement and layout for the joined subtypes `included`, then replays the
    /// criteria, ordering and limit added so far.
    fn plan(&mut self, included: Option<&[TypeId]>) {
        match plan::<P>(included) {
            Ok((select, layout)) => {
                self.select = self.shaping.iter().fold(select, |s, f| f(s));
                self.layout = Ok(Arc::new(layout));
            }
            Err(e) => {
                self.select = Select::default();
                self.layout = Err(e);
            }
        }
    }

    fn with(&self, f: impl Fn(Select) -> Select + Send + Sync + 'static) -> Self {
        let mut q = self.clone();
        q.select = f(q.select);
        q.shaping.push(Arc::new(f));
        q
    }

    /// Every matching row, each as its own type (one statement; autoflush first).
    ///
    /// An unknown discriminator value is an error naming it.
    ///
    /// ```
    /// # use aludel::orm::{Instance, Model, Session};
    /// # #[derive(aludel::Model)]
    /// # #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
    /// # struct Employee { #[column(primary_key)] id: i64, kind: String }
    /// # #[derive(aludel::Polymorphic)] enum AnyEmployee { Employee(Instance<Employee>) }
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// aludel::orm::create_all(&engine, &[Employee::info()])?;
    /// let s = Session::new(&engine);
    /// s.execute(&aludel::sql::text("INSERT INTO employee (id, kind) VALUES (1, 'Robot')"), ())?;
    /// let err = s.query_polymorphic::<AnyEmployee>().all().err().map(|e| e.to_string()).unwrap_or_default();
    /// assert!(err.contains("\"Robot\"") && err.contains("AnyEmployee"), "{err}");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn all(&self) -> Result<Vec<P>> {
        let layout = self.layout.clone()?;
        let inner = &self.session.inner;
        // The statement goes where the hierarchy's base model is bound.
        let Some(first) = P::variants().first().copied() else {
            return Ok(Vec::new());
        };
        let base = first.hierarchy_base();
        let (compiled, values) = inner
            .prepare_for(&self.select, base)?
            .into_bound(&Params::new())?;
        let mut guard = inner.usable()?;
        inner.autoflush(&mut guard)?;
        let st = &mut *guard;
        inner.connection_for(st, StatementBind::select(base, &self.select))?;
        let (Some(conn), identity) = (st.conn.as_mut(), &mut st.identity) else {
            return Err(Error::invalid("no connection"));
        };
        let mut out = Vec::new();
        // Rows of subtypes loaded afterwards: (variant, primary key, index in `out`).
        let mut later: Vec<(usize, Vec<Value>, usize)> = Vec::new();
        let mut rows = conn.stream_compiled(&compiled, values)?;
        while let Some(row) = rows.next_ref() {
            let row = row?;
            let variant = layout.variant_of(row.value(layout.discriminator)?)?;
            match &layout.variants[variant].1 {
                Columns::InRow(positions) => {
                    let mut loader = VariantLoader {
                        session: inner,
                        identity,
                        row: &row,
                        positions,
                        populate_existing: false,
                    };
                    out.push(Some(P::load(variant, &mut loader)?));
                }
                Columns::Later { key, .. } => {
                    let key = key
                        .iter()
                        .map(|&at| row.value(at).map(|v| v.to_value()))
                        .collect::<Result<_>>()?;
                    later.push((variant, key, out.len()));
                    out.push(None);
                }
            }
        }
        drop(rows);
        for (variant, (_, columns)) in layout.variants.iter().enumerate() {
            let Columns::Later { select, .. } = columns else {
                continue;
            };
            let model = P::variants()[variant];
            let wanted: Vec<&(usize, Vec<Value>, usize)> =
                later.iter().filter(|(v, _, _)| *v == variant).collect();
            let key_exprs: Vec<Expr> = model
                .primary_key
                .iter()
                .map(|&i| model.column_expr(i))
                .collect();
            let positions: Vec<usize> = (0..model.columns().len()).collect();
            for chunk in wanted.chunks(BATCH) {
                let keys: Vec<Vec<Value>> = chunk.iter().map(|(_, k, _)| k.clone()).collect();
                let stmt = (**select).clone().where_(in_keys(&key_exprs, &keys));
                let (compiled, values) = inner.prepare(&stmt)?.into_bound(&Params::new())?;
                let mut rows = conn.stream_compiled(&compiled, values)?;
                while let Some(row) = rows.next_ref() {
                    let row = row?;
                    let key: Vec<Value> = model
                        .primary_key
                        .iter()
                        .map(|&i| row.value(i).map(|v| v.to_value()))
                        .collect::<Result<_>>()?;
                    let mut loader = VariantLoader {
                        session: inner,
                        identity,
                        row: &row,
                        positions: &positions,
                        populate_existing: false,
                    };
                    let loaded = P::load(variant, &mut loader)?;
                    if let Some((_, _, at)) = chunk.iter().find(|(_, k, _)| *k == key) {
                        out[*at] = Some(loaded);
                    }
                }
            }
        }
        out.into_iter()
            .map(|found| {
                found.ok_or_else(|| {
                    Error::invalid(format!(
                        "a {} row vanished between the query and the load of its subtype's columns",
                        layout.name
                    ))
                })
            })
            .collect()
    }

    /// The first row (with LIMIT 1), or `None`.
    ///
    /// ```
    /// # use aludel::orm::{Instance, Model, Session};
    /// # #[derive(aludel::Model)]
    /// # #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
    /// # struct Employee { #[column(primary_key)] id: i64, kind: String }
    /// # #[derive(aludel::Polymorphic)] enum AnyEmployee { Employee(Instance<Employee>) }
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// aludel::orm::create_all(&engine, &[Employee::info()])?;
    /// assert!(Session::new(&engine).query_polymorphic::<AnyEmployee>().first()?.is_none());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn first(&self) -> Result<Option<P>> {
        Ok(self.limit(1).all()?.into_iter().next())
    }
}
