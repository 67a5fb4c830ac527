//! A two-node MariaDB Galera cluster, both nodes primaries (`scripts/engines.sh`:
//! ALUDEL_TEST_GALERA_1, ALUDEL_TEST_GALERA_2): what one node commits the other reads
//! (with `wsrep_sync_wait` for read-your-writes), two nodes committing the same row make the
//! later one fail with a retryable deadlock that `Retry` recovers from, and XA is refused.

mod common;

use aludel::engine::Backend;
use aludel::orm::{Model, Retry, Session, create_all};
use aludel::sql::text;
use aludel::{DatabaseErrorKind, Engine, Result};

use common::query_fixture::User;
use common::run_on_servers;

/// Reads and writes on a node wait until it has applied what the cluster committed before
/// them (`wsrep_sync_wait`: 1 reads, 2 UPDATE/DELETE, 4 INSERT): read-your-writes across
/// nodes.
const SYNC_WAIT: &str = "init_command=SET%20SESSION%20wsrep_sync_wait%3D7";

/// An engine on node 2 for database `name` (made on node 1), once node 2 has it.
fn second_node(name: &str) -> Option<Result<Engine>> {
    let Ok(base) = std::env::var("ALUDEL_TEST_GALERA_2") else {
        eprintln!("SKIPPED (ALUDEL_TEST_GALERA_2 not set; run scripts/engines.sh start)");
        return None;
    };
    let server = base
        .rsplit_once('/')
        .map_or(base.as_str(), |(server, _)| server);
    let engine = || -> Result<Engine> {
        let waiting = aludel::create_engine(&format!("{base}?{SYNC_WAIT}"))?;
        let tables = text(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = :db AND table_name = 'users'",
        );
        let seen = waiting
            .connect()?
            .scalar::<i64>(&tables, aludel::params! { "db" => name })?;
        assert_eq!(seen, 1, "node 2 has not applied the schema made on node 1");
        aludel::create_engine(&format!("{server}/{name}?{SYNC_WAIT}"))
    };
    Some(engine())
}

/// Runs `body` with an engine on each node, over one database with the `users` table.
fn on_both_nodes(test: &str, body: impl FnOnce(&Engine, &Engine) -> Result<()>) {
    run_on_servers(Backend::MySql, &["ALUDEL_TEST_GALERA_1"], test, |dbs| {
        create_all(&dbs[0], &[User::info()])?;
        let Some(node2) = second_node(dbs[0].name()) else {
            return Ok(());
        };
        let node1 = aludel::create_engine(&format!("{}?{SYNC_WAIT}", dbs[0].url()))?;
        body(&node1, &node2?)
    });
}

fn ada(age: i32) -> User {
    User {
        id: 1,
        name: "ada".into(),
        age: Some(age),
    }
}

#[test]
fn what_one_primary_commits_the_other_reads_and_changes() {
    on_both_nodes("what_one_primary_commits", |node1, node2| {
        let s1 = Session::new(node1);
        s1.add(ada(36))?;
        s1.commit()?;
        let s2 = Session::new(node2);
        let on2 = s2.get::<User>(1)?.expect("replicated to node 2");
        assert_eq!(on2.read()?.age, Some(36));
        on2.write()?.age = Some(37);
        s2.commit()?;
        // Galera is virtually synchronous: node 1 has certified node 2's commit and, with
        // wsrep_sync_wait, applies it before this read.
        let age = node1
            .connect()?
            .scalar::<i32>(&text("SELECT age FROM users WHERE id = 1"), ())?;
        assert_eq!(age, 37);
        Ok(())
    });
}

#[test]
fn the_later_of_two_conflicting_commits_is_a_retryable_deadlock() {
    on_both_nodes("the_later_of_two_conflicting_commits", |node1, node2| {
        let s = Session::new(node1);
        s.add(ada(0))?;
        s.commit()?;
        let update = |by: i32| text(format!("UPDATE users SET age = age + {by} WHERE id = 1"));
        let (mut c1, mut c2) = (node1.connect()?, node2.connect()?);
        c1.begin_transaction()?;
        c1.execute(&update(1), ())?;
        c2.begin_transaction()?;
        c2.execute(&update(10), ())?;
        c2.commit()?;
        // Node 2's commit was certified first: node 1's transaction on the same row is
        // aborted, and its COMMIT says so.
        let err = c1.commit().unwrap_err();
        let details = err.database_error().expect("a database error");
        assert_eq!(details.kind, DatabaseErrorKind::Deadlock, "{err}");
        assert_eq!(details.code.as_deref(), Some("1213"), "{err}");
        assert!(err.is_retryable(), "{err}");
        c1.rollback()?;
        // Retry runs the lost work again, on what node 2 committed.
        let s = Session::new(node2);
        let age = Retry::new(3).run(&s, |s| {
            let user = s.get::<User>(1)?.expect("row");
            let age = user.read()?.age.unwrap_or(0) + 1;
            user.write()?.age = Some(age);
            Ok(age)
        })?;
        assert_eq!(age, 11);
        Ok(())
    });
}

#[test]
fn two_phase_commit_is_refused_by_galera_before_any_work() {
    on_both_nodes("two_phase_commit_is_refused_by_galera", |node1, _| {
        let err = node1.begin_twophase(None).unwrap_err();
        let details = err.database_error().expect("a database error");
        assert_eq!(details.code.as_deref(), Some("1235"), "{err}");
        assert!(details.message.contains("Galera"), "{err}");
        let users = node1
            .connect()?
            .scalar::<i64>(&text("SELECT count(*) FROM users"), ())?;
        assert_eq!(users, 0);
        Ok(())
    });
}
