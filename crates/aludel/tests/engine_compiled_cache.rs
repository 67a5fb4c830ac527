//! The compiled-shape cache: which statements share a shape (values differ) and which do
//! not (the SQL would differ), that a cache hit binds the new statement's values in the
//! right placeholders on every backend, and the hit/miss counters after repeated ORM and
//! Core work.

mod common;

use aludel::dialects::{Dialect, MySql, Postgres, Sqlite};
use aludel::orm::{Model, Session, create_all};
use aludel::sql::{
    Column, Executable, Select, ShapeKey, SqlType, Table, bindparam, insert, select, text,
};
use aludel::{Result, params};

fn table() -> Table {
    Table::build("t")
        .column(Column::new("id", SqlType::Integer).primary_key())
        .column(Column::new("a", SqlType::Integer))
        .column(Column::new("b", SqlType::Text))
        .finish()
}

fn key(s: &dyn Executable, d: &dyn Dialect) -> ShapeKey {
    s.statement().expect("a Core statement").shape_key(d)
}

const DIALECTS: [&dyn Dialect; 3] = [&Sqlite, &Postgres, &MySql];

#[test]
fn statements_differing_only_in_values_share_a_shape() {
    let t = table();
    let q = |a: i64, b: &str, limit: u64| -> Select {
        select([t.c("id")])
            .from(&t)
            .where_(t.c("a").gt(a))
            .where_(t.c("b").like(b.to_string()))
            .where_(t.c("id").in_([a, a + 1, a + 2]))
            .order_by(t.c("id"))
            .limit(limit)
            .offset(limit * 2)
    };
    for d in DIALECTS {
        assert_eq!(
            key(&q(1, "x%", 5), d),
            key(&q(99, "%y", 500), d),
            "{}",
            d.name()
        );
        let long = |start: i64| {
            select([t.c("id")])
                .from(&t)
                .where_(t.c("id").in_(start..start + 1500))
        };
        assert_eq!(key(&long(0), d), key(&long(7), d), "{}", d.name());
        let ins = |a: i64| insert(&t).value("a", a).value("b", format!("v{a}"));
        assert_eq!(key(&ins(1), d), key(&ins(2), d));
    }
}

#[test]
fn statements_whose_sql_would_differ_have_different_shapes() {
    let t = table();
    let base = || select([t.c("id")]).from(&t);
    let pairs: Vec<(&str, Select, Select)> = vec![
        (
            "= value vs IS NULL",
            base().where_(t.c("a").eq(1)),
            base().where_(t.c("a").eq(None::<i64>)),
        ),
        (
            "IN of 2 vs 3",
            base().where_(t.c("a").in_([1, 2])),
            base().where_(t.c("a").in_([1, 2, 3])),
        ),
        (
            "empty IN vs IN",
            base().where_(t.c("a").in_(Vec::<i64>::new())),
            base().where_(t.c("a").in_([1])),
        ),
        (
            "short vs long IN",
            base().where_(t.c("a").in_(0..1000)),
            base().where_(t.c("a").in_(0..1001)),
        ),
        ("LIMIT vs none", base().limit(1), base()),
        (
            "value kind",
            base().where_(t.c("a").eq(1)),
            base().where_(t.c("a").eq("1")),
        ),
        (
            "column",
            base().where_(t.c("a").eq(1)),
            base().where_(t.c("id").eq(1)),
        ),
        (
            "operator",
            base().where_(t.c("a").gt(1)),
            base().where_(t.c("a").lt(1)),
        ),
        (
            "bindparam name",
            base().where_(t.c("a").eq(bindparam("x"))),
            base().where_(t.c("a").eq(bindparam("y"))),
        ),
        (
            "ORDER BY direction",
            base().order_by(t.c("a").asc()),
            base().order_by(t.c("a").desc()),
        ),
        (
            "another table object",
            base(),
            select([t.c("id")]).from(table()),
        ),
    ];
    for d in DIALECTS {
        for (what, a, b) in &pairs {
            assert_ne!(key(a, d), key(b, d), "{what} on {}", d.name());
        }
    }
    // A long list's form depends on its values where the dialect decides by them: MySQL
    // binds integers as one JSON array but text one placeholder each; SQLite keeps a list
    // with NaN in placeholders.
    let ints = base().where_(t.c("b").in_((0..1500).map(|i| i.to_string().len() as i64)));
    let texts = base().where_(t.c("b").in_((0..1500).map(|i| i.to_string())));
    let kinds_differ = |d: &dyn Dialect| key(&ints, d) != key(&texts, d);
    assert!(kinds_differ(&MySql));
    let floats = |x: f64| {
        base().where_(
            t.c("a")
                .in_((0..1500).map(|i| if i == 9 { x } else { i as f64 })),
        )
    };
    assert_ne!(key(&floats(f64::NAN), &Sqlite), key(&floats(1.5), &Sqlite));
    assert_eq!(
        key(&floats(f64::NAN), &Postgres),
        key(&floats(1.5), &Postgres)
    );
    // text(): the SQL and the parameter names are the shape.
    assert_eq!(
        key(&text("SELECT :x"), &Sqlite),
        key(&text("SELECT :x"), &Sqlite)
    );
    assert_ne!(
        key(&text("SELECT :x"), &Sqlite),
        key(&text("SELECT :x + 1"), &Sqlite)
    );
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "people")]
struct Person {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    name: String,
    age: i32,
}

backend_tests! {
    fn a_cache_hit_binds_the_new_values_in_the_right_places(db) {
        let mut conn = db.connect()?;
        conn.execute(&text(db.pick(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b VARCHAR(20))",
        )), ())?;
        let t = table();
        let rows: Vec<_> = (1..=2000i64)
            .map(|i| params! {"id" => i, "a" => i % 100, "b" => format!("b{}", i % 7)})
            .collect();
        let ins = insert(&t)
            .value("id", bindparam("id"))
            .value("a", bindparam("a"))
            .value("b", bindparam("b"));
        conn.execute_many(&ins, &rows)?;
        // Values in WHERE (two kinds), a long IN list (of another length the second time),
        // LIMIT and OFFSET: each must land in its own placeholder.
        let q = |a: i64, b: &str, ids: std::ops::Range<i64>, limit: u64, offset: u64| {
            select([t.c("id")])
                .from(&t)
                .where_(t.c("a").ge(a))
                .where_(t.c("b").eq(b.to_string()))
                .where_(t.c("id").in_(ids))
                .order_by(t.c("id"))
                .limit(limit)
                .offset(offset)
        };
        let ids = |mut r: aludel::engine::ResultSet| -> Result<Vec<i64>> {
            r.fetchall().into_iter().map(|row| row.get::<i64>(0)).collect()
        };
        let before = db.compiled_cache_stats();
        let first = ids(conn.execute(&q(90, "b3", 1..1500, 3, 1), ())?)?;
        let second = ids(conn.execute(&q(10, "b5", 300..2001, 4, 2), ())?)?;
        let after = db.compiled_cache_stats();
        assert_eq!(after.misses - before.misses, 1, "compiled once");
        assert_eq!(after.hits - before.hits, 1, "the second run was a hit");
        let expect = |a: i64, b: i64, lo: i64, hi: i64, limit: usize, offset: usize| -> Vec<i64> {
            (lo..hi).filter(|i| i % 100 >= a && i % 7 == b).skip(offset).take(limit).collect()
        };
        assert_eq!(first, expect(90, 3, 1, 1500, 3, 1));
        assert_eq!(second, expect(10, 5, 300, 2001, 4, 2));
        assert_ne!(first, second);
        // A named parameter supplied at execution wins over nothing cached.
        let p = select([t.c("b")]).from(&t).where_(t.c("id").eq(bindparam("id")));
        for id in [5i64, 12] {
            let b: String = conn.scalar(&p, params! {"id" => id})?;
            assert_eq!(b, format!("b{}", id % 7));
        }
        Ok(())
    }

    fn a_column_default_is_part_of_the_insert_shape(db) {
        let mut conn = db.connect()?;
        conn.execute(&text(db.pick(
            "CREATE TABLE d (id INTEGER PRIMARY KEY, a INTEGER, tag TEXT)",
            "CREATE TABLE d (id INTEGER PRIMARY KEY, a INTEGER, tag TEXT)",
            "CREATE TABLE d (id INTEGER PRIMARY KEY, a INTEGER, tag VARCHAR(20))",
        )), ())?;
        let d = Table::build("d")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(Column::new("a", SqlType::Integer))
            .column(Column::new("tag", SqlType::Text).default("dflt"))
            .finish();
        for i in 1..=3i64 {
            conn.execute(&insert(&d).value("id", i).value("a", i * 10), ())?;
        }
        let right: i64 = conn.scalar(&text("SELECT count(*) FROM d WHERE a = id * 10 AND tag = 'dflt'"), ())?;
        assert_eq!(right, 3);
        Ok(())
    }

    fn repeated_orm_work_compiles_each_shape_once(db) {
        create_all(db, &[Person::info()])?;
        let round = |n: i64| -> Result<()> {
            let s = Session::new(db);
            s.add(Person { id: n, name: format!("p{n}"), age: n as i32 })?;
            s.flush()?;
            // Earlier rounds' people are 100 older by now.
            let older = s.query::<Person>().filter(Person::age.ge(n as i32)).filter(Person::age.lt(100)).all()?;
            assert_eq!(older.len(), 1);
            assert_eq!(older[0].read()?.name, format!("p{n}"));
            let first = s.query::<Person>().filter(Person::name.eq(format!("p{n}"))).first()?;
            assert_eq!(first.expect("row").read()?.id, n);
            assert_eq!(s.query::<Person>().filter(Person::age.le(n as i32)).count()?, 1);
            assert!(s.query::<Person>().get(n)?.is_some());
            older[0].write()?.age += 100;
            s.commit()?;
            Ok(())
        };
        round(1)?;
        let warm = db.compiled_cache_stats();
        for n in 2..=5 {
            round(n)?;
        }
        let end = db.compiled_cache_stats();
        assert_eq!(end.misses, warm.misses, "no new shapes after the first round: {warm:?} -> {end:?}");
        // Per round: INSERT, all(), first(), count(), UPDATE at least.
        assert!(end.hits - warm.hits >= 4 * 5, "{warm:?} -> {end:?}");
        assert!(end.entries >= 5 && end.approx_bytes > 0, "{end:?}");
        Ok(())
    }
}

#[test]
fn the_cache_is_bounded_and_evicts_the_least_recently_used() -> Result<()> {
    let engine = aludel::engine::Engine::builder("sqlite://:memory:")
        .compiled_cache_size(3)
        .build()?;
    let mut conn = engine.connect()?;
    let widths = |k: usize| {
        select(
            (0..k)
                .map(|i| aludel::sql::literal(i as i64))
                .collect::<Vec<_>>(),
        )
    };
    for k in 1..=5 {
        conn.execute(&widths(k), ())?;
    }
    let stats = engine.compiled_cache_stats();
    assert_eq!((stats.entries, stats.misses, stats.hits), (3, 5, 0));
    conn.execute(&widths(5), ())?; // still cached
    conn.execute(&widths(1), ())?; // evicted
    let stats = engine.compiled_cache_stats();
    assert_eq!((stats.hits, stats.misses), (1, 6));
    Ok(())
}
