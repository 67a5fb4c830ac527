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
#[derive(Debug, Default, Clone)]
pub struct ModelRegistry {
    models: Vec<&'static ModelInfo>,
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
        let info = M::info();
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
        Ok(self)
    }

    /// The registered models, in registration order (e.g. for `orm::create_all`).
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// let mut r = aludel::ext::managers::ModelRegistry::new();
    /// r.register::<T>()?;
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// aludel::orm::create_all(&engine, r.models())?;
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn models(&self) -> &[&'static ModelInfo] {
        &self.models
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

    /// Checks every registered model's foreign keys against the registry — the target
    /// table registered, the target column one of its columns — and returns the models by
    /// name. The first problem is a configuration error naming the model, the field and
    /// the target, with what is registered.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, #[column(foreign_key = "Missing")] m: i64 }
    /// let mut r = aludel::ext::managers::ModelRegistry::new();
    /// r.register::<T>()?;
    /// let err = r.finalize_mappings().unwrap_err().to_string();
    /// assert!(err.contains("T.m references missing.id"), "{err}");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn finalize_mappings(&self) -> Result<BTreeMap<&'static str, &'static ModelInfo>> {
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
        Ok(self.models.iter().map(|m| (m.name, *m)).collect())
    }

    fn tables(&self) -> String {
        let names: Vec<&str> = self.models.iter().map(|m| m.table.name()).collect();
        names.join(", ")
    }
}
