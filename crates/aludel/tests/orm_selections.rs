//! Typed selections on every backend: queries of columns, expressions, several entities,
//! aliases, bundles and keyed rows (`with_entities`, `add_columns`, `add_entity`,
//! `only_return_tuples`, `values`, `column_descriptions`), read back as Rust values with
//! entities through the identity map; and their SQL per dialect.

mod common;

use aludel::Result;
use aludel::orm::{Aliased, Bundle, Exprs, Model, Session, typed};
use aludel::sql::{func, select};

use common::relationship_fixture::{Address, Node, User, seed_users, setup};
use common::sql_text::assert_sql_all;

#[test]
fn selections_compile_to_their_columns() -> Result<()> {
    let engine = aludel::create_engine("sqlite://")?;
    let s = Session::new(&engine);
    assert_sql_all(
        s.query::<User>()
            .with_entities((User::id, User::name))
            .statement(),
        "SELECT users.id, users.name FROM users",
    );
    assert_sql_all(
        s.query::<User>()
            .join::<Address>()
            .add_entity::<Address>()
            .filter(Address::email.like("%@x"))
            .statement(),
        "SELECT users.id, users.name, addresses.id, addresses.user_id, addresses.email FROM users JOIN addresses ON users.id = addresses.user_id WHERE addresses.email LIKE ?",
    );
    assert_sql_all(
        s.query::<User>()
            .join::<Address>()
            .with_entities((User::name, typed::<i64>(func::count(Address::id), "n")))
            .group_by([aludel::sql::Expr::from(User::name)])
            .statement(),
        "SELECT users.name, count(addresses.id) AS n FROM users JOIN addresses ON users.id = addresses.user_id GROUP BY users.name",
    );
    let parent = Aliased::<Node>::new("parent");
    assert_sql_all(
        s.query::<Node>()
            .outerjoin_item(
                parent.from_item().clone(),
                Node::parent_id.eq(parent.c("id")),
            )
            .add_aliased(&parent)
            .statement(),
        "SELECT nodes.id, nodes.parent_id, nodes.name, parent.id, parent.parent_id, parent.name FROM nodes LEFT OUTER JOIN nodes AS parent ON nodes.parent_id = parent.id",
    );
    Ok(())
}

/// Users with id above 1, as the subquery `sq` holding the User columns.
fn later_users() -> Aliased<User> {
    let sub = select([User::id.expr(), User::name.expr()])
        .from(&User::info().table)
        .where_(User::id.gt(1))
        .subquery("sq");
    Aliased::<User>::of(sub)
}

/// `aliased(User, subquery)` selected and joined to: the SQL SQLAlchemy 2.1 prints for
/// `select(ua)` and `select(ua).join(Address, ua.id == Address.user_id)` (its inner
/// `users.id AS id` labels are left out here; the columns keep their names).
#[test]
fn an_aliased_subquery_compiles_as_a_selection_and_join_target() -> Result<()> {
    let engine = aludel::create_engine("sqlite://")?;
    let s = Session::new(&engine);
    let ua = later_users();
    assert_sql_all(
        s.query::<User>()
            .select_from_item(ua.from_item())
            .with_entities(ua.clone())
            .statement(),
        "SELECT sq.id, sq.name FROM (SELECT users.id, users.name FROM users WHERE users.id > ?) AS sq",
    );
    assert_sql_all(
        s.query::<Address>()
            .join_item(ua.from_item(), ua.c("id").eq(Address::user_id))
            .add_aliased(&ua)
            .statement(),
        "SELECT addresses.id, addresses.user_id, addresses.email, sq.id, sq.name FROM addresses JOIN (SELECT users.id, users.name FROM users WHERE users.id > ?) AS sq ON sq.id = addresses.user_id",
    );
    Ok(())
}

/// `inspect(aliased(User, subquery))`: SQLAlchemy 2.1 gives the name `sq`, the mapper
/// `User`, the subquery as selectable, `[User]` as with_polymorphic_mappers and no
/// polymorphic_on; the same here.
#[test]
fn an_alias_is_inspected_into_its_parts() -> Result<()> {
    let ua = later_users();
    let insp = ua.inspect();
    assert_eq!(insp.name, "sq");
    assert!(std::ptr::eq(insp.mapper, User::info()));
    assert!(std::ptr::eq(insp.entity, &ua));
    assert_eq!(insp.selectable, ua.from_item());
    assert!(matches!(
        insp.selectable,
        aludel::sql::FromItem::Subquery(_)
    ));
    let mappers: Vec<&str> = insp
        .with_polymorphic_mappers
        .iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(mappers, ["User"]);
    assert!(insp.polymorphic_on.is_none());
    let parent = Aliased::<Node>::new("parent");
    assert_eq!(parent.inspect().name, "parent");
    assert_sql_all(
        &aludel::sql::select([parent.inspect().entity.c("id")]).from(parent.inspect().selectable),
        "SELECT parent.id FROM nodes AS parent",
    );
    Ok(())
}

backend_tests! {
    fn columns_and_expressions_come_back_as_rust_values(db) {
        let s = setup(db)?;
        seed_users(db, 3, 2)?;
        let names: Vec<(i64, String)> = s.query::<User>().with_entities((User::id, User::name)).order_by(User::id.desc()).all()?;
        assert_eq!(names, [(3, "user3".into()), (2, "user2".into()), (1, "user1".into())]);
        assert_eq!(s.query::<User>().filter(User::id.eq(2)).values(User::name)?, ["user2"]);
        assert_eq!(s.query::<User>().with_entities(User::name).filter(User::id.eq(1)).scalar()?, Some("user1".into()));
        let per_user: Vec<(String, i64)> = s
            .query::<User>()
            .join::<Address>()
            .with_entities((User::name, typed::<i64>(func::count(Address::id), "n")))
            .group_by([aludel::sql::Expr::from(User::name)])
            .order_by(User::name)
            .all()?;
        assert_eq!(per_user, [("user1".into(), 2), ("user2".into(), 2), ("user3".into(), 2)]);
        let err = s.query::<User>().with_entities(User::name).one().unwrap_err();
        assert!(matches!(err, aludel::Error::MultipleResultsFound), "{err}");
        Ok(())
    }

    fn bundles_relabel_and_map_rows_and_from_self_selects_from_the_subquery(db) {
        let s = setup(db)?;
        seed_users(db, 3, 2)?;
        #[derive(Debug, PartialEq)]
        struct Card {
            id: i64,
            name: String,
        }
        let card = Bundle::new("card", (User::id, User::name)).map(|(id, name)| Card { id, name });
        let owner = Bundle::new("b", User::name).label("owner");
        assert_eq!(owner.name(), "owner");
        let q = s.query::<User>().with_entities((card, owner)).order_by(User::id).limit(2);
        let descriptions: Vec<String> = q.column_descriptions().into_iter().map(|d| d.name).collect();
        assert_eq!(descriptions, ["card", "owner"]);
        assert_eq!(q.all()?, [
            (Card { id: 1, name: "user1".into() }, "user1".to_string()),
            (Card { id: 2, name: "user2".into() }, "user2".to_string()),
        ]);
        // from_self(*entities): the names of the first two users, read from the subquery.
        let names = s.query::<User>().order_by(User::id).limit(2).from_self_with(User::name).order_by(User::name.desc());
        assert_eq!(names.all()?, ["user2", "user1"]);
        let per_name: Vec<(i64, i64)> = s
            .query::<User>()
            .join::<Address>()
            .filter(User::id.le(2))
            .from_self_with((User::id, typed::<i64>(func::count_star(), "n")))
            .group_by([User::id])
            .order_by(User::id)
            .all()?;
        assert_eq!(per_name, [(1, 2), (2, 2)]);
        Ok(())
    }

    fn scalar_of_a_tuple_row_is_its_first_element(db) {
        let s = setup(db)?;
        seed_users(db, 2, 0)?;
        let one = s.query::<User>().filter(User::id.eq(1));
        assert_eq!(one.with_entities((User::name, User::id)).scalar()?, Some("user1".to_string()));
        let first = one.add_columns(User::name).scalar()?.expect("user 1");
        assert!(first.ptr_eq(&s.get::<User>(1)?.expect("user 1")));
        assert_eq!(one.with_entities(Exprs::new([User::id.expr(), User::name.expr()])).scalar()?, Some(aludel::sql::Value::Int(1)));
        // A bundle is one element: the whole bundle.
        assert_eq!(one.with_entities(Bundle::new("b", (User::id, User::name))).scalar()?, Some((1, "user1".to_string())));
        assert_eq!(s.query::<User>().filter(User::id.eq(9)).with_entities((User::name, User::id)).scalar()?, None);
        let err = s.query::<User>().with_entities((User::name, User::id)).scalar().unwrap_err();
        assert!(matches!(err, aludel::Error::MultipleResultsFound), "{err}");
        Ok(())
    }

    fn several_entities_per_row_share_the_identity_map(db) {
        let s = setup(db)?;
        seed_users(db, 2, 3)?;
        let one = s.get::<User>(1)?.unwrap();
        let rows = s
            .query::<User>()
            .join::<Address>()
            .add_entity::<Address>()
            .order_by(Address::id)
            .all()?;
        // Tuples are not de-duplicated: one row per address, the user repeated.
        assert_eq!(rows.len(), 6);
        assert!(rows[0].0.ptr_eq(&one) && rows[2].0.ptr_eq(&one));
        assert_eq!(rows[3].1.read()?.id, 201);
        assert!(rows[3].0.ptr_eq(&rows[5].0));
        let again = s.get::<Address>(101)?.unwrap();
        assert!(rows[0].1.ptr_eq(&again));
        let (user, email) = s.query::<User>().join::<Address>().add_columns(Address::email).filter(Address::id.eq(202)).one()?;
        assert_eq!((user.read()?.id, email.as_str()), (2, "a202@x"));
        let (only,) = s.query::<User>().filter(User::id.eq(1)).only_return_tuples().one()?;
        assert!(only.ptr_eq(&one));
        Ok(())
    }

    fn an_aliased_entity_reads_the_same_table_twice(db) {
        let s = setup(db)?;
        for (id, parent) in [(1, None), (2, Some(1)), (3, Some(2))] {
            let mut n = Node::new(id, &format!("n{id}"));
            n.parent_id = parent;
            s.add(n)?;
        }
        s.commit()?;
        let parent = Aliased::<Node>::new("parent");
        let rows = s
            .query::<Node>()
            .outerjoin_item(parent.from_item().clone(), Node::parent_id.eq(parent.c("id")))
            .add_aliased(&parent)
            .order_by(Node::id)
            .all()?;
        assert_eq!(rows.len(), 3);
        assert!(rows[0].1.is_none(), "the root has no parent");
        assert!(rows[1].1.as_ref().unwrap().ptr_eq(&rows[0].0), "the parent is the session's object");
        assert!(rows[2].1.as_ref().unwrap().ptr_eq(&rows[1].0));
        Ok(())
    }

    fn anonymous_aliases_are_numbered_per_query(db) {
        // SQLAlchemy 2.1: `p, g = aliased(Node), aliased(Node)` joined grandchild → parent →
        // grandparent gives `JOIN nodes AS nodes_2 ... JOIN nodes AS nodes_1` (numbered in
        // compile order; here in join order).
        let s = setup(db)?;
        for (id, parent) in [(1, None), (2, Some(1)), (3, Some(2)), (4, Some(3))] {
            let mut n = Node::new(id, &format!("n{id}"));
            n.parent_id = parent;
            s.add(n)?;
        }
        s.commit()?;
        let q = s.query::<Node>();
        let parent = q.anon_aliased::<Node>();
        assert_eq!(parent.name(), "nodes_1");
        let q = q.join_item(parent.from_item().clone(), Node::parent_id.eq(parent.c("id")));
        let grandparent = q.anon_aliased::<Node>();
        assert_eq!(grandparent.name(), "nodes_2", "a name already joined is not given again");
        let q = q
            .join_item(grandparent.from_item().clone(), parent.c("parent_id").eq(grandparent.c("id")))
            .add_aliased(&grandparent)
            .order_by(Node::id);
        assert_sql_all(
            q.statement(),
            "SELECT nodes.id, nodes.parent_id, nodes.name, nodes_2.id, nodes_2.parent_id, nodes_2.name FROM nodes \
             JOIN nodes AS nodes_1 ON nodes.parent_id = nodes_1.id JOIN nodes AS nodes_2 ON nodes_1.parent_id = nodes_2.id \
             ORDER BY nodes.id",
        );
        let pairs: Vec<(i64, i64)> = q
            .all()?
            .iter()
            .map(|(n, g)| Ok((n.read()?.id, g.as_ref().expect("inner join").read()?.id)))
            .collect::<Result<_>>()?;
        assert_eq!(pairs, [(3, 1), (4, 2)]);
        Ok(())
    }

    fn an_aliased_subquery_follows_renamed_columns_by_lineage(db) {
        // SQLAlchemy 2.1: `aliased(User, select(User.id.label("uid"), User.name.label("n"))
        // .where(User.id > 1).subquery("sq"))` reads `sq.uid`/`sq.n` as User's id and name;
        // selected it gives users 2 and 3, joined to addresses [(201, 2), (301, 3)].
        let s = setup(db)?;
        seed_users(db, 3, 1)?;
        let sub = select([User::id.expr().label("uid"), User::name.expr().label("n")])
            .from(&User::info().table)
            .where_(User::id.gt(1))
            .subquery("sq");
        let ua = Aliased::<User>::of(sub);
        let named = s
            .query::<User>()
            .select_from_item(ua.from_item())
            .with_entities(ua.clone())
            .filter(ua.c("name").eq("user3"))
            .order_by(ua.c("id"));
        assert_sql_all(
            named.statement(),
            "SELECT sq.uid, sq.n FROM (SELECT users.id AS uid, users.name AS n FROM users WHERE users.id > ?) AS sq \
             WHERE sq.n = ? ORDER BY sq.uid",
        );
        let found = named.all()?;
        assert_eq!(found.len(), 1);
        assert!(found[0].as_ref().unwrap().ptr_eq(&s.get::<User>(3)?.unwrap()));
        let q = s
            .query::<Address>()
            .join_item(ua.from_item(), ua.c("id").eq(Address::user_id))
            .add_aliased(&ua)
            .order_by(Address::id);
        assert_sql_all(
            q.statement(),
            "SELECT addresses.id, addresses.user_id, addresses.email, sq.uid, sq.n FROM addresses \
             JOIN (SELECT users.id AS uid, users.name AS n FROM users WHERE users.id > ?) AS sq \
             ON sq.uid = addresses.user_id ORDER BY addresses.id",
        );
        let pairs: Vec<(i64, i64)> = q
            .all()?
            .iter()
            .map(|(a, u)| Ok((a.read()?.id, u.as_ref().unwrap().read()?.id)))
            .collect::<Result<_>>()?;
        assert_eq!(pairs, [(201, 2), (301, 3)]);
        Ok(())
    }

    fn an_aliased_subquery_is_read_as_the_model_and_joined_to(db) {
        let s = setup(db)?;
        seed_users(db, 3, 1)?;
        let ua = later_users();
        // Selected: the model's objects from the subquery's rows, through the identity map.
        let users = s
            .query::<User>()
            .select_from_item(ua.from_item())
            .with_entities(ua.clone())
            .order_by(ua.c("id"))
            .all()?;
        let ids: Vec<i64> = users.iter().map(|u| Ok(u.as_ref().unwrap().read()?.id)).collect::<Result<_>>()?;
        assert_eq!(ids, [2, 3]);
        assert!(users[0].as_ref().unwrap().ptr_eq(&s.get::<User>(2)?.unwrap()));
        // Joined to: addresses of the later users only, each with its user.
        let rows = s
            .query::<Address>()
            .join_item(ua.from_item(), ua.c("id").eq(Address::user_id))
            .add_aliased(&ua)
            .order_by(Address::id)
            .all()?;
        let pairs: Vec<(i64, i64)> = rows
            .iter()
            .map(|(a, u)| Ok((a.read()?.id, u.as_ref().unwrap().read()?.id)))
            .collect::<Result<_>>()?;
        assert_eq!(pairs, [(201, 2), (301, 3)]);
        assert!(rows[1].1.as_ref().unwrap().ptr_eq(&s.get::<User>(3)?.unwrap()));
        // Criteria on the alias's columns.
        let named = s
            .query::<User>()
            .select_from_item(ua.from_item())
            .with_entities(ua.clone())
            .filter(ua.c("name").eq("user3"))
            .one()?;
        assert_eq!(named.unwrap().read()?.id, 3);
        Ok(())
    }

    fn bundles_and_keyed_rows(db) {
        let s = setup(db)?;
        seed_users(db, 2, 1)?;
        let inner = Bundle::new("ids", (User::id, Address::id));
        let rows: Vec<((i64, i64), String)> = s
            .query::<User>()
            .join::<Address>()
            .with_entities((inner, Address::email))
            .order_by(User::id)
            .all()?;
        assert_eq!(rows, [((1, 101), "a101@x".into()), ((2, 201), "a201@x".into())]);
        let keyed = s
            .query::<User>()
            .with_entities(Exprs::new([User::name.into(), func::upper(User::name).label("shout")]))
            .order_by(User::id)
            .all()?;
        assert_eq!(keyed[0].keys(), ["name", "shout"]);
        assert_eq!(keyed[1].get::<String>("shout")?, "USER2");
        assert_eq!(keyed[0].get::<String>(0)?, "user1");
        let d = s.query::<User>().add_columns(Exprs::new([User::name])).column_descriptions();
        assert_eq!(d.len(), 2);
        Ok(())
    }
}
