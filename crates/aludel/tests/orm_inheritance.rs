//! Mapped inheritance on every backend: single-table hierarchies (one table, a
//! discriminator column) and the polymorphic query that returns each row as its own type
//! through the identity map.

mod common;

use aludel::orm::{Instance, Model, Session};
use aludel::sql::{select, text};
use aludel::{Error, Result};

use common::sql_text::assert_sql_all;

/// The base of a single-table hierarchy: every type's rows live in `sti_employee`.
#[derive(aludel::Model, Debug)]
#[model(
    table = "sti_employee",
    polymorphic = "single",
    polymorphic_on = "kind"
)]
pub struct Employee {
    #[column(primary_key, autoincrement = false)]
    pub id: i64,
    #[column(max_len = 40)]
    pub name: String,
    #[column(max_len = 20)]
    pub kind: String,
}

/// A subtype with its own identity and its own (nullable) column in the shared table.
#[derive(aludel::Model, Debug)]
#[model(inherits = Employee, polymorphic_identity = "engineer")]
pub struct Engineer {
    #[column(primary_key, autoincrement = false)]
    pub id: i64,
    #[column(max_len = 40)]
    pub name: String,
    #[column(max_len = 20)]
    pub kind: String,
    #[column(max_len = 20)]
    pub language: Option<String>,
}

/// A subtype whose identity defaults to its struct name.
#[derive(aludel::Model, Debug)]
#[model(inherits = Employee)]
pub struct Manager {
    #[column(primary_key, autoincrement = false)]
    pub id: i64,
    #[column(max_len = 40)]
    pub name: String,
    #[column(max_len = 20)]
    pub kind: String,
    pub budget: Option<i64>,
}

/// Every type of the hierarchy: what a query for the whole of it returns.
#[derive(aludel::Polymorphic, Debug)]
pub enum AnyEmployee {
    Employee(Instance<Employee>),
    Engineer(Instance<Engineer>),
    Manager(Instance<Manager>),
}

fn selects(rec: &aludel::engine::StatementRecorder) -> usize {
    rec.statements()
        .iter()
        .filter(|s| s.starts_with("SELECT"))
        .count()
}

/// Creates the table and writes one row of each type through the session.
fn seed(db: &aludel::engine::Engine) -> Result<()> {
    aludel::orm::create_all(db, &[Employee::info(), Engineer::info(), Manager::info()])?;
    let s = Session::new(db);
    s.add(Employee {
        id: 1,
        name: "ada".into(),
        kind: String::new(),
    })?;
    let eng = s.add(Engineer {
        id: 2,
        name: "bob".into(),
        kind: "anything".into(),
        language: Some("rust".into()),
    })?;
    s.add(Manager {
        id: 3,
        name: "cy".into(),
        kind: String::new(),
        budget: Some(100),
    })?;
    s.commit()?;
    // The flush wrote the discriminator into the object, whatever the field held.
    assert_eq!(eng.read()?.kind, "engineer");
    Ok(())
}

#[test]
fn single_table_subtypes_share_the_base_table() {
    assert_eq!(Engineer::info().table.name(), "sti_employee");
    assert_eq!(
        Manager::info().inheritance.as_ref().unwrap().identity,
        "Manager"
    );
    let md = aludel::orm::metadata(&[Employee::info(), Engineer::info(), Manager::info()]);
    let columns: Vec<&str> = md.tables()[0]
        .def()
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(md.tables().len(), 1);
    assert_eq!(columns, ["id", "name", "kind", "language", "budget"]);
}

#[test]
fn subtype_and_base_queries_filter_on_the_discriminator() -> Result<()> {
    let engine = aludel::create_engine("sqlite://")?;
    let s = Session::new(&engine);
    assert_sql_all(
        s.query::<Engineer>()
            .filter(Engineer::language.eq("rust"))
            .statement(),
        "SELECT sti_employee.id, sti_employee.name, sti_employee.kind, sti_employee.language \
         FROM sti_employee WHERE sti_employee.kind = ? AND sti_employee.language = ?",
    );
    assert_sql_all(
        s.query::<Employee>().statement(),
        "SELECT sti_employee.id, sti_employee.name, sti_employee.kind FROM sti_employee \
         WHERE sti_employee.kind = ?",
    );
    assert_sql_all(
        s.query_polymorphic::<AnyEmployee>()
            .order_by(Employee::id.asc())
            .statement(),
        "SELECT sti_employee.kind, sti_employee.id, sti_employee.name, sti_employee.language, \
         sti_employee.budget FROM sti_employee ORDER BY sti_employee.id ASC",
    );
    Ok(())
}

backend_tests! {
    fn single_table_round_trip(db) {
        seed(db)?;
        let kinds: Vec<String> = {
            let t = Employee::info().table.clone();
            let mut rows = db.connect()?.execute(&select([t.c("kind")]).from(&t).order_by(t.c("id").asc()), ())?;
            rows.fetchall().into_iter().map(|r| r.get::<String>(0)).collect::<Result<_>>()?
        };
        assert_eq!(kinds, ["Employee", "engineer", "Manager"]);

        let s = Session::new(db);
        let rec = db.record_statements();
        let all = s.query_polymorphic::<AnyEmployee>().order_by(Employee::id.asc()).all()?;
        assert_eq!(selects(&rec), 1, "one statement for every type: {:?}", rec.statements());
        let [AnyEmployee::Employee(ada), AnyEmployee::Engineer(bob), AnyEmployee::Manager(cy)] = &all[..] else {
            panic!("each row as its own type: {all:?}");
        };
        assert_eq!(ada.read()?.name, "ada");
        assert_eq!(bob.read()?.language.as_deref(), Some("rust"));
        assert_eq!(cy.read()?.budget, Some(100));

        // A subtype query gives only its rows, and the same objects.
        let engineers = s.query::<Engineer>().all()?;
        assert_eq!(engineers.len(), 1);
        assert!(engineers[0].ptr_eq(bob), "one object per row whatever loaded it");
        assert_eq!(s.query::<Employee>().all()?.len(), 1, "the base query gives exact Employees");
        assert_eq!(s.query::<Manager>().count()?, 1);

        // get() by the subtype is an identity-map hit; asking for the wrong type is an error.
        let before = selects(&rec);
        assert!(s.get::<Engineer>(2)?.unwrap().ptr_eq(bob));
        assert_eq!(selects(&rec), before, "served from the identity map");
        let err = s.get::<Employee>(2).unwrap_err().to_string();
        assert!(err.contains("as a Engineer, not a Employee"), "{err}");

        // In a fresh session, get() of a subtype does not load another type's row.
        let fresh = Session::new(db);
        assert!(fresh.get::<Engineer>(1)?.is_none(), "row 1 is an Employee");
        assert_eq!(fresh.get::<Manager>(3)?.unwrap().read()?.name, "cy");
        Ok(())
    }

    fn single_table_update_and_delete_of_a_subtype(db) {
        seed(db)?;
        let s = Session::new(db);
        let bob = s.query::<Engineer>().one()?;
        bob.write()?.language = Some("ocaml".into());
        let cy = s.get::<Manager>(3)?.unwrap();
        s.delete(&cy)?;
        s.commit()?;

        let fresh = Session::new(db);
        let all = fresh.query_polymorphic::<AnyEmployee>().order_by(Employee::id.asc()).all()?;
        assert_eq!(all.len(), 2);
        let AnyEmployee::Engineer(bob) = &all[1] else { panic!("{all:?}") };
        assert_eq!(bob.read()?.language.as_deref(), Some("ocaml"));
        assert_eq!(bob.read()?.kind, "engineer");
        Ok(())
    }

    fn single_table_unknown_discriminator_is_an_error(db) {
        seed(db)?;
        db.connect()?.execute(&text("INSERT INTO sti_employee (id, name, kind) VALUES (9, 'hal', 'Robot')"), ())?;
        let s = Session::new(db);
        let err = s.query_polymorphic::<AnyEmployee>().all().unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("\"Robot\"") && msg.contains("AnyEmployee") && msg.contains("engineer"), "{msg}");
        // The typed queries are unaffected: they ask for their own discriminator.
        assert_eq!(s.query::<Engineer>().count()?, 1);
        Ok(())
    }
}
