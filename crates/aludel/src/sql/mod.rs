//! The Core: the SQL expression language, schema, and the compiler that renders it.
//!
//! Nothing here knows about the ORM; the ORM builds these statements and runs them through
//! the [`engine`](crate::engine).

mod compiled;
#[allow(dead_code)] // engine branch only: the Core builder being written uses the rest
pub(crate) mod compiler;
mod text;
pub mod types;
mod value;

pub use compiled::{BindSlot, Compiled, Executable, Params};
pub use text::{text, TextClause};
pub use types::SqlType;
pub use value::{FromValue, ToValue, Value};
