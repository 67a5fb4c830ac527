//! Which public types may cross threads (`Send`) or be shared between them (`Sync`),
//! checked by the compiler: each line below fails to compile if a change takes the property
//! away. docs/reliability.md explains why each type is what it is.

#![allow(dead_code)]

use aludel::engine::{
    Engine, EngineBuilder, PoolStatus, ResultSet, Row, Savepoint, StatementRecorder, Transaction,
    Url,
};
use aludel::orm::{Instance, Query, Retry, ScopedSession, Session, SessionMaker};
use aludel::sql::{Compiled, Select, Table, TextClause, Value};
use aludel::{Connection, Error};

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "things")]
struct Thing {
    #[column(primary_key)]
    id: i64,
}

fn send<T: Send>() {}
fn send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync_as_documented() {
    // Shared handles: clone them into threads or share one by reference.
    send_sync::<Engine>();
    send_sync::<EngineBuilder>();
    send_sync::<Url>();
    send_sync::<PoolStatus>();
    send_sync::<StatementRecorder>();
    send_sync::<Session>();
    send_sync::<SessionMaker>();
    send_sync::<ScopedSession>();
    send_sync::<Retry>();
    send_sync::<Instance<Thing>>();
    send_sync::<Query<Thing>>();
    // Immutable statement trees and values.
    send_sync::<Table>();
    send_sync::<Select>();
    send_sync::<TextClause>();
    send_sync::<Compiled>();
    send_sync::<Value>();
    send_sync::<Row>();
    send_sync::<ResultSet>();
    send_sync::<Error>();
    // One connection is used by one thread at a time: it may move, not be shared.
    send::<Connection>();
    send::<Transaction<'static>>();
    send::<Savepoint<'static>>();
    // A RowStream stays on the thread that opened it (it wraps the driver's cursor, which
    // SQLite's statement handle cannot leave); it borrows its connection anyway.
}
