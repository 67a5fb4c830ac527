//! [`LoaderOption`]: what [`Query::options`](crate::orm::Query::options) takes, a
//! relationship loader path or a column loading option, erased into the query's
//! [`LoaderTree`].

use crate::error::Result;
use crate::orm::deferred::ColumnOption;
use crate::orm::loading::options::{Load, LoaderTree};
use crate::orm::mapper::Model;

/// An option for [`Query::options`](crate::orm::Query::options) on queries of `M`: a relationship loader path
/// ([`Load`], from [`selectinload`](crate::orm::selectinload), ...) or a column loading
/// option ([`ColumnOption`], from [`undefer`](crate::orm::undefer), ...). Both convert
/// into it with `From`.
///
/// ```
/// use aludel::orm::{Deferred, LoaderOption, Model, undefer};
/// # #[derive(aludel::Model)] #[model(table = "docs")] struct Doc { #[column(primary_key)] id: i64, body: Deferred<String> }
/// let _option: LoaderOption<Doc> = undefer(Doc::body).into();
/// ```
pub struct LoaderOption<M> {
    apply: Apply,
    _model: std::marker::PhantomData<fn() -> M>,
}

/// Adds an option to a query's tree.
type Apply = Box<dyn FnOnce(&mut LoaderTree) -> Result<()>>;

impl<M> std::fmt::Debug for LoaderOption<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoaderOption")
    }
}

impl<M> LoaderOption<M> {
    fn new(apply: impl FnOnce(&mut LoaderTree) -> Result<()> + 'static) -> Self {
        LoaderOption {
            apply: Box::new(apply),
            _model: std::marker::PhantomData,
        }
    }

    /// Adds the option to a query's tree.
    pub(crate) fn apply(self, tree: &mut LoaderTree) -> Result<()> {
        (self.apply)(tree)
    }
}

/// A relationship loader path.
impl<M: Model, T: Model> From<Load<M, T>> for LoaderOption<M> {
    fn from(option: Load<M, T>) -> Self {
        LoaderOption::new(move |tree| tree.add(&option))
    }
}

/// A column loading option (its error, such as an unknown group, is reported when the
/// query runs).
impl<M: Model> From<ColumnOption<M>> for LoaderOption<M> {
    fn from(option: ColumnOption<M>) -> Self {
        LoaderOption::new(move |tree| {
            tree.columns.add(option.choices()?);
            Ok(())
        })
    }
}
