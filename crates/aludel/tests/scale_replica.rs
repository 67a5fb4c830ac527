//! Read-only servers (`scripts/engines.sh`): a streaming hot-standby replica of a
//! PostgreSQL primary (ALUDEL_TEST_PG_PRIMARY, ALUDEL_TEST_PG_REPLICA) and a MariaDB started
//! with `read_only` (ALUDEL_TEST_MYSQL_READ_ONLY for a user without READ ONLY ADMIN,
//! ALUDEL_TEST_MYSQL_READ_ONLY_ADMIN for root, who may still write). Reads see what was
//! committed; a write from Core or a session flush fails with the classified read-only
//! error and changes nothing.

mod common;

use aludel::engine::Backend;
use aludel::orm::{Model, Session, create_all};
use aludel::sql::text;
use aludel::{DatabaseErrorKind, Error};

use common::replica::{await_replay, user, with_primary_and_replica};
use common::run_on_servers;

use common::query_fixture::User;

/// Asserts `err` is the read-only error with `code` and a message containing `says`.
fn assert_read_only(err: &Error, code: &str, says: &str) {
    let details = err.database_error().expect("a database error");
    assert_eq!(details.kind, DatabaseErrorKind::ReadOnly, "{err}");
    assert_eq!(details.code.as_deref(), Some(code), "{err}");
    assert!(matches!(err, Error::Operational(_)), "{err:?}");
    assert!(!err.is_retryable(), "{err}");
    assert!(err.to_string().contains(says), "{err}");
}

/// What a hot standby answers to a write.
fn assert_standby_refused(err: &Error) {
    assert_read_only(err, "25006", "read-only transaction");
}

#[test]
fn writes_through_a_hot_standby_fail_as_read_only_and_reads_see_the_primary() {
    let name = "writes_through_a_hot_standby_fail_as_read_only";
    with_primary_and_replica(name, vec![user(1, "ada")], |primary, replica| {
        let on_primary = Session::new(primary);

        // A session on the replica reads the primary's row.
        let reader = Session::new(replica);
        let ada = reader.query::<User>().one()?;
        assert_eq!(ada.read()?.name, "ada");

        // Its flush fails as read-only; the session asks for a rollback, then reads again.
        reader.add(user(2, "grace"))?;
        let err = reader.flush().unwrap_err();
        assert_standby_refused(&err);
        assert!(matches!(
            reader.query::<User>().all(),
            Err(Error::PendingRollback { .. })
        ));
        reader.rollback()?;
        assert_eq!(reader.query::<User>().all()?.len(), 1);

        // Core writes fail the same way, inside and outside a transaction.
        let mut conn = replica.connect()?;
        let err = conn
            .execute(&text("UPDATE users SET name = 'x'"), ())
            .unwrap_err();
        assert_standby_refused(&err);
        let mut tx = conn.begin()?;
        let err = tx.execute(&text("DELETE FROM users"), ()).unwrap_err();
        assert_standby_refused(&err);
        tx.rollback()?;

        // Nothing changed on the primary, which still takes writes.
        let mut conn = primary.connect()?;
        assert_eq!(
            conn.scalar::<String>(&text("SELECT string_agg(name, ',') FROM users"), ())?,
            "ada"
        );
        on_primary.add(user(2, "grace"))?;
        on_primary.commit()?;
        await_replay(replica, 2)?;
        Ok(())
    });
}

#[test]
fn writes_on_a_read_only_mariadb_fail_as_read_only_and_reads_work() {
    let name = "writes_on_a_read_only_mariadb";
    run_on_servers(
        Backend::MySql,
        &["ALUDEL_TEST_MYSQL_READ_ONLY_ADMIN"],
        name,
        |dbs| {
            let admin = &dbs[0];
            let Ok(base) = std::env::var("ALUDEL_TEST_MYSQL_READ_ONLY") else {
                eprintln!(
                    "SKIPPED (ALUDEL_TEST_MYSQL_READ_ONLY not set; run scripts/engines.sh start)"
                );
                return Ok(());
            };
            // root (READ ONLY ADMIN) sets the database up; the application user only reads.
            create_all(admin, &[User::info()])?;
            admin.connect()?.execute_script(&format!(
                "GRANT ALL ON `{}`.* TO 'aludel_app'@'%'",
                admin.name()
            ))?;
            let on_admin = Session::new(admin);
            on_admin.add(user(1, "ada"))?;
            on_admin.commit()?;
            let server = base
                .rsplit_once('/')
                .map_or(base.as_str(), |(server, _)| server);
            let app = aludel::create_engine(&format!("{server}/{}", admin.name()))?;

            let reader = Session::new(&app);
            assert_eq!(reader.query::<User>().one()?.read()?.name, "ada");
            reader.add(user(2, "grace"))?;
            let err = reader.flush().unwrap_err();
            assert_read_only(&err, "1290", "--read-only option");
            reader.rollback()?;
            let err = app
                .connect()?
                .execute(&text("UPDATE users SET name = 'x'"), ())
                .unwrap_err();
            assert_read_only(&err, "1290", "--read-only option");

            let names = admin
                .connect()?
                .scalar::<String>(&text("SELECT GROUP_CONCAT(name) FROM users"), ())?;
            assert_eq!(names, "ada");
            Ok(())
        },
    );
}
