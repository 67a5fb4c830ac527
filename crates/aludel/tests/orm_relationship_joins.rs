//! Query joins along relationships (`join_rel`, `outerjoin_rel`, `join_rel_to`,
//! `outerjoin_rel_to`) and `with_parent` (`Query::with_parent`, `orm::with_parent`): the
//! SQL per dialect, the objects read back on every backend, and the errors.

mod common;

use aludel::Result;
use aludel::orm::{self, Aliased, Instance, JoinArgs, Many, Model, One, Session, with_parent};
use aludel::sql::{Executable, FromItem, select};

use common::relationship_fixture::{
    Address, Item, Keyword, Node, Order, User, add_keywords, seed_users, setup,
};
use common::sql_text::{assert_sql, assert_sql_all};

/// The ids of `objects`, in order.
fn ids<T: Model>(objects: &[Instance<T>], id: fn(&T) -> i64) -> Result<Vec<i64>> {
    objects.iter().map(|o| o.read().map(|g| id(&g))).collect()
}

/// A session on an in-memory SQLite database, for SQL-text tests (nothing runs).
fn text_session() -> Result<Session> {
    Ok(Session::new(&aludel::create_engine("sqlite://:memory:")?))
}

/// Users ada (1) and bob (2); keywords rust (1) and sql (2): ada has both, bob rust.
/// Ada has order 10 with items pen, ink; bob order 20 with item pad.
fn seed_keywords_and_orders(s: &Session) -> Result<()> {
    add_keywords(s)?;
    for (order, user, items) in [(10, 1, &["pen", "ink"][..]), (20, 2, &["pad"][..])] {
        s.add(Order {
            id: order,
            user_id: user,
            user: One::new(),
            items: Many::new(),
        })?;
        for (k, name) in items.iter().enumerate() {
            s.add(Item {
                id: order * 10 + k as i64,
                order_id: order,
                name: (*name).into(),
            })?;
        }
    }
    s.commit()
}

#[test]
fn join_rel_sql_per_dialect() -> Result<()> {
    let s = text_session()?;
    assert_sql_all(
        s.query::<User>()
            .join_rel(User::addresses)
            .filter_by("email", "x")
            .statement(),
        "SELECT users.id, users.name FROM users JOIN addresses ON users.id = addresses.user_id WHERE addresses.email = ?",
    );
    assert_sql_all(
        s.query::<Address>().join_rel(Address::user).statement(),
        "SELECT addresses.id, addresses.user_id, addresses.email FROM addresses JOIN users ON users.id = addresses.user_id",
    );
    assert_sql_all(
        s.query::<Address>()
            .outerjoin_rel(Address::user)
            .statement(),
        "SELECT addresses.id, addresses.user_id, addresses.email FROM addresses LEFT OUTER JOIN users ON users.id = addresses.user_id",
    );
    assert_sql(
        s.query::<User>()
            .join_rel(User::keywords)
            .filter_by("word", "rust")
            .statement(),
        "SELECT users.id, users.name FROM users JOIN user_keywords AS user_keywords_1 ON users.id = user_keywords_1.user_id JOIN keywords ON keywords.id = user_keywords_1.keyword_id WHERE keywords.word = ?",
        "SELECT users.id, users.name FROM users JOIN user_keywords AS user_keywords_1 ON users.id = user_keywords_1.user_id JOIN keywords ON keywords.id = user_keywords_1.keyword_id WHERE keywords.word = $1",
        "SELECT users.id, users.name FROM users JOIN user_keywords AS user_keywords_1 ON users.id = user_keywords_1.user_id JOIN keywords ON keywords.id = user_keywords_1.keyword_id WHERE keywords.word = ?",
    );
    assert_sql_all(
        s.query::<User>().outerjoin_rel(User::keywords).statement(),
        "SELECT users.id, users.name FROM users LEFT OUTER JOIN user_keywords AS user_keywords_1 ON users.id = user_keywords_1.user_id LEFT OUTER JOIN keywords ON keywords.id = user_keywords_1.keyword_id",
    );
    assert_sql_all(
        s.query::<User>()
            .join_rel(User::orders)
            .join_rel(Order::items)
            .filter_by("name", "pen")
            .statement(),
        "SELECT users.id, users.name FROM users JOIN orders ON users.id = orders.user_id JOIN items ON orders.id = items.order_id WHERE items.name = ?",
    );
    Ok(())
}

#[test]
fn join_rel_to_aliases_sql_per_dialect() -> Result<()> {
    let s = text_session()?;
    let child = Node::info().table.alias("child");
    assert_sql_all(
        s.query::<Node>()
            .join_rel_to(Node::children, &child)
            .filter_by("name", "leaf")
            .statement(),
        "SELECT nodes.id, nodes.parent_id, nodes.name FROM nodes JOIN nodes AS child ON nodes.id = child.parent_id WHERE child.name = ?",
    );
    let up = Node::info().table.alias("up");
    assert_sql_all(
        s.query::<Node>()
            .outerjoin_rel_to(Node::parent, &up)
            .statement(),
        "SELECT nodes.id, nodes.parent_id, nodes.name FROM nodes LEFT OUTER JOIN nodes AS up ON up.id = nodes.parent_id",
    );
    let (a1, a2) = (
        Address::info().table.alias("a1"),
        Address::info().table.alias("a2"),
    );
    assert_sql_all(
        s.query::<User>()
            .join_rel_to(User::addresses, &a1)
            .join_rel_to(User::addresses, &a2)
            .statement(),
        "SELECT users.id, users.name FROM users JOIN addresses AS a1 ON users.id = a1.user_id JOIN addresses AS a2 ON users.id = a2.user_id",
    );
    // A chain goes on from the alias the last join went to; a many-to-many joined twice
    // aliases its association table twice.
    let (k1, k2) = (
        Keyword::info().table.alias("k1"),
        Keyword::info().table.alias("k2"),
    );
    assert_sql_all(
        s.query::<User>()
            .join_rel_to(User::keywords, &k1)
            .join_rel_to(User::keywords, &k2)
            .statement(),
        "SELECT users.id, users.name FROM users JOIN user_keywords AS user_keywords_1 ON users.id = user_keywords_1.user_id JOIN keywords AS k1 ON k1.id = user_keywords_1.keyword_id JOIN user_keywords AS user_keywords_2 ON users.id = user_keywords_2.user_id JOIN keywords AS k2 ON k2.id = user_keywords_2.keyword_id",
    );
    // A self-referential chain: each join starts from the alias the last one went to;
    // reset_joinpoint() starts again from the queried table.
    let (c1, c2) = (
        Node::info().table.alias("c1"),
        Node::info().table.alias("c2"),
    );
    let grandchildren = s
        .query::<Node>()
        .join_rel_to(Node::children, &c1)
        .join_rel_to(Node::children, &c2)
        .filter_by("name", "g");
    assert_sql_all(
        grandchildren.statement(),
        "SELECT nodes.id, nodes.parent_id, nodes.name FROM nodes JOIN nodes AS c1 ON nodes.id = c1.parent_id JOIN nodes AS c2 ON c1.id = c2.parent_id WHERE c2.name = ?",
    );
    let siblings = s
        .query::<Node>()
        .join_rel_to(Node::children, &c1)
        .reset_joinpoint()
        .join_rel_to(Node::children, &c2);
    assert_sql_all(
        siblings.statement(),
        "SELECT nodes.id, nodes.parent_id, nodes.name FROM nodes JOIN nodes AS c1 ON nodes.id = c1.parent_id JOIN nodes AS c2 ON nodes.id = c2.parent_id",
    );
    let o = Order::info().table.alias("o");
    assert_sql_all(
        s.query::<User>()
            .join_rel_to(User::orders, &o)
            .join_rel(Order::items)
            .statement(),
        "SELECT users.id, users.name FROM users JOIN orders AS o ON users.id = o.user_id JOIN items ON o.id = items.order_id",
    );
    Ok(())
}

/// The seed's anonymous aliasing: `join(children, aliased=True)`, filters adapted to the
/// join point, `from_joinpoint` for the next level, `reset_joinpoint` back to the base.
#[test]
fn aliased_joins_sql_per_dialect() -> Result<()> {
    let s = text_session()?;
    let q = s
        .query::<Node>()
        .join_rel_with(Node::children, JoinArgs::aliased())
        .filter(Node::name.eq("child 1"))
        .join_rel_with(Node::children, JoinArgs::aliased().from_joinpoint())
        .filter(Node::name.eq("grandchild 1"))
        .order_by(Node::id)
        .reset_joinpoint()
        .filter(Node::name.eq("parent 1"));
    assert_sql(
        q.statement(),
        "SELECT nodes.id, nodes.parent_id, nodes.name FROM nodes JOIN nodes AS nodes_1 ON nodes.id = nodes_1.parent_id JOIN nodes AS nodes_2 ON nodes_1.id = nodes_2.parent_id WHERE nodes_1.name = ? AND nodes_2.name = ? AND nodes.name = ? ORDER BY nodes_2.id",
        "SELECT nodes.id, nodes.parent_id, nodes.name FROM nodes JOIN nodes AS nodes_1 ON nodes.id = nodes_1.parent_id JOIN nodes AS nodes_2 ON nodes_1.id = nodes_2.parent_id WHERE nodes_1.name = $1 AND nodes_2.name = $2 AND nodes.name = $3 ORDER BY nodes_2.id",
        "SELECT nodes.id, nodes.parent_id, nodes.name FROM nodes JOIN nodes AS nodes_1 ON nodes.id = nodes_1.parent_id JOIN nodes AS nodes_2 ON nodes_1.id = nodes_2.parent_id WHERE nodes_1.name = ? AND nodes_2.name = ? AND nodes.name = ? ORDER BY nodes_2.id",
    );
    // Without from_joinpoint each aliased join starts again from the base table;
    // filter_by names the join point's columns.
    assert_sql_all(
        s.query::<Node>()
            .join_rel_with(Node::children, JoinArgs::aliased())
            .join_rel_with(Node::children, JoinArgs::aliased().outer())
            .filter_by("name", "x")
            .statement(),
        "SELECT nodes.id, nodes.parent_id, nodes.name FROM nodes JOIN nodes AS nodes_1 ON nodes.id = nodes_1.parent_id LEFT OUTER JOIN nodes AS nodes_2 ON nodes.id = nodes_2.parent_id WHERE nodes_2.name = ?",
    );
    // Aliasing a many-to-many target: the association table and the target both get an
    // anonymous name; criteria on keywords read the alias.
    assert_sql_all(
        s.query::<User>()
            .join_rel_with(User::keywords, JoinArgs::aliased())
            .filter(Keyword::word.eq("rust"))
            .statement(),
        "SELECT users.id, users.name FROM users JOIN user_keywords AS user_keywords_1 ON users.id = user_keywords_1.user_id JOIN keywords AS keywords_1 ON keywords_1.id = user_keywords_1.keyword_id WHERE keywords_1.word = ?",
    );
    // A plain join_rel afterwards chains from the alias and ends the adaptation: the
    // criterion names its own target.
    assert_sql_all(
        s.query::<User>()
            .join_rel_with(User::orders, JoinArgs::aliased())
            .join_rel(Order::items)
            .filter(Item::name.eq("pen"))
            .statement(),
        "SELECT users.id, users.name FROM users JOIN orders AS orders_1 ON users.id = orders_1.user_id JOIN items ON orders_1.id = items.order_id WHERE items.name = ?",
    );
    Ok(())
}

/// `orm::join` / `orm::outerjoin` compared with SQLAlchemy 2.1's `orm.join(User, Address,
/// User.addresses)` and friends (the same strings, printed by SQLAlchemy).
#[test]
fn orm_join_sql_per_dialect() -> Result<()> {
    let users = FromItem::from(&User::info().table);
    let addresses = &Address::info().table;
    let select_from = |j: FromItem| select([User::id.expr()]).from(j);
    assert_sql_all(
        &select_from(orm::join(&users, addresses, User::addresses)?),
        "SELECT users.id FROM users JOIN addresses ON users.id = addresses.user_id",
    );
    assert_sql_all(
        &select_from(orm::join(addresses, &users, Address::user)?),
        "SELECT users.id FROM addresses JOIN users ON users.id = addresses.user_id",
    );
    assert_sql_all(
        &select_from(orm::join(&users, &Keyword::info().table, User::keywords)?),
        "SELECT users.id FROM users JOIN user_keywords AS user_keywords_1 ON users.id = user_keywords_1.user_id JOIN keywords ON keywords.id = user_keywords_1.keyword_id",
    );
    // A chain: the second join starts from the owner's table inside the first.
    let chain = orm::join(
        orm::join(&users, addresses, User::addresses)?,
        &Keyword::info().table,
        User::keywords,
    )?;
    assert_sql_all(
        &select_from(chain),
        "SELECT users.id FROM users JOIN addresses ON users.id = addresses.user_id JOIN user_keywords AS user_keywords_1 ON users.id = user_keywords_1.user_id JOIN keywords ON keywords.id = user_keywords_1.keyword_id",
    );
    let u2 = Aliased::<User>::new("u2");
    assert_sql_all(
        &select([u2.c("id")]).from(orm::outerjoin(u2.from_item(), addresses, User::addresses)?),
        "SELECT u2.id FROM users AS u2 LEFT OUTER JOIN addresses ON u2.id = addresses.user_id",
    );
    Ok(())
}

#[test]
fn with_parent_sql_per_dialect() -> Result<()> {
    let s = text_session()?;
    let ada = s.add(User::new(5, "ada"))?;
    assert_sql_all(
        s.query::<Address>()
            .with_parent(&ada, User::addresses)
            .statement(),
        "SELECT addresses.id, addresses.user_id, addresses.email FROM addresses WHERE addresses.user_id = ?",
    );
    assert_sql_all(
        s.query::<Address>().with_parent_inferred(&ada).statement(),
        "SELECT addresses.id, addresses.user_id, addresses.email FROM addresses WHERE addresses.user_id = ?",
    );
    assert_sql_all(
        s.query::<Keyword>()
            .with_parent(&ada, User::keywords)
            .statement(),
        "SELECT keywords.id, keywords.word FROM keywords, user_keywords WHERE keywords.id = user_keywords.keyword_id AND user_keywords.user_id = ?",
    );
    let mut owned = Address::new(1, "a@x");
    owned.user_id = Some(5);
    let owned = s.add(owned)?;
    let q = s.query::<User>().with_parent(&owned, Address::user);
    assert_sql_all(
        q.statement(),
        "SELECT users.id, users.name FROM users WHERE users.id = ?",
    );
    assert_eq!(
        q.statement().compile(&aludel::dialects::Postgres)?.binds[0].value,
        Some(aludel::sql::Value::Int(5))
    );
    // from_entity: the criteria on an alias of the target.
    let a2 = Aliased::<Address>::new("a2");
    assert_sql_all(
        s.query::<Address>()
            .join_item(a2.from_item(), a2.c("id").ne(Address::id))
            .with_parent_from(&ada, User::addresses, &a2)
            .statement(),
        "SELECT addresses.id, addresses.user_id, addresses.email FROM addresses JOIN addresses AS a2 ON a2.id != addresses.id WHERE a2.user_id = ?",
    );
    let k2 = Aliased::<Keyword>::new("k2");
    assert_sql_all(
        s.query::<Keyword>()
            .select_from_item(k2.from_item())
            .with_entities(k2.column(Keyword::word))
            .with_parent_from(&ada, User::keywords, &k2)
            .statement(),
        "SELECT k2.word AS word FROM keywords AS k2, user_keywords WHERE k2.id = user_keywords.keyword_id AND user_keywords.user_id = ?",
    );
    // A NULL key relates to nothing.
    let orphan = s.add(Address::new(2, "b@x"))?;
    let q = s.query::<User>().with_parent(&orphan, Address::user);
    assert_sql(
        q.statement(),
        "SELECT users.id, users.name FROM users WHERE 0",
        "SELECT users.id, users.name FROM users WHERE false",
        "SELECT users.id, users.name FROM users WHERE false",
    );
    // orm::with_parent in a Core select.
    let core = select([Address::email.expr()]).where_(with_parent(&ada, User::addresses)?);
    assert_sql_all(
        &core,
        "SELECT addresses.email FROM addresses WHERE addresses.user_id = ?",
    );
    Ok(())
}

/// The compile error of a query's statement.
fn err<M: Model>(q: &aludel::orm::Query<M>) -> String {
    match q.statement().compile(&aludel::dialects::Sqlite) {
        Ok(c) => panic!("expected an error, got {}", c.sql),
        Err(e) => e.to_string(),
    }
}

#[test]
fn join_rel_errors_name_what_was_wrong() -> Result<()> {
    let s = text_session()?;
    let e = err(&s.query::<Keyword>().join_rel(User::addresses));
    assert!(
        e.contains("join_rel: User.addresses starts at User, which is not in the query's FROM (entities: Keyword)"),
        "{e}"
    );
    let e = err(&s.query::<Node>().join_rel(Node::children));
    assert!(e.contains("targets Node, whose table nodes is already in FROM; join to an alias of it with join_rel_to()"), "{e}");
    let wrong = Keyword::info().table.alias("k");
    let e = err(&s.query::<User>().join_rel_to(User::addresses, &wrong));
    assert!(
        e.contains("the alias joined to must be an alias of table addresses, not k"),
        "{e}"
    );
    let e = err(&s.query::<User>().join_rel(Order::items));
    assert!(e.contains("Order.items starts at Order"), "{e}");
    Ok(())
}

backend_tests! {
    fn join_rel_filters_on_the_target_and_reads_objects_back(db) {
        let s = setup(db)?;
        seed_users(db, 3, 2)?;
        let rec = db.record_statements();
        let users = s.query::<User>().join_rel(User::addresses).filter_by("email", "a202@x").all()?;
        assert_eq!(ids(&users, |u| u.id)?, [2]);
        assert_eq!(users[0].read()?.name, "user2");
        let addresses = s
            .query::<Address>()
            .join_rel(Address::user)
            .filter_by("name", "user3")
            .order_by(Address::id)
            .all()?;
        assert_eq!(ids(&addresses, |a| a.id)?, [301, 302]);
        // One statement each, and the objects are the session's.
        assert_eq!(rec.statements().iter().filter(|q| q.starts_with("SELECT")).count(), 2);
        assert!(s.get::<Address>(301)?.unwrap().ptr_eq(&addresses[0]));
        Ok(())
    }

    fn outerjoin_rel_keeps_rows_without_a_match(db) {
        let s = setup(db)?;
        seed_users(db, 1, 1)?;
        s.add(Address::new(900, "nobody@x"))?;
        s.commit()?;
        let inner = s.query::<Address>().join_rel(Address::user).order_by(Address::id).all()?;
        assert_eq!(ids(&inner, |a| a.id)?, [101]);
        let outer = s.query::<Address>().outerjoin_rel(Address::user).order_by(Address::id).all()?;
        assert_eq!(ids(&outer, |a| a.id)?, [101, 900]);
        let lonely = s
            .query::<Address>()
            .outerjoin_rel(Address::user)
            .filter(User::id.expr().is_null())
            .all()?;
        assert_eq!(ids(&lonely, |a| a.id)?, [900]);
        Ok(())
    }

    fn many_to_many_and_chains_join_through_every_table(db) {
        let s = setup(db)?;
        seed_keywords_and_orders(&s)?;
        let s = Session::new(db);
        let rust = s.query::<User>().join_rel(User::keywords).filter_by("word", "rust").order_by(User::id).all()?;
        assert_eq!(ids(&rust, |u| u.id)?, [1, 2]);
        let sql = s.query::<User>().join_rel(User::keywords).filter_by("word", "sql").all()?;
        s.add(User::new(3, "cy"))?;
        let without = s
            .query::<User>()
            .outerjoin_rel(User::keywords)
            .filter(Keyword::id.expr().is_null())
            .all()?;
        assert_eq!(ids(&without, |u| u.id)?, [3]);
        // One row per (user, keyword) pair: count() counts 3 rows, while all() returns
        // each user once, as SQLAlchemy's Query does (2.1 prints len 2, count 3).
        assert_eq!(s.query::<User>().join_rel(User::keywords).count()?, 3);
        let joined = s.query::<User>().join_rel(User::keywords).order_by(User::id).all()?;
        assert_eq!(ids(&joined, |u| u.id)?, [1, 2]);
        assert_eq!(ids(&sql, |u| u.id)?, [1]);
        let words = s.query::<Keyword>().join_rel(Keyword::users).filter_by("name", "bob").all()?;
        assert_eq!(words.iter().map(|k| k.read().map(|k| k.word.clone())).collect::<Result<Vec<_>>>()?, ["rust"]);
        let pad = s.query::<User>().join_rel(User::orders).join_rel(Order::items).filter_by("name", "pad").all()?;
        assert_eq!(ids(&pad, |u| u.id)?, [2]);
        let ink = s.query::<Item>().select_from::<User>().join_rel(User::orders).join_rel(Order::items).filter(User::name.eq("ada")).order_by(Item::id).all()?;
        assert_eq!(ink.iter().map(|i| i.read().map(|i| i.name.clone())).collect::<Result<Vec<_>>>()?, ["pen", "ink"]);
        Ok(())
    }

    fn join_rel_to_an_alias_joins_the_same_table_twice(db) {
        let s = setup(db)?;
        seed_keywords_and_orders(&s)?;
        s.add(Node::new(1, "root"))?;
        for (id, parent, name) in [(2, 1, "leaf"), (3, 1, "twig"), (4, 3, "bud")] {
            let mut n = Node::new(id, name);
            n.parent_id = Some(parent);
            s.add(n)?;
        }
        s.commit()?;
        let (c1, c2) = (Node::info().table.alias("c1"), Node::info().table.alias("c2"));
        let grandparents = s
            .query::<Node>()
            .join_rel_to(Node::children, &c1)
            .join_rel_to(Node::children, &c2)
            .filter_by("name", "bud")
            .all()?;
        assert_eq!(ids(&grandparents, |n| n.id)?, [1]);
        // Back to the queried table: nodes with a child "leaf" and a child "twig".
        let both = s
            .query::<Node>()
            .join_rel_to(Node::children, &c1)
            .filter_by("name", "leaf")
            .reset_joinpoint()
            .join_rel_to(Node::children, &c2)
            .filter_by("name", "twig")
            .all()?;
        assert_eq!(ids(&both, |n| n.id)?, [1]);
        let child = Node::info().table.alias("child");
        let parents = s.query::<Node>().join_rel_to(Node::children, &child).filter_by("name", "leaf").all()?;
        assert_eq!(ids(&parents, |n| n.id)?, [1]);
        let up = Node::info().table.alias("up");
        let under_root = s
            .query::<Node>()
            .join_rel_to(Node::parent, &up)
            .filter_by("name", "root")
            .order_by(Node::id)
            .all()?;
        assert_eq!(ids(&under_root, |n| n.id)?, [2, 3]);
        let roots = s
            .query::<Node>()
            .outerjoin_rel_to(Node::parent, &up)
            .filter(up.c("id").is_null())
            .all()?;
        assert_eq!(ids(&roots, |n| n.id)?, [1]);
        // Users with both keywords: the association table joined twice.
        let (k1, k2) = (Keyword::info().table.alias("k1"), Keyword::info().table.alias("k2"));
        let both = s
            .query::<User>()
            .join_rel_to(User::keywords, &k1)
            .join_rel_to(User::keywords, &k2)
            .filter(k1.c("word").eq("rust"))
            .filter(k2.c("word").eq("sql"))
            .all()?;
        assert_eq!(ids(&both, |u| u.id)?, [1]);
        // A chain through an alias.
        let o = Order::info().table.alias("o");
        let pen = s.query::<User>().join_rel_to(User::orders, &o).join_rel(Order::items).filter_by("name", "pen").all()?;
        assert_eq!(ids(&pen, |u| u.id)?, [1]);
        Ok(())
    }

    fn aliased_joins_filter_each_level_of_a_tree(db) {
        let s = setup(db)?;
        // The seed's tree: parent 1 > child 1 > grandchild 1, and a decoy
        // parent 2 > child 2 > grandchild 1.
        for (id, parent, name) in [
            (1, None, "parent 1"), (2, Some(1), "child 1"), (3, Some(2), "grandchild 1"),
            (4, None, "parent 2"), (5, Some(4), "child 2"), (6, Some(5), "grandchild 1"),
        ] {
            let mut n = Node::new(id, name);
            n.parent_id = parent;
            s.add(n)?;
        }
        s.commit()?;
        let level_by_level = s
            .query::<Node>()
            .join_rel_with(Node::children, JoinArgs::aliased())
            .filter(Node::name.eq("child 1"))
            .join_rel_with(Node::children, JoinArgs::aliased().from_joinpoint())
            .filter(Node::name.eq("grandchild 1"));
        assert_eq!(ids(&level_by_level.all()?, |n| n.id)?, [1]);
        let grandparents = s
            .query::<Node>()
            .join_rel_with(Node::children, JoinArgs::aliased())
            .join_rel_with(Node::children, JoinArgs::aliased().from_joinpoint())
            .filter_by("name", "grandchild 1")
            .order_by(Node::id.desc());
        // ORDER BY the grandchild's id (the alias), so parent 2 comes first.
        assert_eq!(ids(&grandparents.all()?, |n| n.id)?, [4, 1]);
        let only_parent_1 = level_by_level.reset_joinpoint().filter(Node::name.eq("parent 2"));
        assert!(only_parent_1.all()?.is_empty());
        // Outer: every node, those without children included, filtered on the alias.
        let childless = s
            .query::<Node>()
            .join_rel_with(Node::children, JoinArgs::aliased().outer())
            .filter(Node::id.is_null())
            .reset_joinpoint()
            .order_by(Node::id);
        assert_eq!(ids(&childless.all()?, |n| n.id)?, [3, 6]);
        Ok(())
    }

    fn with_parent_from_relates_an_alias_of_the_target(db) {
        let s = setup(db)?;
        seed_users(db, 2, 2)?;
        let ada = s.get::<User>(1)?.expect("user 1");
        // Pairs of addresses: any address beside one of ada's (a2).
        let a2 = Aliased::<Address>::new("a2");
        let pairs: Vec<(i64, i64)> = s
            .query::<Address>()
            .join_item(a2.from_item(), a2.c("id").ne(Address::id))
            .with_parent_from(&ada, User::addresses, &a2)
            .with_entities((Address::id, a2.column(Address::id)))
            .filter(Address::user_id.eq(2))
            .order_by(Address::id)
            .order_by(a2.c("id"))
            .all()?;
        assert_eq!(pairs, [(201, 101), (201, 102), (202, 101), (202, 102)]);
        Ok(())
    }

    fn with_parent_selects_the_related_objects_without_sql_to_build_it(db) {
        setup(db)?;
        seed_users(db, 2, 2)?;
        let s2 = Session::new(db);
        let user2 = s2.get::<User>(2)?.unwrap();
        let rec = db.record_statements();
        let q = s2.query::<Address>().with_parent(&user2, User::addresses).order_by(Address::id);
        assert!(rec.statements().is_empty(), "building with_parent runs no SQL");
        assert_eq!(ids(&q.all()?, |a| a.id)?, [201, 202]);
        let address = s2.get::<Address>(101)?.unwrap();
        let owner = s2.query::<User>().with_parent(&address, Address::user).one()?;
        assert!(owner.ptr_eq(&s2.get::<User>(1)?.unwrap()));
        // The parent's current key, not the database's: moving the address in memory
        // moves the criteria.
        address.write()?.user_id = Some(2);
        let owner = s2.query::<User>().with_parent(&address, Address::user).one()?;
        assert_eq!(owner.read()?.id, 2);
        let orphan = s2.add(Address::new(999, "none@x"))?;
        assert!(s2.query::<User>().with_parent(&orphan, Address::user).all()?.is_empty());
        Ok(())
    }

    fn with_parent_inferred_finds_the_one_relationship_to_the_queried_model(db) {
        setup(db)?;
        seed_users(db, 2, 2)?;
        let s = Session::new(db);
        let user2 = s.get::<User>(2)?.unwrap();
        let q = s.query::<Address>().with_parent_inferred(&user2).order_by(Address::id);
        assert_eq!(ids(&q.all()?, |a| a.id)?, [201, 202]);
        let address = s.get::<Address>(101)?.unwrap();
        let owner = s.query::<User>().with_parent_inferred(&address).one()?;
        assert_eq!(owner.read()?.id, 1);
        // Node has two relationships to Node (parent and children): the caller must choose.
        let node = s.add(Node::new(1, "root"))?;
        let err = s.query::<Node>().with_parent_inferred(&node).all().unwrap_err().to_string();
        assert!(err.contains("Node has several relationships to Node (children, parent)"), "{err}");
        // User has no relationship to Item.
        let err = s.query::<Item>().with_parent_inferred(&user2).all().unwrap_err().to_string();
        assert!(
            err.contains("User has no relationship to Item; name one of its relationships: addresses, keywords, orders"),
            "{err}"
        );
        Ok(())
    }

    fn orm_join_selects_along_a_relationship_in_core(db) {
        setup(db)?;
        seed_users(db, 2, 2)?;
        let s = Session::new(db);
        s.add(User::new(3, "nobody"))?;
        s.commit()?;
        let users = FromItem::from(&User::info().table);
        let addresses = &Address::info().table;
        let pairs = |j: FromItem| -> Result<Vec<(i64, Option<i64>)>> {
            let stmt = select([User::id.expr(), Address::id.expr()])
                .from(j)
                .order_by(User::id)
                .order_by(Address::id);
            db.connect()?
                .execute(&stmt, ())?
                .fetchall()
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?)))
                .collect()
        };
        let inner = [(1, Some(101)), (1, Some(102)), (2, Some(201)), (2, Some(202))];
        assert_eq!(pairs(orm::join(&users, addresses, User::addresses)?)?, inner);
        // The outer join keeps user 3, who has no address.
        let mut outer = inner.to_vec();
        outer.push((3, None));
        assert_eq!(pairs(orm::outerjoin(&users, addresses, User::addresses)?)?, outer);
        // Along the many-to-one, from the other side: the same pairs.
        assert_eq!(pairs(orm::join(addresses, &users, Address::user)?)?, inner);
        Ok(())
    }

    fn orm_join_through_an_association_table(db) {
        let s = setup(db)?;
        seed_keywords_and_orders(&s)?;
        let users = FromItem::from(&User::info().table);
        let stmt = select([User::id.expr(), Keyword::id.expr()])
            .from(orm::join(&users, &Keyword::info().table, User::keywords)?)
            .order_by(User::id)
            .order_by(Keyword::id);
        let pairs: Vec<(i64, i64)> = db
            .connect()?
            .execute(&stmt, ())?
            .fetchall()
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect::<Result<_>>()?;
        assert_eq!(pairs, [(1, 1), (1, 2), (2, 1)]);
        Ok(())
    }

    fn with_parent_through_an_association_table(db) {
        let s = setup(db)?;
        seed_keywords_and_orders(&s)?;
        let s = Session::new(db);
        let ada = s.get::<User>(1)?.unwrap();
        let bob = s.get::<User>(2)?.unwrap();
        let words = |u: &Instance<User>| -> Result<Vec<i64>> {
            ids(&s.query::<Keyword>().with_parent(u, User::keywords).order_by(Keyword::id).all()?, |k| k.id)
        };
        assert_eq!(words(&ada)?, [1, 2]);
        assert_eq!(words(&bob)?, [1]);
        let rust = s.get::<Keyword>(1)?.unwrap();
        let users = s.query::<User>().with_parent(&rust, Keyword::users).order_by(User::id).all()?;
        assert_eq!(ids(&users, |u| u.id)?, [1, 2]);
        // orm::with_parent in a Core select, run on the connection.
        let stmt = select([Item::name.expr()])
            .where_(with_parent(&s.get::<Order>(10)?.unwrap(), Order::items)?)
            .order_by(Item::id);
        let names: Vec<String> = db
            .connect()?
            .execute(&stmt, ())?
            .fetchall()
            .iter()
            .map(|r| r.get(0))
            .collect::<Result<_>>()?;
        assert_eq!(names, ["pen", "ink"]);
        Ok(())
    }

    fn a_join_rel_error_is_reported_when_the_query_runs(db) {
        let s = setup(db)?;
        let err = s.query::<Keyword>().join_rel(User::addresses).all().unwrap_err();
        assert!(err.to_string().contains("User.addresses starts at User, which is not in the query's FROM"), "{err}");
        Ok(())
    }
}

/// `primaryjoin`: a relationship narrowed by a criterion on its target (SQLAlchemy's
/// `primaryjoin="and_(Person.id == Mail.person_id, Mail.email.like('%@work.com'))"`,
/// viewonly).
fn at_work(mail: &aludel::sql::FromItem) -> aludel::sql::Expr {
    mail.c("email").like("%@work.com")
}

#[derive(aludel::Model)]
#[model(table = "pj_person")]
struct Person {
    #[column(primary_key)]
    id: i64,
    #[relationship]
    mails: Many<Mail>,
    #[relationship(viewonly, primaryjoin = at_work)]
    work_mails: Many<Mail>,
}

#[derive(aludel::Model)]
#[model(table = "pj_mail")]
struct Mail {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "pj_person.id")]
    person_id: i64,
    #[column(max_len = 40)]
    email: String,
}

/// A primaryjoin without viewonly: the flush could not keep the criterion true.
#[derive(aludel::Model)]
#[model(table = "pj_writer")]
struct Writer {
    #[column(primary_key)]
    id: i64,
    #[relationship(primaryjoin = at_work)]
    notes: Many<Note>,
}

#[derive(aludel::Model)]
#[model(table = "pj_note")]
struct Note {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "pj_writer.id")]
    writer_id: i64,
}

/// The SQL of SQLAlchemy 2.1 for the same mapping: join, joinedload and with_parent add
/// `AND pj_mail.email LIKE ?` to the foreign-key equality.
#[test]
fn primaryjoin_sql_matches_sqlalchemy() -> Result<()> {
    let s = text_session()?;
    assert_sql_all(
        s.query::<Person>().join_rel(Person::work_mails).statement(),
        "SELECT pj_person.id FROM pj_person JOIN pj_mail ON pj_person.id = pj_mail.person_id AND pj_mail.email LIKE ?",
    );
    let p = s.add(Person {
        id: 7,
        mails: Many::new(),
        work_mails: Many::new(),
    })?;
    assert_sql_all(
        &select([Mail::id.expr()]).where_(with_parent(&p, Person::work_mails)?),
        "SELECT pj_mail.id FROM pj_mail WHERE pj_mail.person_id = ? AND pj_mail.email LIKE ?",
    );
    let err = s
        .query::<Writer>()
        .join_rel(Writer::notes)
        .statement()
        .compile(&aludel::dialects::Sqlite)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Writer.notes") && err.contains("declare it viewonly"),
        "{err}"
    );
    Ok(())
}

backend_tests! {
    fn primaryjoin_narrows_every_load_and_join(db) {
        aludel::orm::create_all(db, &[Person::info(), Mail::info()])?;
        let s = Session::new(db);
        s.add(Person { id: 1, mails: Many::new(), work_mails: Many::new() })?;
        s.add(Person { id: 2, mails: Many::new(), work_mails: Many::new() })?;
        s.flush()?;
        for (id, person_id, email) in [(1, 1, "a@work.com"), (2, 1, "a@home.net"), (3, 2, "b@home.net")] {
            s.add(Mail { id, person_id, email: email.into() })?;
        }
        s.commit()?;
        let emails = |mails: Vec<Instance<Mail>>| -> Result<Vec<String>> {
            let mut out: Vec<String> = mails.iter().map(|m| Ok(m.read()?.email.clone())).collect::<Result<_>>()?;
            out.sort();
            Ok(out)
        };
        // lazy
        let lazy = Session::new(db);
        let p1 = lazy.get::<Person>(1)?.unwrap();
        assert_eq!(emails(p1.read()?.work_mails.all()?)?, ["a@work.com"]);
        assert_eq!(emails(p1.read()?.mails.all()?)?, ["a@home.net", "a@work.com"]);
        // selectin and joined: two statements and one
        for (option, statements) in [(aludel::orm::selectinload(Person::work_mails), 2), (aludel::orm::joinedload(Person::work_mails), 1)] {
            let eager = Session::new(db);
            let rec = db.record_statements();
            let people = eager.query::<Person>().options(option).order_by(Person::id.asc()).all()?;
            assert_eq!(emails(people[0].read()?.work_mails.all()?)?, ["a@work.com"]);
            assert_eq!(emails(people[1].read()?.work_mails.all()?)?, Vec::<String>::new());
            let selects = rec.statements().iter().filter(|q| q.starts_with("SELECT")).count();
            assert_eq!(selects, statements, "{:?}", rec.statements());
        }
        // join_rel: only the person with a work address
        let people = s.query::<Person>().join_rel(Person::work_mails).all()?;
        assert_eq!(ids(&people, |p| p.id)?, [1]);
        Ok(())
    }
}
