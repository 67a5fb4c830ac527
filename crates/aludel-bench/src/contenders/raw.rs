//! `raw`: the drivers by hand (rusqlite, postgres, mysql), the physical limit. Each workload
//! is written once over the [`Driver`] trait, whose three implementations are the plain
//! driver calls: prepared (and cached) statements, typed column reads by position straight
//! into structs ([`Decode`] over each driver's row through [`Columns`]), one transaction
//! where the ORMs use one. Everything is statically dispatched.

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

/// Typed reads of a result row's columns by position: one implementation per driver.
trait Columns {
    fn int(&mut self, i: usize) -> Res<i64>;
    fn opt_int(&mut self, i: usize) -> Res<Option<i64>>;
    fn text(&mut self, i: usize) -> Res<String>;
    fn opt_text(&mut self, i: usize) -> Res<Option<String>>;
}

/// A struct (or tuple) built from a row.
trait Decode: Sized {
    fn decode(row: &mut impl Columns) -> Res<Self>;
}

impl Decode for Item {
    fn decode(row: &mut impl Columns) -> Res<Self> {
        Ok(Item {
            id: row.int(0)?,
            name: row.text(1)?,
            description: row.text(2)?,
        })
    }
}

impl Decode for (i64, String, String) {
    fn decode(row: &mut impl Columns) -> Res<Self> {
        Ok((row.int(0)?, row.text(1)?, row.text(2)?))
    }
}

impl Decode for User {
    fn decode(row: &mut impl Columns) -> Res<Self> {
        Ok(User {
            id: row.int(0)?,
            name: row.text(1)?,
            hair_color: row.opt_text(2)?,
        })
    }
}

/// The post whose columns start at `base`, `None` when its key is NULL (outer join).
fn post_at(row: &mut impl Columns, base: usize) -> Res<Option<Post>> {
    let Some(id) = row.opt_int(base)? else {
        return Ok(None);
    };
    Ok(Some(Post {
        id,
        user_id: row.int(base + 1)?,
        title: row.text(base + 2)?,
        body: row.opt_text(base + 3)?,
    }))
}

impl Decode for Post {
    fn decode(row: &mut impl Columns) -> Res<Self> {
        post_at(row, 0)?.ok_or_else(|| Failure::Error("a post with a NULL id".into()))
    }
}

impl Decode for (User, Option<Post>) {
    fn decode(row: &mut impl Columns) -> Res<Self> {
        Ok((User::decode(row)?, post_at(row, 3)?))
    }
}

impl Decode for Comment {
    fn decode(row: &mut impl Columns) -> Res<Self> {
        Ok(Comment {
            id: row.int(0)?,
            post_id: row.int(1)?,
            text: row.text(2)?,
        })
    }
}

/// The driver calls the workloads are made of.
trait Driver {
    /// Every row of `sql`, decoded.
    fn rows<T: Decode>(&mut self, sql: &str) -> Res<Vec<T>>;
    /// Reads `sql`'s rows unbuffered, handing them to `batch` [`YIELD_PER`] at a time.
    fn stream<T: Decode>(&mut self, sql: &str, batch: &mut dyn FnMut(Vec<T>)) -> Res<()>;
    fn get_item(&mut self, id: i64) -> Res<Item>;
    /// Inserts `(name, description)` rows with one prepared statement, all in one
    /// transaction or each in its own.
    fn insert_items(&mut self, rows: &[(String, String)], tx_per_row: bool) -> Res<()>;
    fn update_names(&mut self, items: &[Item]) -> Res<()>;
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
        Workload::LargeObjects => Ok(watch.time(|| db.rows::<Item>(ITEMS))?.kept()),
        Workload::LargeColumns => Ok(watch
            .time(|| db.rows::<(i64, String, String)>(ITEMS))?
            .kept()),
        Workload::LargeStreamed | Workload::LargeYieldPer => watch.time(|| {
            let mut seen = 0;
            db.stream::<Item>(ITEMS, &mut |batch| seen += batch.len())?;
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
            let mut items = db.rows::<Item>(ITEMS)?;
            for item in &mut items {
                item.name.push('!');
            }
            db.update_names(&items)?;
            Ok(items.len())
        }),
        Workload::DieselTrivial => Ok(watch.time(|| db.rows::<User>(USERS))?.kept()),
        Workload::DieselMedium => Ok(watch
            .time(|| db.rows::<(User, Option<Post>)>(USERS_POSTS))?
            .kept()),
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
    let users = db.rows::<User>(USERS)?;
    let posts = db.rows::<Post>(&format!(
        "SELECT id, user_id, title, body FROM posts WHERE user_id IN ({})",
        id_list(users.iter().map(|u| u.id))
    ))?;
    let comments = db.rows::<Comment>(&format!(
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

/// Hands rows to a streaming reader's sink [`YIELD_PER`] at a time.
struct Batches<'s, T> {
    buf: Vec<T>,
    sink: &'s mut dyn FnMut(Vec<T>),
}

impl<'s, T> Batches<'s, T> {
    fn new(sink: &'s mut dyn FnMut(Vec<T>)) -> Self {
        Batches {
            buf: Vec::with_capacity(YIELD_PER),
            sink,
        }
    }

    fn push(&mut self, row: T) {
        self.buf.push(row);
        if self.buf.len() == YIELD_PER {
            (self.sink)(std::mem::replace(
                &mut self.buf,
                Vec::with_capacity(YIELD_PER),
            ));
        }
    }

    fn finish(self) {
        if !self.buf.is_empty() {
            (self.sink)(self.buf);
        }
    }
}

impl Columns for &rusqlite::Row<'_> {
    fn int(&mut self, i: usize) -> Res<i64> {
        Ok(self.get(i)?)
    }
    fn opt_int(&mut self, i: usize) -> Res<Option<i64>> {
        Ok(self.get(i)?)
    }
    fn text(&mut self, i: usize) -> Res<String> {
        Ok(self.get(i)?)
    }
    fn opt_text(&mut self, i: usize) -> Res<Option<String>> {
        Ok(self.get(i)?)
    }
}

impl Driver for rusqlite::Connection {
    fn rows<T: Decode>(&mut self, sql: &str) -> Res<Vec<T>> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(mut row) = rows.next()? {
            out.push(T::decode(&mut row)?);
        }
        Ok(out)
    }

    fn stream<T: Decode>(&mut self, sql: &str, batch: &mut dyn FnMut(Vec<T>)) -> Res<()> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query([])?;
        let mut batches = Batches::new(batch);
        while let Some(mut row) = rows.next()? {
            batches.push(T::decode(&mut row)?);
        }
        batches.finish();
        Ok(())
    }

    fn get_item(&mut self, id: i64) -> Res<Item> {
        let mut stmt =
            self.prepare_cached("SELECT id, name, description FROM items WHERE id = ?1")?;
        let mut rows = stmt.query([id])?;
        let mut row = rows
            .next()?
            .ok_or_else(|| Failure::Error(format!("no item {id}")))?;
        Item::decode(&mut row)
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

impl Columns for &postgres::Row {
    fn int(&mut self, i: usize) -> Res<i64> {
        Ok(self.try_get(i)?)
    }
    fn opt_int(&mut self, i: usize) -> Res<Option<i64>> {
        Ok(self.try_get(i)?)
    }
    fn text(&mut self, i: usize) -> Res<String> {
        Ok(self.try_get(i)?)
    }
    fn opt_text(&mut self, i: usize) -> Res<Option<String>> {
        Ok(self.try_get(i)?)
    }
}

impl Driver for Pg {
    fn rows<T: Decode>(&mut self, sql: &str) -> Res<Vec<T>> {
        let rows = self.client.query(sql, &[])?;
        rows.iter().map(|mut r| T::decode(&mut r)).collect()
    }

    fn stream<T: Decode>(&mut self, sql: &str, batch: &mut dyn FnMut(Vec<T>)) -> Res<()> {
        use postgres::fallible_iterator::FallibleIterator;
        let mut rows = self.client.query_raw(sql, std::iter::empty::<i64>())?;
        let mut batches = Batches::new(batch);
        while let Some(row) = rows.next()? {
            batches.push(T::decode(&mut &row)?);
        }
        batches.finish();
        Ok(())
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
        Item::decode(&mut &self.client.query_one(&stmt, &[&id])?)
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

impl Columns for mysql::Row {
    fn int(&mut self, i: usize) -> Res<i64> {
        mysql_take(self, i)
    }
    fn opt_int(&mut self, i: usize) -> Res<Option<i64>> {
        mysql_take(self, i)
    }
    fn text(&mut self, i: usize) -> Res<String> {
        mysql_take(self, i)
    }
    fn opt_text(&mut self, i: usize) -> Res<Option<String>> {
        mysql_take(self, i)
    }
}

/// Moves column `i` out of a MySQL row as `T` (no copy of the text).
fn mysql_take<T: mysql::prelude::FromValue>(row: &mut mysql::Row, i: usize) -> Res<T> {
    match row.take_opt(i) {
        Some(Ok(value)) => Ok(value),
        Some(Err(e)) => Err(Failure::Error(e.to_string())),
        None => Err(Failure::Error(format!("no column {i}"))),
    }
}

impl Driver for mysql::Conn {
    fn rows<T: Decode>(&mut self, sql: &str) -> Res<Vec<T>> {
        use mysql::prelude::Queryable;
        let rows = self.query_iter(sql)?;
        rows.map(|row| T::decode(&mut row?)).collect()
    }

    fn stream<T: Decode>(&mut self, sql: &str, batch: &mut dyn FnMut(Vec<T>)) -> Res<()> {
        use mysql::prelude::Queryable;
        let mut batches = Batches::new(batch);
        for row in self.query_iter(sql)? {
            batches.push(T::decode(&mut row?)?);
        }
        batches.finish();
        Ok(())
    }

    fn get_item(&mut self, id: i64) -> Res<Item> {
        use mysql::prelude::Queryable;
        // The connection caches the prepared statement by its text.
        let row: Option<mysql::Row> = self.exec_first(
            "SELECT id, name, description FROM items WHERE id = ?",
            (id,),
        )?;
        Item::decode(&mut row.ok_or_else(|| Failure::Error(format!("no item {id}")))?)
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

    fn insert_users(&mut self, rows: &[(String, Option<String>)]) -> Res<()> {
        use mysql::prelude::Queryable;
        let mut tx = self.start_transaction(mysql::TxOpts::default())?;
        tx.exec_batch("INSERT INTO users (name, hair_color) VALUES (?, ?)", rows)?;
        tx.commit()?;
        Ok(())
    }
}
