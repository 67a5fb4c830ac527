//! The differential suite: the same queries through SQLAlchemy 2.x and aludel, on the same
//! database, must return the same rows.
//!
//! `scripts/differential/run.sh` builds the fixture with SQLAlchemy (in a virtualenv it
//! creates), runs `scripts/differential/cases.py` and then this test with
//! `ALUDEL_DIFF_DB` (the SQLite file) and `ALUDEL_DIFF_RESULTS` (SQLAlchemy's rows as JSON).
//! Without them the test says it was skipped and passes; `scripts/test.sh` runs it through
//! the script whenever Python can install SQLAlchemy. Each case here has the name of its
//! twin in `cases.py`; a case on one side only is a failure.

use std::collections::BTreeMap;

use aludel::orm::{Instance, Model, Session};
use aludel::sql::{Value, and_, func, not_, or_, select, text};
use aludel::{Result, params};

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "users")]
struct User {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 50)]
    name: String,
    age: Option<i64>,
    #[column(max_len = 50)]
    nickname: Option<String>,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "addresses")]
struct Address {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "users.id")]
    user_id: i64,
    #[column(max_len = 100)]
    email: String,
}

/// A case's rows as JSON values, the form both sides compare in.
type Rows = Vec<Vec<serde_json::Value>>;

fn json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Int(n) => (*n).into(),
        Value::Bool(b) => (*b).into(),
        Value::Float(f) => (*f).into(),
        Value::Text(s) => s.clone().into(),
        other => format!("{other:?}").into(),
    }
}

fn objects<M: Model>(items: Vec<Instance<M>>) -> Result<Rows> {
    items
        .iter()
        .map(|i| Ok(i.read()?.values().iter().map(json).collect()))
        .collect()
}

fn one<M: Model>(item: Option<Instance<M>>) -> Result<Rows> {
    objects(item.into_iter().collect())
}

fn scalar(v: impl Into<serde_json::Value>) -> Rows {
    vec![vec![v.into()]]
}

fn rows(mut result: aludel::ResultSet) -> Rows {
    result
        .fetchall()
        .iter()
        .map(|r| r.values().iter().map(json).collect())
        .collect()
}

/// aludel's side of every case in `cases.py`.
fn cases(s: &Session) -> Result<BTreeMap<&'static str, Rows>> {
    let q = || s.query::<User>();
    let mut out = BTreeMap::new();
    out.insert("all_by_id", objects(q().order_by(User::id).all()?)?);
    out.insert(
        "filter_eq",
        objects(q().filter(User::name.eq("ed")).all()?)?,
    );
    out.insert(
        "filter_two_criteria",
        objects(
            q().filter(User::age.eq(25))
                .filter(User::name.ne("wendy"))
                .all()?,
        )?,
    );
    out.insert("filter_by", objects(q().filter_by("name", "fred").all()?)?);
    out.insert(
        "filter_ne_skips_null",
        objects(
            q().filter(User::nickname.ne("jj"))
                .order_by(User::id)
                .all()?,
        )?,
    );
    out.insert("is_null", objects(q().filter(User::age.is_null()).all()?)?);
    out.insert(
        "is_not_null_count",
        scalar(q().filter(User::nickname.is_not_null()).count()?),
    );
    out.insert(
        "in_list",
        objects(
            q().filter(User::id.in_([2, 4, 6, 99]))
                .order_by(User::id)
                .all()?,
        )?,
    );
    out.insert(
        "not_in_list",
        objects(
            q().filter(User::id.not_in([1, 2, 3]))
                .order_by(User::id)
                .all()?,
        )?,
    );
    out.insert(
        "empty_in_list",
        objects(q().filter(User::id.in_(Vec::<i64>::new())).all()?)?,
    );
    out.insert(
        "between",
        objects(
            q().filter(User::age.between(25, 30))
                .order_by(User::id)
                .all()?,
        )?,
    );
    out.insert(
        "like_literal_percent",
        objects(q().filter(User::nickname.contains("100%")).all()?)?,
    );
    out.insert(
        "startswith_underscore_literal",
        objects(q().filter(User::nickname.startswith("100%_")).all()?)?,
    );
    out.insert(
        "endswith",
        objects(
            s.query::<Address>()
                .filter(Address::email.endswith("@wood.com"))
                .all()?,
        )?,
    );
    out.insert(
        "like_pattern",
        objects(
            q().filter(User::name.like("%e%"))
                .order_by(User::id)
                .all()?,
        )?,
    );
    out.insert(
        "quote_in_value",
        objects(q().filter(User::nickname.eq("o'mary")).all()?)?,
    );
    out.insert(
        "or_and_not",
        objects(
            q().filter(or_([
                User::age.gt(35),
                and_([User::age.eq(25), not_(User::name.eq("mary"))]),
            ]))
            .order_by(User::id)
            .all()?,
        )?,
    );
    out.insert(
        "order_desc_then_asc",
        objects(q().order_by(User::age.desc()).order_by(User::id).all()?)?,
    );
    out.insert(
        "limit_offset",
        objects(q().order_by(User::id).limit(2).offset(3).all()?)?,
    );
    out.insert("first", one(q().order_by(User::name).first()?)?);
    out.insert("count", scalar(q().count()?));
    out.insert(
        "count_filtered",
        scalar(q().filter(User::age.ge(30)).count()?),
    );
    out.insert("get", one(s.get::<User>(3)?)?);
    out.insert("get_missing", scalar(s.get::<User>(99)?.is_none()));
    out.insert(
        "one_or_none_none",
        scalar(q().filter(User::id.eq(99)).one_or_none()?.is_none()),
    );
    out.insert(
        "column_comparison",
        objects(
            s.query::<Address>()
                .filter(Address::id.eq(Address::user_id))
                .order_by(Address::id)
                .all()?,
        )?,
    );
    out.insert(
        "text_select",
        rows(s.execute(
            &text("SELECT name, age FROM users WHERE age > :a ORDER BY id"),
            params! { "a" => 26 },
        )?),
    );
    out.insert(
        "core_group_by",
        rows(
            s.execute(
                &select([Address::user_id.expr(), func::count(Address::id.expr())])
                    .group_by([Address::user_id.expr()])
                    .order_by(Address::user_id),
                (),
            )?,
        ),
    );
    Ok(out)
}

#[test]
fn aludel_returns_what_sqlalchemy_returns() -> Result<()> {
    let (Ok(db), Ok(results)) = (
        std::env::var("ALUDEL_DIFF_DB"),
        std::env::var("ALUDEL_DIFF_RESULTS"),
    ) else {
        eprintln!(
            "SKIPPED (ALUDEL_DIFF_DB / ALUDEL_DIFF_RESULTS not set): run scripts/differential/run.sh"
        );
        return Ok(());
    };
    let expected: BTreeMap<String, Rows> =
        serde_json::from_str(&std::fs::read_to_string(&results).expect("SQLAlchemy's results"))
            .expect("results JSON");
    let engine = aludel::create_engine(&format!("sqlite:///{db}"))?;
    let got = cases(&Session::new(&engine))?;
    let mut problems = Vec::new();
    for (name, rows) in &expected {
        match got.get(name.as_str()) {
            None => problems.push(format!("{name}: no aludel case")),
            Some(mine) if mine != rows => problems.push(format!(
                "{name}:\n  SQLAlchemy {rows:?}\n  aludel     {mine:?}"
            )),
            Some(_) => {}
        }
    }
    for name in got.keys() {
        if !expected.contains_key(*name) {
            problems.push(format!("{name}: no SQLAlchemy case"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!(
        "differential: {} cases agree with SQLAlchemy",
        expected.len()
    );
    Ok(())
}
