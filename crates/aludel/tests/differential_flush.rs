//! The flush half of the differential suite: the same changes flushed through SQLAlchemy
//! 2.x and aludel must send their writes in the same order and leave the same rows.
//!
//! `scripts/differential/run.sh` runs `scripts/differential/flush_cases.py` (SQLAlchemy's
//! side) and then this test with `ALUDEL_DIFF_FLUSH_RESULTS` (its results as JSON).
//! Without it the test says it was skipped and passes. Each case builds its own schema in
//! a fresh in-memory SQLite database; its rows are the flush's writes, one
//! `[kind, table]` per run of statements of one kind on one table (batching is not
//! compared, the order of the writes is), `["flush"]` after each flush, then
//! `["row", table, values...]` for every row left. Each case has the name of its twin in
//! `flush_cases.py`; a case on one side only is a failure.
//!
//! Writes to tables that no foreign key links may come in either order: SQLAlchemy orders
//! them by its own internal sort and aludel by its own, and neither order is visible to
//! the database. Between writes to one table, or to two tables a foreign key links, the
//! order must be SQLAlchemy's: that is the dependency order a flush promises.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use aludel::engine::StatementRecorder;
use aludel::orm::{Many, Model, One, Session, create_all};
use aludel::sql::{Column, ForeignKey, SqlType, Table, Value, text};
use aludel::{Engine, Result};

#[derive(aludel::Model)]
#[model(table = "f_users")]
struct User {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    name: String,
    #[relationship(back_populates = "user", order_by = "id")]
    addresses: Many<Address>,
    #[relationship(secondary = USER_TAGS, order_by = "id")]
    tags: Many<Tag>,
}

#[derive(aludel::Model)]
#[model(table = "f_addresses")]
struct Address {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "f_users.id")]
    user_id: Option<i64>,
    #[column(max_len = 40)]
    email: String,
    #[relationship(back_populates = "addresses")]
    user: One<User>,
}

/// The association table of `User.tags`.
static USER_TAGS: LazyLock<Table> = LazyLock::new(|| {
    Table::build("f_user_tags")
        .column(
            Column::new("user_id", SqlType::BigInteger)
                .primary_key()
                .references(ForeignKey::to("f_users", "id")),
        )
        .column(
            Column::new("tag_id", SqlType::BigInteger)
                .primary_key()
                .references(ForeignKey::to("f_tags", "id")),
        )
        .finish()
});

#[derive(aludel::Model)]
#[model(table = "f_tags")]
struct Tag {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    word: String,
}

#[derive(aludel::Model)]
#[model(table = "f_nodes")]
struct Node {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "f_nodes.id")]
    parent_id: Option<i64>,
    #[column(max_len = 20)]
    name: String,
    #[relationship(back_populates = "parent", order_by = "id")]
    children: Many<Node>,
    #[relationship(back_populates = "children", remote_side = "id")]
    parent: One<Node>,
}

#[derive(aludel::Model)]
#[model(table = "f_groups")]
struct Group {
    #[column(primary_key)]
    id: i64,
    #[relationship(
        back_populates = "group",
        cascade = "all, delete-orphan",
        order_by = "id"
    )]
    members: Many<Member>,
}

#[derive(aludel::Model)]
#[model(table = "f_members")]
struct Member {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "f_groups.id")]
    group_id: Option<i64>,
    #[column(max_len = 20)]
    name: String,
    #[relationship(back_populates = "members")]
    group: One<Group>,
}

#[derive(aludel::Model)]
#[model(table = "f_people")]
struct Person {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "f_people.id")]
    boss_id: Option<i64>,
    #[column(foreign_key = "f_people.id")]
    favorite_id: Option<i64>,
    #[relationship(foreign_keys = "boss_id", remote_side = "id")]
    boss: One<Person>,
    #[relationship(foreign_keys = "favorite_id", remote_side = "id", post_update)]
    favorite: One<Person>,
}

/// Each table with the columns its rows are printed with (as in `flush_cases.py`).
const TABLES: [(&str, &str); 8] = [
    ("f_addresses", "id, user_id, email"),
    ("f_groups", "id"),
    ("f_members", "id, group_id, name"),
    ("f_nodes", "id, parent_id, name"),
    ("f_people", "id, boss_id, favorite_id"),
    ("f_tags", "id, word"),
    ("f_user_tags", "user_id, tag_id"),
    ("f_users", "id, name"),
];

/// The pairs of tables a foreign key links (a table is linked to itself).
const LINKS: [(&str, &str); 4] = [
    ("f_addresses", "f_users"),
    ("f_members", "f_groups"),
    ("f_user_tags", "f_users"),
    ("f_user_tags", "f_tags"),
];

fn linked(a: &str, b: &str) -> bool {
    a == b || LINKS.contains(&(a, b)) || LINKS.contains(&(b, a))
}

/// How aludel's result differs from SQLAlchemy's (`None`: it does not): the rows must be
/// equal, each flush the same writes, in the same order wherever the tables are linked.
fn difference(sqlalchemy: &Rows, aludel: &Rows) -> Option<String> {
    let (theirs, mine) = (flushes(sqlalchemy), flushes(aludel));
    if theirs.len() != mine.len() {
        return Some("a different number of flushes, or different rows".to_owned());
    }
    for (n, (theirs, mine)) in theirs.iter().zip(&mine).enumerate() {
        let mut a = theirs.clone();
        let mut b = mine.clone();
        a.sort_by_key(|w| format!("{w:?}"));
        b.sort_by_key(|w| format!("{w:?}"));
        if a != b {
            let what = match a.first().is_some_and(|w| w[0] == "rows") {
                true => "different rows".to_owned(),
                false => format!("flush {n}: different writes"),
            };
            return Some(what);
        }
        // Each write's place in aludel's order (the k-th of equal writes to the k-th).
        let mut used = vec![false; mine.len()];
        let place: Vec<usize> = theirs
            .iter()
            .map(|w| {
                let at = (0..mine.len()).find(|&i| !used[i] && mine[i] == *w);
                let at = at.unwrap_or_default();
                used[at] = true;
                at
            })
            .collect();
        for i in 0..theirs.len() {
            for j in i + 1..theirs.len() {
                let table = |w: &Vec<serde_json::Value>| w[1].as_str().unwrap_or("").to_owned();
                if linked(&table(&theirs[i]), &table(&theirs[j])) && place[i] > place[j] {
                    return Some(format!(
                        "flush {n}: {:?} comes after {:?}",
                        theirs[i], theirs[j]
                    ));
                }
            }
        }
    }
    None
}

/// A result's writes, flush by flush, with its rows as a last group (compared whole).
fn flushes(rows: &Rows) -> Vec<Rows> {
    let mut out = vec![Vec::new()];
    for line in rows {
        if line.len() == 1 {
            out.push(Vec::new());
        } else if line[0] == "row" {
            // Rows compare in order: a single "write" holding them all.
            let last = out.last_mut().expect("a group");
            if last
                .first()
                .is_none_or(|l: &Vec<serde_json::Value>| l[0] != "rows")
            {
                out.push(vec![vec!["rows".into()]]);
            }
            out.last_mut().expect("a group")[0].extend(line.iter().cloned());
        } else {
            out.last_mut().expect("a group").push(line.clone());
        }
    }
    out
}

/// A case's rows as JSON values, the form both sides compare in.
type Rows = Vec<Vec<serde_json::Value>>;

fn json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Int(n) => (*n).into(),
        Value::Text(s) => s.clone().into(),
        other => format!("{other:?}").into(),
    }
}

/// The writes a case sends, as `flush_cases.py`'s `Recorder` notes them.
struct Writes {
    recorder: StatementRecorder,
    rows: Rows,
}

impl Writes {
    fn new(engine: &Engine) -> Self {
        Writes {
            recorder: engine.record_statements(),
            rows: Vec::new(),
        }
    }

    /// Forgets what was sent so far (a case's setup).
    fn clear(&mut self) {
        self.recorder.clear();
    }

    /// Flushes and notes the flush's writes.
    fn flush(&mut self, s: &Session) -> Result<()> {
        s.flush()?;
        for sql in self.recorder.statements() {
            let Some(entry) = write_of(&sql) else {
                continue;
            };
            if self.rows.last() != Some(&entry) {
                self.rows.push(entry);
            }
        }
        self.recorder.clear();
        self.rows.push(vec!["flush".into()]);
        Ok(())
    }
}

/// `[kind, table]` of an INSERT, UPDATE or DELETE; `None` for anything else.
fn write_of(sql: &str) -> Option<Vec<serde_json::Value>> {
    let sql = sql.trim_start();
    let upper = sql.to_uppercase();
    let (kind, rest) = ["INSERT INTO ", "UPDATE ", "DELETE FROM "]
        .iter()
        .find(|p| upper.starts_with(**p))
        .map(|p| (p.split(' ').next().unwrap_or(p), &sql[p.len()..]))?;
    let table: String = rest
        .trim_start_matches(['"', '`'])
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    Some(vec![kind.into(), table.into()])
}

/// Runs `case` on a fresh database: its writes, then every row left.
fn run(case: fn(&Session, &mut Writes) -> Result<()>) -> Result<Rows> {
    let engine = aludel::create_engine("sqlite://:memory:")?;
    let models = [
        User::info(),
        Address::info(),
        Tag::info(),
        Node::info(),
        Group::info(),
        Member::info(),
        Person::info(),
    ];
    create_all(&engine, &models)?;
    let s = Session::new(&engine);
    let mut writes = Writes::new(&engine);
    case(&s, &mut writes)?;
    s.commit()?;
    let mut out = writes.rows;
    let mut conn = engine.connect()?;
    for (table, columns) in TABLES {
        let sql = format!("SELECT {columns} FROM {table} ORDER BY {columns}");
        for row in conn.execute(&text(&sql), ())?.fetchall() {
            let mut line = vec!["row".into(), table.into()];
            line.extend(row.values().iter().map(json));
            out.push(line);
        }
    }
    Ok(out)
}

fn user(name: &str) -> User {
    User {
        id: 0,
        name: name.into(),
        addresses: Many::new(),
        tags: Many::new(),
    }
}

fn address(id: i64, email: &str) -> Address {
    Address {
        id,
        user_id: None,
        email: email.into(),
        user: One::new(),
    }
}

fn node(name: &str) -> Node {
    Node {
        id: 0,
        parent_id: None,
        name: name.into(),
        children: Many::new(),
        parent: One::new(),
    }
}

fn member(name: &str) -> Member {
    Member {
        id: 0,
        group_id: None,
        name: name.into(),
        group: One::new(),
    }
}

fn person() -> Person {
    Person {
        id: 0,
        boss_id: None,
        favorite_id: None,
        boss: One::new(),
        favorite: One::new(),
    }
}

fn tag(word: &str) -> Tag {
    Tag {
        id: 0,
        word: word.into(),
    }
}

/// User 'ann' with addresses `emails`, committed without recording.
fn seed_user(s: &Session, w: &mut Writes, emails: &[&str]) -> Result<aludel::orm::Instance<User>> {
    let u = s.add(user("ann"))?;
    for email in emails {
        u.read()?.addresses.push(address(0, email))?;
    }
    s.commit()?;
    w.clear();
    Ok(u)
}

fn fk_sync_order(s: &Session, w: &mut Writes) -> Result<()> {
    let u = s.add(user("ann"))?;
    u.read()?.addresses.push(address(0, "a1"))?;
    u.read()?.addresses.push(address(0, "a2"))?;
    w.flush(s)
}

fn self_referential_tree(s: &Session, w: &mut Writes) -> Result<()> {
    let root = s.add(node("root"))?;
    let a = root.read()?.children.push(node("a"))?;
    root.read()?.children.push(node("b"))?;
    a.read()?.children.push(node("a1"))?;
    w.flush(s)
}

fn delete_parent_nulls_children(s: &Session, w: &mut Writes) -> Result<()> {
    let u = seed_user(s, w, &["a1", "a2"])?;
    u.read()?.tags.push(tag("t1"))?;
    s.commit()?;
    w.clear();
    s.delete(&u)?;
    w.flush(s)
}

fn delete_orphan(s: &Session, w: &mut Writes) -> Result<()> {
    let g = s.add(Group {
        id: 0,
        members: Many::new(),
    })?;
    for name in ["m1", "m2", "m3"] {
        g.read()?.members.push(member(name))?;
    }
    s.commit()?;
    w.clear();
    let first = g.read()?.members.all()?[0].clone();
    g.read()?.members.remove(&first)?;
    w.flush(s)?;
    s.delete(&g)?;
    w.flush(s)
}

fn post_update(s: &Session, w: &mut Writes) -> Result<()> {
    let boss = s.add(person())?;
    let worker = s.add(person())?;
    worker.read()?.boss.set(Some(&boss))?;
    boss.read()?.favorite.set(Some(&worker))?;
    w.flush(s)
}

fn merge_cascade(s: &Session, w: &mut Writes) -> Result<()> {
    let u = seed_user(s, w, &["a1"])?;
    let (uid, aid) = (u.read()?.id, u.read()?.addresses.all()?[0].read()?.id);
    s.expunge_all();
    let copy = aludel::orm::Instance::new(User {
        id: uid,
        ..user("ann2")
    });
    copy.read()?.addresses.push(address(aid, "a1-changed"))?;
    copy.read()?.addresses.push(address(0, "new"))?;
    s.merge(&copy)?;
    w.flush(s)
}

fn many_to_many(s: &Session, w: &mut Writes) -> Result<()> {
    let u = s.add(user("ann"))?;
    let t1 = u.read()?.tags.push(tag("t1"))?;
    u.read()?.tags.push(tag("t2"))?;
    w.flush(s)?;
    u.read()?.tags.remove(&t1)?;
    u.read()?.tags.push(tag("t3"))?;
    w.flush(s)
}

type Case = fn(&Session, &mut Writes) -> Result<()>;

const CASES: [(&str, Case); 7] = [
    ("flush_fk_sync_order", fk_sync_order),
    ("flush_self_referential_tree", self_referential_tree),
    (
        "flush_delete_parent_nulls_children",
        delete_parent_nulls_children,
    ),
    ("flush_delete_orphan", delete_orphan),
    ("flush_post_update", post_update),
    ("flush_merge_cascade", merge_cascade),
    ("flush_many_to_many", many_to_many),
];

#[test]
fn aludel_flushes_what_sqlalchemy_flushes() -> Result<()> {
    let Ok(results) = std::env::var("ALUDEL_DIFF_FLUSH_RESULTS") else {
        eprintln!("SKIPPED (ALUDEL_DIFF_FLUSH_RESULTS not set): run scripts/differential/run.sh");
        return Ok(());
    };
    let expected: BTreeMap<String, Rows> =
        serde_json::from_str(&std::fs::read_to_string(&results).expect("SQLAlchemy's results"))
            .expect("results JSON");
    let mut problems = Vec::new();
    for (name, case) in CASES {
        let mine = run(case)?;
        match expected.get(name) {
            None => problems.push(format!("{name}: no SQLAlchemy case")),
            Some(rows) => {
                if let Some(why) = difference(rows, &mine) {
                    problems.push(format!(
                        "{name}: {why}\n  SQLAlchemy {rows:?}\n  aludel     {mine:?}"
                    ));
                }
            }
        }
    }
    for name in expected.keys() {
        if !CASES.iter().any(|(n, _)| n == name) {
            problems.push(format!("{name}: no aludel case"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!(
        "differential: {} flush cases agree with SQLAlchemy",
        CASES.len()
    );
    Ok(())
}
