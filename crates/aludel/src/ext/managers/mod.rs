//! The managers layer (seed 003, sqlalchemy-unchained): every interaction with the
//! database for a model goes through its manager, the Data Mapper pattern, instead of
//! methods on the model.
//!
//! - [`init_sqlalchemy_unchained`]: the engine, the scoped session the managers use, and
//!   the constraint naming convention, in one call.
//! - [`ModelRegistry`]: the application's models by name, their foreign keys checked
//!   together by `finalize_mappings`.
//! - [`SessionManager`]: where managers get their session (a scoped session set once with
//!   [`SessionManager::set_session_factory`], or one given explicitly), and `save`,
//!   `save_all`, `commit`, `no_autoflush`.
//! - [`ModelManager<M>`]: `create`, `get_or_create`, `update`, `update_or_create`, `all`,
//!   `get`, `get_by`, `filter`, `filter_by`, `query`/`q`, from named values
//!   ([`params!`](crate::params)), validated by the model's validation (see
//!   [`orm::Validator`](crate::orm::Validator)) before anything is set.
//!
//! A custom manager is a struct of your own that derefs to `ModelManager<M>` and adds query
//! methods (the seed's `FoobarManager.find_by_name`):
//!
//! ```
//! use std::ops::Deref;
//! use aludel::ext::managers::{ModelManager, SessionManager};
//! use aludel::orm::{create_all, Instance, Model, Session};
//! use aludel::params;
//!
//! #[derive(aludel::Model, Debug, Clone)]
//! #[model(table = "foobar")]
//! struct Foobar {
//!     #[column(primary_key)]
//!     id: i64,
//!     #[column(max_len = 50)]
//!     name: String,
//! }
//!
//! struct FoobarManager(ModelManager<Foobar>);
//!
//! impl Deref for FoobarManager {
//!     type Target = ModelManager<Foobar>;
//!     fn deref(&self) -> &Self::Target {
//!         &self.0
//!     }
//! }
//!
//! impl FoobarManager {
//!     fn find_by_name(&self, name: &str) -> aludel::Result<Option<Instance<Foobar>>> {
//!         self.get_by(params! { "name" => name })
//!     }
//! }
//!
//! let engine = aludel::create_engine("sqlite://:memory:")?;
//! create_all(&engine, &[Foobar::info()])?;
//! let foobars = FoobarManager(ModelManager::new(SessionManager::with_session(Session::new(&engine))));
//! foobars.create(params! { "name" => "foo" }, true)?;
//! assert_eq!(foobars.find_by_name("foo")?.unwrap().read()?.name, "foo");
//! # Ok::<(), aludel::Error>(())
//! ```

mod init;
mod model_manager;
mod registry;
mod session_manager;

pub use init::{Unchained, init_sqlalchemy_unchained};
pub use model_manager::ModelManager;
pub use registry::ModelRegistry;
pub use session_manager::SessionManager;
