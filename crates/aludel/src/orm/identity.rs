//! The identity map: one object per (model, primary key) per session.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::Arc;

use crate::orm::instance::AnyInstance;
use crate::sql::Value;

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
        })
    }
}

/// The identity of a persistent object: its model and primary key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct IdentityKey {
    pub(crate) model: TypeId,
    pub(crate) pk: Vec<KeyPart>,
}

impl IdentityKey {
    /// The key for `pk` values of `model`; `None` when any part is NULL (not yet keyed).
    pub(crate) fn new(model: TypeId, pk: &[Value]) -> Option<IdentityKey> {
        let pk = pk
            .iter()
            .map(KeyPart::from_value)
            .collect::<Option<Vec<_>>>()?;
        Some(IdentityKey { model, pk })
    }
}

/// Strong references to the session's persistent objects, by identity.
///
/// SQLAlchemy's map holds objects weakly; aludel holds them until `expunge`, `close` or the
/// end of the session, which makes identity stable for the whole unit of work.
#[derive(Default)]
pub(crate) struct IdentityMap {
    map: HashMap<IdentityKey, Arc<dyn AnyInstance>>,
}

impl IdentityMap {
    pub(crate) fn get(&self, key: &IdentityKey) -> Option<&Arc<dyn AnyInstance>> {
        self.map.get(key)
    }

    pub(crate) fn insert(&mut self, key: IdentityKey, obj: Arc<dyn AnyInstance>) {
        self.map.insert(key, obj);
    }

    pub(crate) fn remove(&mut self, key: &IdentityKey) -> Option<Arc<dyn AnyInstance>> {
        self.map.remove(key)
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Arc<dyn AnyInstance>> {
        self.map.values()
    }

    pub(crate) fn drain(&mut self) -> Vec<Arc<dyn AnyInstance>> {
        self.map.drain().map(|(_, v)| v).collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}
