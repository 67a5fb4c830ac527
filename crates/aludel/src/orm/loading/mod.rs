//! Loading: turning rows into objects through the identity map, and reloading expired
//! objects. Rows are read in place (a [`RowView`] of the driver's current row): the key
//! first, then, only for an object the session does not hold yet, the struct itself.
//!
//! Relationship loader strategies live beside this file, one per file: `lazy` (on first
//! access), `selectin`, `joined`, `subquery` and `immediate`; `options` holds the typed
//! loader options and the tree a query erases them into, and `eager` applies the chosen
//! strategies once a statement's objects are loaded.

mod eager;
mod immediate;
mod joined;
pub(crate) mod lazy;
pub(crate) mod loader_option;
pub(crate) mod options;
mod rows;
pub(crate) mod selectin;
mod subquery;

use std::sync::Arc;
use std::time::Duration;

use crate::engine::{ExecutionOptions, RowView};
use crate::error::{Error, Result};
use crate::orm::binds::StatementBind;
use crate::orm::deferred::{self, ColumnLayout};
use crate::orm::identity::{IdentityKey, IdentityMap};
use crate::orm::inheritance::other_type;
use crate::orm::instance::{AnyInstance, Instance, downcast};
use crate::orm::loading::options::LoaderTree;
use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::session::{Session, SessionInner};
use crate::sql::{Compiled, Params, Select, Value};

/// How a query's rows are loaded (`Query::params`, `populate_existing`, per-query
/// `autoflush`).
#[derive(Debug, Clone)]
pub(crate) struct LoadOptions {
    /// Values for named bind parameters.
    pub(crate) params: Params,
    /// Overwrite the attributes of objects already in the identity map with the row's
    /// values (discarding unflushed changes), as SQLAlchemy's `populate_existing`.
    pub(crate) populate_existing: bool,
    /// Flush pending changes first (when the session autoflushes).
    pub(crate) autoflush: bool,
    /// The query's statement timeout, over the connection's and the engine's.
    pub(crate) statement_timeout: Option<Duration>,
    /// The query's lock timeout, over the connection's and the engine's.
    pub(crate) lock_timeout: Option<Duration>,
    /// The query's loader options (`Query::options`).
    pub(crate) loaders: LoaderTree,
    /// Eager loaders (joined, selectin, subquery, immediate; by option or by the
    /// relationship's default) run; `Query::enable_eagerloads(false)` turns them off.
    pub(crate) eagerloads: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            params: Params::new(),
            populate_existing: false,
            autoflush: true,
            statement_timeout: None,
            lock_timeout: None,
            loaders: LoaderTree::default(),
            eagerloads: true,
        }
    }
}

impl Session {
    /// Loads objects of `T` from the rows of `stmt` (columns in model order), through the
    /// identity map, with the query's parameters and options, then their relationships as
    /// the loader options and relationship defaults say (joined ones in `stmt` itself).
    pub(crate) fn load<T: Model>(
        &self,
        stmt: &Select,
        opts: &LoadOptions,
    ) -> Result<Vec<Instance<T>>> {
        // Deferred columns the options do not load are left out of the statement.
        let planned = deferred::plan(T::info(), stmt, &opts.loaders.columns);
        let (stmt, layout) = match &planned {
            Some((planned, layout)) => (planned, Some(layout)),
            None => (stmt, None),
        };
        let related = !T::info().relationships.is_empty();
        let plan = match related && opts.eagerloads {
            true => joined::JoinedPlan::new(&self.inner, T::info(), stmt, &opts.loaders, layout)?,
            false => None,
        };
        let objects = match plan {
            Some(plan) => plan.load::<T>(self, opts, layout)?,
            None => {
                let (compiled, values) = self
                    .inner
                    .prepare_for(stmt, T::info())?
                    .into_bound(&opts.params)?;
                let bind = StatementBind::select(T::info(), stmt);
                self.load_compiled_bound::<T>(&compiled, values, opts, layout, bind)?
            }
        };
        if !related {
            // Nothing more to load (and no per-object copies on the hot path).
            return Ok(objects);
        }
        let erased: Vec<Arc<dyn AnyInstance>> = objects.iter().map(Instance::erased).collect();
        eager::load_relationships(
            self,
            &eager::Level {
                model: T::info(),
                objects: &erased,
                tree: &opts.loaders,
                source: Some(stmt),
                joined_done: true,
                populate_existing: opts.populate_existing,
                params: &opts.params,
                eagerloads: opts.eagerloads,
            },
        )?;
        Ok(objects)
    }

    /// Loads objects of `T` from an already compiled statement of the model's default
    /// columns (deferred ones left out) and its values, stepping through the rows (never
    /// buffering them all) and turning each into an object.
    pub(crate) fn load_compiled<T: Model>(
        &self,
        compiled: &Compiled,
        values: Vec<Value>,
    ) -> Result<Vec<Instance<T>>> {
        let layout = T::info().default_layout();
        self.load_compiled_laid_out::<T>(compiled, values, &LoadOptions::default(), layout)
    }

    /// [`load_compiled`](Self::load_compiled) with options, for rows laid out as `layout`
    /// says (every column when `None`).
    fn load_compiled_laid_out<T: Model>(
        &self,
        compiled: &Compiled,
        values: Vec<Value>,
        opts: &LoadOptions,
        layout: Option<&ColumnLayout>,
    ) -> Result<Vec<Instance<T>>> {
        let bind = StatementBind::read(T::info());
        self.load_compiled_bound(compiled, values, opts, layout, bind)
    }

    /// [`load_compiled_laid_out`](Self::load_compiled_laid_out) for a statement that
    /// `bind` routes (a locking read goes to the primary).
    fn load_compiled_bound<T: Model>(
        &self,
        compiled: &Compiled,
        values: Vec<Value>,
        opts: &LoadOptions,
        layout: Option<&ColumnLayout>,
        bind: StatementBind,
    ) -> Result<Vec<Instance<T>>> {
        let mut out = Vec::new();
        self.for_each_row(compiled, values, opts, bind, &mut |inner, identity, row| {
            out.push(inner.instance_in_row::<T>(identity, row, opts.populate_existing, layout)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// [`for_each_row`](Self::for_each_row) for a statement not yet compiled, loading
    /// `model` (whose bind runs it).
    pub(crate) fn for_each_row_of(
        &self,
        stmt: &Select,
        model: &'static ModelInfo,
        opts: &LoadOptions,
        each: &mut dyn FnMut(&SessionInner, &mut IdentityMap, &dyn RowView) -> Result<()>,
    ) -> Result<()> {
        let (compiled, values) = self
            .inner
            .prepare_for(stmt, model)?
            .into_bound(&opts.params)?;
        let bind = StatementBind::select(model, stmt);
        self.for_each_row(&compiled, values, opts, bind, each)
    }

    /// Runs a compiled statement on `bind`'s connection with the query's options
    /// (autoflush, timeouts) and hands each row, read in place, to `each` with the
    /// identity map.
    pub(crate) fn for_each_row(
        &self,
        compiled: &Compiled,
        values: Vec<Value>,
        opts: &LoadOptions,
        bind: StatementBind,
        each: &mut dyn FnMut(&SessionInner, &mut IdentityMap, &dyn RowView) -> Result<()>,
    ) -> Result<()> {
        let mut guard = self.inner.usable()?;
        if opts.autoflush {
            self.inner.autoflush(&mut guard)?;
        }
        let st = &mut *guard;
        self.inner.connection_for(st, bind)?;
        let (Some(conn), identity) = (st.conn.as_mut(), &mut st.identity) else {
            return Err(Error::invalid("no connection"));
        };
        // The query's timeouts hold for its statement only; the connection's come back
        // (and are set again with the next statement that needs them).
        let saved = conn.execution_options();
        conn.set_execution_options(ExecutionOptions {
            statement_timeout: opts.statement_timeout.or(saved.statement_timeout),
            lock_timeout: opts.lock_timeout.or(saved.lock_timeout),
            ..saved
        });
        let read = || {
            let mut rows = conn.stream_compiled(compiled, values)?;
            while let Some(row) = rows.next_ref() {
                each(&self.inner, identity, &row?)?;
            }
            Ok(())
        };
        let result = read();
        conn.set_execution_options(saved);
        result
    }
}

impl SessionInner {
    /// The session's object for a row read in place (columns in model order): the key is
    /// read from the row first, and an object already in the map and not expired is
    /// returned as it is, with nothing decoded (its unflushed changes stay, as in
    /// SQLAlchemy without `populate_existing`); an expired one, or any with
    /// `populate_existing`, is rebuilt from the row (discarding unflushed changes); a new
    /// one is built straight from the row and added to the map as persistent.
    pub(crate) fn instance_for_row<T: Model>(
        &self,
        identity: &mut IdentityMap,
        row: &dyn RowView,
        populate_existing: bool,
    ) -> Result<Instance<T>> {
        self.instance_in_row::<T>(identity, row, populate_existing, None)
    }

    /// [`instance_for_row`](Self::instance_for_row) for rows laid out as `layout` says
    /// (every column when `None`).
    pub(crate) fn instance_in_row<T: Model>(
        &self,
        identity: &mut IdentityMap,
        row: &dyn RowView,
        populate_existing: bool,
        layout: Option<&ColumnLayout>,
    ) -> Result<Instance<T>> {
        self.instance_laid_out::<T>(identity, row, 0, populate_existing, layout)?
            .ok_or_else(|| {
                Error::invalid(format!(
                    "a {} row came back with a NULL primary key",
                    T::info().name
                ))
            })
    }

    /// [`instance_for_row`](Self::instance_for_row) for the model's columns starting at
    /// `offset` (an entity among others in the row, as joined eager loading reads them),
    /// laid out as `layout` says (every column when `None`); `None` when the key columns
    /// are NULL (an outer join that matched no row). An object the map holds already gets
    /// the deferred columns the row carries and it has not loaded.
    pub(crate) fn instance_laid_out<T: Model>(
        &self,
        identity: &mut IdentityMap,
        row: &dyn RowView,
        offset: usize,
        populate_existing: bool,
        layout: Option<&ColumnLayout>,
    ) -> Result<Option<Instance<T>>> {
        let info = T::info();
        let key = match (offset, layout) {
            (0, None) => IdentityKey::of_view(info.identity_type(), &info.primary_key, row)?,
            (_, None) => {
                let columns: Vec<usize> = info.primary_key.iter().map(|c| c + offset).collect();
                IdentityKey::of_view(info.identity_type(), &columns, row)?
            }
            (_, Some(l)) => IdentityKey::of_view(
                info.identity_type(),
                &l.positions_of(&info.primary_key, offset),
                row,
            )?,
        };
        let Some(key) = key else {
            return Ok(None);
        };
        let key = key.on_shard(identity.shard);
        // A new object is handed out as built (no downcast of the map's erased handle).
        let mut built = None;
        let (obj, _) = identity.get_or_insert_with(key, |key| {
            info.check_row_type(row, offset)?;
            let object = match layout {
                Some(l) => {
                    let object = T::from_row_in(row, offset, l)?;
                    deferred::mark_raising(&object, l.raising());
                    object
                }
                None => T::from_row(row, offset)?,
            };
            let instance = Instance::loaded(object, key, (self.id, self.me.clone()));
            let erased = instance.erased();
            built = Some(instance);
            Ok(erased)
        })?;
        if let Some(instance) = built {
            return Ok(Some(instance));
        }
        // The map held it already.
        let expired = obj.state().expired;
        if expired || populate_existing {
            obj.load_row(row, offset, layout)?;
            let mut s = obj.state();
            s.expired = false;
            if populate_existing {
                s.snapshot = None;
            }
        } else if !info.deferred.is_empty() {
            fill_deferred(&obj, row, offset, layout)?;
        }
        downcast(&obj)
            .map(Some)
            .ok_or_else(|| other_type(obj.info(), info))
    }

    /// Reloads `obj` by primary key (used by `refresh` and by reads of expired objects).
    pub(crate) fn refresh_object(&self, obj: &Arc<dyn AnyInstance>) -> Result<()> {
        let info = obj.info();
        let key = obj.state().key.clone();
        let pk: Vec<Value> = match key {
            Some(_) => {
                let values = obj.values()?;
                info.primary_key
                    .iter()
                    .map(|&i| values[i].clone())
                    .collect()
            }
            None => {
                return Err(Error::invalid(format!(
                    "{} instance has no identity to refresh",
                    info.name
                )));
            }
        };
        let compiled = info.select_by_pk(self.dialect_for(info)?)?;
        // A sharded object is reloaded from its shard.
        let shard = obj.state().shard;
        let found = self.on_shard(shard, || {
            let mut st = self.usable()?;
            let conn = self.connection_for(&mut st, StatementBind::read(info))?;
            let mut rows = conn.stream_compiled(&compiled, info.by_pk_values(pk.clone())?)?;
            match rows.next_ref() {
                Some(row) => obj.load_row(&row?, 0, info.default_layout()).map(|()| true),
                None => Ok(false),
            }
        })?;
        if !found {
            return Err(Error::ObjectDeleted {
                message: format!(
                    "{} with primary key {pk:?} no longer exists in the database",
                    info.name
                ),
            });
        }
        let mut s = obj.state();
        s.expired = false;
        s.snapshot = None;
        Ok(())
    }
}

/// Gives `obj` (met again by a query) the deferred columns the row carries that it has
/// not loaded yet (SQLAlchemy fills unloaded attributes of objects already in the map).
fn fill_deferred(
    obj: &Arc<dyn AnyInstance>,
    row: &dyn RowView,
    offset: usize,
    layout: Option<&ColumnLayout>,
) -> Result<()> {
    let found = obj
        .info()
        .deferred
        .iter()
        .filter_map(|d| {
            let position = match layout {
                Some(l) => l.position(d.column)?,
                None => d.column,
            };
            Some(
                row.value(offset + position)
                    .map(|v| (d.column, v.to_value())),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    if found.is_empty() {
        return Ok(());
    }
    deferred::fill(obj, &found)
}
