//! Drivers: the client glue for each database, implementing the engine's internal driver
//! trait (`engine/driver.rs`) over `rusqlite`, `postgres` and `mysql`. Each is compiled only
//! with its database's cargo feature. They convert between aludel's `Value`s and their
//! client's types, classify the client's errors, and stream rows; what SQL to send is
//! decided above them, by the compiler and the dialects.

#[cfg(feature = "mysql")]
pub(crate) mod mysql;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "postgres")]
mod postgres_client;
#[cfg(feature = "postgres")]
mod postgres_text;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;
