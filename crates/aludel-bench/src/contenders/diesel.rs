//! `diesel`: Diesel 2, written the way its documentation and its own metrics benchmarks
//! write each task. The work is written once and expanded for each backend's concrete
//! connection type by [`with_connection!`] (no `MultiConnection` dispatch on the hot path).
//!
//! Diesel has no unit of work: `bulk_inserts` (both variants) is its batch insert of
//! `Insertable` structs, 1,000 rows per statement, in one transaction; `bulk_updates` is one
//! `UPDATE ... SET name` per loaded struct in one transaction. `streamed` uses `load_iter`
//! (`PgRowByRowLoadingMode` on PostgreSQL, so rows are not buffered there; SQLite steps
//! the statement; the MySQL backend buffers the result client-side).

use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;

use super::{Failure, Job, Kept, Rows, Tree, tree_rows};
use crate::harness::Stopwatch;
use crate::workloads::{
    Backend, Workload, YIELD_PER, hair_color, item_description, item_name, lookup_ids, user_name,
};

mod schema {
    diesel::table! { items (id) { id -> BigInt, name -> Text, description -> Text, } }
    diesel::table! { users (id) { id -> BigInt, name -> Text, hair_color -> Nullable<Text>, } }
    diesel::table! { posts (id) { id -> BigInt, user_id -> BigInt, title -> Text, body -> Nullable<Text>, } }
    diesel::table! { comments (id) { id -> BigInt, post_id -> BigInt, text -> Text, } }
    diesel::joinable!(posts -> users (user_id));
    diesel::joinable!(comments -> posts (post_id));
    diesel::allow_tables_to_appear_in_same_query!(users, posts, comments);
}

use schema::{comments, items, posts, users};

/// A row of `items`.
#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = items)]
#[allow(dead_code, reason = "materialised for the measurement, not read")]
pub struct Item {
    id: i64,
    name: String,
    description: String,
}

/// A new row of `items`.
#[derive(Insertable)]
#[diesel(table_name = items)]
pub struct NewItem {
    name: String,
    description: String,
}

/// A row of `users`.
#[derive(Queryable, Selectable, Identifiable, Debug, PartialEq)]
#[diesel(table_name = users)]
pub struct User {
    id: i64,
    name: String,
    hair_color: Option<String>,
}

/// A new row of `users`.
#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    name: String,
    hair_color: Option<String>,
}

/// A row of `posts`.
#[derive(Queryable, Selectable, Identifiable, Associations, Debug, PartialEq)]
#[diesel(belongs_to(User), table_name = posts)]
pub struct Post {
    id: i64,
    user_id: i64,
    title: String,
    body: Option<String>,
}

/// A row of `comments`.
#[derive(Queryable, Selectable, Identifiable, Associations, Debug, PartialEq)]
#[diesel(belongs_to(Post), table_name = comments)]
pub struct Comment {
    id: i64,
    post_id: i64,
    text: String,
}

/// Rows per batch `INSERT` statement.
const INSERT_CHUNK: usize = 1000;

/// Connects to `$backend` and evaluates `$body` with `$conn` bound to the concrete
/// connection and `$mode` to the loading mode that streams on that backend.
macro_rules! with_connection {
    ($backend:expr, $url:expr, |$conn:ident, $mode:ident| $body:expr) => {
        match $backend {
            Backend::Sqlite => {
                type $mode = DefaultLoadingMode;
                let mut $conn = SqliteConnection::establish($url)?;
                $body
            }
            Backend::Postgres => {
                type $mode = diesel::pg::PgRowByRowLoadingMode;
                let mut $conn = PgConnection::establish($url)?;
                $body
            }
            Backend::Mysql => {
                type $mode = DefaultLoadingMode;
                let mut $conn = MysqlConnection::establish($url)?;
                $body
            }
        }
    };
}

/// Runs `job` with Diesel.
pub fn run(job: &Job, watch: &mut Stopwatch) -> Rows {
    let n = job.size;
    let url = job.backend.url();
    with_connection!(job.backend, &url, |conn, Streaming| {
        let conn = &mut conn;
        match job.workload {
            Workload::LargeObjects => Ok(watch
                .time(|| items::table.select(Item::as_select()).load(conn))?
                .kept()),
            Workload::LargeColumns => Ok(watch
                .time(|| {
                    items::table
                        .select((items::id, items::name, items::description))
                        .load::<(i64, String, String)>(conn)
                })?
                .kept()),
            Workload::LargeStreamed | Workload::LargeYieldPer => watch.time(|| {
                let mut seen = 0;
                let mut batch = Vec::with_capacity(YIELD_PER);
                let rows = items::table
                    .select(Item::as_select())
                    .load_iter::<Item, Streaming>(conn)?;
                for row in rows {
                    batch.push(row?);
                    if batch.len() == YIELD_PER {
                        seen += batch.len();
                        batch.clear();
                    }
                }
                Ok::<_, Failure>(seen + batch.len())
            }),
            Workload::ShortGet => watch.time(|| {
                let mut found = 0;
                for id in lookup_ids(n, job.table_rows) {
                    let item = items::table
                        .find(id)
                        .select(Item::as_select())
                        .first(conn)?;
                    found += usize::from(item.id == id);
                }
                Ok::<_, Failure>(found)
            }),
            Workload::BulkUnitOfWork | Workload::BulkCore => {
                let rows = new_items(n);
                watch.time(|| {
                    conn.transaction(|c| {
                        for chunk in rows.chunks(INSERT_CHUNK) {
                            diesel::insert_into(items::table).values(chunk).execute(c)?;
                        }
                        diesel::QueryResult::Ok(())
                    })
                })?;
                Ok(n)
            }
            Workload::SingleInserts => {
                let rows = new_items(n);
                watch.time(|| {
                    for row in &rows {
                        conn.transaction(|c| {
                            diesel::insert_into(items::table).values(row).execute(c)
                        })?;
                    }
                    diesel::QueryResult::Ok(())
                })?;
                Ok(n)
            }
            Workload::BulkUpdates => watch.time(|| {
                let mut loaded = items::table.select(Item::as_select()).load(conn)?;
                for item in &mut loaded {
                    item.name.push('!');
                }
                conn.transaction(|c| {
                    for item in &loaded {
                        diesel::update(items::table.find(item.id))
                            .set(items::name.eq(&item.name))
                            .execute(c)?;
                    }
                    diesel::QueryResult::Ok(())
                })?;
                Ok::<_, Failure>(loaded.len())
            }),
            Workload::DieselTrivial => Ok(watch
                .time(|| users::table.select(User::as_select()).load(conn))?
                .kept()),
            Workload::DieselMedium => Ok(watch
                .time(|| {
                    users::table
                        .left_join(posts::table)
                        .filter(users::hair_color.eq("black"))
                        .select((User::as_select(), Option::<Post>::as_select()))
                        .load::<(User, Option<Post>)>(conn)
                })?
                .kept()),
            Workload::DieselAssociations => watch.time(|| {
                let all_users = users::table.select(User::as_select()).load(conn)?;
                let all_posts = Post::belonging_to(&all_users)
                    .select(Post::as_select())
                    .load(conn)?;
                let all_comments = Comment::belonging_to(&all_posts)
                    .select(Comment::as_select())
                    .load(conn)?;
                let comments_per_post = all_comments.grouped_by(&all_posts);
                let posts_per_user = all_posts
                    .into_iter()
                    .zip(comments_per_post)
                    .grouped_by(&all_users);
                let tree: Tree<User, Post, Comment> =
                    all_users.into_iter().zip(posts_per_user).collect();
                Ok::<_, Failure>(tree_rows(&tree))
            }),
            Workload::DieselInsert => {
                let rows: Vec<NewUser> = (1..=n)
                    .map(|i| NewUser {
                        name: user_name(i),
                        hair_color: hair_color(i).map(str::to_owned),
                    })
                    .collect();
                watch.time(|| {
                    diesel::insert_into(users::table)
                        .values(&rows)
                        .execute(conn)
                })?;
                Ok(n)
            }
        }
    })
}

fn new_items(n: usize) -> Vec<NewItem> {
    (1..=n)
        .map(|i| NewItem {
            name: item_name(i),
            description: item_description(i),
        })
        .collect()
}
