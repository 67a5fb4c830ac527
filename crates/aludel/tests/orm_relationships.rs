//! Relationships on every backend: declaring and configuring them, lazy loading through
//! the session, `back_populates` in memory, and the flush writing foreign keys and
//! association rows.

mod common;

use aludel::orm::{Direction, Model};
use aludel::{Error, Result};

use common::relationship_fixture::{Address, Keyword, Node, User, add_keywords, seed_users, setup};

/// The SELECTs a recorder saw (BEGIN differs per backend).
fn selects(rec: &aludel::engine::StatementRecorder) -> usize {
    rec.statements()
        .iter()
        .filter(|s| s.starts_with("SELECT"))
        .count()
}

#[test]
fn directions_are_worked_out_from_the_foreign_keys() -> Result<()> {
    let dir = |info: &'static aludel::orm::ModelInfo, name: &str| {
        let rel = info.relationships.iter().find(|r| r.name == name).unwrap();
        rel.direction(info)
    };
    assert_eq!(dir(User::info(), "addresses")?, Direction::OneToMany);
    assert_eq!(dir(Address::info(), "user")?, Direction::ManyToOne);
    assert_eq!(dir(User::info(), "keywords")?, Direction::ManyToMany);
    assert_eq!(dir(Keyword::info(), "users")?, Direction::ManyToMany);
    assert_eq!(dir(Node::info(), "children")?, Direction::OneToMany);
    assert_eq!(dir(Node::info(), "parent")?, Direction::ManyToOne);
    Ok(())
}

mod misconfigured {
    use aludel::orm::{Many, One};

    #[derive(aludel::Model)]
    #[model(table = "cfg_parent")]
    pub struct Parent {
        #[column(primary_key)]
        pub id: i64,
        #[relationship(back_populates = "mom")]
        pub kids: Many<Kid>,
        #[relationship(order_by = "nope")]
        pub sorted: Many<Kid>,
        #[relationship]
        pub strangers: Many<Stranger>,
    }

    #[derive(aludel::Model)]
    #[model(table = "cfg_kid")]
    pub struct Kid {
        #[column(primary_key)]
        pub id: i64,
        #[column(foreign_key = "cfg_parent.id")]
        pub mother_id: Option<i64>,
        #[column(foreign_key = "cfg_parent.id")]
        pub father_id: Option<i64>,
        #[relationship(foreign_keys = "mother_id")]
        pub mother: One<Parent>,
        #[relationship]
        pub parents: Many<Parent>,
        #[relationship(foreign_keys = ["father_id"])]
        pub fathers: Many<Parent>,
    }

    #[derive(aludel::Model)]
    #[model(table = "cfg_stranger")]
    pub struct Stranger {
        #[column(primary_key)]
        pub id: i64,
    }
}

#[test]
fn configuration_mistakes_are_errors_naming_model_and_relationship() {
    use misconfigured::{Kid, Parent};
    let err = |info: &'static aludel::orm::ModelInfo, name: &str| {
        let rel = info.relationships.iter().find(|r| r.name == name).unwrap();
        rel.direction(info).unwrap_err().to_string()
    };
    let e = err(Parent::info(), "kids");
    assert!(
        e.contains("relationship Parent.kids: back_populates names 'mom', which Kid does not have"),
        "{e}"
    );
    let e = err(Parent::info(), "sorted");
    assert!(
        e.contains("Parent.sorted: order_by: model Kid has no column 'nope'"),
        "{e}"
    );
    let e = err(Parent::info(), "strangers");
    assert!(
        e.contains("no foreign key links Parent (cfg_parent) and Stranger (cfg_stranger)"),
        "{e}"
    );
    let e = err(Kid::info(), "parents");
    assert!(e.contains("Kid.parents: there are several foreign key paths between Kid and Parent; name the columns with foreign_keys"), "{e}");
    let e = err(Kid::info(), "fathers");
    assert!(e.contains("Kid.fathers is many-to-one (Kid holds the foreign key), so it holds one object: declare it One<Parent>"), "{e}");
    // Two foreign keys to one table: ambiguous until foreign_keys names one.
    assert_eq!(
        Kid::info().relationships[0].direction(Kid::info()).unwrap(),
        Direction::ManyToOne
    );
}

backend_tests! {
    fn a_collection_loads_lazily_once_through_the_session(db) {
        let s = setup(db)?;
        seed_users(db, 2, 3)?;
        let rec = db.record_statements();
        let user = s.get::<User>(1)?.unwrap();
        assert!(user.read()?.addresses.loaded().is_none());
        let addresses = user.read()?.addresses.all()?;
        let ids: Vec<i64> = addresses.iter().map(|a| a.read().map(|a| a.id)).collect::<Result<_>>()?;
        assert_eq!(ids, [101, 102, 103]);
        // Loaded now: reading again runs nothing.
        assert_eq!(user.read()?.addresses.all()?.len(), 3);
        assert_eq!(selects(&rec), 2, "{:?}", rec.statements());
        // Each address's many-to-one is served from the identity map: no SQL.
        for a in &addresses {
            assert!(a.read()?.user.get()?.unwrap().ptr_eq(&user));
        }
        assert_eq!(selects(&rec), 2);
        Ok(())
    }

    fn a_many_to_one_loads_by_primary_key_or_from_the_identity_map(db) {
        let s = setup(db)?;
        seed_users(db, 2, 1)?;
        let rec = db.record_statements();
        let a = s.get::<Address>(201)?.unwrap();
        let u = a.read()?.user.get()?.unwrap();
        assert_eq!(u.read()?.name, "user2");
        assert_eq!(selects(&rec), 2);
        let again = s.get::<Address>(101)?.unwrap();
        let held = s.get::<User>(1)?.unwrap();
        let before = selects(&rec);
        assert!(again.read()?.user.get()?.unwrap().ptr_eq(&held));
        assert_eq!(selects(&rec), before, "served by the identity map: {:?}", rec.statements());
        Ok(())
    }

    fn a_detached_objects_unloaded_relationship_is_a_clear_error(db) {
        let s = setup(db)?;
        seed_users(db, 1, 1)?;
        let user = s.get::<User>(1)?.unwrap();
        s.expunge(&user)?;
        let err = user.read()?.addresses.all().unwrap_err();
        assert!(matches!(err, Error::DetachedInstance { .. }), "{err}");
        assert!(err.to_string().contains("User (1)") && err.to_string().contains("addresses"), "{err}");
        Ok(())
    }
}

/// The rows of `sql` as (i64, Option<i64>) pairs, in order.
fn pairs(db: &common::TestDb, sql: &str) -> Result<Vec<(i64, Option<i64>)>> {
    let mut conn = db.connect()?;
    let rows = conn.execute(&aludel::sql::text(sql), ())?.fetchall();
    rows.iter()
        .map(|r| Ok((r.get::<i64>(0)?, r.get::<Option<i64>>(1)?)))
        .collect()
}

backend_tests! {
    fn appending_to_a_new_parent_inserts_the_parent_then_the_children_with_the_key(db) {
        let s = setup(db)?;
        let ada = s.add(User::new(0, "ada"))?;
        let home = ada.read()?.addresses.push(Address::new(0, "home@x"))?;
        let work = ada.read()?.addresses.push(Address::new(0, "work@x"))?;
        // back_populates, before any flush:
        assert!(home.read()?.user.get()?.unwrap().ptr_eq(&ada));
        assert_eq!(s.new_objects::<Address>().len(), 2, "save-update cascade");
        s.commit()?;
        let id = ada.read()?.id;
        assert!(id > 0);
        assert_eq!(home.read()?.user_id, Some(id));
        assert_eq!(
            pairs(db, "SELECT id, user_id FROM addresses ORDER BY id")?,
            [(home.read()?.id, Some(id)), (work.read()?.id, Some(id))]
        );
        Ok(())
    }

    fn setting_a_many_to_one_updates_the_foreign_key_and_moves_the_child(db) {
        let s = setup(db)?;
        seed_users(db, 2, 1)?;
        let a = s.get::<Address>(101)?.unwrap();
        let one = s.get::<User>(1)?.unwrap();
        let two = s.get::<User>(2)?.unwrap();
        assert_eq!(one.read()?.addresses.all()?.len(), 1);
        assert_eq!(two.read()?.addresses.all()?.len(), 1);
        a.read()?.user.set(Some(&two))?;
        // Both collections follow in memory.
        assert_eq!(one.read()?.addresses.loaded().unwrap().len(), 0);
        assert_eq!(two.read()?.addresses.loaded().unwrap().len(), 2);
        s.commit()?;
        assert_eq!(pairs(db, "SELECT id, user_id FROM addresses ORDER BY id")?, [(101, Some(2)), (201, Some(2))]);
        Ok(())
    }

    fn removing_a_child_nulls_its_key_or_deletes_an_orphan(db) {
        let s = setup(db)?;
        seed_users(db, 1, 2)?;
        s.add(Node::new(1, "root"))?;
        let leaf = {
            let mut n = Node::new(2, "leaf");
            n.parent_id = Some(1);
            s.add(n)?
        };
        s.commit()?;
        // Node.children has no delete-orphan: the child stays, without a parent.
        let root = s.get::<Node>(1)?.unwrap();
        assert!(root.read()?.children.remove(&leaf)?);
        assert!(leaf.read()?.parent.get()?.is_none());
        // User.addresses has delete-orphan: the address row goes.
        let user = s.get::<User>(1)?.unwrap();
        let first = user.read()?.addresses.all()?[0].clone();
        user.read()?.addresses.remove(&first)?;
        s.commit()?;
        assert_eq!(pairs(db, "SELECT id, parent_id FROM nodes ORDER BY id")?, [(1, None), (2, None)]);
        assert_eq!(pairs(db, "SELECT id, user_id FROM addresses ORDER BY id")?, [(102, Some(1))]);
        Ok(())
    }

    fn deleting_a_parent_cascades_or_nulls_the_children_loaded_or_not(db) {
        let s = setup(db)?;
        seed_users(db, 2, 2)?;
        for (id, parent) in [(1, None), (2, Some(1)), (3, Some(1))] {
            let mut n = Node::new(id, "n");
            n.parent_id = parent;
            s.add(n)?;
        }
        s.commit()?;
        // cascade="all, delete-orphan": the addresses go too, though never loaded.
        let user = s.get::<User>(1)?.unwrap();
        s.delete(&user)?;
        // No cascade: the children stay, their parent_id NULL.
        let root = s.get::<Node>(1)?.unwrap();
        s.delete(&root)?;
        s.commit()?;
        assert_eq!(pairs(db, "SELECT id, user_id FROM addresses ORDER BY id")?, [(201, Some(2)), (202, Some(2))]);
        assert_eq!(pairs(db, "SELECT id, parent_id FROM nodes ORDER BY id")?, [(2, None), (3, None)]);
        Ok(())
    }

    fn many_to_many_add_and_remove_write_association_rows(db) {
        let s = setup(db)?;
        let rust = add_keywords(&s)?;
        // The other side follows in memory (no duplicate rows from mirroring).
        assert_eq!(rust.read()?.users.loaded().unwrap().len(), 2);
        s.commit()?;
        assert_eq!(
            pairs(db, "SELECT user_id, keyword_id FROM user_keywords ORDER BY user_id, keyword_id")?,
            [(1, Some(1)), (1, Some(2)), (2, Some(1))]
        );
        let s = aludel::orm::Session::new(db);
        let rust = s.get::<Keyword>(1)?.unwrap();
        let names: Vec<String> = rust.read()?.users.all()?.iter().map(|u| u.read().map(|u| u.name.clone())).collect::<Result<_>>()?;
        assert_eq!(names, ["ada", "bob"]);
        let ada = s.get::<User>(1)?.unwrap();
        ada.read()?.keywords.remove(&rust)?;
        s.commit()?;
        assert_eq!(pairs(db, "SELECT user_id, keyword_id FROM user_keywords ORDER BY user_id, keyword_id")?, [(1, Some(2)), (2, Some(1))]);
        // Deleting a keyword deletes its association rows first.
        let sql_kw = s.get::<Keyword>(2)?.unwrap();
        s.delete(&sql_kw)?;
        s.commit()?;
        assert_eq!(pairs(db, "SELECT user_id, keyword_id FROM user_keywords")?, [(2, Some(1))]);
        Ok(())
    }

    fn a_new_three_level_tree_inserts_parents_before_children(db) {
        let s = setup(db)?;
        let root = s.add(Node::new(0, "root"))?;
        let mid = root.read()?.children.push(Node::new(0, "mid"))?;
        let leaf = mid.read()?.children.push(Node::new(0, "leaf"))?;
        s.commit()?;
        let (r, m, l) = (root.read()?.id, mid.read()?.id, leaf.read()?.id);
        assert_eq!(pairs(db, "SELECT id, parent_id FROM nodes ORDER BY id")?, [(r, None), (m, Some(r)), (l, Some(m))]);
        let s = aludel::orm::Session::new(db);
        let leaf = s.get::<Node>(l)?.unwrap();
        let up = leaf.read()?.parent.get()?.unwrap();
        let top = up.read()?.parent.get()?.unwrap();
        assert_eq!((up.read()?.name.clone(), top.read()?.name.clone()), ("mid".into(), "root".into()));
        Ok(())
    }
}

backend_tests! {
    fn expunge_expire_and_merge_cascade_along_loaded_relationships(db) {
        let s = setup(db)?;
        seed_users(db, 1, 2)?;
        // expunge (User.addresses has cascade="all"): the loaded addresses leave too.
        let user = s.get::<User>(1)?.unwrap();
        let addresses = user.read()?.addresses.all()?;
        s.expunge(&user)?;
        assert!(addresses.iter().all(|a| a.state() == aludel::orm::ObjectState::Detached));
        // merge: the detached user and its loaded addresses come back as the session's own.
        let s2 = aludel::orm::Session::new(db);
        let rec = db.record_statements();
        let merged = s2.merge(&user)?;
        assert!(!merged.ptr_eq(&user));
        let merged_addresses = merged.read()?.addresses.loaded().expect("the merge filled the collection");
        assert_eq!(merged_addresses.len(), 2);
        let again = s2.get::<Address>(101)?.unwrap();
        assert!(merged_addresses[0].ptr_eq(&again), "the merged copies are the session's objects");
        let before = selects(&rec);
        assert!(again.read()?.user.get()?.unwrap().ptr_eq(&merged));
        assert_eq!(selects(&rec), before);
        // refresh-expire: expiring the user expires its loaded addresses.
        s2.expire(&merged)?;
        assert!(again.is_expired());
        Ok(())
    }

    fn merge_sets_the_collection_as_a_change_that_the_flush_writes(db) {
        // As in SQLAlchemy (flush_merge_cascade in the differential suite): a merged
        // collection's new members get the owner's key, and one no longer held is an
        // orphan (User.addresses has delete-orphan).
        let s = setup(db)?;
        seed_users(db, 1, 2)?;
        let copy = aludel::orm::Instance::new(User::new(1, "renamed"));
        copy.read()?.addresses.push(Address::new(101, "changed@x"))?;
        copy.read()?.addresses.push(Address::new(900, "new@x"))?;
        let merged = s.merge(&copy)?;
        let held = merged.read()?.addresses.loaded().expect("set by the merge");
        assert_eq!(held.iter().map(|a| a.read().unwrap().id).collect::<Vec<_>>(), [101, 900]);
        s.commit()?;
        assert_eq!(pairs(db, "SELECT id, user_id FROM addresses ORDER BY id")?, [(101, Some(1)), (900, Some(1))]);
        let s = aludel::orm::Session::new(db);
        assert_eq!(s.get::<Address>(101)?.unwrap().read()?.email, "changed@x");
        assert_eq!(s.get::<User>(1)?.unwrap().read()?.name, "renamed");
        Ok(())
    }
}
