//! The identity map: one object per (model, primary key) per session.

use std::any::TypeId;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Weak};

use crate::engine::RowView;
use crate::error::Result;
use crate::orm::instance::AnyInstance;
use crate::sql::{Value, ValueRef};

/// A hashable form of one primary key value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum KeyPart {
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    /// Any other kind, by its canonical text (dates, decimals, UUIDs).
    Other(String),
}

impl KeyPart {
    /// The part for a cell read in place: integers and text without an owned `Value` in
    /// between; the same part [`KeyPart::from_value`] gives for the cell's owned value.
    fn from_value_ref(v: ValueRef<'_>) -> Option<KeyPart> {
        Some(match v {
            ValueRef::Null => return None,
            ValueRef::Int(n) => KeyPart::Int(n),
            ValueRef::Bool(b) => KeyPart::Int(i64::from(b)),
            ValueRef::Text(s) => KeyPart::Text(s.to_owned()),
            ValueRef::Bytes(b) => KeyPart::Bytes(b.to_vec()),
            other => return KeyPart::from_value(&other.to_value()),
        })
    }

    fn from_value(v: &Value) -> Option<KeyPart> {
        Some(match v {
            Value::Null => return None,
            Value::Int(n) => KeyPart::Int(*n),
            Value::Bool(b) => KeyPart::Int(i64::from(*b)),
            Value::Text(s) => KeyPart::Text(s.clone()),
            Value::Bytes(b) => KeyPart::Bytes(b.clone()),
            Value::Uuid(u) => KeyPart::Other(u.to_string()),
            Value::Decimal(d) => KeyPart::Other(d.normalize().to_string()),
            Value::Date(d) => KeyPart::Other(d.to_string()),
            Value::Time(t) => KeyPart::Other(t.to_string()),
            Value::DateTime(t) => KeyPart::Other(t.to_string()),
            Value::DateTimeUtc(t) => KeyPart::Other(t.to_rfc3339()),
            Value::Float(f) => KeyPart::Other(f.to_string()),
            Value::Json(j) => KeyPart::Other(j.to_string()),
            Value::Array(a) => KeyPart::Other(format!("{a:?}")),
        })
    }
}

/// The identity of a persistent object: its model, primary key and, in a sharded
/// session, its shard (SQLAlchemy's identity token: one key on two shards is two
/// objects). A single-column key (the common case) needs no allocation beyond the part
/// itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct IdentityKey {
    pub(crate) model: TypeId,
    pub(crate) pk: KeyParts,
    /// The shard's number plus one (`orm/sharding.rs`); 0 outside a sharded session.
    pub(crate) shard: u16,
}

/// The parts of a primary key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum KeyParts {
    One(KeyPart),
    Many(Box<[KeyPart]>),
}

impl std::fmt::Display for KeyPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyPart::Int(n) => write!(f, "{n}"),
            KeyPart::Text(s) | KeyPart::Other(s) => write!(f, "{s:?}"),
            KeyPart::Bytes(b) => write!(f, "<{} bytes>", b.len()),
        }
    }
}

/// `(1)` or `(1, "a")`: the key as error messages show it.
impl std::fmt::Display for KeyParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyParts::One(p) => write!(f, "({p})"),
            KeyParts::Many(parts) => {
                write!(f, "(")?;
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{p}")?;
                }
                write!(f, ")")
            }
        }
    }
}

impl IdentityKey {
    /// The key for `pk` values of `model`; `None` when any part is NULL (not yet keyed).
    pub(crate) fn new(model: TypeId, pk: &[Value]) -> Option<IdentityKey> {
        Self::from_parts(model, pk.iter())
    }

    /// The key in the columns `columns` of a row read in place, read before anything is
    /// built from the row; `None` when part of it is NULL.
    pub(crate) fn of_view(
        model: TypeId,
        columns: &[usize],
        row: &dyn RowView,
    ) -> Result<Option<IdentityKey>> {
        let part = |i: usize| row.value(i).map(KeyPart::from_value_ref);
        let pk = if let [only] = columns {
            match part(*only)? {
                Some(p) => KeyParts::One(p),
                None => return Ok(None),
            }
        } else {
            let mut parts = Vec::with_capacity(columns.len());
            for &i in columns {
                match part(i)? {
                    Some(p) => parts.push(p),
                    None => return Ok(None),
                }
            }
            KeyParts::Many(parts.into_boxed_slice())
        };
        Ok(Some(IdentityKey {
            model,
            pk,
            shard: 0,
        }))
    }

    /// The same key on `shard` (0: no shard).
    pub(crate) fn on_shard(mut self, shard: u16) -> IdentityKey {
        self.shard = shard;
        self
    }

    fn from_parts<'v>(
        model: TypeId,
        mut parts: impl ExactSizeIterator<Item = &'v Value>,
    ) -> Option<IdentityKey> {
        let pk = if parts.len() == 1 {
            KeyParts::One(KeyPart::from_value(parts.next()?)?)
        } else {
            KeyParts::Many(
                parts
                    .map(KeyPart::from_value)
                    .collect::<Option<Box<[_]>>>()?,
            )
        };
        Some(IdentityKey {
            model,
            pk,
            shard: 0,
        })
    }
}

/// A fast hash for identity keys: they are small and come from our own rows, so SipHash's
/// resistance to crafted keys buys nothing here and costs a large share of loading time.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // FNV-1a over byte strings (text and binary keys).
        let mut h = self.0 ^ 0xcbf2_9ce4_8422_2325;
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }

    fn write_u64(&mut self, n: u64) {
        // Mix a whole word at once: integer keys and discriminants are the common case.
        let h = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 32);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }

    fn write_u128(&mut self, n: u128) {
        self.write_u64(n as u64);
        self.write_u64((n >> 64) as u64);
    }
}

type KeyBuildHasher = std::hash::BuildHasherDefault<KeyHasher>;

/// The session's persistent objects by identity, held **weakly**, as SQLAlchemy's map is:
/// an object nobody holds any more (no [`Instance`](crate::orm::Instance) handle, no pending
/// change) leaves the map, so a long session or a streamed query does not keep every row it
/// ever loaded. Objects with work pending are held strongly elsewhere in the session (new,
/// modified, deleted, and those inserted or deleted in the open transaction), so they stay
/// until that work is flushed and the transaction ends. Entries whose object is gone are
/// swept whenever a model's map doubles in size.
///
/// One table per model (per inheritance hierarchy), so an entry stores no model type; a
/// single integer key, the common case, is stored as the bare `i64` (a 24-byte entry
/// instead of 64 bytes: at 500,000 loaded objects this is some 40 MB less).
#[derive(Default)]
pub(crate) struct IdentityMap {
    /// The models (per shard) seen in this session, found by a linear scan (a session maps
    /// few).
    models: Vec<ModelMap>,
    /// In a sharded session, the shard statements run on now (its number plus one; 0
    /// for none): rows loaded meanwhile are keyed on it, and the session's connection
    /// for a model's statement is that shard's (`orm/sharding.rs`).
    pub(crate) shard: u16,
}

/// One model's objects on one shard (0: unsharded): integer keys apart from every other
/// kind.
struct ModelMap {
    model: TypeId,
    shard: u16,
    ints: Table<i64>,
    others: Table<KeyParts>,
}

/// Objects by one kind of key, swept of dead entries as it grows.
struct Table<K> {
    map: HashMap<K, Weak<dyn AnyInstance>, KeyBuildHasher>,
    /// The size at which dead entries are swept next.
    sweep_at: usize,
}

/// The smallest map that is swept of dead entries.
const SWEEP_MIN: usize = 1024;

impl<K> Default for Table<K> {
    fn default() -> Self {
        Table {
            map: HashMap::default(),
            sweep_at: SWEEP_MIN,
        }
    }
}

impl<K: std::hash::Hash + Eq> Table<K> {
    fn get_or_insert_with(
        &mut self,
        part: K,
        make: impl FnOnce() -> Result<Arc<dyn AnyInstance>>,
    ) -> Result<(Arc<dyn AnyInstance>, bool)> {
        let slot = match self.map.entry(part) {
            Entry::Occupied(slot) => match slot.get().upgrade() {
                Some(existing) => return Ok((existing, true)),
                None => Entry::Occupied(slot),
            },
            vacant => vacant,
        };
        let obj = make()?;
        slot.insert_entry(Arc::downgrade(&obj));
        self.sweep_if_grown();
        Ok((obj, false))
    }

    fn insert(&mut self, part: K, obj: &Arc<dyn AnyInstance>) {
        self.map.insert(part, Arc::downgrade(obj));
        self.sweep_if_grown();
    }

    /// Drops the entries of objects that are gone, once the map has doubled since the
    /// last sweep (amortised constant time per insert).
    fn sweep_if_grown(&mut self) {
        if self.map.len() >= self.sweep_at {
            self.map.retain(|_, w| w.strong_count() > 0);
            self.sweep_at = (self.map.len() * 2).max(SWEEP_MIN);
        }
    }
}

impl ModelMap {
    fn weak_values(&self) -> impl Iterator<Item = &Weak<dyn AnyInstance>> {
        self.ints.map.values().chain(self.others.map.values())
    }
}

/// The bare integer of a single integer key.
fn int_key(pk: &KeyParts) -> Option<i64> {
    match pk {
        KeyParts::One(KeyPart::Int(n)) => Some(*n),
        _ => None,
    }
}

impl IdentityMap {
    fn model(&self, key: &IdentityKey) -> Option<&ModelMap> {
        self.models
            .iter()
            .find(|m| m.model == key.model && m.shard == key.shard)
    }

    fn model_mut(&mut self, key: &IdentityKey) -> &mut ModelMap {
        let found = self
            .models
            .iter()
            .position(|m| m.model == key.model && m.shard == key.shard);
        match found {
            Some(i) => &mut self.models[i],
            None => {
                self.models.push(ModelMap {
                    model: key.model,
                    shard: key.shard,
                    ints: Table::default(),
                    others: Table::default(),
                });
                self.models.last_mut().expect("just pushed")
            }
        }
    }

    /// The live object under `key`.
    pub(crate) fn get(&self, key: &IdentityKey) -> Option<Arc<dyn AnyInstance>> {
        let m = self.model(key)?;
        match int_key(&key.pk) {
            Some(n) => m.ints.map.get(&n),
            None => m.others.map.get(&key.pk),
        }?
        .upgrade()
    }

    /// The live object under `key` and `true`, or the one `make` builds from the key
    /// (stored under it) and `false`: one hash for a lookup-or-insert.
    pub(crate) fn get_or_insert_with(
        &mut self,
        key: IdentityKey,
        make: impl FnOnce(IdentityKey) -> Result<Arc<dyn AnyInstance>>,
    ) -> Result<(Arc<dyn AnyInstance>, bool)> {
        let m = self.model_mut(&key);
        match int_key(&key.pk) {
            Some(n) => m.ints.get_or_insert_with(n, || make(key)),
            None => {
                let pk = key.pk.clone();
                m.others.get_or_insert_with(pk, || make(key))
            }
        }
    }

    pub(crate) fn insert(&mut self, key: IdentityKey, obj: Arc<dyn AnyInstance>) {
        let m = self.model_mut(&key);
        match int_key(&key.pk) {
            Some(n) => m.ints.insert(n, &obj),
            None => m.others.insert(key.pk, &obj),
        }
    }

    pub(crate) fn remove(&mut self, key: &IdentityKey) -> Option<Arc<dyn AnyInstance>> {
        let m = self
            .models
            .iter_mut()
            .find(|m| m.model == key.model && m.shard == key.shard)?;
        match int_key(&key.pk) {
            Some(n) => m.ints.map.remove(&n),
            None => m.others.map.remove(&key.pk),
        }?
        .upgrade()
    }

    /// The live objects.
    pub(crate) fn values(&self) -> impl Iterator<Item = Arc<dyn AnyInstance>> + '_ {
        self.models
            .iter()
            .flat_map(ModelMap::weak_values)
            .filter_map(Weak::upgrade)
    }

    /// Empties the map, returning the live objects.
    pub(crate) fn drain(&mut self) -> Vec<Arc<dyn AnyInstance>> {
        let models = std::mem::take(&mut self.models);
        models
            .iter()
            .flat_map(ModelMap::weak_values)
            .filter_map(Weak::upgrade)
            .collect()
    }

    /// How many live objects the map holds.
    pub(crate) fn len(&self) -> usize {
        self.models
            .iter()
            .flat_map(ModelMap::weak_values)
            .filter(|w| w.strong_count() > 0)
            .count()
    }
}
