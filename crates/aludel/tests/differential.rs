//! The differential suite: the same queries through SQLAlchemy 2.x and aludel, on the same
//! database, must return the same rows.
//!
//! `scripts/differential/run.sh` builds the fixture with SQLAlchemy (in a virtualenv it
//! creates), runs `scripts/differential/cases.py` and then this test with
//! `ALUDEL_DIFF_DB` (the SQLite file) and `ALUDEL_DIFF_RESULTS` (SQLAlchemy's rows as JSON).
//! Without them the test says it was skipped and passes; `scripts/test.sh` runs it through
//! the script whenever Python can install SQLAlchemy. Each case here has the name of its
//! twin in `cases.py`; a case on one side only is a failure.

mod common;

use std::collections::BTreeMap;

use aludel::orm::{
    Aliased, Bundle, Column, Instance, JoinArgs, Load, Many, Model, One, Session,
    SynchronizeSession, joinedload, selectinload, subqueryload, typed,
};
use aludel::sql::{Expr, Value, and_, bindparam, func, not_, or_, select, text};
use aludel::{Engine, Result, params};
use common::parts_fixture;
use common::relationship_fixture::USER_KEYWORDS;

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
    #[relationship(back_populates = "user", order_by = "id")]
    addresses: Many<Address>,
    #[relationship(back_populates = "users", secondary = USER_KEYWORDS, order_by = "id")]
    keywords: Many<Keyword>,
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
    #[relationship(back_populates = "addresses")]
    user: One<User>,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "keywords")]
struct Keyword {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 30)]
    word: String,
    #[relationship(back_populates = "keywords", secondary = USER_KEYWORDS, order_by = "id")]
    users: Many<User>,
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

/// The generative Query API of issue 9 on one entity (the twin of `query_api_cases`).
fn query_api_cases(s: &Session, out: &mut BTreeMap<&'static str, Rows>) -> Result<()> {
    let q = || s.query::<User>();
    let a = || s.query::<Address>();
    let (young, old) = (q().filter(User::age.lt(30)), q().filter(User::age.gt(26)));
    let has_address = a().filter(Address::user_id.eq(User::id)).exists();
    let ages = |s: &Session| -> Result<Rows> {
        s.query::<User>()
            .order_by(User::id)
            .all()?
            .iter()
            .map(|u| {
                let u = u.read()?;
                Ok(vec![u.id.into(), u.age.into()])
            })
            .collect()
    };
    out.insert(
        "join_filter_by_join_point",
        objects(
            q().join::<Address>()
                .filter_by("email", "ed@wood.com")
                .all()?,
        )?,
    );
    out.insert(
        "join_rows_uniqued",
        objects(q().join::<Address>().order_by(User::id).all()?)?,
    );
    out.insert(
        "join_count_counts_rows",
        scalar(q().join::<Address>().count()?),
    );
    out.insert(
        "outerjoin_without_addresses",
        objects(
            q().outerjoin::<Address>()
                .filter(Address::id.is_null())
                .order_by(User::id)
                .all()?,
        )?,
    );
    out.insert(
        "select_from_then_join",
        objects(
            a().select_from::<User>()
                .join::<Address>()
                .filter(User::name.eq("ed"))
                .order_by(Address::id)
                .all()?,
        )?,
    );
    out.insert(
        "order_by_reset_then_two_keys",
        objects(
            q().order_by(User::name)
                .reset_order_by()
                .order_by_keys([User::age.desc(), User::id.asc()])
                .all()?,
        )?,
    );
    out.insert("slice", objects(q().order_by(User::id).slice(1, 4).all()?)?);
    out.insert(
        "slice_after_offset",
        objects(q().order_by(User::id).offset(1).slice(1, 3).all()?)?,
    );
    out.insert(
        "group_by_having",
        objects(
            q().join::<Address>()
                .group_by([User::id.expr()])
                .having(func::count(Address::id).gt(1))
                .all()?,
        )?,
    );
    out.insert(
        "distinct_join_count",
        scalar(q().join::<Address>().distinct().count()?),
    );
    out.insert(
        "union_ordered",
        objects(young.union(&old).order_by(User::id).all()?)?,
    );
    out.insert("union_all_count", scalar(young.union_all(&old).count()?));
    out.insert(
        "union_then_filter_adapted",
        objects(
            young
                .union(&old)
                .filter(User::name.ne("ed"))
                .order_by(User::id)
                .all()?,
        )?,
    );
    out.insert(
        "intersect",
        objects(young.intersect(&old).order_by(User::id).all()?)?,
    );
    out.insert(
        "except",
        objects(old.except_(&young).order_by(User::id).all()?)?,
    );
    out.insert(
        "exists_scalar",
        scalar(q().filter(User::name.eq("ed")).exists_scalar()?),
    );
    out.insert(
        "correlated_exists",
        objects(q().filter(has_address).order_by(User::id).all()?)?,
    );
    out.insert(
        "params_bindparam",
        objects(
            q().filter(User::name.eq(bindparam("n")))
                .params(params! { "n" => "mary" })
                .all()?,
        )?,
    );
    out.insert(
        "from_statement_text",
        objects(
            q().from_statement(text(
                "SELECT nickname, age, name, id FROM users WHERE age = :a",
            ))
            .params(params! { "a" => 25 })
            .all()?,
        )?,
    );
    out.insert(
        "value_first_row",
        scalar(
            q().order_by_keys([User::age.desc(), User::id.asc()])
                .value::<String>(User::name)?,
        ),
    );
    out.insert(
        "text_criterion_with_params",
        objects(
            q().filter(text("users.age > :a").into())
                .params(params! { "a" => 26 })
                .order_by(User::id)
                .all()?,
        )?,
    );
    out.insert(
        "distinct_on_join_rows",
        objects(q().join::<Address>().distinct().order_by(User::id).all()?)?,
    );
    out.insert(
        "from_self_keeps_limit_inside",
        objects(
            q().order_by(User::id)
                .limit(3)
                .from_self()
                .filter(User::age.gt(26))
                .order_by(User::id)
                .all()?,
        )?,
    );
    let first_three = q().filter(User::id.le(3)).subquery("anon_1");
    out.insert(
        "select_entity_from_adapts",
        objects(
            q().select_entity_from(&first_three)
                .filter(User::age.gt(26))
                .order_by(User::id)
                .all()?,
        )?,
    );
    let plus_one = select([
        User::id.expr(),
        User::name.expr(),
        (Expr::from(User::age) + 1).label("age"),
        User::nickname.expr(),
    ])
    .from(&User::info().table)
    .subquery("anon_1");
    out.insert(
        "aliased_subquery_adapt_on_names",
        objects(
            q().select_entity_from(&plus_one)
                .filter(User::age.gt(30))
                .order_by(User::id)
                .all()?,
        )?,
    );
    // Renamed columns found by lineage: `users.id AS uid` reads as User::id.
    let renamed = Aliased::<User>::of(
        select([
            User::id.expr().label("uid"),
            User::name.expr().label("n"),
            User::age.expr().label("a"),
            User::nickname.expr().label("nick"),
        ])
        .from(&User::info().table)
        .where_(User::age.gt(20))
        .subquery("anon_1"),
    );
    out.insert(
        "aliased_subquery_lineage",
        objects(
            q().select_from_item(renamed.from_item())
                .with_entities(renamed.clone())
                .filter(renamed.c("age").gt(25))
                .order_by(renamed.c("id"))
                .all()?
                .into_iter()
                .flatten()
                .collect(),
        )?,
    );
    let n = q().filter(User::age.gt(26)).update(
        [(User::age, Expr::from(User::age) - 1)],
        SynchronizeSession::Evaluate,
    )?;
    let mut rows = scalar(n);
    rows.extend(ages(s)?);
    s.rollback()?;
    out.insert("bulk_update_evaluate", rows);
    let n = a()
        .filter(Address::user_id.eq(3))
        .delete(SynchronizeSession::Fetch)?;
    let mut rows = scalar(n);
    for addr in a().order_by(Address::id).all()? {
        rows.push(vec![addr.read()?.id.into()]);
    }
    s.rollback()?;
    out.insert("bulk_delete_fetch", rows);
    Ok(())
}

/// What is selected: columns, expressions and several entities in one row (the twin of
/// `typed_selection_cases`).
fn typed_selection_cases(s: &Session, out: &mut BTreeMap<&'static str, Rows>) -> Result<()> {
    let q = || s.query::<User>();
    let pairs = |rows: Vec<(i64, i64)>| -> Rows {
        rows.into_iter()
            .map(|(a, b)| vec![a.into(), b.into()])
            .collect()
    };
    out.insert(
        "with_entities_columns",
        q().with_entities((User::id, User::name))
            .order_by(User::id)
            .all()?
            .into_iter()
            .map(|(id, name)| vec![id.into(), name.into()])
            .collect(),
    );
    let mut rows = Vec::new();
    for (user, email) in q()
        .join::<Address>()
        .add_columns(Address::email)
        .order_by(Address::id)
        .all()?
    {
        rows.push(vec![user.read()?.id.into(), email.into()]);
    }
    out.insert("add_columns_after_join", rows);
    let mut ids = Vec::new();
    for (user, address) in q()
        .join::<Address>()
        .add_entity::<Address>()
        .order_by(Address::id)
        .all()?
    {
        ids.push((user.read()?.id, address.read()?.id));
    }
    out.insert("add_entity_with_join", pairs(ids));
    out.insert(
        "group_by_count",
        q().join::<Address>()
            .with_entities((User::name, typed::<i64>(func::count(Address::id), "n")))
            .group_by([User::name.expr()])
            .order_by(User::name)
            .all()?
            .into_iter()
            .map(|(name, n)| vec![name.into(), n.into()])
            .collect(),
    );
    Ok(())
}

/// Joins along relationships and `with_parent` (the twin of `relationship_cases`).
fn relationship_cases(s: &Session, out: &mut BTreeMap<&'static str, Rows>) -> Result<()> {
    let q = || s.query::<User>();
    let user = |id: i64| s.get::<User>(id)?.ok_or(aludel::Error::NoResultFound);
    out.insert(
        "join_relationship_filter",
        objects(
            q().join_rel(User::addresses)
                .filter(Address::email.like("ed%"))
                .order_by(User::id)
                .all()?,
        )?,
    );
    out.insert(
        "outerjoin_relationship_count",
        scalar(q().outerjoin_rel(User::addresses).count()?),
    );
    out.insert(
        "join_many_to_many",
        objects(
            q().join_rel(User::keywords)
                .filter(Keyword::word.eq("rust"))
                .order_by(User::id)
                .all()?,
        )?,
    );
    out.insert(
        "join_many_to_many_filter_by_target",
        objects(
            s.query::<Keyword>()
                .join_rel(Keyword::users)
                .filter_by("name", "mary")
                .order_by(Keyword::id)
                .all()?,
        )?,
    );
    let mut ids = Vec::new();
    for (u, k) in q()
        .join_rel(User::keywords)
        .add_entity::<Keyword>()
        .order_by(User::id)
        .order_by(Keyword::id)
        .all()?
    {
        ids.push(vec![u.read()?.id.into(), k.read()?.id.into()]);
    }
    out.insert("join_many_to_many_add_entity", ids);
    out.insert(
        "with_parent_one_to_many",
        objects(
            s.query::<Address>()
                .with_parent(&user(3)?, User::addresses)
                .order_by(Address::id)
                .all()?,
        )?,
    );
    out.insert(
        "with_parent_many_to_many",
        objects(
            s.query::<Keyword>()
                .with_parent(&user(5)?, User::keywords)
                .order_by(Keyword::id)
                .all()?,
        )?,
    );
    let fred_address = s.get::<Address>(5)?.ok_or(aludel::Error::NoResultFound)?;
    out.insert(
        "with_parent_many_to_one",
        objects(q().with_parent(&fred_address, Address::user).all()?)?,
    );
    out.insert(
        "with_parent_inferred_one_to_many",
        objects(
            s.query::<Address>()
                .with_parent_inferred(&user(3)?)
                .order_by(Address::id)
                .all()?,
        )?,
    );
    out.insert(
        "with_parent_inferred_many_to_one",
        objects(q().with_parent_inferred(&fred_address).all()?)?,
    );
    Ok(())
}

/// The rest of the Query API (the twin of `legacy_join_and_shaping_cases`): the legacy
/// aliased joins SQLAlchemy 2.x runs in their `of_type` form, select_from an alias,
/// from_self(*entities), with_parent(from_entity=), reduce_columns, Bundle.label, scalar()
/// of a tuple row, update_args and the recursive parts CTE.
fn legacy_join_and_shaping_cases(
    s: &Session,
    out: &mut BTreeMap<&'static str, Rows>,
) -> Result<()> {
    let q = || s.query::<User>();
    let values = |row: Vec<Value>| row.iter().map(json).collect::<Vec<_>>();
    out.insert(
        "aliased_join_filter_adapts",
        objects(
            q().join_rel_with(User::addresses, JoinArgs::aliased())
                .filter(Address::email.like("ed%"))
                .reset_joinpoint()
                .order_by(User::id)
                .all()?,
        )?,
    );
    out.insert(
        "aliased_join_from_joinpoint",
        objects(
            q().join_rel_with(User::addresses, JoinArgs::aliased())
                .filter(Address::email.like("%.com"))
                .join_rel_with(Address::user, JoinArgs::aliased().from_joinpoint())
                .filter(User::age.ge(30))
                .reset_joinpoint()
                .filter(User::name.ne("fred"))
                .order_by(User::id)
                .all()?,
        )?,
    );
    out.insert(
        "aliased_join_many_to_many",
        objects(
            q().join_rel_with(User::keywords, JoinArgs::aliased())
                .filter(Keyword::word.eq("sql"))
                .reset_joinpoint()
                .order_by(User::id)
                .all()?,
        )?,
    );
    let ua = Aliased::<User>::new("ua");
    out.insert(
        "select_from_alias",
        q().select_from_item(ua.from_item())
            .with_entities(ua.column(User::name))
            .filter(ua.c("age").eq(25))
            .order_by(ua.c("id"))
            .all()?
            .into_iter()
            .map(|name| vec![name.into()])
            .collect(),
    );
    out.insert(
        "from_self_entities",
        q().order_by(User::id)
            .limit(3)
            .from_self_with(User::name)
            .order_by(User::name)
            .all()?
            .into_iter()
            .map(|name| vec![name.into()])
            .collect(),
    );
    let ed = s.get::<User>(3)?.ok_or(aludel::Error::NoResultFound)?;
    let a3 = Aliased::<Address>::new("a3");
    out.insert(
        "with_parent_from_entity",
        s.query::<Address>()
            .join_item(a3.from_item(), a3.c("id").ne(Address::id))
            .with_parent_from(&ed, User::addresses, &a3)
            .with_entities((Address::id, a3.column(Address::id)))
            .filter(Address::user_id.eq(1))
            .order_by(Address::id)
            .order_by(a3.c("id"))
            .all()?
            .into_iter()
            .map(|(a, b)| vec![a.into(), b.into()])
            .collect(),
    );
    let reduced = q()
        .filter(User::id.eq(Address::id))
        .with_entities((User::id, User::name, Address::id, Address::email))
        .reduced_subquery("anon_1");
    out.insert(
        "reduced_subquery",
        q().select_from_item(&reduced)
            .with_entities(aludel::orm::Exprs::new([
                reduced.c("id"),
                reduced.c("name"),
                reduced.c("email"),
            ]))
            .order_by(reduced.c("id"))
            .all()?
            .into_iter()
            .map(|row| values(row.into_values()))
            .collect(),
    );
    let labelled = Bundle::new("b", (User::id, User::name)).label("card");
    let bundled = q().with_entities(labelled).order_by(User::id).limit(2);
    let mut rows: Rows = bundled
        .all()?
        .into_iter()
        .map(|(id, name)| vec![serde_json::json!([id, name])])
        .collect();
    rows.push(
        bundled
            .column_descriptions()
            .into_iter()
            .map(|d| d.name.into())
            .collect(),
    );
    out.insert("bundle_label", rows);
    let first = q()
        .with_entities((User::name, User::id))
        .filter(User::id.eq(3))
        .scalar()?;
    out.insert("scalar_of_tuple_row", vec![vec![first.into()]]);
    let n = q().filter(User::id.eq(2)).update_with(
        [(User::age, 26)],
        SynchronizeSession::Fetch,
        |u| u.prefix_with("OR IGNORE"),
    )?;
    let age = s
        .get::<User>(2)?
        .ok_or(aludel::Error::NoResultFound)?
        .read()?
        .age;
    out.insert("update_args_prefix", vec![vec![n.into(), age.into()]]);
    s.rollback()?;
    out.insert(
        "recursive_parts_cte",
        parts_fixture::totals(s)
            .all()?
            .into_iter()
            .map(|(part, n)| vec![part.into(), n.into()])
            .collect(),
    );
    Ok(())
}

/// Every `M` ordered by `order`, loaded with `option` (none: the relationships' lazy
/// default; eager loading off unless `eager`) in a fresh session: `[owner id, what the relationship holds]` per object, then
/// `["SELECTs", n]` with the SELECTs from the query to the last read.
fn loaded<M: Model, T: Model>(
    engine: &Engine,
    option: Option<Load<M, T>>,
    eager: bool,
    order: Column<M, i64>,
    read: impl Fn(&M) -> Result<(i64, String)>,
) -> Result<Rows> {
    let s = Session::new(engine);
    let recorder = engine.record_statements();
    let query = s.query::<M>().order_by(order).enable_eagerloads(eager);
    let query = match option {
        Some(option) => query.options(option),
        None => query,
    };
    let mut rows = Vec::new();
    for object in query.all()? {
        let (id, held) = read(&*object.read()?)?;
        rows.push(vec![id.into(), held.into()]);
    }
    let selects = recorder
        .statements()
        .iter()
        .filter(|sql| sql.trim_start().to_uppercase().starts_with("SELECT"))
        .count();
    rows.push(vec!["SELECTs".into(), selects.into()]);
    Ok(rows)
}

/// Ids joined by commas, as `cases.py` prints a loaded collection.
fn ids<M: Model>(objects: Vec<Instance<M>>, id: impl Fn(&M) -> i64) -> Result<String> {
    let ids: Result<Vec<String>> = objects
        .iter()
        .map(|o| Ok(id(&*o.read()?).to_string()))
        .collect();
    Ok(ids?.join(","))
}

/// The same objects and SELECT counts per loader strategy (the twin of `loader_cases`).
fn loader_cases(engine: &Engine, out: &mut BTreeMap<&'static str, Rows>) -> Result<()> {
    let addresses = |u: &User| Ok((u.id, ids(u.addresses.all()?, |a: &Address| a.id)?));
    let keywords = |u: &User| Ok((u.id, ids(u.keywords.all()?, |k: &Keyword| k.id)?));
    let lazy: Option<Load<User, Address>> = None;
    out.insert(
        "lazyload_collection_statements",
        loaded(engine, lazy, true, User::id, addresses)?,
    );
    let selectin = Some(selectinload(User::addresses));
    out.insert(
        "selectinload_collection_statements",
        loaded(engine, selectin, true, User::id, addresses)?,
    );
    let joined = Some(joinedload(User::addresses));
    out.insert(
        "joinedload_collection_statements",
        loaded(engine, joined, true, User::id, addresses)?,
    );
    let selectin = Some(selectinload(User::keywords));
    out.insert(
        "selectinload_many_to_many_statements",
        loaded(engine, selectin, true, User::id, keywords)?,
    );
    let user_name = |a: &Address| {
        let user = a.user.get()?.ok_or(aludel::Error::NoResultFound)?;
        let name = user.read()?.name.clone();
        Ok((a.id, name))
    };
    let joined = Some(joinedload(Address::user));
    out.insert(
        "joinedload_many_to_one_statements",
        loaded(engine, joined, true, Address::id, user_name)?,
    );
    let selectin = Some(selectinload(User::addresses));
    out.insert(
        "enable_eagerloads_false_statements",
        loaded(engine, selectin, false, User::id, addresses)?,
    );
    let keyword_users = |u: &User| {
        let each = u.keywords.all()?.into_iter().map(|k| {
            let k = k.read()?;
            Ok(format!(
                "{}:{}",
                k.id,
                ids(k.users.all()?, |u: &User| u.id)?
            ))
        });
        Ok((u.id, each.collect::<Result<Vec<_>>>()?.join(";")))
    };
    let nested = Some(subqueryload(User::keywords).subqueryload(Keyword::users));
    out.insert(
        "subqueryload_nested_statements",
        loaded(engine, nested, true, User::id, keyword_users)?,
    );
    Ok(())
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
    let session = Session::new(&engine);
    let mut got = cases(&session)?;
    query_api_cases(&session, &mut got)?;
    typed_selection_cases(&session, &mut got)?;
    relationship_cases(&session, &mut got)?;
    legacy_join_and_shaping_cases(&session, &mut got)?;
    loader_cases(&engine, &mut got)?;
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
