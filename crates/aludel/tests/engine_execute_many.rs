//! `Connection::execute_many` of a single-row INSERT: multi-row batches sized to the
//! backend's bind-parameter limit, RETURNING rows matched to their parameter sets, and
//! per-row execution for everything else. Statement counts come from the recorder.

mod common;

use std::collections::HashMap;

use aludel::engine::Backend;
use aludel::sql::{Column, Params, SqlType, Table, bindparam, insert, text, update};
use aludel::{Result, params};

use common::TestDb;

/// `wide`: an autoincrement key and `width` payload columns, integer and text in turn.
fn wide_table(db: &TestDb, width: i64) -> Result<Table> {
    let mut conn = db.connect()?;
    let key = db.pick(
        "id INTEGER PRIMARY KEY",
        "id BIGSERIAL PRIMARY KEY",
        "id BIGINT AUTO_INCREMENT PRIMARY KEY",
    );
    let text_type = db.pick("TEXT", "TEXT", "VARCHAR(20)");
    let payload: Vec<String> = (0..width)
        .map(|i| {
            if i % 2 == 0 {
                format!("c{i} BIGINT")
            } else {
                format!("c{i} {text_type}")
            }
        })
        .collect();
    conn.execute(
        &text(format!("CREATE TABLE wide ({key}, {})", payload.join(", "))),
        (),
    )?;
    let mut t = Table::build("wide").column(Column::new("id", SqlType::Integer).primary_key());
    for i in 0..width {
        let ty = if i % 2 == 0 {
            SqlType::Integer
        } else {
            SqlType::Text
        };
        t = t.column(Column::new(&format!("c{i}"), ty));
    }
    Ok(t.finish())
}

fn wide_insert(t: &Table, width: i64) -> aludel::sql::Insert {
    let mut stmt = insert(t);
    for i in 0..width {
        let name = format!("c{i}");
        stmt = stmt.value(&name, bindparam(&name));
    }
    stmt
}

fn wide_params(i: i64, width: i64) -> Params {
    let mut p = Params::new();
    for c in 0..width {
        let name = format!("c{c}");
        p = if c % 2 == 0 {
            p.with(name, i * 10 + c)
        } else {
            p.with(name, format!("r{i}c{c}"))
        };
    }
    p
}

fn inserts(statements: &[String]) -> Vec<&String> {
    statements
        .iter()
        .filter(|s| s.starts_with("INSERT"))
        .collect()
}

backend_tests! {
    fn ten_thousand_rows_go_in_pages_of_a_thousand_rows(db) {
        let t = wide_table(db, 8)?;
        let params: Vec<Params> = (0..10_000).map(|i| wide_params(i, 8)).collect();
        let mut conn = db.connect()?;
        let rec = db.record_statements();
        let n = conn.execute_many(&wide_insert(&t, 8), &params)?;
        assert_eq!(n, 10_000);
        // 8 columns: the bind limit would allow 4,095 (SQLite) or 8,191 rows per statement,
        // pages stop at 1,000.
        let statements = rec.take();
        assert_eq!(inserts(&statements).len(), 10, "{:?}", statements.iter().map(|s| &s[..60]).collect::<Vec<_>>());
        // Every row's values landed in its own row.
        assert_eq!(conn.scalar::<i64>(&text("SELECT count(*) FROM wide"), ())?, 10_000);
        let row = conn
            .execute(&text("SELECT c0, c1, c6, c7 FROM wide WHERE c0 = 77770"), ())?
            .one()?;
        assert_eq!(row.get::<String>(1)?, "r7777c1");
        assert_eq!(row.get::<i64>(2)?, 77776);
        assert_eq!(row.get::<String>(3)?, "r7777c7");
        let mismatched: i64 = conn.scalar(
            &text("SELECT count(*) FROM wide WHERE c2 <> c0 + 2 OR c4 <> c0 + 4"),
            (),
        )?;
        assert_eq!(mismatched, 0);
        Ok(())
    }

    fn wide_rows_go_in_as_many_inserts_as_the_bind_limit_needs(db) {
        let width = 60;
        let t = wide_table(db, width)?;
        let params: Vec<Params> = (0..5_000).map(|i| wide_params(i, width)).collect();
        let mut conn = db.connect()?;
        let rec = db.record_statements();
        assert_eq!(conn.execute_many(&wide_insert(&t, width), &params)?, 5_000);
        let limit = conn.dialect().max_bind_params();
        let per_statement = (limit / width as usize).min(1000);
        // SQLite: 32,766 / 60 = 546 rows per INSERT, 10 INSERTs; PostgreSQL and MySQL:
        // 65,535 / 60 = 1,092, so pages of 1,000: 5.
        let expected = 5_000usize.div_ceil(per_statement);
        assert_eq!(expected, if db.backend() == Backend::Sqlite { 10 } else { 5 });
        assert_eq!(inserts(&rec.take()).len(), expected);
        let right: i64 = conn.scalar(
            &text("SELECT count(*) FROM wide WHERE c58 = c0 + 58 AND c59 = concat('r', CAST(c0 / 10 AS CHAR(10)), 'c59')".replace(
                "concat('r', CAST(c0 / 10 AS CHAR(10)), 'c59')",
                db.pick("'r' || (c0 / 10) || 'c59'", "'r' || (c0 / 10) || 'c59'", "concat('r', c0 DIV 10, 'c59')"),
            )),
            (),
        )?;
        assert_eq!(right, 5_000);
        Ok(())
    }

    fn a_batched_insert_renders_one_values_group_per_row(db) {
        let t = Table::build("pairs")
            .column(Column::new("a", SqlType::Integer))
            .column(Column::new("b", SqlType::Text))
            .finish();
        let mut conn = db.connect()?;
        conn.execute(
            &text(db.pick(
                "CREATE TABLE pairs (a BIGINT, b TEXT)",
                "CREATE TABLE pairs (a BIGINT, b TEXT)",
                "CREATE TABLE pairs (a BIGINT, b VARCHAR(10))",
            )),
            (),
        )?;
        let stmt = insert(&t).value("a", bindparam("a")).value("b", bindparam("b"));
        let rec = db.record_statements();
        let params: Vec<Params> = (0..3).map(|i| params! {"a" => i, "b" => format!("x{i}")}).collect();
        assert_eq!(conn.execute_many(&stmt, &params)?, 3);
        assert_eq!(
            rec.take(),
            vec![db.pick(
                "INSERT INTO pairs (a, b) VALUES (?, ?), (?, ?), (?, ?)",
                "INSERT INTO pairs (a, b) VALUES ($1, $2), ($3, $4), ($5, $6)",
                "INSERT INTO pairs (a, b) VALUES (?, ?), (?, ?), (?, ?)",
            )
            .to_string()]
        );
        let got: Vec<(i64, String)> = conn
            .execute(&text("SELECT a, b FROM pairs ORDER BY a"), ())?
            .fetchall()
            .into_iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect::<Result<_>>()?;
        assert_eq!(got, vec![(0, "x0".into()), (1, "x1".into()), (2, "x2".into())]);
        Ok(())
    }

    fn returned_keys_belong_to_the_parameter_set_they_were_inserted_from(db) {
        if db.backend() == Backend::MySql {
            // No RETURNING on MySQL: the statement is refused when compiled.
            return Ok(());
        }
        let mut conn = db.connect()?;
        conn.execute(
            &text(db.pick(
                "CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL)",
                "CREATE TABLE items (id BIGSERIAL PRIMARY KEY, label TEXT NOT NULL)",
                "",
            )),
            (),
        )?;
        let t = Table::build("items")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(Column::new("label", SqlType::Text))
            .finish();
        // 70,000 one-value rows: 70 pages of 1,000 on PostgreSQL. The labels are not in key
        // order, so a mapping shifted within or across pages cannot pass by accident.
        let total = 70_000i64;
        let labels: Vec<String> = (0..total).map(|i| format!("L{}", (i * 7919) % total)).collect();
        let params: Vec<Params> = labels.iter().map(|l| params! {"label" => l.as_str()}).collect();
        let stmt = insert(&t)
            .value("label", bindparam("label"))
            .returning([t.c("id"), t.c("label")]);
        let rec = db.record_statements();
        // In a transaction: SQLite runs RETURNING inserts row by row, and outside one each
        // row would be its own durable commit.
        conn.begin_transaction()?;
        let rows = conn.execute_many_returning(&stmt, &params)?;
        conn.commit()?;
        let statements = rec.take();
        assert_eq!(
            inserts(&statements).len(),
            if db.backend() == Backend::Postgres { 70 } else { 70_000 }
        );
        assert_eq!(rows.len(), labels.len());
        let stored: HashMap<i64, String> = conn
            .execute(&text("SELECT id, label FROM items"), ())?
            .fetchall()
            .into_iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect::<Result<_>>()?;
        for (i, row) in rows.iter().enumerate() {
            let id: i64 = row.get("id")?;
            assert_eq!(row.get::<String>("label")?, labels[i], "row {i}");
            assert_eq!(stored[&id], labels[i], "key {id} of row {i}");
        }
        Ok(())
    }

    fn execute_many_of_an_update_runs_once_per_parameter_set(db) {
        let mut conn = db.connect()?;
        conn.execute(&text("CREATE TABLE counters (k BIGINT, v BIGINT)"), ())?;
        for k in 0..5 {
            conn.execute(&text("INSERT INTO counters (k, v) VALUES (:k, 0)"), params! {"k" => k})?;
        }
        let t = Table::build("counters")
            .column(Column::new("k", SqlType::Integer))
            .column(Column::new("v", SqlType::Integer))
            .finish();
        let stmt = update(&t).set("v", bindparam("v")).where_(t.c("k").eq(bindparam("k")));
        let rec = db.record_statements();
        let params: Vec<Params> = (0..5).map(|k| params! {"k" => k, "v" => k * 100}).collect();
        assert_eq!(conn.execute_many(&stmt, &params)?, 5);
        assert_eq!(rec.count(), 1);
        let right: i64 = conn.scalar(&text("SELECT count(*) FROM counters WHERE v = k * 100"), ())?;
        assert_eq!(right, 5);
        Ok(())
    }
}
