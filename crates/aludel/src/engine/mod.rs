//! Engine: URLs, the connection pool, connections, transactions and results.
//!
//! ```
//! use aludel::{create_engine, params, sql::text};
//! let engine = create_engine("sqlite://:memory:")?;
//! let mut conn = engine.connect()?;
//! conn.execute(&text("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"), ())?;
//! let mut tx = conn.begin()?;
//! tx.execute(&text("INSERT INTO users (name) VALUES (:n)"), params! { "n" => "ada" })?;
//! tx.commit()?;
//! let row = conn.execute(&text("SELECT id, name FROM users"), ())?.one()?;
//! assert_eq!(row.get::<String>("name")?, "ada");
//! # Ok::<(), aludel::Error>(())
//! ```

mod compiled_cache;
mod connection;
mod ddl;
pub(crate) mod driver;
#[allow(clippy::module_inception)]
mod engine;
mod insert_many;
mod options;
mod pool;
mod recorder;
mod result;
pub(crate) mod round_trips;
mod row;
pub(crate) mod row_view;
mod transaction;
mod two_phase;
mod url;

pub use compiled_cache::CompiledCacheStats;
pub(crate) use compiled_cache::Prepared;
pub use connection::Connection;
pub use engine::{Engine, create_engine};
pub(crate) use insert_many::rows_per_insert;
pub use options::{EngineBuilder, EngineOptions, ExecutionOptions, IsolationLevel};
pub use pool::PoolStatus;
pub use recorder::StatementRecorder;
pub use result::{ResultSet, RowStream};
pub use row::{Row, RowIndex};
pub use row_view::{RowRef, RowView};
pub use transaction::{Savepoint, Transaction};
pub(crate) use two_phase::TwoPhaseState;
pub use two_phase::{TwoPhaseTransaction, commit_two_phase};
pub use url::{Backend, Url, url_encode};
