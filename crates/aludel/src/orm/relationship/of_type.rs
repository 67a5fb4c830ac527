//! [`OfType`]: a relationship narrowed to one subtype of its target's hierarchy
//! (SQLAlchemy's `Company.employees.of_type(Engineer)`), for joins along it; and
//! [`RelationshipPath`], what `Query::join_rel` accepts: a relationship, narrowed or not.

use std::marker::PhantomData;

use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::relationship::attribute::RelationField;
use crate::orm::relationship::descriptor::Relationship;
use crate::orm::relationship::info::RelationshipInfo;

/// Relationship `rel` of `P` whose targets are read as subtype `S` of the declared target
/// type; made by [`Relationship::of_type`].
///
/// ```
/// use aludel::orm::{Many, Model, RelationshipPath};
/// # #[derive(aludel::Model)] #[model(table = "company")] struct Company { #[column(primary_key)] id: i64, #[relationship] employees: Many<Employee> }
/// # #[derive(aludel::Model)] #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
/// # struct Employee { #[column(primary_key)] id: i64, kind: String, #[column(foreign_key = "company.id")] company_id: Option<i64> }
/// # #[derive(aludel::Model)] #[model(inherits = Employee, polymorphic_identity = "engineer")]
/// # struct Engineer { #[column(primary_key)] id: i64, kind: String, company_id: Option<i64>, language: Option<String> }
/// let path = Company::employees.of_type::<Engineer>();
/// assert_eq!(path.subtype().map(|m| m.name), Some("Engineer"));
/// assert_eq!(path.relationship().name, "employees");
/// ```
pub struct OfType<P: Model, F: RelationField, S: Model> {
    rel: Relationship<P, F>,
    _subtype: PhantomData<fn() -> S>,
}

impl<P: Model, F: RelationField, S: Model> Clone for OfType<P, F, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Model, F: RelationField, S: Model> Copy for OfType<P, F, S> {}

impl<P: Model, F: RelationField> Relationship<P, F> {
    /// The relationship with its targets narrowed to `S`, a subtype in the target's
    /// hierarchy (SQLAlchemy's `of_type`): `query.join_rel(Company::employees.of_type::<Engineer>())`
    /// joins the engineers only — a single-table hierarchy adds `discriminator IN
    /// (<S's identity>)` to the ON clause, a joined-table one joins the base table
    /// to `S`'s own table inside the join — and later `filter_by` names `S`'s columns. A
    /// type outside the target's hierarchy makes the query fail with an error naming
    /// both.
    ///
    /// ```
    /// use aludel::orm::{Many, Session};
    /// use aludel::sql::Executable;
    /// # #[derive(aludel::Model)] #[model(table = "company")] struct Company { #[column(primary_key)] id: i64, #[relationship] employees: Many<Employee> }
    /// # #[derive(aludel::Model)] #[model(table = "employee", polymorphic = "joined", polymorphic_on = "kind")]
    /// # struct Employee { #[column(primary_key)] id: i64, kind: String, #[column(foreign_key = "company.id")] company_id: Option<i64> }
    /// # #[derive(aludel::Model)] #[model(table = "engineer", inherits = Employee, polymorphic_identity = "engineer")]
    /// # struct Engineer { #[column(primary_key)] id: i64, kind: String, company_id: Option<i64>, language: String }
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let q = Session::new(&engine).query::<Company>()
    ///     .join_rel(Company::employees.of_type::<Engineer>())
    ///     .filter_by("language", "rust");
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT company.id FROM company JOIN (employee JOIN engineer ON employee.id = engineer.id) \
    ///      ON company.id = employee.company_id WHERE engineer.language = ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn of_type<S: Model>(self) -> OfType<P, F, S> {
        OfType {
            rel: self,
            _subtype: PhantomData,
        }
    }
}

/// A relationship to join along, as `Query::join_rel` / `outerjoin_rel` take it: a
/// [`Relationship`] handle (`User::addresses`) or one narrowed to a subtype with
/// [`Relationship::of_type`].
///
/// ```
/// use aludel::orm::{Many, Model, RelationshipPath};
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
/// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
/// let rel = User::addresses;
/// assert_eq!((rel.owner().name, rel.relationship().name), ("User", "addresses"));
/// assert!(rel.subtype().is_none());
/// ```
pub trait RelationshipPath: Copy {
    /// The model declaring the relationship.
    fn owner(&self) -> &'static ModelInfo;
    /// The relationship's description.
    fn relationship(&self) -> &'static RelationshipInfo;
    /// The subtype the targets are narrowed to, if any.
    fn subtype(&self) -> Option<&'static ModelInfo>;
}

impl<P: Model, F: RelationField> RelationshipPath for Relationship<P, F> {
    fn owner(&self) -> &'static ModelInfo {
        P::info()
    }

    fn relationship(&self) -> &'static RelationshipInfo {
        self.info()
    }

    fn subtype(&self) -> Option<&'static ModelInfo> {
        None
    }
}

impl<P: Model, F: RelationField, S: Model> RelationshipPath for OfType<P, F, S> {
    fn owner(&self) -> &'static ModelInfo {
        P::info()
    }

    fn relationship(&self) -> &'static RelationshipInfo {
        self.rel.info()
    }

    fn subtype(&self) -> Option<&'static ModelInfo> {
        Some(S::info())
    }
}
