//! The ORM `Query<M>` API on every backend, on a users/addresses fixture shaped like
//! SQLAlchemy's test suite: rows written, queries run, objects, values and identities
//! checked; bulk update/delete with each `SynchronizeSession`. The SQL each method renders
//! per dialect is in `orm_query_sql.rs`.

mod common;

use aludel::engine::Backend;
use aludel::orm::{Instance, Model, ObjectState, Session, SynchronizeSession, create_all};
use aludel::sql::{Expr, LockOptions, bindparam, func, text};
use aludel::{Error, Result};

use common::TestDb;

use common::query_fixture::{Address, Friendship, Keyword, User};

fn setup(db: &TestDb) -> Result<Session> {
    create_all(
        db,
        &[
            User::info(),
            Address::info(),
            Keyword::info(),
            Friendship::info(),
        ],
    )?;
    let s = Session::new(db);
    for (id, name, age) in [
        (7, "jack", Some(30)),
        (8, "ed", Some(40)),
        (9, "fred", Some(50)),
        (10, "chuck", None),
    ] {
        s.add(User {
            id,
            name: name.into(),
            age,
        })?;
    }
    for (id, user_id, email) in [
        (1, 7, "jack@bean.com"),
        (2, 8, "ed@wood.com"),
        (3, 8, "ed@bettyboop.com"),
        (4, 8, "ed@lala.com"),
        (5, 9, "fred@fred.com"),
    ] {
        s.add(Address {
            id,
            user_id,
            email: email.into(),
        })?;
    }
    s.commit()?;
    Ok(s)
}

fn names(objs: &[Instance<User>]) -> Result<Vec<String>> {
    objs.iter().map(|u| Ok(u.read()?.name.clone())).collect()
}

fn db_age(db: &TestDb, id: i64) -> Result<Option<i64>> {
    db.connect()?.scalar(
        &text("SELECT age FROM users WHERE id = :id"),
        aludel::params! { "id" => id },
    )
}

fn db_count(db: &TestDb, sql: &str) -> Result<i64> {
    db.connect()?.scalar(&text(sql), ())
}

backend_tests! {
    fn filter_by_on_the_join_point_returns_the_sessions_objects(db) {
        let s = setup(db)?;
        let ed = s.get::<User>(8)?.expect("ed");
        let found = s.query::<User>().join::<Address>().filter_by("email", "ed@wood.com").one()?;
        assert!(found.ptr_eq(&ed), "the identity map's object");
        let by_pairs = s.query::<User>().filter_by_all(aludel::params! { "name" => "ed", "id" => 8 }).all()?;
        assert_eq!(by_pairs.len(), 1);
        assert!(by_pairs[0].ptr_eq(&ed));
        Ok(())
    }

    fn an_unbound_query_runs_once_bound_with_with_session(db) {
        let s = setup(db)?;
        // Built without a session (SQLAlchemy's Query(User) with no session=).
        let q = aludel::orm::Query::<User>::unbound()
            .join::<Address>()
            .filter(Address::email.like("ed@%"))
            .order_by(User::id);
        for err in [
            q.all().map(|_| ()).unwrap_err(),
            q.count().map(|_| ()).unwrap_err(),
            q.get(8).map(|_| ()).unwrap_err(),
        ] {
            assert!(matches!(err, Error::InvalidRequest { .. }), "{err}");
            assert!(err.to_string().contains("query of User is not bound to a session"), "{err}");
        }
        let ed = s.get::<User>(8)?.expect("ed");
        let found = q.with_session(&s).all()?;
        assert_eq!(found.len(), 1, "ed's three addresses give one user");
        assert!(found[0].ptr_eq(&ed), "the bound session's object");
        assert_eq!(q.with_session(&s).count()?, 3);
        // Bound to another session, it reads that session's objects.
        let other = Session::new(db);
        let theirs = q.with_session(&other).one()?;
        assert!(!theirs.ptr_eq(&ed));
        assert!(theirs.ptr_eq(&other.get::<User>(8)?.expect("ed")));
        Ok(())
    }

    fn ordering_slicing_and_resets_pick_the_right_rows(db) {
        let s = setup(db)?;
        let q = s.query::<User>().order_by_keys([User::age.desc(), User::id.asc()]);
        let by_age = names(&q.all()?)?;
        // NULLs sort first descending on PostgreSQL, last on SQLite and MySQL.
        let expected: &[&str] = match db.backend() {
            Backend::Postgres => &["chuck", "fred", "ed", "jack"],
            _ => &["fred", "ed", "jack", "chuck"],
        };
        assert_eq!(by_age, expected);
        let ordered = s.query::<User>().order_by(User::id);
        assert_eq!(names(&ordered.slice(1, 3).all()?)?, ["ed", "fred"]);
        assert_eq!(names(&ordered.offset(1).slice(1, 3).all()?)?, ["fred", "chuck"]);
        assert_eq!(ordered.limit(1).reset_limit().all()?.len(), 4);
        assert_eq!(names(&ordered.order_by(User::name).reset_order_by().order_by(User::name).all()?)?, ["chuck", "ed", "fred", "jack"]);
        Ok(())
    }

    fn grouping_having_and_distinct_count_users_with_addresses(db) {
        let s = setup(db)?;
        let many = s.query::<User>()
            .join::<Address>()
            .group_by([User::id.expr(), User::name.expr(), User::age.expr()])
            .having(func::count(Address::id).gt(1))
            .all()?;
        assert_eq!(names(&many)?, ["ed"]);
        let joined = s.query::<User>().join::<Address>();
        assert_eq!(joined.count()?, 5);
        assert_eq!(joined.distinct().count()?, 3);
        assert_eq!(names(&joined.order_by(User::id).all()?)?, ["jack", "ed", "fred"], "uniqued");
        let distinct = joined.distinct().order_by(User::id).all()?;
        assert_eq!(names(&distinct)?, ["jack", "ed", "fred"]);
        let on = s.query::<User>().join::<Address>().distinct_on([User::id]).order_by(User::id).all();
        match db.backend() {
            Backend::Postgres => assert_eq!(on?.len(), 3),
            _ => assert!(on.unwrap_err().to_string().contains("DISTINCT ON is not supported")),
        }
        Ok(())
    }

    fn uniquing_covers_objects_the_caller_already_holds(db) {
        // `all()` looks only objects with other handles up in a set: the held `ed` (three
        // address rows) and the new `jack` and `fred` still come once each.
        let s = setup(db)?;
        let ed = s.query::<User>().filter(User::name.eq("ed")).one()?;
        let joined = s.query::<User>().join::<Address>().order_by(User::id).all()?;
        assert_eq!(names(&joined)?, ["jack", "ed", "fred"]);
        assert!(joined[1].ptr_eq(&ed));
        Ok(())
    }

    fn joins_with_inferred_and_explicit_on_and_their_errors(db) {
        let s = setup(db)?;
        let inferred = s.query::<User>().join::<Address>().filter(Address::email.like("ed%")).all()?;
        assert_eq!(inferred.len(), 1, "three rows, one object: uniqued as SQLAlchemy's Query does");
        assert_eq!(s.query::<User>().join::<Address>().filter(Address::email.like("ed%")).count()?, 3, "count counts rows");
        assert!(s.query::<User>().join::<Address>().filter_by("user_id", 8).one()?.ptr_eq(&inferred[0]));
        let explicit = s.query::<Address>()
            .join_on::<User>(User::id.eq(Address::user_id))
            .filter(User::name.eq("fred"))
            .one()?;
        assert_eq!(explicit.read()?.email, "fred@fred.com");
        let outer = s.query::<User>().outerjoin::<Address>().filter(Address::id.is_null()).all()?;
        assert_eq!(names(&outer)?, ["chuck"]);
        let from = s.query::<Address>().select_from::<User>().join::<Address>().filter_by("user_id", 9).all()?;
        assert_eq!(from.len(), 1);
        let none = s.query::<User>().join::<Keyword>().all().unwrap_err().to_string();
        assert!(none.contains("no foreign key joins User to Keyword"), "{none}");
        let two = s.query::<User>().join::<Friendship>().all().unwrap_err().to_string();
        assert!(two.contains("User and Friendship have 2 foreign key paths"), "{two}");
        Ok(())
    }

    fn set_operations_return_the_sessions_objects(db) {
        let s = setup(db)?;
        let low = s.query::<User>().filter(User::id.le(8));
        let high = s.query::<User>().filter(User::id.ge(8));
        let union = low.union(&high).order_by(User::id).all()?;
        assert_eq!(names(&union)?, ["jack", "ed", "fred", "chuck"]);
        assert!(union[1].ptr_eq(&s.get::<User>(8)?.expect("ed")));
        assert_eq!(low.union_all(&high).count()?, 5);
        assert_eq!(low.union_all(&high).all()?.len(), 4, "ed's two rows are one object");
        assert_eq!(names(&low.intersect(&high).all()?)?, ["ed"]);
        assert_eq!(names(&low.except_(&high).all()?)?, ["jack"]);
        assert_eq!(names(&low.union(&high).filter(User::name.ne("ed")).filter_by("id", 9).all()?)?, ["fred"]);
        let joined = low.union(&high).join::<Address>().filter(Address::email.like("ed@%")).all()?;
        assert_eq!(names(&joined)?, ["ed"], "the join goes from the union's subquery");
        let all_ops = low.union_all(&low).except_all(&high);
        match db.backend() {
            Backend::Sqlite => assert!(all_ops.all().is_err()),
            _ => assert_eq!(all_ops.count()?, 3, "jack twice, ed once"),
        }
        Ok(())
    }

    fn locking_exists_params_and_assertions_run(db) {
        let s = setup(db)?;
        let locked = s.query::<User>().filter(User::id.eq(7)).with_for_update(LockOptions::update()).one()?;
        assert_eq!(locked.read()?.name, "jack");
        assert!(s.query::<User>().filter(User::name.eq("ed")).exists_scalar()?);
        assert!(!s.query::<User>().filter(User::name.eq("nobody")).exists_scalar()?);
        let has_address = s.query::<Address>().filter(Address::user_id.eq(User::id)).exists();
        let with = s.query::<User>().filter(has_address).order_by(User::id).all()?;
        assert_eq!(names(&with)?, ["jack", "ed", "fred"]);
        let textual = s.query::<User>().filter(text("users.age > :a").into()).params(aludel::params! { "a" => 45 });
        assert_eq!(names(&textual.all()?)?, ["fred"]);
        let late = s.query::<User>().filter(User::name.eq(bindparam("who")));
        assert_eq!(late.params(aludel::params! { "who" => "fred" }).one()?.read()?.id, 9);
        assert_eq!(late.params(aludel::params! { "who" => "fred" }).count()?, 1);
        let refused = s.query::<User>().limit(2).filter(User::id.gt(7)).all().unwrap_err();
        assert!(matches!(refused, Error::InvalidRequest { .. }));
        assert!(refused.to_string().contains("filter() called on a query that already has LIMIT or OFFSET"), "{refused}");
        let refused = s.query::<User>().offset(1).order_by(User::id).all().unwrap_err();
        assert!(refused.to_string().contains("order_by() called on a query"), "{refused}");
        let allowed = s.query::<User>().enable_assertions(false).limit(2).filter(User::id.gt(7)).all()?;
        assert_eq!(allowed.len(), 2);
        assert!(s.query::<User>().scalar().is_err(), "four users: MultipleResultsFound");
        assert_eq!(s.query::<User>().filter_by("id", 10).scalar()?.expect("chuck").read()?.name, "chuck");
        Ok(())
    }

    fn autoflush_per_query_and_populate_existing(db) {
        let s = setup(db)?;
        s.add(User { id: 11, name: "new".into(), age: None })?;
        assert_eq!(s.query::<User>().autoflush(false).count()?, 4, "pending user not flushed");
        assert_eq!(s.query::<User>().autoflush(false).all()?.len(), 4);
        assert_eq!(s.query::<User>().count()?, 5, "autoflush on by default");
        let jack = s.get::<User>(7)?.expect("jack");
        jack.write()?.name = "unflushed".into();
        let again = s.query::<User>().autoflush(false).filter_by("id", 7).one()?;
        assert!(again.ptr_eq(&jack));
        assert_eq!(jack.read()?.name, "unflushed", "a plain query keeps the object's state");
        s.query::<User>().autoflush(false).populate_existing().filter_by("id", 7).one()?;
        assert_eq!(jack.read()?.name, "jack", "populate_existing overwrote the unflushed change");
        assert!(!s.is_modified(&jack)?, "and the object is clean again");
        jack.write()?.name = "again".into();
        assert!(s.query::<User>().get(7)?.expect("jack").ptr_eq(&jack));
        assert_eq!(jack.read()?.name, "again", "get uses the identity map");
        let got = s.query::<User>().autoflush(false).populate_existing().get(7)?.expect("jack");
        assert!(got.ptr_eq(&jack));
        assert_eq!(jack.read()?.name, "jack", "get with populate_existing reads the row");
        s.flush()?;
        assert_eq!(db_count(db, "SELECT count(*) FROM users WHERE name = 'unflushed'")?, 0);
        Ok(())
    }

    fn bulk_update_synchronizes_each_way(db) {
        let s = setup(db)?;
        let users: Vec<Instance<User>> = s.query::<User>().order_by(User::id).all()?;
        let (jack, ed, fred) = (&users[0], &users[1], &users[2]);
        // Evaluate: objects changed in Rust, database by the UPDATE.
        ed.write()?.age = Some(45); // flushed first by the bulk update's autoflush
        let n = s.query::<User>().filter(User::age.gt(35)).update([(User::age, Expr::from(User::age) - 10)], SynchronizeSession::Evaluate)?;
        assert_eq!(n, 2);
        assert_eq!((jack.read()?.age, ed.read()?.age, fred.read()?.age), (Some(30), Some(35), Some(40)));
        assert_eq!((db_age_in(&s, 8)?, db_age_in(&s, 9)?), (Some(35), Some(40)));
        assert!(!s.is_modified(ed)?, "bulk values are not pending changes");
        // Fetch: matched objects get the database's values.
        let n = s.query::<User>().filter(User::name.like("%ed")).update([("age", Expr::from(User::age) * 2)], SynchronizeSession::Fetch)?;
        assert_eq!(n, 2, "ed and fred");
        assert_eq!((ed.read()?.age, fred.read()?.age, jack.read()?.age), (Some(70), Some(80), Some(30)));
        // False: the database changes, the objects do not.
        let n = s.query::<User>().filter_by("id", 7).update([("age", 1)], SynchronizeSession::False)?;
        assert_eq!(n, 1);
        assert_eq!(jack.read()?.age, Some(30), "stale by design");
        s.commit()?;
        assert_eq!((db_age(db, 7)?, db_age(db, 8)?, db_age(db, 9)?, db_age(db, 10)?), (Some(1), Some(70), Some(80), None));
        assert_eq!(jack.read()?.age, Some(1), "commit expired it; the reload sees the database");
        Ok(())
    }

    fn a_reduced_subquery_exports_each_value_once(db) {
        let s = setup(db)?;
        s.add(Address { id: 8, user_id: 8, email: "ed@eight.com".into() })?;
        // users.id = addresses.id: the subquery keeps one `id`, so the outer query can
        // name it (two columns named id would be ambiguous on PostgreSQL and MariaDB).
        let sq = s
            .query::<User>()
            .filter(User::id.eq(Address::id))
            .with_entities((User::id, User::name, Address::id, Address::email))
            .reduced_subquery("r");
        let rows: Vec<(i64, String, String)> = s
            .query::<User>()
            .select_from_item(&sq)
            .with_entities((
                aludel::orm::typed::<i64>(sq.c("id"), "id"),
                aludel::orm::typed::<String>(sq.c("name"), "name"),
                aludel::orm::typed::<String>(sq.c("email"), "email"),
            ))
            .all()?;
        assert_eq!(rows, [(8, "ed".to_string(), "ed@eight.com".to_string())]);
        Ok(())
    }

    fn bulk_update_args_prefix_and_mysql_limit(db) {
        let s = setup(db)?;
        let rec = db.record_statements();
        let users: Vec<Instance<User>> = s.query::<User>().order_by(User::id).all()?;
        // A prefix each database takes (PostgreSQL has none for UPDATE).
        let prefix = db.pick("OR IGNORE", "", "LOW_PRIORITY");
        let args = |u: aludel::sql::Update| match prefix {
            "" => u.mysql_limit(1),
            p => u.prefix_with(p).mysql_limit(1),
        };
        let n = s.query::<User>().filter(User::age.ge(40)).update_with([(User::age, Expr::from(User::age) + 1)], SynchronizeSession::Fetch, args)?;
        let update = rec.statements().into_iter().find(|st| st.starts_with("UPDATE")).expect("an UPDATE ran");
        let want = db.pick(
            "UPDATE OR IGNORE users SET age = users.age + ? WHERE users.age >= ? RETURNING users.id, users.name, users.age",
            "UPDATE users SET age = users.age + $1 WHERE users.age >= $2 RETURNING users.id, users.name, users.age",
            "UPDATE LOW_PRIORITY users SET age = users.age + ? WHERE users.age >= ? LIMIT 1",
        );
        assert_eq!(update, want);
        let ages: Vec<Option<i32>> = users.iter().map(|u| Ok(u.read()?.age)).collect::<Result<_>>()?;
        if db.backend() == Backend::MySql {
            // One row of the two changed; the objects match the database either way.
            assert_eq!(n, 1);
            assert_eq!(ages.iter().filter(|a| matches!(a, Some(41) | Some(51))).count(), 1, "{ages:?}");
            let err = s.query::<User>().update_with([(User::age, 1)], SynchronizeSession::Evaluate, args).unwrap_err();
            assert!(err.to_string().contains("mysql_limit with SynchronizeSession::Evaluate"), "{err}");
        } else {
            assert_eq!(n, 2);
            assert_eq!(ages, [Some(30), Some(41), Some(51), None]);
        }
        for u in &users {
            let id = u.read()?.id;
            assert_eq!(u.read()?.age.map(i64::from), db_age_in(&s, id)?);
        }
        Ok(())
    }

    fn bulk_delete_synchronizes_each_way(db) {
        let s = setup(db)?;
        let users: Vec<Instance<User>> = s.query::<User>().order_by(User::id).all()?;
        s.query::<Address>().delete(SynchronizeSession::False)?;
        let n = s.query::<User>().filter(User::age.ge(50)).delete(SynchronizeSession::Evaluate)?;
        assert_eq!(n, 1);
        assert_eq!(users[2].state(), ObjectState::Deleted);
        assert!(s.get::<User>(9)?.is_none());
        let n = s.query::<User>().filter(User::age.is_null()).delete(SynchronizeSession::Fetch)?;
        assert_eq!(n, 1);
        assert_eq!(users[3].state(), ObjectState::Deleted);
        let n = s.query::<User>().filter_by("id", 7).delete(SynchronizeSession::False)?;
        assert_eq!(n, 1);
        assert_eq!(users[0].state(), ObjectState::Persistent, "False leaves the object");
        assert_eq!(users[1].state(), ObjectState::Persistent);
        s.commit()?;
        assert_eq!(users[2].state(), ObjectState::Detached);
        assert_eq!(db_count(db, "SELECT count(*) FROM users")?, 1);
        Ok(())
    }

    fn bulk_rollback_restores_deleted_objects(db) {
        let s = setup(db)?;
        let fred = s.get::<User>(9)?.expect("fred");
        s.query::<Address>().delete(SynchronizeSession::False)?;
        s.query::<User>().filter_by("id", 9).delete(SynchronizeSession::Evaluate)?;
        assert_eq!(fred.state(), ObjectState::Deleted);
        s.rollback()?;
        assert_eq!(fred.state(), ObjectState::Persistent);
        assert!(s.get::<User>(9)?.expect("back").ptr_eq(&fred));
        assert_eq!(db_count(db, "SELECT count(*) FROM users")?, 4);
        Ok(())
    }

    fn get_by_with_session_subqueries_and_labels_run(db) {
        let s = setup(db)?;
        let ed = s.query::<User>().get_by(aludel::params! { "name" => "ed" })?.expect("ed");
        assert_eq!(ed.read()?.id, 8);
        assert!(s.query::<User>().get_by(aludel::params! { "age" => 99 })?.is_none());
        assert!(s.query::<Address>().get_by(aludel::params! { "user_id" => 8 })?.is_none(), "three match: None");
        let other = Session::new(db);
        let moved = s.query::<User>().filter_by("id", 8).with_session(&other).one()?;
        assert!(!moved.ptr_eq(&ed), "loaded into the other session");
        assert!(other.get::<User>(8)?.expect("there").ptr_eq(&moved));
        let sq = s.query::<Address>().filter(Address::email.like("ed@%")).subquery("eds");
        let n: i64 = s.scalar(&aludel::sql::select([func::count_star()]).from(&sq), ())?;
        assert_eq!(n, 3);
        let labelled = s.query::<User>().with_labels().order_by(User::id).all()?;
        assert_eq!(names(&labelled)?, ["jack", "ed", "fred", "chuck"]);
        let youngest = s.query::<User>().filter(User::age.eq(
            aludel::sql::select([func::min(User::age)]).scalar_subquery(),
        )).one()?;
        assert_eq!(youngest.read()?.name, "jack");
        Ok(())
    }

    fn from_statement_loads_by_column_name_through_the_identity_map(db) {
        let s = setup(db)?;
        let ed = s.get::<User>(8)?.expect("ed");
        let found = s.query::<User>()
            .from_statement(text("SELECT age, name, id FROM users WHERE name = :name"))
            .params(aludel::params! { "name" => "ed" })
            .one()?;
        assert!(found.ptr_eq(&ed));
        let core = s.query::<User>()
            .from_statement(aludel::sql::select([User::id.expr(), User::name.expr(), User::age.expr()]).where_(User::age.gt(35)))
            .all()?;
        assert_eq!(core.len(), 2);
        let first = s.query::<User>().from_statement(text("SELECT * FROM users ORDER BY id")).first()?;
        assert_eq!(first.expect("jack").read()?.name, "jack");
        let via_result = s.query::<User>().instances(s.execute(&text("SELECT * FROM users WHERE id = 8"), ())?)?;
        assert!(via_result[0].ptr_eq(&ed));
        assert_eq!(s.query::<User>().order_by(User::age.desc()).filter(User::age.is_not_null()).value::<String>(User::name)?, Some("fred".into()));
        assert_eq!(s.query::<User>().filter_by("id", 99).value::<i64>(User::id)?, None);
        let missing = s.query::<User>().from_statement(text("SELECT id, name FROM users")).all().unwrap_err();
        assert!(missing.to_string().contains("lack User's column 'age'"), "{missing}");
        let late = s.query::<User>().from_statement(text("SELECT * FROM users")).filter(User::id.eq(7)).all().unwrap_err();
        assert!(late.to_string().contains("added after from_statement()"), "{late}");
        let count = s.query::<User>().from_statement(text("SELECT * FROM users")).count().unwrap_err();
        assert!(count.to_string().contains("count() is not available after from_statement()"), "{count}");
        Ok(())
    }

    fn from_self_keeps_the_limit_inside(db) {
        let s = setup(db)?;
        let first_two = s.query::<User>().order_by(User::id).limit(2).from_self();
        assert_eq!(names(&first_two.filter(User::age.gt(35)).all()?)?, ["ed"], "only among the first two");
        assert_eq!(first_two.count()?, 2);
        let seven = s.query::<User>().filter(User::id.le(8)).subquery("anon_1");
        let from = s.query::<User>().select_entity_from(&seven).filter_by("name", "ed").all()?;
        assert_eq!(names(&from)?, ["ed"]);
        assert!(from[0].ptr_eq(&s.get::<User>(8)?.expect("ed")));
        Ok(())
    }

    fn joins_to_a_grouped_subquery_and_a_table_twice(db) {
        let s = setup(db)?;
        let counts = aludel::sql::select([Address::user_id.expr(), func::count_star().label("n")])
            .group_by([Address::user_id.expr()])
            .subquery("counts");
        let busy = s.query::<User>().join_item(&counts, User::id.eq(counts.c("user_id"))).filter_by("n", 3).all()?;
        assert_eq!(names(&busy)?, ["ed"]);
        let a1 = Address::info().table.alias("a1");
        let a2 = Address::info().table.alias("a2");
        let two = s.query::<User>()
            .join_item(&a1, a1.c("user_id").eq(User::id))
            .join_item(&a2, a2.c("user_id").eq(User::id))
            .filter(a1.c("id").lt(a2.c("id")))
            .order_by(User::id)
            .all()?;
        assert_eq!(names(&two)?, ["ed"], "three pairs of ed's addresses, one ed");
        let lonely = s.query::<User>().outerjoin_item(&a1, a1.c("user_id").eq(User::id)).filter(a1.c("id").is_null()).all()?;
        assert_eq!(names(&lonely)?, ["chuck"]);
        Ok(())
    }

    fn merge_result_with_and_without_load(db) {
        let s = setup(db)?;
        let cached = s.query::<User>().order_by(User::id).all()?;
        s.expunge_all();
        let other = Session::new(db);
        let fred = other.get::<User>(9)?.expect("fred");
        let recorder = db.record_statements();
        let merged = other.query::<User>().merge_result(&cached, false)?;
        assert_eq!(recorder.count(), 0, "load=false runs no SQL: {:?}", recorder.statements());
        assert_eq!(names(&merged)?, ["jack", "ed", "fred", "chuck"]);
        assert!(merged[2].ptr_eq(&fred), "the session's own fred");
        assert!(merged.iter().all(|m| !cached.iter().any(|c| c.ptr_eq(m))), "never the foreign objects");
        assert!(!other.is_modified(&merged[0])?);
        cached[1].write()?.name = "edward".into();
        let loaded = other.query::<User>().merge_result([&cached[1]], true)?;
        assert!(loaded[0].ptr_eq(&merged[1]));
        assert!(other.is_modified(&loaded[0])?, "load=true makes the values pending changes");
        other.commit()?;
        assert_eq!(db_count(db, "SELECT count(*) FROM users WHERE name = 'edward'")?, 1);
        Ok(())
    }

    fn bulk_statements_per_backend_use_returning_or_a_select_first(db) {
        let s = setup(db)?;
        let _loaded = s.query::<User>().all()?;
        let recorder = db.record_statements();
        s.query::<User>().filter(User::age.gt(45)).update([(User::age, Expr::from(User::age) - 10)], SynchronizeSession::Fetch)?;
        s.query::<Address>().filter_by("user_id", 9).delete(SynchronizeSession::Fetch)?;
        let expected: Vec<&str> = match db.backend() {
            Backend::Sqlite => vec![
                "UPDATE users SET age = users.age - ? WHERE users.age > ? RETURNING users.id, users.name, users.age",
                "DELETE FROM addresses WHERE addresses.user_id = ? RETURNING addresses.id",
            ],
            Backend::Postgres => vec![
                "UPDATE users SET age = users.age - $1 WHERE users.age > $2 RETURNING users.id, users.name, users.age",
                "DELETE FROM addresses WHERE addresses.user_id = $1 RETURNING addresses.id",
            ],
            Backend::MySql => vec![
                "SELECT users.id FROM users WHERE users.age > ?",
                "UPDATE users SET age = users.age - ? WHERE users.age > ?",
                "SELECT users.id, users.name, users.age FROM users WHERE users.id = ?",
                "SELECT addresses.id FROM addresses WHERE addresses.user_id = ?",
                "DELETE FROM addresses WHERE addresses.user_id = ?",
            ],
        };
        assert_eq!(recorder.statements(), expected);
        assert_eq!(s.get::<User>(9)?.expect("fred").read()?.age, Some(40));
        Ok(())
    }

    fn bulk_refusals_name_what_is_wrong_and_run_nothing(db) {
        let s = setup(db)?;
        let joined = s.query::<User>().join::<Address>().update([("age", 1)], SynchronizeSession::False).unwrap_err();
        assert!(joined.to_string().contains("Query<User>::update() cannot run on a query with join()"), "{joined}");
        let limited = s.query::<User>().limit(1).delete(SynchronizeSession::False).unwrap_err();
        assert!(limited.to_string().contains("Query<User>::delete() cannot run on a query with limit()"), "{limited}");
        let unknown = s.query::<User>().update([("nope", 1)], SynchronizeSession::False).unwrap_err();
        assert!(unknown.to_string().contains("update: model User has no column 'nope' (columns: id, name, age)"), "{unknown}");
        let like = s.query::<User>().filter(User::name.like("e%")).update([("age", 1)], SynchronizeSession::Evaluate).unwrap_err();
        assert!(like.to_string().contains("cannot evaluate LIKE"), "{like}");
        let func_value = s.query::<User>().update([("name", aludel::sql::func::upper(User::name))], SynchronizeSession::Evaluate).unwrap_err();
        assert!(func_value.to_string().contains("the SQL function upper()"), "{func_value}");
        s.commit()?;
        assert_eq!(db_count(db, "SELECT count(*) FROM users WHERE age = 1")?, 0, "nothing ran");
        Ok(())
    }
}

/// A user's age as the session's transaction sees it.
fn db_age_in(s: &Session, id: i64) -> Result<Option<i64>> {
    s.scalar(
        &text("SELECT age FROM users WHERE id = :id"),
        aludel::params! { "id" => id },
    )
}
