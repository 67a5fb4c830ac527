//! Relationships between models (SQLAlchemy's `relationship()`): declared as `Many<T>` /
//! `One<T>` fields with `#[relationship(...)]`, described by [`RelationshipInfo`] in the
//! owner's `ModelInfo`, configured against the foreign keys on first use
//! (`configure`), loaded by the strategies in `orm/loading/`, cascaded (`cascade`) and
//! written by the flush (`orm/dependency.rs`), joined along and related to one parent
//! (`join_condition`: `Query::join_rel`, `with_parent`; `orm_join`: Core FROM items
//! joined along one). See `docs/relationships.md`.

mod attribute;
pub(crate) mod cascade;
pub(crate) mod configure;
mod descriptor;
mod info;
mod join_condition;
mod of_type;
mod orm_join;
mod statement;

pub(crate) use attribute::{AnySlot, bind_all, loaded_related};
pub use attribute::{Many, One, RelationField, SlotRef};
pub use descriptor::Relationship;
pub use info::{Cascade, Direction, Loading, RelationshipInfo};
pub use join_condition::with_parent;
pub(crate) use join_condition::{join_steps, only_relationship_to, related_to};
pub use of_type::{OfType, RelationshipPath, SubtypeSet};
pub use orm_join::{join, outerjoin};
pub(crate) use statement::{equals_key, owner_key, related_select};
