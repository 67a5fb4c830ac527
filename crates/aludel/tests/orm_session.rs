//! The Session on every backend: states, identity map, the unit of work's statements and
//! their order, transactions, savepoints, failures.

mod common;

use aludel::engine::Backend;
use aludel::orm::{Instance, Model, ObjectState, Session, SessionConfig, create_all};
use aludel::sql::text;
use aludel::{Error, Result};

use common::TestDb;

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "users")]
struct User {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 50)]
    name: String,
    age: Option<i32>,
}

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "addresses")]
struct Address {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "users.id")]
    user_id: i64,
    #[column(max_len = 100, unique)]
    email: String,
}

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "nodes")]
struct Node {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    #[column(foreign_key = "nodes.id")]
    parent_id: Option<i64>,
    #[column(max_len = 20)]
    name: String,
}

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "part")]
struct Part {
    #[column(primary_key, max_len = 30)]
    part: String,
    #[column(primary_key, max_len = 30)]
    sub_part: String,
    quantity: i32,
}

fn setup(db: &TestDb) -> Result<Session> {
    create_all(
        db,
        &[User::info(), Address::info(), Node::info(), Part::info()],
    )?;
    Ok(Session::new(db))
}

fn user(name: &str) -> User {
    User {
        id: 0,
        name: name.into(),
        age: None,
    }
}

fn rows(db: &TestDb, sql: &str) -> Result<i64> {
    db.connect()?.scalar(&text(sql), ())
}

backend_tests! {
    fn objects_move_through_pending_persistent_deleted_detached(db) {
        let s = setup(db)?;
        let ada = Instance::new(user("ada"));
        assert_eq!(ada.state(), ObjectState::Transient);
        s.add(&ada)?;
        assert_eq!(ada.state(), ObjectState::Pending);
        s.flush()?;
        assert_eq!(ada.state(), ObjectState::Persistent);
        assert!(ada.read()?.id > 0, "generated key written back");
        s.delete(&ada)?;
        s.flush()?;
        assert_eq!(ada.state(), ObjectState::Deleted);
        s.commit()?;
        assert_eq!(ada.state(), ObjectState::Detached);
        assert_eq!(rows(db, "SELECT count(*) FROM users")?, 0);
        Ok(())
    }

    fn commit_writes_rows_that_another_connection_reads_back(db) {
        let s = setup(db)?;
        let users = s.add_all([user("ada"), user("grace"), user("linus")])?;
        s.commit()?;
        let ids: Vec<i64> = users.iter().map(|u| u.read().map(|u| u.id)).collect::<Result<_>>()?;
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "keys follow insertion order: {ids:?}");
        let mut conn = db.connect()?;
        let name: String = conn.scalar(&text("SELECT name FROM users WHERE id = :id"), aludel::params! { "id" => ids[1] })?;
        assert_eq!(name, "grace");
        Ok(())
    }

    fn get_uses_the_identity_map_without_sql(db) {
        let s = setup(db)?;
        let ada = s.add(user("ada"))?;
        s.flush()?;
        let id = ada.read()?.id;
        let recorder = db.record_statements();
        let again = s.get::<User>(id)?.expect("present");
        assert!(again.ptr_eq(&ada));
        assert_eq!(recorder.count(), 0, "no SQL: {:?}", recorder.statements());
        s.expire(&ada)?;
        let reloaded = s.get::<User>(id)?.expect("present");
        assert!(reloaded.ptr_eq(&ada));
        assert_eq!(recorder.count(), 1, "one SELECT after expiry: {:?}", recorder.statements());
        assert!(s.get::<User>(id + 1000)?.is_none());
        Ok(())
    }

    fn two_queries_for_one_row_return_one_instance(db) {
        let s = setup(db)?;
        s.add(user("ada"))?;
        s.commit()?;
        let a = s.query::<User>().filter(User::name.eq("ada")).one()?;
        let b = s.query::<User>().filter_by("name", "ada").first()?.expect("row");
        assert!(a.ptr_eq(&b));
        let other = Session::new(db).query::<User>().one()?;
        assert!(!other.ptr_eq(&a), "another session has its own identity map");
        Ok(())
    }

    fn flush_inserts_parents_first_and_updates_only_changed_columns(db) {
        let s = setup(db)?;
        let ada = s.add(user("ada"))?;
        s.flush()?;
        let uid = ada.read()?.id;
        let recorder = db.record_statements();
        // Added child-first: the unit of work must still insert users before addresses.
        s.add(Address { id: 0, user_id: uid, email: "ada@example.com".into() })?;
        let grace = s.add(user("grace"))?;
        ada.write()?.age = Some(36);
        s.flush()?;
        let expected: Vec<&str> = match db.backend() {
            Backend::Sqlite => vec![
                "INSERT INTO users (name, age) VALUES (?, ?)",
                "INSERT INTO addresses (user_id, email) VALUES (?, ?)",
                "UPDATE users SET age = ? WHERE users.id = ?",
            ],
            Backend::Postgres => vec![
                "INSERT INTO users (name, age) VALUES ($1, $2) RETURNING users.id",
                "INSERT INTO addresses (user_id, email) VALUES ($1, $2) RETURNING addresses.id",
                "UPDATE users SET age = $1 WHERE users.id = $2",
            ],
            Backend::MySql => vec![
                "INSERT INTO users (name, age) VALUES (?, ?)",
                "INSERT INTO addresses (user_id, email) VALUES (?, ?)",
                "UPDATE users SET age = ? WHERE users.id = ?",
            ],
        };
        assert_eq!(recorder.statements(), expected);
        assert!(grace.read()?.id > uid);
        Ok(())
    }

    fn many_new_objects_are_batched(db) {
        let s = setup(db)?;
        let recorder = db.record_statements();
        let users = s.add_all((0..250).map(|i| user(&format!("u{i}"))))?;
        s.flush()?;
        let statements: Vec<String> = recorder.statements().into_iter().filter(|s| s.starts_with("INSERT")).collect();
        // The servers get one multi-row INSERT; SQLite one executemany of a single-row
        // INSERT (one prepared statement run per row, each giving its key).
        assert_eq!(statements.len(), 1, "one INSERT (multi-row, or an executemany on SQLite): {statements:?}");
        let ids: Vec<i64> = users.iter().map(|u| u.read().map(|u| u.id)).collect::<Result<_>>()?;
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 250);
        let last = users.last().expect("users").read()?.id;
        let name: String = s.scalar(&text("SELECT name FROM users WHERE id = :id"), aludel::params! { "id" => last })?;
        assert_eq!(name, "u249", "generated keys match their rows");
        Ok(())
    }

    fn self_referential_rows_insert_parents_before_children(db) {
        let s = setup(db)?;
        s.add(Node { id: 3, parent_id: Some(2), name: "leaf".into() })?;
        s.add(Node { id: 2, parent_id: Some(1), name: "branch".into() })?;
        s.add(Node { id: 1, parent_id: None, name: "root".into() })?;
        s.commit()?;
        assert_eq!(rows(db, "SELECT count(*) FROM nodes")?, 3);
        // Load first, then delete: a get() of an expired object autoflushes, which would
        // delete the root before its children are marked.
        let nodes = s.query::<Node>().order_by(Node::id).all()?;
        for n in &nodes {
            s.delete(n)?;
        }
        s.commit()?;
        assert_eq!(rows(db, "SELECT count(*) FROM nodes")?, 0);
        Ok(())
    }

    fn composite_primary_keys_round_trip(db) {
        let s = setup(db)?;
        s.add(Part { part: "our part".into(), sub_part: "bolt".into(), quantity: 4 })?;
        s.add(Part { part: "our part".into(), sub_part: "nut".into(), quantity: 2 })?;
        s.commit()?;
        let bolt = s.get::<Part>(("our part", "bolt"))?.expect("bolt");
        assert_eq!(bolt.read()?.quantity, 4);
        bolt.write()?.quantity = 5;
        s.commit()?;
        assert_eq!(rows(db, "SELECT quantity FROM part WHERE sub_part = 'bolt'")?, 5);
        let err = s.get::<Part>("only one").unwrap_err().to_string();
        assert!(err.contains("primary key of 2 column(s)"), "{err}");
        Ok(())
    }

    fn rollback_expunges_new_objects_and_expires_the_rest(db) {
        let s = setup(db)?;
        let ada = s.add(user("ada"))?;
        s.commit()?;
        ada.write()?.name = "changed".into();
        let pending = s.add(user("grace"))?;
        s.flush()?;
        s.rollback()?;
        assert_eq!(pending.state(), ObjectState::Transient);
        assert_eq!(ada.read()?.name, "ada", "rolled back change is reloaded");
        assert_eq!(rows(db, "SELECT count(*) FROM users")?, 1);
        Ok(())
    }

    fn failed_flush_rolls_back_and_requires_rollback(db) {
        let s = setup(db)?;
        let ada = s.add(user("ada"))?;
        s.flush()?;
        let uid = ada.read()?.id;
        s.add(Address { id: 0, user_id: uid, email: "dup@example.com".into() })?;
        s.commit()?;
        let fresh = s.add(user("grace"))?;
        s.add(Address { id: 0, user_id: uid, email: "dup@example.com".into() })?;
        let err = s.flush().unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "{err}");
        assert_eq!(fresh.state(), ObjectState::Pending, "states restored");
        assert_eq!(fresh.read()?.id, 0, "generated key taken back");
        let again = s.query::<User>().all().unwrap_err();
        assert!(matches!(again, Error::PendingRollback { .. }), "{again}");
        s.rollback()?;
        assert_eq!(s.query::<User>().count()?, 1);
        assert_eq!(rows(db, "SELECT count(*) FROM addresses")?, 1);
        Ok(())
    }

    fn autoflush_makes_pending_objects_visible_to_queries(db) {
        let s = setup(db)?;
        s.add(user("ada"))?;
        assert_eq!(s.query::<User>().count()?, 1);
        let manual = Session::with_config(db, SessionConfig { autoflush: false, ..SessionConfig::default() });
        manual.add(user("grace"))?;
        assert_eq!(manual.query::<User>().filter_by("name", "grace").count()?, 0);
        {
            let _guard = s.no_autoflush();
            s.add(user("linus"))?;
            assert_eq!(s.query::<User>().filter_by("name", "linus").count()?, 0);
        }
        assert_eq!(s.query::<User>().filter_by("name", "linus").count()?, 1);
        Ok(())
    }

    fn expire_refresh_and_is_modified(db) {
        let s = setup(db)?;
        let ada = s.add(User { id: 0, name: "ada".into(), age: Some(1) })?;
        s.commit()?;
        assert!(ada.is_expired(), "expire_on_commit");
        assert_eq!(ada.read()?.age, Some(1));
        assert!(!s.is_modified(&ada)?);
        ada.write()?.age = Some(2);
        assert!(s.is_modified(&ada)?);
        assert_eq!(s.dirty_objects::<User>().len(), 1);
        s.expire(&ada)?;
        assert_eq!(ada.read()?.age, Some(1), "expire discards the unflushed change");
        let id = ada.read()?.id;
        db.connect()?.execute(&text("UPDATE users SET age = 7 WHERE id = :id"), aludel::params! { "id" => id })?;
        s.rollback()?; // end our snapshot so the other connection's commit is visible
        s.refresh(&ada)?;
        assert_eq!(ada.read()?.age, Some(7));
        Ok(())
    }

    fn reading_an_expired_object_whose_row_is_gone_says_so(db) {
        let s = setup(db)?;
        let ada = s.add(user("ada"))?;
        s.commit()?;
        db.connect()?.execute(&text("DELETE FROM users"), ())?;
        let err = ada.read().map(|_| ()).unwrap_err();
        assert!(matches!(err, Error::ObjectDeleted { .. }), "{err}");
        Ok(())
    }

    fn get_of_an_expired_object_whose_row_is_gone_raises_object_deleted(db) {
        let s = setup(db)?;
        let ada = s.add(user("ada"))?;
        let bob = s.add(user("bob"))?;
        s.commit()?;
        let (ada_id, bob_id) = (ada.read()?.id, bob.read()?.id);
        s.commit()?; // expires both again (reading the ids reloaded them)
        db.connect()?.execute(&text("DELETE FROM users WHERE name = 'ada'"), ())?;
        let err = s.get::<User>(ada_id).map(|_| ()).unwrap_err();
        assert!(matches!(err, Error::ObjectDeleted { .. }), "{err}");
        assert!(err.to_string().contains("no longer exists"), "{err}");
        // The object left the session: a second get finds no row and says None.
        assert_eq!(ada.state(), ObjectState::Detached);
        assert!(s.get::<User>(ada_id)?.is_none());
        // Query::get goes the same way; a row still there is reloaded onto the same object.
        s.expire_all();
        let again = s.query::<User>().get(bob_id)?.unwrap();
        assert!(again.ptr_eq(&bob));
        assert_eq!(again.read()?.name, "bob");
        db.connect()?.execute(&text("DELETE FROM users"), ())?;
        s.commit()?; // a new transaction sees the DELETE on every backend
        let err = s.query::<User>().get(bob_id).map(|_| ()).unwrap_err();
        assert!(matches!(err, Error::ObjectDeleted { .. }), "{err}");
        Ok(())
    }

    fn merge_expunge_and_reattach(db) {
        let s = setup(db)?;
        let ada = s.add(user("ada"))?;
        s.commit()?;
        let id = ada.read()?.id;
        let detached = Instance::new(User { id, name: "ada lovelace".into(), age: Some(36) });
        let merged = s.merge(&detached)?;
        assert!(merged.ptr_eq(&ada), "merge copies onto the session's object");
        s.commit()?;
        assert_eq!(rows(db, "SELECT count(*) FROM users WHERE name = 'ada lovelace'")?, 1);
        s.expunge(&ada)?;
        assert_eq!(ada.state(), ObjectState::Detached);
        s.add(&ada)?;
        assert_eq!(ada.state(), ObjectState::Persistent);
        let other = Session::new(db);
        let err = other.add(&ada).unwrap_err().to_string();
        assert!(err.contains("belongs to another session"), "{err}");
        Ok(())
    }

    fn savepoint_rollback_keeps_the_outer_work(db) {
        let s = setup(db)?;
        s.add(user("outer"))?;
        let sp = s.begin_nested()?;
        let inner = s.add(user("inner"))?;
        s.flush()?;
        sp.rollback()?;
        assert_eq!(inner.state(), ObjectState::Transient);
        let kept = s.begin_nested()?;
        s.add(user("kept"))?;
        kept.commit()?;
        s.commit()?;
        let mut names: Vec<String> = s.query::<User>().all()?.iter().map(|u| u.read().map(|u| u.name.clone())).collect::<Result<_>>()?;
        names.sort();
        assert_eq!(names, ["kept", "outer"]);
        Ok(())
    }

    fn failed_flush_in_a_savepoint_rolls_back_to_it_and_the_outer_work_survives(db) {
        // The "skip duplicates with begin_nested" idiom: the duplicate's flush fails, its
        // savepoint is rolled back, and the outer transaction commits what it had.
        let s = setup(db)?;
        let keep = s.add(user("keep"))?;
        s.flush()?;
        let uid = keep.read()?.id;
        s.add(Address { id: 0, user_id: uid, email: "a@example.com".into() })?;
        let sp = s.begin_nested()?;
        let dup = s.add(Address { id: 0, user_id: uid, email: "a@example.com".into() })?;
        let err = s.flush().unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "{err}");
        // Until the savepoint is rolled back, the session refuses work, as SQLAlchemy does.
        let refused = s.query::<User>().count().unwrap_err();
        assert!(matches!(refused, Error::PendingRollback { .. }), "{refused}");
        assert!(refused.to_string().contains("NestedTransaction"), "{refused}");
        sp.rollback()?;
        assert_eq!(dup.state(), ObjectState::Transient);
        assert_eq!(keep.state(), ObjectState::Persistent);
        // The outer transaction goes on: more work, then commit.
        let sp = s.begin_nested()?;
        s.add(Address { id: 0, user_id: uid, email: "b@example.com".into() })?;
        sp.commit()?;
        s.commit()?;
        assert_eq!(rows(db, "SELECT count(*) FROM users WHERE name = 'keep'")?, 1);
        assert_eq!(rows(db, "SELECT count(*) FROM addresses")?, 2);
        Ok(())
    }

    fn failed_flush_in_an_inner_savepoint_keeps_the_outer_savepoint(db) {
        let s = setup(db)?;
        let ada = s.add(user("ada"))?;
        s.flush()?;
        let uid = ada.read()?.id;
        s.add(Address { id: 0, user_id: uid, email: "a@example.com".into() })?;
        let outer = s.begin_nested()?;
        s.add(user("in outer"))?;
        let inner = s.begin_nested()?;
        s.add(Address { id: 0, user_id: uid, email: "a@example.com".into() })?;
        assert!(s.flush().is_err());
        // Committing while the inner failure is pending is refused and changes nothing.
        assert!(matches!(s.commit().unwrap_err(), Error::PendingRollback { .. }));
        inner.rollback()?;
        outer.commit()?;
        s.commit()?;
        assert_eq!(rows(db, "SELECT count(*) FROM users")?, 2);
        assert_eq!(rows(db, "SELECT count(*) FROM addresses")?, 1);
        Ok(())
    }

    fn failed_flush_in_a_savepoint_then_session_rollback_discards_everything(db) {
        let s = setup(db)?;
        let ada = s.add(user("ada"))?;
        s.flush()?;
        let uid = ada.read()?.id;
        s.add(Address { id: 0, user_id: uid, email: "a@example.com".into() })?;
        let sp = s.begin_nested()?;
        s.add(Address { id: 0, user_id: uid, email: "a@example.com".into() })?;
        assert!(s.flush().is_err());
        s.rollback()?;
        assert_eq!(ada.state(), ObjectState::Transient);
        // The savepoint went with the transaction: rolling it back now says so.
        let err = sp.rollback().unwrap_err().to_string();
        assert!(err.contains("no longer open"), "{err}");
        assert_eq!(rows(db, "SELECT count(*) FROM users")?, 0);
        Ok(())
    }

    fn failed_flush_after_a_released_savepoint_fails_the_whole_transaction(db) {
        let s = setup(db)?;
        let ada = s.add(user("ada"))?;
        s.flush()?;
        let uid = ada.read()?.id;
        let sp = s.begin_nested()?;
        s.add(Address { id: 0, user_id: uid, email: "a@example.com".into() })?;
        sp.commit()?;
        s.add(Address { id: 0, user_id: uid, email: "a@example.com".into() })?;
        assert!(s.flush().is_err());
        s.rollback()?;
        assert_eq!(rows(db, "SELECT count(*) FROM addresses")?, 0);
        Ok(())
    }

    fn stale_update_is_reported(db) {
        setup(db)?;
        // Without expire-on-commit no read transaction is open when the row vanishes.
        let s = Session::with_config(db, SessionConfig { expire_on_commit: false, ..SessionConfig::default() });
        let ada = s.add(user("ada"))?;
        s.commit()?;
        let id = ada.read()?.id;
        ada.write()?.name = "x".into();
        db.connect()?.execute(&text("DELETE FROM users WHERE id = :id"), aludel::params! { "id" => id })?;
        let err = s.flush().unwrap_err();
        assert!(matches!(err, Error::StaleData { .. }), "{err}");
        s.rollback()?;
        Ok(())
    }

    fn a_session_bound_to_a_connection_uses_its_transaction(db) {
        setup(db)?;
        let conn = db.connect()?;
        let s = Session::from_connection(conn, SessionConfig::default());
        s.add(user("bound"))?;
        s.commit()?;
        assert_eq!(rows(db, "SELECT count(*) FROM users WHERE name = 'bound'")?, 1);
        s.add(user("discarded"))?;
        s.flush()?;
        s.rollback()?;
        assert_eq!(rows(db, "SELECT count(*) FROM users")?, 1);
        Ok(())
    }

    fn a_connection_dropped_mid_transaction_fails_the_flush_cleanly(db) {
        let s = setup(db)?;
        let kept = s.add(user("kept"))?;
        s.commit()?;
        let pid: i64 = match db.backend() {
            Backend::Sqlite => return Ok(()), // an embedded database has no connection to kill
            Backend::Postgres => s.scalar(&text("SELECT CAST(pg_backend_pid() AS BIGINT)"), ())?,
            Backend::MySql => s.scalar(&text("SELECT CAST(CONNECTION_ID() AS SIGNED)"), ())?,
        };
        let pending = s.add(user("lost"))?;
        let mut killer = db.connect()?;
        match db.backend() {
            Backend::Postgres => {
                killer.execute(&text("SELECT pg_terminate_backend(CAST(:pid AS INTEGER), 5000)"), aludel::params! { "pid" => pid })?;
            }
            _ => killer.execute_script(&format!("KILL {pid}"))?,
        }
        let err = s.flush().unwrap_err();
        assert!(err.is_disconnect(), "the error says the connection is gone: {err}");
        assert_eq!(pending.state(), ObjectState::Pending, "states restored");
        assert!(matches!(s.query::<User>().count(), Err(Error::PendingRollback { .. })));
        s.rollback()?;
        assert_eq!(s.query::<User>().count()?, 1, "a fresh connection after rollback");
        assert_eq!(kept.read()?.name, "kept");
        Ok(())
    }

    fn write_guard_alive_during_flush_is_an_error_not_a_deadlock(db) {
        let s = setup(db)?;
        let ada = s.add(user("ada"))?;
        let guard = ada.write()?;
        let err = s.flush().unwrap_err().to_string();
        assert!(err.contains("write() guard is alive"), "{err}");
        drop(guard);
        s.rollback()?;
        Ok(())
    }

    fn the_identity_map_lets_go_of_objects_nobody_holds(db) {
        let s = setup(db)?;
        s.add_all((0..50).map(|i| user(&format!("u{i}"))))?;
        s.commit()?;
        let loaded = s.query::<User>().all()?;
        assert_eq!(s.identity_count(), 50);
        let kept = loaded[7].clone();
        let kept_id = kept.read()?.id;
        let dropped_id = loaded[8].read()?.id;
        drop(loaded);
        assert_eq!(s.identity_count(), 1, "only the object still held stays");
        let recorder = db.record_statements();
        assert!(s.get::<User>(kept_id)?.expect("held").ptr_eq(&kept));
        assert_eq!(recorder.count(), 0, "a held object comes from the map");
        let again = s.get::<User>(dropped_id)?.expect("reloaded");
        assert_eq!(recorder.count(), 1, "a dropped one is loaded again: {:?}", recorder.statements());
        assert_eq!(again.read()?.name, "u8");
        // Many loads in one session do not pile up.
        for _ in 0..30 {
            let batch = s.query::<User>().all()?;
            assert_eq!(batch.len(), 50);
        }
        assert_eq!(s.identity_count(), 2);
        Ok(())
    }

    fn objects_with_pending_work_are_kept_until_it_is_done(db) {
        let s = setup(db)?;
        s.add_all([user("edit me"), user("delete me")])?;
        s.commit()?;
        // A change, a deletion and a new object whose handles are all dropped at once.
        let edited = s.query::<User>().filter(User::name.eq("edit me")).one()?;
        edited.write()?.age = Some(42);
        drop(edited);
        let doomed = s.query::<User>().filter(User::name.eq("delete me")).one()?;
        s.delete(&doomed)?;
        drop(doomed);
        drop(s.add(user("new"))?);
        s.commit()?;
        assert_eq!(rows(db, "SELECT count(*) FROM users WHERE name = 'edit me' AND age = 42")?, 1);
        assert_eq!(rows(db, "SELECT count(*) FROM users WHERE name = 'delete me'")?, 0);
        assert_eq!(rows(db, "SELECT count(*) FROM users WHERE name = 'new'")?, 1);
        // Flushed in a transaction that rolls back: nothing is left behind.
        drop(s.add(user("rolled back"))?);
        s.flush()?;
        s.rollback()?;
        assert_eq!(rows(db, "SELECT count(*) FROM users WHERE name = 'rolled back'")?, 0);
        assert_eq!(s.identity_count(), 0);
        Ok(())
    }

    fn a_second_borrow_of_one_object_on_one_thread_is_an_error_not_a_deadlock(db) {
        let s = setup(db)?;
        let a = s.add(user("ada"))?;
        s.commit()?;
        let id = a.read()?.id;
        let b = s.get::<User>(id)?.expect("present");
        assert!(a.ptr_eq(&b), "one object per row");
        // A deadlock would hang: run the borrows on a thread and wait a bounded time.
        let (tx, rx) = std::sync::mpsc::channel();
        let (a2, b2) = (a.clone(), b.clone());
        std::thread::spawn(move || {
            let w = a2.write().expect("first write");
            let read_err = b2.read().map(|_| ()).unwrap_err().to_string();
            let write_err = b2.write().map(|_| ()).unwrap_err().to_string();
            drop(w);
            let r = a2.read().expect("read after the write guard is gone");
            let write_while_read = b2.write().map(|_| ()).unwrap_err().to_string();
            let second_read = b2.read().map(|g| g.name.clone()).expect("two readers are fine");
            drop(r);
            let _ = tx.send((read_err, write_err, write_while_read, second_read));
        });
        let (read_err, write_err, write_while_read, second_read) = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the borrows finished instead of deadlocking");
        let key = format!("User ({id})");
        assert!(read_err.contains(&key) && read_err.contains("write() guard"), "{read_err}");
        assert!(write_err.contains(&key) && write_err.contains("write() guard"), "{write_err}");
        assert!(write_while_read.contains(&key) && write_while_read.contains("read() guard"), "{write_while_read}");
        assert_eq!(second_read, "ada");
        // A guard on another thread is waited for, as a lock should be.
        let w = a.write()?;
        let reader = {
            let b = b.clone();
            std::thread::spawn(move || b.read().map(|u| u.name.clone()))
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        drop(w);
        assert_eq!(reader.join().expect("reader thread")?, "ada");
        Ok(())
    }
}
