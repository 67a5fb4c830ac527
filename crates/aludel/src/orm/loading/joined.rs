//! The joined loader (SQLAlchemy's `joinedload`): the parents' own SELECT gains a LEFT
//! OUTER JOIN (INNER with `innerjoin`) to an aliased target table per joined
//! relationship, nested paths join on from the alias before them, and each row is read
//! as the parent followed by each target at its column offset. Parents repeat across
//! rows and are handed back once.
//!
//! With LIMIT or OFFSET and a joined collection, the limit would count joined rows, so
//! the parents' query is wrapped in a subquery first and the joins go around it (as
//! SQLAlchemy does). A relationship joined by its default (not by an option) stops at a
//! model already higher in the chain; a self-referential one goes `join_depth` levels
//! deep (one without it). A joined target's deferred columns stay out of the SELECT
//! unless the path undefers them, as for the query's own entity.

use std::collections::HashMap;
use std::sync::Arc;

use crate::engine::RowView;
use crate::error::Result;
use crate::orm::deferred::ColumnLayout;
use crate::orm::identity::IdentityMap;
use crate::orm::inheritance::joined::FlatAlias;
use crate::orm::instance::{AnyInstance, Instance};
use crate::orm::loading::LoadOptions;
use crate::orm::loading::eager::store;
use crate::orm::loading::options::LoaderTree;
use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::relationship::{Direction, Loading, RelationshipInfo};
use crate::orm::session::{Session, SessionInner};
use crate::sql::{Expr, FromItem, Select, and_, select};

/// One joined relationship of the plan.
struct JoinStep {
    /// The step whose objects own this one's (`None`: the query's entity).
    parent: Option<usize>,
    rel: &'static RelationshipInfo,
    /// The relationship's index among its owner's relationships.
    index: usize,
    innerjoin: bool,
    /// `contains_eager`: the query already joins the target; its columns come from here.
    contains: Option<FromItem>,
    /// The first column of the target in the row.
    offset: usize,
    /// Where the target's columns are read: its aliased table (or tables).
    alias: Source,
    /// The target's columns the row holds when its deferred ones are left out (`None`:
    /// every column, as for `contains_eager`, which reads the query's own join).
    layout: Option<ColumnLayout>,
}

/// Where a model's columns are read in the statement.
#[derive(Clone)]
enum Source {
    /// The model's own table(s), unaliased: the query's entity.
    Entity,
    /// One table, alias or subquery, by column name.
    Item(FromItem),
    /// A joined-table subtype's two tables, each aliased (SQLAlchemy's flat aliasing:
    /// `(employee AS employee_1 JOIN engineer AS engineer_1 ON ...)`).
    Flat(FlatAlias),
}

impl Source {
    /// Column `index` of `model`, read from this source.
    fn column(&self, model: &ModelInfo, index: usize) -> Expr {
        let name = &model.columns()[index].name;
        match self {
            Source::Entity => model.column_expr(index),
            Source::Item(item) => item.c(name),
            Source::Flat(flat) => flat.column(model, index),
        }
    }
}

/// The aliased join target for `target` in step `n`: its table aliased `<table>_<n>`, or
/// for a joined-table subtype both its tables aliased and joined to each other.
fn aliased_target(target: &ModelInfo, n: usize) -> Result<(FromItem, Source)> {
    Ok(match target.joined_parts()? {
        Some(parts) => {
            let flat = FlatAlias::new(parts, |t| format!("{}_{n}", t.name()));
            (flat.join.clone(), Source::Flat(flat))
        }
        None => {
            let alias = target.table.alias(&format!("{}_{n}", target.table.name()));
            (alias.clone(), Source::Item(alias))
        }
    })
}

/// The statement a query runs with its joined relationships, and how to read its rows.
pub(crate) struct JoinedPlan {
    stmt: Select,
    steps: Vec<JoinStep>,
}

impl JoinedPlan {
    /// The plan for loading `model` from `stmt` (its columns laid out as `layout` says)
    /// with the joined relationships the options (or defaults) in `tree` choose, or `None`
    /// when none is joined.
    /// In a session with binds, a joined relationship whose target is bound to another
    /// engine than its owner is an error (one statement cannot join two databases).
    pub(crate) fn new(
        session: &SessionInner,
        model: &'static ModelInfo,
        stmt: &Select,
        tree: &LoaderTree,
        layout: Option<&ColumnLayout>,
    ) -> Result<Option<JoinedPlan>> {
        let mut steps = Vec::new();
        let mut chain = vec![model.type_id];
        let mut path = Vec::new();
        choose(model, tree, None, &mut chain, &mut path, &mut steps);
        if steps.is_empty() {
            return Ok(None);
        }
        if let Some(binds) = &session.binds {
            for step in &steps {
                let owner = step.parent.map_or(model, |p| (steps[p].rel.target)());
                let target = (step.rel.target)();
                if !binds
                    .resolve(owner)?
                    .primary()
                    .same(binds.resolve(target)?.primary())
                {
                    return Err(crate::error::Error::invalid(format!(
                        "{}.{} cannot be loaded with a join: {} and {} are bound to different \
                         engines, and one statement cannot join two databases; load it with \
                         selectinload or lazily (each goes to the target's engine)",
                        owner.name, step.rel.name, owner.name, target.name
                    )));
                }
            }
        }
        let limited = stmt.limit.is_some() || stmt.offset.is_some();
        let table = FromItem::Table(model.table.clone());
        let wrap = limited && steps.iter().any(|s| s.rel.uselist && s.contains.is_none());
        if wrap && steps.iter().any(|s| s.contains.is_some()) {
            return Err(crate::error::Error::invalid(format!(
                "Query<{}>: contains_eager reads the query's own join, which a joined-loaded collection under LIMIT/OFFSET would wrap in a subquery; load that collection with selectinload instead",
                model.name
            )));
        }
        let (mut out, source): (Select, Source) = if wrap {
            let anon = stmt.clone().subquery("anon_1");
            // The parent's columns the inner statement selects (its deferred ones may be
            // left out).
            let parent = model.columns().iter().enumerate();
            let parent = parent.filter(|(i, _)| layout.is_none_or(|l| l.has(*i)));
            let mut outer = select(parent.map(|(_, c)| anon.c(&c.name))).from(anon.clone());
            outer.order_by = stmt
                .order_by
                .iter()
                .map(|o| crate::sql::adapt::adapt_order_by(o, &table, &anon))
                .collect();
            (outer, Source::Item(anon))
        } else {
            (stmt.clone(), Source::Entity)
        };
        for i in 0..steps.len() {
            let (owner, owner_source) = match steps[i].parent {
                None => (model, source.clone()),
                Some(p) => ((steps[p].rel.target)(), steps[p].alias.clone()),
            };
            out = join_step(out, owner, &owner_source, &mut steps[i], i + 1)?;
        }
        Ok(Some(JoinedPlan { stmt: out, steps }))
    }

    /// Runs the statement: the parents (each once, in first-seen order, their columns laid
    /// out as `layout` says), with every joined relationship stored as loaded (empty when
    /// the outer join matched nothing).
    pub(crate) fn load<T: Model>(
        &self,
        session: &Session,
        opts: &LoadOptions,
        layout: Option<&ColumnLayout>,
    ) -> Result<Vec<Instance<T>>> {
        let mut parents = Vec::new();
        let mut rows = self.reader(opts.populate_existing);
        session.for_each_row_of(&self.stmt, T::info(), opts, &mut |inner, identity, row| {
            let parent =
                inner.instance_in_row::<T>(identity, row, opts.populate_existing, layout)?;
            rows.read(inner, identity, row, parent.erased())?;
            parents.push(parent);
            Ok(())
        })?;
        rows.finish()?;
        let mut seen = std::collections::HashSet::new();
        parents.retain(|p| seen.insert(Arc::as_ptr(&p.erased()).cast::<u8>() as usize));
        Ok(parents)
    }

    /// The statement to run: the parents' own, with the joins and their columns.
    pub(crate) fn statement(&self) -> &Select {
        &self.stmt
    }

    /// A reader of the statement's rows, for a loader that reads the parents itself.
    pub(crate) fn reader(&self, populate_existing: bool) -> JoinedRows<'_> {
        JoinedRows {
            plan: self,
            found: self.steps.iter().map(|_| Collected::default()).collect(),
            populate_existing,
        }
    }
}

/// The joined objects read so far from a [`JoinedPlan`]'s rows.
pub(crate) struct JoinedRows<'p> {
    plan: &'p JoinedPlan,
    found: Vec<Collected>,
    populate_existing: bool,
}

impl JoinedRows<'_> {
    /// Reads the joined objects of one row whose parent is `parent`.
    pub(crate) fn read(
        &mut self,
        inner: &SessionInner,
        identity: &mut IdentityMap,
        row: &dyn RowView,
        parent: Arc<dyn AnyInstance>,
    ) -> Result<()> {
        let mut objects: Vec<Option<Arc<dyn AnyInstance>>> = Vec::new();
        for (i, step) in self.plan.steps.iter().enumerate() {
            let owner = match step.parent {
                None => Some(parent.clone()),
                Some(p) => objects[p].clone(),
            };
            let layout = step.layout.as_ref();
            let object = step
                .rel
                .ops
                .row(inner, identity, row, step.offset, layout)?;
            if let Some(owner) = owner {
                self.found[i].add(owner, step.index, object.clone(), self.populate_existing)?;
            }
            objects.push(object);
        }
        Ok(())
    }

    /// Stores every owner's joined objects as its loaded relationship.
    pub(crate) fn finish(self) -> Result<()> {
        for (step, collected) in self.plan.steps.iter().zip(self.found) {
            collected.store(step.index)?;
        }
        Ok(())
    }
}

/// Adds the joined relationships of `model` at this level of `tree` to `steps`, then
/// theirs, depth first (a step always comes after its parent).
fn choose(
    model: &'static ModelInfo,
    tree: &LoaderTree,
    parent: Option<usize>,
    chain: &mut Vec<std::any::TypeId>,
    path: &mut Vec<*const RelationshipInfo>,
    steps: &mut Vec<JoinStep>,
) {
    for (index, rel) in model.relationships.iter().enumerate() {
        let choice = tree.choice(index, rel);
        if choice.strategy != Loading::Joined {
            continue;
        }
        let target = (rel.target)();
        if !choice.explicit && chain.contains(&target.type_id) {
            let self_referential = target.type_id == model.type_id;
            let depth = path.iter().filter(|r| std::ptr::eq(**r, rel)).count();
            if !self_referential || depth >= rel.join_depth.unwrap_or(1) {
                continue;
            }
        }
        // The target's deferred columns stay out unless the path's options load them.
        let layout = match choice.contains {
            Some(_) => None,
            None => tree.deeper(index).columns.narrowed(target),
        };
        steps.push(JoinStep {
            parent,
            rel,
            index,
            innerjoin: choice.innerjoin,
            contains: choice.contains.clone(),
            offset: 0,
            alias: Source::Entity,
            layout,
        });
        let me = steps.len() - 1;
        chain.push(target.type_id);
        path.push(rel);
        choose(target, tree.deeper(index), Some(me), chain, path, steps);
        chain.pop();
        path.pop();
    }
}

/// `stmt` joined to step number `n`'s aliased target (for `contains_eager`, only the
/// columns of the target the query already joins) (through an aliased association
/// table for a many-to-many), with the target's columns appended and its collection
/// order added to the ORDER BY.
fn join_step(
    stmt: Select,
    owner: &'static ModelInfo,
    owner_source: &Source,
    step: &mut JoinStep,
    n: usize,
) -> Result<Select> {
    let resolved = step.rel.resolved(owner)?;
    let target = (step.rel.target)();
    if let Some(from) = &step.contains {
        step.offset = stmt.columns.len();
        step.alias = Source::Item(from.clone());
        return Ok(stmt.columns(target.columns().iter().map(|c| from.c(&c.name))));
    }
    let (item, alias) = aliased_target(target, n)?;
    let owner_col = |c: usize| owner_source.column(owner, c);
    let target_col = |c: usize| alias.column(target, c);
    let join = |stmt: Select, item: FromItem, on: Expr| {
        if step.innerjoin {
            stmt.join(item, on)
        } else {
            stmt.outer_join(item, on)
        }
    };
    let mut stmt = match (resolved.direction, &step.rel.secondary) {
        (Direction::ManyToMany, Some(secondary)) => {
            let assoc = secondary.alias(&format!("{}_{n}", secondary.name()));
            let to_assoc = and_(
                resolved
                    .secondary_owner
                    .iter()
                    .map(|(o, c)| owner_col(*o).eq(assoc.c(c))),
            );
            let to_target = and_(
                resolved
                    .secondary_target
                    .iter()
                    .map(|(t, c)| target_col(*t).eq(assoc.c(c))),
            );
            let stmt = join(stmt, assoc, to_assoc);
            let on = step.rel.narrowed(to_target, &item);
            join(stmt, item, on)
        }
        _ => {
            let on = and_(
                resolved
                    .pairs
                    .iter()
                    .map(|(o, t)| owner_col(*o).eq(target_col(*t))),
            );
            let on = step.rel.narrowed(on, &item);
            join(stmt, item, on)
        }
    };
    step.offset = stmt.columns.len();
    let layout = step.layout.as_ref();
    let loaded = (0..target.columns().len()).filter(|&c| layout.is_none_or(|l| l.has(c)));
    stmt = stmt.columns(loaded.map(target_col));
    for (column, desc) in &resolved.order_by {
        let e = target_col(*column);
        stmt = stmt.order_by(if *desc { e.desc() } else { e.asc() });
    }
    step.alias = alias;
    Ok(stmt)
}

/// An owner and the objects found for it.
type Found = (Arc<dyn AnyInstance>, Vec<Arc<dyn AnyInstance>>);

/// The objects one joined relationship found, per owner, in row order.
#[derive(Default)]
struct Collected {
    owners: Vec<Found>,
    /// Owner pointer to its entry (`None`: the owner's relationship was loaded already).
    at: HashMap<usize, Option<usize>>,
}

impl Collected {
    /// Notes `object` (or nothing, for an outer join without a match) for `owner`.
    fn add(
        &mut self,
        owner: Arc<dyn AnyInstance>,
        index: usize,
        object: Option<Arc<dyn AnyInstance>>,
        populate_existing: bool,
    ) -> Result<()> {
        let ptr = Arc::as_ptr(&owner).cast::<u8>() as usize;
        let entry = match self.at.get(&ptr) {
            Some(entry) => *entry,
            None => {
                let mut loaded = false;
                owner.with_slot(index, &mut |slot| {
                    loaded = slot.is_loaded();
                    Ok(())
                })?;
                let entry = (!loaded || populate_existing).then(|| {
                    self.owners.push((owner, Vec::new()));
                    self.owners.len() - 1
                });
                self.at.insert(ptr, entry);
                entry
            }
        };
        if let (Some(entry), Some(object)) = (entry, object) {
            let items = &mut self.owners[entry].1;
            if !items.iter().any(|i| Arc::ptr_eq(i, &object)) {
                items.push(object);
            }
        }
        Ok(())
    }

    /// Stores each owner's objects as its loaded relationship `index`.
    fn store(self, index: usize) -> Result<()> {
        for (owner, items) in self.owners {
            store(&owner, index, &items)?;
        }
        Ok(())
    }
}
