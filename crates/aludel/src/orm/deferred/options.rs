//! Column loading options (SQLAlchemy's `defer`, `undefer`, `undefer_group`, `load_only`,
//! and `raiseload=True` as [`ColumnOption::raiseload`]): which [`Deferred`] columns a query
//! loads with its rows. They apply to the query's own entity, or along a relationship path
//! to the path's end model ([`Load::options`](crate::orm::Load::options)); plain (non-`Deferred`) fields always load, since their type has no unloaded
//! state: `defer` and `undefer` only accept `Deferred` columns, and `load_only` leaves
//! the plain columns it does not name loaded.

use std::marker::PhantomData;

use crate::error::{Error, Result};
use crate::orm::column::Column;
use crate::orm::deferred::{ColumnLayout, Deferred};
use crate::orm::mapper::{Model, ModelInfo};

/// A column loading option for queries of model `M`, passed to
/// [`Query::options`](crate::orm::Query::options). Made by [`defer`], [`undefer`],
/// [`undefer_group`] or [`load_only`].
///
/// ```
/// use aludel::orm::{Deferred, Model, undefer};
/// # #[derive(aludel::Model)] #[model(table = "docs")] struct Doc { #[column(primary_key)] id: i64, body: Deferred<String> }
/// assert_eq!(undefer(Doc::body).describe(), "undefer(Doc.body)");
/// ```
pub struct ColumnOption<M> {
    /// What to do to which columns, in order (a later one wins), or why the option is
    /// wrong (an unknown group: reported when the query runs).
    choices: std::result::Result<Vec<(usize, ColumnLoad)>, Error>,
    describe: String,
    _model: PhantomData<fn() -> M>,
}

impl<M> Clone for ColumnOption<M> {
    fn clone(&self) -> Self {
        ColumnOption {
            choices: self.choices.clone(),
            describe: self.describe.clone(),
            _model: PhantomData,
        }
    }
}

impl<M> std::fmt::Debug for ColumnOption<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ColumnOption({})", self.describe)
    }
}

impl<M: Model> ColumnOption<M> {
    fn new(
        choices: std::result::Result<Vec<(usize, ColumnLoad)>, Error>,
        describe: String,
    ) -> Self {
        ColumnOption {
            choices,
            describe,
            _model: PhantomData,
        }
    }

    /// Adds a column to a [`load_only`] (any column: a plain one changes nothing, it
    /// always loads).
    ///
    /// ```
    /// use aludel::orm::{Deferred, Model, load_only};
    /// # #[derive(aludel::Model)] #[model(table = "docs")] struct Doc { #[column(primary_key)] id: i64, title: String, body: Deferred<String>, notes: Deferred<String> }
    /// let opt = load_only(Doc::title).and(Doc::body);
    /// assert_eq!(opt.describe(), "load_only(Doc.title, Doc.body)");
    /// ```
    pub fn and<T>(mut self, column: Column<M, T>) -> Self {
        if let Ok(choices) = &mut self.choices {
            choices.retain(|(c, _)| *c != column.index());
            choices.push((column.index(), ColumnLoad::Load));
        }
        if let Some(open) = self.describe.strip_suffix(')') {
            let comma = if open.ends_with('(') { "" } else { ", " };
            self.describe = format!("{open}{comma}{}.{})", M::info().name, column.name());
        }
        self
    }

    /// Makes the columns this option leaves out refuse to load on access (SQLAlchemy's
    /// `defer(col, raiseload=True)`, `load_only(..., raiseload=True)`): reading one is an
    /// [`Error::LazyLoadRefused`](crate::Error::LazyLoadRefused) naming it, never a SELECT.
    ///
    /// ```
    /// use aludel::orm::{Deferred, Model, defer};
    /// # #[derive(aludel::Model)] #[model(table = "docs")] struct Doc { #[column(primary_key)] id: i64, body: Deferred<String> }
    /// assert_eq!(defer(Doc::body).raiseload().describe(), "defer(Doc.body, raiseload)");
    /// ```
    pub fn raiseload(mut self) -> Self {
        if let Ok(choices) = &mut self.choices {
            for (_, how) in choices.iter_mut() {
                if *how == ColumnLoad::Defer {
                    *how = ColumnLoad::Raise;
                }
            }
        }
        if let Some(open) = self.describe.strip_suffix(')') {
            self.describe = format!("{open}, raiseload)");
        }
        self
    }

    /// The option as text: `undefer(Doc.body)`.
    ///
    /// ```
    /// use aludel::orm::{Deferred, Model, defer};
    /// # #[derive(aludel::Model)] #[model(table = "docs")] struct Doc { #[column(primary_key)] id: i64, body: Deferred<String> }
    /// assert_eq!(defer(Doc::body).describe(), "defer(Doc.body)");
    /// ```
    pub fn describe(&self) -> String {
        self.describe.clone()
    }

    /// The erased choices, or the option's error.
    pub(crate) fn choices(&self) -> Result<&[(usize, ColumnLoad)]> {
        self.choices.as_deref().map_err(Clone::clone)
    }
}

/// Leaves a deferred column out of the query's SELECT again (after an [`undefer`] or
/// [`load_only`] that named it): it loads on first access.
///
/// ```
/// use aludel::orm::{Deferred, Model, defer};
/// # #[derive(aludel::Model)] #[model(table = "docs")] struct Doc { #[column(primary_key)] id: i64, body: Deferred<String> }
/// assert_eq!(defer(Doc::body).describe(), "defer(Doc.body)");
/// ```
pub fn defer<M: Model, T>(column: Column<M, Deferred<T>>) -> ColumnOption<M> {
    let describe = format!("defer({}.{})", M::info().name, column.name());
    ColumnOption::new(Ok(vec![(column.index(), ColumnLoad::Defer)]), describe)
}

/// Loads a deferred column with the query's rows (no statement on access).
///
/// ```
/// use aludel::orm::{Deferred, Model, undefer};
/// # #[derive(aludel::Model)] #[model(table = "docs")] struct Doc { #[column(primary_key)] id: i64, body: Deferred<String> }
/// assert_eq!(undefer(Doc::body).describe(), "undefer(Doc.body)");
/// ```
pub fn undefer<M: Model, T>(column: Column<M, Deferred<T>>) -> ColumnOption<M> {
    let describe = format!("undefer({}.{})", M::info().name, column.name());
    ColumnOption::new(Ok(vec![(column.index(), ColumnLoad::Load)]), describe)
}

/// Loads every deferred column of `group` (`#[column(group = "...")]`) with the query's
/// rows. A group the model does not declare is an error when the query runs.
///
/// ```
/// use aludel::orm::{Deferred, Model, undefer_group};
/// # #[derive(aludel::Model)] #[model(table = "docs")] struct Doc { #[column(primary_key)] id: i64, #[column(group = "text")] body: Deferred<String> }
/// assert_eq!(undefer_group::<Doc>("text").describe(), "undefer_group(Doc, \"text\")");
/// ```
pub fn undefer_group<M: Model>(group: &str) -> ColumnOption<M> {
    let info = M::info();
    let describe = format!("undefer_group({}, {group:?})", info.name);
    let columns: Vec<(usize, ColumnLoad)> = info
        .deferred
        .iter()
        .filter(|d| d.group == Some(group))
        .map(|d| (d.column, ColumnLoad::Load))
        .collect();
    if columns.is_empty() {
        let mut known: Vec<&str> = info.deferred.iter().filter_map(|d| d.group).collect();
        known.dedup();
        let error = Error::invalid(format!(
            "undefer_group: model {} has no deferred group '{group}' (groups: {})",
            info.name,
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ));
        return ColumnOption::new(Err(error), describe);
    }
    ColumnOption::new(Ok(columns), describe)
}

/// Loads only the named deferred columns with the query's rows (add more with
/// [`ColumnOption::and`]): every other deferred column stays deferred. Plain columns
/// always load, named or not.
///
/// ```
/// use aludel::orm::{Deferred, Model, load_only};
/// # #[derive(aludel::Model)] #[model(table = "docs")] struct Doc { #[column(primary_key)] id: i64, body: Deferred<String> }
/// assert_eq!(load_only(Doc::body).describe(), "load_only(Doc.body)");
/// ```
pub fn load_only<M: Model, T>(column: Column<M, T>) -> ColumnOption<M> {
    let choices = M::info()
        .deferred
        .iter()
        .map(|d| (d.column, ColumnLoad::Defer))
        .collect();
    ColumnOption::new(Ok(choices), "load_only()".to_owned()).and(column)
}

/// What an option does to one deferred column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnLoad {
    /// Loaded with the query's rows.
    Load,
    /// Left out; loads on first access.
    Defer,
    /// Left out; reading it is an error.
    Raise,
}

/// The erased column options of a query: per column, how it loads (a later choice
/// wins).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ColumnChoices {
    choices: Vec<(usize, ColumnLoad)>,
}

impl ColumnChoices {
    /// No choice: every deferred column stays deferred.
    pub(crate) const fn new() -> Self {
        ColumnChoices {
            choices: Vec::new(),
        }
    }

    /// Adds an option's choices.
    pub(crate) fn add(&mut self, choices: &[(usize, ColumnLoad)]) {
        self.choices.extend_from_slice(choices);
    }

    /// The layout of `info`'s rows under these choices: plain columns always, deferred
    /// ones as the last choice naming them says (left out by default).
    fn layout(&self, info: &ModelInfo) -> ColumnLayout {
        let mut present = vec![true; info.columns().len()];
        let mut raising = Vec::new();
        for d in &info.deferred {
            let last = self.choices.iter().rev().find(|(c, _)| *c == d.column);
            let how = last.map_or(ColumnLoad::Defer, |(_, how)| *how);
            present[d.column] = how == ColumnLoad::Load;
            if how == ColumnLoad::Raise {
                raising.push(d.column);
            }
        }
        ColumnLayout::new(&present).with_raising(raising)
    }

    /// The layout of `info`'s rows when these choices leave a column out; `None` when the
    /// rows hold every column (no deferred column, a polymorphic model, or every one
    /// undeferred).
    pub(crate) fn narrowed(&self, info: &ModelInfo) -> Option<ColumnLayout> {
        info.default_layout()?;
        Some(self.layout(info)).filter(|l| !l.is_full())
    }
}
