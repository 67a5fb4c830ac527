//! [`Relationship<P, F>`]: the typed handle `#[derive(Model)]` generates for each
//! relationship field (`User::addresses`), which loader options and relationship joins
//! take, so a path like `User.orders -> Order.items` is checked by the compiler.

use std::marker::PhantomData;

use crate::orm::mapper::Model;
use crate::orm::relationship::attribute::RelationField;
use crate::orm::relationship::info::RelationshipInfo;

/// The relationship declared by field `F` (a `Many<T>` or `One<T>`) of model `P`.
///
/// ```
/// use aludel::orm::{Many, Model, One};
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
/// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
/// let rel = User::addresses;
/// assert_eq!(rel.info().name, "addresses");
/// assert_eq!((rel.info().target)().name, "Address");
/// ```
pub struct Relationship<P: Model, F: RelationField> {
    index: usize,
    _types: PhantomData<fn() -> (P, F)>,
}

impl<P: Model, F: RelationField> Clone for Relationship<P, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: Model, F: RelationField> Copy for Relationship<P, F> {}

impl<P: Model, F: RelationField> std::fmt::Debug for Relationship<P, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", P::info().name, self.info().name)
    }
}

impl<P: Model, F: RelationField> Relationship<P, F> {
    /// The handle of the owner's relationship number `index` (the derive makes these).
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// let rel = aludel::orm::Relationship::<User, Many<Address>>::new(0);
    /// assert_eq!(rel.index(), 0);
    /// ```
    pub const fn new(index: usize) -> Self {
        Relationship {
            index,
            _types: PhantomData,
        }
    }

    /// The relationship's index among the owner's relationships.
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// assert_eq!(User::addresses.index(), 0);
    /// ```
    pub const fn index(&self) -> usize {
        self.index
    }

    /// The relationship's description in the owner's info.
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// assert!(User::addresses.info().uselist);
    /// ```
    pub fn info(&self) -> &'static RelationshipInfo {
        &P::info().relationships[self.index]
    }
}
