//! aludel: a SQLAlchemy-grade ORM for Rust.
//!
//! Layers, bottom up: [`sql`] (the Core expression language and compiler), [`dialects`]
//! (what differs between SQLite, PostgreSQL and MySQL), [`engine`] (URLs, pool,
//! connections, transactions, results).

pub mod dialects;
pub mod engine;
mod error;
pub mod sql;

pub use engine::{
    create_engine, Connection, Engine, EngineOptions, IsolationLevel, ResultSet, Row, RowStream,
    Savepoint, StatementRecorder, Transaction,
};
pub use error::{DatabaseError, DatabaseErrorKind, Error, Result};
