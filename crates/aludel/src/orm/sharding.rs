//! [`Sharding`]: horizontal sharding (SQLAlchemy's `ext.horizontal_shard`). A sharded
//! session spreads the rows of the same models over several databases, the *shards*,
//! and three choosers say where work goes: the **shard chooser** picks the shard of a
//! new object (at its first flush), the **identity chooser** lists the shards a primary
//! key may be on (`get` tries them in turn) and the **execute chooser** lists the shards
//! a query runs on (their rows are merged, `orm/query/sharded.rs`).
//!
//! Every object remembers its shard: its identity key carries it (SQLAlchemy's identity
//! token), so one primary key on two shards is two objects, and its flushes, refreshes
//! and lazy loads go to that shard. The session's "current shard" (kept beside the
//! identity map, so that rows loaded meanwhile are keyed on it) is set around each
//! statement; the connection of a model's statement is the current shard's. Underneath,
//! a sharded session is a bound session (`orm/bound_connections.rs`): one connection
//! and transaction per shard it used, all committed (or rolled back) together.

use std::sync::Arc;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::orm::binds::Binds;
use crate::orm::instance::{AnyInstance, Instance};
use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::session::{Session, SessionConfig, SessionInner, SessionState, lock};
use crate::sql::{BinaryOp, BoolOp, Expr, InTarget, Select, Value};

/// Picks the shard of a new object, by name.
pub type ShardChooser = Arc<dyn Fn(&ShardObject<'_>) -> Result<String> + Send + Sync>;
/// Lists the shards, by name, a primary key of a model may be on, in the order `get`
/// tries them.
pub type IdentityChooser = Arc<dyn Fn(&ModelInfo, &[Value]) -> Vec<String> + Send + Sync>;
/// Lists the shards, by name, a query runs on.
pub type ExecuteChooser = Arc<dyn Fn(&ShardQuery<'_>) -> Vec<String> + Send + Sync>;

/// The shards of a sharded session and its choosers (SQLAlchemy's `ShardedSession(shards=...,
/// shard_chooser=..., identity_chooser=..., execute_chooser=...)`). Without an identity
/// or execute chooser, every shard is tried or queried, in the order they were added.
///
/// ```
/// use aludel::orm::{Model, Session, Sharding};
/// #[derive(aludel::Model, Clone)] #[model(table = "cities")]
/// struct City { #[column(primary_key)] id: i64, continent: String }
/// let europe = aludel::create_engine("sqlite://:memory:")?;
/// let asia = aludel::create_engine("sqlite://:memory:")?;
/// for e in [&europe, &asia] { aludel::orm::create_all(e, &[City::info()])?; }
/// let sharding = Sharding::new()
///     .shard("europe", &europe)
///     .shard("asia", &asia)
///     .shard_chooser(|o| Ok(o.text("continent")?.to_owned()));
/// let s = Session::sharded(sharding, Default::default())?;
/// s.add(City { id: 1, continent: "europe".into() })?;
/// s.add(City { id: 1, continent: "asia".into() })?; // the same key, another shard
/// s.commit()?;
/// assert_eq!(s.query::<City>().count()?, 2);
/// assert_eq!(s.query::<City>().set_shard("asia").count()?, 1);
/// # Ok::<(), aludel::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Sharding {
    shards: Vec<(String, Engine)>,
    shard_chooser: Option<ShardChooser>,
    identity_chooser: Option<IdentityChooser>,
    execute_chooser: Option<ExecuteChooser>,
}

impl std::fmt::Debug for Sharding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sharding")
            .field("shards", &self.shards)
            .field("shard_chooser", &self.shard_chooser.is_some())
            .field("identity_chooser", &self.identity_chooser.is_some())
            .field("execute_chooser", &self.execute_chooser.is_some())
            .finish()
    }
}

impl Sharding {
    /// No shards yet.
    ///
    /// ```
    /// let s = aludel::orm::Sharding::new();
    /// assert!(s.shard_names().is_empty());
    /// ```
    pub fn new() -> Sharding {
        Sharding::default()
    }

    /// Adds shard `name` on `engine` (a name given twice keeps the later engine).
    ///
    /// ```
    /// let e = aludel::create_engine("sqlite://:memory:")?;
    /// let s = aludel::orm::Sharding::new().shard("a", &e);
    /// assert_eq!(s.shard_names(), ["a"]);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn shard(mut self, name: &str, engine: &Engine) -> Sharding {
        match self.shards.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = engine.clone(),
            None => self.shards.push((name.to_owned(), engine.clone())),
        }
        self
    }

    /// Where a new object goes: called once per object, at its first flush, unless the
    /// session is pinned to a shard ([`Session::pin_shard`]).
    ///
    /// ```
    /// let s = aludel::orm::Sharding::new().shard_chooser(|_object| Ok("a".to_owned()));
    /// # let _ = s;
    /// ```
    pub fn shard_chooser(
        mut self,
        chooser: impl Fn(&ShardObject<'_>) -> Result<String> + Send + Sync + 'static,
    ) -> Sharding {
        self.shard_chooser = Some(Arc::new(chooser));
        self
    }

    /// Which shards a primary key may be on: `get` looks in the identity map for each,
    /// then queries them in this order and stops at the first that has the row.
    ///
    /// ```
    /// let s = aludel::orm::Sharding::new().identity_chooser(|_model, _key| vec!["a".to_owned()]);
    /// # let _ = s;
    /// ```
    pub fn identity_chooser(
        mut self,
        chooser: impl Fn(&ModelInfo, &[Value]) -> Vec<String> + Send + Sync + 'static,
    ) -> Sharding {
        self.identity_chooser = Some(Arc::new(chooser));
        self
    }

    /// Which shards a query runs on (unless the query or the session names one).
    ///
    /// ```
    /// use aludel::sql::Value;
    /// let s = aludel::orm::Sharding::new().execute_chooser(|q| {
    ///     let named: Vec<String> = q
    ///         .equals("continent")
    ///         .into_iter()
    ///         .filter_map(|v| match v { Value::Text(t) => Some(t), _ => None })
    ///         .collect();
    ///     if named.is_empty() { vec!["europe".into(), "asia".into()] } else { named }
    /// });
    /// # let _ = s;
    /// ```
    pub fn execute_chooser(
        mut self,
        chooser: impl Fn(&ShardQuery<'_>) -> Vec<String> + Send + Sync + 'static,
    ) -> Sharding {
        self.execute_chooser = Some(Arc::new(chooser));
        self
    }

    /// The shards' names, in the order they were added.
    ///
    /// ```
    /// let e = aludel::create_engine("sqlite://:memory:")?;
    /// let s = aludel::orm::Sharding::new().shard("a", &e).shard("b", &e);
    /// assert_eq!(s.shard_names(), ["a", "b"]);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn shard_names(&self) -> Vec<&str> {
        self.shards.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The number of shard `name` (its position plus one), or an error naming it.
    pub(crate) fn number(&self, name: &str) -> Result<u16> {
        self.shards
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| i as u16 + 1)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "no shard named {name:?} (shards: {})",
                    self.shard_names().join(", ")
                ))
            })
    }

    /// The numbers of the shards `names`.
    fn numbers(&self, names: &[String]) -> Result<Vec<u16>> {
        names.iter().map(|n| self.number(n)).collect()
    }

    /// Every shard's number.
    fn all(&self) -> Vec<u16> {
        (1..=self.shards.len() as u16).collect()
    }

    /// The engine of shard number `shard`.
    pub(crate) fn engine(&self, shard: u16) -> &Engine {
        &self.shards[usize::from(shard) - 1].1
    }

    /// The name of shard number `shard`.
    pub(crate) fn name(&self, shard: u16) -> &str {
        &self.shards[usize::from(shard) - 1].0
    }
}

/// A new object whose shard is being chosen: its model and column values.
pub struct ShardObject<'a> {
    model: &'static ModelInfo,
    values: &'a [Value],
}

impl ShardObject<'_> {
    /// The object's model.
    ///
    /// ```
    /// let chooser = |o: &aludel::orm::ShardObject<'_>| -> aludel::Result<String> {
    ///     Ok(o.model().name.to_owned())
    /// };
    /// # let _ = chooser;
    /// ```
    pub fn model(&self) -> &'static ModelInfo {
        self.model
    }

    /// The value of the object's field `name`, or an error naming the model's columns.
    ///
    /// ```
    /// use aludel::sql::Value;
    /// let chooser = |o: &aludel::orm::ShardObject<'_>| -> aludel::Result<String> {
    ///     match o.value("region")? {
    ///         Value::Int(n) if *n < 100 => Ok("low".to_owned()),
    ///         _ => Ok("high".to_owned()),
    ///     }
    /// };
    /// # let _ = chooser;
    /// ```
    pub fn value(&self, name: &str) -> Result<&Value> {
        let i = self
            .model
            .column_index(name)
            .ok_or_else(|| Error::invalid(self.model.no_such_name(name)))?;
        Ok(&self.values[i])
    }

    /// The text in field `name` (the usual shard key), or an error naming the field
    /// when it holds something else (NULL included).
    ///
    /// ```
    /// let chooser = |o: &aludel::orm::ShardObject<'_>| -> aludel::Result<String> {
    ///     Ok(o.text("continent")?.to_owned())
    /// };
    /// # let _ = chooser;
    /// ```
    pub fn text(&self, name: &str) -> Result<&str> {
        match self.value(name)? {
            Value::Text(t) => Ok(t),
            other => Err(Error::invalid(format!(
                "the shard key {}.{name} is not text: {other:?}",
                self.model.name
            ))),
        }
    }
}

/// A query whose shards are being chosen: its model and its statement.
pub struct ShardQuery<'a> {
    model: &'static ModelInfo,
    select: &'a Select,
}

impl ShardQuery<'_> {
    /// The query's model (its primary entity).
    ///
    /// ```
    /// let chooser = |q: &aludel::orm::ShardQuery<'_>| vec![q.model().name.to_owned()];
    /// # let _ = chooser;
    /// ```
    pub fn model(&self) -> &'static ModelInfo {
        self.model
    }

    /// The query's statement.
    ///
    /// ```
    /// use aludel::sql::Executable;
    /// let chooser = |q: &aludel::orm::ShardQuery<'_>| {
    ///     let sql = q.select().compile(&aludel::dialects::Sqlite).map(|c| c.sql).unwrap_or_default();
    ///     match sql.contains("LIMIT") {
    ///         true => vec!["a".to_owned()],
    ///         false => vec!["a".to_owned(), "b".to_owned()],
    ///     }
    /// };
    /// # let _ = chooser;
    /// ```
    pub fn select(&self) -> &Select {
        self.select
    }

    /// The values the WHERE clause requires column `name` of the query's table to
    /// equal: from `name = value` (either side) and `name IN (values)` among the
    /// criteria joined by AND; empty when the criteria do not pin the column (then a
    /// chooser usually answers every shard). What SQLAlchemy's examples find with a
    /// visitor over the statement.
    ///
    /// ```
    /// use aludel::orm::{Model, Session, Sharding};
    /// #[derive(aludel::Model, Clone)] #[model(table = "cities")]
    /// struct City { #[column(primary_key)] id: i64, continent: String }
    /// let e = aludel::create_engine("sqlite://:memory:")?;
    /// aludel::orm::create_all(&e, &[City::info()])?;
    /// let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// let sharding = Sharding::new().shard("europe", &e).execute_chooser(move |q| {
    ///     log.lock().unwrap().extend(q.equals("continent"));
    ///     vec!["europe".to_owned()]
    /// });
    /// let s = Session::sharded(sharding, Default::default())?;
    /// s.query::<City>().filter(City::continent.in_(["europe", "asia"])).all()?;
    /// use aludel::sql::Value;
    /// assert_eq!(*seen.lock().unwrap(), [Value::Text("europe".into()), Value::Text("asia".into())]);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn equals(&self, name: &str) -> Vec<Value> {
        let table = self.model.table.name();
        let mut found = Vec::new();
        for criterion in &self.select.where_ {
            collect_equals(criterion, table, name, &mut found);
        }
        found
    }
}

/// Adds to `found` the values `criterion` (or its AND-ed parts) requires `table.name`
/// to equal.
fn collect_equals(criterion: &Expr, table: &str, name: &str, found: &mut Vec<Value>) {
    let is_column = |e: &Expr| match e {
        Expr::Column(c) => {
            &*c.name == name
                && c.source
                    .as_ref()
                    .is_none_or(|s| s.qualifier() == Some(table))
        }
        _ => false,
    };
    let value = |e: &Expr| match e {
        Expr::Value(v) => Some(v.clone()),
        Expr::BindParam { value, .. } => value.clone(),
        _ => None,
    };
    match criterion {
        Expr::BoolList {
            op: BoolOp::And,
            items,
        } => {
            for item in items {
                collect_equals(item, table, name, found);
            }
        }
        Expr::Binary {
            op: BinaryOp::Eq,
            left,
            right,
        } => {
            let v = match (is_column(left), is_column(right)) {
                (true, _) => value(right),
                (_, true) => value(left),
                _ => None,
            };
            found.extend(v);
        }
        Expr::In {
            expr,
            target: InTarget::List(items),
            negated: false,
        } if is_column(expr) => found.extend(items.iter().filter_map(value)),
        _ => {}
    }
}

impl Session {
    /// A sharded session over `sharding`'s shards (SQLAlchemy's `ShardedSession`). The
    /// shards must share one SQL dialect (statements are compiled once for all of them);
    /// at least one shard is needed.
    ///
    /// ```
    /// let a = aludel::create_engine("sqlite://:memory:")?;
    /// let s = aludel::orm::Session::sharded(aludel::orm::Sharding::new().shard("a", &a), Default::default())?;
    /// assert!(aludel::orm::Session::sharded(aludel::orm::Sharding::new(), Default::default()).is_err());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn sharded(sharding: Sharding, config: SessionConfig) -> Result<Session> {
        let Some((_, first)) = sharding.shards.first() else {
            return Err(Error::invalid("a sharded session needs at least one shard"));
        };
        let dialect = first.dialect().name();
        if let Some((name, other)) = sharding
            .shards
            .iter()
            .find(|(_, e)| e.dialect().name() != dialect)
        {
            return Err(Error::invalid(format!(
                "shard {name:?} is a {} database and the first shard a {dialect} one: the \
                 shards of a session must share one dialect",
                other.dialect().name()
            )));
        }
        if sharding.shards.len() > usize::from(u16::MAX - 1) {
            return Err(Error::invalid("too many shards"));
        }
        // The first shard compiles the statements (every shard has its dialect).
        let binds = Binds::new().bind(first);
        Ok(Session::build_sharded(Arc::new(sharding), binds, config))
    }

    /// Pins the session to shard `name`: until [`unpin_shard`](Self::unpin_shard),
    /// queries and `get` go to that shard only, objects added meanwhile are put there
    /// without asking the shard chooser, and statements of no model (`Session::execute`)
    /// run there.
    ///
    /// ```
    /// let a = aludel::create_engine("sqlite://:memory:")?;
    /// let s = aludel::orm::Session::sharded(aludel::orm::Sharding::new().shard("a", &a), Default::default())?;
    /// s.pin_shard("a")?;
    /// assert_eq!(s.scalar::<i64>(&aludel::sql::text("SELECT 1"), ())?, 1);
    /// assert!(s.pin_shard("b").is_err());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn pin_shard(&self, name: &str) -> Result<()> {
        let shard = self.sharding()?.number(name)?;
        let mut st = self.inner.usable()?;
        st.pinned_shard = shard;
        st.identity.shard = shard;
        Ok(())
    }

    /// Ends [`pin_shard`](Self::pin_shard): the choosers decide again.
    ///
    /// ```
    /// let a = aludel::create_engine("sqlite://:memory:")?;
    /// let s = aludel::orm::Session::sharded(aludel::orm::Sharding::new().shard("a", &a), Default::default())?;
    /// s.pin_shard("a")?;
    /// s.unpin_shard();
    /// assert!(s.scalar::<i64>(&aludel::sql::text("SELECT 1"), ()).is_err());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn unpin_shard(&self) {
        let mut st = lock(&self.inner.state);
        st.pinned_shard = 0;
        st.identity.shard = 0;
    }

    /// The shard `instance` is on (SQLAlchemy's `inspect(obj).identity_token`): the
    /// shard it was loaded from, flushed to, or added to while the session was pinned;
    /// `None` while not chosen yet (a new object before its first flush) or outside a
    /// sharded session.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let a = aludel::create_engine("sqlite://:memory:")?;
    /// aludel::orm::create_all(&a, &[<T as aludel::orm::Model>::info()])?;
    /// let sharding = aludel::orm::Sharding::new().shard("a", &a).shard_chooser(|_| Ok("a".into()));
    /// let s = aludel::orm::Session::sharded(sharding, Default::default())?;
    /// let t = s.add(T { id: 1 })?;
    /// assert_eq!(s.shard_of(&t), None);
    /// s.flush()?;
    /// assert_eq!(s.shard_of(&t).as_deref(), Some("a"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn shard_of<T: Model>(&self, instance: &Instance<T>) -> Option<String> {
        let sharding = self.inner.sharding.as_ref()?;
        match instance.erased().state().shard {
            0 => None,
            shard => Some(sharding.name(shard).to_owned()),
        }
    }

    /// The session's sharding, or an error for a session that is not sharded.
    pub(crate) fn sharding(&self) -> Result<&Sharding> {
        self.inner
            .sharding
            .as_deref()
            .ok_or_else(|| Error::invalid("the session is not sharded (Session::sharded)"))
    }
}

impl SessionInner {
    /// Runs `f` with `shard` as the session's current shard (statements of models go to
    /// it, loaded rows are keyed on it), then restores the previous one. Nothing to do
    /// outside a sharded session (`shard` is then 0).
    pub(crate) fn on_shard<R>(&self, shard: u16, f: impl FnOnce() -> Result<R>) -> Result<R> {
        if self.sharding.is_none() {
            return f();
        }
        let previous = std::mem::replace(&mut lock(&self.state).identity.shard, shard);
        let result = f();
        lock(&self.state).identity.shard = previous;
        result
    }

    /// The shards a `get` of `model` with key `pk` looks on, in order: the pinned one, or
    /// the identity chooser's (every shard without one); `[0]` outside a sharded session.
    pub(crate) fn get_shards(&self, model: &ModelInfo, pk: &[Value]) -> Result<Vec<u16>> {
        let Some(sharding) = &self.sharding else {
            return Ok(vec![0]);
        };
        let pinned = lock(&self.state).pinned_shard;
        if pinned != 0 {
            return Ok(vec![pinned]);
        }
        match &sharding.identity_chooser {
            Some(choose) => sharding.numbers(&choose(model, pk)),
            None => Ok(sharding.all()),
        }
    }

    /// The shards a query of `model` runs on: the one the query names, the pinned one,
    /// or the execute chooser's (every shard without one); `[0]` outside a sharded
    /// session.
    pub(crate) fn query_shards(
        &self,
        model: &'static ModelInfo,
        select: &Select,
        named: Option<&str>,
    ) -> Result<Vec<u16>> {
        let Some(sharding) = &self.sharding else {
            return Ok(vec![0]);
        };
        if let Some(name) = named {
            return Ok(vec![sharding.number(name)?]);
        }
        let pinned = lock(&self.state).pinned_shard;
        if pinned != 0 {
            return Ok(vec![pinned]);
        }
        match &sharding.execute_chooser {
            Some(choose) => sharding.numbers(&choose(&ShardQuery { model, select })),
            None => Ok(sharding.all()),
        }
    }

    /// The shard `obj`'s flush goes to: the one it is on, else (a new object) the
    /// pinned one or the shard chooser's, which the object keeps from then on.
    pub(crate) fn flush_shard(
        &self,
        sharding: &Sharding,
        st: &SessionState,
        obj: &Arc<dyn AnyInstance>,
    ) -> Result<u16> {
        let shard = obj.state().shard;
        if shard != 0 {
            return Ok(shard);
        }
        let model = obj.info();
        let shard = match (st.pinned_shard, &sharding.shard_chooser) {
            (0, Some(choose)) => sharding.number(&choose(&ShardObject {
                model,
                values: &obj.values()?,
            })?)?,
            (0, None) => {
                return Err(Error::invalid(format!(
                    "no shard for a new {}: the session has no shard chooser \
                     (Sharding::shard_chooser) and is not pinned to a shard (Session::pin_shard)",
                    model.name
                )));
            }
            (pinned, _) => pinned,
        };
        obj.state().shard = shard;
        Ok(shard)
    }

    /// The engine of the current shard, for a statement of `model` (`None` for a
    /// statement of no model), or an error saying that no shard was chosen.
    pub(crate) fn current_shard_engine(
        &self,
        sharding: &Sharding,
        st: &SessionState,
        model: Option<&ModelInfo>,
    ) -> Result<Engine> {
        match st.identity.shard {
            0 => Err(Error::invalid(format!(
                "{}: the sharded session has no shard for it: pin one (Session::pin_shard){}",
                model.map_or("a statement of no model", |m| m.name),
                match model {
                    Some(_) => " or name one on the query (Query::set_shard)",
                    None => "",
                }
            ))),
            shard => Ok(sharding.engine(shard).clone()),
        }
    }
}

impl SessionInner {
    /// Puts the new objects of a flush on shards: an object whose foreign key comes from
    /// another object (a report of a city) goes to that object's shard, as its key must;
    /// the others (and any left) go where the pinned shard or the shard chooser says
    /// ([`flush_shard`](Self::flush_shard)).
    pub(crate) fn place_new_objects(
        &self,
        sharding: &Sharding,
        st: &SessionState,
        deps: &crate::orm::dependency::Dependencies,
        new: &[Arc<dyn AnyInstance>],
    ) -> Result<()> {
        let links: Vec<_> = deps
            .links()
            .filter_map(|(holder, source)| Some((holder, source?)))
            .collect();
        let follows = |o: &Arc<dyn AnyInstance>| links.iter().any(|(h, _)| Arc::ptr_eq(h, o));
        for obj in new {
            if !follows(obj) {
                self.flush_shard(sharding, st, obj)?;
            }
        }
        // Along the links until nothing moves (a chain: city, report, reading).
        loop {
            let mut moved = false;
            for (holder, source) in &links {
                let shard = source.state().shard;
                if shard != 0 && holder.state().shard == 0 {
                    holder.state().shard = shard;
                    moved = true;
                }
            }
            if !moved {
                return Ok(());
            }
        }
    }
}
