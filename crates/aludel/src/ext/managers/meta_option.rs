//! [`ColumnMetaOption`]: an application's own Meta option that contributes a column to
//! every model that names it (sqlalchemy-unchained's `ColumnMetaOption`), through the
//! managers' `model` attribute: `#[aludel::ext::managers::model(columns(name = NameColumn))]`.

use std::marker::PhantomData;

use crate::orm::{ValidationError, Validator};
use crate::sql::{Column, TableBuilder, Value};

/// A Meta option that adds a column. The `model` attribute adds a field of type
/// [`Value`](Self::Value) under the name the model gives it, declared by
/// [`column`](Self::column) (`get_column`), and every value the field takes is checked by
/// [`check_value`](Self::check_value) with the model's validation.
///
/// ```
/// use aludel::ext::managers::ColumnMetaOption;
/// use aludel::orm::Model;
/// use aludel::sql::{Column, SqlType, Value};
///
/// /// The seed's NameColumnMetaOption: a NOT NULL string column.
/// struct NameColumn;
///
/// impl ColumnMetaOption for NameColumn {
///     type Value = String;
///     fn column(name: &str) -> Column {
///         Column::new(name, SqlType::String { length: Some(50) }).nullable(false)
///     }
///     fn check_value(value: &Value) -> Result<(), String> {
///         match value {
///             Value::Text(s) if s.trim().is_empty() => Err("Name must not be blank.".into()),
///             _ => Ok(()),
///         }
///     }
/// }
///
/// #[aludel::ext::managers::model(columns(name = NameColumn), created_at = false, updated_at = false)]
/// #[derive(aludel::Model)]
/// struct Tag {
///     weight: i32,
/// }
///
/// assert_eq!(Tag::info().fields, ["id", "weight", "name"]);
/// assert_eq!(Tag::info().columns()[2].ty, SqlType::String { length: Some(50) });
/// let blank = Tag { id: None, weight: 1, name: " ".into() };
/// let errors = Tag::info().validate(&blank.values(), None).unwrap_err();
/// assert_eq!(errors.errors["name"], ["Name must not be blank."]);
/// ```
pub trait ColumnMetaOption: Send + Sync + 'static {
    /// The Rust type of the field the option adds.
    type Value;

    /// The column, named `name` (unchained's `get_column`).
    fn column(name: &str) -> Column;

    /// Checks a value the field takes: a message when it is refused (unchained's
    /// `check_value`). By default every value is accepted.
    fn check_value(value: &Value) -> Result<(), String> {
        let _ = value;
        Ok(())
    }

    /// Runs as the model's table is built, after every column is declared, with the name
    /// of the column this option added (unchained's `contribute_to_class`): it may add
    /// what the column needs beyond itself — an index, a unique or check constraint. By
    /// default it adds nothing.
    ///
    /// ```
    /// use aludel::ext::managers::ColumnMetaOption;
    /// use aludel::orm::Model;
    /// use aludel::sql::{Column, SqlType, TableBuilder};
    ///
    /// /// A slug column, unique through an index named after the table.
    /// struct Slug;
    ///
    /// impl ColumnMetaOption for Slug {
    ///     type Value = String;
    ///     fn column(name: &str) -> Column {
    ///         Column::new(name, SqlType::String { length: Some(40) }).nullable(false)
    ///     }
    ///     fn contribute_to_class(table: TableBuilder, column: &str) -> TableBuilder {
    ///         let index = format!("ix_{}_{column}", table.name());
    ///         table.index(&index, &[column], true)
    ///     }
    /// }
    ///
    /// #[aludel::ext::managers::model(columns(slug = Slug), created_at = false, updated_at = false)]
    /// #[derive(aludel::Model)]
    /// struct Page {
    ///     title: String,
    /// }
    ///
    /// let index = &Page::info().table.def().indexes[0];
    /// assert_eq!((index.name.as_str(), index.unique), ("ix_page_slug", true));
    /// ```
    fn contribute_to_class(table: TableBuilder, column: &str) -> TableBuilder {
        let _ = column;
        table
    }
}

/// The validator the derive attaches to a column contributed by option `O`: it runs
/// [`ColumnMetaOption::check_value`].
///
/// ```
/// use aludel::ext::managers::{ColumnMetaOption, MetaOptionValidator};
/// use aludel::orm::Validator;
/// # use aludel::sql::{Column, SqlType, Value};
/// # struct Even;
/// # impl ColumnMetaOption for Even {
/// #     type Value = i64;
/// #     fn column(name: &str) -> Column { Column::new(name, SqlType::BigInteger) }
/// #     fn check_value(v: &Value) -> Result<(), String> { if *v == Value::Int(1) { Err("odd".into()) } else { Ok(()) } }
/// # }
/// let v = MetaOptionValidator::<Even>::new();
/// assert!(v.check(&Value::Int(2)).is_ok());
/// assert_eq!(v.check(&Value::Int(1)).unwrap_err().msg.as_deref(), Some("odd"));
/// ```
pub struct MetaOptionValidator<O: ColumnMetaOption>(PhantomData<fn() -> O>);

impl<O: ColumnMetaOption> MetaOptionValidator<O> {
    /// The validator for option `O`.
    ///
    /// ```
    /// # use aludel::ext::managers::{ColumnMetaOption, MetaOptionValidator};
    /// # struct N;
    /// # impl ColumnMetaOption for N { type Value = i64; fn column(n: &str) -> aludel::sql::Column { aludel::sql::Column::new(n, aludel::sql::SqlType::Integer) } }
    /// let _v = MetaOptionValidator::<N>::new();
    /// ```
    pub fn new() -> Self {
        MetaOptionValidator(PhantomData)
    }
}

impl<O: ColumnMetaOption> Default for MetaOptionValidator<O> {
    fn default() -> Self {
        Self::new()
    }
}

impl<O: ColumnMetaOption> Validator for MetaOptionValidator<O> {
    fn msg(&self) -> String {
        "Invalid value.".into()
    }

    fn check(&self, value: &Value) -> Result<(), ValidationError> {
        O::check_value(value).map_err(ValidationError::with_msg)
    }
}
