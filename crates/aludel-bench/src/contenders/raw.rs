//! `raw`: the drivers by hand (rusqlite, postgres, mysql), the physical limit. Each workload
//! is written once over the [`Driver`] trait, whose three implementations are the plain
//! driver calls: prepared (and cached) statements, typed column reads straight into
//! structs, one transaction where the ORMs use one.

use std::collections::HashMap;

use super::{Failure, Job, Kept, Rows, Tree, tree_rows};
use crate::harness::Stopwatch;
use crate::workloads::{
    Backend, Workload, YIELD_PER, hair_color, item_description, item_name, lookup_ids, user_name,
};

/// A row of `items`.
#[derive(Debug, Clone)]
#[allow(dead_code, reason = "materialised for the measurement, not read")]
pub struct Item {
    id: i64,
    name: String,
    description: String,
}

/// A row of `users`.
#[derive(Debug, Clone)]
#[allow(dead_code, reason = "materialised for the measurement, not read")]
pub struct User {
    id: i64,
    name: String,
    hair_color: Option<String>,
}

/// A row of `posts`.
#[derive(Debug, Clone)]
#[allow(dead_code, reason = "materialised for the measurement, not read")]
pub struct Post {
    id: i64,
    user_id: i64,
    title: String,
    body: Option<String>,
}

/// A row of `comments`.
#[derive(Debug, Clone)]
#[allow(dead_code, reason = "materialised for the measurement, not read")]
pub struct Comment {
    id: i64,
    post_id: i64,
    text: String,
}

type Res<T> = Result<T, Failure>;

/// The driver calls the workloads are made of.
trait Driver {
    fn items(&mut self, sql: &str) -> Res<Vec<Item>>;
    fn item_tuples(&mut self, sql: &str) -> Res<Vec<(i64, String, String)>>;
    /// Reads `sql`'s rows unbuffered, handing them to `batch` [`YIELD_PER`] at a time.
    fn stream_items(&mut self, sql: &str, batch: &mut dyn FnMut(Vec<Item>)) -> Res<()>;
    fn get_item(&mut self, id: i64) -> Res<Item>;
    /// Inserts `(name, description)` rows with one prepared statement, all in one
    /// transaction or each in its own.
    fn insert_items(&mut self, rows: &[(String, String)], tx_per_row: bool) -> Res<()>;
    fn update_names(&mut self, items: &[Item]) -> Res<()>;
    fn users(&mut self, sql: &str) -> Res<Vec<User>>;
    fn users_with_posts(&mut self, sql: &str) -> Res<Vec<(User, Option<Post>)>>;
    fn posts(&mut self, sql: &str) -> Res<Vec<Post>>;
    fn comments(&mut self, sql: &str) -> Res<Vec<Comment>>;
    fn insert_users(&mut self, rows: &[(String, Option<String>)]) -> Res<()>;
}

const ITEMS: &str = "SELECT id, name, description FROM items";
const USERS: &str = "SELECT id, name, hair_color FROM users";
const USERS_POSTS: &str = "SELECT users.id, users.name, users.hair_color, posts.id, posts.user_id, posts.title, posts.body \
     FROM users LEFT JOIN posts ON users.id = posts.user_id WHERE users.hair_color = 'black'";

/// Runs `job` with the raw driver of its backend.
pub fn run(job: &Job, watch: &mut Stopwatch) -> Rows {
    let url = job.backend.url();
    match job.backend {
        Backend::Sqlite => work(&mut rusqlite::Connection::open(url)?, job, watch),
        Backend::Postgres => {
            let client = postgres::Client::connect(&url, postgres::NoTls)?;
            work(&mut Pg { client, get: None }, job, watch)
        }
        Backend::Mysql => work(
            &mut mysql::Conn::new(
                mysql::Opts::from_url(&url).map_err(|e| Failure::Error(e.to_string()))?,
            )?,
            job,
            watch,
        ),
    }
}

fn work(db: &mut impl Driver, job: &Job, watch: &mut Stopwatch) -> Rows {
    let n = job.size;
    match job.workload {
        Workload::LargeObjects => Ok(watch.time(|| db.items(ITEMS))?.kept()),
        Workload::LargeColumns => Ok(watch.time(|| db.item_tuples(ITEMS))?.kept()),
        Workload::LargeStreamed => watch.time(|| {
            let mut seen = 0;
            db.stream_items(ITEMS, &mut |batch| seen += batch.len())?;
            Ok(seen)
        }),
        Workload::ShortGet => watch.time(|| {
            let mut found = 0;
            for id in lookup_ids(n, job.table_rows) {
                found += usize::from(db.get_item(id)?.id == id);
            }
            Ok(found)
        }),
        Workload::BulkUnitOfWork | Workload::BulkCore | Workload::SingleInserts => {
            let rows: Vec<(String, String)> = (1..=n)
                .map(|i| (item_name(i), item_description(i)))
                .collect();
            let per_row = job.workload == Workload::SingleInserts;
            watch.time(|| db.insert_items(&rows, per_row))?;
            Ok(n)
        }
        Workload::BulkUpdates => watch.time(|| {
            let mut items = db.items(ITEMS)?;
            for item in &mut items {
                item.name.push('!');
            }
            db.update_names(&items)?;
            Ok(items.len())
        }),
        Workload::DieselTrivial => Ok(watch.time(|| db.users(USERS))?.kept()),
        Workload::DieselMedium => Ok(watch.time(|| db.users_with_posts(USERS_POSTS))?.kept()),
        Workload::DieselAssociations => watch.time(|| Ok(tree_rows(&associations(db)?))),
        Workload::DieselInsert => {
            let rows: Vec<(String, Option<String>)> = (1..=n)
                .map(|i| (user_name(i), hair_color(i).map(str::to_owned)))
                .collect();
            watch.time(|| db.insert_users(&rows))?;
            Ok(n)
        }
    }
}

/// Users, their posts, the posts' comments: three queries, grouped by parent key.
fn associations(db: &mut impl Driver) -> Res<Tree<User, Post, Comment>> {
    let users = db.users(USERS)?;
    let posts = db.posts(&format!(
        "SELECT id, user_id, title, body FROM posts WHERE user_id IN ({})",
        id_list(users.iter().map(|u| u.id))
    ))?;
    let comments = db.comments(&format!(
        "SELECT id, post_id, text FROM comments WHERE post_id IN ({})",
        id_list(posts.iter().map(|p| p.id))
    ))?;
    let mut comments_of: HashMap<i64, Vec<Comment>> = HashMap::new();
    for c in comments {
        comments_of.entry(c.post_id).or_default().push(c);
    }
    let mut posts_of: HashMap<i64, Vec<(Post, Vec<Comment>)>> = HashMap::new();
    for p in posts {
        let cs = comments_of.remove(&p.id).unwrap_or_default();
        posts_of.entry(p.user_id).or_default().push((p, cs));
    }
    Ok(users
        .into_iter()
        .map(|u| {
            let ps = posts_of.remove(&u.id).unwrap_or_default();
            (u, ps)
        })
        .collect())
}

fn id_list(ids: impl Iterator<Item = i64>) -> String {
    ids.map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

fn chunked_stream<I>(rows: I, batch: &mut dyn FnMut(Vec<Item>)) -> Res<()>
where
    I: Iterator<Item = Res<Item>>,
{
    let mut buf = Vec::with_capacity(YIELD_PER);
    for item in rows {
        buf.push(item?);
        if buf.len() == YIELD_PER {
            batch(std::mem::replace(&mut buf, Vec::with_capacity(YIELD_PER)));
        }
    }
    if !buf.is_empty() {
        batch(buf);
    }
    Ok(())
}

impl Driver for rusqlite::Connection {
    fn items(&mut self, sql: &str) -> Res<Vec<Item>> {
        let mut stmt = self.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| {
            Ok(Item {
                id: r.get(0)?,
                name: r.get(1)?,
                description: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn item_tuples(&mut self, sql: &str) -> Res<Vec<(i64, String, String)>> {
        let mut stmt = self.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn stream_items(&mut self, sql: &str, batch: &mut dyn FnMut(Vec<Item>)) -> Res<()> {
        let mut stmt = self.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| {
            Ok(Item {
                id: r.get(0)?,
                name: r.get(1)?,
                description: r.get(2)?,
            })
        })?;
        chunked_stream(rows.map(|r| r.map_err(Failure::from)), batch)
    }

    fn get_item(&mut self, id: i64) -> Res<Item> {
        let mut stmt =
            self.prepare_cached("SELECT id, name, description FROM items WHERE id = ?1")?;
        Ok(stmt.query_row([id], |r| {
            Ok(Item {
                id: r.get(0)?,
                name: r.get(1)?,
                description: r.get(2)?,
            })
        })?)
    }

    fn insert_items(&mut self, rows: &[(String, String)], tx_per_row: bool) -> Res<()> {
        let sql = "INSERT INTO items (name, description) VALUES (?1, ?2)";
        if tx_per_row {
            for (name, description) in rows {
                let tx = self.transaction()?;
                tx.prepare_cached(sql)?.execute((name, description))?;
                tx.commit()?;
            }
        } else {
            let tx = self.transaction()?;
            {
                let mut stmt = tx.prepare_cached(sql)?;
                for (name, description) in rows {
                    stmt.execute((name, description))?;
                }
            }
            tx.commit()?;
        }
        Ok(())
    }

    fn update_names(&mut self, items: &[Item]) -> Res<()> {
        let tx = self.transaction()?;
        {
            let mut stmt = tx.prepare_cached("UPDATE items SET name = ?1 WHERE id = ?2")?;
            for item in items {
                stmt.execute((&item.name, item.id))?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn users(&mut self, sql: &str) -> Res<Vec<User>> {
        let mut stmt = self.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| {
            Ok(User {
                id: r.get(0)?,
                name: r.get(1)?,
                hair_color: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn users_with_posts(&mut self, sql: &str) -> Res<Vec<(User, Option<Post>)>> {
        let mut stmt = self.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| {
            let user = User {
                id: r.get(0)?,
                name: r.get(1)?,
                hair_color: r.get(2)?,
            };
            let post = match r.get::<_, Option<i64>>(3)? {
                None => None,
                Some(id) => Some(Post {
                    id,
                    user_id: r.get(4)?,
                    title: r.get(5)?,
                    body: r.get(6)?,
                }),
            };
            Ok((user, post))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn posts(&mut self, sql: &str) -> Res<Vec<Post>> {
        let mut stmt = self.prepare(sql)?;
        let rows = stmt.query_map([], |r| {
            Ok(Post {
                id: r.get(0)?,
                user_id: r.get(1)?,
                title: r.get(2)?,
                body: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn comments(&mut self, sql: &str) -> Res<Vec<Comment>> {
        let mut stmt = self.prepare(sql)?;
        let rows = stmt.query_map([], |r| {
            Ok(Comment {
                id: r.get(0)?,
                post_id: r.get(1)?,
                text: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn insert_users(&mut self, rows: &[(String, Option<String>)]) -> Res<()> {
        let tx = self.transaction()?;
        {
            let mut stmt =
                tx.prepare_cached("INSERT INTO users (name, hair_color) VALUES (?1, ?2)")?;
            for (name, hair) in rows {
                stmt.execute((name, hair))?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// The postgres client with its one cached statement (the client has no statement cache
/// of its own; rusqlite's `prepare_cached` and the mysql crate's cache do the same).
pub struct Pg {
    client: postgres::Client,
    get: Option<postgres::Statement>,
}

fn pg_item(r: &postgres::Row) -> Item {
    Item {
        id: r.get(0),
        name: r.get(1),
        description: r.get(2),
    }
}

fn pg_user(r: &postgres::Row) -> User {
    User {
        id: r.get(0),
        name: r.get(1),
        hair_color: r.get(2),
    }
}

impl Driver for Pg {
    fn items(&mut self, sql: &str) -> Res<Vec<Item>> {
        Ok(self.client.query(sql, &[])?.iter().map(pg_item).collect())
    }

    fn item_tuples(&mut self, sql: &str) -> Res<Vec<(i64, String, String)>> {
        Ok(self
            .client
            .query(sql, &[])?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    fn stream_items(&mut self, sql: &str, batch: &mut dyn FnMut(Vec<Item>)) -> Res<()> {
        use postgres::fallible_iterator::FallibleIterator;
        let rows = self.client.query_raw(sql, std::iter::empty::<i64>())?;
        chunked_stream(rows.iterator().map(|r| Ok(pg_item(&r?))), batch)
    }

    fn get_item(&mut self, id: i64) -> Res<Item> {
        let stmt = match &self.get {
            Some(stmt) => stmt.clone(),
            None => {
                let stmt = self
                    .client
                    .prepare("SELECT id, name, description FROM items WHERE id = $1")?;
                self.get.insert(stmt).clone()
            }
        };
        Ok(pg_item(&self.client.query_one(&stmt, &[&id])?))
    }

    fn insert_items(&mut self, rows: &[(String, String)], tx_per_row: bool) -> Res<()> {
        let stmt = self
            .client
            .prepare("INSERT INTO items (name, description) VALUES ($1, $2)")?;
        if tx_per_row {
            for (name, description) in rows {
                let mut tx = self.client.transaction()?;
                tx.execute(&stmt, &[name, description])?;
                tx.commit()?;
            }
        } else {
            let mut tx = self.client.transaction()?;
            for (name, description) in rows {
                tx.execute(&stmt, &[name, description])?;
            }
            tx.commit()?;
        }
        Ok(())
    }

    fn update_names(&mut self, items: &[Item]) -> Res<()> {
        let mut tx = self.client.transaction()?;
        let stmt = tx.prepare("UPDATE items SET name = $1 WHERE id = $2")?;
        for item in items {
            tx.execute(&stmt, &[&item.name, &item.id])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn users(&mut self, sql: &str) -> Res<Vec<User>> {
        Ok(self.client.query(sql, &[])?.iter().map(pg_user).collect())
    }

    fn users_with_posts(&mut self, sql: &str) -> Res<Vec<(User, Option<Post>)>> {
        Ok(self
            .client
            .query(sql, &[])?
            .iter()
            .map(|r| {
                let post = r.get::<_, Option<i64>>(3).map(|id| Post {
                    id,
                    user_id: r.get(4),
                    title: r.get(5),
                    body: r.get(6),
                });
                (pg_user(r), post)
            })
            .collect())
    }

    fn posts(&mut self, sql: &str) -> Res<Vec<Post>> {
        Ok(self
            .client
            .query(sql, &[])?
            .iter()
            .map(|r| Post {
                id: r.get(0),
                user_id: r.get(1),
                title: r.get(2),
                body: r.get(3),
            })
            .collect())
    }

    fn comments(&mut self, sql: &str) -> Res<Vec<Comment>> {
        Ok(self
            .client
            .query(sql, &[])?
            .iter()
            .map(|r| Comment {
                id: r.get(0),
                post_id: r.get(1),
                text: r.get(2),
            })
            .collect())
    }

    fn insert_users(&mut self, rows: &[(String, Option<String>)]) -> Res<()> {
        let mut tx = self.client.transaction()?;
        let stmt = tx.prepare("INSERT INTO users (name, hair_color) VALUES ($1, $2)")?;
        for (name, hair) in rows {
            tx.execute(&stmt, &[name, hair])?;
        }
        tx.commit()?;
        Ok(())
    }
}

impl Driver for mysql::Conn {
    fn items(&mut self, sql: &str) -> Res<Vec<Item>> {
        use mysql::prelude::Queryable;
        Ok(self.query_map(sql, |(id, name, description)| Item {
            id,
            name,
            description,
        })?)
    }

    fn item_tuples(&mut self, sql: &str) -> Res<Vec<(i64, String, String)>> {
        use mysql::prelude::Queryable;
        Ok(self.query(sql)?)
    }

    fn stream_items(&mut self, sql: &str, batch: &mut dyn FnMut(Vec<Item>)) -> Res<()> {
        use mysql::prelude::Queryable;
        let rows = self.query_iter(sql)?;
        chunked_stream(
            rows.map(|row| {
                let (id, name, description) =
                    mysql::from_row_opt(row?).map_err(|e| Failure::Error(e.to_string()))?;
                Ok(Item {
                    id,
                    name,
                    description,
                })
            }),
            batch,
        )
    }

    fn get_item(&mut self, id: i64) -> Res<Item> {
        use mysql::prelude::Queryable;
        // The connection caches the prepared statement by its text.
        let row: Option<(i64, String, String)> = self.exec_first(
            "SELECT id, name, description FROM items WHERE id = ?",
            (id,),
        )?;
        let (id, name, description) = row.ok_or_else(|| Failure::Error(format!("no item {id}")))?;
        Ok(Item {
            id,
            name,
            description,
        })
    }

    fn insert_items(&mut self, rows: &[(String, String)], tx_per_row: bool) -> Res<()> {
        use mysql::prelude::Queryable;
        let sql = "INSERT INTO items (name, description) VALUES (?, ?)";
        if tx_per_row {
            for row in rows {
                let mut tx = self.start_transaction(mysql::TxOpts::default())?;
                tx.exec_drop(sql, row)?;
                tx.commit()?;
            }
        } else {
            let mut tx = self.start_transaction(mysql::TxOpts::default())?;
            tx.exec_batch(sql, rows)?;
            tx.commit()?;
        }
        Ok(())
    }

    fn update_names(&mut self, items: &[Item]) -> Res<()> {
        use mysql::prelude::Queryable;
        let mut tx = self.start_transaction(mysql::TxOpts::default())?;
        tx.exec_batch(
            "UPDATE items SET name = ? WHERE id = ?",
            items.iter().map(|i| (&i.name, i.id)),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn users(&mut self, sql: &str) -> Res<Vec<User>> {
        use mysql::prelude::Queryable;
        Ok(self.query_map(sql, |(id, name, hair_color)| User {
            id,
            name,
            hair_color,
        })?)
    }

    fn users_with_posts(&mut self, sql: &str) -> Res<Vec<(User, Option<Post>)>> {
        use mysql::prelude::Queryable;
        type R = (
            i64,
            String,
            Option<String>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
        );
        Ok(
            self.query_map(sql, |(id, name, hair_color, pid, uid, title, body): R| {
                let post = pid.map(|pid| Post {
                    id: pid,
                    user_id: uid.unwrap_or_default(),
                    title: title.unwrap_or_default(),
                    body,
                });
                (
                    User {
                        id,
                        name,
                        hair_color,
                    },
                    post,
                )
            })?,
        )
    }

    fn posts(&mut self, sql: &str) -> Res<Vec<Post>> {
        use mysql::prelude::Queryable;
        Ok(self.query_map(sql, |(id, user_id, title, body)| Post {
            id,
            user_id,
            title,
            body,
        })?)
    }

    fn comments(&mut self, sql: &str) -> Res<Vec<Comment>> {
        use mysql::prelude::Queryable;
        Ok(self.query_map(sql, |(id, post_id, text)| Comment { id, post_id, text })?)
    }

    fn insert_users(&mut self, rows: &[(String, Option<String>)]) -> Res<()> {
        use mysql::prelude::Queryable;
        let mut tx = self.start_transaction(mysql::TxOpts::default())?;
        tx.exec_batch("INSERT INTO users (name, hair_color) VALUES (?, ?)", rows)?;
        tx.commit()?;
        Ok(())
    }
}
