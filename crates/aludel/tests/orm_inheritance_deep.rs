//! A joined-table hierarchy three levels deep (Staff -> Engineer -> Senior), on every
//! backend: each subtype's table references its parent's, a Senior's row spans three
//! tables — INSERTed from the base down, DELETEd from the bottom up, UPDATEd table by
//! table — and queries, `get`, `of_type` joins and polymorphic queries join the tables in
//! a chain. The SQL is SQLAlchemy 2.1's for the same mapping (its column lists aside: it
//! also selects each table's copy of the key).

mod common;

use aludel::Result;
use aludel::orm::{Aliased, Instance, Many, Model, Session};
use aludel::sql::text;

use common::sql_text::assert_sql_all;

#[derive(aludel::Model)]
#[model(table = "deep_company")]
struct Company {
    #[column(primary_key)]
    id: i64,
    #[relationship]
    staff: Many<Staff>,
}

#[derive(aludel::Model, Debug)]
#[model(
    table = "deep_employee",
    polymorphic = "joined",
    polymorphic_on = "kind"
)]
struct Staff {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 40)]
    name: String,
    #[column(max_len = 20)]
    kind: String,
    #[column(foreign_key = "deep_company.id")]
    company_id: Option<i64>,
}

#[derive(aludel::Model, Debug)]
#[model(table = "deep_engineer", inherits = Staff, polymorphic_identity = "engineer")]
struct Engineer {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 40)]
    name: String,
    #[column(max_len = 20)]
    kind: String,
    company_id: Option<i64>,
    #[column(max_len = 20)]
    language: Option<String>,
}

#[derive(aludel::Model, Debug)]
#[model(table = "deep_senior", inherits = Engineer, polymorphic_identity = "senior")]
struct Senior {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 40)]
    name: String,
    #[column(max_len = 20)]
    kind: String,
    company_id: Option<i64>,
    #[column(max_len = 20)]
    language: Option<String>,
    mentees: Option<i64>,
}

#[derive(aludel::Polymorphic, Debug)]
enum AnyStaff {
    Staff(Instance<Staff>),
    Engineer(Instance<Engineer>),
    Senior(Instance<Senior>),
}

/// The engineers and their own subtype: part of the hierarchy.
#[derive(aludel::Polymorphic, Debug)]
enum AnyEngineer {
    Engineer(Instance<Engineer>),
    Senior(Instance<Senior>),
}

fn models() -> [&'static aludel::orm::ModelInfo; 4] {
    [
        Company::info(),
        Staff::info(),
        Engineer::info(),
        Senior::info(),
    ]
}

fn senior(name: &str, mentees: i64) -> Senior {
    Senior {
        id: 0,
        name: name.into(),
        kind: String::new(),
        company_id: None,
        language: Some("rust".into()),
        mentees: Some(mentees),
    }
}

#[test]
fn each_table_holds_the_key_referencing_its_parents_table() {
    let md = aludel::orm::metadata(&models());
    let shape: Vec<(String, Vec<String>, Option<String>)> = md
        .tables()
        .iter()
        .map(|t| {
            let def = t.def();
            let key_fk = def.columns[0]
                .foreign_key
                .as_ref()
                .map(|fk| format!("{}.{}", fk.table, fk.column));
            let columns = def.columns.iter().map(|c| c.name.clone()).collect();
            (t.name().to_owned(), columns, key_fk)
        })
        .collect();
    let row = |t: &str, cs: &[&str], fk: Option<&str>| {
        (
            t.to_owned(),
            cs.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>(),
            fk.map(str::to_owned),
        )
    };
    // SQLAlchemy 2.1's DDL for the same classes: deep_senior.id REFERENCES deep_engineer (id).
    assert_eq!(
        shape,
        [
            row("deep_company", &["id"], None),
            row("deep_employee", &["id", "name", "kind", "company_id"], None),
            row(
                "deep_engineer",
                &["id", "language"],
                Some("deep_employee.id")
            ),
            row("deep_senior", &["id", "mentees"], Some("deep_engineer.id")),
        ]
    );
}

#[test]
fn queries_join_the_tables_in_a_chain() -> Result<()> {
    let engine = aludel::create_engine("sqlite://")?;
    let s = Session::new(&engine);
    // SQLAlchemy 2.1, select(Senior).where(Senior.mentees > 1): the same FROM and WHERE
    // (it adds its discriminator only for single-table subtypes; aludel's query::<T>()
    // gives exactly T, see docs/inheritance.md).
    assert_sql_all(
        s.query::<Senior>()
            .filter(Senior::mentees.gt(1))
            .statement(),
        "SELECT deep_employee.id, deep_employee.name, deep_employee.kind, \
         deep_employee.company_id, deep_engineer.language, deep_senior.mentees \
         FROM deep_employee JOIN deep_engineer ON deep_employee.id = deep_engineer.id \
         JOIN deep_senior ON deep_engineer.id = deep_senior.id \
         WHERE deep_employee.kind = ? AND deep_senior.mentees > ?",
    );
    // with_polymorphic(Staff, "*"): every subtype table outer-joined to its parent's.
    assert_sql_all(
        s.query_polymorphic::<AnyStaff>().statement(),
        "SELECT deep_employee.kind, deep_employee.id, deep_employee.name, \
         deep_employee.company_id, deep_engineer.language, deep_senior.mentees \
         FROM deep_employee \
         LEFT OUTER JOIN deep_engineer ON deep_employee.id = deep_engineer.id \
         LEFT OUTER JOIN deep_senior ON deep_engineer.id = deep_senior.id",
    );
    // select(Company).join(Company.staff.of_type(Senior)): the three tables in parentheses.
    assert_sql_all(
        s.query::<Company>()
            .join_rel(Company::staff.of_type::<Senior>())
            .filter(Senior::mentees.gt(1))
            .statement(),
        "SELECT deep_company.id FROM deep_company JOIN (deep_employee \
         JOIN deep_engineer ON deep_employee.id = deep_engineer.id \
         JOIN deep_senior ON deep_engineer.id = deep_senior.id) \
         ON deep_company.id = deep_employee.company_id WHERE deep_senior.mentees > ?",
    );
    // of_type(Engineer) joins the engineer's two tables, which hold the seniors' rows too
    // (SQLAlchemy's SQL); the enum of the engineers keeps to its variants by name as well.
    assert_sql_all(
        s.query::<Company>()
            .join_rel(Company::staff.of_type::<AnyEngineer>())
            .statement(),
        "SELECT deep_company.id FROM deep_company JOIN (deep_employee \
         JOIN deep_engineer ON deep_employee.id = deep_engineer.id) \
         ON deep_company.id = deep_employee.company_id AND deep_employee.kind IN (?, ?)",
    );
    Ok(())
}

backend_tests! {
    fn three_level_round_trip(db) {
        aludel::orm::create_all(db, &models())?;
        let s = Session::new(db);
        let rec = db.record_statements();
        let acme = s.add(Company { id: 0, staff: Many::new() })?;
        s.flush()?;
        let company_id = Some(acme.read()?.id);
        s.add(Staff { id: 0, name: "ada".into(), kind: String::new(), company_id })?;
        s.add(Engineer { id: 0, name: "bob".into(), kind: String::new(), company_id, language: Some("go".into()) })?;
        let sue = s.add(Senior { company_id, ..senior("sue", 3) })?;
        s.commit()?;
        // The senior's rows: base table first (its key is generated there), then each
        // subtype table down to its own.
        let senior_inserts: Vec<String> = rec.statements().into_iter()
            .filter(|q| q.starts_with("INSERT") && !q.contains("deep_company"))
            .map(|q| q.split_whitespace().nth(2).unwrap_or("").trim_matches(['"', '`']).to_owned())
            .collect();
        // (Each type's objects are written as a batch: ada, then bob's two rows, then sue's.)
        assert_eq!(
            senior_inserts,
            ["deep_employee", "deep_employee", "deep_engineer", "deep_employee", "deep_engineer", "deep_senior"]
        );
        let sue_id = sue.read()?.id;
        assert_eq!(sue.read()?.kind, "senior");

        let mut conn = db.connect()?;
        let count = |conn: &mut aludel::engine::Connection, sql: &str| -> Result<i64> {
            conn.execute(&text(sql), aludel::params! { "id" => sue_id })?.scalar()
        };
        assert_eq!(count(&mut conn, "SELECT mentees FROM deep_senior WHERE id = :id")?, 3);
        assert_eq!(count(&mut conn, "SELECT count(*) FROM deep_engineer WHERE id = :id")?, 1);
        drop(conn);

        // get and query of the deepest type join all three tables.
        let fresh = Session::new(db);
        let got = fresh.get::<Senior>(sue_id)?.expect("sue is a Senior");
        assert_eq!((got.read()?.name.as_str(), got.read()?.language.as_deref(), got.read()?.mentees), ("sue", Some("rust"), Some(3)));
        assert!(fresh.query::<Senior>().filter(Senior::mentees.gt(1)).one()?.ptr_eq(&got));
        // query::<Engineer>() gives exactly the engineers; get::<Engineer> of sue finds none.
        let engineers = fresh.query::<Engineer>().all()?;
        assert_eq!(engineers.len(), 1);
        assert_eq!(engineers[0].read()?.name, "bob");
        assert!(Session::new(db).get::<Engineer>(sue_id)?.is_none());

        // One statement for the whole hierarchy, each row as its own type.
        let rec = db.record_statements();
        let all = fresh.query_polymorphic::<AnyStaff>().order_by(Staff::id.asc()).all()?;
        assert_eq!(rec.statements().iter().filter(|q| q.starts_with("SELECT")).count(), 1);
        let [AnyStaff::Staff(ada), AnyStaff::Engineer(bob), AnyStaff::Senior(sue_again)] = &all[..] else {
            panic!("each row as its own type: {all:?}");
        };
        assert_eq!((ada.read()?.name.as_str(), bob.read()?.language.as_deref()), ("ada", Some("go")));
        assert!(sue_again.ptr_eq(&got));
        // with_polymorphic([Engineer]): the senior table is left out of the statement, so
        // sue's own column is loaded by key in one more, before all() returns.
        let rec = db.record_statements();
        let some = Session::new(db).query_polymorphic::<AnyStaff>()
            .with_polymorphic(&[Engineer::info()])
            .order_by(Staff::id.asc())
            .all()?;
        let selects: Vec<String> = rec.statements().into_iter().filter(|q| q.starts_with("SELECT")).collect();
        assert_eq!(selects.len(), 2, "{selects:?}");
        assert!(!selects[0].contains("deep_senior") && selects[1].contains("JOIN deep_senior"), "{selects:?}");
        let [_, _, AnyStaff::Senior(late)] = &some[..] else { panic!("{some:?}") };
        assert_eq!(late.read()?.mentees, Some(3));
        // The engineers' part of the hierarchy.
        let part = Session::new(db).query_polymorphic::<AnyEngineer>().order_by(Staff::id.asc()).all()?;
        let [AnyEngineer::Engineer(bob), AnyEngineer::Senior(sue)] = &part[..] else {
            panic!("the engineers, each as its own type: {part:?}");
        };
        assert_eq!((bob.read()?.name.as_str(), sue.read()?.mentees), ("bob", Some(3)));

        // of_type(Senior) keeps the join to the seniors' rows.
        let with_seniors = fresh.query::<Company>()
            .join_rel(Company::staff.of_type::<Senior>())
            .filter(Senior::mentees.gt(2))
            .count()?;
        let with_senior_go = fresh.query::<Company>()
            .join_rel(Company::staff.of_type::<Senior>())
            .filter(Senior::language.eq("go"))
            .count()?;
        assert_eq!((with_seniors, with_senior_go), (1, 0));
        // Engineers of any kind: bob (go) and sue (rust) both count.
        for of_type in [
            fresh.query::<Company>().join_rel(Company::staff.of_type::<Engineer>()),
            fresh.query::<Company>().join_rel(Company::staff.of_type::<AnyEngineer>()),
        ] {
            let languages = of_type.filter(Engineer::language.in_(["go", "rust"])).count()?;
            assert_eq!(languages, 2);
        }

        // A Senior aliased flat: each of its three tables under its own alias (SQLAlchemy
        // 2.1's `aliased(Senior, flat=True, name="s")`, the same FROM).
        let a = Aliased::<Senior>::new("s");
        let q = fresh.query::<Company>()
            .join_item(a.from_item().clone(), Company::id.eq(a.c("company_id")))
            .filter(a.c("mentees").gt(1))
            .add_aliased(&a);
        assert_sql_all(
            q.statement(),
            "SELECT deep_company.id, s_deep_employee.id, s_deep_employee.name, s_deep_employee.kind, \
             s_deep_employee.company_id, s_deep_engineer.language, s_deep_senior.mentees FROM deep_company \
             JOIN (deep_employee AS s_deep_employee JOIN deep_engineer AS s_deep_engineer \
             ON s_deep_employee.id = s_deep_engineer.id JOIN deep_senior AS s_deep_senior \
             ON s_deep_engineer.id = s_deep_senior.id) ON deep_company.id = s_deep_employee.company_id \
             WHERE s_deep_senior.mentees > ?",
        );
        let rows = q.all()?;
        let [(_, Some(aliased_sue))] = &rows[..] else { panic!("one company with sue") };
        assert!(aliased_sue.ptr_eq(&got));
        Ok(())
    }

    fn three_level_update_and_delete(db) {
        aludel::orm::create_all(db, &models())?;
        let s = Session::new(db);
        let sue = s.add(senior("sue", 3))?;
        s.commit()?;
        let sue_id = sue.read()?.id;

        // A change in each table: one UPDATE per table (as SQLAlchemy 2.1 does).
        let rec = db.record_statements();
        {
            let mut w = sue.write()?;
            w.name = "susan".into();
            w.language = Some("ocaml".into());
            w.mentees = Some(4);
        }
        s.commit()?;
        let updates: Vec<String> = rec.statements().into_iter().filter(|q| q.starts_with("UPDATE")).collect();
        assert_eq!(updates.len(), 3, "{updates:?}");
        let fresh = Session::new(db);
        let got = fresh.get::<Senior>(sue_id)?.expect("still there");
        assert_eq!((got.read()?.name.as_str(), got.read()?.language.as_deref(), got.read()?.mentees), ("susan", Some("ocaml"), Some(4)));

        // A change in the middle table only touches that table.
        let rec = db.record_statements();
        got.write()?.language = Some("zig".into());
        fresh.commit()?;
        let updates: Vec<String> = rec.statements().into_iter().filter(|q| q.starts_with("UPDATE")).collect();
        assert!(matches!(&updates[..], [u] if u.contains("deep_engineer")), "{updates:?}");

        // DELETE from the bottom up: each table's row before the row it references.
        let rec = db.record_statements();
        fresh.delete(&got)?;
        fresh.commit()?;
        let deletes: Vec<String> = rec.statements().into_iter().filter(|q| q.starts_with("DELETE")).collect();
        let tables: Vec<bool> = ["deep_senior", "deep_engineer", "deep_employee"]
            .iter().zip(&deletes).map(|(t, q)| q.contains(t)).collect();
        assert_eq!((deletes.len(), tables), (3, vec![true; 3]), "{deletes:?}");
        let mut conn = db.connect()?;
        for table in ["deep_employee", "deep_engineer", "deep_senior"] {
            let left: i64 = conn.execute(&text(format!("SELECT count(*) FROM {table}")), ())?.scalar()?;
            assert_eq!(left, 0, "{table}");
        }
        Ok(())
    }
}

/// Four tables a row is the limit: a subtype of `Principal` (itself four tables deep) is
/// a configuration error naming both, at the first query or flush.
mod too_deep {
    use super::Senior;

    macro_rules! staff_level {
        ($Name:ident, $Parent:ident, $table:literal, $($own:ident),*) => {
            #[derive(aludel::Model)]
            #[model(table = $table, inherits = $Parent)]
            pub struct $Name {
                #[column(primary_key)]
                pub id: i64,
                #[column(max_len = 40)]
                pub name: String,
                #[column(max_len = 20)]
                pub kind: String,
                pub company_id: Option<i64>,
                #[column(max_len = 20)]
                pub language: Option<String>,
                pub mentees: Option<i64>,
                $(pub $own: Option<i64>,)*
            }
        };
    }
    staff_level!(Principal, Senior, "deep_principal", reports);
    staff_level!(Fellow, Principal, "deep_fellow", reports, papers);
}

#[test]
fn a_fifth_table_is_a_configuration_error() -> Result<()> {
    use too_deep::{Fellow, Principal};
    let engine = aludel::create_engine("sqlite://")?;
    let s = Session::new(&engine);
    assert_sql_all(
        s.query::<Principal>().statement(),
        "SELECT deep_employee.id, deep_employee.name, deep_employee.kind, \
         deep_employee.company_id, deep_engineer.language, deep_senior.mentees, \
         deep_principal.reports FROM deep_employee \
         JOIN deep_engineer ON deep_employee.id = deep_engineer.id \
         JOIN deep_senior ON deep_engineer.id = deep_senior.id \
         JOIN deep_principal ON deep_senior.id = deep_principal.id \
         WHERE deep_employee.kind = ?",
    );
    let err = s
        .query::<Fellow>()
        .all()
        .map(|v| v.len())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Fellow inherits Principal, whose rows already span 4 tables")
            && err.contains("deeper than 4 tables are not supported"),
        "{err}"
    );
    Ok(())
}
