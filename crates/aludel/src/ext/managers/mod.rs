//! The managers layer (seed 003, sqlalchemy-unchained): every interaction with the
//! database for a model goes through its manager, the Data Mapper pattern, instead of
//! methods on the model.
//!
//! - [`init_sqlalchemy_unchained`]: the engine, the scoped session the managers use, and
//!   the constraint naming convention, in one call.
//! - [`declarative_base`]: a [`ModelBase`] — name, bind, metadata and class registry of a
//!   group of models; abstract models (`#[model(abstract)]`) give them shared fields.
//! - [`BaseModel`]: build, `update` and `validate` from named values, on every model.
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

mod base_model;
mod declarative_base;
mod init;
mod meta_option;
mod model_manager;
mod registry;
mod session_manager;

pub use base_model::BaseModel;
pub use declarative_base::{ModelBase, SharedRegistry, declarative_base};
pub use init::{Unchained, init_sqlalchemy_unchained};
pub use meta_option::{ColumnMetaOption, MetaOptionValidator};
pub use model_manager::ModelManager;
pub use registry::ModelRegistry;
pub use session_manager::SessionManager;

/// sqlalchemy-unchained's Meta options that add columns, as an attribute placed above
/// `#[derive(aludel::Model)]` (a derive cannot add fields):
///
/// - `pk` (default `"id"`): an autoincrementing `Option<i64>` primary key, added unless the
///   struct marks a field `#[column(primary_key)]`; `pk = "key"` renames it, `pk = false`
///   leaves it out.
/// - `created_at`, `updated_at` (defaults on): `Option<DateTime<Utc>>` columns the database
///   fills on INSERT (`DEFAULT CURRENT_TIMESTAMP`); every UPDATE also sets `updated_at`
///   (the column's `server_onupdate`), and the object reloads it on next access. Each
///   takes a new name, or `false`.
/// - `repr` (default: the three columns above): the fields `Debug` shows, unless the struct
///   derives `Debug` itself.
/// - `columns(field = Option, ...)`: fields contributed by the application's own
///   [`ColumnMetaOption`]s (unchained's `ModelMetaOptionsFactory` holds such options; here
///   the model names the ones it uses).
///
/// - `abstract`: unchained's `Meta.abstract` — on a struct without the derive, it maps
///   nothing and becomes a macro of the same name holding its fields and options;
///   `extends = Name` on a model gives it those fields (after the primary key) and options
///   (which the model's own override). An abstract model may extend another.
///
/// ```
/// use aludel::orm::Model;
///
/// /// Not a table: what every model of the app shares.
/// #[aludel::ext::managers::model(abstract, updated_at = false)]
/// struct Authored {
///     #[column(max_len = 40)]
///     author: String,
/// }
///
/// #[aludel::ext::managers::model(extends = Authored)]
/// #[derive(aludel::Model)]
/// struct Quote {
///     text: String,
/// }
///
/// assert_eq!(Quote::info().fields, ["id", "author", "text", "created_at"]);
/// ```
///
/// The other Meta options are `#[model(...)]` options of the derive: `table` (default: the
/// struct name in snake_case), `validation`, `unique_together`, `index_together`.
///
/// ```
/// use aludel::orm::{Model, Session};
///
/// #[aludel::ext::managers::model(repr = ["id", "title"])]
/// #[derive(aludel::Model)]
/// struct BlogPost {
///     #[column(max_len = 100)]
///     title: String,
/// }
///
/// assert_eq!(BlogPost::info().table.name(), "blog_post");
/// assert_eq!(BlogPost::info().fields, ["id", "title", "created_at", "updated_at"]);
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// aludel::orm::create_all(&engine, &[BlogPost::info()])?;
/// let s = Session::new(&engine);
/// let post = s.add(BlogPost { id: None, title: "Hello".into(), created_at: None, updated_at: None })?;
/// s.commit()?;
/// let p = post.read()?;
/// assert!(p.id.is_some() && p.created_at.is_some() && p.updated_at.is_some());
/// assert_eq!(format!("{:?}", *p), format!("BlogPost {{ id: {:?}, title: \"Hello\" }}", p.id));
/// # Ok::<(), aludel::Error>(())
/// ```
pub use aludel_macros::unchained_model as model;
