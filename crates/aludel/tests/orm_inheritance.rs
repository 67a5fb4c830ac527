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

/// The base of a joined-table hierarchy: `jti_employee` holds every row's base columns.
#[derive(aludel::Model, Debug)]
#[model(
    table = "jti_employee",
    polymorphic = "joined",
    polymorphic_on = "kind"
)]
pub struct Person {
    #[column(primary_key)]
    pub id: i64,
    #[column(max_len = 40)]
    pub name: String,
    #[column(max_len = 20)]
    pub kind: String,
}

/// A joined-table subtype: its own columns live in `jti_engineer`, whose primary key
/// references `jti_employee.id`.
#[derive(aludel::Model, Debug)]
#[model(table = "jti_engineer", inherits = Person, polymorphic_identity = "engineer")]
pub struct Coder {
    #[column(primary_key)]
    pub id: i64,
    #[column(max_len = 40)]
    pub name: String,
    #[column(max_len = 20)]
    pub kind: String,
    #[column(max_len = 20)]
    pub language: String,
}

/// A second joined-table subtype.
#[derive(aludel::Model, Debug)]
#[model(table = "jti_manager", inherits = Person)]
pub struct Boss {
    #[column(primary_key)]
    pub id: i64,
    #[column(max_len = 40)]
    pub name: String,
    #[column(max_len = 20)]
    pub kind: String,
    pub budget: i64,
}

#[derive(aludel::Polymorphic, Debug)]
pub enum AnyPerson {
    Person(Instance<Person>),
    Coder(Instance<Coder>),
    Boss(Instance<Boss>),
}

#[test]
fn joined_subtype_tables_hold_the_key_and_own_columns() {
    let md = aludel::orm::metadata(&[Person::info(), Coder::info(), Boss::info()]);
    let shape: Vec<(String, Vec<String>)> = md
        .tables()
        .iter()
        .map(|t| {
            (
                t.name().to_owned(),
                t.def().columns.iter().map(|c| c.name.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (
                "jti_employee".to_owned(),
                vec!["id".to_owned(), "name".into(), "kind".into()]
            ),
            (
                "jti_engineer".to_owned(),
                vec!["id".to_owned(), "language".into()]
            ),
            (
                "jti_manager".to_owned(),
                vec!["id".to_owned(), "budget".into()]
            ),
        ]
    );
    let key = &md.tables()[1].def().columns[0];
    let fk = key
        .foreign_key
        .as_ref()
        .expect("the subtype's key references the base's");
    assert_eq!(
        (fk.table.as_str(), fk.column.as_str()),
        ("jti_employee", "id")
    );
    assert!(key.primary_key && key.autoincrement == Some(false));
}

#[test]
fn joined_subtype_and_polymorphic_queries_join_the_tables() -> Result<()> {
    let engine = aludel::create_engine("sqlite://")?;
    let s = Session::new(&engine);
    assert_sql_all(
        s.query::<Coder>()
            .filter(Coder::language.eq("rust"))
            .statement(),
        "SELECT jti_employee.id, jti_employee.name, jti_employee.kind, jti_engineer.language \
         FROM jti_employee JOIN jti_engineer ON jti_employee.id = jti_engineer.id \
         WHERE jti_employee.kind = ? AND jti_engineer.language = ?",
    );
    assert_sql_all(
        s.query_polymorphic::<AnyPerson>().statement(),
        "SELECT jti_employee.kind, jti_employee.id, jti_employee.name, jti_engineer.language, \
         jti_manager.budget FROM jti_employee \
         LEFT OUTER JOIN jti_engineer ON jti_employee.id = jti_engineer.id \
         LEFT OUTER JOIN jti_manager ON jti_employee.id = jti_manager.id",
    );
    Ok(())
}

backend_tests! {
    fn joined_table_round_trip(db) {
        aludel::orm::create_all(db, &[Person::info(), Coder::info(), Boss::info()])?;
        let s = Session::new(db);
        let rec = db.record_statements();
        s.add(Person { id: 0, name: "ada".into(), kind: String::new() })?;
        let bob = s.add(Coder { id: 0, name: "bob".into(), kind: String::new(), language: "rust".into() })?;
        s.add(Boss { id: 0, name: "cy".into(), kind: String::new(), budget: 100 })?;
        s.commit()?;
        let inserts: Vec<String> = rec.statements().into_iter().filter(|q| q.starts_with("INSERT")).collect();
        let tables: Vec<&str> = inserts.iter().map(|q| q.split_whitespace().nth(2).unwrap_or("")).collect();
        // Base rows first (the key is generated there), then each subtype's own row.
        assert_eq!(tables.iter().filter(|t| t.contains("jti_employee")).count(), tables.len() - 2, "{inserts:?}");
        let eng_at = tables.iter().position(|t| t.contains("jti_engineer")).unwrap();
        assert!(tables[..eng_at].iter().any(|t| t.contains("jti_employee")), "{inserts:?}");
        let bob_id = bob.read()?.id;
        assert!(bob_id > 0, "the generated key is written into the object");
        assert_eq!(bob.read()?.kind, "engineer");

        // The rows, read back with Core: the subtype row shares the base row's key.
        let mut conn = db.connect()?;
        let lang: String = conn.execute(&text(&format!("SELECT language FROM jti_engineer WHERE id = {bob_id}")), ())?.scalar()?;
        assert_eq!(lang, "rust");
        let kinds: Vec<String> = conn
            .execute(&text("SELECT kind FROM jti_employee ORDER BY id"), ())?
            .fetchall().into_iter().map(|r| r.get::<String>(0)).collect::<Result<_>>()?;
        assert_eq!(kinds, ["Person", "engineer", "Boss"]);
        drop(conn);

        let fresh = Session::new(db);
        let before = rec.statements().len();
        let all = fresh.query_polymorphic::<AnyPerson>().order_by(Person::id.asc()).all()?;
        let selects_now = rec.statements()[before..].iter().filter(|q| q.starts_with("SELECT")).count();
        assert_eq!(selects_now, 1, "one statement with the subtype tables outer-joined");
        let [AnyPerson::Person(ada), AnyPerson::Coder(coder), AnyPerson::Boss(boss)] = &all[..] else {
            panic!("each row as its own type: {all:?}");
        };
        assert_eq!(ada.read()?.name, "ada");
        assert_eq!((coder.read()?.name.as_str(), coder.read()?.language.as_str()), ("bob", "rust"));
        assert_eq!(boss.read()?.budget, 100);

        // A subtype query joins its table; the object is the one already loaded.
        let coders = fresh.query::<Coder>().all()?;
        assert_eq!(coders.len(), 1);
        assert!(coders[0].ptr_eq(coder));
        assert!(fresh.get::<Coder>(bob_id)?.unwrap().ptr_eq(coder));
        let other = Session::new(db);
        assert_eq!(other.get::<Boss>(boss.read()?.id)?.unwrap().read()?.budget, 100, "get() joins too");
        assert!(other.get::<Boss>(bob_id)?.is_none(), "bob is no Boss");
        Ok(())
    }

    fn joined_table_update_and_delete(db) {
        aludel::orm::create_all(db, &[Person::info(), Coder::info(), Boss::info()])?;
        let s = Session::new(db);
        let bob = s.add(Coder { id: 0, name: "bob".into(), kind: String::new(), language: "rust".into() })?;
        let cy = s.add(Boss { id: 0, name: "cy".into(), kind: String::new(), budget: 100 })?;
        s.commit()?;
        let (bob_id, cy_id) = (bob.read()?.id, cy.read()?.id);

        // A change to a base column and an own column updates both tables.
        let rec = db.record_statements();
        {
            let mut w = bob.write()?;
            w.name = "robert".into();
            w.language = "ocaml".into();
        }
        cy.write()?.budget = 200;
        s.commit()?;
        let updates: Vec<String> = rec.statements().into_iter().filter(|q| q.starts_with("UPDATE")).collect();
        assert_eq!(updates.len(), 3, "{updates:?}");

        // Deleting a subtype deletes its own row, then the base row.
        let rec = db.record_statements();
        s.delete(&cy)?;
        s.commit()?;
        let deletes: Vec<String> = rec.statements().into_iter().filter(|q| q.starts_with("DELETE")).collect();
        assert_eq!(deletes.len(), 2, "{deletes:?}");
        assert!(deletes[0].contains("jti_manager") && deletes[1].contains("jti_employee"), "{deletes:?}");

        let fresh = Session::new(db);
        let bob = fresh.get::<Coder>(bob_id)?.unwrap();
        assert_eq!((bob.read()?.name.as_str(), bob.read()?.language.as_str()), ("robert", "ocaml"));
        assert!(fresh.get::<Boss>(cy_id)?.is_none());
        let mut conn = db.connect()?;
        let left: i64 = conn.execute(&text("SELECT count(*) FROM jti_employee"), ())?.scalar()?;
        let managers: i64 = conn.execute(&text("SELECT count(*) FROM jti_manager"), ())?.scalar()?;
        assert_eq!((left, managers), (1, 0));

        // Bulk statements cannot write two tables: a clear refusal.
        let err = fresh.query::<Coder>().delete(aludel::orm::SynchronizeSession::False).unwrap_err();
        assert!(err.to_string().contains("joined-table subtype"), "{err}");
        Ok(())
    }
}
