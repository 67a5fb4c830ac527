//! The ORM: mapped models, instances, the [`Session`] with its identity map and unit of
//! work, [`SessionMaker`], [`ScopedSession`], and [`Query`].
//!
//! Layers: [`mapper`](Model) describes models; `session` keeps objects and the
//! transaction; `flush` turns changes into statements, ordered by `unit_of_work` and
//! emitted by `persistence`; `query` builds Core selects and loads objects through the
//! identity map; `scoping` and `query_property` give `Model::query()`; `binds`,
//! `routing` and `sharding` spread one session over several engines (docs/scale-out.md).

mod binds;
mod borrow;
mod bound_connections;
mod column;
mod deferred;
pub(crate) mod dependency;
mod evaluator;
mod flush;
mod identity;
mod inheritance;
mod instance;
mod loading;
mod mapper;
mod operand;
mod persistence;
mod query;
mod query_cls;
mod query_methods;
mod query_property;
mod relationship;
mod retry;
mod routing;
mod schema;
mod scoping;
mod session;
mod sessionmaker;
mod sharding;
mod task_scope;
mod transaction;
mod two_phase;
mod unit_of_work;
mod validation;
mod versioning;

pub use aludel_macros::{Model, Polymorphic};
pub use binds::{BindTarget, Binds};
pub use borrow::{ReadGuard, WriteGuard};
pub use column::Column;
pub use deferred::{
    ColumnLayout, ColumnOption, Deferred, DeferredColumn, defer, load_only, undefer, undefer_group,
};
pub use inheritance::{Inheritance, InheritanceKind, Polymorphic, PolymorphicQuery, VariantLoader};
pub use instance::{Instance, ObjectState};
pub use loading::lazy::LazyLoads;
pub use loading::loader_option::LoaderOption;
pub use loading::options::{
    Load, baked_lazyload, contains_eager, contains_eager_from, defaultload, immediateload,
    joinedload, lazyload, noload, raiseload, raiseload_on_sql, selectinload, subqueryload,
};
pub use mapper::{
    Model, ModelInfo, SqlTyped, column_not_in_row, convert_column, convert_column_ref,
    no_such_column, parse_foreign_key, wrong_width,
};
pub use operand::{Operand, Textual};
pub use query::{
    Aliased, AliasedInsp, Bundle, ColumnDescription, Decoder, Entity, Exprs, JoinArgs,
    MappedBundle, Objects, Query, QueryOptions, QueryStream, Selection, SynchronizeSession, Typed,
    UpdateKey, typed,
};
pub use query_cls::{ClassedSession, ClassedSessionMaker, PlainQueries, QueryClasses};
pub use query_methods::QueryMethods;
pub use query_property::{DeclarativeBase, QueryClass, QueryProperty};
pub use relationship::{
    Cascade, Direction, Loading, Many, OfType, One, RelationField, Relationship, RelationshipInfo,
    RelationshipPath, SlotRef, SubtypeSet, join, outerjoin, with_parent,
};
pub use retry::Retry;
pub use routing::{ReplicaChooser, Routing};
pub use schema::{create_all, drop_all, metadata};
pub use scoping::{ALREADY_PRESENT, Scope, ScopedSession};
pub use session::{IntoInstance, NoAutoflush, PrimaryKey, QueryCriteria, Session, SessionConfig};
pub use sessionmaker::{SessionMaker, SessionOptions};
pub use sharding::{
    ExecuteChooser, IdentityChooser, ShardChooser, ShardObject, ShardQuery, Sharding,
};
pub use task_scope::{TaskScoped, task_scope};
pub use validation::{ColumnValidator, Required, ValidationError, ValidationErrors, Validator};
pub use versioning::{VersionGenerator, next_version};
