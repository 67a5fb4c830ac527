//! A streaming hot standby of the 5433 primary (`scripts/engines.sh`, 5435): an engine on
//! it for a test's schema, and waiting for it to replay the test's rows.

use std::time::{Duration, Instant};

use aludel::engine::Backend;
use aludel::orm::{Model, Session, create_all};
use aludel::sql::text;
use aludel::{Engine, Result};

use super::query_fixture::User;
use super::{TestDb, run_on_servers};

/// A user named `name`, of no age.
pub fn user(id: i64, name: &str) -> User {
    User {
        id,
        name: name.into(),
        age: None,
    }
}

/// Runs `body` with a fresh schema on the primary holding `users` (committed, and
/// replayed by the replica) and an engine on the replica for that schema; prints
/// SKIPPED and passes when either server is not configured.
pub fn with_primary_and_replica(
    test: &str,
    users: Vec<User>,
    body: impl FnOnce(&TestDb, &Engine) -> Result<()>,
) {
    run_on_servers(
        Backend::Postgres,
        &["ALUDEL_TEST_PG_PRIMARY"],
        test,
        |dbs| {
            let primary = &dbs[0];
            let Some(replica) = replica_of(primary) else {
                return Ok(());
            };
            let replica = replica?;
            create_all(primary, &[User::info()])?;
            let count = users.len() as i64;
            let s = Session::new(primary);
            s.add_all(users)?;
            s.commit()?;
            await_replay(&replica, count)?;
            body(primary, &replica)
        },
    );
}

/// An engine on the replica, looking at the same schema as `primary`.
pub fn replica_of(primary: &TestDb) -> Option<Result<Engine>> {
    let Ok(base) = std::env::var("ALUDEL_TEST_PG_REPLICA") else {
        eprintln!("SKIPPED (ALUDEL_TEST_PG_REPLICA not set; run scripts/engines.sh start)");
        return None;
    };
    let url = format!("{base}?search_path={}", primary.name());
    Some(aludel::create_engine(&url))
}

/// Waits (up to 20 s) until the replica has replayed `users` with `count` rows.
pub fn await_replay(replica: &Engine, count: i64) -> Result<()> {
    let started = Instant::now();
    loop {
        let seen = replica
            .connect()?
            .scalar::<i64>(&text("SELECT count(*) FROM users"), ());
        match seen {
            Ok(n) if n == count => return Ok(()),
            _ if started.elapsed() > Duration::from_secs(20) => {
                panic!("the replica did not replay {count} users within 20 s: {seen:?}")
            }
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}
