//! A tiny workload for counting what the client sends to the server: `N` `Session::get`s,
//! each in a fresh session that is closed, or `N` transactions that run nothing or one
//! INSERT. Run it under `strace -f -c -e trace=sendto,write` with `N=0` and `N=1000` and
//! divide the difference by 1,000 (docs/performance.md, "Round trips"):
//!
//! ```text
//! DATABASE_URL=postgresql://postgres@127.0.0.1/test N=1000 OP=get \
//!   strace -f -c -e trace=sendto,write target/debug/examples/round_trips
//! ```
//!
//! `OP` picks the operation: `get` (default), `empty` (a Core transaction committed without a
//! statement) or `tx` (a Core transaction with one INSERT, committed).

use aludel::orm::{Model, Session, create_all};
use aludel::sql::text;

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "rt_items")]
struct Item {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    #[column(max_len = 20)]
    name: String,
}

fn main() -> aludel::Result<()> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://rt.db".to_owned());
    let n: i64 = std::env::var("N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let op = std::env::var("OP").unwrap_or_else(|_| "get".to_owned());
    let engine = aludel::create_engine(&url)?;
    let mut conn = engine.connect()?;
    conn.execute_script("DROP TABLE IF EXISTS rt_items")?;
    drop(conn);
    create_all(&engine, &[Item::info()])?;
    let s = Session::new(&engine);
    s.add(Item {
        id: 1,
        name: "one".into(),
    })?;
    s.commit()?;
    // Warm up: the prepared statement is cached on the pooled connection.
    let s = Session::new(&engine);
    s.get::<Item>(1)?;
    s.close()?;
    let mut conn = engine.connect()?;
    conn.execute(
        &text("INSERT INTO rt_items (id, name) VALUES (:id, 'x')"),
        aludel::params! { "id" => 0 },
    )?;
    drop(conn);
    eprintln!("--- start ({op} x {n})");
    for i in 0..n {
        match op.as_str() {
            "empty" => engine.begin()?.commit()?,
            "tx" => {
                let mut tx = engine.begin()?;
                tx.execute(
                    &text("INSERT INTO rt_items (id, name) VALUES (:id, 'x')"),
                    aludel::params! { "id" => i + 2 },
                )?;
                tx.commit()?;
            }
            _ => {
                let s = Session::new(&engine);
                assert!(s.get::<Item>(1)?.is_some());
                s.close()?;
            }
        }
    }
    eprintln!("--- end");
    Ok(())
}
