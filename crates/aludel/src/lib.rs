//! aludel: a SQLAlchemy-grade ORM for Rust.
//!
//! Layers, bottom up: [`sql`] (the Core expression language and compiler), [`dialects`]
//! (what differs between SQLite, PostgreSQL and MySQL), [`engine`] (URLs, pool,
//! connections, transactions, results) and [`orm`] (models, the Session with its identity
//! map and unit of work, scoped sessions, queries).

// Lets the derive's `::aludel::...` paths resolve inside this crate's own tests.
extern crate self as aludel;

pub mod dialects;
mod drivers;
pub mod engine;
mod error;
pub mod ext;
pub mod orm;
pub mod prelude;
pub mod sql;

pub use aludel_macros::{Model, Polymorphic};
/// The date and time crate aludel's values use (`chrono`), re-exported for the columns the
/// derive and the managers' `model` attribute declare.
pub use chrono;

/// The README's Rust examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// docs/inheritance.md's example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/inheritance.md")]
pub struct InheritanceDoctests;

pub use engine::{
    Connection, Engine, EngineOptions, IsolationLevel, ResultSet, Row, RowStream, Savepoint,
    StatementRecorder, Transaction, TwoPhaseTransaction, create_engine,
};
pub use error::{DatabaseError, DatabaseErrorKind, Error, Result};
