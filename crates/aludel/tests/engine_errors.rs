//! Driver errors mapped onto aludel's error kinds on every backend, with the constraint
//! name, the native code or SQLSTATE, and the SQL text without values.

mod common;

use aludel::engine::Backend;
use aludel::sql::{Column, SqlType, Table, bindparam, select, text};
use aludel::{DatabaseErrorKind, Error, Result, params};

use common::TestDb;

fn schema(db: &TestDb) -> Result<aludel::Connection> {
    let mut conn = db.connect()?;
    conn.execute(&text("CREATE TABLE parents (id INTEGER PRIMARY KEY)"), ())?;
    conn.execute(
        &text(
            "CREATE TABLE kids (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL, parent_id INTEGER, age INTEGER, \
             CONSTRAINT uq_kids_email UNIQUE (email), \
             CONSTRAINT fk_kids_parent FOREIGN KEY (parent_id) REFERENCES parents (id), \
             CONSTRAINT ck_kids_age CHECK (age >= 0))",
        ),
        (),
    )?;
    conn.execute(&text("INSERT INTO parents (id) VALUES (1)"), ())?;
    conn.execute(
        &text("INSERT INTO kids (id, email, parent_id, age) VALUES (1, 'a@x', 1, 3)"),
        (),
    )?;
    Ok(conn)
}

fn insert_kid(
    conn: &mut aludel::Connection,
    id: i64,
    email: Option<&str>,
    parent: i64,
    age: i64,
) -> Result<()> {
    conn.execute(
        &text("INSERT INTO kids (id, email, parent_id, age) VALUES (:id, :email, :p, :age)"),
        params! { "id" => id, "email" => email, "p" => parent, "age" => age },
    )
    .map(|_| ())
}

/// Asserts `result` is `Integrity` of `kind` with `constraint`, and returns its code.
fn integrity(
    result: Result<()>,
    kind: DatabaseErrorKind,
    constraint: Option<&str>,
) -> Option<String> {
    let err = result.expect_err("the statement must fail");
    let db = match &err {
        Error::Integrity(db) => db,
        other => panic!("expected an integrity error, got {other:?}"),
    };
    assert_eq!(db.kind, kind, "{err}");
    assert_eq!(db.constraint.as_deref(), constraint, "{err}");
    let sql = db.sql.as_deref().unwrap_or_default();
    assert!(
        sql.starts_with("INSERT INTO kids") && !sql.contains("a@x"),
        "{sql}"
    );
    db.code.clone()
}

backend_tests! {
    fn unique_violation_is_integrity_with_constraint_and_code(db) {
        let mut conn = schema(db)?;
        let code = integrity(
            insert_kid(&mut conn, 2, Some("a@x"), 1, 1),
            DatabaseErrorKind::UniqueViolation,
            Some(db.pick("kids.email", "uq_kids_email", "uq_kids_email")),
        );
        assert_eq!(code.as_deref(), Some(db.pick("2067", "23505", "1062")));
        Ok(())
    }

    fn foreign_key_violation_is_integrity(db) {
        let mut conn = schema(db)?;
        let code = integrity(
            insert_kid(&mut conn, 2, Some("b@x"), 99, 1),
            DatabaseErrorKind::ForeignKeyViolation,
            match db.backend() {
                Backend::Sqlite => None,
                _ => Some("fk_kids_parent"),
            },
        );
        assert_eq!(code.as_deref(), Some(db.pick("787", "23503", "1452")));
        Ok(())
    }

    fn not_null_violation_is_integrity(db) {
        let mut conn = schema(db)?;
        let code = integrity(
            insert_kid(&mut conn, 2, None, 1, 1),
            DatabaseErrorKind::NotNullViolation,
            match db.backend() {
                Backend::Sqlite => Some("kids.email"),
                Backend::Postgres => None,
                Backend::MySql => Some("email"),
            },
        );
        assert_eq!(code.as_deref(), Some(db.pick("1299", "23502", "1048")));
        Ok(())
    }

    fn check_violation_is_integrity(db) {
        let mut conn = schema(db)?;
        let code = integrity(
            insert_kid(&mut conn, 2, Some("c@x"), 1, -1),
            DatabaseErrorKind::CheckViolation,
            Some("ck_kids_age"),
        );
        assert_eq!(code.as_deref(), Some(db.pick("275", "23514", "4025")));
        Ok(())
    }

    fn syntax_and_unknown_table_are_programming_errors(db) {
        let mut conn = db.connect()?;
        let err = conn.execute(&text("SELEC 1"), ()).unwrap_err();
        assert!(matches!(err, Error::Programming(_)), "{err:?}");
        let code = err.database_error().and_then(|e| e.code.clone());
        assert_eq!(code.as_deref(), Some(db.pick("1", "42601", "1064")));
        assert_eq!(err.database_error().and_then(|e| e.sql.clone()).as_deref(), Some("SELEC 1"));
        let err = conn.execute(&text("SELECT * FROM no_such_table"), ()).unwrap_err();
        assert!(matches!(err, Error::Programming(_)), "{err:?}");
        assert!(err.to_string().contains("no_such_table"), "{err}");
        // The connection is still usable afterwards.
        assert_eq!(conn.scalar::<i64>(&text("SELECT 1"), ())?, 1);
        Ok(())
    }

    fn out_of_range_value_is_a_data_error(db) {
        if db.backend() == Backend::Sqlite {
            return Ok(()); // SQLite stores any integer in any column.
        }
        let mut conn = schema(db)?;
        let err = conn
            .execute(&text("INSERT INTO kids (id, email, age) VALUES (5, 'z', 99999999999)"), ())
            .unwrap_err();
        assert!(matches!(err, Error::Data(_)), "{err:?}");
        let code = err.database_error().and_then(|e| e.code.clone());
        assert_eq!(code.as_deref(), Some(db.pick("", "22003", "1264")));
        Ok(())
    }

    fn a_value_that_does_not_fit_the_parameter_type_is_a_clear_error(db) {
        let mut conn = schema(db)?;
        // Bound as a parameter, the value is checked before it reaches the server on
        // PostgreSQL (INT4 parameter) and rejected by the server elsewhere (strict mode);
        // SQLite accepts it.
        let result = conn.execute(
            &text("UPDATE kids SET age = :age WHERE id = 1"),
            params! { "age" => 99_999_999_999_i64 },
        );
        match db.backend() {
            Backend::Sqlite => assert!(result.is_ok()),
            _ => {
                let err = result.unwrap_err();
                assert!(matches!(err, Error::Data(_)), "{err:?}");
                assert!(err.to_string().contains("range"), "{err}");
            }
        }
        Ok(())
    }

    fn a_value_the_driver_cannot_encode_names_the_column_it_is_compared_with(db) {
        if db.backend() != Backend::Postgres {
            // Only PostgreSQL's client encodes values for the parameter's type; SQLite and
            // MySQL send the text and let the server compare. (Typed ORM columns refuse
            // such a value at compile time on every backend: tests/orm_typed_columns.rs.)
            return Ok(());
        }
        let mut conn = schema(db)?;
        let kids = Table::build("kids")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(Column::new("age", SqlType::Integer))
            .finish();
        let stmt = select([kids.c("id")]).where_(kids.c("age").eq(bindparam("age")));
        let err = conn.execute(&stmt, params! { "age" => "abc" }).unwrap_err();
        assert!(matches!(err, Error::Data(_)), "{err:?}");
        assert!(err.to_string().contains("column kids.age"), "{err}");
        Ok(())
    }

    fn a_connection_killed_from_another_session_is_detected_and_replaced(db) {
        if db.backend() == Backend::Sqlite {
            return Ok(()); // no server session to kill
        }
        let engine = db.builder().pool_size(2).max_overflow(0).build()?;
        let mut victim = engine.connect()?;
        let id_sql = text(db.pick("", "SELECT pg_backend_pid()", "SELECT CONNECTION_ID()"));
        let victim_id: i64 = victim.scalar(&id_sql, ())?;
        let mut killer = engine.connect()?;
        match db.backend() {
            Backend::Postgres => {
                let ok: bool = killer.scalar(
                    &text("SELECT pg_terminate_backend(CAST(:pid AS INTEGER), 5000)"),
                    params! { "pid" => victim_id },
                )?;
                assert!(ok);
            }
            _ => killer.execute_script(&format!("KILL {victim_id}"))?,
        }
        drop(killer);
        let err = victim.execute(&text("SELECT 1"), ()).unwrap_err();
        assert!(err.is_disconnect(), "{err:?}");
        assert!(err.is_retryable());
        assert!(err.to_string().contains("connection to the database was lost"), "{err}");
        assert!(victim.is_invalidated());
        drop(victim);
        for _ in 0..3 {
            let mut conn = engine.connect()?;
            let id: i64 = conn.scalar(&id_sql, ())?;
            assert_ne!(id, victim_id, "the killed connection was handed out again");
        }
        Ok(())
    }
}

backend_tests! {
    fn a_lock_held_by_another_connection_is_a_retryable_operational_error(db) {
        drop(schema(db)?);
        let engine = db.builder().connect_arg(
            db.pick("busy_timeout", "options", "init_command"),
            db.pick("50", "-c lock_timeout=100", "SET innodb_lock_wait_timeout = 1"),
        ).build()?;
        let mut holder = engine.connect()?;
        holder.begin_transaction()?;
        holder.execute(&text("UPDATE kids SET age = 4 WHERE id = 1"), ())?;
        let mut waiter = engine.connect()?;
        let err = waiter.execute(&text("UPDATE kids SET age = 5 WHERE id = 1"), ()).unwrap_err();
        assert!(matches!(err, Error::Operational(_)), "{err:?}");
        assert_eq!(err.database_error().map(|e| e.kind), Some(DatabaseErrorKind::LockTimeout), "{err}");
        assert!(err.is_retryable());
        holder.rollback()?;
        Ok(())
    }

    fn a_column_of_an_unsupported_type_is_a_clear_error_naming_it(db) {
        if db.backend() != Backend::Postgres {
            return Ok(()); // SQLite and MySQL hand every type back as a known kind.
        }
        let mut conn = db.connect()?;
        let err = conn.execute(&text("SELECT interval '1 day' AS span"), ()).unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("'span'") && message.contains("interval"), "{message}");
        Ok(())
    }
}

backend_tests! {
    fn a_deadlock_victim_gets_a_retryable_deadlock_error(db) {
        if db.backend() == Backend::Sqlite {
            return Ok(()); // one writer at a time: SQLite cannot deadlock
        }
        let mut setup = schema(db)?;
        setup.execute(&text("INSERT INTO kids (id, email, parent_id, age) VALUES (2, 'b@x', 1, 3)"), ())?;
        let mut c1 = db.connect()?;
        let mut c2 = db.connect()?;
        let update = text("UPDATE kids SET age = age + 1 WHERE id = :id");
        c1.begin_transaction()?;
        c1.execute(&update, params! { "id" => 1 })?;
        c2.begin_transaction()?;
        c2.execute(&update, params! { "id" => 2 })?;
        let first = std::thread::spawn(move || {
            let r = c1.execute(&text("UPDATE kids SET age = age + 1 WHERE id = :id"), params! { "id" => 2 }).map(|_| ());
            let _ = c1.rollback();
            r
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        let second = c2.execute(&update, params! { "id" => 1 }).map(|_| ());
        let _ = c2.rollback();
        let first = first.join().map_err(|_| Error::InvalidRequest { message: "thread panicked".into() })?;
        let errors: Vec<Error> = [first, second].into_iter().filter_map(|r| r.err()).collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let err = &errors[0];
        assert_eq!(err.database_error().map(|e| e.kind), Some(DatabaseErrorKind::Deadlock), "{err}");
        assert!(err.is_retryable());
        assert_eq!(err.database_error().and_then(|e| e.code.as_deref()), Some(db.pick("", "40P01", "1213")));
        Ok(())
    }
}

backend_tests! {
    fn a_serialization_failure_is_retryable(db) {
        if db.backend() != Backend::Postgres {
            return Ok(()); // SQLite serialises writers; MySQL's SERIALIZABLE locks (deadlock instead)
        }
        drop(schema(db)?);
        let engine = db.builder().isolation_level(aludel::IsolationLevel::Serializable).build()?;
        let (mut c1, mut c2) = (engine.connect()?, engine.connect()?);
        let total = text("SELECT sum(age) FROM kids");
        let insert = text("INSERT INTO kids (id, email, parent_id, age) VALUES (:id, :e, 1, 1)");
        c1.begin_transaction()?;
        c2.begin_transaction()?;
        c1.scalar::<i64>(&total, ())?;
        c2.scalar::<i64>(&total, ())?;
        c1.execute(&insert, params! { "id" => 10, "e" => "s1" })?;
        c2.execute(&insert, params! { "id" => 11, "e" => "s2" })?;
        c1.commit()?;
        let err = c2.commit().unwrap_err();
        assert_eq!(err.database_error().map(|e| e.kind), Some(DatabaseErrorKind::SerializationFailure), "{err}");
        assert_eq!(err.database_error().and_then(|e| e.code.as_deref()), Some("40001"));
        assert!(err.is_retryable());
        c2.rollback()?;
        Ok(())
    }
}

backend_tests! {
    fn a_write_in_a_read_only_session_is_a_read_only_error_and_changes_nothing(db) {
        let mut conn = schema(db)?;
        conn.execute_script(db.pick(
            "PRAGMA query_only = ON",
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
            "SET SESSION TRANSACTION READ ONLY",
        ))?;
        let err = insert_kid(&mut conn, 2, Some("ro@x"), 1, 1).unwrap_err();
        let details = err.database_error().expect("a database error");
        assert!(matches!(err, Error::Operational(_)), "{err:?}");
        assert_eq!(details.kind, DatabaseErrorKind::ReadOnly, "{err}");
        assert_eq!(details.code.as_deref(), Some(db.pick("8", "25006", "1792")), "{err}");
        assert!(!err.is_retryable(), "a read-only server stays read-only: {err}");
        // Reads still work on the read-only session, and the write left nothing behind.
        let count = text("SELECT count(*) FROM kids");
        assert_eq!(conn.scalar::<i64>(&count, ())?, 1);
        conn.execute_script(db.pick(
            "PRAGMA query_only = OFF",
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
            "SET SESSION TRANSACTION READ WRITE",
        ))?;
        insert_kid(&mut conn, 2, Some("rw@x"), 1, 1)?;
        assert_eq!(conn.scalar::<i64>(&count, ())?, 2);
        Ok(())
    }
}
