//! The Core against real databases: the SQL that `sql_compile.rs` checks as text runs on
//! every backend and returns the right rows.

mod common;

use aludel::engine::{Backend, Connection};
use aludel::sql::*;
use aludel::{Error, Result, params};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use common::TestDb;

struct Schema {
    md: MetaData,
    users: Table,
    addresses: Table,
    parts: Table,
}

fn schema() -> Schema {
    let mut md = MetaData::new();
    let users = md.add(
        Table::build("users")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(
                Column::new("name", SqlType::String { length: Some(50) })
                    .nullable(false)
                    .unique(),
            )
            .column(Column::new("age", SqlType::Integer))
            .column(Column::new("status", SqlType::String { length: Some(10) }).default("active"))
            .check(Some("ck_users_age"), "age IS NULL OR age >= 0"),
    );
    let addresses = md.add(
        Table::build("addresses")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(
                Column::new("user_id", SqlType::Integer)
                    .nullable(false)
                    .references(
                        ForeignKey::to("users", "id").on_delete(ReferentialAction::Cascade),
                    ),
            )
            .column(Column::new("email", SqlType::String { length: Some(100) }).index()),
    );
    let parts = md.add(
        Table::build("part")
            .column(Column::new("part", SqlType::String { length: Some(30) }).primary_key())
            .column(Column::new("sub_part", SqlType::String { length: Some(30) }).primary_key())
            .column(Column::new("quantity", SqlType::Integer)),
    );
    Schema {
        md,
        users,
        addresses,
        parts,
    }
}

/// Creates the schema and some rows: users 1..=4 (ages 20, 35, NULL, 50) and addresses.
fn populated(db: &TestDb) -> Result<(Schema, Connection)> {
    let s = schema();
    s.md.create_all(db)?;
    let mut conn = db.connect()?;
    conn.execute(
        &insert(&s.users).rows(
            &["id", "name", "age"],
            vec![
                vec![1.into(), "ada".into(), 20.into()],
                vec![2.into(), "grace".into(), 35.into()],
                vec![3.into(), "linus".into(), Expr::Null],
                vec![4.into(), "barbara".into(), 50.into()],
            ],
        ),
        (),
    )?;
    conn.execute(
        &insert(&s.addresses).rows(
            &["id", "user_id", "email"],
            vec![
                vec![1.into(), 1.into(), "ada@a.org".into()],
                vec![2.into(), 1.into(), "ada@b.org".into()],
                vec![3.into(), 2.into(), "grace@navy.mil".into()],
            ],
        ),
        (),
    )?;
    Ok((s, conn))
}

fn strings(conn: &mut Connection, stmt: &dyn Executable) -> Result<Vec<String>> {
    conn.execute(stmt, ())?
        .into_iter()
        .map(|r| r.get::<String>(0))
        .collect()
}

fn ints(conn: &mut Connection, stmt: &dyn Executable) -> Result<Vec<i64>> {
    conn.execute(stmt, ())?
        .into_iter()
        .map(|r| r.get::<i64>(0))
        .collect()
}

backend_tests! {
    fn create_all_and_drop_all_follow_foreign_keys(db) {
        let s = schema();
        s.md.create_all(db)?;
        s.md.create_all(db)?; // checkfirst: a second run changes nothing
        let mut conn = db.connect()?;
        conn.execute(&insert(&s.users).value("id", 1).value("name", "ada"), ())?;
        let status: String = conn.scalar(&select([s.users.c("status")]), ())?;
        assert_eq!(status, "active", "client-side default applied by INSERT");
        let err = conn.execute(&insert(&s.addresses).value("id", 1).value("user_id", 99).value("email", "x"), ()).unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "{err}");
        let err = conn.execute(&insert(&s.users).value("id", 2).value("name", "neg").value("age", -1), ()).unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "check constraint: {err}");
        drop(conn);
        s.md.drop_all(db)?;
        let err = db.connect()?.execute(&select([s.users.c("id")]), ()).unwrap_err();
        assert!(matches!(err, Error::Programming(_)), "{err}");
        Ok(())
    }

    fn inserts_from_select_and_returning(db) {
        let (s, mut conn) = populated(db)?;
        let archive = Table::build("archive").column(Column::new("name", SqlType::String { length: Some(50) })).finish();
        conn.execute(&CreateTable::new(&archive), ())?;
        let n = conn
            .execute(&insert(&archive).from_select(&["name"], select([s.users.c("name")]).where_(s.users.c("age").gt(30))), ())?
            .rows_affected();
        assert_eq!(n, 2);
        let stmt = insert(&s.users).value("id", 10).value("name", "ken").returning([s.users.c("id"), s.users.c("status")]);
        match db.backend() {
            Backend::MySql => assert!(matches!(stmt.compile(db.dialect()), Err(Error::Unsupported { .. }))),
            _ => {
                let row = conn.execute(&stmt, ())?.one()?;
                assert_eq!((row.get::<i64>(0)?, row.get::<String>(1)?), (10, "active".to_string()));
            }
        }
        Ok(())
    }

    fn joins_aliases_groups_and_ordering(db) {
        let (s, mut conn) = populated(db)?;
        let (u, a) = (&s.users, &s.addresses);
        let joined = select([u.c("name"), a.c("email")]).join(a, u.c("id").eq(a.c("user_id"))).order_by(a.c("id"));
        assert_eq!(strings(&mut conn, &joined)?, ["ada", "ada", "grace"]);
        let outer = select([u.c("name")]).outer_join(a, u.c("id").eq(a.c("user_id"))).where_(a.c("id").is_null()).order_by(u.c("name"));
        assert_eq!(strings(&mut conn, &outer)?, ["barbara", "linus"]);
        let per_user = select([u.c("name"), func::count(a.c("id")).label("n")])
            .join(a, u.c("id").eq(a.c("user_id")))
            .group_by([u.c("name")])
            .having(func::count(a.c("id")).gt(1));
        assert_eq!(strings(&mut conn, &per_user)?, ["ada"]);
        let (older, younger) = (u.alias("older"), u.alias("younger"));
        let pairs = select([older.c("name")]).from(&older).join(&younger, older.c("age").gt(younger.c("age")))
            .where_(younger.c("name").eq("ada")).order_by(older.c("age").desc());
        assert_eq!(strings(&mut conn, &pairs)?, ["barbara", "grace"]);
        let nulls_first = select([u.c("id")]).order_by(u.c("age").asc().nulls_first());
        assert_eq!(ints(&mut conn, &nulls_first)?, [3, 1, 2, 4]);
        let nulls_last = select([u.c("id")]).order_by(u.c("age").desc().nulls_last());
        assert_eq!(ints(&mut conn, &nulls_last)?, [4, 2, 1, 3]);
        let paged = select([u.c("id")]).order_by(u.c("id")).limit(2).offset(1);
        assert_eq!(ints(&mut conn, &paged)?, [2, 3]);
        let skip = select([u.c("id")]).order_by(u.c("id")).offset(3);
        assert_eq!(ints(&mut conn, &skip)?, [4]);
        let distinct = select([a.c("user_id")]).distinct().order_by(a.c("user_id"));
        assert_eq!(ints(&mut conn, &distinct)?, [1, 2]);
        let full = select([u.c("id")]).full_join(a, u.c("id").eq(a.c("user_id")));
        match db.backend() {
            Backend::MySql => assert!(matches!(conn.execute(&full, ()), Err(Error::Unsupported { .. }))),
            _ => assert_eq!(conn.execute(&full, ())?.len(), 5),
        }
        if db.backend() == Backend::Postgres {
            let one_each = select([a.c("user_id"), a.c("email")]).distinct_on([a.c("user_id")]).order_by(a.c("user_id")).order_by(a.c("email").desc());
            assert_eq!(conn.execute(&one_each, ())?.into_iter().map(|r| r.get::<String>(1)).collect::<Result<Vec<_>>>()?, ["ada@b.org", "grace@navy.mil"]);
        }
        Ok(())
    }

    fn subqueries_correlated_exists_and_in(db) {
        let (s, mut conn) = populated(db)?;
        let (u, a) = (&s.users, &s.addresses);
        let counts = select([a.c("user_id"), func::count_star().label("n")]).group_by([a.c("user_id")]).subquery("counts");
        let q = select([u.c("name"), counts.c("n")]).join(&counts, u.c("id").eq(counts.c("user_id"))).order_by(counts.c("n").desc());
        let rows = conn.execute(&q, ())?.fetchall();
        assert_eq!((rows[0].get::<String>(0)?, rows[0].get::<i64>(1)?), ("ada".to_string(), 2));
        let n = select([func::count_star()]).where_(a.c("user_id").eq(u.c("id"))).scalar_subquery();
        let q = select([u.c("name"), n.label("n")]).order_by(u.c("id"));
        let got: Vec<i64> = conn.execute(&q, ())?.into_iter().map(|r| r.get::<i64>(1)).collect::<Result<_>>()?;
        assert_eq!(got, [2, 1, 0, 0]);
        let with_mail = select([u.c("name")]).where_(exists(select([a.c("id")]).where_(a.c("user_id").eq(u.c("id"))))).order_by(u.c("name"));
        assert_eq!(strings(&mut conn, &with_mail)?, ["ada", "grace"]);
        let without = select([u.c("name")]).where_(u.c("id").not_in_select(select([a.c("user_id")]))).order_by(u.c("name"));
        assert_eq!(strings(&mut conn, &without)?, ["barbara", "linus"]);
        let none = select([u.c("name")]).where_(u.c("id").in_(Vec::<i64>::new()));
        assert!(conn.execute(&none, ())?.is_empty());
        let pairs = select([u.c("name")]).where_(tuple([u.c("id"), u.c("name")]).in_([tuple([1.into(), "ada".into()]), tuple([2.into(), "nobody".into()])]));
        assert_eq!(strings(&mut conn, &pairs)?, ["ada"]);
        Ok(())
    }

    fn recursive_cte_totals_the_parts_of_seed_001(db) {
        let s = schema();
        s.md.create_all(db)?;
        let mut conn = db.connect()?;
        let p = &s.parts;
        let rows = [("our part", "engine", 1), ("our part", "wheel", 4), ("engine", "piston", 6), ("engine", "bolt", 10), ("wheel", "bolt", 5), ("piston", "ring", 3)];
        conn.execute(
            &insert(p).rows(&["part", "sub_part", "quantity"], rows.iter().map(|(a, b, q)| vec![(*a).into(), (*b).into(), (*q).into()]).collect()),
            (),
        )?;
        let included = select([p.c("sub_part"), p.c("part"), p.c("quantity")]).where_(p.c("part").eq("our part")).cte_recursive("included_parts");
        let incl_alias = included.alias("pr");
        let parts_alias = p.alias("p");
        let included = included.union_all(
            select([parts_alias.c("sub_part"), parts_alias.c("part"), parts_alias.c("quantity")])
                .where_(parts_alias.c("part").eq(incl_alias.c("sub_part"))),
        );
        let q = select([included.c("sub_part"), func::sum(included.c("quantity")).label("total_quantity")])
            .group_by([included.c("sub_part")])
            .order_by(included.c("sub_part"));
        let got: Vec<(String, i64)> = conn.execute(&q, ())?.into_iter().map(|r| Ok((r.get(0)?, r.get(1)?))).collect::<Result<_>>()?;
        let expected: Vec<(String, i64)> = [("bolt", 15), ("engine", 1), ("piston", 6), ("ring", 3), ("wheel", 4)].iter().map(|(n, q)| (n.to_string(), *q)).collect();
        assert_eq!(got, expected);
        let adults = select([s.users.c("id")]).cte("adults");
        assert!(conn.execute(&select([adults.c("id")]), ())?.is_empty());
        Ok(())
    }

    fn unions_intersections_and_differences(db) {
        let (s, mut conn) = populated(db)?;
        let u = &s.users;
        let young = || select([u.c("id")]).where_(u.c("age").lt(40));
        let named_a = || select([u.c("id")]).where_(u.c("name").like("%a%"));
        let mut union = ints(&mut conn, &young().union(named_a()).order_by(u.c("id")))?;
        union.sort();
        assert_eq!(union, [1, 2, 4]);
        assert_eq!(conn.execute(&young().union_all(named_a()), ())?.len(), 5);
        let mut both = ints(&mut conn, &young().intersect(named_a()))?;
        both.sort();
        assert_eq!(both, [1, 2]);
        assert_eq!(ints(&mut conn, &named_a().except_(young()))?, [4]);
        let nested = young().union(named_a()).except_(select([u.c("id")]).where_(u.c("id").eq(2)));
        let mut got = ints(&mut conn, &nested)?;
        got.sort();
        assert_eq!(got, [1, 4]);
        let limited = young().union_all(select([u.c("id")]).where_(u.c("id").gt(2)).order_by(u.c("id")).limit(1));
        let mut got = ints(&mut conn, &limited)?;
        got.sort();
        assert_eq!(got, [1, 2, 3]);
        Ok(())
    }

    fn updates_deletes_and_upserts(db) {
        let (s, mut conn) = populated(db)?;
        let u = &s.users;
        let n = conn.execute(&update(u).set("age", u.c("age") + 1).where_(u.c("age").is_not_null()), ())?.rows_affected();
        assert_eq!(n, 3);
        assert_eq!(ints(&mut conn, &select([u.c("age")]).where_(u.c("id").eq(1)))?, [21]);
        let n = conn.execute(&delete(u).where_(u.c("id").eq(1)), ())?.rows_affected();
        assert_eq!(n, 1);
        let orphans: i64 = conn.scalar(&select([func::count_star()]).from(&s.addresses).where_(s.addresses.c("user_id").eq(1)), ())?;
        assert_eq!(orphans, 0, "ON DELETE CASCADE");
        let dup = insert(u).value("id", 2).value("name", "grace").on_conflict_do_nothing(&["id"]);
        conn.execute(&dup, ())?;
        let upsert = insert(u).value("id", 2).value("name", "grace").value("age", 99).on_conflict_do_update(&["id"], vec![("age", excluded("age"))]);
        conn.execute(&upsert, ())?;
        assert_eq!(ints(&mut conn, &select([u.c("age")]).where_(u.c("id").eq(2)))?, [99]);
        if db.backend() != Backend::MySql {
            let row = conn.execute(&update(u).set("name", "GRACE").where_(u.c("id").eq(2)).returning([u.c("name")]), ())?.one()?;
            assert_eq!(row.get::<String>(0)?, "GRACE");
            let gone = conn.execute(&delete(u).where_(u.c("id").eq(2)).returning([u.c("id")]), ())?.one()?;
            assert_eq!(gone.get::<i64>(0)?, 2);
        }
        Ok(())
    }

    fn expressions_functions_and_parameters_evaluate(db) {
        let (s, mut conn) = populated(db)?;
        let u = &s.users;
        let q = select([
            case([(u.c("age").lt(30), "young".into())], Some("other".into())).label("bucket"),
            cast(u.c("age"), SqlType::String { length: Some(10) }).label("age_text"),
            func::upper(u.c("name")).concat("!").label("shout"),
            func::coalesce([u.c("age"), 0.into()]).label("age0"),
            func::length(u.c("name")).label("len"),
            ((u.c("id") * 10 + 5) % 7).label("arith"),
        ])
        .where_(u.c("id").eq(bindparam("id")));
        let c = q.compile(db.dialect())?;
        let row = conn.execute_compiled(&c, c.bind_values(&params! { "id" => 1 })?)?.one()?;
        assert_eq!(row.get::<String>("bucket")?, "young");
        assert_eq!(row.get::<String>("age_text")?, "20");
        assert_eq!(row.get::<String>("shout")?, "ADA!");
        assert_eq!(row.get::<i64>("age0")?, 20);
        assert_eq!(row.get::<i64>("len")?, 3);
        assert_eq!(row.get::<i64>("arith")?, 1);
        let between = select([u.c("name")]).where_(u.c("age").between(30, 50)).order_by(u.c("age"));
        assert_eq!(strings(&mut conn, &between)?, ["grace", "barbara"]);
        let ci = select([u.c("name")]).where_(u.c("name").ilike("ADA"));
        assert_eq!(strings(&mut conn, &ci)?, ["ada"]);
        let frag = select([u.c("name")]).where_(Expr::from(text("age > :min"))).order_by(u.c("id"));
        let c = frag.compile(db.dialect())?;
        let names: Vec<String> = conn.execute_compiled(&c, c.bind_values(&params! { "min" => 30 })?)?.into_iter().map(|r| r.get(0)).collect::<Result<_>>()?;
        assert_eq!(names, ["grace", "barbara"]);
        let now = conn.execute(&select([func::now().label("t")]), ())?.one()?;
        assert!(!now.values()[0].is_null());
        Ok(())
    }

    fn like_wildcards_in_contains_match_literally(db) {
        let (s, mut conn) = populated(db)?;
        let u = &s.users;
        conn.execute(&insert(u).rows(&["id", "name"], vec![vec![20.into(), "100% sure".into()], vec![21.into(), "1000 sure".into()], vec![22.into(), "a_b/c".into()], vec![23.into(), "axb/c".into()]]), ())?;
        assert_eq!(strings(&mut conn, &select([u.c("name")]).where_(u.c("name").contains("0%")))?, ["100% sure"]);
        assert_eq!(strings(&mut conn, &select([u.c("name")]).where_(u.c("name").startswith("a_b")))?, ["a_b/c"]);
        assert_eq!(strings(&mut conn, &select([u.c("name")]).where_(u.c("name").endswith("b/c")).order_by(u.c("id")))?, ["a_b/c", "axb/c"]);
        Ok(())
    }

    fn row_locks_run_inside_a_transaction(db) {
        let (s, mut conn) = populated(db)?;
        let mut tx = conn.begin()?;
        let q = select([s.users.c("id")]).where_(s.users.c("id").eq(1)).with_for_update(LockOptions::update());
        assert_eq!(tx.execute(&q, ())?.len(), 1);
        let share = select([s.users.c("id")]).where_(s.users.c("id").eq(1)).with_for_update(LockOptions::share());
        assert_eq!(tx.execute(&share, ())?.len(), 1);
        if db.backend() == Backend::Postgres {
            let skip = select([s.users.c("id")]).with_for_update(LockOptions::update().skip_locked().of(&s.users));
            assert_eq!(tx.execute(&skip, ())?.len(), 4);
        }
        tx.commit()
    }

    fn hostile_values_and_identifiers_round_trip_without_injection(db) {
        let t = Table::build("we\"ird`ta'ble")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(Column::new("sel;ect --", SqlType::Text))
            .finish();
        let mut md = MetaData::new();
        md.add_table(t.clone());
        md.create_all(db)?;
        let mut conn = db.connect()?;
        let mut id = 0_i64;
        // PostgreSQL text cannot hold NUL at all (the engine tests check its clear error).
        let nul = if db.backend() == Backend::Postgres { "nul" } else { "nul\0inside" };
        let strategy = prop_oneof![
            "[a-zA-Z0-9_'\"`;\\\\ %-]{0,16}",
            Just("x'); DROP TABLE users; --".to_owned()),
            Just("/* comment */ ; SELECT 1".to_owned()),
            Just(nul.to_owned()),
            "\\PC{0,8}",
        ];
        // Generated values (no shrinking needed: a failure prints the value itself).
        let mut runner = TestRunner::new(Config::default());
        for _ in 0..24 {
            let value = strategy.new_tree(&mut runner).map_err(|e| Error::InvalidRequest { message: e.to_string() })?.current();
            id += 1;
            conn.execute(&insert(&t).value("id", id).value("sel;ect --", value.as_str()), ())?;
            let back: String = conn.scalar(&select([t.c("sel;ect --")]).where_(t.c("id").eq(id)), ())?;
            assert_eq!(back, value);
        }
        let rows: i64 = conn.scalar(&select([func::count_star()]).from(&t), ())?;
        assert_eq!(rows, id, "every value became exactly one row; no statement was injected");
        md.drop_all(db)
    }
}

backend_tests! {
    fn create_all_and_drop_all_handle_a_foreign_key_cycle(db) {
        // Two tables referencing each other: on PostgreSQL and MariaDB the keys are added
        // by ALTER TABLE after both tables exist and dropped before the tables; SQLite
        // keeps them in CREATE TABLE.
        let mut md = MetaData::new();
        md.add(
            Table::build("team")
                .column(Column::new("id", SqlType::Integer).primary_key().autoincrement(false))
                .column(Column::new("captain_id", SqlType::Integer).references(ForeignKey::to("player", "id"))),
        );
        md.add(
            Table::build("player")
                .column(Column::new("id", SqlType::Integer).primary_key().autoincrement(false))
                .column(Column::new("team_id", SqlType::Integer).references(ForeignKey::to("team", "id"))),
        );
        md.create_all(db)?;
        md.create_all(db)?; // checkfirst: the existing tables' keys are not added twice
        let (team, player) = (md.table("team").unwrap().clone(), md.table("player").unwrap().clone());
        let mut conn = db.connect()?;
        conn.execute(&insert(&team).value("id", 1), ())?;
        conn.execute(&insert(&player).value("id", 10).value("team_id", 1), ())?;
        conn.execute(&update(&team).set("captain_id", 10).where_(team.c("id").eq(1)), ())?;
        // Both keys are enforced.
        let err = conn.execute(&insert(&player).value("id", 11).value("team_id", 99), ()).unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "player.team_id: {err}");
        let err = conn.execute(&update(&team).set("captain_id", 99), ()).unwrap_err();
        assert!(matches!(err, Error::Integrity(_)), "team.captain_id: {err}");
        if db.backend() == Backend::Sqlite {
            // SQLite's DROP TABLE deletes the rows first, which the other table's key
            // forbids while they reference each other.
            conn.execute(&update(&team).set("captain_id", Value::Null), ())?;
        }
        drop(conn);
        md.drop_all(db)?;
        md.drop_all(db)?; // checkfirst: nothing left to drop is no error
        let err = db.connect()?.execute(&select([team.c("id")]), ()).unwrap_err();
        assert!(matches!(err, Error::Programming(_)), "{err}");
        Ok(())
    }
}
