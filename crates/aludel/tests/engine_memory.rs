//! `sqlite://:memory:`: one database on one shared connection. A single session (the README
//! quick start) works as before; a second session or connection on the thread holding the
//! connection fails at once with an error naming `:memory:` (it could only time out), and
//! another thread waits its turn. SQLite only: the servers have no `:memory:`.

use std::time::{Duration, Instant};

use aludel::orm::{Model, Session, create_all};
use aludel::prelude::*;
use aludel::sql::text;
use aludel::{Error, Result};

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "employees")]
struct Employee {
    #[column(primary_key)]
    emp_no: i32,
    #[column(max_len = 16)]
    last_name: String,
}

fn employee(emp_no: i32, last_name: &str) -> Employee {
    Employee {
        emp_no,
        last_name: last_name.into(),
    }
}

fn memory_engine() -> Result<aludel::Engine> {
    let engine = create_engine("sqlite://:memory:")?;
    create_all(&engine, &[Employee::info()])?;
    Ok(engine)
}

/// Asserts `err` is the immediate `:memory:` refusal, not a `PoolTimeout`.
fn assert_memory_refusal(err: &Error, started: Instant) {
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("sqlite://:memory: has a single connection"),
        "{message}"
    );
    assert!(
        message.contains("file database"),
        "the error says what to use instead: {message}"
    );
}

#[test]
fn one_session_keeps_working_on_memory_sqlite() -> Result<()> {
    let engine = memory_engine()?;
    let session = Session::new(&engine);
    session.add(employee(16621, "Strehl"))?;
    session.commit()?;
    let e = session
        .query::<Employee>()
        .filter(Employee::emp_no.eq(16621))
        .one()?;
    assert_eq!(e.read()?.last_name, "Strehl");
    session.add(employee(16622, "Kuo"))?;
    session.commit()?;
    // Sessions one after another share the database too.
    assert_eq!(Session::new(&engine).query::<Employee>().count()?, 2);
    Ok(())
}

#[test]
fn a_second_session_while_the_first_holds_a_transaction_fails_at_once_naming_memory() -> Result<()>
{
    let engine = memory_engine()?;
    let first = Session::new(&engine);
    first.add(employee(1, "committed"))?;
    first.commit()?;
    first.add(employee(2, "pending"))?;
    first.flush()?; // the transaction is open and holds the one connection
    let second = Session::new(&engine);
    let started = Instant::now();
    let err = second.query::<Employee>().count().unwrap_err();
    assert_memory_refusal(&err, started);
    // Once the first session commits, the second one works and sees its rows.
    first.commit()?;
    assert_eq!(second.query::<Employee>().count()?, 2);
    Ok(())
}

#[test]
fn a_second_connection_on_the_same_thread_fails_at_once_naming_memory() -> Result<()> {
    let engine = memory_engine()?;
    let mut first = engine.connect()?;
    first.begin_transaction()?;
    first.execute(&text("INSERT INTO employees VALUES (1, 'x')"), ())?;
    let started = Instant::now();
    let err = engine.connect().unwrap_err();
    assert_memory_refusal(&err, started);
    match engine.begin() {
        Err(err) => assert_memory_refusal(&err, started),
        Ok(_) => panic!("a second transaction on the memory connection was handed out"),
    }
    first.rollback()?;
    drop(first);
    let n: i64 = engine
        .connect()?
        .scalar(&text("SELECT count(*) FROM employees"), ())?;
    assert_eq!(n, 0);
    Ok(())
}

#[test]
fn another_thread_waits_for_the_memory_connection_and_sees_committed_rows() -> Result<()> {
    let engine = memory_engine()?;
    let first = Session::new(&engine);
    first.add(employee(1, "ada"))?;
    first.flush()?;
    let e2 = engine.clone();
    let waiter = std::thread::spawn(move || Session::new(&e2).query::<Employee>().count());
    std::thread::sleep(Duration::from_millis(100));
    first.commit()?;
    let n = waiter.join().map_err(|_| Error::InvalidRequest {
        message: "waiter panicked".into(),
    })??;
    assert_eq!(n, 1);
    Ok(())
}
