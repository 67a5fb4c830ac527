//! The order `create_all` and `drop_all` take a [`MetaData`]'s tables in: each table
//! after the tables it references. Foreign keys that cannot be ordered — marked
//! [`use_alter`](crate::sql::ForeignKey::use_alter), or closing a cycle between tables —
//! are set apart, to be added by `ALTER TABLE` once every table exists (and dropped
//! before any table is), as SQLAlchemy does.

use crate::error::{Error, Result};
use crate::sql::schema::{Constraint, MetaData, ReferentialAction, Table};

/// One foreign key of a table, declared on a column or as a table constraint.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ForeignKeyRef<'a> {
    /// The constraint's own name (table constraints may have one).
    pub(crate) name: Option<&'a str>,
    pub(crate) columns: Vec<&'a str>,
    pub(crate) ref_table: &'a str,
    pub(crate) ref_columns: Vec<&'a str>,
    pub(crate) on_delete: Option<ReferentialAction>,
    pub(crate) on_update: Option<ReferentialAction>,
    pub(crate) use_alter: bool,
}

/// Every foreign key of `table`: the column-level ones, then the table constraints.
pub(crate) fn foreign_keys(table: &Table) -> Vec<ForeignKeyRef<'_>> {
    let def = table.def();
    let columns = def.columns.iter().filter_map(|c| {
        c.foreign_key.as_ref().map(|fk| ForeignKeyRef {
            name: None,
            columns: vec![c.name.as_str()],
            ref_table: &fk.table,
            ref_columns: vec![fk.column.as_str()],
            on_delete: fk.on_delete,
            on_update: fk.on_update,
            use_alter: fk.use_alter,
        })
    });
    let constraints = def.constraints.iter().filter_map(|c| match c {
        Constraint::ForeignKey {
            name,
            columns,
            ref_table,
            ref_columns,
            on_delete,
            on_update,
        } => Some(ForeignKeyRef {
            name: name.as_deref(),
            columns: columns.iter().map(String::as_str).collect(),
            ref_table,
            ref_columns: ref_columns.iter().map(String::as_str).collect(),
            on_delete: *on_delete,
            on_update: *on_update,
            use_alter: false,
        }),
        _ => None,
    });
    columns.chain(constraints).collect()
}

/// The tables in creation order, each with the local columns of its foreign keys that
/// are added by `ALTER TABLE` after every table exists.
pub(crate) type DdlOrder = Vec<(Table, Vec<Vec<String>>)>;

impl MetaData {
    /// The tables in creation order (referenced tables first) with their keys to add by
    /// ALTER. With `break_cycles`, each key that closes a cycle of references is set
    /// apart as well; without it a cycle is an error naming its tables.
    pub(crate) fn ddl_order(&self, break_cycles: bool) -> Result<DdlOrder> {
        let tables = self.tables();
        let n = tables.len();
        let mut altered: Vec<Vec<Vec<String>>> = vec![Vec::new(); n];
        // Per table, the keys that order it after another table: (columns, that table).
        let mut edges: Vec<Vec<(Vec<String>, usize)>> = vec![Vec::new(); n];
        for (i, table) in tables.iter().enumerate() {
            for fk in foreign_keys(table) {
                let columns: Vec<String> = fk.columns.iter().map(|c| (*c).to_owned()).collect();
                if fk.use_alter {
                    altered[i].push(columns);
                } else if let Some(j) = tables.iter().position(|t| t.name() == fk.ref_table)
                    && j != i
                {
                    edges[i].push((columns, j));
                }
            }
        }
        let mut done = vec![false; n];
        let mut order = Vec::with_capacity(n);
        while order.len() < n {
            let ready = (0..n).find(|&i| !done[i] && edges[i].iter().all(|(_, j)| done[*j]));
            if let Some(i) = ready {
                done[i] = true;
                order.push(i);
                continue;
            }
            let stuck: Vec<usize> = (0..n).filter(|&i| !done[i]).collect();
            if !break_cycles {
                let names: Vec<&str> = stuck.iter().map(|&i| tables[i].name()).collect();
                return Err(Error::compile(format!(
                    "foreign keys form a cycle between tables {}; mark one of them use_alter (created by ALTER TABLE after the tables)",
                    names.join(", ")
                )));
            }
            // A key i -> j closes a cycle when j reaches i again through the tables
            // still waiting; those keys wait for ALTER TABLE.
            // Every key of the cycle waits, as in SQLAlchemy, not just enough to break it.
            let closing: Vec<Vec<bool>> = stuck
                .iter()
                .map(|&i| {
                    edges[i]
                        .iter()
                        .map(|(_, j)| reaches(&edges, &done, *j, i))
                        .collect()
                })
                .collect();
            for (&i, closes) in stuck.iter().zip(closing) {
                let mut closes = closes.into_iter();
                let (cut, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut edges[i])
                    .into_iter()
                    .partition(|_| closes.next().unwrap_or(false));
                edges[i] = kept;
                altered[i].extend(cut.into_iter().map(|(columns, _)| columns));
            }
        }
        Ok(order
            .into_iter()
            .map(|i| (tables[i].clone(), std::mem::take(&mut altered[i])))
            .collect())
    }
}

/// Whether `to` can be reached from `from` along `edges` through tables not `done`.
fn reaches(edges: &[Vec<(Vec<String>, usize)>], done: &[bool], from: usize, to: usize) -> bool {
    let mut seen = vec![false; edges.len()];
    let mut stack = vec![from];
    while let Some(at) = stack.pop() {
        if at == to {
            return true;
        }
        if std::mem::replace(&mut seen[at], true) || done[at] {
            continue;
        }
        stack.extend(edges[at].iter().map(|(_, j)| *j));
    }
    false
}
