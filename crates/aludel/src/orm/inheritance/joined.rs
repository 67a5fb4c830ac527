//! Joined-table storage: a subtype's row is split over the base table (the base's
//! columns) and the subtype's own table (the primary key again, as a foreign key to the
//! base table's, and the subtype's own columns). Each table is described as a
//! [`TablePart`] — the table as a model of its own plus where its columns sit in the
//! subtype's — so the flush writes each part with the ordinary INSERT, UPDATE and DELETE
//! of `persistence`, through a [`PartInstance`] that shows the object's columns in the
//! part's order.

use std::any::{Any, TypeId};
use std::marker::PhantomData;
use std::sync::{Arc, MutexGuard};

use crate::engine::RowView;
use crate::error::{Error, Result};
use crate::orm::deferred::ColumnLayout;
use crate::orm::instance::{AnyInstance, StateData};
use crate::orm::mapper::ModelInfo;
use crate::orm::relationship::AnySlot;
use crate::sql::{Column, Expr, ForeignKey, FromItem, Join, JoinKind, Table, Value, and_};

/// One table of a joined-table subtype's row.
#[derive(Debug)]
pub(crate) struct TablePart {
    /// The table as a model of its own (built once per subtype, for `persistence`).
    pub(crate) info: &'static ModelInfo,
    /// Per column of the table, the index of the subtype's column it holds.
    pub(crate) columns: Vec<usize>,
}

/// Marks the type ids of a subtype `M`'s table parts (statement caches key by type id).
struct PartOf<M, const N: usize>(PhantomData<M>);

/// The most tables a joined-table subtype's row may span: the base's and one per level
/// of subtype below it (three levels of subtypes).
pub(crate) const MAX_TABLES: usize = 4;

/// The type ids of subtype `M`'s table parts, one per possible table.
pub(crate) fn part_types<M: 'static>() -> [TypeId; MAX_TABLES] {
    [
        TypeId::of::<PartOf<M, 0>>(),
        TypeId::of::<PartOf<M, 1>>(),
        TypeId::of::<PartOf<M, 2>>(),
        TypeId::of::<PartOf<M, 3>>(),
    ]
}

/// The parts of joined-table subtype `whole` of `parent`: the tables of `parent`'s row
/// (the base table, then the own table of each subtype from the base down to `parent`),
/// then `whole`'s own table (named by `whole.table`), whose primary key references
/// `parent`'s table. Every column of the parent must be a column of the subtype (by
/// name).
pub(crate) fn build_parts(
    whole: &ModelInfo,
    parent: &'static ModelInfo,
    types: [TypeId; MAX_TABLES],
) -> Result<Vec<TablePart>> {
    let position = |name: &str| {
        whole.columns().iter().position(|c| c.name == name).ok_or_else(|| {
            Error::config(format!(
                "{} inherits {} (joined table) but has no field for its column '{}' (columns: {})",
                whole.name,
                parent.name,
                name,
                whole.fields.join(", ")
            ))
        })
    };
    // The parent's tables, each with its columns as the parent numbers them.
    let inherited: Vec<(&Table, Vec<usize>)> = match parent.joined_parts()? {
        Some(parts) => parts
            .iter()
            .map(|p| (&p.info.table, p.columns.clone()))
            .collect(),
        None => vec![(&parent.table, (0..parent.columns().len()).collect())],
    };
    if inherited.len() >= MAX_TABLES {
        return Err(Error::config(format!(
            "{} inherits {}, whose rows already span {} tables: joined-table hierarchies \
             deeper than {} tables are not supported",
            whole.name,
            parent.name,
            inherited.len(),
            MAX_TABLES
        )));
    }
    let mut tables = Vec::with_capacity(inherited.len() + 1);
    for (table, columns) in inherited {
        let mapped = columns
            .iter()
            .map(|&i| position(&parent.columns()[i].name))
            .collect::<Result<Vec<usize>>>()?;
        tables.push((table.clone(), mapped));
    }
    // The own table: the primary key again, referencing the parent's table, then the
    // subtype's own columns.
    let mut own = Table::build(whole.table.name());
    let mut own_columns = Vec::new();
    for &p in &parent.primary_key {
        let def = &parent.columns()[p];
        let column: Column = def
            .clone()
            .autoincrement(false)
            .references(ForeignKey::to(parent.table.name(), &def.name));
        own = own.column(Column {
            default: None,
            server_default: None,
            ..column
        });
        own_columns.push(position(&def.name)?);
    }
    for (i, c) in whole.columns().iter().enumerate() {
        if !tables.iter().any(|(_, columns)| columns.contains(&i)) {
            own = own.column(c.clone());
            own_columns.push(i);
        }
    }
    tables.push((own.finish(), own_columns));
    Ok(tables
        .into_iter()
        .zip(types)
        .map(|((table, columns), type_id)| {
            let fields = columns.iter().map(|&i| whole.fields[i]).collect();
            let mut info = ModelInfo::new::<()>(whole.name, table, fields)
                .optional_fields(columns.iter().map(|&i| whole.optional[i]).collect())
                .validation(false);
            info.type_id = type_id;
            TablePart {
                info: Box::leak(Box::new(info)),
                columns,
            }
        })
        .collect())
}

/// How table `k` (at least 1) of a subtype's row joins the table before it:
/// `previous.pk = table.pk` for each primary key column (SQLAlchemy's inherit condition,
/// `employee.id = engineer.id`, then `engineer.id = senior_engineer.id`).
pub(crate) fn join_condition(parts: &[TablePart], k: usize) -> Expr {
    on_keys(
        parts,
        k,
        &FromItem::Table(parts[k - 1].info.table.clone()),
        &FromItem::Table(parts[k].info.table.clone()),
    )
}

/// The key equality joining table `k` to table `k - 1`, read from `previous` and `this`
/// (the two tables or their aliases).
fn on_keys(parts: &[TablePart], k: usize, previous: &FromItem, this: &FromItem) -> Expr {
    let (before, table) = (parts[k - 1].info, parts[k].info);
    and_(
        table
            .primary_key
            .iter()
            .zip(&before.primary_key)
            .map(|(&t, &p)| {
                previous
                    .c(&before.columns()[p].name)
                    .eq(this.c(&table.columns()[t].name))
            }),
    )
}

/// `left` joined to every table of a subtype's row after the first, in order (the first
/// table is part of `left`): `(employee JOIN engineer ON ...) JOIN senior ON ...`.
pub(crate) fn join_own_tables(left: FromItem, parts: &[TablePart], kind: JoinKind) -> FromItem {
    (1..parts.len()).fold(left, |left, k| {
        FromItem::Join(Arc::new(Join {
            left,
            right: FromItem::Table(parts[k].info.table.clone()),
            on: join_condition(parts, k),
            kind,
        }))
    })
}

/// An object seen as one table part: column `j` is the object's column
/// `part.columns[j]`. State, relationships and identity are the object's own.
pub(crate) struct PartInstance {
    whole: Arc<dyn AnyInstance>,
    part: &'static TablePart,
}

impl PartInstance {
    /// `whole` seen as `part`.
    pub(crate) fn wrap(
        whole: &Arc<dyn AnyInstance>,
        part: &'static TablePart,
    ) -> Arc<dyn AnyInstance> {
        Arc::new(PartInstance {
            whole: whole.clone(),
            part,
        })
    }
}

impl AnyInstance for PartInstance {
    fn info(&self) -> &'static ModelInfo {
        self.part.info
    }

    fn state(&self) -> MutexGuard<'_, StateData> {
        self.whole.state()
    }

    fn values(&self) -> Result<Vec<Value>> {
        let all = self.whole.values()?;
        Ok(self.part.columns.iter().map(|&i| all[i].clone()).collect())
    }

    fn set_values(&self, values: &[(usize, Value)]) -> Result<()> {
        let mapped: Vec<(usize, Value)> = values
            .iter()
            .map(|(j, v)| (self.part.columns[*j], v.clone()))
            .collect();
        self.whole.set_values(&mapped)
    }

    fn replace_value(&self, column: usize, value: Value) -> Result<Value> {
        self.whole.replace_value(self.part.columns[column], value)
    }

    fn values_of(&self, columns: &[usize]) -> Result<Vec<Value>> {
        let mapped: Vec<usize> = columns.iter().map(|&j| self.part.columns[j]).collect();
        self.whole.values_of(&mapped)
    }

    fn load_row(
        &self,
        _row: &dyn RowView,
        _offset: usize,
        _layout: Option<&ColumnLayout>,
    ) -> Result<()> {
        Err(Error::invalid(format!(
            "a {} row is loaded whole, not one table at a time",
            self.part.info.name
        )))
    }

    fn with_object(&self, f: &mut dyn FnMut(&dyn Any) -> Result<()>) -> Result<bool> {
        self.whole.with_object(f)
    }

    fn with_slot(&self, index: usize, f: &mut dyn FnMut(&dyn AnySlot) -> Result<()>) -> Result<()> {
        self.whole.with_slot(index, f)
    }

    fn expire_relationships(&self) {
        self.whole.expire_relationships();
    }

    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self.whole.clone().as_any()
    }
}

/// A joined-table subtype's tables, each under its own alias, joined to each other
/// (SQLAlchemy's flat aliasing: `employee AS e_employee JOIN engineer AS e_engineer ON
/// e_employee.id = e_engineer.id`).
#[derive(Debug, Clone)]
pub(crate) struct FlatAlias {
    /// The aliases joined: what goes in FROM or a JOIN.
    pub(crate) join: FromItem,
    /// Per table of the row, its alias and the subtype's columns it holds.
    tables: Vec<(FromItem, Vec<usize>)>,
}

impl FlatAlias {
    /// `parts` (a subtype's tables) with each table aliased `name(table)`.
    pub(crate) fn new(parts: &[TablePart], name: impl Fn(&Table) -> String) -> Self {
        let tables: Vec<(FromItem, Vec<usize>)> = parts
            .iter()
            .map(|p| (p.info.table.alias(&name(&p.info.table)), p.columns.clone()))
            .collect();
        let join = (1..parts.len()).fold(tables[0].0.clone(), |left, k| {
            let on = on_keys(parts, k, &tables[k - 1].0, &tables[k].0);
            left.join(tables[k].0.clone(), on)
        });
        FlatAlias { join, tables }
    }

    /// Column `index` of subtype `model`, read from the alias of the table holding it.
    pub(crate) fn column(&self, model: &ModelInfo, index: usize) -> Expr {
        let source = self
            .tables
            .iter()
            .find(|(_, columns)| columns.contains(&index))
            .map_or(&self.tables[0].0, |(alias, _)| alias);
        source.c(&model.columns()[index].name)
    }
}
