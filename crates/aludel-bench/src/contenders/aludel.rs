//! `aludel`: the Session (identity map, unit of work) for the ORM workloads, Core
//! (compiled statements, `execute_compiled_many`, `stream`) for `columns`, `core` and
//! `streamed`.
//!
//! `large_resultsets/streamed` reads the rows through Core's unbuffered `Connection::stream`
//! in `yield_per(1000)` batches, building each object in place from the row with
//! `Model::from_row`: the ceiling of a streaming ORM query (no identity map, no
//! `Instance`). `large_resultsets/yield_per` is the ORM form: `Query::yield_per(1000)`
//! with `for_each_partition`, objects through the session's identity map.
//!
//! `diesel_medium` is one ORM query of two entities, users LEFT OUTER JOIN posts,
//! `query::<User>().outerjoin_rel(User::posts).add_aliased(..)`, each row a
//! `(Instance<User>, Option<Instance<Post>>)` as Diesel's `(User, Option<Post>)` and
//! SQLAlchemy's `select(User, Post).outerjoin(..)`. `diesel_associations` loads the users
//! with `selectinload(User::posts).selectinload(Post::comments)` (SQLAlchemy's idiom;
//! Diesel's `belonging_to` + `grouped_by` is the same three-level IN-list loading) and walks
//! the loaded tree.

use aludel::Engine;
use aludel::engine::ExecutionOptions;
use aludel::orm::{Aliased, Instance, Many, Model, Session, selectinload};
use aludel::sql::{FromItem, Params, bindparam, insert, select};

use super::{Job, Kept, Rows};
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

/// A row of `users`, with its posts (SQLAlchemy's `User.posts`).
#[derive(aludel::Model, Debug)]
#[model(table = "users")]
struct User {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 50)]
    name: String,
    #[column(max_len = 50)]
    hair_color: Option<String>,
    posts: Many<Post>,
}

/// A row of `posts`, with its comments.
#[derive(aludel::Model, Debug)]
#[model(table = "posts")]
struct Post {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "users.id")]
    user_id: i64,
    #[column(max_len = 100)]
    title: String,
    #[column(max_len = 200)]
    body: Option<String>,
    comments: Many<Comment>,
}

/// A row of `comments`.
#[derive(aludel::Model, Debug)]
#[model(table = "comments")]
struct Comment {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "posts.id")]
    post_id: i64,
    #[column(max_len = 200)]
    text: String,
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
                    posts: Many::new(),
                })
                .collect();
            let session = Session::new(&engine);
            watch.time(|| {
                session.add_all(users)?;
                session.commit()
            })?;
            Ok(n)
        }
        Workload::DieselMedium => {
            let session = Session::new(&engine);
            // `Post` on its own table, in the `Option` form an outer join needs.
            let post = Aliased::<Post>::of(FromItem::from(&Post::info().table));
            Ok(watch
                .time(|| {
                    session
                        .query::<User>()
                        .outerjoin_rel(User::posts)
                        .filter(User::hair_color.eq("black"))
                        .add_aliased(&post)
                        .all()
                })?
                .kept())
        }
        Workload::DieselAssociations => {
            let session = Session::new(&engine);
            watch.time(|| {
                let users = session
                    .query::<User>()
                    .options(selectinload(User::posts).selectinload(Post::comments))
                    .all()?;
                tree_size(&users)
            })
        }
    }
}

/// The objects in the loaded users → posts → comments tree (no SQL: every collection is
/// loaded by then).
fn tree_size(users: &[Instance<User>]) -> Rows {
    let mut objects = users.len();
    for user in users {
        for post in user.read()?.posts.all()? {
            objects += 1 + post.read()?.comments.len()?;
        }
    }
    Ok(objects)
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
