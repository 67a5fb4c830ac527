//! [`Polymorphic`]: a Rust enum over the types of a hierarchy, one variant per model
//! (`#[derive(aludel::Polymorphic)]`), which is what a query for the whole hierarchy
//! returns: each row as the type its discriminator names.

use crate::engine::RowView;
use crate::error::{Error, Result};
use crate::orm::identity::IdentityMap;
use crate::orm::instance::Instance;
use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::session::SessionInner;
use crate::sql::ValueRef;

/// An enum with one `Instance<T>` variant per model of a hierarchy; implement it with
/// `#[derive(aludel::Polymorphic)]` and query it with
/// [`Session::query_polymorphic`](crate::orm::Session::query_polymorphic).
///
/// ```
/// use aludel::orm::{Instance, Model, Polymorphic};
/// # #[derive(aludel::Model)]
/// # #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
/// # struct Employee { #[column(primary_key)] id: i64, name: String, kind: String }
/// # #[derive(aludel::Model)]
/// # #[model(inherits = Employee)]
/// # struct Engineer { #[column(primary_key)] id: i64, name: String, kind: String, language: Option<String> }
/// #[derive(aludel::Polymorphic)]
/// enum AnyEmployee {
///     Employee(Instance<Employee>),
///     Engineer(Instance<Engineer>),
/// }
///
/// let names: Vec<&str> = AnyEmployee::variants().iter().map(|m| m.name).collect();
/// assert_eq!(names, ["Employee", "Engineer"]);
/// ```
pub trait Polymorphic: Sized {
    /// The model of each variant, in variant order.
    fn variants() -> Vec<&'static ModelInfo>;

    /// Builds variant `variant` (an index into [`variants`](Self::variants)) from the row
    /// `loader` holds, with [`VariantLoader::load`].
    fn load(variant: usize, loader: &mut VariantLoader<'_>) -> Result<Self>;
}

/// The row of a polymorphic query, handed to [`Polymorphic::load`] to build the variant
/// its discriminator names through the session's identity map. `#[derive(Polymorphic)]`
/// writes the calls; a hand-written `load` looks like this:
///
/// ```
/// use aludel::orm::{Instance, Model, ModelInfo, Polymorphic, VariantLoader};
/// # #[derive(aludel::Model)]
/// # #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
/// # struct Employee { #[column(primary_key)] id: i64, kind: String }
/// enum AnyEmployee { Employee(Instance<Employee>) }
///
/// impl Polymorphic for AnyEmployee {
///     fn variants() -> Vec<&'static ModelInfo> {
///         vec![Employee::info()]
///     }
///     fn load(variant: usize, loader: &mut VariantLoader<'_>) -> aludel::Result<Self> {
///         match variant {
///             0 => Ok(AnyEmployee::Employee(loader.load::<Employee>()?)),
///             _ => Err(aludel::Error::InvalidRequest { message: format!("no variant #{variant}") }),
///         }
///     }
/// }
/// let engine = aludel::create_engine("sqlite://:memory:")?;
/// aludel::orm::create_all(&engine, &[Employee::info()])?;
/// let s = aludel::orm::Session::new(&engine);
/// s.add(Employee { id: 1, kind: String::new() })?;
/// assert_eq!(s.query_polymorphic::<AnyEmployee>().all()?.len(), 1);
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct VariantLoader<'a> {
    pub(crate) session: &'a SessionInner,
    pub(crate) identity: &'a mut IdentityMap,
    pub(crate) row: &'a dyn RowView,
    /// Per column of the variant's model, its position in the row.
    pub(crate) positions: &'a [usize],
    pub(crate) populate_existing: bool,
}

impl VariantLoader<'_> {
    /// The session's object of model `T` for the row (an object already in the identity
    /// map is returned as it is, whatever type loaded it before).
    ///
    /// ```
    /// # use aludel::orm::{Instance, Model};
    /// # #[derive(aludel::Model)]
    /// # #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
    /// # struct Employee { #[column(primary_key)] id: i64, kind: String }
    /// #[derive(aludel::Polymorphic)]
    /// enum AnyEmployee { Employee(Instance<Employee>) }
    /// // The derive's `load` calls `loader.load::<Employee>()` for variant 0.
    /// let engine = aludel::create_engine("sqlite://:memory:")?;
    /// aludel::orm::create_all(&engine, &[Employee::info()])?;
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add(Employee { id: 1, kind: String::new() })?;
    /// let all = s.query_polymorphic::<AnyEmployee>().all()?;
    /// assert!(matches!(&all[..], [AnyEmployee::Employee(_)]));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn load<T: Model>(&mut self) -> Result<Instance<T>> {
        let view = Positioned {
            row: self.row,
            positions: self.positions,
        };
        self.session
            .instance_for_row::<T>(self.identity, &view, self.populate_existing)
    }
}

/// A row seen through a column map: cell `i` is the row's cell `positions[i]`, so each
/// variant's model reads its own columns out of the hierarchy's union of columns.
struct Positioned<'a> {
    row: &'a dyn RowView,
    positions: &'a [usize],
}

impl RowView for Positioned<'_> {
    fn len(&self) -> usize {
        self.positions.len()
    }

    fn value(&self, index: usize) -> Result<ValueRef<'_>> {
        match self.positions.get(index) {
            Some(&at) => self.row.value(at),
            None => Err(Error::invalid(format!(
                "column #{index} is outside the {} columns of this model",
                self.positions.len()
            ))),
        }
    }
}
