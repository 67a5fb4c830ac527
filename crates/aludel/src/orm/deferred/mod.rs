//! Deferred column loading (SQLAlchemy's `deferred()`, `defer`, `undefer`,
//! `undefer_group`, `load_only`): the [`Deferred<T>`] field type, the column layouts of
//! rows that leave deferred columns out, the query options choosing them, the load on
//! first access, and what the flush writes of them.

mod field;
mod history;
mod layout;
mod load;
mod options;
mod plan;

pub use field::{Deferred, DeferredColumn};
pub use layout::ColumnLayout;
pub use options::{ColumnOption, defer, load_only, undefer, undefer_group};

pub(crate) use field::{bind_deferred, mark_raising};
pub(crate) use history::{check_insertable, clear_changes, correct_changed, unloaded_columns};
pub(crate) use load::fill;
pub(crate) use options::ColumnChoices;
pub(crate) use plan::plan;
