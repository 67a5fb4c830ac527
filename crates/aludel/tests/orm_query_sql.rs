//! SQL-text tests of the ORM `Query<M>` API: what each method renders on SQLite,
//! PostgreSQL and MySQL side by side, on the users/addresses fixture of `orm_query.rs`
//! (which proves the behaviour on every backend). No database is needed.

mod common;

use aludel::dialects::{Dialect, MySql, Postgres, Sqlite};
use aludel::orm::{Model, Query, Session};
use aludel::sql::{Executable, LockOptions, func, text};
use common::sql_text;

use common::query_fixture::{Address, Friendship, Keyword, User};

/// The query of a session with no database behind it, for SQL-text tests.
fn q<M: Model>() -> Query<M> {
    let engine = aludel::create_engine("sqlite://").expect("in-memory engine");
    Session::new(&engine).query::<M>()
}

/// Asserts a query's SQL for SQLite, PostgreSQL and MySQL, in that order.
#[track_caller]
fn assert_sql<M: Model>(query: &Query<M>, sqlite: &str, postgres: &str, mysql: &str) {
    sql_text::assert_sql(query.statement(), sqlite, postgres, mysql);
}

/// A query's SQL, the same on the three dialects up to the placeholder style.
#[track_caller]
fn assert_sql_all<M: Model>(query: &Query<M>, qmark: &str) {
    sql_text::assert_sql_all(query.statement(), qmark);
}

const USERS: &str = "SELECT users.id, users.name, users.age FROM users";

#[test]
fn filter_by_applies_to_the_join_point_with_several_pairs() {
    assert_sql_all(
        &q::<User>().filter_by_all(aludel::params! { "name" => "ed", "age" => 3 }),
        &format!("{USERS} WHERE users.name = ? AND users.age = ?"),
    );
    assert_sql_all(
        &q::<User>()
            .join::<Address>()
            .filter_by("email", "x")
            .filter_by("id", 3),
        &format!(
            "{USERS} JOIN addresses ON users.id = addresses.user_id \
             WHERE addresses.email = ? AND addresses.id = ?"
        ),
    );
    assert_sql(
        &q::<User>()
            .filter(text("users.name = :n").into())
            .filter(User::id.gt(1)),
        &format!("{USERS} WHERE users.name = ? AND users.id > ?"),
        &format!("{USERS} WHERE users.name = $1 AND users.id > $2"),
        &format!("{USERS} WHERE users.name = ? AND users.id > ?"),
    );
    let err = q::<User>().join::<Address>().filter_by("name", "ed");
    let msg = err.statement().compile(&Sqlite).unwrap_err().to_string();
    assert!(
        msg.contains("model Address has no column 'name' (columns: id, user_id, email)"),
        "{msg}"
    );
}

#[test]
fn ordering_several_keys_reset_and_slices() {
    assert_sql_all(
        &q::<User>().order_by_keys([User::age.desc(), User::name.asc()]),
        &format!("{USERS} ORDER BY users.age DESC, users.name ASC"),
    );
    assert_sql_all(
        &q::<User>()
            .order_by(User::name)
            .reset_order_by()
            .order_by(User::id),
        &format!("{USERS} ORDER BY users.id"),
    );
    assert_sql_all(
        &q::<User>().slice(1, 3),
        &format!("{USERS} LIMIT ? OFFSET ?"),
    );
    assert_sql_all(&q::<User>().slice(0, 3), &format!("{USERS} LIMIT ?"));
    let c = q::<User>()
        .limit(10)
        .offset(2)
        .slice(1, 3)
        .statement()
        .compile(&Sqlite)
        .unwrap();
    assert_eq!(
        c.bind_values(&Default::default()).unwrap(),
        vec![aludel::sql::Value::Int(2), aludel::sql::Value::Int(3)]
    );
    assert_sql_all(
        &q::<User>().limit(3).offset(4).reset_limit().reset_offset(),
        USERS,
    );
}

#[test]
fn grouping_having_and_distinct_per_dialect() {
    assert_sql_all(
        &q::<User>()
            .join::<Address>()
            .group_by([User::id.expr(), User::name.expr()])
            .having(func::count(Address::id).gt(1)),
        &format!(
            "{USERS} JOIN addresses ON users.id = addresses.user_id \
             GROUP BY users.id, users.name HAVING count(addresses.id) > ?"
        ),
    );
    assert_sql_all(
        &q::<User>().distinct().order_by(User::name),
        "SELECT DISTINCT users.id, users.name, users.age FROM users ORDER BY users.name",
    );
    assert_sql(
        &q::<User>().distinct_on([User::name]).order_by(User::name),
        "ERROR: DISTINCT ON is not supported by the sqlite dialect",
        "SELECT DISTINCT ON (users.name) users.id, users.name, users.age FROM users ORDER BY users.name",
        "ERROR: DISTINCT ON is not supported by the mysql dialect",
    );
}

#[test]
fn joins_explicit_inferred_outer_full_and_select_from() {
    let on = "ON users.id = addresses.user_id";
    assert_sql(
        &q::<User>().join_on::<Address>(User::id.eq(Address::user_id)),
        &format!("{USERS} JOIN addresses {on}"),
        &format!("{USERS} JOIN addresses {on}"),
        &format!("{USERS} JOIN addresses {on}"),
    );
    assert_sql_all(
        &q::<User>().join::<Address>(),
        &format!("{USERS} JOIN addresses {on}"),
    );
    assert_sql_all(
        &q::<Address>().join::<User>(),
        &format!(
            "SELECT addresses.id, addresses.user_id, addresses.email FROM addresses JOIN users {on}"
        ),
    );
    assert_sql_all(
        &q::<User>().outerjoin::<Address>(),
        &format!("{USERS} LEFT OUTER JOIN addresses {on}"),
    );
    assert_sql_all(
        &q::<Address>().select_from::<User>().join::<Address>(),
        &format!(
            "SELECT addresses.id, addresses.user_id, addresses.email FROM users JOIN addresses {on}"
        ),
    );
    assert_sql_all(
        &q::<User>()
            .join::<Address>()
            .join_on::<Keyword>(Keyword::id.eq(Address::id))
            .filter_by("name", "k"),
        &format!(
            "{USERS} JOIN addresses {on} JOIN keywords ON keywords.id = addresses.id WHERE keywords.name = ?"
        ),
    );
    let full = q::<User>().full_outerjoin_on::<Address>(User::id.eq(Address::user_id));
    assert_sql(
        &full,
        &format!("{USERS} FULL OUTER JOIN addresses {on}"),
        &format!("{USERS} FULL OUTER JOIN addresses {on}"),
        "ERROR: FULL OUTER JOIN is not supported by the mysql dialect",
    );
    assert_sql_all(
        &q::<User>().join::<Keyword>(),
        "ERROR: cannot compile statement: join: no foreign key joins User to Keyword; pass the ON clause with join_on()",
    );
    assert_sql_all(
        &q::<User>().join::<Friendship>(),
        "ERROR: cannot compile statement: join: User and Friendship have 2 foreign key paths between them; pass the ON clause with join_on()",
    );
}

#[test]
fn joins_to_aliases_and_subqueries() {
    let a1 = Address::info().table.alias("a1");
    let a2 = Address::info().table.alias("a2");
    assert_sql_all(
        &q::<User>()
            .join_item(&a1, a1.c("user_id").eq(User::id))
            .join_item(&a2, a2.c("user_id").eq(User::id))
            .filter(a1.c("id").lt(a2.c("id")))
            .filter_by("email", "x"),
        &format!(
            "{USERS} JOIN addresses AS a1 ON a1.user_id = users.id JOIN addresses AS a2 ON a2.user_id = users.id \
             WHERE a1.id < a2.id AND a2.email = ?"
        ),
    );
    let bad = q::<User>()
        .join_item(&a1, a1.c("user_id").eq(User::id))
        .filter_by("nope", 1);
    let msg = bad.statement().compile(&Sqlite).unwrap_err().to_string();
    assert!(msg.contains("a1 has no column 'nope'"), "{msg}");
}

#[test]
fn set_operations_wrap_and_adapt_later_criteria() {
    let a = q::<User>().filter(User::id.gt(1));
    let b = q::<User>().filter(User::id.lt(5));
    let inner = "SELECT users.id, users.name, users.age FROM users WHERE users.id > ?";
    let inner2 = "SELECT users.id, users.name, users.age FROM users WHERE users.id < ?";
    let outer = "SELECT anon_1.id, anon_1.name, anon_1.age FROM";
    assert_sql_all(
        &a.union(&b).filter(User::name.eq("x")).order_by(User::id),
        &format!(
            "{outer} ({inner} UNION {inner2}) AS anon_1 WHERE anon_1.name = ? ORDER BY anon_1.id"
        ),
    );
    assert_sql_all(
        &a.union_all(&b),
        &format!("{outer} ({inner} UNION ALL {inner2}) AS anon_1"),
    );
    assert_sql_all(
        &a.intersect(&b),
        &format!("{outer} ({inner} INTERSECT {inner2}) AS anon_1"),
    );
    assert_sql_all(
        &a.except_(&b),
        &format!("{outer} ({inner} EXCEPT {inner2}) AS anon_1"),
    );
    assert_sql(
        &a.except_all(&b),
        "ERROR: EXCEPT ALL is not supported by the sqlite dialect",
        &format!("{outer} ({inner} EXCEPT ALL {inner2}) AS anon_1")
            .replace("> ?", "> $1")
            .replace("< ?", "< $2"),
        &format!("{outer} ({inner} EXCEPT ALL {inner2}) AS anon_1"),
    );
    let nested = a.union(&b).union(&q::<User>());
    assert_sql_all(
        &nested,
        &format!(
            "SELECT anon_2.id, anon_2.name, anon_2.age FROM ({outer} ({inner} UNION {inner2}) AS anon_1 \
             UNION {USERS}) AS anon_2"
        ),
    );
}

#[test]
fn from_self_and_select_entity_from_adapt_the_entity() {
    let limited = q::<User>().order_by(User::id).limit(2);
    assert_sql_all(
        &limited
            .from_self()
            .filter(User::age.gt(3))
            .order_by(User::name),
        &format!(
            "SELECT anon_1.id, anon_1.name, anon_1.age FROM ({USERS} ORDER BY users.id LIMIT ?) AS anon_1 \
             WHERE anon_1.age > ? ORDER BY anon_1.name"
        ),
    );
    let seven = q::<User>().filter(User::id.eq(7)).subquery("anon_1");
    assert_sql_all(
        &q::<User>()
            .filter(User::name.eq("ed"))
            .select_entity_from(&seven)
            .order_by(User::id),
        &format!(
            "SELECT anon_1.id, anon_1.name, anon_1.age FROM ({USERS} WHERE users.id = ?) AS anon_1 \
             WHERE anon_1.name = ? ORDER BY anon_1.id"
        ),
    );
    let narrow = aludel::sql::select([User::id.expr()]).subquery("narrow");
    assert_sql_all(
        &q::<User>().select_entity_from(&narrow),
        "ERROR: cannot compile statement: narrow has no column 'name' (columns: id)",
    );
}

#[test]
fn locking_exists_and_assertions() {
    let lock = LockOptions::update().nowait().of(&User::info().table);
    assert_sql(
        &q::<User>().with_for_update(lock),
        USERS,
        &format!("{USERS} FOR UPDATE OF users NOWAIT"),
        "ERROR: FOR UPDATE OF is not supported by the mysql dialect",
    );
    assert_sql(
        &q::<User>().with_for_update(LockOptions::share().skip_locked()),
        USERS,
        &format!("{USERS} FOR SHARE SKIP LOCKED"),
        "ERROR: FOR SHARE with NOWAIT, SKIP LOCKED or OF is not supported by the mysql dialect",
    );
    assert_sql(
        &q::<User>().with_for_update(LockOptions::key_share()),
        USERS,
        &format!("{USERS} FOR KEY SHARE"),
        "ERROR: FOR KEY SHARE is not supported by the mysql dialect",
    );
    assert_sql(
        &q::<User>().with_for_update(LockOptions::no_key_update().skip_locked()),
        USERS,
        &format!("{USERS} FOR NO KEY UPDATE SKIP LOCKED"),
        "ERROR: FOR NO KEY UPDATE is not supported by the mysql dialect",
    );
    let e = q::<User>().filter(User::id.eq(1)).exists();
    assert_eq!(
        e.compile(&Sqlite).unwrap().sql,
        "EXISTS (SELECT 1 FROM users WHERE users.id = ?)"
    );
    assert_eq!(
        e.compile(&Postgres).unwrap().sql,
        "EXISTS (SELECT 1 FROM users WHERE users.id = $1)"
    );
    assert_eq!(
        e.compile(&MySql).unwrap().sql,
        "EXISTS (SELECT 1 FROM users WHERE users.id = ?)"
    );
}

#[test]
fn the_query_as_a_subquery_cte_scalar_and_with_hints_or_labels() {
    let users = q::<User>().filter(User::age.gt(30));
    let sq = users.subquery("old");
    let outer = aludel::sql::select([sq.c("name")]).from(&sq);
    let inner = "SELECT users.id, users.name, users.age FROM users WHERE users.age > ?";
    for d in [&Sqlite as &dyn Dialect, &MySql] {
        assert_eq!(
            outer.compile(d).unwrap().sql,
            format!("SELECT old.name FROM ({inner}) AS old")
        );
    }
    let c = users.cte("old");
    let with = aludel::sql::select([c.c("id")]).from(&c);
    assert_eq!(
        with.compile(&Postgres).unwrap().sql,
        format!(
            "WITH old AS ({}) SELECT old.id FROM old",
            inner.replace('?', "$1")
        )
    );
    let label = q::<User>().filter(User::id.eq(7)).label("jack");
    assert_eq!(
        label.compile(&Sqlite).unwrap().sql,
        format!("({USERS} WHERE users.id = ?) AS jack")
    );
    assert_sql(
        &q::<User>().with_hint("USE INDEX (ix_name)", "mysql"),
        USERS,
        USERS,
        &format!("{USERS} USE INDEX (ix_name)"),
    );
    // reduce_columns: the right side of `users.id = addresses.id` goes; user_id stays
    // (another name).
    let sq = q::<User>()
        .filter(User::id.eq(Address::id))
        .with_entities((User::id, User::name, Address::id, Address::user_id))
        .reduced_subquery("r");
    let outer = aludel::sql::select([sq.c("id")]).from(&sq);
    assert_eq!(
        outer.compile(&Postgres).unwrap().sql,
        "SELECT r.id FROM (SELECT users.id, users.name, addresses.user_id FROM users, addresses WHERE users.id = addresses.id) AS r"
    );
    // A hint on a join target, for one dialect.
    let joined = q::<User>().join::<Address>().with_hint_on(
        &Address::info().table,
        "USE INDEX (ix_user)",
        "mysql",
    );
    let join = "JOIN addresses ON users.id = addresses.user_id";
    assert_sql(
        &joined,
        &format!("{USERS} {join}"),
        &format!("{USERS} {join}"),
        &format!("{USERS} JOIN addresses USE INDEX (ix_user) ON users.id = addresses.user_id"),
    );
    assert_sql_all(
        &q::<User>().with_labels(),
        "SELECT users.id AS users_id, users.name AS users_name, users.age AS users_age FROM users",
    );
    assert_sql_all(
        &q::<User>()
            .join::<Address>()
            .reset_joinpoint()
            .filter_by("name", "ed")
            .filter_all([User::id.gt(1), User::id.lt(9)]),
        &format!(
            "{USERS} JOIN addresses ON users.id = addresses.user_id \
             WHERE users.name = ? AND users.id > ? AND users.id < ?"
        ),
    );
}
