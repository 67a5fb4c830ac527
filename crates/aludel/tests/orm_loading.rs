//! Relationship loader strategies on every backend, proven by the SELECTs each one runs
//! (100 users with 3 addresses: lazy 101, selectin 2, joined 1, subquery 2), by the
//! objects and identities they load, and by the SQL text of the selectin and joined
//! statements per dialect.

mod common;

use aludel::orm::{
    Instance, Load, Many, Model, Session, baked_lazyload, contains_eager, contains_eager_from,
    defaultload, immediateload, joinedload, lazyload, noload, raiseload, raiseload_on_sql,
    selectinload, subqueryload,
};
use aludel::sql::{Params, insert};
use aludel::{Error, Result};

use common::TestDb;
use common::relationship_fixture::{
    Address, Item, Keyword, Node, Order, USER_KEYWORDS, User, seed_users, setup,
};

/// A shelf whose books load with `SELECT ... IN` by default.
#[derive(aludel::Model, Debug)]
#[model(table = "shelves")]
struct Shelf {
    #[column(primary_key)]
    id: i64,
    #[relationship(lazy = "selectin", order_by = "id", back_populates = "shelf")]
    books: Many<Book>,
}

/// A book whose shelf loads joined by default.
#[derive(aludel::Model, Debug)]
#[model(table = "books")]
struct Book {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "shelves.id")]
    shelf_id: i64,
    #[relationship(lazy = "joined", back_populates = "books")]
    shelf: aludel::orm::One<Shelf>,
}

/// A tree whose children load joined by default, two levels deep.
#[derive(aludel::Model, Debug)]
#[model(table = "categories")]
struct Category {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "categories.id")]
    parent_id: Option<i64>,
    #[relationship(lazy = "joined", join_depth = 2, order_by = "id")]
    children: Many<Category>,
}

/// Shelves 1 and 2 with books `s*10+1, s*10+2`.
fn seed_shelves(db: &TestDb) -> Result<()> {
    aludel::orm::create_all(db, &[Shelf::info(), Book::info()])?;
    let s = Session::new(db);
    for id in 1..=2 {
        s.add(Shelf {
            id,
            books: Many::new(),
        })?;
        for b in [id * 10 + 1, id * 10 + 2] {
            s.add(Book {
                id: b,
                shelf_id: id,
                shelf: Default::default(),
            })?;
        }
    }
    s.commit()
}

/// The SELECTs a recorder saw (BEGIN differs per backend).
fn selects(rec: &aludel::engine::StatementRecorder) -> Vec<String> {
    rec.statements()
        .into_iter()
        .filter(|s| s.starts_with("SELECT"))
        .collect()
}

/// The ids of a collection that must already be loaded (no SQL).
fn loaded_ids<T: Model>(many: Option<Vec<Instance<T>>>, id: fn(&T) -> i64) -> Vec<i64> {
    many.expect("loaded")
        .iter()
        .map(|i| id(&i.read().unwrap()))
        .collect()
}

/// `qmark` as SQLite and MariaDB get it, with `$n` placeholders for PostgreSQL.
fn sql_for(db: &TestDb, qmark: &str, numbered: &str) -> String {
    db.pick(qmark, numbered, qmark).to_owned()
}

/// Each user `u` must hold exactly addresses `u*100+1 ..= u*100+3`, already loaded.
fn assert_addresses_loaded(users: &[Instance<User>]) -> Result<()> {
    for u in users {
        let user = u.read()?;
        let want: Vec<i64> = (1..=3).map(|k| user.id * 100 + k).collect();
        assert_eq!(loaded_ids(user.addresses.loaded(), |a| a.id), want);
    }
    Ok(())
}

/// Users 1 and 2 with orders `u*10+1, u*10+2`, each with items `o*10+1, o*10+2`, and
/// keywords: user 1 has 1 and 2, user 2 has 2.
fn seed_orders(db: &TestDb) -> Result<()> {
    seed_users(db, 2, 0)?;
    let s = Session::new(db);
    for u in 1..=2 {
        for o in [u * 10 + 1, u * 10 + 2] {
            s.add(Order {
                id: o,
                user_id: u,
                user: Default::default(),
                items: Many::new(),
            })?;
            for i in [o * 10 + 1, o * 10 + 2] {
                s.add(Item {
                    id: i,
                    order_id: o,
                    name: format!("item{i}"),
                })?;
            }
        }
    }
    s.add_all([Keyword::new(1, "blue"), Keyword::new(2, "red")])?;
    s.flush()?;
    for (u, k) in [(1, 1), (1, 2), (2, 2)] {
        let row = insert(&USER_KEYWORDS)
            .value("user_id", u)
            .value("keyword_id", k);
        s.execute(&row, Params::new())?;
    }
    s.commit()
}

/// Orders of user `u` with their items, read without SQL.
fn assert_orders_loaded(users: &[Instance<User>]) -> Result<()> {
    for u in users {
        let user = u.read()?;
        let orders = user.orders.loaded().expect("orders loaded");
        let ids: Vec<i64> = orders.iter().map(|o| o.read().unwrap().id).collect();
        assert_eq!(ids, [user.id * 10 + 1, user.id * 10 + 2]);
        for o in &orders {
            let o = o.read()?;
            assert_eq!(
                loaded_ids(o.items.loaded(), |i| i.id),
                [o.id * 10 + 1, o.id * 10 + 2]
            );
        }
    }
    Ok(())
}

backend_tests! {
    fn lazy_loading_runs_one_select_per_parent(db) {
        let s = setup(db)?;
        seed_users(db, 100, 3)?;
        let rec = db.record_statements();
        let users = s.query::<User>().order_by(User::id.asc()).all()?;
        for u in &users {
            assert_eq!(u.read()?.addresses.all()?.len(), 3);
        }
        assert_eq!(selects(&rec).len(), 101);
        Ok(())
    }

    fn selectinload_runs_two_selects_and_keeps_identities(db) {
        let s = setup(db)?;
        seed_users(db, 100, 3)?;
        let rec = db.record_statements();
        let users = s.query::<User>().options(selectinload(User::addresses)).order_by(User::id.asc()).all()?;
        assert_eq!(users.len(), 100);
        assert_addresses_loaded(&users)?;
        assert_eq!(selects(&rec).len(), 2, "{:?}", selects(&rec));
        // The addresses are the session's objects, and their many-to-one comes from the
        // identity map: still no SQL.
        let a = users[4].read()?.addresses.loaded().unwrap()[1].clone();
        assert!(s.get::<Address>(502)?.unwrap().ptr_eq(&a));
        assert!(a.read()?.user.get()?.unwrap().ptr_eq(&users[4]));
        assert_eq!(selects(&rec).len(), 2);
        Ok(())
    }

    fn selectinload_sql_text_per_dialect(db) {
        let s = setup(db)?;
        seed_users(db, 2, 1)?;
        let rec = db.record_statements();
        s.query::<User>().options(selectinload(User::addresses)).all()?;
        let sql = selects(&rec);
        let want = sql_for(db,
            "SELECT addresses.id, addresses.user_id, addresses.email, addresses.user_id FROM addresses WHERE addresses.user_id IN (?, ?) ORDER BY addresses.id ASC",
            "SELECT addresses.id, addresses.user_id, addresses.email, addresses.user_id FROM addresses WHERE addresses.user_id IN ($1, $2) ORDER BY addresses.id ASC",
        );
        assert_eq!(sql[1], want);
        Ok(())
    }

    fn selectinload_sends_at_most_500_keys_per_select(db) {
        let s = setup(db)?;
        seed_users(db, 501, 1)?;
        let rec = db.record_statements();
        let users = s.query::<User>().options(selectinload(User::addresses)).all()?;
        let sql = selects(&rec);
        assert_eq!(sql.len(), 3, "one for the users, two IN batches");
        assert_eq!(sql[1].matches(',').count() - 3, 499, "500 keys in the first batch");
        for u in &users {
            let u = u.read()?;
            assert_eq!(loaded_ids(u.addresses.loaded(), |a| a.id), [u.id * 100 + 1]);
        }
        Ok(())
    }

    fn selectinload_many_to_one_skips_targets_in_the_identity_map(db) {
        let s = setup(db)?;
        seed_users(db, 3, 2)?;
        let held = s.get::<User>(2)?.unwrap();
        let rec = db.record_statements();
        let addresses = s.query::<Address>().options(selectinload(Address::user)).order_by(Address::id.asc()).all()?;
        let sql = selects(&rec);
        assert_eq!(sql.len(), 2, "{sql:?}");
        // Users 1 and 3 are fetched; user 2 came from the identity map.
        assert!(sql[1].ends_with(db.pick("IN (?, ?)", "IN ($1, $2)", "IN (?, ?)")), "{}", sql[1]);
        for a in &addresses {
            let a = a.read()?;
            let user = a.user.loaded().expect("loaded").expect("has a user");
            assert_eq!(Some(user.read()?.id), a.user_id);
        }
        assert!(addresses[2].read()?.user.loaded().unwrap().unwrap().ptr_eq(&held));
        Ok(())
    }

    fn joinedload_runs_one_select(db) {
        let s = setup(db)?;
        seed_users(db, 100, 3)?;
        let rec = db.record_statements();
        let users = s.query::<User>().options(joinedload(User::addresses)).order_by(User::id.asc()).all()?;
        assert_eq!(users.len(), 100, "parents de-duplicated");
        assert_addresses_loaded(&users)?;
        assert_eq!(selects(&rec).len(), 1);
        assert!(s.get::<Address>(303)?.unwrap().ptr_eq(&users[2].read()?.addresses.loaded().unwrap()[2]));
        Ok(())
    }

    fn joinedload_sql_text_per_dialect(db) {
        let s = setup(db)?;
        seed_users(db, 1, 1)?;
        let rec = db.record_statements();
        s.query::<User>().options(joinedload(User::addresses)).all()?;
        let want = sql_for(db,
            "SELECT users.id, users.name, addresses_1.id, addresses_1.user_id, addresses_1.email FROM users LEFT OUTER JOIN addresses AS addresses_1 ON users.id = addresses_1.user_id ORDER BY addresses_1.id ASC",
            "SELECT users.id, users.name, addresses_1.id, addresses_1.user_id, addresses_1.email FROM users LEFT OUTER JOIN addresses AS addresses_1 ON users.id = addresses_1.user_id ORDER BY addresses_1.id ASC",
        );
        assert_eq!(selects(&rec)[0], want);
        Ok(())
    }

    fn joinedload_with_limit_wraps_the_parents_in_a_subquery(db) {
        let s = setup(db)?;
        seed_users(db, 10, 3)?;
        let rec = db.record_statements();
        let users = s
            .query::<User>()
            .options(joinedload(User::addresses))
            .order_by(User::id.asc())
            .limit(4)
            .offset(2)
            .all()?;
        let ids: Vec<i64> = users.iter().map(|u| u.read().unwrap().id).collect();
        assert_eq!(ids, [3, 4, 5, 6]);
        assert_addresses_loaded(&users)?;
        let sql = selects(&rec);
        assert_eq!(sql.len(), 1);
        let want = sql_for(db,
            "SELECT anon_1.id, anon_1.name, addresses_1.id, addresses_1.user_id, addresses_1.email FROM (SELECT users.id, users.name FROM users ORDER BY users.id ASC LIMIT ? OFFSET ?) AS anon_1 LEFT OUTER JOIN addresses AS addresses_1 ON anon_1.id = addresses_1.user_id ORDER BY anon_1.id ASC, addresses_1.id ASC",
            "SELECT anon_1.id, anon_1.name, addresses_1.id, addresses_1.user_id, addresses_1.email FROM (SELECT users.id, users.name FROM users ORDER BY users.id ASC LIMIT $1 OFFSET $2) AS anon_1 LEFT OUTER JOIN addresses AS addresses_1 ON anon_1.id = addresses_1.user_id ORDER BY anon_1.id ASC, addresses_1.id ASC",
        );
        assert_eq!(sql[0], want);
        Ok(())
    }

    fn joinedload_innerjoin_leaves_out_parents_without_a_match(db) {
        let s = setup(db)?;
        seed_users(db, 2, 1)?;
        let lone = Session::new(db);
        lone.add(Address::new(900, "nobody@x"))?;
        lone.commit()?;
        let rec = db.record_statements();
        let addresses = s.query::<Address>().options(joinedload(Address::user).innerjoin()).all()?;
        let mut ids: Vec<i64> = addresses.iter().map(|a| a.read().unwrap().id).collect();
        ids.sort();
        assert_eq!(ids, [101, 201]);
        assert_eq!(selects(&rec).len(), 1);
        assert!(selects(&rec)[0].contains("INNER JOIN") || selects(&rec)[0].contains(" JOIN "));
        assert!(!selects(&rec)[0].contains("LEFT OUTER"));
        Ok(())
    }

    fn subqueryload_runs_two_selects(db) {
        let s = setup(db)?;
        seed_users(db, 100, 3)?;
        let rec = db.record_statements();
        let users = s.query::<User>().options(subqueryload(User::addresses)).filter(User::id.le(50)).order_by(User::id.asc()).all()?;
        assert_eq!(users.len(), 50);
        assert_addresses_loaded(&users)?;
        let sql = selects(&rec);
        assert_eq!(sql.len(), 2, "{sql:?}");
        assert!(sql[1].contains("SELECT DISTINCT"), "{}", sql[1]);
        Ok(())
    }

    fn immediateload_loads_each_parent_right_away(db) {
        let s = setup(db)?;
        seed_users(db, 5, 3)?;
        let rec = db.record_statements();
        let users = s.query::<User>().options(immediateload(User::addresses)).order_by(User::id.asc()).all()?;
        assert_eq!(selects(&rec).len(), 6);
        assert_addresses_loaded(&users)?;
        assert_eq!(selects(&rec).len(), 6);
        Ok(())
    }

    fn noload_reads_empty_without_sql(db) {
        let s = setup(db)?;
        seed_users(db, 2, 3)?;
        let rec = db.record_statements();
        let users = s.query::<User>().options(noload(User::addresses)).all()?;
        for u in &users {
            assert!(u.read()?.addresses.all()?.is_empty());
        }
        assert_eq!(selects(&rec).len(), 1);
        Ok(())
    }

    fn raiseload_refuses_the_lazy_load(db) {
        let s = setup(db)?;
        seed_users(db, 2, 3)?;
        let users = s.query::<User>().options(raiseload(User::addresses)).all()?;
        let err = users[0].read()?.addresses.all().unwrap_err();
        assert!(matches!(err, Error::LazyLoadRefused { .. }), "{err}");
        assert!(err.to_string().contains("User.addresses"), "{err}");
        // Other relationships are untouched.
        assert!(users[0].read()?.orders.all()?.is_empty());
        Ok(())
    }

    fn raiseload_on_sql_lets_an_identity_map_hit_through(db) {
        let s = setup(db)?;
        seed_users(db, 2, 1)?;
        let held = s.get::<User>(1)?.unwrap();
        let rec = db.record_statements();
        let addresses = s.query::<Address>().options(raiseload_on_sql(Address::user)).order_by(Address::id.asc()).all()?;
        assert!(addresses[0].read()?.user.get()?.unwrap().ptr_eq(&held));
        let err = addresses[1].read()?.user.get().unwrap_err();
        assert!(matches!(err, Error::LazyLoadRefused { .. }), "{err}");
        assert!(err.to_string().contains("raise_on_sql"), "{err}");
        assert_eq!(selects(&rec).len(), 1);
        Ok(())
    }

    fn wildcard_raiseload_covers_every_relationship_an_option_does_not_name(db) {
        let s = setup(db)?;
        seed_orders(db)?;
        let users = s
            .query::<User>()
            .options(selectinload(User::orders))
            .options(Load::<User>::new().raiseload_all())
            .all()?;
        let u = users[0].read()?;
        assert_eq!(u.orders.loaded().unwrap().len(), 2);
        assert!(matches!(u.addresses.all(), Err(Error::LazyLoadRefused { .. })));
        assert!(matches!(u.keywords.all(), Err(Error::LazyLoadRefused { .. })));
        // The wildcard is for User's level only: the orders' items still load lazily.
        assert_eq!(u.orders.loaded().unwrap()[0].read()?.items.all()?.len(), 2);
        Ok(())
    }

    fn nested_selectin_path_loads_three_levels_in_three_selects(db) {
        let s = setup(db)?;
        seed_orders(db)?;
        let rec = db.record_statements();
        let users = s.query::<User>().options(selectinload(User::orders).selectinload(Order::items)).order_by(User::id.asc()).all()?;
        assert_orders_loaded(&users)?;
        assert_eq!(selects(&rec).len(), 3);
        Ok(())
    }

    fn nested_joined_path_loads_three_levels_in_one_select(db) {
        let s = setup(db)?;
        seed_orders(db)?;
        let rec = db.record_statements();
        let users = s.query::<User>().options(joinedload(User::orders).joinedload(Order::items)).order_by(User::id.asc()).all()?;
        assert_orders_loaded(&users)?;
        assert_eq!(selects(&rec).len(), 1, "{:?}", selects(&rec));
        Ok(())
    }

    fn defaultload_reaches_a_deeper_option(db) {
        let s = setup(db)?;
        seed_orders(db)?;
        let users = s.query::<User>().options(defaultload(User::orders).selectinload(Order::items)).order_by(User::id.asc()).all()?;
        assert!(users[0].read()?.orders.loaded().is_none(), "orders keep their lazy default");
        let rec = db.record_statements();
        let orders = users[0].read()?.orders.all()?;
        // The lazy load of the orders carries the deeper option: the orders, then their
        // items with one SELECT ... IN.
        assert_eq!(selects(&rec).len(), 2, "{:?}", selects(&rec));
        assert_eq!(orders.len(), 2);
        for o in &orders {
            assert!(o.read()?.items.loaded().is_some(), "items came with the lazy load");
        }
        assert_eq!(selects(&rec).len(), 2);
        // Another user's orders, loaded later, carry it too.
        users[1].read()?.orders.all()?;
        assert_eq!(selects(&rec).len(), 4, "{:?}", selects(&rec));
        Ok(())
    }

    fn many_to_many_loads_with_selectin_and_joined(db) {
        let s = setup(db)?;
        seed_orders(db)?;
        let rec = db.record_statements();
        let users = s.query::<User>().options(selectinload(User::keywords)).order_by(User::id.asc()).all()?;
        assert_eq!(selects(&rec).len(), 2);
        let words = |u: &Instance<User>| loaded_ids(u.read().unwrap().keywords.loaded(), |k| k.id);
        assert_eq!(words(&users[0]), [1, 2]);
        assert_eq!(words(&users[1]), [2]);
        let shared = users[0].read()?.keywords.loaded().unwrap()[1].clone();
        assert!(shared.ptr_eq(&users[1].read()?.keywords.loaded().unwrap()[0]));

        let s = Session::new(db);
        rec.clear();
        let users = s.query::<User>().options(joinedload(User::keywords)).order_by(User::id.asc()).all()?;
        assert_eq!(selects(&rec).len(), 1, "{:?}", selects(&rec));
        assert_eq!(words(&users[0]), [1, 2]);
        assert_eq!(words(&users[1]), [2]);

        let s = Session::new(db);
        rec.clear();
        let users = s.query::<User>().options(subqueryload(User::keywords)).order_by(User::id.asc()).all()?;
        assert_eq!(selects(&rec).len(), 2);
        assert_eq!(words(&users[0]), [1, 2]);
        Ok(())
    }

    fn self_referential_tree_loads_three_levels_with_one_joined_select(db) {
        let s = setup(db)?;
        let seed = Session::new(db);
        for (id, parent) in [(1, None), (2, Some(1)), (3, Some(1)), (4, Some(2)), (5, Some(4))] {
            let mut n = Node::new(id, &format!("n{id}"));
            n.parent_id = parent;
            seed.add(n)?;
        }
        seed.commit()?;
        let rec = db.record_statements();
        let roots = s
            .query::<Node>()
            .filter(Node::parent_id.is_null())
            .options(joinedload(Node::children).joinedload(Node::children).joinedload(Node::children))
            .all()?;
        assert_eq!(selects(&rec).len(), 1, "{:?}", selects(&rec));
        assert_eq!(roots.len(), 1);
        let kids = |n: &Instance<Node>| loaded_ids(n.read().unwrap().children.loaded(), |c| c.id);
        let root = &roots[0];
        assert_eq!(kids(root), [2, 3]);
        let two = root.read()?.children.loaded().unwrap()[0].clone();
        assert_eq!(kids(&two), [4]);
        let four = two.read()?.children.loaded().unwrap()[0].clone();
        assert_eq!(kids(&four), [5]);
        Ok(())
    }

    fn lazyload_option_overrides_an_eager_option_on_the_same_path(db) {
        let s = setup(db)?;
        seed_users(db, 2, 3)?;
        let rec = db.record_statements();
        let users = s.query::<User>().options(selectinload(User::addresses)).options(lazyload(User::addresses)).all()?;
        assert_eq!(selects(&rec).len(), 1);
        assert!(users[0].read()?.addresses.loaded().is_none());
        assert_eq!(users[0].read()?.addresses.all()?.len(), 3);
        Ok(())
    }

    fn baked_lazyload_loads_on_first_access_like_lazyload(db) {
        // SQLAlchemy 2.x treats the legacy baked_lazyload as lazyload: an eager default
        // is overridden, and each collection loads with its own SELECT on access.
        seed_shelves(db)?;
        let s = Session::new(db);
        let rec = db.record_statements();
        let shelves = s.query::<Shelf>().options(baked_lazyload(Shelf::books)).order_by(Shelf::id.asc()).all()?;
        assert_eq!(selects(&rec).len(), 1, "{:?}", selects(&rec));
        assert!(shelves.iter().all(|shelf| shelf.read().unwrap().books.loaded().is_none()));
        for (n, shelf) in shelves.iter().enumerate() {
            let id = shelf.read()?.id;
            let books = shelf.read()?.books.all()?;
            assert_eq!(books.iter().map(|b| b.read().unwrap().id).collect::<Vec<_>>(), [id * 10 + 1, id * 10 + 2]);
            assert_eq!(selects(&rec).len(), n + 2);
        }
        Ok(())
    }

    fn relationship_defaults_apply_when_no_option_names_them(db) {
        seed_shelves(db)?;
        let s = Session::new(db);
        let rec = db.record_statements();
        let shelves = s.query::<Shelf>().order_by(Shelf::id.asc()).all()?;
        assert_eq!(selects(&rec).len(), 2, "shelves, then their books IN: {:?}", selects(&rec));
        for shelf in &shelves {
            let id = shelf.read()?.id;
            let books = shelf.read()?.books.loaded().expect("selectin by default");
            assert_eq!(books.iter().map(|b| b.read().unwrap().id).collect::<Vec<_>>(), [id * 10 + 1, id * 10 + 2]);
            // The books' joined-by-default shelf is served from the identity map.
            assert!(books[0].read()?.shelf.loaded().unwrap().unwrap().ptr_eq(shelf));
        }
        assert_eq!(selects(&rec).len(), 2);

        let s = Session::new(db);
        rec.clear();
        let books = s.query::<Book>().order_by(Book::id.asc()).all()?;
        let sql = selects(&rec);
        assert_eq!(sql.len(), 2, "books joined to their shelf, then the shelves' books: {sql:?}");
        assert!(sql[0].contains("LEFT OUTER JOIN shelves AS shelves_1"), "{}", sql[0]);
        let shelf = books[0].read()?.shelf.loaded().unwrap().unwrap();
        assert_eq!(shelf.read()?.id, 1);
        assert!(shelf.read()?.books.loaded().unwrap()[1].ptr_eq(&books[1]));
        Ok(())
    }

    fn an_option_overrides_the_relationship_default(db) {
        seed_shelves(db)?;
        let s = Session::new(db);
        let rec = db.record_statements();
        let shelves = s.query::<Shelf>().options(lazyload(Shelf::books)).all()?;
        assert_eq!(selects(&rec).len(), 1);
        assert!(shelves[0].read()?.books.loaded().is_none());
        assert_eq!(shelves[0].read()?.books.all()?.len(), 2, "a lazy load on access");
        assert_eq!(selects(&rec).len(), 2);
        let books = s.query::<Book>().options(raiseload(Book::shelf)).filter(Book::id.eq(21)).all()?;
        assert!(matches!(books[0].read()?.shelf.get(), Err(Error::LazyLoadRefused { .. })));
        Ok(())
    }

    fn joined_below_selectin_and_subquery_joins_into_their_statement(db) {
        let s = setup(db)?;
        seed_orders(db)?;
        let rec = db.record_statements();
        let users = s.query::<User>().options(selectinload(User::orders).joinedload(Order::items)).order_by(User::id.asc()).all()?;
        assert_orders_loaded(&users)?;
        let sql = selects(&rec);
        assert_eq!(sql.len(), 2, "{sql:?}");
        assert!(sql[1].contains("LEFT OUTER JOIN items AS items_1 ON orders.id = items_1.order_id"), "{}", sql[1]);

        let s = Session::new(db);
        rec.clear();
        let users = s.query::<User>().options(subqueryload(User::orders).joinedload(Order::items)).order_by(User::id.asc()).all()?;
        assert_orders_loaded(&users)?;
        assert_eq!(selects(&rec).len(), 2, "{:?}", selects(&rec));
        Ok(())
    }

    fn subqueryload_below_subquery_and_selectin_reruns_their_statement(db) {
        // As SQLAlchemy does, the subquery load one level down selects from the statement
        // that loaded its parents, not from a list of their keys: three statements.
        let s = setup(db)?;
        seed_orders(db)?;
        let rec = db.record_statements();
        let option = subqueryload(User::orders).subqueryload(Order::items);
        let users = s.query::<User>().options(option).filter(User::name.ne("nobody")).order_by(User::id.asc()).all()?;
        assert_orders_loaded(&users)?;
        let sql = selects(&rec);
        assert_eq!(sql.len(), 3, "{sql:?}");
        assert_eq!(sql[2], sql_for(db,
            "SELECT items.id, items.order_id, items.name, anon_2.id FROM items JOIN (SELECT DISTINCT orders.id FROM orders JOIN (SELECT DISTINCT users.id FROM users WHERE users.name != ?) AS anon_1 ON orders.user_id = anon_1.id) AS anon_2 ON items.order_id = anon_2.id ORDER BY items.id ASC",
            "SELECT items.id, items.order_id, items.name, anon_2.id FROM items JOIN (SELECT DISTINCT orders.id FROM orders JOIN (SELECT DISTINCT users.id FROM users WHERE users.name != $1) AS anon_1 ON orders.user_id = anon_1.id) AS anon_2 ON items.order_id = anon_2.id ORDER BY items.id ASC",
        ));
        let s = Session::new(db);
        rec.clear();
        let users = s.query::<User>().options(selectinload(User::orders).subqueryload(Order::items)).order_by(User::id.asc()).all()?;
        assert_orders_loaded(&users)?;
        let sql = selects(&rec);
        assert_eq!(sql.len(), 3, "{sql:?}");
        assert_eq!(sql[2], sql_for(db,
            "SELECT items.id, items.order_id, items.name, anon_1.id FROM items JOIN (SELECT DISTINCT orders.id FROM orders WHERE orders.user_id IN (?, ?)) AS anon_1 ON items.order_id = anon_1.id ORDER BY items.id ASC",
            "SELECT items.id, items.order_id, items.name, anon_1.id FROM items JOIN (SELECT DISTINCT orders.id FROM orders WHERE orders.user_id IN ($1, $2)) AS anon_1 ON items.order_id = anon_1.id ORDER BY items.id ASC",
        ));
        // Below an immediate load, each parent's own load is the statement re-run.
        let s = Session::new(db);
        rec.clear();
        let users = s.query::<User>().options(immediateload(User::orders).subqueryload(Order::items)).order_by(User::id.asc()).all()?;
        assert_orders_loaded(&users)?;
        let sql = selects(&rec);
        assert_eq!(sql.len(), 5, "{sql:?}");
        assert!(sql[4].contains("JOIN (SELECT DISTINCT orders.id FROM orders WHERE orders.user_id = "), "{sql:?}");
        // Below a joined load the parents came with the query's rows: the query joined to
        // them again is the statement re-run.
        let s = Session::new(db);
        rec.clear();
        let users = s.query::<User>().options(joinedload(User::orders).subqueryload(Order::items)).order_by(User::id.asc()).all()?;
        assert_orders_loaded(&users)?;
        let sql = selects(&rec);
        assert_eq!(sql.len(), 2, "{sql:?}");
        assert!(sql[1].contains("FROM items JOIN (SELECT DISTINCT orders.id FROM orders JOIN (SELECT DISTINCT users.id FROM users) AS anon_1 ON orders.user_id = anon_1.id) AS anon_2"), "{sql:?}");
        // Parents served from the identity map: no statement loaded them, an IN list does.
        let s = Session::new(db);
        let held = s.query::<User>().all()?;
        assert_eq!(held.len(), 2);
        rec.clear();
        let orders = s.query::<Order>().options(selectinload(Order::user).subqueryload(User::addresses)).all()?;
        assert_eq!(orders.len(), 4);
        let sql = selects(&rec);
        assert_eq!(sql.len(), 2, "{sql:?}");
        assert!(sql[1].contains("WHERE addresses.user_id IN ("), "{sql:?}");
        Ok(())
    }

    fn subqueryload_many_to_one_under_a_limit_keeps_each_target_once(db) {
        let s = setup(db)?;
        seed_users(db, 3, 2)?;
        let rec = db.record_statements();
        let addresses = s.query::<Address>().options(subqueryload(Address::user)).order_by(Address::id.asc()).limit(3).all()?;
        let sql = selects(&rec);
        assert_eq!(sql.len(), 2, "{sql:?}");
        let want = sql_for(db,
            "SELECT users.id, users.name, anon_1.user_id FROM users JOIN (SELECT addresses.user_id FROM addresses ORDER BY addresses.id ASC LIMIT ?) AS anon_1 ON users.id = anon_1.user_id",
            "SELECT users.id, users.name, anon_1.user_id FROM users JOIN (SELECT addresses.user_id FROM addresses ORDER BY addresses.id ASC LIMIT $1) AS anon_1 ON users.id = anon_1.user_id",
        );
        assert_eq!(sql[1], want);
        let ids: Vec<i64> = addresses.iter().map(|a| a.read().unwrap().id).collect();
        assert_eq!(ids, [101, 102, 201]);
        for (a, user) in addresses.iter().zip([1, 1, 2]) {
            assert!(a.read()?.user.loaded().unwrap().unwrap().ptr_eq(&s.get::<User>(user)?.unwrap()));
        }
        assert_eq!(selects(&rec).len(), 2, "the users came from the identity map");
        Ok(())
    }

    fn contains_eager_reads_the_querys_own_join(db) {
        let s = setup(db)?;
        seed_users(db, 3, 3)?;
        let rec = db.record_statements();
        let users = s
            .query::<User>()
            .join::<Address>()
            .filter(Address::id.ne(102))
            .options(contains_eager(User::addresses))
            .order_by(User::id.asc())
            .order_by(Address::id.asc())
            .all()?;
        let sql = selects(&rec);
        assert_eq!(sql.len(), 1, "{sql:?}");
        assert_eq!(sql[0], sql_for(db,
            "SELECT users.id, users.name, addresses.id, addresses.user_id, addresses.email FROM users JOIN addresses ON users.id = addresses.user_id WHERE addresses.id != ? ORDER BY users.id ASC, addresses.id ASC",
            "SELECT users.id, users.name, addresses.id, addresses.user_id, addresses.email FROM users JOIN addresses ON users.id = addresses.user_id WHERE addresses.id != $1 ORDER BY users.id ASC, addresses.id ASC",
        ));
        assert_eq!(users.len(), 3);
        // The collection holds what the query's join returned (as in SQLAlchemy).
        assert_eq!(loaded_ids(users[0].read()?.addresses.loaded(), |a| a.id), [101, 103]);
        assert_eq!(loaded_ids(users[2].read()?.addresses.loaded(), |a| a.id), [301, 302, 303]);

        let s = Session::new(db);
        rec.clear();
        let a = Address::info().table.alias("a");
        let users = s
            .query::<User>()
            .join_item(a.clone(), aludel::sql::Expr::from(User::id).eq(a.c("user_id")))
            .options(contains_eager_from(User::addresses, a.clone()))
            .order_by(User::id.asc())
            .order_by(a.c("id").asc())
            .all()?;
        assert_eq!(selects(&rec).len(), 1);
        assert!(selects(&rec)[0].contains("a.id, a.user_id, a.email"), "{}", selects(&rec)[0]);
        assert_eq!(loaded_ids(users[1].read()?.addresses.loaded(), |a| a.id), [201, 202, 203]);

        // A joined collection under LIMIT would wrap the query's own join away: refused.
        let err = s
            .query::<User>()
            .join::<Address>()
            .options(contains_eager(User::addresses))
            .options(joinedload(User::orders))
            .limit(2)
            .all()
            .unwrap_err();
        assert!(err.to_string().contains("contains_eager") && err.to_string().contains("LIMIT"), "{err}");
        Ok(())
    }

    fn a_self_referential_joined_default_stops_at_join_depth(db) {
        aludel::orm::create_all(db, &[Category::info()])?;
        let seed = Session::new(db);
        for (id, parent_id) in [(1, None), (2, Some(1)), (3, Some(2)), (4, Some(3))] {
            seed.add(Category { id, parent_id, children: Many::new() })?;
        }
        seed.commit()?;
        let s = Session::new(db);
        let rec = db.record_statements();
        let root = s.query::<Category>().filter(Category::parent_id.is_null()).one()?;
        let sql = selects(&rec);
        assert_eq!(sql.len(), 1, "{sql:?}");
        assert!(sql[0].contains("categories_2") && !sql[0].contains("categories_3"), "{}", sql[0]);
        let two = root.read()?.children.loaded().expect("level 1 joined")[0].clone();
        let three = two.read()?.children.loaded().expect("level 2 joined")[0].clone();
        assert_eq!(three.read()?.id, 3);
        assert!(three.read()?.children.loaded().is_none(), "past join_depth: lazy");
        // Its lazy load joins two more levels below it.
        assert_eq!(three.read()?.children.all()?[0].read()?.id, 4);
        assert_eq!(selects(&rec).len(), 2);
        Ok(())
    }
}
