//! [`ModelRegistry`]: the models of an application by name, checked together once
//! (sqlalchemy-unchained's `ModelRegistry`).

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::orm::{Model, ModelInfo};

/// The application's models by name. Rust has no code that runs as a type is defined, so
/// models are registered explicitly (`registry.register::<Post>()?`), usually at start-up;
/// [`finalize_mappings`](ModelRegistry::finalize_mappings) then checks that every foreign
/// key names a registered table and column — including the short `foreign_key = "Category"`
/// form, which the derive resolves to table `category`, column `id` by naming convention —
/// and returns the models by name.
///
/// ```
/// use aludel::ext::managers::ModelRegistry;
/// use aludel::orm::Model;
///
/// #[derive(aludel::Model)]
/// struct Category {
///     #[column(primary_key)]
///     id: i64,
/// }
///
/// #[derive(aludel::Model)]
/// struct Post {
///     #[column(primary_key)]
///     id: i64,
///     #[column(foreign_key = "Category")]
///     category_id: i64,
/// }
///
/// let mut registry = ModelRegistry::new();
/// registry.register::<Category>()?.register::<Post>()?;
/// let models = registry.finalize_mappings()?;
/// assert_eq!(models.keys().copied().collect::<Vec<_>>(), ["Category", "Post"]);
/// # Ok::<(), aludel::Error>(())
/// ```
///
/// A model registered with [`register_lazy`](ModelRegistry::register_lazy) (unchained's
/// `Meta.lazy_mapped` with `enable_lazy_mapping`) waits: it is not among
/// [`models`](ModelRegistry::models) (so `create_all` leaves its table out) until
/// `finalize_mappings` initializes it. [`should_initialize`](ModelRegistry::should_initialize)
/// says whether a registered model is still waiting. An abstract model
/// (`#[aludel::ext::managers::model(abstract)]`) is not a type at all, so it cannot be
/// registered — the compiler refuses it, where unchained's registry skips it.
#[derive(Debug, Default, Clone)]
pub struct ModelRegistry {
    models: Vec<&'static ModelInfo>,
    /// Per model: whether it is initialized (part of the mapping).
    initialized: Vec<bool>,
}

impl ModelRegistry {
    /// The primary key column a short `foreign_key = "Model"` points at (unchained's
    /// `default_primary_key_column`).
    pub const DEFAULT_PRIMARY_KEY_COLUMN: &'static str = "id";

    /// An empty registry.
    ///
    /// ```
    /// assert!(aludel::ext::managers::ModelRegistry::new().models().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers model `M`. A second model with the same name or the same table is a
    /// configuration error naming both.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let mut r = aludel::ext::managers::ModelRegistry::new();
    /// r.register::<T>()?;
    /// assert!(r.register::<T>().is_err());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn register<M: Model>(&mut self) -> Result<&mut Self> {
        self.add(M::info(), true)
    }

    /// Registers model `M` lazily: it joins the mapping at the next
    /// [`finalize_mappings`](Self::finalize_mappings), not before.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let mut r = aludel::ext::managers::ModelRegistry::new();
    /// r.register_lazy::<T>()?;
    /// assert!(r.models().is_empty() && r.should_initialize("T")?);
    /// r.finalize_mappings()?;
    /// assert_eq!(r.models().len(), 1);
    /// assert!(!r.should_initialize("T")?);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn register_lazy<M: Model>(&mut self) -> Result<&mut Self> {
        self.add(M::info(), false)
    }

    fn add(&mut self, info: &'static ModelInfo, initialized: bool) -> Result<&mut Self> {
        if let Some(other) = self
            .models
            .iter()
            .find(|m| m.name == info.name || m.table.name() == info.table.name())
        {
            return Err(Error::Configuration {
                message: format!(
                    "model {} (table {}) is already registered as {} (table {})",
                    info.name,
                    info.table.name(),
                    other.name,
                    other.table.name()
                ),
            });
        }
        self.models.push(info);
        self.initialized.push(initialized);
        Ok(self)
    }

    /// Whether the registered model `name` (model or table name) still waits to be
    /// initialized by [`finalize_mappings`](Self::finalize_mappings) (unchained's
    /// `should_initialize`): true for a lazily registered model not finalized yet, false
    /// once it is part of the mapping. An unknown name is an error naming the registered
    /// models.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let mut r = aludel::ext::managers::ModelRegistry::new();
    /// r.register::<T>()?;
    /// assert!(!r.should_initialize("T")?);
    /// assert!(r.should_initialize("Nope").unwrap_err().to_string().contains("registered: T"));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn should_initialize(&self, name: &str) -> Result<bool> {
        let i = self
            .models
            .iter()
            .position(|m| m.name == name || m.table.name() == name)
            .ok_or_else(|| Error::Configuration {
                message: format!(
                    "no model named {name} is registered (registered: {})",
                    self.models
                        .iter()
                        .map(|m| m.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
        Ok(!self.initialized[i])
    }

    /// The initialized models, in registration order (e.g. for `orm::create_all`); a
    /// lazily registered model appears once `finalize_mappings` has run.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let mut r = aludel::ext::managers::ModelRegistry::new();
    /// r.register::<T>()?;
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// aludel::orm::create_all(&engine, &r.models())?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn models(&self) -> Vec<&'static ModelInfo> {
        self.models
            .iter()
            .zip(&self.initialized)
            .filter(|(_, init)| **init)
            .map(|(m, _)| *m)
            .collect()
    }

    /// A registered model by its name or its table's name.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "things")] struct Thing { #[column(primary_key)] id: i64 }
    /// let mut r = aludel::ext::managers::ModelRegistry::new();
    /// r.register::<Thing>()?;
    /// assert!(r.get("Thing").is_some() && r.get("things").is_some() && r.get("nope").is_none());
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn get(&self, name: &str) -> Option<&'static ModelInfo> {
        self.models
            .iter()
            .copied()
            .find(|m| m.name == name || m.table.name() == name)
    }

    /// Initializes the lazily registered models, checks every registered model's foreign
    /// keys against the registry — the target table registered, the target column one of
    /// its columns — and returns the models by name. The first problem is a configuration
    /// error naming the model, the field and the target, with what is registered (and
    /// nothing is initialized).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, #[column(foreign_key = "Missing")] m: i64 }
    /// let mut r = aludel::ext::managers::ModelRegistry::new();
    /// r.register::<T>()?;
    /// let err = r.finalize_mappings().unwrap_err().to_string();
    /// assert!(err.contains("T.m references missing.id"), "{err}");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn finalize_mappings(&mut self) -> Result<BTreeMap<&'static str, &'static ModelInfo>> {
        for info in &self.models {
            for (i, column) in info.columns().iter().enumerate() {
                let Some(fk) = &column.foreign_key else {
                    continue;
                };
                let target = self.models.iter().find(|m| m.table.name() == fk.table);
                let problem = match target {
                    None => Some(format!(
                        "no registered model has table {} (tables: {})",
                        fk.table,
                        self.tables()
                    )),
                    Some(t) if !t.columns().iter().any(|c| c.name == fk.column) => Some(format!(
                        "{} (table {}) has no column {}",
                        t.name, fk.table, fk.column
                    )),
                    Some(_) => None,
                };
                if let Some(problem) = problem {
                    return Err(Error::Configuration {
                        message: format!(
                            "{}.{} references {}.{}: {problem}",
                            info.name, info.fields[i], fk.table, fk.column
                        ),
                    });
                }
            }
        }
        self.initialized.iter_mut().for_each(|init| *init = true);
        Ok(self.models.iter().map(|m| (m.name, *m)).collect())
    }

    fn tables(&self) -> String {
        let names: Vec<&str> = self.models.iter().map(|m| m.table.name()).collect();
        names.join(", ")
    }
}
