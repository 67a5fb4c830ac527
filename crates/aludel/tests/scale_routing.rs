//! Read/write splitting (`Routing` as a bind) against a real PostgreSQL primary (5433,
//! ALUDEL_TEST_PG_PRIMARY) and its streaming hot standby (5435, ALUDEL_TEST_PG_REPLICA),
//! both started by `scripts/engines.sh`: plain reads go to a replica (round-robin or a
//! chooser), flushes, bulk writes and `with_for_update` to the primary; after a flush, or
//! `use_primary()`, the unit of work reads from the primary until it ends; a write that
//! reaches the replica fails with the read-only error.

mod common;

use aludel::orm::{Binds, Routing, Session, SessionConfig, SynchronizeSession};
use aludel::sql::{LockOptions, text};
use aludel::{DatabaseErrorKind, StatementRecorder};

use common::query_fixture::User;
use common::replica::{await_replay, user, with_primary_and_replica};

fn two_users() -> Vec<User> {
    vec![user(1, "ada"), user(2, "grace")]
}

/// How many recorded statements mention `users` (the test's own statements).
fn on_users(rec: &StatementRecorder) -> usize {
    rec.statements()
        .iter()
        .filter(|q| q.contains("users"))
        .count()
}

#[test]
fn reads_go_to_the_replica_and_writes_to_the_primary() {
    with_primary_and_replica(
        "routing_reads_and_writes",
        two_users(),
        |primary, replica| {
            let (on_primary, on_replica) =
                (primary.record_statements(), replica.record_statements());
            let binds = Binds::new().bind(Routing::new(primary).replica(replica));
            let s = Session::with_binds(binds, SessionConfig::default());

            // A plain read: the replica.
            assert_eq!(s.query::<User>().all()?.len(), 2);
            assert_eq!(s.query::<User>().count()?, 2);
            assert_eq!((on_users(&on_primary), on_users(&on_replica)), (0, 2));

            // A locking read: the primary.
            let locked = s
                .query::<User>()
                .filter(User::id.eq(1))
                .with_for_update(LockOptions::update())
                .one()?;
            assert_eq!(locked.read()?.name, "ada");
            let sent = on_primary.statements();
            assert!(sent.iter().any(|q| q.contains("FOR UPDATE")), "{sent:?}");

            // A flush writes to the primary; from then on this unit of work reads its writes
            // there, though the replica may not have them yet.
            s.add(user(3, "hopper"))?;
            s.flush()?;
            assert!(s.uses_primary());
            let replica_reads = on_users(&on_replica);
            assert_eq!(s.query::<User>().count()?, 3);
            assert_eq!(on_users(&on_replica), replica_reads);
            let sent = on_primary.statements();
            assert!(
                sent.iter().any(|q| q.starts_with("INSERT INTO users")),
                "{sent:?}"
            );

            // A bulk UPDATE through the query: the primary.
            let changed = s
                .query::<User>()
                .filter(User::id.eq(2))
                .update([(User::name, "grace h")], SynchronizeSession::Evaluate)?;
            assert_eq!(changed, 1);
            s.commit()?;
            assert!(!s.uses_primary());
            assert_eq!(on_users(&on_replica), replica_reads);

            // The next unit of work reads from the replica again (once it has replayed).
            await_replay(replica, 3)?;
            let replica_reads = on_users(&on_replica);
            assert_eq!(s.query::<User>().count()?, 3);
            assert_eq!(on_users(&on_replica), replica_reads + 1);

            // Pinned by hand: every read of the unit of work goes to the primary.
            s.rollback()?;
            s.use_primary();
            let before = on_users(&on_replica);
            let grace = s.get::<User>(2)?.expect("account 2");
            assert_eq!(grace.read()?.name, "grace h");
            assert_eq!(s.query::<User>().count()?, 3);
            assert_eq!(on_users(&on_replica), before);
            s.commit()?;
            Ok(())
        },
    );
}

#[test]
fn replicas_are_chosen_round_robin_or_by_the_chooser() {
    with_primary_and_replica("routing_choosers", two_users(), |primary, replica| {
        // Two engines on the one standby, so each has its own recorder.
        let url = replica.url().to_string();
        let (first, second) = (aludel::create_engine(&url)?, aludel::create_engine(&url)?);
        let (rec1, rec2) = (first.record_statements(), second.record_statements());
        let routing = Routing::new(primary).replica(&first).replica(&second);
        for _ in 0..4 {
            let s =
                Session::with_binds(Binds::new().bind(routing.clone()), SessionConfig::default());
            assert_eq!(s.query::<User>().count()?, 2);
        }
        assert_eq!((on_users(&rec1), on_users(&rec2)), (2, 2));

        let routing = Routing::new(primary)
            .replica(&first)
            .replica(&second)
            .chooser(|replicas| replicas.len() + 1); // taken modulo: the second
        let s = Session::with_binds(Binds::new().bind(routing), SessionConfig::default());
        assert_eq!(s.query::<User>().all()?.len(), 2);
        assert_eq!((on_users(&rec1), on_users(&rec2)), (2, 3));
        Ok(())
    });
}

#[test]
fn a_write_that_reaches_the_replica_fails_as_read_only() {
    with_primary_and_replica("routing_read_only", two_users(), |primary, replica| {
        let s = Session::with_binds(
            Binds::new().bind(&**primary).model::<User>(replica),
            SessionConfig::default(),
        );
        s.add(user(9, "nobody"))?;
        let err = s.flush().unwrap_err();
        let details = err.database_error().expect("a database error");
        assert_eq!(details.kind, DatabaseErrorKind::ReadOnly, "{err}");
        assert_eq!(details.code.as_deref(), Some("25006"), "{err}");
        s.rollback()?;
        assert_eq!(
            primary
                .connect()?
                .scalar::<i64>(&text("SELECT count(*) FROM users"), ())?,
            2
        );
        Ok(())
    });
}

#[test]
fn a_two_phase_session_prepares_the_primary_only() {
    with_primary_and_replica("routing_two_phase", two_users(), |primary, replica| {
        let (on_primary, on_replica) = (primary.record_statements(), replica.record_statements());
        let config = SessionConfig {
            twophase: true,
            ..SessionConfig::default()
        };
        let s = Session::with_binds(
            Binds::new().bind(Routing::new(primary).replica(replica)),
            config,
        );
        assert_eq!(s.query::<User>().count()?, 2);
        s.add(user(4, "lovelace"))?;
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
                .scalar::<i64>(&text("SELECT count(*) FROM users"), ())?,
            3
        );
        Ok(())
    });
}
