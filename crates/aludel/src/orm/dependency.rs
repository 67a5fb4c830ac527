//! The flush's relationship work (SQLAlchemy's dependency processors): what changed in
//! `Many`/`One` fields becomes foreign key values, association rows and cascaded deletes.
//!
//! [`collect`] runs first, with the session locked: the save-update cascade brings new
//! related objects into the session; each changed relationship becomes *syncs* (copy the
//! source's key columns into the dependent's foreign key, or NULL it) and association row
//! inserts/deletes; deleted objects cascade (`delete`, `delete-orphan`) or NULL their
//! children's foreign keys, loading children that are not loaded unless
//! `passive_deletes`. The flush then applies each sync just before its dependent's
//! INSERT (a dependent waits until its source is inserted), turns the rest into UPDATEs
//! after the INSERTs (`post_update` ones always), and writes association rows.

use std::collections::HashSet;
use std::sync::Arc;

use crate::engine::Connection;
use crate::error::{Error, Result};
use crate::orm::instance::{AnyInstance, ObjectState};
use crate::orm::persistence::{self, Assigned};
use crate::orm::relationship::{
    Direction, RelationshipInfo, cascade, equals_key, loaded_related, owner_key, related_select,
};
use crate::orm::session::{SessionInner, SessionState};
use crate::sql::{Expr, Table, Value, and_, delete, insert};

fn ptr(obj: &Arc<dyn AnyInstance>) -> *const () {
    Arc::as_ptr(obj) as *const ()
}

/// Copy the source's columns into the dependent's foreign key (NULL without a source).
struct Sync {
    dependent: Arc<dyn AnyInstance>,
    /// (dependent column, source column).
    columns: Vec<(usize, usize)>,
    source: Option<Arc<dyn AnyInstance>>,
    /// Written by an UPDATE after the INSERTs (`post_update`).
    late: bool,
    applied: bool,
}

/// A foreign key update a relationship asks for after the INSERTs: the object, the
/// changed columns, and its values before the change (its row's key as loaded).
pub(crate) type LateUpdate = (Arc<dyn AnyInstance>, Vec<usize>, Vec<Value>);

/// The other side of an association row: the target object and the association columns
/// naming its columns.
type AssociationTarget = (Arc<dyn AnyInstance>, Vec<(usize, String)>);

/// One association row to insert, or rows to delete (all of the owner's when `target`
/// is `None`: the owner is being deleted).
struct AssociationRow {
    table: Table,
    owner: Arc<dyn AnyInstance>,
    owner_columns: Vec<(usize, String)>,
    target: Option<AssociationTarget>,
}

/// The relationship work of one flush.
#[derive(Default)]
pub(crate) struct Dependencies {
    syncs: Vec<Sync>,
    inserts: Vec<AssociationRow>,
    deletes: Vec<AssociationRow>,
    /// Relationship fields whose history this flush writes: cleared when it succeeds.
    processed: Vec<(Arc<dyn AnyInstance>, usize)>,
    /// The new and changed objects with relationships: their mirror links are settled
    /// when the flush succeeds.
    touched: Vec<Arc<dyn AnyInstance>>,
}

/// Collects the relationship work of the session's new, modified and deleted objects.
pub(crate) fn collect(session: &SessionInner, st: &mut SessionState) -> Result<Dependencies> {
    let mut deps = Dependencies::default();
    let roots: Vec<Arc<dyn AnyInstance>> = st
        .new
        .iter()
        .chain(&st.modified)
        .filter(|o| !o.info().relationships.is_empty())
        .cloned()
        .collect();
    if roots.is_empty() && st.deleted.iter().all(|o| o.info().relationships.is_empty()) {
        return Ok(deps);
    }
    cascade::save_update(session, st, &roots)?;
    let mut seen = HashSet::new();
    let changed: Vec<Arc<dyn AnyInstance>> = st
        .new
        .iter()
        .chain(&st.modified)
        .filter(|o| seen.insert(ptr(o)))
        .cloned()
        .collect();
    deps.touched = changed
        .iter()
        .filter(|o| !o.info().relationships.is_empty())
        .cloned()
        .collect();
    for obj in changed {
        if obj.state().delete_pending {
            continue;
        }
        for (index, rel) in obj.info().relationships.iter().enumerate() {
            if !rel.viewonly {
                deps.changes_of(st, &obj, index, rel)?;
            }
        }
    }
    // Deleted objects cascade; the list grows as it is walked.
    let mut i = 0;
    while i < st.deleted.len() {
        let obj = st.deleted[i].clone();
        i += 1;
        for rel in obj.info().relationships.iter().filter(|r| !r.viewonly) {
            deps.deletion_of(session, st, &obj, rel)?;
        }
    }
    deps.drop_superseded_nulls(st);
    Ok(deps)
}

impl Dependencies {
    /// Whether there is nothing to do.
    pub(crate) fn is_empty(&self) -> bool {
        self.syncs.is_empty() && self.inserts.is_empty() && self.deletes.is_empty()
    }

    /// The pairs of objects this relationship work ties together: a foreign key's
    /// holder with the object it copies the key from, and an association row's owner
    /// with its target.
    pub(crate) fn links(
        &self,
    ) -> impl Iterator<Item = (&Arc<dyn AnyInstance>, Option<&Arc<dyn AnyInstance>>)> {
        let syncs = self.syncs.iter().map(|s| (&s.dependent, s.source.as_ref()));
        let rows = self
            .inserts
            .iter()
            .chain(&self.deletes)
            .map(|r| (&r.owner, r.target.as_ref().map(|t| &t.0)));
        syncs.chain(rows)
    }

    /// Splits the work by the group (engine) of its objects, for a flush across binds or
    /// shards: part `g` is group `g`'s (the parts end at the last group with work); an
    /// error, before anything moves, when a link ties objects of two groups (a foreign
    /// key cannot span databases). What a flush reads when it succeeds (`finish`)
    /// stays here.
    pub(crate) fn split(
        &mut self,
        group_of: &mut dyn FnMut(&Arc<dyn AnyInstance>) -> Result<usize>,
    ) -> Result<Vec<Dependencies>> {
        let mut of_link = Vec::new();
        for (a, b) in self.links() {
            let g = group_of(a)?;
            if let Some(b) = b {
                if group_of(b)? != g {
                    return Err(Error::invalid(format!(
                        "cannot flush a relationship between objects bound to different \
                         engines ({} and {}): a foreign key cannot span databases",
                        a.info().name,
                        b.info().name
                    )));
                }
            }
            of_link.push(g);
        }
        let count = of_link.iter().max().map_or(0, |g| g + 1);
        let mut parts: Vec<Dependencies> = (0..count).map(|_| Dependencies::default()).collect();
        // `links` lists the syncs, then the inserted rows, then the deleted ones.
        let mut of_link = of_link.into_iter();
        for sync in self.syncs.drain(..) {
            parts[of_link.next().unwrap_or_default()].syncs.push(sync);
        }
        for row in self.inserts.drain(..) {
            parts[of_link.next().unwrap_or_default()].inserts.push(row);
        }
        for row in self.deletes.drain(..) {
            parts[of_link.next().unwrap_or_default()].deletes.push(row);
        }
        Ok(parts)
    }

    /// The history of `obj.rel` (relationship `index`) as syncs and association rows.
    fn changes_of(
        &mut self,
        st: &mut SessionState,
        obj: &Arc<dyn AnyInstance>,
        index: usize,
        rel: &RelationshipInfo,
    ) -> Result<()> {
        let mut history = None;
        let mut current = None;
        obj.with_slot(index, &mut |slot| {
            history = Some(slot.history());
            current = slot.current();
            Ok(())
        })?;
        let Some(h) = history else { return Ok(()) };
        if !h.set && h.added.is_empty() && h.removed.is_empty() {
            return Ok(());
        }
        self.processed.push((obj.clone(), index));
        let resolved = rel.resolved(obj.info())?;
        match resolved.direction {
            Direction::ManyToOne => self.syncs.push(Sync {
                dependent: obj.clone(),
                columns: resolved.pairs.clone(),
                source: current.and_then(|c| c.into_iter().next()),
                late: rel.post_update,
                applied: false,
            }),
            Direction::OneToMany => {
                let columns: Vec<(usize, usize)> =
                    resolved.pairs.iter().map(|&(o, t)| (t, o)).collect();
                for child in h.added {
                    self.syncs.push(Sync {
                        dependent: child,
                        columns: columns.clone(),
                        source: Some(obj.clone()),
                        late: rel.post_update,
                        applied: false,
                    });
                }
                for child in h.removed {
                    if rel.cascade.delete_orphan {
                        mark_deleted(st, &child);
                    } else {
                        self.syncs.push(Sync {
                            dependent: child,
                            columns: columns.clone(),
                            source: None,
                            late: rel.post_update,
                            applied: false,
                        });
                    }
                }
            }
            Direction::ManyToMany => {
                let Some(table) = rel.secondary.clone() else {
                    return Ok(());
                };
                let row = |target: Arc<dyn AnyInstance>| AssociationRow {
                    table: table.clone(),
                    owner: obj.clone(),
                    owner_columns: resolved.secondary_owner.clone(),
                    target: Some((target, resolved.secondary_target.clone())),
                };
                self.inserts.extend(h.added.into_iter().map(row));
                self.deletes.extend(h.removed.into_iter().map(row));
            }
        }
        Ok(())
    }

    /// What deleting `obj` does along `rel`.
    fn deletion_of(
        &mut self,
        session: &SessionInner,
        st: &mut SessionState,
        obj: &Arc<dyn AnyInstance>,
        rel: &'static RelationshipInfo,
    ) -> Result<()> {
        let resolved = rel.resolved(obj.info())?;
        match resolved.direction {
            Direction::ManyToMany => {
                if let (Some(table), false) = (rel.secondary.clone(), rel.passive_deletes) {
                    self.deletes.push(AssociationRow {
                        table,
                        owner: obj.clone(),
                        owner_columns: resolved.secondary_owner.clone(),
                        target: None,
                    });
                }
            }
            Direction::OneToMany => {
                // With passive_deletes the database's ON DELETE handles rows not loaded.
                let children = match loaded(obj, rel)? {
                    Some(children) => children,
                    None if rel.passive_deletes => Vec::new(),
                    None => load_locked(session, st, obj, rel)?,
                };
                let columns: Vec<(usize, usize)> =
                    resolved.pairs.iter().map(|&(o, t)| (t, o)).collect();
                for child in children {
                    if rel.cascade.delete {
                        mark_deleted(st, &child);
                    } else if !child.state().delete_pending {
                        self.syncs.push(Sync {
                            dependent: child,
                            columns: columns.clone(),
                            source: None,
                            late: true,
                            applied: false,
                        });
                    }
                }
            }
            Direction::ManyToOne => {
                if rel.cascade.delete {
                    if let Some(parent) = loaded(obj, rel)?.and_then(|v| v.into_iter().next()) {
                        mark_deleted(st, &parent);
                    }
                }
            }
        }
        Ok(())
    }

    /// A child moved from one parent to another gets a NULL from the first and a key from
    /// the second: the key wins, and so do syncs on objects being deleted lose.
    fn drop_superseded_nulls(&mut self, st: &SessionState) {
        let keyed: HashSet<(*const (), Vec<(usize, usize)>)> = self
            .syncs
            .iter()
            .filter(|s| s.source.is_some())
            .map(|s| (ptr(&s.dependent), s.columns.clone()))
            .collect();
        let deleted: HashSet<*const ()> = st.deleted.iter().map(ptr).collect();
        self.syncs.retain(|s| {
            !deleted.contains(&ptr(&s.dependent))
                && (s.source.is_some() || !keyed.contains(&(ptr(&s.dependent), s.columns.clone())))
        });
    }

    /// Columns of `obj` a sync will fill: validation does not require them.
    pub(crate) fn filled(&self, obj: &Arc<dyn AnyInstance>) -> Vec<usize> {
        self.syncs
            .iter()
            .filter(|s| s.source.is_some() && Arc::ptr_eq(&s.dependent, obj))
            .flat_map(|s| s.columns.iter().map(|(d, _)| *d))
            .collect()
    }

    /// Whether `obj` can be inserted now: each of its sources is already in the database
    /// (not new in this flush, or inserted already).
    pub(crate) fn ready(
        &self,
        obj: &Arc<dyn AnyInstance>,
        new: &HashSet<*const ()>,
        inserted: &HashSet<*const ()>,
    ) -> bool {
        self.syncs
            .iter()
            .filter(|s| !s.late && Arc::ptr_eq(&s.dependent, obj))
            .all(|s| match &s.source {
                None => true,
                Some(src) => !new.contains(&ptr(src)) || inserted.contains(&ptr(src)),
            })
    }

    /// Writes `obj`'s foreign keys from its (inserted) sources into the object and into
    /// `values`, the row about to be inserted.
    pub(crate) fn apply_before_insert(
        &mut self,
        obj: &Arc<dyn AnyInstance>,
        values: &mut [Value],
        assigned: &mut Vec<Assigned>,
    ) -> Result<()> {
        for sync in self
            .syncs
            .iter_mut()
            .filter(|s| !s.late && Arc::ptr_eq(&s.dependent, obj))
        {
            for (column, value) in sync_values(sync)? {
                if values[column] != value {
                    values[column] = value.clone();
                    persistence::assign(obj, column, value, assigned)?;
                }
            }
            sync.applied = true;
        }
        Ok(())
    }

    /// The syncs not applied before an INSERT (persistent dependents, `post_update`),
    /// written into the objects; returns, per object, the changed columns, for UPDATEs.
    pub(crate) fn apply_after_inserts(
        &mut self,
        assigned: &mut Vec<Assigned>,
    ) -> Result<Vec<LateUpdate>> {
        let mut out: Vec<LateUpdate> = Vec::new();
        for sync in self.syncs.iter_mut().filter(|s| !s.applied) {
            sync.applied = true;
            let obj = sync.dependent.clone();
            // New objects were all inserted by now (they stay `Pending` until the flush ends).
            if !matches!(
                obj.state().state,
                ObjectState::Persistent | ObjectState::Pending
            ) {
                continue;
            }
            let before = obj.values()?;
            for (column, value) in sync_values(sync)? {
                if before[column] == value {
                    continue;
                }
                persistence::assign(&obj, column, value, assigned)?;
                match out.iter_mut().find(|(o, ..)| Arc::ptr_eq(o, &obj)) {
                    Some((_, cols, _)) if cols.contains(&column) => {}
                    Some((_, cols, _)) => cols.push(column),
                    None => out.push((obj.clone(), vec![column], before.clone())),
                }
            }
        }
        Ok(out)
    }

    /// Deletes, then inserts, the association rows.
    pub(crate) fn write_association_rows(&self, conn: &mut Connection) -> Result<()> {
        for row in &self.deletes {
            let owner = row.owner.values()?;
            let mut criteria: Vec<Expr> = row
                .owner_columns
                .iter()
                .map(|(c, name)| row.table.c(name).eq(Expr::Value(owner[*c].clone())))
                .collect();
            if let Some((target, columns)) = &row.target {
                let values = target.values()?;
                criteria.extend(
                    columns
                        .iter()
                        .map(|(c, name)| row.table.c(name).eq(Expr::Value(values[*c].clone()))),
                );
            }
            conn.execute(&delete(&row.table).where_(and_(criteria)), ())?;
        }
        for row in &self.inserts {
            let Some((target, columns)) = &row.target else {
                continue;
            };
            let owner = row.owner.values()?;
            let values = target.values()?;
            let mut stmt = insert(&row.table);
            for (c, name) in &row.owner_columns {
                stmt = stmt.value(name, Expr::Value(owner[*c].clone()));
            }
            for (c, name) in columns {
                stmt = stmt.value(name, Expr::Value(values[*c].clone()));
            }
            conn.execute(&stmt, ())?;
        }
        Ok(())
    }

    /// After a successful flush: the written histories are forgotten, and mirror links to
    /// objects that now have an identity become weak.
    pub(crate) fn finish(&self) -> Result<()> {
        for (obj, index) in &self.processed {
            obj.with_slot(*index, &mut |slot| {
                slot.clear_history();
                Ok(())
            })?;
        }
        for obj in &self.touched {
            for index in 0..obj.info().relationships.len() {
                obj.with_slot(index, &mut |slot| {
                    slot.settle();
                    Ok(())
                })?;
            }
        }
        Ok(())
    }
}

/// The (column, value) pairs a sync writes into its dependent.
fn sync_values(sync: &Sync) -> Result<Vec<(usize, Value)>> {
    let source = match &sync.source {
        Some(src) => Some(src.values()?),
        None => None,
    };
    Ok(sync
        .columns
        .iter()
        .map(|&(d, s)| {
            let value = source.as_ref().map_or(Value::Null, |v| v[s].clone());
            (d, value)
        })
        .collect())
}

/// The loaded value of `obj.rel`, if loaded.
fn loaded(
    obj: &Arc<dyn AnyInstance>,
    rel: &RelationshipInfo,
) -> Result<Option<Vec<Arc<dyn AnyInstance>>>> {
    loaded_related(obj, relationship_index(obj, rel)?)
}

fn relationship_index(obj: &Arc<dyn AnyInstance>, rel: &RelationshipInfo) -> Result<usize> {
    obj.info()
        .relationships
        .iter()
        .position(|r| std::ptr::eq(r, rel))
        .ok_or_else(|| {
            Error::invalid(format!(
                "{} has no relationship {}",
                obj.info().name,
                rel.name
            ))
        })
}

/// Marks a related object for deletion (a cascade): a pending one just leaves the
/// session.
fn mark_deleted(st: &mut SessionState, obj: &Arc<dyn AnyInstance>) {
    let mut s = obj.state();
    match s.state {
        ObjectState::Pending => {
            s.state = ObjectState::Transient;
            s.session = None;
            drop(s);
            st.new.retain(|o| !Arc::ptr_eq(o, obj));
        }
        ObjectState::Persistent if !s.delete_pending => {
            s.delete_pending = true;
            drop(s);
            st.deleted.push(obj.clone());
        }
        _ => {}
    }
}

/// Loads `obj.rel` while the flush holds the session (no autoflush, no second lock).
fn load_locked(
    session: &SessionInner,
    st: &mut SessionState,
    obj: &Arc<dyn AnyInstance>,
    rel: &'static RelationshipInfo,
) -> Result<Vec<Arc<dyn AnyInstance>>> {
    let resolved = rel.resolved(obj.info())?;
    let Some(key) = owner_key(resolved, &obj.values()?) else {
        return Ok(Vec::new());
    };
    let (stmt, keys) = related_select(rel, resolved);
    let stmt = stmt.where_(equals_key(&keys, &key));
    let prepared = match &session.engine {
        Some(engine) => engine.prepare(&stmt)?,
        None => st
            .conn
            .as_ref()
            .ok_or_else(|| Error::invalid("the session has no connection"))?
            .prepare(&stmt)?,
    };
    let (compiled, values) = prepared.into_bound(&crate::sql::Params::new())?;
    session.connection(st)?;
    let (Some(conn), identity) = (st.conn.as_mut(), &mut st.identity) else {
        return Err(Error::invalid("no connection"));
    };
    let mut out = Vec::new();
    let mut rows = conn.stream_compiled(&compiled, values)?;
    while let Some(row) = rows.next_ref() {
        if let Some(o) = rel.ops.row(session, identity, &row?, 0, None)? {
            out.push(o);
        }
    }
    drop(rows);
    let index = relationship_index(obj, rel)?;
    let items = out.clone();
    obj.with_slot(index, &mut |slot| {
        slot.set_loaded(items.clone());
        Ok(())
    })?;
    Ok(out)
}
