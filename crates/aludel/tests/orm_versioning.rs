//! Optimistic locking (`#[model(version = "...")]`, SQLAlchemy's `version_id_col`) on every
//! backend: a flushed UPDATE or DELETE checks the version it loaded and an UPDATE bumps it,
//! so of two sessions changing the same row the second fails with StaleData, writes
//! nothing, and recovers after a rollback.

mod common;

use aludel::engine::Backend;
use aludel::orm::{Model, Session, SessionConfig, create_all};
use aludel::sql::{Value, text};
use aludel::{Error, Result};

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "accounts", version = "version")]
struct Account {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    owner: String,
    balance: i64,
    version: i64,
}

/// Revisions "r1", "r2", ...: a generator over text versions.
fn next_rev(current: &Value) -> Result<Value> {
    let n = match current {
        Value::Text(s) => s.trim_start_matches('r').parse::<u32>().unwrap_or(0),
        _ => 0,
    };
    Ok(Value::Text(format!("r{}", n + 1)))
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "notes", version = "rev", version_generator = next_rev)]
struct Note {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 40)]
    body: String,
    #[column(max_len = 10)]
    rev: String,
}

/// A session that keeps its objects' values across commit, so an object loaded in one
/// transaction is changed in a later one (the case optimistic locking is for) and no read
/// transaction stays open in between.
fn session(db: &common::TestDb) -> Session {
    Session::with_config(
        db,
        SessionConfig {
            expire_on_commit: false,
            ..SessionConfig::default()
        },
    )
}

fn setup(db: &common::TestDb) -> Result<()> {
    create_all(db, &[Account::info(), Note::info()])?;
    let s = session(db);
    s.add(Account {
        id: 1,
        owner: "ada".into(),
        balance: 100,
        version: 0,
    })?;
    s.commit()
}

fn balance_and_version(db: &common::TestDb) -> Result<(i64, i64)> {
    let mut conn = db.connect()?;
    let row = conn
        .execute(
            &text("SELECT balance, version FROM accounts WHERE id = 1"),
            (),
        )?
        .one()?;
    Ok((row.get(0)?, row.get(1)?))
}

backend_tests! {
    fn versions_count_from_one_on_insert_and_each_update(db) {
        setup(db)?;
        let s = session(db);
        let a = s.get::<Account>(1)?.expect("account 1");
        assert_eq!(a.read()?.version, 1, "the INSERT wrote the first version, not the field's 0");
        for expected in 2..=4 {
            a.write()?.balance += 10;
            s.commit()?;
            assert_eq!(a.read()?.version, expected, "the object holds the new version");
            assert_eq!(balance_and_version(db)?.1, expected, "and so does the row");
        }
        // An object whose fields did not change is not written, nor its version bumped.
        s.commit()?;
        assert_eq!(balance_and_version(db)?, (130, 4));
        // A change that sets the version itself writes that value, still checking the loaded one.
        a.write()?.version = 10;
        s.commit()?;
        assert_eq!((balance_and_version(db)?, a.read()?.version), ((130, 10), 10));
        a.write()?.balance = 0;
        s.commit()?;
        assert_eq!(balance_and_version(db)?, (0, 11));
        Ok(())
    }

    fn concurrent_update_makes_the_second_flush_stale(db) {
        setup(db)?;
        let first = session(db);
        let second = session(db);
        let a1 = first.get::<Account>(1)?.expect("first loads");
        let a2 = second.get::<Account>(1)?.expect("second loads");
        second.commit()?;
        a1.write()?.balance = 150;
        a2.write()?.balance = 50;
        first.commit()?;
        let err = second.flush().unwrap_err();
        assert!(matches!(err, Error::StaleData { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains("UPDATE of Account (id=1)"), "names the model and key: {message}");
        assert!(message.contains("version moved on from 1"), "says the version moved: {message}");
        assert_eq!(balance_and_version(db)?, (150, 2), "the loser's change is not written");
        assert_eq!(a2.read()?.version, 1, "the failed flush left the loser's version as loaded");
        // After a rollback the session works again: the object reloads the winner's row.
        second.rollback()?;
        let a2 = second.get::<Account>(1)?.expect("reloads");
        assert_eq!((a2.read()?.balance, a2.read()?.version), (150, 2));
        a2.write()?.balance = 60;
        second.commit()?;
        assert_eq!(balance_and_version(db)?, (60, 3));
        Ok(())
    }

    fn a_writer_that_commits_first_wins_inside_open_transactions(db) {
        setup(db)?;
        if db.backend() == Backend::Sqlite {
            // One writer at a time: the second would wait for the database lock, not race.
            return Ok(());
        }
        // Both sessions keep their transactions open from load to flush. The second's
        // UPDATE reads the committed row (PostgreSQL READ COMMITTED re-checks it, MariaDB
        // updates the current row under REPEATABLE READ), whose version moved on.
        let first = Session::new(db);
        let second = Session::new(db);
        let a1 = first.get::<Account>(1)?.expect("first loads");
        let a2 = second.get::<Account>(1)?.expect("second loads");
        a1.write()?.balance = 150;
        a2.write()?.balance = 50;
        first.commit()?;
        let err = second.flush().unwrap_err();
        assert!(err.to_string().contains("UPDATE of Account (id=1)"), "{err}");
        second.rollback()?;
        assert_eq!(balance_and_version(db)?, (150, 2));
        Ok(())
    }

    fn deleting_a_stale_object_fails_and_deletes_nothing(db) {
        setup(db)?;
        let first = session(db);
        let second = session(db);
        let a1 = first.get::<Account>(1)?.expect("first loads");
        let a2 = second.get::<Account>(1)?.expect("second loads");
        second.commit()?;
        a1.write()?.owner = "ada l.".into();
        first.commit()?;
        second.delete(&a2)?;
        let err = second.flush().unwrap_err();
        assert!(matches!(err, Error::StaleData { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains("DELETE of Account (id=1)") && message.contains("version moved on from 1"), "{message}");
        second.rollback()?;
        assert_eq!(balance_and_version(db)?, (100, 2), "the row is still there");
        // A delete with the current version goes through.
        let a2 = second.get::<Account>(1)?.expect("reloads");
        second.delete(&a2)?;
        second.commit()?;
        let mut conn = db.connect()?;
        assert_eq!(conn.scalar::<i64>(&text("SELECT count(*) FROM accounts"), ())?, 0);
        Ok(())
    }

    fn a_version_generator_computes_each_next_version(db) {
        setup(db)?;
        let s = session(db);
        let n = s.add(Note { id: 1, body: "draft".into(), rev: String::new() })?;
        s.commit()?;
        assert_eq!(n.read()?.rev, "r1");
        n.write()?.body = "final".into();
        s.commit()?;
        assert_eq!(n.read()?.rev, "r2");
        let other = session(db);
        let n2 = other.get::<Note>(1)?.expect("loads");
        other.commit()?;
        n.write()?.body = "first wins".into();
        s.commit()?;
        n2.write()?.body = "second loses".into();
        let err = other.commit().unwrap_err().to_string();
        assert!(err.contains("UPDATE of Note (id=1)") && err.contains("from Text(\"r2\")"), "{err}");
        other.rollback()?;
        let mut conn = db.connect()?;
        let row = conn.execute(&text("SELECT body, rev FROM notes WHERE id = 1"), ())?.one()?;
        assert_eq!((row.get::<String>(0)?, row.get::<String>(1)?), ("first wins".into(), "r3".into()));
        Ok(())
    }

    fn update_and_delete_check_and_bump_the_version_in_sql(db) {
        setup(db)?;
        let s = session(db);
        let a = s.get::<Account>(1)?.expect("loads");
        s.add(Account { id: 2, owner: "bob".into(), balance: 5, version: 0 })?;
        s.commit()?;
        let rec = db.record_statements();
        a.write()?.balance = 1;
        s.flush()?;
        s.delete(&a)?;
        s.flush()?;
        s.commit()?;
        let statements: Vec<String> = rec
            .statements()
            .into_iter()
            .filter(|s| s.starts_with("UPDATE") || s.starts_with("DELETE"))
            .collect();
        let expected: &[&str] = match db.backend() {
            Backend::Sqlite => &[
                "UPDATE accounts SET balance = ?, version = ? WHERE accounts.id = ? AND accounts.version = ?",
                "DELETE FROM accounts WHERE accounts.id = ? AND accounts.version = ?",
            ],
            Backend::Postgres => &[
                "UPDATE accounts SET balance = $1, version = $2 WHERE accounts.id = $3 AND accounts.version = $4",
                "DELETE FROM accounts WHERE accounts.id = $1 AND accounts.version = $2",
            ],
            Backend::MySql => &[
                "UPDATE accounts SET balance = ?, version = ? WHERE accounts.id = ? AND accounts.version = ?",
                "DELETE FROM accounts WHERE accounts.id = ? AND accounts.version = ?",
            ],
        };
        assert_eq!(statements, expected);
        let mut conn = db.connect()?;
        assert_eq!(conn.scalar::<i64>(&text("SELECT count(*) FROM accounts"), ())?, 1, "bob stays");
        Ok(())
    }

    fn a_failed_versioned_flush_leaves_every_object_as_it_was(db) {
        setup(db)?;
        let s = session(db);
        let a = s.get::<Account>(1)?.expect("loads");
        s.commit()?;
        // Another writer bumps the row; this session then changes it and adds a new row.
        db.connect()?.execute(&text("UPDATE accounts SET version = version + 1 WHERE id = 1"), ())?;
        a.write()?.balance = 7;
        let b = s.add(Account { id: 3, owner: "cy".into(), balance: 0, version: 0 })?;
        assert!(matches!(s.flush().unwrap_err(), Error::StaleData { .. }));
        assert_eq!(a.read()?.version, 1, "the bumped version was undone");
        assert_eq!(b.read()?.version, 0, "the new row's first version was undone");
        s.rollback()?;
        let mut conn = db.connect()?;
        assert_eq!(conn.scalar::<i64>(&text("SELECT count(*) FROM accounts"), ())?, 1, "nothing was inserted");
        Ok(())
    }
}
