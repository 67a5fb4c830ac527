//! SQL-text tests: every Core construct rendered for SQLite, PostgreSQL and MySQL side by
//! side. No database is needed; `sql_execute.rs` proves the SQL runs.

mod common;

use aludel::dialects::{Dialect, MySql, Postgres, Sqlite};
use aludel::sql::*;
use common::sql_text::*;

struct Fixture {
    users: Table,
    addresses: Table,
    parts: Table,
}

fn fixture() -> Fixture {
    let mut md = MetaData::new();
    let users = md.add(
        Table::build("users")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(Column::new("name", SqlType::String { length: Some(50) }).nullable(false))
            .column(Column::new("age", SqlType::Integer)),
    );
    let addresses = md.add(
        Table::build("addresses")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(
                Column::new("user_id", SqlType::Integer).references(ForeignKey::to("users", "id")),
            )
            .column(Column::new("email", SqlType::String { length: Some(100) })),
    );
    let parts = md.add(
        Table::build("part")
            .column(Column::new("part", SqlType::String { length: Some(30) }).primary_key())
            .column(Column::new("sub_part", SqlType::String { length: Some(30) }).primary_key())
            .column(Column::new("quantity", SqlType::Integer)),
    );
    Fixture {
        users,
        addresses,
        parts,
    }
}

#[test]
fn comparison_operators_bind_values() {
    let f = fixture();
    let id = || f.users.c("id");
    let s = select([id()]).where_(and_([
        id().eq(1),
        id().ne(2),
        id().lt(3),
        id().le(4),
        id().gt(5),
        id().ge(6),
    ]));
    assert_sql_all(
        &s,
        "SELECT users.id FROM users WHERE users.id = ? AND users.id != ? AND users.id < ? AND users.id <= ? AND users.id > ? AND users.id >= ?",
    );
    let c = s.compile(&Postgres).unwrap();
    assert_eq!(
        c.binds
            .iter()
            .map(|b| b.value.clone().unwrap())
            .collect::<Vec<_>>(),
        (1..=6).map(Value::Int).collect::<Vec<_>>()
    );
}

#[test]
fn null_comparisons_render_is() {
    let f = fixture();
    let age = || f.users.c("age");
    assert_sql_all(&age().eq(Option::<i32>::None), "users.age IS NULL");
    assert_sql_all(&age().ne(null()), "users.age IS NOT NULL");
    assert_sql(
        &age().is_(true_()),
        "users.age IS 1",
        "users.age IS true",
        "users.age IS true",
    );
}

#[test]
fn in_lists_empty_lists_tuples_and_subqueries() {
    let f = fixture();
    assert_sql_all(&f.users.c("id").in_([1, 2]), "users.id IN (?, ?)");
    assert_sql_all(&f.users.c("id").not_in([1]), "users.id NOT IN (?)");
    assert_sql_all(&f.users.c("id").in_(Vec::<i64>::new()), "1 != 1");
    assert_sql_all(&f.users.c("id").not_in(Vec::<i64>::new()), "1 = 1");
    let t = tuple([f.users.c("id"), f.users.c("name")])
        .in_([tuple([1.into(), "a".into()]), tuple([2.into(), "b".into()])]);
    assert_sql_all(&t, "(users.id, users.name) IN ((?, ?), (?, ?))");
    let sub = select([f.addresses.c("user_id")]);
    assert_sql_all(
        &select([f.users.c("name")]).where_(f.users.c("id").in_select(sub)),
        "SELECT users.name FROM users WHERE users.id IN (SELECT addresses.user_id FROM addresses)",
    );
}

#[test]
fn between_like_ilike_and_escape() {
    let f = fixture();
    let name = || f.users.c("name");
    assert_sql_all(
        &f.users.c("age").between(18, 65),
        "users.age BETWEEN ? AND ?",
    );
    assert_sql_all(
        &f.users.c("age").not_between(18, 65),
        "users.age NOT BETWEEN ? AND ?",
    );
    assert_sql_all(&name().like("a%"), "users.name LIKE ?");
    assert_sql_all(&name().not_like("a%"), "users.name NOT LIKE ?");
    assert_sql(
        &name().ilike("a%"),
        "lower(users.name) LIKE lower(?)",
        "users.name ILIKE $1",
        "lower(users.name) LIKE lower(?)",
    );
    assert_sql(
        &name().like_escape("a\\%", '\\'),
        "users.name LIKE ? ESCAPE '\\'",
        "users.name LIKE $1 ESCAPE '\\'",
        "users.name LIKE ? ESCAPE '\\\\'",
    );
    let c = name().contains("100%_").compile(&Sqlite).unwrap();
    assert_eq!(c.sql, "users.name LIKE ? ESCAPE '/'");
    assert_eq!(c.binds[0].value, Some(Value::Text("%100/%/_%".into())));
    assert_eq!(
        name().startswith("a/b").compile(&Sqlite).unwrap().binds[0].value,
        Some(Value::Text("a//b%".into()))
    );
    assert_eq!(
        name().endswith("z").compile(&Sqlite).unwrap().binds[0].value,
        Some(Value::Text("%z".into()))
    );
}

#[test]
fn arithmetic_concat_and_precedence() {
    let f = fixture();
    let age = || f.users.c("age");
    assert_sql_all(&((age() + 1) * 2), "(users.age + ?) * ?");
    assert_sql_all(&(age() - (age() - 1)), "users.age - (users.age - ?)");
    assert_sql_all(&(age() + age() + 1), "users.age + users.age + ?");
    assert_sql_all(&(age() / 2 % 3), "users.age / ? % ?");
    assert_sql_all(&(-(age() + 1)), "-(users.age + ?)");
    assert_sql(
        &f.users
            .c("name")
            .concat(" <")
            .concat(f.addresses.c("email")),
        "users.name || ? || addresses.email",
        "users.name || $1 || addresses.email",
        "concat(users.name, ?, addresses.email)",
    );
}

#[test]
fn boolean_combinations_get_parentheses_only_where_needed() {
    let f = fixture();
    let a = || f.users.c("age");
    let e = or_([and_([a().gt(1), a().lt(5)]), a().eq(9)]);
    assert_sql_all(&e, "users.age > ? AND users.age < ? OR users.age = ?");
    let e = and_([or_([a().gt(1), a().lt(5)]), a().ne(9)]);
    assert_sql_all(&e, "(users.age > ? OR users.age < ?) AND users.age != ?");
    assert_sql_all(
        &not_(or_([a().eq(1), a().eq(2)])),
        "NOT (users.age = ? OR users.age = ?)",
    );
    assert_sql_all(&and_([]), "1 = 1");
    assert_sql_all(&or_([]), "1 != 1");
}

#[test]
fn functions_distinct_case_cast_label() {
    let f = fixture();
    let s = select([
        func::count_star(),
        func::count(f.users.c("name").distinct()).label("names"),
        func::sum(f.users.c("age")),
        func::avg(f.users.c("age")),
        func::min(f.users.c("age")),
        func::max(f.users.c("age")),
        func::coalesce([f.users.c("age"), 0.into()]),
        func::lower(f.users.c("name")),
        func::upper(f.users.c("name")),
        func::length(f.users.c("name")),
        func::now(),
    ]);
    let tail = "sum(users.age), avg(users.age), min(users.age), max(users.age), coalesce(users.age, ?), lower(users.name), upper(users.name)";
    assert_sql(
        &s,
        &format!(
            "SELECT count(*), count(DISTINCT users.name) AS names, {tail}, length(users.name), CURRENT_TIMESTAMP FROM users"
        ),
        &format!(
            "SELECT count(*), count(DISTINCT users.name) AS names, {}, length(users.name), now() FROM users",
            tail.replace('?', "$1")
        ),
        &format!(
            "SELECT count(*), count(DISTINCT users.name) AS names, {tail}, char_length(users.name), now() FROM users"
        ),
    );
    let c = case(
        [(f.users.c("age").lt(18), "minor".into())],
        Some("adult".into()),
    );
    assert_sql_all(&c, "CASE WHEN users.age < ? THEN ? ELSE ? END");
    assert_sql(
        &cast(f.users.c("age"), SqlType::String { length: Some(10) }),
        "CAST(users.age AS VARCHAR(10))",
        "CAST(users.age AS VARCHAR(10))",
        "CAST(users.age AS CHAR(10))",
    );
    assert_sql_all(
        &func::call("json_extract", [f.users.c("name"), "$.a".into()]),
        "json_extract(users.name, ?)",
    );
}

#[test]
fn bindparams_text_fragments_and_literal_columns() {
    let f = fixture();
    let s = select([f.users.c("id")])
        .where_(f.users.c("name").eq(bindparam("n")))
        .where_(Expr::from(text("users.age > :min")));
    assert_sql_all(
        &s,
        "SELECT users.id FROM users WHERE users.name = ? AND users.age > ?",
    );
    let c = s.compile(&MySql).unwrap();
    let values = c
        .bind_values(&aludel::params! { "n" => "ada", "min" => 30 })
        .unwrap();
    assert_eq!(values, vec![Value::Text("ada".into()), Value::Int(30)]);
    let err = c
        .bind_values(&aludel::params! { "n" => "ada" })
        .unwrap_err()
        .to_string();
    assert!(err.contains(":min"), "{err}");
    let c = bindparam_value("x", 3).compile(&Postgres).unwrap();
    assert_eq!(c.bind_values(&Params::new()).unwrap(), vec![Value::Int(3)]);
    assert_sql_all(
        &select([literal_column("max(id)").label("m")]).from(&f.users),
        "SELECT max(id) AS m FROM users",
    );
}

#[test]
fn order_by_directions_and_nulls() {
    let f = fixture();
    let s = select([f.users.c("id")])
        .order_by(f.users.c("age").desc().nulls_last())
        .order_by(f.users.c("name").asc().nulls_first())
        .order_by(f.users.c("id"));
    assert_sql(
        &s,
        "SELECT users.id FROM users ORDER BY users.age DESC NULLS LAST, users.name ASC NULLS FIRST, users.id",
        "SELECT users.id FROM users ORDER BY users.age DESC NULLS LAST, users.name ASC NULLS FIRST, users.id",
        "SELECT users.id FROM users ORDER BY users.age IS NULL ASC, users.age DESC, users.name IS NULL DESC, users.name ASC, users.id",
    );
}

#[test]
fn joins_inner_outer_full_and_explicit_from() {
    let f = fixture();
    let on = f.users.c("id").eq(f.addresses.c("user_id"));
    assert_sql_all(
        &select([f.users.c("name"), f.addresses.c("email")]).join(&f.addresses, on.clone()),
        "SELECT users.name, addresses.email FROM users JOIN addresses ON users.id = addresses.user_id",
    );
    assert_sql_all(
        &select([f.users.c("name")]).outer_join(&f.addresses, on.clone()),
        "SELECT users.name FROM users LEFT OUTER JOIN addresses ON users.id = addresses.user_id",
    );
    assert_sql(
        &select([f.users.c("name")]).full_join(&f.addresses, on.clone()),
        "SELECT users.name FROM users FULL OUTER JOIN addresses ON users.id = addresses.user_id",
        "SELECT users.name FROM users FULL OUTER JOIN addresses ON users.id = addresses.user_id",
        "ERROR: FULL OUTER JOIN is not supported by the mysql dialect",
    );
    let j = FromItem::from(&f.addresses).join(&f.users, on);
    assert_sql_all(
        &select([f.addresses.c("email")]).from(j),
        "SELECT addresses.email FROM addresses JOIN users ON users.id = addresses.user_id",
    );
}

#[test]
fn aliases_of_tables_subqueries_and_self_joins() {
    let f = fixture();
    let u1 = f.users.alias("u1");
    let u2 = f.users.alias("u2");
    let s = select([u1.c("name"), u2.c("name")]).from(&u1).join(
        &u2,
        u1.c("age").eq(u2.c("age")).and(u1.c("id").lt(u2.c("id"))),
    );
    assert_sql_all(
        &s,
        "SELECT u1.name, u2.name FROM users AS u1 JOIN users AS u2 ON u1.age = u2.age AND u1.id < u2.id",
    );
    let sq = select([f.addresses.c("user_id"), func::count_star().label("n")])
        .group_by([f.addresses.c("user_id")])
        .subquery("counts");
    let s = select([f.users.c("name"), sq.c("n")]).join(&sq, f.users.c("id").eq(sq.c("user_id")));
    assert_sql_all(
        &s,
        "SELECT users.name, counts.n FROM users JOIN (SELECT addresses.user_id, count(*) AS n FROM addresses GROUP BY addresses.user_id) AS counts ON users.id = counts.user_id",
    );
    let err = sq.c("missing").compile(&Sqlite).unwrap_err().to_string();
    assert!(err.contains("counts has no column 'missing'"), "{err}");
    assert!(
        f.users
            .c("nope")
            .compile(&Sqlite)
            .unwrap_err()
            .to_string()
            .contains("users has no column 'nope'")
    );
}

#[test]
fn group_by_having_limit_offset_distinct() {
    let f = fixture();
    let s = select([f.users.c("age"), func::count_star()])
        .group_by([f.users.c("age")])
        .having(func::count_star().gt(1))
        .order_by(f.users.c("age"))
        .limit(10)
        .offset(5);
    assert_sql_all(
        &s,
        "SELECT users.age, count(*) FROM users GROUP BY users.age HAVING count(*) > ? ORDER BY users.age LIMIT ? OFFSET ?",
    );
    assert_sql(
        &select([f.users.c("id")]).offset(3),
        "SELECT users.id FROM users LIMIT -1 OFFSET ?",
        "SELECT users.id FROM users OFFSET $1",
        "SELECT users.id FROM users LIMIT 18446744073709551615 OFFSET ?",
    );
    assert_sql_all(
        &select([f.users.c("age")]).distinct(),
        "SELECT DISTINCT users.age FROM users",
    );
    assert_sql(
        &select([f.users.c("age"), f.users.c("name")]).distinct_on([f.users.c("age")]),
        "ERROR: DISTINCT ON is not supported by the sqlite dialect",
        "SELECT DISTINCT ON (users.age) users.age, users.name FROM users",
        "ERROR: DISTINCT ON is not supported by the mysql dialect",
    );
}

#[test]
fn locking_clauses_per_dialect() {
    let f = fixture();
    let base = || select([f.users.c("id")]);
    assert_sql(
        &base().with_for_update(LockOptions::update()),
        "SELECT users.id FROM users",
        "SELECT users.id FROM users FOR UPDATE",
        "SELECT users.id FROM users FOR UPDATE",
    );
    assert_sql(
        &base().with_for_update(LockOptions::update().nowait().of(&f.users)),
        "SELECT users.id FROM users",
        "SELECT users.id FROM users FOR UPDATE OF users NOWAIT",
        "ERROR: FOR UPDATE OF is not supported by the mysql dialect",
    );
    assert_sql(
        &base().with_for_update(LockOptions::update().skip_locked()),
        "SELECT users.id FROM users",
        "SELECT users.id FROM users FOR UPDATE SKIP LOCKED",
        "SELECT users.id FROM users FOR UPDATE SKIP LOCKED",
    );
    assert_sql(
        &base().with_for_update(LockOptions::share()),
        "SELECT users.id FROM users",
        "SELECT users.id FROM users FOR SHARE",
        "SELECT users.id FROM users LOCK IN SHARE MODE",
    );
}

#[test]
fn prefixes_suffixes_and_hints() {
    let f = fixture();
    let s = select([f.users.c("id")])
        .prefix_with("/* p */")
        .suffix_with("/* s */")
        .with_hint(&f.users, "USE INDEX (ix_age)", "mysql")
        .with_statement_hint("/* all */", "*");
    assert_sql(
        &s,
        "SELECT /* p */ users.id FROM users /* s */ /* all */",
        "SELECT /* p */ users.id FROM users /* s */ /* all */",
        "SELECT /* p */ users.id FROM users USE INDEX (ix_age) /* s */ /* all */",
    );
}

#[test]
fn correlated_subqueries_auto_and_explicit() {
    let f = fixture();
    let count = select([func::count_star()]).where_(f.addresses.c("user_id").eq(f.users.c("id")));
    assert_sql_all(
        &select([
            f.users.c("name"),
            count.clone().scalar_subquery().label("n"),
        ]),
        "SELECT users.name, (SELECT count(*) FROM addresses WHERE addresses.user_id = users.id) AS n FROM users",
    );
    assert_sql_all(
        &select([f.users.c("name")]).where_(exists(
            select([f.addresses.c("id")]).where_(f.addresses.c("user_id").eq(f.users.c("id"))),
        )),
        "SELECT users.name FROM users WHERE EXISTS (SELECT addresses.id FROM addresses WHERE addresses.user_id = users.id)",
    );
    // Standing alone, the subquery lists both tables.
    assert_sql_all(
        &count,
        "SELECT count(*) FROM addresses, users WHERE addresses.user_id = users.id",
    );
}

#[test]
fn compound_selects_and_nesting() {
    let f = fixture();
    let a = || select([f.users.c("id")]).where_(f.users.c("age").lt(20));
    let b = || select([f.users.c("id")]).where_(f.users.c("age").gt(60));
    assert_sql_all(
        &a().union(b()),
        "SELECT users.id FROM users WHERE users.age < ? UNION SELECT users.id FROM users WHERE users.age > ?",
    );
    assert_sql(
        &a().intersect_all(b()),
        "ERROR: INTERSECT ALL is not supported by the sqlite dialect",
        "SELECT users.id FROM users WHERE users.age < $1 INTERSECT ALL SELECT users.id FROM users WHERE users.age > $2",
        "SELECT users.id FROM users WHERE users.age < ? INTERSECT ALL SELECT users.id FROM users WHERE users.age > ?",
    );
    assert_sql_all(
        &a().except_(b()).order_by(f.users.c("id").desc()).limit(3),
        "SELECT users.id FROM users WHERE users.age < ? EXCEPT SELECT users.id FROM users WHERE users.age > ? ORDER BY id DESC LIMIT ?",
    );
    // x.union(y).intersect(z): the union is nested so every database agrees on precedence.
    assert_sql_all(
        &a().union(b()).intersect(a()),
        "SELECT * FROM (SELECT users.id FROM users WHERE users.age < ? UNION SELECT users.id FROM users WHERE users.age > ?) AS anon_1 INTERSECT SELECT users.id FROM users WHERE users.age < ?",
    );
    assert_sql_all(
        &a().union_all(b().limit(1)),
        "SELECT users.id FROM users WHERE users.age < ? UNION ALL SELECT * FROM (SELECT users.id FROM users WHERE users.age > ? LIMIT ?) AS anon_1",
    );
}

#[test]
fn recursive_cte_from_the_parts_example_of_seed_001() {
    let f = fixture();
    let part = &f.parts;
    let included = select([part.c("sub_part"), part.c("part"), part.c("quantity")])
        .where_(part.c("part").eq("our part"))
        .cte_recursive("included_parts");
    let incl_alias = included.alias("pr");
    let parts_alias = part.alias("p");
    let included = included.union_all(
        select([
            parts_alias.c("sub_part"),
            parts_alias.c("part"),
            parts_alias.c("quantity"),
        ])
        .where_(parts_alias.c("part").eq(incl_alias.c("sub_part"))),
    );
    let q = select([
        included.c("sub_part"),
        func::sum(included.c("quantity")).label("total_quantity"),
    ])
    .group_by([included.c("sub_part")]);
    assert_sql_all(
        &q,
        "WITH RECURSIVE included_parts(sub_part, part, quantity) AS (SELECT part.sub_part, part.part, part.quantity FROM part WHERE part.part = ? UNION ALL SELECT p.sub_part, p.part, p.quantity FROM part AS p, included_parts AS pr WHERE p.part = pr.sub_part) SELECT included_parts.sub_part, sum(included_parts.quantity) AS total_quantity FROM included_parts GROUP BY included_parts.sub_part",
    );
}

#[test]
fn plain_cte_and_label_styles() {
    let f = fixture();
    let adults = select([f.users.c("id"), f.users.c("name")])
        .where_(f.users.c("age").ge(18))
        .cte("adults");
    assert_sql_all(
        &select([adults.c("name")]).where_(adults.c("id").gt(1)),
        "WITH adults AS (SELECT users.id, users.name FROM users WHERE users.age >= ?) SELECT adults.name FROM adults WHERE adults.id > ?",
    );
    assert_sql_all(
        &select([f.users.c("id"), f.addresses.c("id")])
            .join(&f.addresses, f.users.c("id").eq(f.addresses.c("user_id")))
            .set_label_style(LabelStyle::TablenameColumn),
        "SELECT users.id AS users_id, addresses.id AS addresses_id FROM users JOIN addresses ON users.id = addresses.user_id",
    );
}

#[test]
fn inserts_single_multi_from_select_and_defaults() {
    let t = Table::build("t")
        .column(Column::new("id", SqlType::Integer).primary_key())
        .column(Column::new("name", SqlType::Text))
        .column(Column::new("status", SqlType::Text).default("new"))
        .finish();
    assert_sql_all(
        &insert(&t).value("name", "a"),
        "INSERT INTO t (name, status) VALUES (?, ?)",
    );
    assert_sql_all(
        &insert(&t).rows(
            &["name", "status"],
            vec![vec!["a".into(), "x".into()], vec!["b".into(), "y".into()]],
        ),
        "INSERT INTO t (name, status) VALUES (?, ?), (?, ?)",
    );
    assert_sql_all(
        &insert(&t).from_select(&["name"], select([t.c("name")])),
        "INSERT INTO t (name) SELECT t.name FROM t",
    );
    assert_sql(
        &insert(
            &Table::build("e")
                .column(Column::new("id", SqlType::Integer).primary_key())
                .finish(),
        ),
        "INSERT INTO e DEFAULT VALUES",
        "INSERT INTO e DEFAULT VALUES",
        "INSERT INTO e () VALUES ()",
    );
    let err = insert(&t)
        .value("nope", 1)
        .compile(&Sqlite)
        .unwrap_err()
        .to_string();
    assert!(err.contains("table t has no column 'nope'"), "{err}");
    let err = insert(&t)
        .rows(&["name"], vec![vec![]])
        .compile(&Sqlite)
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 1"), "{err}");
}

#[test]
fn upserts_per_dialect() {
    let t = Table::build("kv")
        .column(Column::new("k", SqlType::String { length: Some(20) }).primary_key())
        .column(Column::new("v", SqlType::Integer))
        .finish();
    let up = insert(&t)
        .value("k", "a")
        .value("v", 1)
        .on_conflict_do_update(&["k"], vec![("v", t.c("v") + excluded("v"))]);
    assert_sql(
        &up,
        "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = kv.v + excluded.v",
        "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = kv.v + excluded.v",
        "INSERT INTO kv (k, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE v = kv.v + VALUES(v)",
    );
}

#[test]
fn updates_and_deletes_with_returning() {
    let f = fixture();
    let u = update(&f.users)
        .set("age", f.users.c("age") + 1)
        .where_(f.users.c("name").eq("ada"))
        .returning([f.users.c("age")]);
    assert_sql(
        &u,
        "UPDATE users SET age = users.age + ? WHERE users.name = ? RETURNING users.age",
        "UPDATE users SET age = users.age + $1 WHERE users.name = $2 RETURNING users.age",
        "ERROR: RETURNING is not supported by the mysql dialect",
    );
    let d = delete(&f.addresses).where_(
        f.addresses
            .c("user_id")
            .in_select(select([f.users.c("id")]).where_(f.users.c("age").lt(18))),
    );
    assert_sql_all(
        &d,
        "DELETE FROM addresses WHERE addresses.user_id IN (SELECT users.id FROM users WHERE users.age < ?)",
    );
    assert!(
        update(&f.users)
            .compile(&Sqlite)
            .unwrap_err()
            .to_string()
            .contains("sets no columns")
    );
}

#[test]
fn ddl_types_constraints_and_order() {
    let mut md = MetaData::new();
    md.add(
        Table::build("order")
            .column(Column::new("id", SqlType::BigInteger).primary_key())
            .column(
                Column::new("user_id", SqlType::Integer)
                    .nullable(false)
                    .references(ForeignKey::to("User", "id").on_delete(ReferentialAction::Cascade)),
            )
            .column(
                Column::new(
                    "total",
                    SqlType::Numeric {
                        precision: Some(10),
                        scale: Some(2),
                    },
                )
                .server_default("0"),
            )
            .column(Column::new("paid", SqlType::Boolean))
            .column(Column::new("at", SqlType::DateTimeTz))
            .column(Column::new("ref", SqlType::Uuid).unique())
            .check(Some("ck_total"), "total >= 0")
            .index("ix_order_at", &["at"], false),
    );
    md.add(Table::build("User").column(Column::new("id", SqlType::Integer).primary_key()));
    let sql = |d: &dyn Dialect| -> Vec<String> {
        md.create_statements(false)
            .unwrap()
            .iter()
            .map(|s| s.compile(d).unwrap().sql)
            .collect()
    };
    assert_eq!(
        sql(&Sqlite),
        [
            "CREATE TABLE \"User\" (id INTEGER NOT NULL, PRIMARY KEY (id))",
            "CREATE TABLE \"order\" (id INTEGER NOT NULL, user_id INTEGER NOT NULL, total NUMERIC(10, 2) DEFAULT 0, paid BOOLEAN, at DATETIME, ref CHAR(36), PRIMARY KEY (id), UNIQUE (ref), FOREIGN KEY (user_id) REFERENCES \"User\" (id) ON DELETE CASCADE, CONSTRAINT ck_total CHECK (total >= 0))",
            "CREATE INDEX ix_order_at ON \"order\" (at)",
        ]
    );
    assert_eq!(
        sql(&Postgres)[1],
        "CREATE TABLE \"order\" (id BIGINT GENERATED BY DEFAULT AS IDENTITY, user_id INTEGER NOT NULL, total NUMERIC(10, 2) DEFAULT 0, paid BOOLEAN, at TIMESTAMP WITH TIME ZONE, ref UUID, PRIMARY KEY (id), UNIQUE (ref), FOREIGN KEY (user_id) REFERENCES \"User\" (id) ON DELETE CASCADE, CONSTRAINT ck_total CHECK (total >= 0))"
    );
    assert_eq!(
        sql(&MySql)[1],
        "CREATE TABLE `order` (id BIGINT NOT NULL AUTO_INCREMENT, user_id INTEGER NOT NULL, total NUMERIC(10, 2) DEFAULT 0, paid BOOL, at DATETIME(6), ref CHAR(36), PRIMARY KEY (id), UNIQUE (ref), FOREIGN KEY (user_id) REFERENCES `User` (id) ON DELETE CASCADE, CONSTRAINT ck_total CHECK (total >= 0))"
    );
    let drops: Vec<String> = md
        .drop_statements(true)
        .unwrap()
        .iter()
        .map(|s| s.compile(&MySql).unwrap().sql)
        .collect();
    assert_eq!(
        drops,
        [
            "DROP TABLE IF EXISTS `order`",
            "DROP TABLE IF EXISTS `User`"
        ]
    );
}

#[test]
fn unbounded_strings_and_bytes_hold_long_values_on_mysql_except_in_keys() {
    let t = Table::build("docs")
        .column(Column::new("slug", SqlType::String { length: None }).primary_key())
        .column(Column::new("title", SqlType::String { length: Some(80) }))
        .column(Column::new("body", SqlType::String { length: None }))
        .column(Column::new("notes", SqlType::Text))
        .column(Column::new("data", SqlType::Binary))
        .column(Column::new("email", SqlType::String { length: None }).unique())
        .column(Column::new("tag", SqlType::Text).index())
        .column(Column::new("digest", SqlType::Binary))
        .column(Column::new("a", SqlType::String { length: None }))
        .unique(None, &["digest", "a"])
        .finish();
    assert_sql(
        &CreateTable::new(&t),
        "CREATE TABLE docs (slug VARCHAR NOT NULL, title VARCHAR(80), body VARCHAR, notes TEXT, data BLOB, email VARCHAR, tag TEXT, digest BLOB, a VARCHAR, PRIMARY KEY (slug), UNIQUE (email), UNIQUE (digest, a))",
        "CREATE TABLE docs (slug VARCHAR NOT NULL, title VARCHAR(80), body VARCHAR, notes TEXT, data BYTEA, email VARCHAR, tag TEXT, digest BYTEA, a VARCHAR, PRIMARY KEY (slug), UNIQUE (email), UNIQUE (digest, a))",
        "CREATE TABLE docs (slug VARCHAR(255) NOT NULL, title VARCHAR(80), body LONGTEXT, notes LONGTEXT, data LONGBLOB, email VARCHAR(255), tag VARCHAR(255), digest VARBINARY(255), a VARCHAR(255), PRIMARY KEY (slug), UNIQUE (email), UNIQUE (digest, a))",
    );
}

#[test]
fn composite_primary_keys_do_not_autoincrement() {
    let f = fixture();
    assert_sql(
        &CreateTable::new(&f.parts),
        "CREATE TABLE part (part VARCHAR(30) NOT NULL, sub_part VARCHAR(30) NOT NULL, quantity INTEGER, PRIMARY KEY (part, sub_part))",
        "CREATE TABLE part (part VARCHAR(30) NOT NULL, sub_part VARCHAR(30) NOT NULL, quantity INTEGER, PRIMARY KEY (part, sub_part))",
        "CREATE TABLE part (part VARCHAR(30) NOT NULL, sub_part VARCHAR(30) NOT NULL, quantity INTEGER, PRIMARY KEY (part, sub_part))",
    );
}

#[test]
fn foreign_key_cycles_are_reported_not_looped() {
    let mut md = MetaData::new();
    md.add(
        Table::build("a")
            .column(Column::new("b_id", SqlType::Integer).references(ForeignKey::to("b", "id"))),
    );
    md.add(
        Table::build("b")
            .column(Column::new("a_id", SqlType::Integer).references(ForeignKey::to("a", "id"))),
    );
    let err = md.sorted_tables().unwrap_err().to_string();
    assert!(err.contains("cycle between tables a, b"), "{err}");
}

#[test]
fn identifiers_are_quoted_per_dialect_and_cannot_escape() {
    let t = Table::build("we\"ird`name")
        .column(Column::new("select", SqlType::Integer))
        .column(Column::new("Ünïcode", SqlType::Integer))
        .finish();
    assert_sql(
        &select([t.c("select"), t.c("Ünïcode")]),
        "SELECT \"we\"\"ird`name\".\"select\", \"we\"\"ird`name\".\"Ünïcode\" FROM \"we\"\"ird`name\"",
        "SELECT \"we\"\"ird`name\".\"select\", \"we\"\"ird`name\".\"Ünïcode\" FROM \"we\"\"ird`name\"",
        "SELECT `we\"ird``name`.`select`, `we\"ird``name`.`Ünïcode` FROM `we\"ird``name`",
    );
}

#[test]
fn schema_qualified_tables() {
    let t = Table::build("events")
        .schema("audit")
        .column(Column::new("id", SqlType::Integer))
        .finish();
    assert_sql_all(
        &select([t.c("id")]),
        "SELECT audit.events.id FROM audit.events",
    );
}

#[test]
fn unbounded_numerics_keep_their_fraction_on_mysql() {
    let t = Table::build("amounts")
        .column(Column::new(
            "exact",
            SqlType::Numeric {
                precision: None,
                scale: None,
            },
        ))
        .column(Column::new(
            "money",
            SqlType::Numeric {
                precision: Some(12),
                scale: Some(2),
            },
        ))
        .finish();
    assert_sql(
        &CreateTable::new(&t),
        "CREATE TABLE amounts (exact NUMERIC, money NUMERIC(12, 2))",
        "CREATE TABLE amounts (exact NUMERIC, money NUMERIC(12, 2))",
        "CREATE TABLE amounts (exact NUMERIC(65, 30), money NUMERIC(12, 2))",
    );
}

#[test]
fn a_naming_convention_names_every_constraint() {
    use aludel::sql::NamingConvention;
    let t = Table::build("post")
        .column(
            Column::new("id", SqlType::Integer)
                .primary_key()
                .autoincrement(false),
        )
        .column(Column::new("slug", SqlType::String { length: Some(40) }).unique())
        .column(
            Column::new("author_id", SqlType::Integer).references(ForeignKey::to("author", "id")),
        )
        .column(Column::new("a", SqlType::Integer))
        .column(Column::new("b", SqlType::Integer))
        .unique(None, &["a", "b"])
        .check(Some("positive"), "a > 0")
        .finish();
    assert_sql(
        &CreateTable::new(&t).naming(NamingConvention::unchained()),
        "CREATE TABLE post (id INTEGER NOT NULL, slug VARCHAR(40), author_id INTEGER, a INTEGER, b INTEGER, CONSTRAINT pk_post PRIMARY KEY (id), CONSTRAINT uq_post_slug UNIQUE (slug), CONSTRAINT fk_post_author_id_author FOREIGN KEY (author_id) REFERENCES author (id), CONSTRAINT uq_post_a UNIQUE (a, b), CONSTRAINT ck_post_positive CHECK (a > 0))",
        "CREATE TABLE post (id INTEGER NOT NULL, slug VARCHAR(40), author_id INTEGER, a INTEGER, b INTEGER, CONSTRAINT pk_post PRIMARY KEY (id), CONSTRAINT uq_post_slug UNIQUE (slug), CONSTRAINT fk_post_author_id_author FOREIGN KEY (author_id) REFERENCES author (id), CONSTRAINT uq_post_a UNIQUE (a, b), CONSTRAINT ck_post_positive CHECK (a > 0))",
        "CREATE TABLE post (id INTEGER NOT NULL, slug VARCHAR(40), author_id INTEGER, a INTEGER, b INTEGER, CONSTRAINT pk_post PRIMARY KEY (id), CONSTRAINT uq_post_slug UNIQUE (slug), CONSTRAINT fk_post_author_id_author FOREIGN KEY (author_id) REFERENCES author (id), CONSTRAINT uq_post_a UNIQUE (a, b), CONSTRAINT ck_post_positive CHECK (a > 0))",
    );
}

/// Two tables referencing each other, the keys named as in the SQLAlchemy comparison
/// (`ForeignKey("b.id", name="fk_a_b")`).
fn mutual_tables() -> MetaData {
    let mut md = MetaData::new();
    md.add(
        Table::build("a")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(Column::new("b_id", SqlType::Integer))
            .foreign_key(Some("fk_a_b"), &["b_id"], "b", &["id"], None, None),
    );
    md.add(
        Table::build("b")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(Column::new("a_id", SqlType::Integer))
            .foreign_key(Some("fk_b_a"), &["a_id"], "a", &["id"], None, None),
    );
    md
}

fn ddl_sql(statements: &[DdlStatement], dialect: &dyn aludel::dialects::Dialect) -> Vec<String> {
    statements
        .iter()
        .filter(|s| dialect.supports_alter() || !s.alters_constraint())
        .map(|s| {
            s.compile(dialect)
                .map(|c| c.sql)
                .unwrap_or_else(|e| format!("ERROR: {e}"))
        })
        .collect()
}

/// SQLAlchemy 2.1 on the same tables (create_all / drop_all, checkfirst=False): SQLite keeps
/// both keys inline; PostgreSQL and MySQL create the tables bare, ADD CONSTRAINT both keys
/// of the cycle, and drop them (MySQL: DROP FOREIGN KEY) before dropping the tables.
#[test]
fn a_foreign_key_cycle_is_created_by_alter_table() {
    let md = mutual_tables();
    let create = md.create_statements(false).unwrap();
    let drop = md.drop_statements(false).unwrap();
    assert_eq!(
        ddl_sql(&create, &aludel::dialects::Sqlite),
        [
            "CREATE TABLE a (id INTEGER NOT NULL, b_id INTEGER, PRIMARY KEY (id), CONSTRAINT fk_a_b FOREIGN KEY (b_id) REFERENCES b (id))",
            "CREATE TABLE b (id INTEGER NOT NULL, a_id INTEGER, PRIMARY KEY (id), CONSTRAINT fk_b_a FOREIGN KEY (a_id) REFERENCES a (id))",
        ]
    );
    assert_eq!(
        ddl_sql(&drop, &aludel::dialects::Sqlite),
        ["DROP TABLE b", "DROP TABLE a"]
    );
    assert_eq!(
        ddl_sql(&create, &aludel::dialects::Postgres),
        [
            "CREATE TABLE a (id INTEGER GENERATED BY DEFAULT AS IDENTITY, b_id INTEGER, PRIMARY KEY (id))",
            "CREATE TABLE b (id INTEGER GENERATED BY DEFAULT AS IDENTITY, a_id INTEGER, PRIMARY KEY (id))",
            "ALTER TABLE a ADD CONSTRAINT fk_a_b FOREIGN KEY (b_id) REFERENCES b (id)",
            "ALTER TABLE b ADD CONSTRAINT fk_b_a FOREIGN KEY (a_id) REFERENCES a (id)",
        ]
    );
    assert_eq!(
        ddl_sql(&drop, &aludel::dialects::Postgres),
        [
            "ALTER TABLE b DROP CONSTRAINT fk_b_a",
            "ALTER TABLE a DROP CONSTRAINT fk_a_b",
            "DROP TABLE b",
            "DROP TABLE a",
        ]
    );
    assert_eq!(
        ddl_sql(&create, &aludel::dialects::MySql),
        [
            "CREATE TABLE a (id INTEGER NOT NULL AUTO_INCREMENT, b_id INTEGER, PRIMARY KEY (id))",
            "CREATE TABLE b (id INTEGER NOT NULL AUTO_INCREMENT, a_id INTEGER, PRIMARY KEY (id))",
            "ALTER TABLE a ADD CONSTRAINT fk_a_b FOREIGN KEY (b_id) REFERENCES b (id)",
            "ALTER TABLE b ADD CONSTRAINT fk_b_a FOREIGN KEY (a_id) REFERENCES a (id)",
        ]
    );
    assert_eq!(
        ddl_sql(&drop, &aludel::dialects::MySql),
        [
            "ALTER TABLE b DROP FOREIGN KEY fk_b_a",
            "ALTER TABLE a DROP FOREIGN KEY fk_a_b",
            "DROP TABLE b",
            "DROP TABLE a",
        ]
    );
    // Compiled by hand for SQLite, the ALTER is refused, not silently empty.
    let sqlite_alter = create[2]
        .compile(&aludel::dialects::Sqlite)
        .unwrap_err()
        .to_string();
    assert!(sqlite_alter.contains("ADD CONSTRAINT"), "{sqlite_alter}");
}

/// `use_alter` on one key of the cycle: only that key waits for ALTER TABLE, the other
/// stays in its CREATE TABLE, and the tables are ordered by it (as SQLAlchemy does).
#[test]
fn use_alter_marks_the_key_that_waits() {
    let mut md = MetaData::new();
    md.add(
        Table::build("a")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(
                Column::new("b_id", SqlType::Integer)
                    .references(ForeignKey::to("b", "id").use_alter()),
            ),
    );
    md.add(
        Table::build("b")
            .column(Column::new("id", SqlType::Integer).primary_key())
            .column(Column::new("a_id", SqlType::Integer).references(ForeignKey::to("a", "id"))),
    );
    let names: Vec<String> = md
        .sorted_tables()
        .unwrap()
        .iter()
        .map(|t| t.name().to_owned())
        .collect();
    assert_eq!(
        names,
        ["a", "b"],
        "the use_alter key does not order the tables"
    );
    let sql = ddl_sql(
        &md.create_statements(false).unwrap(),
        &aludel::dialects::MySql,
    );
    assert_eq!(
        sql,
        [
            "CREATE TABLE a (id INTEGER NOT NULL AUTO_INCREMENT, b_id INTEGER, PRIMARY KEY (id))",
            "CREATE TABLE b (id INTEGER NOT NULL AUTO_INCREMENT, a_id INTEGER, PRIMARY KEY (id), FOREIGN KEY (a_id) REFERENCES a (id))",
            "ALTER TABLE a ADD CONSTRAINT fk_a_b_id_b FOREIGN KEY (b_id) REFERENCES b (id)",
        ]
    );
    // A naming convention names the key instead of the fallback.
    let convention = NamingConvention {
        fk: Some("fk_{referred_table}_{table}".into()),
        ..Default::default()
    };
    let sql = ddl_sql(
        &md.clone()
            .with_naming_convention(convention)
            .drop_statements(true)
            .unwrap(),
        &aludel::dialects::Postgres,
    );
    assert_eq!(
        sql[0],
        "ALTER TABLE IF EXISTS a DROP CONSTRAINT IF EXISTS fk_b_a"
    );
}
