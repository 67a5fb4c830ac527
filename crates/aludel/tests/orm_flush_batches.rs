//! How a flush batches its statements, on every backend: INSERTs in multi-row batches
//! sized to the bind-parameter limit (row by row on SQLite), generated keys matched to
//! their objects, and UPDATEs grouped by the set of changed columns, one executemany per
//! group (pipelined in one round trip on PostgreSQL), each row still checked for StaleData.

mod common;

use std::collections::HashMap;

use aludel::engine::Backend;
use aludel::orm::{Model, Session, SessionConfig, create_all};
use aludel::sql::text;
use aludel::{Error, Result};

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "items")]
struct Item {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    name: String,
    score: i32,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "labels")]
struct Label {
    #[column(primary_key)]
    id: Option<i64>,
    #[column(max_len = 20)]
    name: String,
    rank: i32,
}

fn updates(statements: &[String]) -> Vec<&String> {
    statements
        .iter()
        .filter(|s| s.starts_with("UPDATE"))
        .collect()
}

backend_tests! {
    fn updates_with_two_changed_column_sets_are_two_statements(db) {
        create_all(db, &[Item::info()])?;
        let s = Session::new(db);
        s.add_all((1..=1000).map(|i| Item { id: i, name: format!("n{i}"), score: 0 }))?;
        s.commit()?;
        let items = s.query::<Item>().all()?;
        assert_eq!(items.len(), 1000);
        for item in &items {
            let mut w = item.write()?;
            if w.id % 2 == 0 {
                w.name = format!("even{}", w.id);
            } else {
                w.score = w.id as i32 * 3;
            }
        }
        let rec = db.record_statements();
        let trips = db.round_trips();
        s.flush()?;
        let trips = db.round_trips() - trips;
        match db.backend() {
            // Each shape's 500 UPDATEs are written in one pipeline (plus one prepare each).
            Backend::Postgres => assert!(trips <= 4, "{trips} round trips"),
            // The MySQL client has no pipelining: one round trip per row.
            Backend::MySql => assert!(trips >= 1000, "{trips} round trips"),
            Backend::Sqlite => assert_eq!(trips, 0),
        }
        let statements = rec.take();
        let mut sent = updates(&statements);
        sent.sort();
        let ph = |i: usize| db.pick("?", if i == 1 { "$1" } else { "$2" }, "?").to_string();
        assert_eq!(
            sent,
            vec![
                &format!("UPDATE items SET name = {} WHERE items.id = {}", ph(1), ph(2)),
                &format!("UPDATE items SET score = {} WHERE items.id = {}", ph(1), ph(2)),
            ]
        );
        s.commit()?;
        let mut conn = db.connect()?;
        let right: i64 = conn.scalar(
            &text(db.pick(
                "SELECT count(*) FROM items WHERE (id % 2 = 0 AND name = 'even' || id AND score = 0) OR (id % 2 = 1 AND name = 'n' || id AND score = id * 3)",
                "SELECT count(*) FROM items WHERE (id % 2 = 0 AND name = 'even' || id AND score = 0) OR (id % 2 = 1 AND name = 'n' || id AND score = id * 3)",
                "SELECT count(*) FROM items WHERE (id % 2 = 0 AND name = concat('even', id) AND score = 0) OR (id % 2 = 1 AND name = concat('n', id) AND score = id * 3)",
            )),
            (),
        )?;
        assert_eq!(right, 1000);
        Ok(())
    }

    fn a_vanished_row_in_a_batched_update_is_stale_data(db) {
        create_all(db, &[Item::info()])?;
        let s = Session::with_config(db, SessionConfig { expire_on_commit: false, ..SessionConfig::default() });
        let items = s.add_all((1..=10).map(|i| Item { id: i, name: format!("n{i}"), score: 0 }))?;
        s.commit()?;
        db.connect()?.execute(&text("DELETE FROM items WHERE id = 7"), ())?;
        for item in &items {
            item.write()?.score = 1;
        }
        let err = s.flush().unwrap_err();
        assert!(matches!(err, Error::StaleData { .. }), "{err}");
        assert!(err.to_string().contains("0 were matched"), "{err}");
        s.rollback()?;
        Ok(())
    }

    fn inserted_objects_get_their_own_generated_keys_across_batches(db) {
        create_all(db, &[Label::info()])?;
        let s = Session::new(db);
        // 40,000 objects of two bound columns: 40 INSERTs of 1,000 rows on PostgreSQL and
        // MySQL; on SQLite one executemany (recorded once) running a single-row INSERT per
        // object through one prepared statement. The ranks are not in insertion order, so keys
        // shifted within or across pages cannot pass by accident.
        let total = 40_000i64;
        let labels = s.add_all((0..total).map(|i| Label {
            id: None,
            name: format!("L{i}"),
            rank: ((i * 7919) % total) as i32,
        }))?;
        let rec = db.record_statements();
        s.flush()?;
        let statements = rec.take();
        let inserts = statements.iter().filter(|s| s.starts_with("INSERT")).count();
        assert_eq!(inserts, if db.backend() == Backend::Sqlite { 1 } else { 40 });
        s.commit()?;
        let mut conn = db.connect()?;
        let stored: HashMap<i64, (String, i32)> = conn
            .execute(&text("SELECT id, name, `rank` FROM labels".replace('`', db.pick("\"", "\"", "`"))), ())?
            .fetchall()
            .into_iter()
            .map(|r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
            .collect::<Result<_>>()?;
        assert_eq!(stored.len(), total as usize);
        for label in &labels {
            let l = label.read()?;
            let id = l.id.expect("key assigned");
            assert_eq!(stored[&id], (l.name.clone(), l.rank), "key {id}");
        }
        Ok(())
    }
}
