//! `aludel`: the Session (identity map, unit of work) for the ORM workloads, Core
//! (compiled statements, `execute_compiled_many`, `stream`) for `columns`, `core` and
//! `streamed`.
//!
//! `large_resultsets/streamed` reads the rows through Core's unbuffered `Connection::stream`
//! in `yield_per(1000)` batches, building each object in place from the row with
//! `Model::from_row`: the ceiling of a streaming ORM query (no identity map, no
//! `Instance`). `large_resultsets/yield_per` is the ORM form: `Query::yield_per(1000)`
//! with `for_each_partition`, objects through the session's identity map.
//! Relationships and joined loading do not exist yet, so `diesel_medium` and
//! `diesel_associations` are skipped.

use aludel::Engine;
use aludel::engine::ExecutionOptions;
use aludel::orm::{Model, Session};
use aludel::sql::{Params, bindparam, insert, select};

use super::{Job, Kept, Rows, not_yet};
use crate::harness::Stopwatch;
use crate::workloads::{Workload, hair_color, item_description, item_name, lookup_ids, user_name};

/// A row of `items`.
#[derive(aludel::Model, Clone, Debug)]
#[model(table = "items")]
struct Item {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 50)]
    name: String,
    #[column(max_len = 200)]
    description: String,
}

/// A row of `users`.
#[derive(aludel::Model, Clone, Debug)]
#[model(table = "users")]
struct User {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 50)]
    name: String,
    #[column(max_len = 50)]
    hair_color: Option<String>,
}

fn new_item(i: usize) -> Item {
    Item {
        id: 0,
        name: item_name(i),
        description: item_description(i),
    }
}

/// Runs `job` with aludel.
pub fn run(job: &Job, watch: &mut Stopwatch) -> Rows {
    let engine = aludel::create_engine(&job.backend.aludel_url())?;
    // Connect before the timing, as every other contender does: the engine's pool keeps the
    // connection, and the sessions and Core calls below check it out.
    drop(engine.connect()?);
    let n = job.size;
    let table = &Item::info().table;
    let all_items = || select([table.c("id"), table.c("name"), table.c("description")]).from(table);
    match job.workload {
        Workload::LargeObjects => {
            let session = Session::new(&engine);
            Ok(watch.time(|| session.query::<Item>().all())?.kept())
        }
        Workload::LargeColumns => {
            let mut conn = engine.connect()?;
            let stmt = all_items();
            watch.time(|| {
                // Core's fastest idiom: rows read in place, each cell converted straight
                // into the tuple (no owned `Row` in between).
                let mut rows = conn.stream(&stmt, ())?;
                let mut tuples = Vec::new();
                while let Some(r) = rows.next_ref() {
                    let r = r?;
                    tuples.push((r.get::<i64>(0)?, r.get::<String>(1)?, r.get::<String>(2)?));
                }
                Ok(tuples.len())
            })
        }
        Workload::LargeStreamed => {
            let mut conn = engine.connect()?;
            conn.set_execution_options(
                ExecutionOptions::default().yield_per(crate::workloads::YIELD_PER),
            );
            let stmt = all_items();
            watch.time(|| {
                let mut seen = 0;
                let mut rows = conn.stream(&stmt, ())?;
                let mut batch = Vec::with_capacity(crate::workloads::YIELD_PER);
                while let Some(r) = rows.next_ref() {
                    batch.push(Item::from_row(&r?, 0)?);
                    if batch.len() == crate::workloads::YIELD_PER {
                        seen += batch.len();
                        batch.clear();
                    }
                }
                Ok(seen + batch.len())
            })
        }
        Workload::LargeYieldPer => {
            let session = Session::new(&engine);
            watch.time(|| {
                let mut seen = 0;
                session
                    .query::<Item>()
                    .yield_per(crate::workloads::YIELD_PER)
                    .for_each_partition(|batch| {
                        seen += batch.len();
                        Ok(())
                    })?;
                Ok(seen)
            })
        }
        Workload::ShortGet => watch.time(|| {
            let mut found = 0;
            for id in lookup_ids(n, job.table_rows) {
                let session = Session::new(&engine);
                found += usize::from(session.get::<Item>(id)?.is_some());
                session.close()?;
            }
            Ok(found)
        }),
        Workload::BulkUnitOfWork => {
            let items: Vec<Item> = (1..=n).map(new_item).collect();
            let session = Session::new(&engine);
            watch.time(|| {
                session.add_all(items)?;
                session.commit()
            })?;
            Ok(n)
        }
        Workload::BulkCore => bulk_core(&engine, n, watch),
        Workload::SingleInserts => {
            let items: Vec<Item> = (1..=n).map(new_item).collect();
            let session = Session::new(&engine);
            watch.time(|| {
                for item in items {
                    session.add(item)?;
                    session.commit()?;
                }
                Ok::<_, aludel::Error>(())
            })?;
            Ok(n)
        }
        Workload::BulkUpdates => {
            let session = Session::new(&engine);
            watch.time(|| {
                let items = session.query::<Item>().all()?;
                for item in &items {
                    item.write()?.name.push('!');
                }
                session.commit()?;
                Ok(items.len())
            })
        }
        Workload::DieselTrivial => {
            let session = Session::new(&engine);
            Ok(watch.time(|| session.query::<User>().all())?.kept())
        }
        Workload::DieselInsert => {
            let users: Vec<User> = (1..=n)
                .map(|i| User {
                    id: 0,
                    name: user_name(i),
                    hair_color: hair_color(i).map(str::to_owned),
                })
                .collect();
            let session = Session::new(&engine);
            watch.time(|| {
                session.add_all(users)?;
                session.commit()
            })?;
            Ok(n)
        }
        Workload::DieselMedium => Err(not_yet("joins (users left join posts) need relationships")),
        Workload::DieselAssociations => {
            Err(not_yet("relationship loading (users → posts → comments)"))
        }
    }
}

/// `bulk_inserts/core`: one single-row Core `INSERT` run with every row's parameters
/// through `execute_many`, which sends it as multi-row INSERTs sized to the backend's
/// bind-parameter limit (insertmanyvalues), in one transaction.
fn bulk_core(engine: &Engine, n: usize, watch: &mut Stopwatch) -> Rows {
    let mut conn = engine.connect()?;
    let stmt = insert(&Item::info().table)
        .value("name", bindparam("name"))
        .value("description", bindparam("description"));
    let params: Vec<Params> = (1..=n)
        .map(|i| {
            Params::new()
                .with("name", item_name(i))
                .with("description", item_description(i))
        })
        .collect();
    watch.time(|| {
        let mut tx = conn.begin()?;
        tx.execute_many(&stmt, &params)?;
        tx.commit()
    })?;
    Ok(n)
}
