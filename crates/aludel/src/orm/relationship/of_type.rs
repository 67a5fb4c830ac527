//! [`OfType`]: a relationship narrowed to one subtype of its target's hierarchy, or to the
//! variants of a `Polymorphic` enum (SQLAlchemy's `Company.employees.of_type(Engineer)`),
//! for joins along it; [`SubtypeSet`], what it narrows to; and [`RelationshipPath`], what
//! `Query::join_rel` accepts: a relationship, narrowed or not.

use std::marker::PhantomData;

use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::relationship::attribute::RelationField;
use crate::orm::relationship::descriptor::Relationship;
use crate::orm::relationship::info::RelationshipInfo;

/// Relationship `rel` of `P` whose targets are read as subtype `S` of the declared target
/// type (or as the variants of enum `S`); made by [`Relationship::of_type`].
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
pub struct OfType<P: Model, F: RelationField, S: SubtypeSet> {
    rel: Relationship<P, F>,
    _subtype: PhantomData<fn() -> S>,
}

impl<P: Model, F: RelationField, S: SubtypeSet> Clone for OfType<P, F, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Model, F: RelationField, S: SubtypeSet> Copy for OfType<P, F, S> {}

impl<P: Model, F: RelationField> Relationship<P, F> {
    /// The relationship with its targets narrowed to `S`, a subtype in the target's
    /// hierarchy (SQLAlchemy's `of_type`): `query.join_rel(Company::employees.of_type::<Engineer>())`
    /// joins the engineers only — a single-table hierarchy adds `discriminator IN
    /// (<S's identity>)` to the ON clause, a joined-table one joins the base table
    /// to `S`'s tables inside the join — and later `filter_by` names `S`'s columns. `S`
    /// may also be a `#[derive(Polymorphic)]` enum: `of_type::<AnyEngineer>()` keeps to
    /// its variants (an engineer and its own subtypes: `discriminator IN ('engineer',
    /// 'senior')`, SQLAlchemy's `of_type(Engineer)` on a single table), joined as its
    /// topmost variant. A type outside the target's hierarchy makes the query fail with
    /// an error naming both.
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
    pub fn of_type<S: SubtypeSet>(self) -> OfType<P, F, S> {
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
    /// The subtype the targets are narrowed to, if any (for an enum, its topmost
    /// variant: the join point).
    fn subtype(&self) -> Option<&'static ModelInfo>;
    /// Every type the targets are narrowed to (the subtype, or an enum's variants); empty
    /// when not narrowed.
    fn subtypes(&self) -> Vec<&'static ModelInfo> {
        self.subtype().into_iter().collect()
    }
}

/// What [`Relationship::of_type`] narrows a relationship's targets to: a model (exactly
/// that type, as `query::<T>()` is) or a `#[derive(Polymorphic)]` enum (each of its
/// variants, as `query_polymorphic` is; the derive implements this trait).
///
/// A model records its parent, not its children, so "a type and its subtypes" is spelled
/// as the enum that lists them: the compiler holds the list, and nothing depends on
/// which models a program happened to touch before the query.
///
/// ```
/// use aludel::orm::{Instance, Model, SubtypeSet};
/// # #[derive(aludel::Model)] #[model(table = "employee", polymorphic = "single", polymorphic_on = "kind")]
/// # struct Employee { #[column(primary_key)] id: i64, kind: String }
/// # #[derive(aludel::Model)] #[model(inherits = Employee, polymorphic_identity = "engineer")]
/// # struct Engineer { #[column(primary_key)] id: i64, kind: String }
/// # #[derive(aludel::Model)] #[model(inherits = Engineer, polymorphic_identity = "senior")]
/// # struct Senior { #[column(primary_key)] id: i64, kind: String }
/// #[derive(aludel::Polymorphic)]
/// enum AnyEngineer { Engineer(Instance<Engineer>), Senior(Instance<Senior>) }
///
/// let names = |set: Vec<&aludel::orm::ModelInfo>| set.iter().map(|m| m.name).collect::<Vec<_>>();
/// assert_eq!(names(Engineer::models()), ["Engineer"]);
/// assert_eq!(names(AnyEngineer::models()), ["Engineer", "Senior"]);
/// ```
pub trait SubtypeSet {
    /// The models of the set.
    fn models() -> Vec<&'static ModelInfo>;
}

impl<M: Model> SubtypeSet for M {
    fn models() -> Vec<&'static ModelInfo> {
        vec![M::info()]
    }
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

impl<P: Model, F: RelationField, S: SubtypeSet> RelationshipPath for OfType<P, F, S> {
    fn owner(&self) -> &'static ModelInfo {
        P::info()
    }

    fn relationship(&self) -> &'static RelationshipInfo {
        self.rel.info()
    }

    fn subtype(&self) -> Option<&'static ModelInfo> {
        // The variant with the fewest ancestors; the join checks the others descend from it.
        let depth = |m: &&'static ModelInfo| {
            std::iter::successors(Some(*m), |m| m.inheritance.as_ref()?.parent.map(|p| p())).count()
        };
        S::models().into_iter().min_by_key(depth)
    }

    fn subtypes(&self) -> Vec<&'static ModelInfo> {
        S::models()
    }
}
