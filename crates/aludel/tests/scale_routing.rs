//! Read/write splitting (`Routing` as a bind) against a real PostgreSQL primary (5433,
//! ALUDEL_TEST_PG_PRIMARY) and its streaming hot standby (5435, ALUDEL_TEST_PG_REPLICA),
//! both started by `scripts/engines.sh`: plain reads go to a replica (round-robin or a
//! chooser), flushes, bulk writes and `with_for_update` to the primary; after a flush, or
//! `use_primary()`, the unit of work reads from the primary until it ends; a write that
//! reaches the replica fails with the read-only error.

mod common;

use std::time::{Duration, Instant};

use aludel::engine::Backend;
use aludel::orm::{Binds, Model, Routing, Session, SessionConfig, SynchronizeSession, create_all};
use aludel::sql::{LockOptions, text};
use aludel::{DatabaseErrorKind, Engine, Result, StatementRecorder};

use common::{TestDb, run_on_servers};

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "accounts")]
struct Account {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 40)]
    owner: String,
}

fn account(id: i64, owner: &str) -> Account {
    Account {
        id,
        owner: owner.into(),
    }
}

/// An engine on the replica, looking at the primary's test schema.
fn replica_of(primary: &TestDb) -> Option<Result<Engine>> {
    let Ok(base) = std::env::var("ALUDEL_TEST_PG_REPLICA") else {
        eprintln!("SKIPPED (ALUDEL_TEST_PG_REPLICA not set; run scripts/engines.sh start)");
        return None;
    };
    Some(aludel::create_engine(&format!(
        "{base}?search_path={}",
        primary.name()
    )))
}

/// Waits (up to 20 s) until the replica has replayed `count` accounts.
fn await_replay(replica: &Engine, count: i64) -> Result<()> {
    let started = Instant::now();
    loop {
        let seen = replica
            .connect()?
            .scalar::<i64>(&text("SELECT count(*) FROM accounts"), ());
        match seen {
            Ok(n) if n == count => return Ok(()),
            _ if started.elapsed() > Duration::from_secs(20) => {
                panic!("the replica did not replay {count} accounts within 20 s: {seen:?}")
            }
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// How many recorded statements mention `accounts` (the test's own statements).
fn on_accounts(rec: &StatementRecorder) -> usize {
    rec.statements()
        .iter()
        .filter(|q| q.contains("accounts"))
        .count()
}

fn with_primary_and_replica(test: &str, body: impl FnOnce(&Engine, &Engine) -> Result<()>) {
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
            create_all(primary, &[Account::info()])?;
            let s = Session::new(primary);
            s.add_all([account(1, "ada"), account(2, "grace")])?;
            s.commit()?;
            await_replay(&replica, 2)?;
            body(primary, &replica)
        },
    );
}

#[test]
fn reads_go_to_the_replica_and_writes_to_the_primary() {
    with_primary_and_replica("routing_reads_and_writes", |primary, replica| {
        let (on_primary, on_replica) = (primary.record_statements(), replica.record_statements());
        let binds = Binds::new().bind(Routing::new(primary).replica(replica));
        let s = Session::with_binds(binds, SessionConfig::default());

        // A plain read: the replica.
        assert_eq!(s.query::<Account>().all()?.len(), 2);
        assert_eq!(s.query::<Account>().count()?, 2);
        assert_eq!((on_accounts(&on_primary), on_accounts(&on_replica)), (0, 2));

        // A locking read: the primary.
        let locked = s
            .query::<Account>()
            .filter(Account::id.eq(1))
            .with_for_update(LockOptions::update())
            .one()?;
        assert_eq!(locked.read()?.owner, "ada");
        let sent = on_primary.statements();
        assert!(sent.iter().any(|q| q.contains("FOR UPDATE")), "{sent:?}");

        // A flush writes to the primary; from then on this unit of work reads its writes
        // there, though the replica may not have them yet.
        s.add(account(3, "hopper"))?;
        s.flush()?;
        assert!(s.uses_primary());
        let replica_reads = on_accounts(&on_replica);
        assert_eq!(s.query::<Account>().count()?, 3);
        assert_eq!(on_accounts(&on_replica), replica_reads);
        let sent = on_primary.statements();
        assert!(
            sent.iter().any(|q| q.starts_with("INSERT INTO accounts")),
            "{sent:?}"
        );

        // A bulk UPDATE through the query: the primary.
        let changed = s
            .query::<Account>()
            .filter(Account::id.eq(2))
            .update([(Account::owner, "grace h")], SynchronizeSession::Evaluate)?;
        assert_eq!(changed, 1);
        s.commit()?;
        assert!(!s.uses_primary());
        assert_eq!(on_accounts(&on_replica), replica_reads);

        // The next unit of work reads from the replica again (once it has replayed).
        await_replay(replica, 3)?;
        let replica_reads = on_accounts(&on_replica);
        assert_eq!(s.query::<Account>().count()?, 3);
        assert_eq!(on_accounts(&on_replica), replica_reads + 1);

        // Pinned by hand: every read of the unit of work goes to the primary.
        s.rollback()?;
        s.use_primary();
        let before = on_accounts(&on_replica);
        let grace = s.get::<Account>(2)?.expect("account 2");
        assert_eq!(grace.read()?.owner, "grace h");
        assert_eq!(s.query::<Account>().count()?, 3);
        assert_eq!(on_accounts(&on_replica), before);
        s.commit()?;
        Ok(())
    });
}

#[test]
fn replicas_are_chosen_round_robin_or_by_the_chooser() {
    with_primary_and_replica("routing_choosers", |primary, replica| {
        // Two engines on the one standby, so each has its own recorder.
        let url = replica.url().to_string();
        let (first, second) = (aludel::create_engine(&url)?, aludel::create_engine(&url)?);
        let (rec1, rec2) = (first.record_statements(), second.record_statements());
        let routing = Routing::new(primary).replica(&first).replica(&second);
        for _ in 0..4 {
            let s =
                Session::with_binds(Binds::new().bind(routing.clone()), SessionConfig::default());
            assert_eq!(s.query::<Account>().count()?, 2);
        }
        assert_eq!((on_accounts(&rec1), on_accounts(&rec2)), (2, 2));

        let routing = Routing::new(primary)
            .replica(&first)
            .replica(&second)
            .chooser(|replicas| replicas.len() + 1); // taken modulo: the second
        let s = Session::with_binds(Binds::new().bind(routing), SessionConfig::default());
        assert_eq!(s.query::<Account>().all()?.len(), 2);
        assert_eq!((on_accounts(&rec1), on_accounts(&rec2)), (2, 3));
        Ok(())
    });
}

#[test]
fn a_write_that_reaches_the_replica_fails_as_read_only() {
    with_primary_and_replica("routing_read_only", |primary, replica| {
        let s = Session::with_binds(
            Binds::new().bind(primary).model::<Account>(replica),
            SessionConfig::default(),
        );
        s.add(account(9, "nobody"))?;
        let err = s.flush().unwrap_err();
        let details = err.database_error().expect("a database error");
        assert_eq!(details.kind, DatabaseErrorKind::ReadOnly, "{err}");
        assert_eq!(details.code.as_deref(), Some("25006"), "{err}");
        s.rollback()?;
        assert_eq!(
            primary
                .connect()?
                .scalar::<i64>(&text("SELECT count(*) FROM accounts"), ())?,
            2
        );
        Ok(())
    });
}

#[test]
fn a_two_phase_session_prepares_the_primary_only() {
    with_primary_and_replica("routing_two_phase", |primary, replica| {
        let (on_primary, on_replica) = (primary.record_statements(), replica.record_statements());
        let config = SessionConfig {
            twophase: true,
            ..SessionConfig::default()
        };
        let s = Session::with_binds(
            Binds::new().bind(Routing::new(primary).replica(replica)),
            config,
        );
        assert_eq!(s.query::<Account>().count()?, 2);
        s.add(account(4, "lovelace"))?;
        s.commit()?;
        let sent = on_primary.statements();
        assert!(
            sent.iter().any(|q| q.starts_with("PREPARE TRANSACTION")),
            "{sent:?}"
        );
        let sent = on_replica.statements();
        assert!(!sent.iter().any(|q| q.contains("PREPARE")), "{sent:?}");
        assert!(primary.connect()?.recover_twophase()?.is_empty());
        assert_eq!(
            primary
                .connect()?
                .scalar::<i64>(&text("SELECT count(*) FROM accounts"), ())?,
            3
        );
        Ok(())
    });
}
