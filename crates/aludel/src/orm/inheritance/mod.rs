//! Mapped inheritance: single-table and joined-table hierarchies with a discriminator
//! column (`polymorphic_on`) and a value per type (`polymorphic_identity`).
//!
//! Rust has no struct inheritance, so each type of a hierarchy is its own `Model` struct
//! that maps every column its rows have (the base's and its own); `#[model(inherits =
//! Base)]` ties it to the base. `info` records the hierarchy in `ModelInfo`,
//! `polymorphic` defines the enum a query for the whole hierarchy returns, and `query`
//! runs that query. See docs/inheritance.md for the design and its reasons.

mod info;
pub(crate) mod joined;
pub(crate) mod joined_writes;
mod polymorphic;
mod query;

pub(crate) use info::other_type;
pub use info::{Inheritance, InheritanceKind};
pub use polymorphic::{Polymorphic, VariantLoader};
pub use query::PolymorphicQuery;
