//! Relationships on every backend: declaring and configuring them, lazy loading through
//! the session, `back_populates` in memory, and the flush writing foreign keys and
//! association rows.

mod common;

use aludel::orm::{Direction, Model};
use aludel::{Error, Result};

use common::relationship_fixture::{Address, Keyword, Node, User, seed_users, setup};

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
