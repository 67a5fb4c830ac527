//! aludel behind PgBouncer in transaction pooling mode (`scripts/engines.sh`:
//! ALUDEL_TEST_PGBOUNCER, PgBouncer 1.18 with 4 server connections in front of the primary
//! cluster), with `prepared_statements=false`: ORM flushes, queries and transactions from
//! more threads than PgBouncer has server connections, every value type round-tripped,
//! and the rows read back directly from the server.
//!
//! The tables live in the public schema: PgBouncer 1.18 refuses the `options` startup
//! parameter, so a test cannot select its own schema through `search_path`.

mod common;

use std::sync::{Arc, Barrier};

use aludel::orm::{Model, Session, create_all};
use aludel::sql::{Value, text};
use aludel::{Engine, Result, params};

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "bouncer_accounts")]
struct Account {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 50)]
    owner: String,
    balance: i64,
}

/// An engine through PgBouncer (no named statements), or `None` after saying SKIPPED.
fn bouncer(pool_size: usize) -> Option<Engine> {
    let Ok(base) = std::env::var("ALUDEL_TEST_PGBOUNCER") else {
        eprintln!("SKIPPED (ALUDEL_TEST_PGBOUNCER not set; run scripts/engines.sh start)");
        return None;
    };
    let url = format!("{base}?prepared_statements=false");
    let engine = Engine::builder(&url)
        .pool_size(pool_size)
        .build()
        .expect("engine through PgBouncer");
    Some(engine)
}

/// The primary cluster PgBouncer pools, reached directly.
fn primary() -> Result<Engine> {
    let url = std::env::var("ALUDEL_TEST_PG_PRIMARY").expect("ALUDEL_TEST_PG_PRIMARY");
    aludel::create_engine(&url)
}

#[test]
fn orm_work_from_many_threads_through_transaction_pooling() -> Result<()> {
    const THREADS: usize = 12;
    const ROUNDS: i64 = 25;
    let Some(engine) = bouncer(THREADS) else {
        return Ok(());
    };
    engine
        .connect()?
        .execute_script("DROP TABLE IF EXISTS bouncer_accounts")?;
    create_all(&engine, &[Account::info()])?;
    let start = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (engine, start) = (engine.clone(), start.clone());
            std::thread::spawn(move || -> Result<()> {
                start.wait();
                for round in 0..ROUNDS {
                    let owner = format!("t{t}-r{round}");
                    let session = Session::new(&engine);
                    let account = session.add(Account {
                        id: 0,
                        owner: owner.clone(),
                        balance: round,
                    })?;
                    session.flush()?;
                    // A query in the same transaction sees the flushed row, as one object.
                    let found = session
                        .query::<Account>()
                        .filter(Account::owner.eq(owner.as_str()))
                        .one()?;
                    assert!(found.ptr_eq(&account));
                    let id = account.read()?.id;
                    session.commit()?;
                    // A change rolled back leaves the committed row as it was.
                    account.write()?.balance = -1;
                    session.flush()?;
                    session.rollback()?;
                    // (One session in a transaction per thread at a time: a thread that
                    // holds one server connection while waiting for another can starve a
                    // pool smaller than the number of threads, behind any pooler.)
                    let reader = Session::new(&engine);
                    let again = reader.get::<Account>(id)?.expect("committed");
                    assert_eq!(again.read()?.balance, round, "{owner}");
                    reader.close()?;
                }
                Ok(())
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker thread")?;
    }
    // Read back on the server itself, bypassing PgBouncer.
    let mut direct = primary()?.connect()?;
    let total = text("SELECT count(*), sum(balance), count(DISTINCT owner) FROM bouncer_accounts");
    let row = direct.execute(&total, ())?.one()?;
    let rows = (THREADS as i64) * ROUNDS;
    assert_eq!(row.get::<i64>(0)?, rows);
    assert_eq!(
        row.get::<i64>(1)?,
        (THREADS as i64) * (0..ROUNDS).sum::<i64>()
    );
    assert_eq!(row.get::<i64>(2)?, rows);
    direct.execute_script("DROP TABLE bouncer_accounts")?;
    Ok(())
}

#[test]
fn every_value_type_round_trips_as_text_parameters_through_pgbouncer() -> Result<()> {
    let Some(engine) = bouncer(2) else {
        return Ok(());
    };
    let mut conn = engine.connect()?;
    conn.execute_script(
        "DROP TABLE IF EXISTS bouncer_values; CREATE TABLE bouncer_values (\
         i2 SMALLINT, i8 BIGINT, f FLOAT8, n NUMERIC(12, 4), b BOOLEAN, t TEXT, bin BYTEA, \
         d DATE, tm TIME, ts TIMESTAMP, tz TIMESTAMPTZ, u UUID, j JSONB, missing INTEGER)",
    )?;
    let date = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).expect("date");
    let at = date.and_hms_micro_opt(23, 59, 58, 123_456).expect("time");
    let values = vec![
        Value::Int(-7),
        Value::Int(i64::MAX),
        Value::Float(0.1),
        Value::Decimal("12345678.9012".parse().expect("decimal")),
        Value::Bool(true),
        Value::Text("quote ' backslash \\ \"{x,y}\" ünïcode".into()),
        Value::Bytes(vec![0, 1, 0xfe, 0xff]),
        Value::Date(date),
        Value::Time(at.time()),
        Value::DateTime(at),
        Value::DateTimeUtc(at.and_utc()),
        Value::Uuid(uuid::Uuid::from_u128(
            0x1234_5678_9abc_def0_1234_5678_9abc_def0,
        )),
        Value::Json(serde_json::json!({"k": [1, "two", null]})),
        Value::Null,
    ];
    conn.run_sql(
        "INSERT INTO bouncer_values VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &values,
    )?;
    let row = conn
        .execute(&text("SELECT * FROM bouncer_values"), ())?
        .one()?;
    assert_eq!(row.values(), values.as_slice());
    // An array parameter (a long IN list) and a NULL compared by the server's inference.
    let ids = text(
        "SELECT count(*) FROM bouncer_values WHERE i2 = ANY(:ids) AND missing IS NOT DISTINCT FROM :m",
    );
    let found = conn.scalar::<i64>(
        &ids,
        params! { "ids" => Value::Array(vec![Value::Int(3), Value::Int(-7)]), "m" => Value::Null },
    )?;
    assert_eq!(found, 1);
    // A value the inferred type cannot read is the server's clear error, not a changed value.
    let err = conn
        .execute(
            &text("UPDATE bouncer_values SET i2 = :v"),
            params! { "v" => 1.5 },
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid input syntax for type smallint"),
        "{err}"
    );
    conn.execute_script("DROP TABLE bouncer_values")?;
    Ok(())
}
