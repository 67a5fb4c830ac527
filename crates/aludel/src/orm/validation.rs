//! Column validation (sqlalchemy-unchained's `BaseValidator`, `Required`,
//! `ValidationError`, `ValidationErrors`): what a model declares about its columns' values,
//! checked before an object is built or changed by the managers layer, and again by every
//! flush, so an invalid object never reaches the database.
//!
//! A model validates, per column: a NOT NULL column must have a value (SQLite would take
//! NULL in a column another backend refuses, and an `Option` field may map to a NOT NULL
//! column); a `VARCHAR(n)` value must fit `n` characters (SQLite does not enforce the
//! length); and each validator declared with `#[column(validators = [...])]` must accept
//! the value. Every failure is collected, so one report names all the bad columns.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::sql::{SqlType, Value};

/// A column validator: it accepts a value or refuses it with a message.
///
/// ```
/// use aludel::orm::{ValidationError, Validator};
/// use aludel::sql::Value;
///
/// struct NameRequired;
///
/// impl Validator for NameRequired {
///     fn msg(&self) -> String {
///         "Name is required.".into()
///     }
///     fn check(&self, value: &Value) -> Result<(), ValidationError> {
///         match value {
///             Value::Text(s) if !s.is_empty() => Ok(()),
///             _ => Err(ValidationError::new()),
///         }
///     }
/// }
///
/// let error = NameRequired.check(&Value::Text(String::new())).unwrap_err();
/// assert_eq!(NameRequired.get_message(&error, "name"), "Name is required.");
/// ```
pub trait Validator: Send + Sync + 'static {
    /// The validator's message (unchained's `msg`).
    fn msg(&self) -> String;

    /// Accepts `value`, or refuses it with a [`ValidationError`] (whose own message, if
    /// any, replaces [`msg`](Self::msg)).
    fn check(&self, value: &Value) -> Result<(), ValidationError>;

    /// The message reported for `error` on `column` (a field name). By default: the
    /// error's own message, else [`msg`](Self::msg).
    fn get_message(&self, error: &ValidationError, column: &str) -> String {
        let _ = column;
        error.msg.clone().unwrap_or_else(|| self.msg())
    }

    /// The validator's name, recorded in [`ValidationError::validator`] when it refuses a
    /// value. By default the type's path (`my_app::NameRequired`).
    ///
    /// ```
    /// use aludel::orm::{Required, Validator};
    /// assert_eq!(Required::new().name(), "aludel::orm::validation::Required");
    /// ```
    fn name(&self) -> &'static str {
        std::any::type_name::<Self>()
    }
}

impl fmt::Debug for dyn Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Validator({:?})", self.msg())
    }
}

/// One column's validation failure (unchained's `ValidationError`). A validator returns it
/// from [`Validator::check`] with at most its own message; the model's validation then
/// records it in [`ValidationErrors::failures`] with the message resolved
/// ([`Validator::get_message`]) and the model, column and validator filled in.
///
/// ```
/// use aludel::orm::{Model, Validator, ValidationError};
/// use aludel::sql::Value;
///
/// struct Positive;
/// impl Validator for Positive {
///     fn msg(&self) -> String { "must be positive".into() }
///     fn check(&self, v: &Value) -> Result<(), ValidationError> {
///         if matches!(v, Value::Int(n) if *n > 0) { Ok(()) } else { Err(ValidationError::new()) }
///     }
/// }
///
/// #[derive(aludel::Model)]
/// #[model(table = "stock")]
/// struct Stock {
///     #[column(primary_key)]
///     id: i64,
///     #[column(validators = [Positive])]
///     count: i32,
/// }
///
/// let errors = Stock::info().validate(&[Value::Int(1), Value::Int(0)], None).unwrap_err();
/// let failure = &errors.failures[0];
/// assert_eq!(failure.msg.as_deref(), Some("must be positive"));
/// assert_eq!((failure.model.as_deref(), failure.column.as_deref()), (Some("Stock"), Some("count")));
/// assert!(failure.validator.unwrap().ends_with("Positive"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationError {
    /// A message that replaces the validator's own, if set; in a recorded failure, the
    /// message reported.
    pub msg: Option<String>,
    /// The model's name (set when the failure is recorded).
    pub model: Option<String>,
    /// The field that failed (set when the failure is recorded).
    pub column: Option<String>,
    /// The [`name`](Validator::name) of the validator that refused the value; `None` for
    /// the column type's own check (a `VARCHAR(n)` length).
    pub validator: Option<&'static str>,
}

impl ValidationError {
    /// A failure that reports the validator's message.
    ///
    /// ```
    /// assert_eq!(aludel::orm::ValidationError::new().msg, None);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A failure with its own message.
    ///
    /// ```
    /// assert!(aludel::orm::ValidationError::with_msg("no").msg.is_some());
    /// ```
    pub fn with_msg(msg: impl Into<String>) -> Self {
        ValidationError {
            msg: Some(msg.into()),
            ..Self::default()
        }
    }
}

/// A model's validation failures: field name → messages, in field-name order (unchained's
/// `ValidationErrors.errors`), and each failure with its validator. Carried by
/// [`Error::Validation`](crate::Error::Validation).
///
/// ```
/// let mut errors = aludel::orm::ValidationErrors::default();
/// errors.add("title", "Title is required.");
/// assert_eq!(errors.errors["title"], ["Title is required."]);
/// assert_eq!(errors.failures[0].column.as_deref(), Some("title"));
/// assert_eq!(errors.to_string(), "title: Title is required.");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors {
    /// Messages per field name.
    pub errors: BTreeMap<String, Vec<String>>,
    /// Every failure in the order found, with its column, validator and message
    /// (unchained's `ValidationError.validator` and `.column`).
    pub failures: Vec<ValidationError>,
}

impl ValidationErrors {
    /// Records a message for `field` (a failure of no particular validator).
    ///
    /// ```
    /// let mut e = aludel::orm::ValidationErrors::default();
    /// e.add("a", "bad");
    /// assert!(!e.is_empty());
    /// ```
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.record(field.into(), message.into(), None);
    }

    fn record(&mut self, field: String, message: String, validator: Option<&'static str>) {
        self.errors
            .entry(field.clone())
            .or_default()
            .push(message.clone());
        self.failures.push(ValidationError {
            msg: Some(message),
            model: None,
            column: Some(field),
            validator,
        });
    }

    /// Names the model in every failure.
    pub(crate) fn for_model(mut self, model: &str) -> Self {
        for failure in &mut self.failures {
            failure.model = Some(model.to_owned());
        }
        self
    }

    /// Whether nothing failed.
    ///
    /// ```
    /// assert!(aludel::orm::ValidationErrors::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (field, messages)) in self.errors.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{field}: {}", messages.join(" "))?;
        }
        Ok(())
    }
}

/// The validator that requires data: NULL and empty text are refused with "&lt;Field&gt; is
/// required." (unchained's `Required`), or with the message given.
///
/// ```
/// use aludel::orm::{Required, Validator};
/// use aludel::sql::Value;
/// let r = Required::new();
/// let e = r.check(&Value::Null).unwrap_err();
/// assert_eq!(r.get_message(&e, "first_name"), "First name is required.");
/// assert!(r.check(&Value::Text("x".into())).is_ok());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Required {
    msg: Option<String>,
}

impl Required {
    /// `Required` with the default message.
    ///
    /// ```
    /// let _ = aludel::orm::Required::new();
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// `Required` with its own message.
    ///
    /// ```
    /// use aludel::orm::Validator;
    /// assert_eq!(aludel::orm::Required::with_msg("Say something.").msg(), "Say something.");
    /// ```
    pub fn with_msg(msg: impl Into<String>) -> Self {
        Required {
            msg: Some(msg.into()),
        }
    }
}

impl Validator for Required {
    fn msg(&self) -> String {
        self.msg
            .clone()
            .unwrap_or_else(|| "{column} is required.".into())
    }

    fn check(&self, value: &Value) -> Result<(), ValidationError> {
        match value {
            Value::Null => Err(ValidationError::new()),
            Value::Text(s) if s.is_empty() => Err(ValidationError::new()),
            _ => Ok(()),
        }
    }

    fn get_message(&self, error: &ValidationError, column: &str) -> String {
        let msg = error.msg.clone().unwrap_or_else(|| self.msg());
        msg.replace("{column}", &label(column))
    }
}

/// `first_name` → `First name`: a field name as messages show it.
pub(crate) fn label(field: &str) -> String {
    let spaced = field.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A validator attached to a column: the column's index and the validator.
pub type ColumnValidator = (usize, Arc<dyn Validator>);

/// Checks one column's value the way a model's validation does: the declared
/// `validators`, then required when NOT NULL (unless the database fills it or a declared
/// validator already refused the value), then the `VARCHAR(n)` length.
pub(crate) fn check_column<'a>(
    errors: &mut ValidationErrors,
    field: &str,
    column: &crate::sql::Column,
    filled_by_database: bool,
    value: &Value,
    validators: impl Iterator<Item = &'a Arc<dyn Validator>>,
) {
    let before = errors.errors.get(field).map_or(0, Vec::len);
    for v in validators {
        if let Err(e) = v.check(value) {
            errors.record(field.to_owned(), v.get_message(&e, field), Some(v.name()));
        }
    }
    let declared_failed = errors.errors.get(field).map_or(0, Vec::len) > before;
    if value == &Value::Null && !column.nullable && !filled_by_database && !declared_failed {
        let required = Required::new();
        let message = required.get_message(&ValidationError::new(), field);
        errors.record(field.to_owned(), message, Some(required.name()));
    }
    if let (SqlType::String { length: Some(n) }, Value::Text(s)) = (&column.ty, value) {
        let chars = s.chars().count();
        if chars > *n as usize {
            errors.add(
                field,
                format!(
                    "{} must be at most {n} characters (it has {chars}).",
                    label(field)
                ),
            );
        }
    }
}
