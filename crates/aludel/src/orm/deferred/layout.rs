//! [`ColumnLayout`]: which of a model's columns a row holds, and where. Every column by
//! default; a model with deferred columns is loaded without the ones its query does not
//! undefer, so the row is narrower and the columns after a missing one move left.

/// Where each of a model's columns sits in a row (relative to the model's first column),
/// or that the row leaves it out (a deferred column not loaded).
///
/// ```
/// use aludel::orm::ColumnLayout;
/// let layout = ColumnLayout::new(&[true, false, true]);
/// assert_eq!(layout.position(0), Some(0));
/// assert_eq!(layout.position(1), None);
/// assert_eq!(layout.position(2), Some(1));
/// assert_eq!(layout.width(), 2);
/// assert!(!layout.is_full());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnLayout {
    positions: Vec<Option<usize>>,
    width: usize,
    /// Left-out columns whose fields refuse to load (`defer(col).raiseload()`).
    raising: Vec<usize>,
}

impl ColumnLayout {
    /// The layout of a row holding the columns marked `true`, in model order.
    ///
    /// ```
    /// assert!(aludel::orm::ColumnLayout::new(&[true, true]).is_full());
    /// ```
    pub fn new(present: &[bool]) -> Self {
        let mut width = 0;
        let positions = present
            .iter()
            .map(|&p| {
                p.then(|| {
                    width += 1;
                    width - 1
                })
            })
            .collect();
        ColumnLayout {
            positions,
            width,
            raising: Vec::new(),
        }
    }

    /// Every one of `columns` columns, in model order.
    ///
    /// ```
    /// assert_eq!(aludel::orm::ColumnLayout::full(3).width(), 3);
    /// ```
    pub fn full(columns: usize) -> Self {
        ColumnLayout::new(&vec![true; columns])
    }

    /// Where column `index` sits, or `None` when the row leaves it out.
    ///
    /// ```
    /// assert_eq!(aludel::orm::ColumnLayout::full(2).position(1), Some(1));
    /// ```
    pub fn position(&self, index: usize) -> Option<usize> {
        self.positions.get(index).copied().flatten()
    }

    /// How many cells the model takes in the row.
    ///
    /// ```
    /// assert_eq!(aludel::orm::ColumnLayout::new(&[false, true]).width(), 1);
    /// ```
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the row holds every column.
    ///
    /// ```
    /// assert!(!aludel::orm::ColumnLayout::new(&[false, true]).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.width == self.positions.len()
    }

    /// Whether the row holds column `index`.
    pub(crate) fn has(&self, index: usize) -> bool {
        self.position(index).is_some()
    }

    /// This layout with `columns` (left out) refusing to load on access.
    pub(crate) fn with_raising(mut self, columns: Vec<usize>) -> Self {
        self.raising = columns;
        self
    }

    /// The left-out columns whose fields refuse to load on access.
    pub(crate) fn raising(&self) -> &[usize] {
        &self.raising
    }

    /// The row positions of `columns` (all present), each moved by `offset`.
    pub(crate) fn positions_of(&self, columns: &[usize], offset: usize) -> Vec<usize> {
        columns
            .iter()
            .map(|&c| self.position(c).unwrap_or(c) + offset)
            .collect()
    }
}
