//! [`Bundle`]: a named group of selections read as one value (SQLAlchemy's `Bundle`),
//! relabelled with [`Bundle::label`] or read through a function of your own with
//! [`Bundle::map`] (SQLAlchemy's `create_row_processor`).

use std::sync::Arc;

use crate::engine::RowView;
use crate::error::Result;
use crate::orm::query::{ColumnDescription, Decoder, Selection};
use crate::sql::Expr;

/// A named group of selections read as one value (SQLAlchemy's `Bundle`); bundles nest.
///
/// ```
/// use aludel::orm::{Bundle, Selection};
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
/// let b = Bundle::new("user", (User::id, User::name));
/// assert_eq!(b.name(), "user");
/// assert_eq!(b.c().len(), 2);
/// assert_eq!(b.descriptions()[0].name, "user");
/// ```
#[derive(Clone)]
pub struct Bundle<S> {
    name: Arc<str>,
    inner: S,
}

impl<S: Selection> Bundle<S> {
    /// A bundle of `inner` named `name`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// let _b = aludel::orm::Bundle::new("b", User::id);
    /// ```
    pub fn new(name: &str, inner: S) -> Self {
        Bundle {
            name: Arc::from(name),
            inner,
        }
    }

    /// The bundle's name.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// assert_eq!(aludel::orm::Bundle::new("b", User::id).name(), "b");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bundle's column expressions (SQLAlchemy's `Bundle.c`), for criteria.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// let b = aludel::orm::Bundle::new("b", User::id);
    /// assert_eq!(b.c()[0], aludel::sql::Expr::from(User::id));
    /// ```
    pub fn c(&self) -> Vec<Expr> {
        self.inner.columns()
    }

    /// A copy named `name` (SQLAlchemy's `Bundle.label`), e.g. one bundle twice in a
    /// selection.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// use aludel::orm::{Bundle, Selection};
    /// let b = Bundle::new("b", User::id);
    /// let renamed = b.label("owner");
    /// assert_eq!((b.name(), renamed.name()), ("b", "owner"));
    /// assert_eq!(renamed.descriptions()[0].name, "owner");
    /// ```
    pub fn label(&self, name: &str) -> Self {
        Bundle {
            name: Arc::from(name),
            inner: self.inner.clone(),
        }
    }

    /// The bundle read through `f`, which builds a value of your own from the bundle's
    /// row (what SQLAlchemy's `Bundle.create_row_processor` is overridden for: a dict, a
    /// dataclass). The columns selected stay the bundle's.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<User as aludel::orm::Model>::info()])?;
    /// use aludel::orm::Bundle;
    /// #[derive(Debug, PartialEq)]
    /// struct Badge { label: String }
    /// let s = aludel::orm::Session::new(&engine);
    /// s.add(User { id: 1, name: "ada".into() })?;
    /// let badge = Bundle::new("badge", (User::id, User::name))
    ///     .map(|(id, name)| Badge { label: format!("#{id} {name}") });
    /// assert_eq!(s.query::<User>().with_entities(badge).one()?, Badge { label: "#1 ada".into() });
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn map<T: 'static>(
        &self,
        f: impl Fn(S::Output) -> T + Send + Sync + 'static,
    ) -> MappedBundle<S, T> {
        MappedBundle {
            bundle: self.clone(),
            build: Arc::new(f),
        }
    }
}

impl<S: Selection> Selection for Bundle<S> {
    type Output = S::Output;
    type Scalar = S::Output;

    fn first(output: Self::Output) -> Self::Scalar {
        output
    }

    fn columns(&self) -> Vec<Expr> {
        self.inner.columns()
    }

    fn width(&self) -> usize {
        self.inner.width()
    }

    fn decode(&self, cx: &mut Decoder<'_>, row: &dyn RowView, offset: usize) -> Result<S::Output> {
        self.inner.decode(cx, row, offset)
    }

    fn descriptions(&self) -> Vec<ColumnDescription> {
        vec![ColumnDescription {
            name: self.name.to_string(),
            type_name: std::any::type_name::<S::Output>(),
            entity: None,
            is_entity: false,
        }]
    }
}

/// A [`Bundle`] read through a function that builds the row's value
/// ([`Bundle::map`]).
///
/// ```
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
/// use aludel::orm::{Bundle, Selection};
/// let m = Bundle::new("b", User::id).map(|id| id * 2);
/// assert_eq!(m.width(), 1);
/// assert_eq!(m.descriptions()[0].name, "b");
/// ```
pub struct MappedBundle<S: Selection, T> {
    bundle: Bundle<S>,
    build: Arc<dyn Fn(S::Output) -> T + Send + Sync>,
}

impl<S: Selection, T> Clone for MappedBundle<S, T> {
    fn clone(&self) -> Self {
        MappedBundle {
            bundle: self.bundle.clone(),
            build: self.build.clone(),
        }
    }
}

impl<S: Selection, T: 'static> Selection for MappedBundle<S, T> {
    type Output = T;
    type Scalar = T;

    fn first(output: T) -> T {
        output
    }

    fn columns(&self) -> Vec<Expr> {
        self.bundle.columns()
    }

    fn width(&self) -> usize {
        self.bundle.width()
    }

    fn decode(&self, cx: &mut Decoder<'_>, row: &dyn RowView, offset: usize) -> Result<T> {
        Ok((self.build)(self.bundle.decode(cx, row, offset)?))
    }

    fn descriptions(&self) -> Vec<ColumnDescription> {
        vec![ColumnDescription {
            name: self.bundle.name().to_string(),
            type_name: std::any::type_name::<T>(),
            entity: None,
            is_entity: false,
        }]
    }
}
