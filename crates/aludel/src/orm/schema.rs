//! Creating and dropping the tables of a set of models.

use crate::engine::Engine;
use crate::error::Result;
use crate::orm::mapper::ModelInfo;
use crate::sql::MetaData;

/// The tables of `models`, with the association tables of their many-to-many
/// relationships, as a Core [`MetaData`], e.g. to set a naming convention before
/// `create_all`.
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
/// use aludel::sql::NamingConvention;
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// aludel::orm::metadata(&[<T as aludel::orm::Model>::info()])
///     .with_naming_convention(NamingConvention::unchained())
///     .create_all(&engine)?;
/// # Ok::<(), aludel::Error>(())
/// ```
pub fn metadata(models: &[&ModelInfo]) -> MetaData {
    let mut md = MetaData::new();
    for m in models {
        // The types of a single-table hierarchy share one table: it gets every type's
        // columns.
        let table = match md.table(m.table.name()) {
            Some(existing) if m.inheritance.is_some() => existing.with_columns_of(&m.table),
            _ => m.storage_table().clone(),
        };
        md.add_table(table);
    }
    for secondary in models
        .iter()
        .flat_map(|m| &m.relationships)
        .filter_map(|r| r.secondary.as_ref())
    {
        if md.table(secondary.name()).is_none() {
            md.add_table(secondary.clone());
        }
    }
    md
}

/// Creates the tables of `models` that do not exist yet, referenced tables first.
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
/// # Ok::<(), aludel::Error>(())
/// ```
pub fn create_all(engine: &Engine, models: &[&ModelInfo]) -> Result<()> {
    metadata(models).create_all(engine)
}

/// Drops the tables of `models` that exist, referencing tables first.
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// aludel::orm::drop_all(&engine, &[<T as aludel::orm::Model>::info()])?;
/// # Ok::<(), aludel::Error>(())
/// ```
pub fn drop_all(engine: &Engine, models: &[&ModelInfo]) -> Result<()> {
    metadata(models).drop_all(engine)
}
