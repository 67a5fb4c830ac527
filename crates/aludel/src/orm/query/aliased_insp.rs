//! Inspecting an alias of a model (SQLAlchemy's `inspect(aliased(User))`, an
//! `AliasedInsp`): the alias itself, the model it stands for, its FROM item and name, and
//! the model's polymorphic setup read through the alias.

use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::query::Aliased;
use crate::sql::{Expr, FromItem};

/// What an [`Aliased`] is made of (SQLAlchemy's `AliasedInsp`; the alias itself plays the
/// part of `AliasedClass`). Built by [`Aliased::inspect`].
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
/// use aludel::orm::{Aliased, Model};
/// let u = Aliased::<User>::new("u");
/// let insp = u.inspect();
/// assert_eq!(insp.name, "u");
/// assert!(std::ptr::eq(insp.mapper, User::info()));
/// assert!(insp.polymorphic_on.is_none());
/// ```
pub struct AliasedInsp<'a, M> {
    /// The alias inspected (SQLAlchemy's `entity`, the `AliasedClass`).
    pub entity: &'a Aliased<M>,
    /// The model the alias stands for (SQLAlchemy's `mapper`).
    pub mapper: &'static ModelInfo,
    /// The FROM item rows are read from: an aliased table, the joined aliases of a
    /// joined-table subtype, or the subquery given to [`Aliased::of`].
    pub selectable: &'a FromItem,
    /// The alias's name.
    pub name: &'a str,
    /// The models whose columns the alias loads: the model itself (aludel's aliases do not
    /// load subtypes' columns).
    pub with_polymorphic_mappers: Vec<&'static ModelInfo>,
    /// The discriminator column of a model in a polymorphic hierarchy, read through the
    /// alias; `None` outside one.
    pub polymorphic_on: Option<Expr>,
}

impl<M: Model> Aliased<M> {
    /// The alias's parts (SQLAlchemy's `inspect(alias)`): see [`AliasedInsp`].
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
    /// # struct Employee { #[column(primary_key)] id: i64, kind: String }
    /// use aludel::orm::Aliased;
    /// use aludel::sql::Executable;
    /// let e = Aliased::<Employee>::new("e");
    /// let insp = e.inspect();
    /// assert_eq!(insp.selectable, e.from_item());
    /// assert_eq!(insp.with_polymorphic_mappers[0].name, "Employee");
    /// let kind = insp.polymorphic_on.unwrap();
    /// assert_eq!(kind.compile(&aludel::dialects::Sqlite)?.sql, "e.kind");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn inspect(&self) -> AliasedInsp<'_, M> {
        let info = M::info();
        let polymorphic_on = info
            .inheritance
            .as_ref()
            .filter(|i| !i.polymorphic_on.is_empty())
            .map(|i| self.c(&i.polymorphic_on));
        AliasedInsp {
            entity: self,
            mapper: info,
            selectable: self.from_item(),
            name: self.name(),
            with_polymorphic_mappers: vec![info],
            polymorphic_on,
        }
    }
}
