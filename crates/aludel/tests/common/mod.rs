//! Backend-parametrised test harness.
//!
//! A test is written once with [`backend_tests!`] and runs on SQLite, PostgreSQL and
//! MySQL/MariaDB, each in its own isolated database so tests run in parallel:
//! SQLite a fresh temporary file, PostgreSQL a schema `t_<test>` (dropped first, and
//! selected through `search_path`), MariaDB a database `t_<test>`. Server URLs come from
//! `ALUDEL_TEST_POSTGRES` / `ALUDEL_TEST_MYSQL`; when one is unset that backend's tests
//! print `SKIPPED (... not set)` to stderr and pass.
#![allow(dead_code)]

pub mod accounts;
pub mod parts_fixture;
pub mod query_fixture;
pub mod relationship_fixture;
pub mod replica;
pub mod sql_text;

use std::ops::Deref;

use aludel::engine::{Backend, Engine, EngineBuilder};

/// One test's isolated database: derefs to its [`Engine`].
pub struct TestDb {
    engine: Engine,
    url: String,
    backend: Backend,
    name: String,
    /// The environment variable naming the server the test database lives on.
    server_var: &'static str,
}

impl Deref for TestDb {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        &self.engine
    }
}

impl TestDb {
    /// The backend under test.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A builder for another engine on the same isolated database (to set pool options).
    pub fn builder(&self) -> EngineBuilder {
        Engine::builder(&self.url)
    }

    /// The isolated database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The test's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Picks the SQL for the backend under test.
    pub fn pick<'a>(&self, sqlite: &'a str, postgres: &'a str, mysql: &'a str) -> &'a str {
        match self.backend {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
            Backend::MySql => mysql,
        }
    }
}

fn env_url(var: &str, test: &str, backend: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("SKIPPED ({var} not set): {test} on {backend}");
            None
        }
    }
}

/// `t_<test>` squeezed into an identifier PostgreSQL and MySQL accept (≤ 63 chars).
/// `ALUDEL_TEST_NS` (letters and digits) prefixes it, so two checkouts can run the suite
/// against the same servers at once.
fn db_name(test: &str) -> String {
    let clean: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let ns: String = std::env::var("ALUDEL_TEST_NS")
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .take(8)
        .collect();
    let mut name = if ns.is_empty() {
        format!("t_{clean}")
    } else {
        format!("t{ns}_{clean}")
    };
    name.truncate(60);
    name
}

/// Replaces the database (path) part of a server URL.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn with_query(url: &str, pair: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{pair}")
}

/// How one server backend isolates a test: its URL variable, cargo feature, the script
/// that creates the test's namespace and the one that drops it.
struct Server {
    var: &'static str,
    enabled: bool,
    create: &'static str,
    drop: &'static str,
}

fn server(backend: Backend) -> Option<Server> {
    match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(Server {
            var: "ALUDEL_TEST_POSTGRES",
            enabled: cfg!(feature = "postgres"),
            create: "DROP SCHEMA IF EXISTS {} CASCADE; CREATE SCHEMA {}",
            drop: "DROP SCHEMA IF EXISTS {} CASCADE",
        }),
        Backend::MySql => Some(Server {
            var: "ALUDEL_TEST_MYSQL",
            enabled: cfg!(feature = "mysql"),
            create: "DROP DATABASE IF EXISTS {}; CREATE DATABASE {} CHARACTER SET utf8mb4",
            drop: "DROP DATABASE IF EXISTS {}",
        }),
    }
}

/// Runs `script` (with `{}` replaced by the test's namespace) on the server at `var`.
fn admin(var: &str, script: &str, name: &str) -> aludel::Result<()> {
    let base = std::env::var(var).unwrap_or_default();
    aludel::create_engine(&base)?
        .connect()?
        .execute_script(&script.replace("{}", name))
}

fn sqlite_files(path: &str) {
    for ext in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{path}{ext}"));
    }
}

fn setup(backend: Backend, test: &str) -> Option<TestDb> {
    setup_at(backend, None, test)
}

/// [`setup`] on the server at `var` instead of the backend's usual one.
fn setup_at(backend: Backend, var: Option<&'static str>, test: &str) -> Option<TestDb> {
    let name = db_name(test);
    let server = server(backend).map(|s| Server {
        var: var.unwrap_or(s.var),
        ..s
    });
    let server_var = server.as_ref().map_or("", |s| s.var);
    let url = match server {
        None => {
            let path =
                std::env::temp_dir().join(format!("aludel-{}-{name}.db", std::process::id()));
            let path = path.display().to_string();
            sqlite_files(&path);
            format!("sqlite:///{path}")
        }
        Some(server) => {
            if !server.enabled {
                eprintln!(
                    "SKIPPED (built without the {} feature): {test}",
                    backend.name()
                );
                return None;
            }
            let base = env_url(server.var, test, backend.name())?;
            if let Err(e) = admin(server.var, server.create, &name) {
                panic!("cannot prepare {name} on the server at {}: {e}", server.var);
            }
            match backend {
                Backend::Postgres => with_query(&base, &format!("search_path={name}")),
                _ => with_database(&base, &name),
            }
        }
    };
    let engine = Engine::builder(&url)
        .pool_timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("test engine");
    Some(TestDb {
        engine,
        url,
        backend,
        name,
        server_var,
    })
}

fn teardown(db: TestDb) {
    db.engine.dispose();
    match server(db.backend) {
        None => sqlite_files(db.url.trim_start_matches("sqlite:///")),
        Some(server) => {
            let _ = admin(db.server_var, server.drop, &db.name);
        }
    }
}

/// Runs `body` on `backend` in a fresh database; panics with the error on failure.
pub fn run(backend: Backend, test: &str, body: impl FnOnce(&TestDb) -> aludel::Result<()>) {
    let Some(db) = setup(backend, test) else {
        return;
    };
    let result = body(&db);
    teardown(db);
    if let Err(e) = result {
        panic!("{test} failed on {}: {e}", backend.name());
    }
}

/// Runs `body` with one fresh database on each server named by `vars` (environment
/// variables holding server URLs, such as the scale-out engines `scripts/engines.sh`
/// starts); prints SKIPPED and passes when one is unset.
pub fn run_on_servers(
    backend: Backend,
    vars: &[&'static str],
    test: &str,
    body: impl FnOnce(&[TestDb]) -> aludel::Result<()>,
) {
    let mut dbs = Vec::new();
    for (i, var) in vars.iter().enumerate() {
        match setup_at(backend, Some(var), &format!("{i}_{test}")) {
            Some(db) => dbs.push(db),
            None => {
                dbs.into_iter().for_each(teardown);
                return;
            }
        }
    }
    let result = body(&dbs);
    dbs.into_iter().for_each(teardown);
    if let Err(e) = result {
        panic!("{test} failed on {}: {e}", backend.name());
    }
}

/// Defines tests that run once per backend:
///
/// ```ignore
/// backend_tests! {
///     fn inserts_round_trip(db) {
///         db.connect()?.execute(&text("SELECT 1"), ())?;
///         Ok(())
///     }
/// }
/// ```
///
/// expands to a module `inserts_round_trip` with tests `sqlite`, `postgres` and `mysql`.
#[macro_export]
macro_rules! backend_tests {
    ($( $(#[$meta:meta])* fn $name:ident($db:ident) $body:block )*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn body($db: &$crate::common::TestDb) -> aludel::Result<()> $body

            #[test]
            fn sqlite() {
                $crate::common::run(aludel::engine::Backend::Sqlite, stringify!($name), body);
            }

            #[test]
            fn postgres() {
                $crate::common::run(aludel::engine::Backend::Postgres, stringify!($name), body);
            }

            #[test]
            fn mysql() {
                $crate::common::run(aludel::engine::Backend::MySql, stringify!($name), body);
            }
        }
    )*};
}

/// Current resident set size and its peak, in KiB, from /proc/self/status.
pub fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
