//! `from_statement`: objects of the query's model loaded from a statement the caller wrote
//! (a `text()` or a Core select), matching its result columns to the model's by name.

use std::sync::Arc;

use crate::engine::RowView;
use crate::error::{Error, Result};
use crate::orm::deferred::ColumnLayout;
use crate::orm::instance::Instance;
use crate::orm::mapper::Model;
use crate::orm::query::{Query, Selection};
use crate::sql::{Executable, Select, Value, ValueRef};

/// Owned values read as a row (rows of a buffered result, or an object's values), so they
/// load through the same in-place path as streamed rows.
struct OwnedRow {
    values: Vec<Value>,
    /// The text of each JSON cell (a view lends JSON as text).
    json: Vec<Option<String>>,
}

impl OwnedRow {
    fn new(values: Vec<Value>) -> Self {
        let json = values
            .iter()
            .map(|v| match v {
                Value::Json(j) => Some(j.to_string()),
                _ => None,
            })
            .collect();
        OwnedRow { values, json }
    }
}

impl RowView for OwnedRow {
    fn len(&self) -> usize {
        self.values.len()
    }

    fn value(&self, index: usize) -> Result<ValueRef<'_>> {
        let v = self.values.get(index).ok_or_else(|| Error::NoSuchColumn {
            column: index.to_string(),
            available: (0..self.values.len()).map(|i| i.to_string()).collect(),
        })?;
        Ok(match v {
            Value::Null => ValueRef::Null,
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Int(i) => ValueRef::Int(*i),
            Value::Float(f) => ValueRef::Float(*f),
            Value::Text(t) => ValueRef::Text(t),
            Value::Bytes(b) => ValueRef::Bytes(b),
            Value::Date(d) => ValueRef::Date(*d),
            Value::Time(t) => ValueRef::Time(*t),
            Value::DateTime(d) => ValueRef::DateTime(*d),
            Value::DateTimeUtc(d) => ValueRef::DateTimeUtc(*d),
            Value::Decimal(d) => ValueRef::Decimal(*d),
            Value::Uuid(u) => ValueRef::Uuid(*u),
            Value::Json(_) => ValueRef::Json(self.json[index].as_deref().unwrap_or("null")),
            Value::Array(_) => {
                return Err(Error::Conversion {
                    expected: "a column value",
                    found: "an array (a bind-only value)".into(),
                });
            }
        })
    }
}

/// The statement a `from_statement` query runs, with the select the query had when it was
/// given (later generative calls would change only that select, so they are refused).
#[derive(Clone)]
pub(crate) struct FromStatement {
    pub(crate) statement: Arc<dyn Executable + Send + Sync>,
    pub(crate) base: Select,
}

impl std::fmt::Debug for FromStatement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FromStatement")
    }
}

impl<M: Model> Query<M> {
    /// Loads `M` objects from `statement` instead of the query's own SELECT (SQLAlchemy's
    /// `from_statement`): its columns are matched to the model's by name (in any order;
    /// each model column must be there), and rows go through the identity map. Named
    /// parameters come from [`params`](Self::params). Filters, ordering, joins and the like
    /// do not apply to a statement the caller wrote, so adding them afterwards is an error
    /// when the query runs, as are `count` and `exists_scalar`.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<User as aludel::orm::Model>::info()])?;
    /// use aludel::sql::text;
    /// let s = aludel::orm::Session::new(&engine);
    /// let ed = s.add(User { id: 8, name: "ed".into() })?;
    /// let found = s.query::<User>()
    ///     .from_statement(text("SELECT name, id FROM users WHERE name = :name"))
    ///     .params(aludel::params! { "name" => "ed" })
    ///     .one()?;
    /// assert!(found.ptr_eq(&ed));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn from_statement(&self, statement: impl Executable + Send + Sync + 'static) -> Self {
        let base = self.select.clone();
        self.with_ctx(|_, ctx| {
            ctx.from_statement = Some(FromStatement {
                statement: Arc::new(statement),
                base,
            })
        })
    }

    /// Runs the `from_statement` statement and loads its rows.
    pub(crate) fn load_from_statement(&self, fs: &FromStatement) -> Result<Vec<Instance<M>>> {
        let session = self.session()?;
        let _guard = self.autoflush_guard(session);
        // The statement goes to the model's bind (its primary: aludel does not read the
        // statement to tell a read from a write), on the query's one shard when sharded.
        let bind = crate::orm::binds::StatementBind::write(M::info());
        self.on_one_shard(session, "from_statement", || {
            let rows = session.execute_bound(bind, &*fs.statement, self.ctx.params.clone())?;
            self.load_result(rows)
        })
    }

    /// Objects of `M` from the rows of a result the caller ran (SQLAlchemy's legacy
    /// `Query.instances(cursor)`; in 2.x, `from_statement` or `session.execute(select(M))`):
    /// columns are matched by name as in [`from_statement`](Self::from_statement), and the
    /// rows go through this query's session's identity map.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, name: String }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<User as aludel::orm::Model>::info()])?;
    /// use aludel::sql::text;
    /// let s = aludel::orm::Session::new(&engine);
    /// let ed = s.add(User { id: 8, name: "ed".into() })?;
    /// let result = s.execute(&text("SELECT * FROM users"), ())?;
    /// let users = s.query::<User>().instances(result)?;
    /// assert!(users[0].ptr_eq(&ed));
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn instances(&self, result: crate::engine::ResultSet) -> Result<Vec<Instance<M>>> {
        self.load_result(result)
    }

    /// Brings objects from elsewhere (another session, a cache) into this query's session
    /// (SQLAlchemy's `merge_result`). With `load`, each goes through
    /// [`Session::merge`](crate::orm::Session::merge) (the database row is read when the
    /// session does not have it, and the given values become pending changes); without,
    /// the values are taken as the database's: no SQL runs and nothing is marked changed,
    /// and an object already in the session is overwritten with them.
    ///
    /// ```
    /// # #[derive(aludel::Model, Clone)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64, n: i64 }
    /// # let engine = aludel::create_engine("sqlite://:memory:")?;
    /// # aludel::orm::create_all(&engine, &[<T as aludel::orm::Model>::info()])?;
    /// let (a, b) = (aludel::orm::Session::new(&engine), aludel::orm::Session::new(&engine));
    /// a.add(T { id: 1, n: 5 })?;
    /// a.commit()?;
    /// let cached = a.query::<T>().all()?;
    /// let merged = b.query::<T>().merge_result(&cached, false)?;
    /// assert_eq!(merged[0].read()?.n, 5);
    /// assert!(b.get::<T>(1)?.unwrap().ptr_eq(&merged[0]));
    /// assert!(!b.is_modified(&merged[0])?);
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn merge_result<'a>(
        &self,
        objects: impl IntoIterator<Item = &'a Instance<M>>,
        load: bool,
    ) -> Result<Vec<Instance<M>>> {
        let session = self.session()?;
        let objects: Vec<&Instance<M>> = objects.into_iter().collect();
        if load {
            return objects.into_iter().map(|o| session.merge(o)).collect();
        }
        let rows = objects
            .iter()
            .map(|o| {
                if o.is_expired() {
                    return Err(Error::InvalidRequest {
                        message: format!(
                            "merge_result(load = false): a {} instance is expired, so its values are unknown; merge with load = true",
                            M::info().name
                        ),
                    });
                }
                // A deferred column the object never loaded has no value: it stays
                // unloaded in the copy (not NULL).
                let erased = o.erased();
                let unloaded = match M::info().deferred.is_empty() {
                    true => Vec::new(),
                    false => crate::orm::deferred::unloaded_columns(&erased)?,
                };
                let mut values = erased.values()?;
                let layout = (!unloaded.is_empty()).then(|| {
                    let present: Vec<bool> =
                        (0..values.len()).map(|i| !unloaded.contains(&i)).collect();
                    let mut column = 0;
                    values.retain(|_| {
                        column += 1;
                        present[column - 1]
                    });
                    ColumnLayout::new(&present)
                });
                Ok((values, layout))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut st = session.inner.usable()?;
        rows.into_iter()
            .map(|(values, layout)| {
                session.inner.instance_in_row::<M>(
                    &mut st.identity,
                    &OwnedRow::new(values),
                    true,
                    layout.as_ref(),
                )
            })
            .collect()
    }

    fn load_result(&self, mut rows: crate::engine::ResultSet) -> Result<Vec<Instance<M>>> {
        let session = self.session()?;
        let info = M::info();
        let keys: Vec<String> = rows.keys().to_vec();
        // Deferred columns stay unloaded (the statement may leave them out) unless the
        // query's options undefer them, as SQLAlchemy's `from_statement` does.
        let layout = self.ctx.loaders.columns.narrowed(info);
        let loaded = |i: &usize| layout.as_ref().is_none_or(|l| l.has(*i));
        let positions: Vec<usize> = (0..info.columns().len())
            .filter(loaded)
            .map(|i| {
                let c = &info.columns()[i];
                keys.iter()
                    .position(|k| k.eq_ignore_ascii_case(&c.name))
                    .ok_or_else(|| Error::InvalidRequest {
                        message: format!(
                            "from_statement: the statement's columns ({}) lack {}'s column '{}'",
                            keys.join(", "),
                            info.name,
                            c.name
                        ),
                    })
            })
            .collect::<Result<_>>()?;
        let populate = self.ctx.options.is_populate_existing();
        let mut st = session.inner.usable()?;
        let mut out = Vec::new();
        while let Some(row) = rows.fetchone() {
            let mut values = row.into_values();
            let ordered = positions
                .iter()
                .map(|&p| std::mem::replace(&mut values[p], Value::Null))
                .collect();
            out.push(session.inner.instance_in_row::<M>(
                &mut st.identity,
                &OwnedRow::new(ordered),
                populate,
                layout.as_ref(),
            )?);
        }
        Ok(out)
    }
}

impl<M: Model, S: Selection> Query<M, S> {
    /// The refusal for a `from_statement` query whose own select was changed afterwards,
    /// or for `method`, which has no meaning there.
    pub(crate) fn misuse_after_from_statement(&self, method: Option<&str>) -> Option<Error> {
        let fs = self.ctx.from_statement.as_ref()?;
        let message = match method {
            Some(m) => format!(
                "Query<{}>::{m}() is not available after from_statement(); run it on a Core statement",
                M::info().name
            ),
            None if fs.base != self.select => format!(
                "Query<{}>: filter, order_by, joins, limits and the like were added after from_statement(); they would not apply to its statement, so put them in the statement",
                M::info().name
            ),
            None => return None,
        };
        Some(Error::InvalidRequest { message })
    }
}
