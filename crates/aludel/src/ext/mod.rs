//! Extensions built on the ORM's public API.
//!
//! - [`managers`]: sqlalchemy-unchained's layer — a [`SessionManager`](managers::SessionManager)
//!   and per-model [`ModelManager`](managers::ModelManager)s that create, look up and update
//!   objects from named values, validated first.

pub mod managers;
