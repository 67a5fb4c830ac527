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
use crate::sql::{Column, Expr, ForeignKey, FromItem, Table, Value, and_};

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

/// The type ids of subtype `M`'s two table parts.
pub(crate) fn part_types<M: 'static>() -> [TypeId; 2] {
    [TypeId::of::<PartOf<M, 0>>(), TypeId::of::<PartOf<M, 1>>()]
}

/// The parts of joined-table subtype `whole` of `parent`: the parent's table, then
/// `whole`'s own table (named by `whole.table`). Every column of the parent must be a
/// column of the subtype (by name); a parent that is itself a subtype is not supported.
pub(crate) fn build_parts(
    whole: &ModelInfo,
    parent: &'static ModelInfo,
    types: [TypeId; 2],
) -> Result<Vec<TablePart>> {
    if parent
        .inheritance
        .as_ref()
        .is_some_and(|i| i.parent.is_some())
    {
        return Err(Error::config(format!(
            "{} inherits {}, itself a subtype: joined-table hierarchies of more than two levels are not supported",
            whole.name, parent.name
        )));
    }
    let position = |name: &str| whole.columns().iter().position(|c| c.name == name);
    let base_columns = parent
        .columns()
        .iter()
        .map(|c| {
            position(&c.name).ok_or_else(|| {
                Error::config(format!(
                    "{} inherits {} (joined table) but has no field for its column '{}' (columns: {})",
                    whole.name,
                    parent.name,
                    c.name,
                    whole.fields.join(", ")
                ))
            })
        })
        .collect::<Result<Vec<usize>>>()?;
    // The own table: the primary key again, referencing the base table's, then the
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
        own_columns.push(base_columns[p]);
    }
    for (i, c) in whole.columns().iter().enumerate() {
        if !base_columns.contains(&i) {
            own = own.column(c.clone());
            own_columns.push(i);
        }
    }
    let part = |table: Table, columns: Vec<usize>, type_id: TypeId| {
        let fields = columns.iter().map(|&i| whole.fields[i]).collect();
        let mut info = ModelInfo::new::<()>(whole.name, table, fields)
            .optional_fields(columns.iter().map(|&i| whole.optional[i]).collect())
            .validation(false);
        info.type_id = type_id;
        TablePart {
            info: Box::leak(Box::new(info)),
            columns,
        }
    };
    Ok(vec![
        part(parent.table.clone(), base_columns, types[0]),
        part(own.finish(), own_columns, types[1]),
    ])
}

/// `base.pk = own.pk` for each primary key column: how the parts of a row join.
pub(crate) fn join_condition(parts: &[TablePart]) -> Expr {
    let (base, own) = (parts[0].info, parts[1].info);
    and_(
        own.primary_key
            .iter()
            .zip(&base.primary_key)
            .map(|(&o, &b)| base.column_expr(b).eq(own.column_expr(o))),
    )
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

/// A joined-table subtype's two tables, each under its own alias, joined to each other
/// (SQLAlchemy's flat aliasing: `employee AS e_employee JOIN engineer AS e_engineer ON
/// e_employee.id = e_engineer.id`).
#[derive(Debug, Clone)]
pub(crate) struct FlatAlias {
    /// The two aliases joined: what goes in FROM or a JOIN.
    pub(crate) join: FromItem,
    base: FromItem,
    own: FromItem,
    /// The subtype's columns held by the base table.
    base_columns: Vec<usize>,
}

impl FlatAlias {
    /// `parts` (a subtype's tables) with each table aliased `name(table)`.
    pub(crate) fn new(parts: &[TablePart], name: impl Fn(&Table) -> String) -> Self {
        let (base_info, own_info) = (parts[0].info, parts[1].info);
        let base = base_info.table.alias(&name(&base_info.table));
        let own = own_info.table.alias(&name(&own_info.table));
        let on = and_(
            own_info
                .primary_key
                .iter()
                .zip(&base_info.primary_key)
                .map(|(&o, &b)| {
                    base.c(&base_info.columns()[b].name)
                        .eq(own.c(&own_info.columns()[o].name))
                }),
        );
        FlatAlias {
            join: base.clone().join(own.clone(), on),
            base,
            own,
            base_columns: parts[0].columns.clone(),
        }
    }

    /// Column `index` of subtype `model`, read from the alias of the table holding it.
    pub(crate) fn column(&self, model: &ModelInfo, index: usize) -> Expr {
        let source = if self.base_columns.contains(&index) {
            &self.base
        } else {
            &self.own
        };
        source.c(&model.columns()[index].name)
    }
}
