//! A limit far past the usual, measured by peak memory: a session holding 1,000,000 new
//! instances flushes with memory bounded by a small multiple of what the objects themselves
//! take. (10,000,000 streamed rows are `orm_yield_per.rs`' memory test at full size,
//! `scripts/yield_per_rss.sh`.) Slow (a minute per backend in a debug build), so it runs
//! only with `ALUDEL_LIMITS=1` (`scripts/limits.sh`); otherwise it says SKIPPED and passes.
//! Memory is the process's resident set from /proc/self/status (each test runs in its own
//! process under nextest).

mod common;

use std::time::Instant;

use aludel::orm::{Model, Session, create_all};
use aludel::sql::text;

use common::{TestDb, rss_kib};

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "items")]
struct Item {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    #[column(max_len = 40)]
    label: String,
    weight: f64,
}

/// Whether the slow limit tests were asked for; says why not otherwise.
fn wanted(db: &TestDb, test: &str) -> bool {
    let on = std::env::var("ALUDEL_LIMITS").is_ok_and(|v| v == "1");
    if !on {
        eprintln!(
            "SKIPPED (set ALUDEL_LIMITS=1 or run scripts/limits.sh): {test} on {}",
            db.backend().name()
        );
    }
    on
}

const MIB: u64 = 1024;

backend_tests! {
    fn a_session_holding_a_million_new_instances_flushes_in_bounded_memory(db) {
        if !wanted(db, "a_session_holding_a_million_new_instances") {
            return Ok(());
        }
        const OBJECTS: i64 = 1_000_000;
        create_all(db, &[Item::info()])?;
        let (start, _) = rss_kib();
        let s = Session::new(db);
        let started = Instant::now();
        s.add_all((1..=OBJECTS).map(|id| Item { id, label: format!("item number {id}"), weight: id as f64 / 8.0 }))?;
        let (held, held_peak) = rss_kib();
        let added = started.elapsed();
        s.commit()?;
        let flushed = started.elapsed() - added;
        let (after, peak) = rss_kib();
        drop(s);
        let (dropped, _) = rss_kib();
        let objects = held.saturating_sub(start);
        let flush_extra = peak.saturating_sub(held_peak.max(held));
        eprintln!(
            "LIMIT session of {OBJECTS} new objects on {}: add {:.1} s, flush+commit {:.1} s ({:.0} rows/s); RSS start {} MiB, holding them {} MiB, peak during flush (VmHWM) {} MiB (+{} MiB for the flush), after commit {} MiB, session dropped {} MiB",
            db.backend().name(), added.as_secs_f64(), flushed.as_secs_f64(), OBJECTS as f64 / flushed.as_secs_f64(),
            start / MIB, held / MIB, peak / MIB, flush_extra / MIB, after / MIB, dropped / MIB
        );
        let stored: i64 = db.connect()?.scalar(&text("SELECT count(*) FROM items"), ())?;
        assert_eq!(stored, OBJECTS, "every object was inserted");
        let checksum: f64 = db.connect()?.scalar(&text("SELECT sum(weight) FROM items"), ())?;
        assert_eq!(checksum, (OBJECTS * (OBJECTS + 1) / 2) as f64 / 8.0);
        // The flush reads each new object's values once and keeps them until its batched
        // INSERTs have run, so it needs memory in proportion to the pending objects: about
        // as much again as the objects themselves (1.5x measured on SQLite), never a
        // multiple of it (which a flush building every statement at once would need).
        assert!(flush_extra < 2 * objects, "the flush needed {flush_extra} KiB on top of {objects} KiB of objects");
        Ok(())
    }
}
