//! The names most programs need: `use aludel::prelude::*;`.
//!
//! ```
//! use aludel::prelude::*;
//! let engine = create_engine("sqlite://")?;
//! let session = Session::new(&engine);
//! assert_eq!(session.scalar::<i64>(&text("SELECT 1"), ())?, 1);
//! # Ok::<(), aludel::Error>(())
//! ```

pub use crate::engine::{Connection, Engine, create_engine};
pub use crate::orm::{
    DeclarativeBase, Instance, Model, Query, QueryClass, QueryClasses, QueryMethods, QueryProperty,
    Scope, ScopedSession, Session, SessionMaker,
};
pub use crate::params;
pub use crate::sql::{Executable, and_, func, not_, or_, select, text};
pub use crate::{Error, Result};
