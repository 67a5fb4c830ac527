//! [`Binds`]: which engine a session uses for each model (SQLAlchemy's
//! `Session(binds={...})`). A session built with [`Session::with_binds`] resolves, for the
//! model it loads or flushes, first a bind given for that model, then one given for the
//! model's table, then the default bind; with none of them the work fails with an
//! "unbound" error naming the model. Each bind is an [`Engine`] or a read/write
//! [`Routing`]. The session keeps one connection, in one transaction, per engine it used,
//! and commits (or rolls back) all of them together; see `docs/session.md#binds`.

use std::any::TypeId;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::routing::Routing;
use crate::orm::session::{Session, SessionConfig};
use crate::sql::Select;

/// Where a bind sends work: one engine, or a primary with replicas.
///
/// ```
/// let engine = aludel::create_engine("sqlite://")?;
/// let target: aludel::orm::BindTarget = engine.into();
/// assert!(matches!(target, aludel::orm::BindTarget::Engine(_)));
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum BindTarget {
    /// Every statement goes to this engine.
    Engine(Engine),
    /// Writes to the primary, reads to a replica (see [`Routing`]).
    Routed(Routing),
}

impl From<Engine> for BindTarget {
    fn from(engine: Engine) -> Self {
        BindTarget::Engine(engine)
    }
}

impl From<&Engine> for BindTarget {
    fn from(engine: &Engine) -> Self {
        BindTarget::Engine(engine.clone())
    }
}

impl From<Routing> for BindTarget {
    fn from(routing: Routing) -> Self {
        BindTarget::Routed(routing)
    }
}

/// What a statement does, which decides the engine of a routed bind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A plain read: a replica may answer it.
    Read,
    /// A write, a locking read, or a read that must see this unit of work's writes.
    Write,
}

/// The model a statement is about and what it does: what a bound session resolves.
#[derive(Clone, Copy)]
pub(crate) struct StatementBind {
    pub(crate) model: &'static ModelInfo,
    pub(crate) purpose: Purpose,
}

impl StatementBind {
    /// A plain read of `model`.
    pub(crate) fn read(model: &'static ModelInfo) -> StatementBind {
        StatementBind {
            model,
            purpose: Purpose::Read,
        }
    }

    /// A write of `model` (a flush).
    pub(crate) fn write(model: &'static ModelInfo) -> StatementBind {
        StatementBind {
            model,
            purpose: Purpose::Write,
        }
    }

    /// A SELECT of `model`: a read, or a write when it locks rows (`with_for_update`).
    pub(crate) fn select(model: &'static ModelInfo, stmt: &Select) -> StatementBind {
        StatementBind {
            model,
            purpose: match stmt.lock {
                Some(_) => Purpose::Write,
                None => Purpose::Read,
            },
        }
    }
}

impl BindTarget {
    /// The engine that runs a statement with `purpose`.
    pub(crate) fn engine(&self, purpose: Purpose) -> Engine {
        match self {
            BindTarget::Engine(e) => e.clone(),
            BindTarget::Routed(r) => r.engine(purpose),
        }
    }

    /// The engine writes go to (the one whose dialect compiles the statements).
    pub(crate) fn primary(&self) -> &Engine {
        match self {
            BindTarget::Engine(e) => e,
            BindTarget::Routed(r) => r.primary(),
        }
    }
}

/// The binds of a session: per model, per table, and a default.
///
/// ```
/// use aludel::orm::{Binds, Model, Session};
/// #[derive(aludel::Model, Clone)] #[model(table = "orders")] struct Order { #[column(primary_key)] id: i64 }
/// #[derive(aludel::Model, Clone)] #[model(table = "stock")] struct Stock { #[column(primary_key)] id: i64 }
/// let orders = aludel::create_engine("sqlite://:memory:")?;
/// let stock = aludel::create_engine("sqlite://:memory:")?;
/// aludel::orm::create_all(&orders, &[Order::info()])?;
/// aludel::orm::create_all(&stock, &[Stock::info()])?;
/// let s = Session::with_binds(Binds::new().model::<Order>(&orders).table("stock", &stock), Default::default());
/// s.add(Order { id: 1 })?;
/// s.add(Stock { id: 2 })?;
/// s.commit()?;
/// assert_eq!(orders.connect()?.scalar::<i64>(&aludel::sql::text("SELECT count(*) FROM orders"), ())?, 1);
/// assert_eq!(stock.connect()?.scalar::<i64>(&aludel::sql::text("SELECT count(*) FROM stock"), ())?, 1);
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Binds {
    models: Vec<(TypeId, BindTarget)>,
    bases: Vec<(TypeId, BindTarget)>,
    tables: Vec<(String, BindTarget)>,
    default: Option<BindTarget>,
}

impl Binds {
    /// No binds yet.
    ///
    /// ```
    /// let b = aludel::orm::Binds::new();
    /// # let _ = b;
    /// ```
    pub fn new() -> Binds {
        Binds::default()
    }

    /// Binds model `M` (it wins over a bind of its table and the default).
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let e = aludel::create_engine("sqlite://")?;
    /// let b = aludel::orm::Binds::new().model::<T>(&e);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn model<M: Model>(mut self, target: impl Into<BindTarget>) -> Binds {
        let id = M::info().type_id;
        self.models.retain(|(t, _)| *t != id);
        self.models.push((id, target.into()));
        self
    }

    /// Binds every model of declarative base `B` (`#[model(base = B)]`; SQLAlchemy's
    /// `binds={Base: engine}`): after a bind of the model or of a model it inherits
    /// from, before a bind of its table.
    ///
    /// ```
    /// use aludel::orm::{Binds, DeclarativeBase, Model, Query, ScopedSession, Session};
    /// static DB: ScopedSession = ScopedSession::unconfigured();
    /// struct Archive;
    /// impl DeclarativeBase for Archive {
    ///     type Query<M: Model> = Query<M>;
    ///     fn scoped_session() -> &'static ScopedSession<impl aludel::orm::QueryClasses> { &DB }
    /// }
    /// #[derive(aludel::Model, Clone)] #[model(table = "old_orders", base = Archive)]
    /// struct OldOrder { #[column(primary_key)] id: i64 }
    /// let live = aludel::create_engine("sqlite://:memory:")?;
    /// let archive = aludel::create_engine("sqlite://:memory:")?;
    /// aludel::orm::create_all(&archive, &[OldOrder::info()])?;
    /// let s = Session::with_binds(Binds::new().bind(&live).base::<Archive>(&archive), Default::default());
    /// s.add(OldOrder { id: 1 })?;
    /// s.commit()?;
    /// assert_eq!(archive.connect()?.scalar::<i64>(&aludel::sql::text("SELECT count(*) FROM old_orders"), ())?, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn base<B: crate::orm::DeclarativeBase + 'static>(
        mut self,
        target: impl Into<BindTarget>,
    ) -> Binds {
        let id = TypeId::of::<B>();
        self.bases.retain(|(t, _)| *t != id);
        self.bases.push((id, target.into()));
        self
    }

    /// Binds a table by name (for every model mapped to it that has no model bind).
    ///
    /// ```
    /// let e = aludel::create_engine("sqlite://")?;
    /// let b = aludel::orm::Binds::new().table("audit_log", &e);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn table(mut self, name: &str, target: impl Into<BindTarget>) -> Binds {
        self.tables.retain(|(t, _)| t != name);
        self.tables.push((name.to_owned(), target.into()));
        self
    }

    /// The default bind (SQLAlchemy's `Session(bind=...)`): everything no model or table bind covers: statements of no model
    /// (`Session::execute`), savepoints, and models without a bind of their own.
    ///
    /// ```
    /// let e = aludel::create_engine("sqlite://")?;
    /// let b = aludel::orm::Binds::new().bind(&e);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn bind(mut self, target: impl Into<BindTarget>) -> Binds {
        self.default = Some(target.into());
        self
    }

    /// The bind for `model`, in SQLAlchemy's order (the class's MRO, then the tables):
    /// the model, the models it inherits from (nearest first), its declarative base,
    /// its table, the default.
    pub(crate) fn resolve(&self, model: &ModelInfo) -> Result<&BindTarget> {
        let table = model.table.name();
        let of_model = |m: &ModelInfo| {
            self.models
                .iter()
                .find(|(t, _)| *t == m.type_id)
                .map(|(_, target)| target)
        };
        let mut lineage = Some(model);
        let mut found = None;
        while let (None, Some(m)) = (found, lineage) {
            found = of_model(m);
            lineage = m.inheritance.as_ref().and_then(|i| i.parent).map(|p| p());
        }
        found
            .or_else(|| {
                let base = model.declarative_base?;
                self.bases
                    .iter()
                    .find(|(t, _)| *t == base)
                    .map(|(_, target)| target)
            })
            .or_else(|| {
                self.tables
                    .iter()
                    .find(|(t, _)| t == table)
                    .map(|(_, target)| target)
            })
            .or(self.default.as_ref())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "{} is unbound: the session has no bind for the model, for its \
                     declarative base, for its table {:?}, and no default bind (Binds::model, \
                     Binds::base, Binds::table, Binds::bind)",
                    model.name, table
                ))
            })
    }

    /// The default bind, if any.
    pub(crate) fn default_target(&self) -> Option<&BindTarget> {
        self.default.as_ref()
    }
}

impl Session {
    /// A session whose models go to the engines `binds` gives them (SQLAlchemy's
    /// `Session(binds=...)`). With `config.twophase`, its commit prepares every engine it
    /// wrote through before committing any.
    ///
    /// ```
    /// use aludel::orm::{Binds, Session};
    /// let e = aludel::create_engine("sqlite://")?;
    /// let s = Session::with_binds(Binds::new().bind(&e), Default::default());
    /// assert_eq!(s.scalar::<i64>(&aludel::sql::text("SELECT 1"), ())?, 1);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_binds(binds: Binds, config: SessionConfig) -> Session {
        let engine = binds.default_target().map(|t| t.primary().clone());
        Session::build_bound(engine, binds, config)
    }
}
