//! [`Select::reduce_columns`]: leaving out selected columns that must hold the same value as
//! another selected column of the same name (SQLAlchemy's `reduce_columns`), e.g. the
//! primary key of a joined subtype table that references its base table's key. Used before
//! turning a select into a subquery, so the subquery exports each value once.

use crate::sql::elements::{BinaryOp, ColumnRef, Expr};
use crate::sql::schema::Constraint;
use crate::sql::selectable::{FromItem, Select};

/// The table and name of `expr` when it is a column of a table.
fn table_column(expr: &Expr) -> Option<(&str, &str)> {
    match expr {
        Expr::Column(ColumnRef {
            name,
            source: Some(FromItem::Table(t)),
        }) => Some((t.name(), name)),
        _ => None,
    }
}

/// Whether `column` of `expr`'s table references `(table, name)` with a foreign key.
fn references(expr: &Expr, table: &str, name: &str) -> bool {
    let Expr::Column(ColumnRef {
        name: column,
        source: Some(FromItem::Table(t)),
    }) = expr
    else {
        return false;
    };
    let def = t.def();
    let by_column = def.columns.iter().any(|c| {
        c.name == **column
            && c.foreign_key
                .as_ref()
                .is_some_and(|fk| fk.table == table && fk.column == name)
    });
    let by_constraint = def.constraints.iter().any(|c| match c {
        Constraint::ForeignKey {
            columns,
            ref_table,
            ref_columns,
            ..
        } => {
            ref_table == table
                && columns
                    .iter()
                    .zip(ref_columns)
                    .any(|(c, r)| c == &**column && r == name)
        }
        _ => false,
    });
    by_column || by_constraint
}

/// Every `a = b` between two columns in `expr` (AND-ed criteria, ON clauses).
fn equalities<'a>(expr: &'a Expr, out: &mut Vec<(&'a Expr, &'a Expr)>) {
    match expr {
        Expr::Binary {
            op: BinaryOp::Eq,
            left,
            right,
        } if matches!(**left, Expr::Column(_)) && matches!(**right, Expr::Column(_)) => {
            out.push((left, right));
        }
        Expr::BoolList { items, .. } => items.iter().for_each(|e| equalities(e, out)),
        _ => {}
    }
}

impl Select {
    /// The select without the columns that repeat another selected column's value under
    /// the same name (SQLAlchemy's `reduce_columns`): a column whose foreign key references
    /// another selected column of its name, and the right side of a `a = b` criterion or
    /// ON clause between two selected columns of one name.
    ///
    /// ```
    /// use aludel::sql::{select, Column, Executable, ForeignKey, SqlType, Table};
    /// let users = Table::build("users").column(Column::new("id", SqlType::Integer).primary_key()).finish();
    /// let details = Table::build("details")
    ///     .column(Column::new("id", SqlType::Integer).primary_key().references(ForeignKey::to("users", "id")))
    ///     .column(Column::new("bio", SqlType::Text))
    ///     .finish();
    /// let q = select([users.c("id"), details.c("id"), details.c("bio")])
    ///     .from(&users)
    ///     .join(&details, users.c("id").eq(details.c("id")))
    ///     .reduce_columns();
    /// assert_eq!(
    ///     q.compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT users.id, details.bio FROM users JOIN details ON users.id = details.id"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn reduce_columns(mut self) -> Self {
        let columns = &self.columns;
        let mut omit = vec![false; columns.len()];
        for (i, col) in columns.iter().enumerate() {
            let Some((_, name)) = table_column(col) else {
                continue;
            };
            omit[i] = columns.iter().enumerate().any(|(j, other)| {
                j != i
                    && table_column(other).is_some_and(|(t, n)| n == name && references(col, t, n))
            });
        }
        let mut pairs = Vec::new();
        for e in self
            .where_
            .iter()
            .chain(self.joins.iter().map(|(_, _, on)| on))
        {
            equalities(e, &mut pairs);
        }
        for (left, right) in pairs {
            let kept = |e: &Expr| {
                columns
                    .iter()
                    .zip(&omit)
                    .any(|(c, omitted)| !omitted && c == e)
            };
            let same_name =
                matches!((left, right), (Expr::Column(l), Expr::Column(r)) if l.name == r.name);
            if same_name && kept(left) && kept(right) {
                if let Some(i) = columns.iter().rposition(|c| c == right) {
                    omit[i] = true;
                }
            }
        }
        let mut keep = omit.iter().map(|o| !o);
        self.columns.retain(|_| keep.next().unwrap_or(true));
        self
    }
}
