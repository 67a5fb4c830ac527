//! [`declarative_base`]: sqlalchemy-unchained's model base as a value — a display name, the
//! engine its tables are created on (`bind`), the [`MetaData`] its models' tables go into
//! (`metadata`) and the [`ModelRegistry`] it registers them in (`class_registry`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ext::managers::ModelRegistry;
use crate::orm::{Model, ModelInfo, SessionMaker};
use crate::sql::{MetaData, NamingConvention};

/// A model registry several bases can share (unchained's `class_registry` dictionary).
pub type SharedRegistry = Arc<Mutex<ModelRegistry>>;

/// The base of a group of models (unchained's `declarative_base(...)`). In Rust a model
/// is a struct with `#[derive(aludel::Model)]`, not a subclass, so the base is a value the
/// models are registered with: it carries what the generated class carried —
///
/// - `name` ([`with_name`](Self::with_name), default `"Model"`): shown by `Debug` and in
///   its errors;
/// - `bind` ([`with_bind`](Self::with_bind)): the engine [`create_all`](Self::create_all)
///   and [`session_maker`](Self::session_maker) use;
/// - `metadata` ([`with_metadata`](Self::with_metadata)): the [`MetaData`] the models'
///   tables join (by default a new one with unchained's naming convention, which a given
///   `MetaData` without a convention also gets);
/// - `class_registry` ([`with_class_registry`](Self::with_class_registry)): the
///   [`ModelRegistry`] models are registered in by name — share one between bases so a
///   foreign key by model name resolves across them.
///
/// unchained's `model` (the class the base derives from, with its default Meta) is an
/// abstract model here (`#[aludel::ext::managers::model(abstract)]`, used with
/// `extends = ...`); `mapper` and `metaclass` are what `#[derive(aludel::Model)]` and the
/// `model` attribute do at compile time.
///
/// ```
/// use aludel::ext::managers::declarative_base;
/// use aludel::orm::Model;
///
/// #[derive(aludel::Model)]
/// struct Category {
///     #[column(primary_key)]
///     id: i64,
/// }
///
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// let mut base = declarative_base().with_name("Blog").with_bind(&engine);
/// base.register::<Category>()?;
/// base.create_all()?;
/// assert_eq!(format!("{base:?}"), "Blog [Category]");
/// let s = base.session_maker()?.make()?;
/// assert_eq!(s.query::<Category>().count()?, 0);
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct ModelBase {
    name: String,
    bind: Option<Engine>,
    metadata: MetaData,
    registry: SharedRegistry,
    models: Vec<&'static ModelInfo>,
}

/// A new model base with unchained's defaults: named `Model`, no bind, its own
/// [`MetaData`] with unchained's naming convention and its own [`ModelRegistry`].
///
/// ```
/// let base = aludel::ext::managers::declarative_base();
/// assert_eq!(base.name(), "Model");
/// assert!(base.metadata().naming_convention().is_some());
/// ```
pub fn declarative_base() -> ModelBase {
    ModelBase {
        name: "Model".into(),
        bind: None,
        metadata: MetaData::new().with_naming_convention(NamingConvention::unchained()),
        registry: SharedRegistry::default(),
        models: Vec::new(),
    }
}

impl ModelBase {
    /// Renames the base (unchained's `name`).
    ///
    /// ```
    /// assert_eq!(aludel::ext::managers::declarative_base().with_name("Shop").name(), "Shop");
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    /// The base's display name.
    ///
    /// ```
    /// assert_eq!(aludel::ext::managers::declarative_base().name(), "Model");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Binds the base to `engine` (unchained's `bind`).
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// assert!(aludel::ext::managers::declarative_base().with_bind(&engine).bind().is_some());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_bind(mut self, engine: &Engine) -> Self {
        self.bind = Some(engine.clone());
        self
    }

    /// The engine the base is bound to, if any.
    ///
    /// ```
    /// assert!(aludel::ext::managers::declarative_base().bind().is_none());
    /// ```
    pub fn bind(&self) -> Option<&Engine> {
        self.bind.as_ref()
    }

    /// Uses `metadata` for the models' tables (unchained's `metadata`): its tables and
    /// naming convention are kept; without a convention it gets unchained's.
    ///
    /// ```
    /// use aludel::sql::{Column, MetaData, SqlType, Table};
    /// let mut md = MetaData::new();
    /// md.add(Table::build("audit").column(Column::new("id", SqlType::Integer).primary_key()));
    /// let base = aludel::ext::managers::declarative_base().with_metadata(md);
    /// assert!(base.metadata().table("audit").is_some());
    /// assert!(base.metadata().naming_convention().is_some());
    /// ```
    pub fn with_metadata(mut self, metadata: MetaData) -> Self {
        self.metadata = match metadata.naming_convention() {
            Some(_) => metadata,
            None => metadata.with_naming_convention(NamingConvention::unchained()),
        };
        self
    }

    /// The base's tables: those of the given `MetaData`, then those of its registered
    /// models.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let mut base = aludel::ext::managers::declarative_base();
    /// base.register::<T>()?;
    /// assert!(base.metadata().table("t").is_some());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn metadata(&self) -> MetaData {
        let mut metadata = self.metadata.clone();
        for table in crate::orm::metadata(&self.models).tables() {
            metadata.add_table(table.clone());
        }
        metadata
    }

    /// Registers models in `registry` instead of the base's own (unchained's
    /// `class_registry`); [`class_registry`](Self::class_registry) of another base shares
    /// that base's.
    ///
    /// ```
    /// use aludel::ext::managers::declarative_base;
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let mut a = declarative_base();
    /// let mut b = declarative_base().with_class_registry(a.class_registry());
    /// a.register::<T>()?;
    /// assert!(b.register::<T>().is_err(), "one registry: T is already in it");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn with_class_registry(mut self, registry: SharedRegistry) -> Self {
        self.registry = registry;
        self
    }

    /// The registry the base registers its models in.
    ///
    /// ```
    /// let base = aludel::ext::managers::declarative_base();
    /// assert!(base.class_registry().lock().unwrap().models().is_empty());
    /// ```
    pub fn class_registry(&self) -> SharedRegistry {
        self.registry.clone()
    }

    /// Registers model `M` with the base: in its class registry (a duplicate name or
    /// table is an error) and among its tables.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let mut base = aludel::ext::managers::declarative_base();
    /// base.register::<T>()?;
    /// assert!(base.register::<T>().is_err());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn register<M: Model>(&mut self) -> Result<&mut Self> {
        self.registry().register::<M>()?;
        self.models.push(M::info());
        Ok(self)
    }

    /// Checks the foreign keys of every model in the class registry (all bases sharing
    /// it) and returns them by name ([`ModelRegistry::finalize_mappings`]).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let mut base = aludel::ext::managers::declarative_base();
    /// base.register::<T>()?;
    /// assert!(base.finalize_mappings()?.contains_key("T"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn finalize_mappings(&self) -> Result<BTreeMap<&'static str, &'static ModelInfo>> {
        self.registry().finalize_mappings()
    }

    /// Creates the base's tables that do not exist yet on its bind, constraints named by
    /// its metadata's convention. Without a bind it is an error naming the base.
    ///
    /// ```
    /// let err = aludel::ext::managers::declarative_base().create_all().unwrap_err();
    /// assert!(err.to_string().contains("model base Model has no bind"), "{err}");
    /// ```
    pub fn create_all(&self) -> Result<()> {
        self.metadata().create_all(self.engine()?)
    }

    /// Drops the base's tables that exist on its bind, referencing tables first.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// aludel::ext::managers::declarative_base().with_bind(&engine).drop_all()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn drop_all(&self) -> Result<()> {
        self.metadata().drop_all(self.engine()?)
    }

    /// A session factory on the base's bind.
    ///
    /// ```
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// let base = aludel::ext::managers::declarative_base().with_bind(&engine);
    /// let _session = base.session_maker()?.make()?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn session_maker(&self) -> Result<SessionMaker> {
        Ok(SessionMaker::new(self.engine()?))
    }

    fn engine(&self) -> Result<&Engine> {
        self.bind.as_ref().ok_or_else(|| Error::Configuration {
            message: format!(
                "model base {} has no bind: give it an engine with with_bind",
                self.name
            ),
        })
    }

    fn registry(&self) -> MutexGuard<'_, ModelRegistry> {
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for ModelBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.models.iter().map(|m| m.name).collect();
        write!(f, "{} [{}]", self.name, names.join(", "))
    }
}
