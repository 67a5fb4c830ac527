//! HAProxy in front of a replica set (`scripts/engines.sh`: port 6434 proxies the hot
//! standby 5435, with the primary 5433 as its backup): reads through it reach the replica;
//! when the replica's backend goes down (taken down through HAProxy's admin socket, its
//! sessions cut as a crash would cut them), an engine with `pool_pre_ping` replaces its
//! dead pooled connection before handing it out and reads on through the primary, while
//! an engine without it fails its first read as a disconnect (and reads on after it).

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use aludel::orm::Session;
use aludel::sql::text;
use aludel::{Engine, Result};

use common::query_fixture::User;
use common::replica::{user, with_primary_and_replica};

/// The URL through HAProxy for the primary's test schema and the admin socket, or `None`
/// after saying SKIPPED.
fn haproxy(schema: &str) -> Option<(String, String)> {
    let (Ok(base), Ok(admin)) = (
        std::env::var("ALUDEL_TEST_HAPROXY"),
        std::env::var("ALUDEL_TEST_HAPROXY_ADMIN"),
    ) else {
        eprintln!("SKIPPED (ALUDEL_TEST_HAPROXY not set; run scripts/engines.sh start)");
        return None;
    };
    Some((format!("{base}?search_path={schema}"), admin))
}

/// Sends `command` to HAProxy's admin socket and returns its answer.
fn admin(socket: &str, command: &str) -> String {
    let mut stream = UnixStream::connect(socket).expect("HAProxy's admin socket");
    stream
        .write_all(format!("{command}\n").as_bytes())
        .expect("a command to HAProxy");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .expect("HAProxy's answer");
    answer
}

/// Whether HAProxy sees the replica's backend as up (operational state 2).
fn replica_up(socket: &str) -> bool {
    admin(socket, "show servers state reads")
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.get(3) == Some(&"replica")).then(|| fields.get(5) == Some(&"2"))
        })
        .any(|up| up)
}

/// Brings the replica's backend back when the test ends, even on failure, and waits
/// (up to 10 s) for its health check to pass.
struct Restore<'a>(&'a str);

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        admin(self.0, "set server reads/replica state ready");
        let started = Instant::now();
        while !replica_up(self.0) && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The port of the server that answers `session`'s statements, and whether it is a
/// standby.
fn served_by(session: &Session) -> Result<(i64, bool)> {
    let port = session.scalar::<i64>(&text("SELECT inet_server_port()::bigint"), ())?;
    let standby = session.scalar::<bool>(&text("SELECT pg_is_in_recovery()"), ())?;
    Ok((port, standby))
}

/// A read of the users through `engine` in a new session, with the server that answered.
fn read_users(engine: &Engine) -> Result<(Vec<String>, (i64, bool))> {
    let s = Session::new(engine);
    let names = s
        .query::<User>()
        .all()?
        .iter()
        .map(|u| Ok(u.read()?.name.clone()))
        .collect::<Result<_>>()?;
    let server = served_by(&s)?;
    s.close()?;
    Ok((names, server))
}

#[test]
fn reads_through_haproxy_reach_the_replica_and_survive_its_failover_with_pre_ping() {
    let name = "reads_through_haproxy_survive_failover";
    with_primary_and_replica(name, vec![user(1, "ada")], |primary, _replica| {
        let Some((url, socket)) = haproxy(primary.name()) else {
            return Ok(());
        };
        let pinged = Engine::builder(&url)
            .pool_size(1)
            .pool_pre_ping(true)
            .build()?;
        let unpinged = Engine::builder(&url).pool_size(1).build()?;
        // Both read the replica's copy of the row; each keeps its connection pooled.
        for engine in [&pinged, &unpinged] {
            assert_eq!(read_users(engine)?, (vec!["ada".to_owned()], (5435, true)));
        }

        // The replica fails: HAProxy cuts its sessions and sends new ones to the primary.
        let _restore = Restore(&socket);
        admin(&socket, "set server reads/replica state maint");
        admin(&socket, "shutdown sessions server reads/replica");
        assert!(!replica_up(&socket));

        // Pre-ping finds the pooled connection dead and connects again: no error.
        assert_eq!(
            read_users(&pinged)?,
            (vec!["ada".to_owned()], (5433, false))
        );
        // Without it, the first read meets the dead connection; the next one reconnects.
        let err = read_users(&unpinged).unwrap_err();
        assert!(err.is_disconnect(), "{err:?}");
        assert_eq!(
            read_users(&unpinged)?,
            (vec!["ada".to_owned()], (5433, false))
        );
        Ok(())
    });
}
