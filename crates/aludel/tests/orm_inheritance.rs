//! Mapped inheritance on every backend: single-table hierarchies (one table, a
//! discriminator column) and the polymorphic query that returns each row as its own type
//! through the identity map.

mod common;

use aludel::orm::{Instance, Model, Session};
use aludel::sql::{select, text};
use aludel::{Error, Result};

use common::sql_text::assert_sql_all;

/// Declares a hierarchy stored as `$storage` ("single" or "joined"): the base `$Base`
/// (table `$base_table`, discriminator field `kind`), `$Eng` (identity "engineer", own
/// column `language`), `$Mgr` (identity: its struct name, own column `budget`), and the
/// enum `$Any` a query for the whole hierarchy returns. Joined subtypes name their tables.
macro_rules! hierarchy {
    ($storage:tt, $base_table:tt, $Base:ident, $Eng:ident $(= $eng_table:tt)?,
     $Mgr:ident $(= $mgr_table:tt)?, $Any:ident) => {
        #[derive(aludel::Model, Debug)]
        #[model(table = $base_table, polymorphic = $storage, polymorphic_on = "kind")]
        struct $Base {
            #[column(primary_key)]
            id: i64,
            #[column(max_len = 40)]
            name: String,
            #[column(max_len = 20)]
            kind: String,
        }

        #[derive(aludel::Model, Debug)]
        #[model($(table = $eng_table,)? inherits = $Base, polymorphic_identity = "engineer")]
        struct $Eng {
            #[column(primary_key)]
            id: i64,
            #[column(max_len = 40)]
            name: String,
            #[column(max_len = 20)]
            kind: String,
            #[column(max_len = 20)]
            language: Option<String>,
        }

        #[derive(aludel::Model, Debug)]
        #[model($(table = $mgr_table,)? inherits = $Base)]
        struct $Mgr {
            #[column(primary_key)]
            id: i64,
            #[column(max_len = 40)]
            name: String,
            #[column(max_len = 20)]
            kind: String,
            budget: Option<i64>,
        }

        #[derive(aludel::Polymorphic, Debug)]
        enum $Any {
            $Base(Instance<$Base>),
            $Eng(Instance<$Eng>),
            $Mgr(Instance<$Mgr>),
        }
    };
}

// Single table: every type's rows live in `sti_employee`.
hierarchy!(
    "single",
    "sti_employee",
    Employee,
    Engineer,
    Manager,
    AnyEmployee
);

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

/// A third level of the single-table hierarchy: a kind of engineer.
#[derive(aludel::Model, Debug)]
#[model(inherits = Engineer, polymorphic_identity = "senior")]
struct SeniorEngineer {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 40)]
    name: String,
    #[column(max_len = 20)]
    kind: String,
    #[column(max_len = 20)]
    language: Option<String>,
    mentees: Option<i64>,
}

/// Part of the hierarchy: the engineers of every level (SQLAlchemy's query for
/// `Engineer` with its subclasses).
#[derive(aludel::Polymorphic, Debug)]
enum AnyEngineer {
    Engineer(Instance<Engineer>),
    Senior(Instance<SeniorEngineer>),
}

mod misconfigured {
    /// Not polymorphic: subtypes of it cannot say which type a row is.
    #[derive(aludel::Model)]
    #[model(table = "plain")]
    pub struct Plain {
        #[column(primary_key)]
        pub id: i64,
    }

    #[derive(aludel::Model)]
    #[model(inherits = Plain)]
    pub struct Orphan {
        #[column(primary_key)]
        pub id: i64,
    }

    #[derive(aludel::Model)]
    #[model(table = "elsewhere", inherits = super::Employee)]
    pub struct Astray {
        #[column(primary_key)]
        pub id: i64,
        #[column(max_len = 20)]
        pub kind: String,
    }

    #[derive(aludel::Model)]
    #[model(table = "jti_intern", inherits = super::Person)]
    pub struct Intern {
        #[column(primary_key)]
        pub id: i64,
        #[column(max_len = 20)]
        pub kind: String,
    }
}

#[test]
fn misconfigured_hierarchies_are_errors_naming_the_models() -> Result<()> {
    use misconfigured::{Astray, Intern, Orphan};
    let engine = aludel::create_engine("sqlite://:memory:")?;
    let s = Session::new(&engine);
    let msg = |r: Result<usize>| r.err().map(|e| e.to_string()).unwrap_or_default();
    let orphan = msg(s.query::<Orphan>().all().map(|v| v.len()));
    assert!(
        orphan.contains("Orphan inherits Plain, which is not polymorphic"),
        "{orphan}"
    );
    let astray = msg(s.query::<Astray>().all().map(|v| v.len()));
    assert!(
        astray.contains("Astray")
            && astray.contains("single table 'sti_employee'")
            && astray.contains("'elsewhere'"),
        "{astray}"
    );
    let intern = msg(s.query::<Intern>().all().map(|v| v.len()));
    assert!(
        intern.contains(
            "Intern inherits Person (joined table) but has no field for its column 'name'"
        ),
        "{intern}"
    );
    let added = s
        .add(Intern {
            id: 1,
            kind: String::new(),
        })
        .and_then(|_| s.flush());
    assert!(msg(added.map(|()| 0)).contains("no field for its column 'name'"));
    Ok(())
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
        s.query_polymorphic::<AnyEngineer>().statement(),
        "SELECT sti_employee.kind, sti_employee.id, sti_employee.name, sti_employee.language, \
         sti_employee.mentees FROM sti_employee WHERE sti_employee.kind IN (?, ?)",
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
    fn single_table_sub_hierarchy_keeps_to_its_types(db) {
        // The table with the senior engineers' column too, then the usual three rows.
        aludel::orm::create_all(db, &[Employee::info(), Engineer::info(), Manager::info(), SeniorEngineer::info()])?;
        seed(db)?;
        let s = Session::new(db);
        let sen = s.add(SeniorEngineer { id: 4, name: "dee".into(), kind: String::new(), language: None, mentees: Some(2) })?;
        s.commit()?;
        assert_eq!(sen.read()?.kind, "senior");
        let rec = db.record_statements();
        let engineers = s.query_polymorphic::<AnyEngineer>().order_by(Employee::id.asc()).all()?;
        assert_eq!(selects(&rec), 1);
        let [AnyEngineer::Engineer(bob), AnyEngineer::Senior(dee)] = &engineers[..] else {
            panic!("only the engineers, each as its own type: {engineers:?}");
        };
        assert_eq!(bob.read()?.name, "bob");
        assert!(dee.ptr_eq(&sen));
        assert_eq!(dee.read()?.mentees, Some(2));
        // The whole hierarchy's enum meets the senior engineer's row: it names no variant.
        let err = s.query_polymorphic::<AnyEmployee>().all().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("\"senior\"") && err.contains("AnyEmployee"), "{err}");
        Ok(())
    }

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

        // No statement builds an object of the wrong type from a row, e.g. from_statement.
        let other = Session::new(db);
        let err = other
            .query::<Employee>()
            .from_statement(text("SELECT id, name, kind FROM sti_employee WHERE id = 2"))
            .all()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("is not a Employee") && err.contains("\"engineer\""), "{err}");

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

// Joined tables: `jti_employee` holds every row's base columns; `jti_engineer` and
// `jti_manager` hold the key (a foreign key to `jti_employee.id`) and their own columns.
hierarchy!(
    "joined",
    "jti_employee",
    Person,
    Coder = "jti_engineer",
    Boss = "jti_manager",
    AnyPerson
);

/// A model pointing at a joined-table subtype's row.
#[derive(aludel::Model)]
#[model(table = "jti_laptop")]
struct Laptop {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "jti_engineer.id")]
    owner_id: Option<i64>,
    owner: aludel::orm::One<Coder>,
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
        let bob = s.add(Coder { id: 0, name: "bob".into(), kind: String::new(), language: Some("rust".into()) })?;
        s.add(Boss { id: 0, name: "cy".into(), kind: String::new(), budget: Some(100) })?;
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
        let lang: String = conn.execute(&text("SELECT language FROM jti_engineer WHERE id = :id"), aludel::params! { "id" => bob_id })?.scalar()?;
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
        assert_eq!((coder.read()?.name.as_str(), coder.read()?.language.as_deref()), ("bob", Some("rust")));
        assert_eq!(boss.read()?.budget, Some(100));

        // A subtype query joins its table; the object is the one already loaded.
        let coders = fresh.query::<Coder>().all()?;
        assert_eq!(coders.len(), 1);
        assert!(coders[0].ptr_eq(coder));
        assert!(fresh.get::<Coder>(bob_id)?.unwrap().ptr_eq(coder));
        let other = Session::new(db);
        assert_eq!(other.get::<Boss>(boss.read()?.id)?.unwrap().read()?.budget, Some(100), "get() joins too");
        assert!(other.get::<Boss>(bob_id)?.is_none(), "bob is no Boss");
        Ok(())
    }

    fn a_relationship_to_a_joined_subtype_loads_both_tables(db) {
        aludel::orm::create_all(db, &[Person::info(), Coder::info(), Boss::info(), Laptop::info()])?;
        let s = Session::new(db);
        let bob = s.add(Coder { id: 0, name: "bob".into(), kind: String::new(), language: Some("rust".into()) })?;
        s.flush()?;
        let owner_id = Some(bob.read()?.id);
        s.add(Laptop { id: 0, owner_id, owner: aludel::orm::One::new() })?;
        s.commit()?;

        let fresh = Session::new(db);
        let laptop = fresh.query::<Laptop>().one()?;
        let rec = db.record_statements();
        let owner = laptop.read()?.owner.get()?.expect("the laptop has an owner");
        let selects: Vec<String> = rec.statements().into_iter().filter(|q| q.starts_with("SELECT")).collect();
        assert_eq!(selects.len(), 1, "{selects:?}");
        assert!(selects[0].contains("JOIN jti_engineer"), "{selects:?}");
        assert_eq!((owner.read()?.name.as_str(), owner.read()?.language.as_deref()), ("bob", Some("rust")));
        assert!(fresh.query::<Coder>().one()?.ptr_eq(&owner));

        // selectin eager loading: the owners in a second statement (through the join), then
        // reading them needs none.
        let eager = Session::new(db);
        let rec = db.record_statements();
        let laptops = eager.query::<Laptop>().options(aludel::orm::selectinload(Laptop::owner)).all()?;
        assert_eq!(rec.statements().iter().filter(|q| q.starts_with("SELECT")).count(), 2, "{:?}", rec.statements());
        let owner = laptops[0].read()?.owner.get()?.expect("loaded eagerly");
        assert_eq!(owner.read()?.language.as_deref(), Some("rust"));
        assert_eq!(rec.statements().iter().filter(|q| q.starts_with("SELECT")).count(), 2, "no SQL on access");

        // joined eager loading: the subtype's two tables, each aliased, joined inside the
        // outer join (SQLAlchemy 2.1: `LEFT OUTER JOIN (employee AS employee_1 JOIN engineer
        // AS engineer_1 ON employee_1.id = engineer_1.id) ON ...`): one statement.
        let joined = Session::new(db);
        let rec = db.record_statements();
        let laptops = joined.query::<Laptop>().options(aludel::orm::joinedload(Laptop::owner)).all()?;
        let selects: Vec<String> = rec.statements().into_iter().filter(|q| q.starts_with("SELECT")).collect();
        assert_eq!(selects.len(), 1, "{selects:?}");
        assert_eq!(
            selects[0],
            "SELECT jti_laptop.id, jti_laptop.owner_id, jti_employee_1.id, jti_employee_1.name, jti_employee_1.kind, \
             jti_engineer_1.language FROM jti_laptop LEFT OUTER JOIN (jti_employee AS jti_employee_1 JOIN jti_engineer \
             AS jti_engineer_1 ON jti_employee_1.id = jti_engineer_1.id) ON jti_laptop.owner_id = jti_employee_1.id"
        );
        let owner = laptops[0].read()?.owner.get()?.expect("loaded by the join");
        assert_eq!((owner.read()?.name.as_str(), owner.read()?.language.as_deref()), ("bob", Some("rust")));
        assert_eq!(rec.statements().iter().filter(|q| q.starts_with("SELECT")).count(), 1, "no SQL on access");
        Ok(())
    }

    fn joined_table_update_and_delete(db) {
        aludel::orm::create_all(db, &[Person::info(), Coder::info(), Boss::info()])?;
        let s = Session::new(db);
        let bob = s.add(Coder { id: 0, name: "bob".into(), kind: String::new(), language: Some("rust".into()) })?;
        let cy = s.add(Boss { id: 0, name: "cy".into(), kind: String::new(), budget: Some(100) })?;
        s.commit()?;
        let (bob_id, cy_id) = (bob.read()?.id, cy.read()?.id);

        // A change to a base column and an own column updates both tables.
        let rec = db.record_statements();
        {
            let mut w = bob.write()?;
            w.name = "robert".into();
            w.language = Some("ocaml".into());
        }
        cy.write()?.budget = Some(200);
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
        assert_eq!((bob.read()?.name.as_str(), bob.read()?.language.as_deref()), ("robert", Some("ocaml")));
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
