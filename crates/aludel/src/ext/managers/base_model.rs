//! [`BaseModel`]: sqlalchemy-unchained's model methods — build from named values,
//! `update(partial_validation)` and `validate(partial)` — for every model, validated
//! before anything is set.

use crate::error::{Error, Result};
use crate::orm::{Model, ModelInfo, ValidationErrors};
use crate::sql::{Params, Value};

/// Named-value construction, update and validation for every [`Model`] (unchained's
/// `BaseModel`). Import the trait to call them on a model type or value; the
/// [`ModelManager`](crate::ext::managers::ModelManager) uses the same methods.
///
/// Values are named by field (or column) name with [`params!`](crate::params); an
/// unknown name is an error naming the model and its fields. Every failure is reported at
/// once as [`Error::Validation`].
///
/// ```
/// use aludel::ext::managers::BaseModel;
/// use aludel::params;
///
/// #[derive(aludel::Model, Debug)]
/// #[model(table = "book")]
/// struct Book {
///     #[column(primary_key)]
///     id: i64,
///     #[column(max_len = 20)]
///     title: String,
///     #[column(max_len = 20, nullable = false)]
///     author: Option<String>,
/// }
///
/// let mut book = Book::build(&params! { "title" => "Dune", "author" => "Herbert" })?;
/// // Partial validation (the default in unchained) checks only the values given...
/// book.update(&params! { "title" => "Dune Messiah" }, true)?;
/// // ...full validation checks every column of the result.
/// book.author = None;
/// assert!(book.update(&params! { "title" => "Children of Dune" }, true).is_ok());
/// let err = book.update(&params! { "title" => "God Emperor" }, false).unwrap_err();
/// assert_eq!(err.to_string(), "validation failed for Book: author: Author is required.");
/// assert_eq!(book.title, "Children of Dune", "nothing is set when validation fails");
/// # Ok::<(), aludel::Error>(())
/// ```
pub trait BaseModel: Model {
    /// Builds the model from named values, validating every column first (unchained's
    /// `BaseModel(**kwargs)`, which calls `update(partial_validation=False)`). A column
    /// left out gets its client default, "not set" for the autoincrement key, else NULL —
    /// so a NOT NULL column the database does not fill is "`<Field> is required.`".
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, #[column(max_len = 3)] code: String }
    /// use aludel::ext::managers::BaseModel;
    /// assert_eq!(T::build(&aludel::params! { "code" => "abc" })?.code, "abc");
    /// let err = T::build(&aludel::params! {}).unwrap_err();
    /// assert_eq!(err.to_string(), "validation failed for T: code: Code is required.");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    fn build(values: &Params) -> Result<Self> {
        let info = Self::info();
        let mut row = unset_row(info);
        assign(info, &mut row, values)?;
        info.validate(&row, None)
            .map_err(|errors| validation_error(info, errors))?;
        Self::from_values(row)
    }

    /// Validates named values without setting anything (unchained's classmethod
    /// `validate(partial, **kwargs)`): with `partial`, only the named columns; without,
    /// every column, those not named taking the value [`build`](Self::build) would give
    /// them.
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, #[column(max_len = 3)] code: String, n: i32 }
    /// use aludel::ext::managers::BaseModel;
    /// assert!(T::validate(&aludel::params! { "n" => 1 }, true).is_ok());
    /// assert!(T::validate(&aludel::params! { "n" => 1 }, false).is_err()); // code is required
    /// assert!(T::validate(&aludel::params! { "code" => "abcd" }, true).is_err());
    /// ```
    fn validate(values: &Params, partial: bool) -> Result<()> {
        let info = Self::info();
        let mut row = unset_row(info);
        let given = assign(info, &mut row, values)?;
        let only = partial.then_some(given.as_slice());
        info.validate(&row, only)
            .map_err(|errors| validation_error(info, errors))
    }

    /// Sets named values after validating them (unchained's
    /// `update(partial_validation=True, **kwargs)`): with `partial_validation`, only the
    /// named columns are checked; without, every column of the object as it would be
    /// after the update. Nothing is set if any value fails or does not convert.
    ///
    /// unchained's `partial_validation=False` checks the columns not named as if they were
    /// `None` (right for construction, where it is used); on an existing object this
    /// checks their current values instead, which is what "validate every column" means
    /// for an object that already has them.
    ///
    /// ```
    /// # #[derive(aludel::Model, Debug)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, #[column(max_len = 2)] code: String }
    /// use aludel::ext::managers::BaseModel;
    /// let mut t = T::build(&aludel::params! { "code" => "ab" })?;
    /// assert!(t.update(&aludel::params! { "code" => "abc" }, true).is_err());
    /// t.update(&aludel::params! { "code" => "cd" }, true)?;
    /// assert_eq!(t.code, "cd");
    /// # Ok::<(), aludel::Error>(())
    /// ```
    fn update(&mut self, values: &Params, partial_validation: bool) -> Result<&mut Self> {
        let info = Self::info();
        let mut row = self.values();
        let given = assign(info, &mut row, values)?;
        let only = partial_validation.then_some(given.as_slice());
        info.validate(&row, only)
            .map_err(|errors| validation_error(info, errors))?;
        // Convert every value on a copy before setting any, so a bad one changes nothing.
        let mut staged = Self::from_values(self.values())?;
        for &i in &given {
            staged.set_value(i, row[i].clone())?;
        }
        for &i in &given {
            self.set_value(i, row[i].clone())?;
        }
        Ok(self)
    }
}

impl<M: Model> BaseModel for M {}

/// Writes the named `values` into `row`, returning the column indexes set.
pub(crate) fn assign(info: &ModelInfo, row: &mut [Value], values: &Params) -> Result<Vec<usize>> {
    let mut given = Vec::with_capacity(values.0.len());
    for (name, value) in &values.0 {
        let i = column_of(info, name)?;
        row[i] = value.clone();
        given.push(i);
    }
    Ok(given)
}

/// A row of the values columns get when named values leave them out.
fn unset_row(info: &ModelInfo) -> Vec<Value> {
    (0..info.columns().len())
        .map(|i| unset_value(info, i))
        .collect()
}

/// The value a column gets when the named values leave it out: the client default, 0 for
/// a plain integer autoincrement key ("not set"), else NULL (validation then says which
/// NOT NULL columns are required).
fn unset_value(info: &ModelInfo, i: usize) -> Value {
    let column = &info.columns()[i];
    if let Some(default) = &column.default {
        return default.clone();
    }
    let optional = info.optional.get(i).copied().unwrap_or(false);
    if info.autoincrement == Some(i) && !optional {
        return Value::Int(0);
    }
    Value::Null
}

/// The column index of a field or column name, or an error naming the model's fields.
pub(crate) fn column_of(info: &ModelInfo, name: &str) -> Result<usize> {
    info.column_index(name)
        .ok_or_else(|| Error::InvalidRequest {
            message: format!(
                "model {} has no field '{name}' (fields: {})",
                info.name,
                info.fields.join(", ")
            ),
        })
}

fn validation_error(info: &ModelInfo, errors: ValidationErrors) -> Error {
    Error::Validation {
        model: info.name.to_owned(),
        errors,
    }
}
