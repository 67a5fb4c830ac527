//! Loading: turning rows into objects through the identity map, and reloading expired
//! objects.

use std::collections::hash_map::Entry;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::orm::identity::{IdentityKey, IdentityMap};
use crate::orm::instance::{AnyInstance, Instance, ObjectState, downcast};
use crate::orm::mapper::Model;
use crate::orm::session::{Session, SessionInner};
use crate::sql::{Compiled, Executable, Params, Select, Value};

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
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            params: Params::new(),
            populate_existing: false,
            autoflush: true,
        }
    }
}

impl Session {
    /// Loads objects of `T` from the rows of `stmt` (columns in model order), through the
    /// identity map, with the query's parameters and options.
    pub(crate) fn load<T: Model>(
        &self,
        stmt: &Select,
        opts: &LoadOptions,
    ) -> Result<Vec<Instance<T>>> {
        let compiled = stmt.compile(self.inner.dialect()?)?;
        let values = compiled.bind_values(&opts.params)?;
        self.load_compiled_with::<T>(&compiled, values, opts)
    }

    /// Loads objects of `T` from an already compiled statement and its values, stepping
    /// through the rows (never buffering them all) and turning each into an object.
    pub(crate) fn load_compiled<T: Model>(
        &self,
        compiled: &Compiled,
        values: Vec<Value>,
    ) -> Result<Vec<Instance<T>>> {
        self.load_compiled_with::<T>(compiled, values, &LoadOptions::default())
    }

    /// [`load_compiled`](Self::load_compiled) with options.
    pub(crate) fn load_compiled_with<T: Model>(
        &self,
        compiled: &Compiled,
        values: Vec<Value>,
        opts: &LoadOptions,
    ) -> Result<Vec<Instance<T>>> {
        let mut guard = self.inner.usable()?;
        if opts.autoflush {
            self.inner.autoflush(&mut guard)?;
        }
        let st = &mut *guard;
        self.inner.connection(st)?;
        let (Some(conn), identity) = (st.conn.as_mut(), &mut st.identity) else {
            return Err(Error::invalid("no connection"));
        };
        let mut out = Vec::new();
        for row in conn.stream_compiled(compiled, values)? {
            out.push(self.inner.instance_for_row::<T>(
                identity,
                row?.into_values(),
                opts.populate_existing,
            )?);
        }
        Ok(out)
    }
}

impl SessionInner {
    /// The session's object for a loaded row: the existing one (refreshed if expired, or
    /// overwritten with `populate_existing`), or a new persistent one added to the
    /// identity map.
    pub(crate) fn instance_for_row<T: Model>(
        &self,
        identity: &mut IdentityMap,
        values: Vec<Value>,
        populate_existing: bool,
    ) -> Result<Instance<T>> {
        let info = T::info();
        let key =
            IdentityKey::of_row(info.type_id, &info.primary_key, &values).ok_or_else(|| {
                Error::invalid(format!(
                    "a {} row came back with a NULL primary key",
                    info.name
                ))
            })?;
        match identity.entry(key) {
            Entry::Occupied(existing) => {
                let obj = existing.get();
                let expired = obj.state().expired;
                if expired || populate_existing {
                    obj.load(values)?;
                    let mut s = obj.state();
                    s.expired = false;
                    if populate_existing {
                        s.snapshot = None;
                    }
                }
                downcast(obj).ok_or_else(|| {
                    Error::invalid("identity map holds another model under this key")
                })
            }
            Entry::Vacant(slot) => {
                let instance =
                    Instance::with_state(T::from_values(values)?, ObjectState::Persistent);
                let obj = instance.erased();
                {
                    let mut s = obj.state();
                    s.key = Some(slot.key().clone());
                    s.session = Some((self.id, self.me.clone()));
                }
                slot.insert(obj);
                Ok(instance)
            }
        }
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
        let compiled = info.select_by_pk(self.dialect()?)?;
        let mut st = self.usable()?;
        let mut result = self.run(&mut st, |conn| conn.execute_compiled(&compiled, pk.clone()))?;
        let row = result.fetchone().ok_or_else(|| Error::ObjectDeleted {
            message: format!(
                "{} with primary key {pk:?} no longer exists in the database",
                info.name
            ),
        })?;
        obj.load(row.into_values())?;
        let mut s = obj.state();
        s.expired = false;
        s.snapshot = None;
        Ok(())
    }
}
