//! The workloads, described once: their names (exactly the issue's), sizes, the data every
//! contender reads and writes, and the fixtures (tables and seed rows) the parent process
//! prepares before each measurement. The contenders implement the work itself.

use aludel::sql::text;

/// One row of the workload table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Load every row of `items` as full ORM objects / structs.
    LargeObjects,
    /// The same rows as column tuples.
    LargeColumns,
    /// The same as objects, in batches of [`YIELD_PER`], one batch in memory at a time.
    LargeStreamed,
    /// A million rows as objects in batches of [`YIELD_PER`] (the ORM's `yield_per`).
    LargeYieldPer,
    /// New objects added to a session, one commit.
    BulkUnitOfWork,
    /// The same rows through one Core multi-row insert / executemany.
    BulkCore,
    /// Primary-key lookups, each in a fresh session.
    ShortGet,
    /// Inserts, each its own transaction, on a file database.
    SingleInserts,
    /// Load objects, change `name` of each (append `!`), one commit.
    BulkUpdates,
    /// Diesel's metrics "trivial query": all users.
    DieselTrivial,
    /// Diesel's "medium complex query": users left join posts, black-haired users only.
    DieselMedium,
    /// Diesel's "loading associations": users → posts → comments.
    DieselAssociations,
    /// Diesel's "insert users": one batch of users inserted.
    DieselInsert,
}

/// Batch size of the streamed variant (SQLAlchemy's `yield_per(1000)`).
pub const YIELD_PER: usize = 1000;
/// Posts per user in the blog fixture of `diesel_medium` and `diesel_associations`.
pub const POSTS_PER_USER: usize = 10;
/// Comments per post in the blog fixture of `diesel_associations`.
pub const COMMENTS_PER_POST: usize = 10;

impl Workload {
    /// Every workload, in the order the bench runs them.
    pub const ALL: [Workload; 13] = [
        Workload::LargeObjects,
        Workload::LargeColumns,
        Workload::LargeStreamed,
        Workload::LargeYieldPer,
        Workload::ShortGet,
        Workload::BulkUnitOfWork,
        Workload::BulkCore,
        Workload::SingleInserts,
        Workload::BulkUpdates,
        Workload::DieselTrivial,
        Workload::DieselMedium,
        Workload::DieselAssociations,
        Workload::DieselInsert,
    ];

    /// The `(workload, variant)` names of the table.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Workload::LargeObjects => ("large_resultsets", "objects"),
            Workload::LargeColumns => ("large_resultsets", "columns"),
            Workload::LargeStreamed => ("large_resultsets", "streamed"),
            Workload::LargeYieldPer => ("large_resultsets", "yield_per"),
            Workload::BulkUnitOfWork => ("bulk_inserts", "unit_of_work"),
            Workload::BulkCore => ("bulk_inserts", "core"),
            Workload::ShortGet => ("short_selects", "get"),
            Workload::SingleInserts => ("single_inserts", "unit_of_work"),
            Workload::BulkUpdates => ("bulk_updates", "unit_of_work"),
            Workload::DieselTrivial => ("diesel_trivial", "objects"),
            Workload::DieselMedium => ("diesel_medium", "objects"),
            Workload::DieselAssociations => ("diesel_associations", "objects"),
            Workload::DieselInsert => ("diesel_insert", "objects"),
        }
    }

    /// `workload/variant`, the form used on the command line.
    pub fn slug(self) -> String {
        let (w, v) = self.names();
        format!("{w}/{v}")
    }

    /// Parses [`Workload::slug`].
    pub fn from_slug(slug: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.slug() == slug)
    }

    /// The size parameter: rows loaded or written (users for the Diesel workloads).
    pub fn size(self, quick: bool) -> usize {
        let full = match self {
            Workload::LargeObjects | Workload::LargeColumns | Workload::LargeStreamed => 500_000,
            Workload::LargeYieldPer => 1_000_000,
            Workload::BulkUnitOfWork | Workload::BulkCore | Workload::BulkUpdates => 100_000,
            Workload::ShortGet | Workload::SingleInserts | Workload::DieselTrivial => 10_000,
            Workload::DieselMedium => 1_000,
            Workload::DieselAssociations => 100,
            Workload::DieselInsert => 1_000,
        };
        if quick {
            match self {
                // Already small: a 10th would measure process noise.
                Workload::DieselAssociations | Workload::DieselInsert => full,
                _ => full / 10,
            }
        } else {
            full
        }
    }

    /// How many rows (objects, tuples) the work materialises or writes for `size`.
    pub fn expected_rows(self, size: usize) -> usize {
        match self {
            // Half the users have black hair, each with POSTS_PER_USER posts.
            Workload::DieselMedium => size / 2 * POSTS_PER_USER,
            Workload::DieselAssociations => {
                size * (1 + POSTS_PER_USER + POSTS_PER_USER * COMMENTS_PER_POST)
            }
            _ => size,
        }
    }

    /// The database state the workload starts from.
    pub fn fixture(self, quick: bool) -> Fixture {
        let large = Workload::LargeObjects.size(quick);
        match self {
            Workload::LargeObjects
            | Workload::LargeColumns
            | Workload::LargeStreamed
            | Workload::ShortGet => Fixture::Items(large),
            Workload::BulkUpdates | Workload::LargeYieldPer => Fixture::Items(self.size(quick)),
            Workload::BulkUnitOfWork | Workload::BulkCore | Workload::SingleInserts => {
                Fixture::Items(0)
            }
            Workload::DieselTrivial | Workload::DieselInsert => Fixture::Blog {
                users: if self == Workload::DieselInsert {
                    0
                } else {
                    self.size(quick)
                },
                posts_per_user: 0,
                comments_per_post: 0,
            },
            Workload::DieselMedium => Fixture::Blog {
                users: self.size(quick),
                posts_per_user: POSTS_PER_USER,
                comments_per_post: 0,
            },
            Workload::DieselAssociations => Fixture::Blog {
                users: self.size(quick),
                posts_per_user: POSTS_PER_USER,
                comments_per_post: COMMENTS_PER_POST,
            },
        }
    }

    /// Whether the work changes the fixture (so it is rebuilt before the next measurement).
    pub fn mutates(self) -> bool {
        matches!(
            self,
            Workload::BulkUnitOfWork
                | Workload::BulkCore
                | Workload::SingleInserts
                | Workload::BulkUpdates
                | Workload::DieselInsert
        )
    }
}

/// The databases the bench runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in WAL mode (every contender opens the same file).
    Sqlite,
    /// PostgreSQL at 127.0.0.1:5432, database `test`.
    Postgres,
    /// MariaDB / MySQL at 127.0.0.1:3306, database `test`.
    Mysql,
}

impl Backend {
    /// Every backend.
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::Mysql];

    /// The `backend` field of the report.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }

    /// Parses [`Backend::name`].
    pub fn from_name(name: &str) -> Option<Backend> {
        Backend::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The SQLite database file every contender opens.
    pub fn sqlite_path() -> std::path::PathBuf {
        std::env::temp_dir().join("aludel-bench").join("bench.db")
    }

    /// The URL in the usual `scheme://user@host:port/db` form (aludel, Diesel, SeaORM);
    /// for SQLite, the file's path.
    pub fn url(self) -> String {
        match self {
            Backend::Sqlite => Backend::sqlite_path().display().to_string(),
            Backend::Postgres => std::env::var("ALUDEL_BENCH_POSTGRES")
                .unwrap_or_else(|_| "postgresql://postgres@127.0.0.1:5432/test".into()),
            Backend::Mysql => std::env::var("ALUDEL_BENCH_MYSQL")
                .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into()),
        }
    }

    /// The URL aludel's `create_engine` takes.
    pub fn aludel_url(self) -> String {
        match self {
            Backend::Sqlite => format!("sqlite:///{}", self.url()),
            _ => self.url(),
        }
    }

    /// The autoincrementing 64-bit primary key column's DDL.
    fn id_column(self) -> &'static str {
        match self {
            Backend::Sqlite => "id INTEGER PRIMARY KEY",
            Backend::Postgres => "id BIGSERIAL PRIMARY KEY",
            Backend::Mysql => "id BIGINT AUTO_INCREMENT PRIMARY KEY",
        }
    }
}

/// The `name` column of item `i` (1-based, equal to its id after seeding).
pub fn item_name(i: usize) -> String {
    format!("item {i}")
}

/// The `description` column of item `i`.
pub fn item_description(i: usize) -> String {
    format!("description of item number {i}, a text of medium length")
}

/// The `name` of user `i`.
pub fn user_name(i: usize) -> String {
    format!("user {i}")
}

/// The `hair_color` of user `i`: black for even `i` (half the users), brown otherwise,
/// and none for every fifth odd one, so the column has NULLs.
pub fn hair_color(i: usize) -> Option<&'static str> {
    if i.is_multiple_of(2) {
        Some("black")
    } else if i.is_multiple_of(5) {
        None
    } else {
        Some("brown")
    }
}

/// The `short_selects/get` keys: `count` ids spread over `1..=table_rows`, the same for
/// every contender.
pub fn lookup_ids(count: usize, table_rows: usize) -> impl Iterator<Item = i64> {
    (0..count).map(move |i| ((i * 7919) % table_rows + 1) as i64)
}

/// The database state a workload starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixture {
    /// `items` with this many rows, ids `1..=n`, columns from [`item_name`] and
    /// [`item_description`].
    Items(usize),
    /// `users` (ids `1..=users`), each with `posts_per_user` posts, each with
    /// `comments_per_post` comments.
    Blog {
        /// Users.
        users: usize,
        /// Posts of each user.
        posts_per_user: usize,
        /// Comments of each post.
        comments_per_post: usize,
    },
}

/// Rows per seeding INSERT statement.
const SEED_CHUNK: usize = 1000;

impl Fixture {
    /// Drops and recreates the fixture's tables and seeds them (through aludel's Core
    /// connection: this is setup, never timed).
    pub fn build(self, backend: Backend) -> aludel::Result<()> {
        let engine = aludel::create_engine(&backend.aludel_url())?;
        let mut conn = engine.connect()?;
        let id = backend.id_column();
        let tables: Vec<(&str, String)> = match self {
            Fixture::Items(_) => vec![(
                "items",
                format!(
                    "CREATE TABLE items ({id}, name VARCHAR(50) NOT NULL, description VARCHAR(200) NOT NULL)"
                ),
            )],
            Fixture::Blog { .. } => vec![
                (
                    "comments",
                    format!(
                        "CREATE TABLE comments ({id}, post_id BIGINT NOT NULL, text VARCHAR(200) NOT NULL)"
                    ),
                ),
                (
                    "posts",
                    format!(
                        "CREATE TABLE posts ({id}, user_id BIGINT NOT NULL, title VARCHAR(100) NOT NULL, body VARCHAR(200))"
                    ),
                ),
                (
                    "users",
                    format!(
                        "CREATE TABLE users ({id}, name VARCHAR(50) NOT NULL, hair_color VARCHAR(50))"
                    ),
                ),
            ],
        };
        for (table, _) in &tables {
            conn.run_sql(&format!("DROP TABLE IF EXISTS {table}"), &[])?;
        }
        for (_, ddl) in tables.iter().rev() {
            conn.run_sql(ddl, &[])?;
        }
        let mut tx = conn.begin()?;
        match self {
            Fixture::Items(n) => seed(&mut tx, "items (name, description)", n, |i| {
                format!("('{}', '{}')", item_name(i), item_description(i))
            })?,
            Fixture::Blog {
                users,
                posts_per_user,
                comments_per_post,
            } => {
                tx.run_sql("CREATE INDEX posts_user_id ON posts (user_id)", &[])?;
                tx.run_sql("CREATE INDEX comments_post_id ON comments (post_id)", &[])?;
                seed(&mut tx, "users (name, hair_color)", users, |i| {
                    let hair = hair_color(i).map_or("NULL".into(), |h| format!("'{h}'"));
                    format!("('{}', {hair})", user_name(i))
                })?;
                let posts = users * posts_per_user;
                seed(&mut tx, "posts (user_id, title, body)", posts, |i| {
                    let user = (i - 1) / posts_per_user + 1;
                    format!("({user}, 'post {i} by user {user}', 'the body of post {i}')")
                })?;
                seed(
                    &mut tx,
                    "comments (post_id, text)",
                    posts * comments_per_post,
                    |i| {
                        let post = (i - 1) / comments_per_post.max(1) + 1;
                        format!("({post}, 'comment {i} on post {post}')")
                    },
                )?;
            }
        }
        tx.commit()?;
        if backend != Backend::Sqlite {
            // Fresh statistics, so the planner does not guess on a just-filled table.
            let tables = match self {
                Fixture::Items(_) => "items",
                Fixture::Blog { .. } => "users, posts, comments",
            };
            let analyze = match backend {
                Backend::Mysql => format!("ANALYZE TABLE {tables}"),
                _ => format!("ANALYZE {tables}"),
            };
            conn.execute(&text(analyze), ())?;
        }
        Ok(())
    }
}

/// Inserts rows `1..=n` of `target` (`table (columns)`) in multi-row statements.
fn seed(
    conn: &mut aludel::Connection,
    target: &str,
    n: usize,
    row: impl Fn(usize) -> String,
) -> aludel::Result<()> {
    let mut start = 1;
    while start <= n {
        let end = (start + SEED_CHUNK - 1).min(n);
        let values: Vec<String> = (start..=end).map(&row).collect();
        conn.run_sql(
            &format!("INSERT INTO {target} VALUES {}", values.join(", ")),
            &[],
        )?;
        start = end + 1;
    }
    Ok(())
}

/// Makes sure the backend answers and, for SQLite, that its file exists in WAL mode (WAL
/// is a property of the file, so every contender then runs with it).
pub fn probe(backend: Backend) -> Result<(), String> {
    if backend == Backend::Sqlite {
        let path = Backend::sqlite_path();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let conn = rusqlite::Connection::open(&path).map_err(|e| e.to_string())?;
        conn.pragma_update(None, "journal_mode", "wal")
            .map_err(|e| e.to_string())?;
        return Ok(());
    }
    let engine = aludel::create_engine(&backend.aludel_url()).map_err(|e| e.to_string())?;
    let mut conn = engine.connect().map_err(|e| e.to_string())?;
    conn.run_sql("SELECT 1", &[]).map_err(|e| e.to_string())?;
    Ok(())
}
