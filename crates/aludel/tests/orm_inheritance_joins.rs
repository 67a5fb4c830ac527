//! Joins into mapped hierarchies, on every backend: along relationships narrowed with
//! `of_type` — a single-table subtype (the discriminator joins the ON clause) and a
//! joined-table subtype (the base table joined to the subtype's own table inside the
//! join) — `with_polymorphic` outer-joining only some subtypes' tables, joined eager
//! loading from a joined-table subtype, and a joined-table subtype aliased flat. The SQL is
//! compared with SQLAlchemy 2.1's for the same mapping.

mod common;

use aludel::Result;
use aludel::orm::{Aliased, Instance, Many, Model, Session};
use aludel::sql::Executable;

use common::TestDb;
use common::sql_text::assert_sql_all;

#[derive(aludel::Model)]
#[model(table = "oft_company")]
struct Company {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    name: String,
    #[relationship]
    staff: Many<Staffer>,
    #[relationship]
    members: Many<Member>,
}

/// Single table: staffers and cooks in `oft_staff`.
#[derive(aludel::Model)]
#[model(table = "oft_staff", polymorphic = "single", polymorphic_on = "kind")]
struct Staffer {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    kind: String,
    #[column(foreign_key = "oft_company.id")]
    company_id: Option<i64>,
}

#[derive(aludel::Model)]
#[model(inherits = Staffer, polymorphic_identity = "cook")]
struct Cook {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    kind: String,
    company_id: Option<i64>,
    #[column(max_len = 20)]
    dish: Option<String>,
}

/// A cook's own subtype, in the same table.
#[derive(aludel::Model)]
#[model(inherits = Cook, polymorphic_identity = "chef")]
struct Chef {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    kind: String,
    company_id: Option<i64>,
    #[column(max_len = 20)]
    dish: Option<String>,
    stars: Option<i64>,
}

/// A sibling of the cooks.
#[derive(aludel::Model)]
#[model(inherits = Staffer, polymorphic_identity = "waiter")]
struct Waiter {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    kind: String,
    company_id: Option<i64>,
}

/// The cooks and their own subtype: what SQLAlchemy's `of_type(Cook)` means.
#[derive(aludel::Polymorphic)]
enum AnyCook {
    Cook(Instance<Cook>),
    Chef(Instance<Chef>),
}

/// Variants that do not descend from one of them (only named in a refused `of_type`).
#[derive(aludel::Polymorphic)]
#[expect(dead_code, reason = "never loaded: the query naming it is refused")]
enum ChefOrWaiter {
    Chef(Instance<Chef>),
    Waiter(Instance<Waiter>),
}

/// Joined table: members in `oft_member`, coders' own columns in `oft_coder`.
#[derive(aludel::Model)]
#[model(table = "oft_member", polymorphic = "joined", polymorphic_on = "kind")]
struct Member {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    kind: String,
    #[column(foreign_key = "oft_company.id")]
    company_id: Option<i64>,
}

#[derive(aludel::Model)]
#[model(table = "oft_coder", inherits = Member, polymorphic_identity = "coder")]
struct Coder {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    kind: String,
    company_id: Option<i64>,
    #[column(max_len = 20)]
    language: Option<String>,
    /// A relationship declared on a joined-table subtype.
    #[relationship]
    gadgets: Many<Gadget>,
}

#[derive(aludel::Model)]
#[model(table = "oft_gadget")]
struct Gadget {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "oft_coder.id")]
    coder_id: Option<i64>,
    #[column(max_len = 20)]
    label: String,
}

#[derive(aludel::Model)]
#[model(table = "oft_lead", inherits = Member, polymorphic_identity = "lead")]
struct Lead {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    kind: String,
    company_id: Option<i64>,
    budget: Option<i64>,
}

#[derive(aludel::Polymorphic)]
enum AnyMember {
    Member(Instance<Member>),
    Coder(Instance<Coder>),
    Lead(Instance<Lead>),
}

fn sql(q: &impl Executable) -> String {
    q.compile(&aludel::dialects::Sqlite)
        .map(|c| c.sql)
        .unwrap_or_else(|e| format!("ERROR: {e}"))
}

/// SQLAlchemy 2.1: `select(Company.id).join(Company.employees.of_type(Engineer))` on a
/// joined-table hierarchy gives `JOIN (employee JOIN engineer ON employee.id =
/// engineer.id) ON company.id = employee.company_id` (no discriminator criterion: the
/// inner join keeps to engineers); on a single-table one `JOIN worker ON shop.id =
/// worker.shop_id AND worker.kind IN (...)`.
#[test]
fn of_type_joins_the_subtype_as_sqlalchemy_does() -> Result<()> {
    let engine = aludel::create_engine("sqlite://")?;
    let s = Session::new(&engine);
    let joined = s
        .query::<Company>()
        .with_entities((Company::id,))
        .join_rel(Company::members.of_type::<Coder>())
        .filter_by("language", "rust");
    assert_sql_all(
        joined.statement(),
        "SELECT oft_company.id FROM oft_company JOIN (oft_member JOIN oft_coder ON oft_member.id = oft_coder.id) \
         ON oft_company.id = oft_member.company_id WHERE oft_coder.language = ?",
    );
    let outer = s
        .query::<Company>()
        .with_entities((Company::id,))
        .outerjoin_rel(Company::members.of_type::<Coder>());
    assert_sql_all(
        outer.statement(),
        "SELECT oft_company.id FROM oft_company LEFT OUTER JOIN (oft_member JOIN oft_coder ON oft_member.id = oft_coder.id) \
         ON oft_company.id = oft_member.company_id",
    );
    let single = s
        .query::<Company>()
        .with_entities((Company::id,))
        .join_rel(Company::staff.of_type::<Cook>())
        .filter_by("dish", "soup");
    assert_sql_all(
        single.statement(),
        "SELECT oft_company.id FROM oft_company JOIN oft_staff ON oft_company.id = oft_staff.company_id \
         AND oft_staff.kind IN (?) WHERE oft_staff.dish = ?",
    );
    // of_type of the declared target itself is the plain join.
    let plain = s
        .query::<Company>()
        .with_entities((Company::id,))
        .join_rel(Company::staff.of_type::<Staffer>());
    assert_eq!(
        sql(plain.statement()),
        "SELECT oft_company.id FROM oft_company JOIN oft_staff ON oft_company.id = oft_staff.company_id"
    );
    Ok(())
}

/// SQLAlchemy 2.1, `select(Company.id).join(Company.staff.of_type(Cook)).where(Cook.dish
/// == "soup")` with `Chef(Cook)` in the same table: `AND oft_staff.kind IN ('cook',
/// 'chef')` (a POSTCOMPILE list; aludel binds one placeholder per value).
#[test]
fn of_type_an_enum_lists_every_variant_on_a_single_table() -> Result<()> {
    let engine = aludel::create_engine("sqlite://")?;
    let s = Session::new(&engine);
    let q = s
        .query::<Company>()
        .with_entities((Company::id,))
        .join_rel(Company::staff.of_type::<AnyCook>())
        .filter_by("dish", "soup");
    common::sql_text::assert_sql(
        q.statement(),
        "SELECT oft_company.id FROM oft_company JOIN oft_staff ON oft_company.id = oft_staff.company_id \
         AND oft_staff.kind IN (?, ?) WHERE oft_staff.dish = ?",
        "SELECT oft_company.id FROM oft_company JOIN oft_staff ON oft_company.id = oft_staff.company_id \
         AND oft_staff.kind IN ($1, $2) WHERE oft_staff.dish = $3",
        "SELECT oft_company.id FROM oft_company JOIN oft_staff ON oft_company.id = oft_staff.company_id \
         AND oft_staff.kind IN (?, ?) WHERE oft_staff.dish = ?",
    );
    // An enum with the base is the whole hierarchy: no criterion.
    let whole = s
        .query::<Company>()
        .with_entities((Company::id,))
        .join_rel(Company::staff.of_type::<AnyStaffer>());
    assert_eq!(
        sql(whole.statement()),
        "SELECT oft_company.id FROM oft_company JOIN oft_staff ON oft_company.id = oft_staff.company_id"
    );
    // Variants that do not descend from one of them have no join point.
    let stray = s
        .query::<Company>()
        .join_rel(Company::staff.of_type::<ChefOrWaiter>());
    let err = sql(stray.statement());
    assert!(
        err.contains("Company.staff") && err.contains("Chef is not Waiter or a subtype of it"),
        "{err}"
    );
    Ok(())
}

#[test]
fn of_type_outside_the_targets_hierarchy_is_an_error() -> Result<()> {
    let engine = aludel::create_engine("sqlite://")?;
    let q = Session::new(&engine)
        .query::<Company>()
        .join_rel(Company::staff.of_type::<Coder>());
    let err = sql(q.statement());
    assert!(
        err.contains("Company.staff") && err.contains("Coder is not a subtype of Staffer"),
        "{err}"
    );
    Ok(())
}

#[derive(aludel::Polymorphic)]
enum AnyStaffer {
    Staffer(Instance<Staffer>),
    Cook(Instance<Cook>),
    Chef(Instance<Chef>),
    Waiter(Instance<Waiter>),
}

backend_tests! {
    fn of_type_an_enum_keeps_to_its_variants_rows(db) {
        aludel::orm::create_all(db, &[Company::info(), Staffer::info(), Cook::info(), Chef::info(), Waiter::info()])?;
        let s = Session::new(db);
        for (id, name) in [(1, "diner"), (2, "bank"), (3, "shop")] {
            s.add(Company { id, name: name.into(), staff: Many::new(), members: Many::new() })?;
        }
        s.flush()?;
        // The diner has a chef, the bank a cook, the shop a waiter.
        s.add(Chef { id: 10, kind: String::new(), company_id: Some(1), dish: Some("soup".into()), stars: Some(2) })?;
        s.add(Cook { id: 11, kind: String::new(), company_id: Some(2), dish: Some("soup".into()) })?;
        s.add(Waiter { id: 12, kind: String::new(), company_id: Some(3) })?;
        s.commit()?;
        let names = |q: aludel::orm::Query<Company>| -> Result<Vec<String>> {
            q.order_by(Company::id.asc()).all()?.iter().map(|c| Ok(c.read()?.name.clone())).collect()
        };
        let q = s.query::<Company>();
        // Cook exactly (as query::<Cook>()), the cooks with their subtype, everybody.
        assert_eq!(names(q.clone().join_rel(Company::staff.of_type::<Cook>()).filter_by("dish", "soup"))?, ["bank"]);
        assert_eq!(names(q.clone().join_rel(Company::staff.of_type::<AnyCook>()).filter_by("dish", "soup"))?, ["diner", "bank"]);
        assert_eq!(names(q.join_rel(Company::staff.of_type::<AnyStaffer>()))?, ["diner", "bank", "shop"]);
        // The same enums load the rows the joins kept to.
        let cooks = s.query_polymorphic::<AnyCook>().order_by(Staffer::id.asc()).all()?;
        let [AnyCook::Chef(chef), AnyCook::Cook(cook)] = &cooks[..] else { panic!("a chef, then a cook") };
        assert_eq!((chef.read()?.stars, cook.read()?.id), (Some(2), 11));
        let kinds = s.query_polymorphic::<AnyStaffer>().order_by(Staffer::id.asc()).all()?.iter().map(|e| Ok(match e {
            AnyStaffer::Staffer(x) => x.read()?.kind.clone(),
            AnyStaffer::Cook(x) => x.read()?.kind.clone(),
            AnyStaffer::Chef(x) => x.read()?.kind.clone(),
            AnyStaffer::Waiter(x) => x.read()?.kind.clone(),
        })).collect::<Result<Vec<String>>>()?;
        assert_eq!(kinds, ["chef", "cook", "waiter"]);
        Ok(())
    }

    fn of_type_joins_keep_to_the_subtypes_rows(db) {
        aludel::orm::create_all(db, &[Company::info(), Staffer::info(), Cook::info(), Member::info(), Coder::info()])?;
        let s = Session::new(db);
        for (id, name) in [(1, "diner"), (2, "bank")] {
            s.add(Company { id, name: name.into(), staff: Many::new(), members: Many::new() })?;
        }
        s.flush()?;
        // The diner has a cook and a coder; the bank only a plain staffer and a plain
        // member, whose rows a join without of_type would match as well.
        s.add(Cook { id: 10, kind: String::new(), company_id: Some(1), dish: Some("soup".into()) })?;
        s.add(Staffer { id: 11, kind: String::new(), company_id: Some(2) })?;
        s.add(Coder { id: 20, kind: String::new(), company_id: Some(1), language: Some("rust".into()), gadgets: Many::new() })?;
        s.add(Member { id: 21, kind: String::new(), company_id: Some(2) })?;
        s.commit()?;

        let names = |q: aludel::orm::Query<Company>| -> Result<Vec<String>> {
            q.order_by(Company::id.asc()).all()?.iter().map(|c| Ok(c.read()?.name.clone())).collect()
        };
        let q = s.query::<Company>();
        assert_eq!(names(q.join_rel(Company::staff))?, ["diner", "bank"]);
        assert_eq!(names(q.join_rel(Company::staff.of_type::<Cook>()))?, ["diner"]);
        assert_eq!(names(q.join_rel(Company::staff.of_type::<Cook>()).filter_by("dish", "soup"))?, ["diner"]);
        assert_eq!(names(q.join_rel(Company::staff.of_type::<Cook>()).filter_by("dish", "stew"))?, Vec::<String>::new());
        assert_eq!(names(q.join_rel(Company::members))?, ["diner", "bank"]);
        assert_eq!(names(q.join_rel(Company::members.of_type::<Coder>()))?, ["diner"]);
        assert_eq!(names(q.join_rel(Company::members.of_type::<Coder>()).filter(Coder::language.eq("rust")))?, ["diner"]);
        // An outer join keeps every company; the subtype's columns are NULL where there is none.
        let rows = q
            .with_entities((Company::name, Coder::language))
            .outerjoin_rel(Company::members.of_type::<Coder>())
            .order_by(Company::id.asc())
            .all()?;
        assert_eq!(rows, [("diner".to_string(), Some("rust".to_string())), ("bank".to_string(), None)]);
        Ok(())
    }
}

/// SQLAlchemy 2.1's `select(with_polymorphic(Employee, [Engineer]))` outer-joins only the
/// engineer table; aludel's statement has the same FROM (its columns are listed once,
/// discriminator first).
#[test]
fn with_polymorphic_joins_only_the_named_subtypes() -> Result<()> {
    let engine = aludel::create_engine("sqlite://")?;
    let s = Session::new(&engine);
    let all = s.query_polymorphic::<AnyMember>();
    assert_sql_all(
        all.statement(),
        "SELECT oft_member.kind, oft_member.id, oft_member.company_id, oft_coder.language, oft_lead.budget FROM oft_member \
         LEFT OUTER JOIN oft_coder ON oft_member.id = oft_coder.id LEFT OUTER JOIN oft_lead ON oft_member.id = oft_lead.id",
    );
    // Criteria and ordering given before with_polymorphic are kept.
    let coders = all
        .filter(Member::id.gt(0))
        .order_by(Member::id.asc())
        .with_polymorphic(&[Coder::info()]);
    assert_sql_all(
        coders.statement(),
        "SELECT oft_member.kind, oft_member.id, oft_member.company_id, oft_coder.language FROM oft_member \
         LEFT OUTER JOIN oft_coder ON oft_member.id = oft_coder.id WHERE oft_member.id > ? ORDER BY oft_member.id ASC",
    );
    let none = all.with_polymorphic(&[]);
    assert_sql_all(
        none.statement(),
        "SELECT oft_member.kind, oft_member.id, oft_member.company_id FROM oft_member",
    );
    Ok(())
}

backend_tests! {
    fn with_polymorphic_loads_the_other_subtypes_by_key_afterwards(db) {
        aludel::orm::create_all(db, &[Company::info(), Member::info(), Coder::info(), Lead::info()])?;
        let s = Session::new(db);
        s.add(Member { id: 1, kind: String::new(), company_id: None })?;
        s.add(Coder { id: 2, kind: String::new(), company_id: None, language: Some("rust".into()), gadgets: Many::new() })?;
        s.add(Lead { id: 3, kind: String::new(), company_id: None, budget: Some(30) })?;
        s.add(Lead { id: 4, kind: String::new(), company_id: None, budget: Some(40) })?;
        s.commit()?;

        let fresh = Session::new(db);
        let rec = db.record_statements();
        let rows = fresh
            .query_polymorphic::<AnyMember>()
            .order_by(Member::id.asc())
            .with_polymorphic(&[Coder::info()])
            .all()?;
        let selects: Vec<String> = rec.statements().into_iter().filter(|q| q.starts_with("SELECT")).collect();
        // One statement for the rows, one for both leads' own columns (by key), not one per lead.
        assert_eq!(selects.len(), 2, "{selects:?}");
        assert!(!selects[0].contains("oft_lead") && selects[0].contains("LEFT OUTER JOIN oft_coder"), "{selects:?}");
        assert!(selects[1].contains("JOIN oft_lead") && selects[1].contains(" IN ("), "{selects:?}");
        match &rows[..] {
            [AnyMember::Member(m), AnyMember::Coder(c), AnyMember::Lead(a), AnyMember::Lead(b)] => {
                assert_eq!(m.read()?.id, 1);
                assert_eq!(c.read()?.language.as_deref(), Some("rust"));
                assert_eq!((a.read()?.id, a.read()?.budget), (3, Some(30)));
                assert_eq!((b.read()?.id, b.read()?.budget), (4, Some(40)));
            }
            _ => panic!("each row as its own type, in order"),
        }
        assert_eq!(rec.statements().iter().filter(|q| q.starts_with("SELECT")).count(), 2, "no SQL on access");

        // No lead among the rows: no second statement.
        let rec = db.record_statements();
        let rows = Session::new(db)
            .query_polymorphic::<AnyMember>()
            .filter(Member::id.lt(3))
            .with_polymorphic(&[Coder::info()])
            .all()?;
        assert_eq!(rows.len(), 2);
        assert_eq!(rec.statements().iter().filter(|q| q.starts_with("SELECT")).count(), 1);
        Ok(())
    }
}

backend_tests! {
    fn joinedload_from_a_joined_subtype_reads_both_its_tables(db) {
        aludel::orm::create_all(db, &[Company::info(), Member::info(), Coder::info(), Gadget::info()])?;
        let s = Session::new(db);
        s.add(Coder { id: 2, kind: String::new(), company_id: None, language: Some("rust".into()), gadgets: Many::new() })?;
        s.flush()?;
        for (id, label) in [(1, "pen"), (2, "pad")] {
            s.add(Gadget { id, coder_id: Some(2), label: label.into() })?;
        }
        s.commit()?;
        let fresh = Session::new(db);
        let rec = db.record_statements();
        let coders = fresh.query::<Coder>().options(aludel::orm::joinedload(Coder::gadgets)).all()?;
        let selects: Vec<String> =
            rec.statements().into_iter().filter(|q| q.starts_with("SELECT")).map(|q| q.replace("$1", "?")).collect();
        assert_eq!(
            selects,
            ["SELECT oft_member.id, oft_member.kind, oft_member.company_id, oft_coder.language, oft_gadget_1.id, \
              oft_gadget_1.coder_id, oft_gadget_1.label FROM oft_member JOIN oft_coder ON oft_member.id = oft_coder.id \
              LEFT OUTER JOIN oft_gadget AS oft_gadget_1 ON oft_member.id = oft_gadget_1.coder_id WHERE oft_member.kind = ?"]
        );
        assert_eq!(coders.len(), 1, "the coder once, though two rows");
        let labels: Vec<String> = coders[0].read()?.gadgets.all()?.iter().map(|g| Ok(g.read()?.label.clone())).collect::<Result<_>>()?;
        assert_eq!(labels.len(), 2);
        assert!(labels.contains(&"pen".to_string()) && labels.contains(&"pad".to_string()));
        assert_eq!(rec.statements().iter().filter(|q| q.starts_with("SELECT")).count(), 1, "no SQL on access");
        Ok(())
    }
}

/// Company 1, "diner", with coders 20 (rust) and 21 (go), committed.
fn diner_with_two_coders(db: &TestDb) -> Result<Session> {
    aludel::orm::create_all(
        db,
        &[
            Company::info(),
            Member::info(),
            Coder::info(),
            Gadget::info(),
        ],
    )?;
    let s = Session::new(db);
    s.add(Company {
        id: 1,
        name: "diner".into(),
        staff: Many::new(),
        members: Many::new(),
    })?;
    s.flush()?;
    s.add(Coder {
        id: 20,
        kind: String::new(),
        company_id: Some(1),
        language: Some("rust".into()),
        gadgets: Many::new(),
    })?;
    s.add(Coder {
        id: 21,
        kind: String::new(),
        company_id: Some(1),
        language: Some("go".into()),
        gadgets: Many::new(),
    })?;
    s.commit()?;
    Ok(s)
}

backend_tests! {
    fn a_joined_subtype_is_aliased_table_by_table(db) {
        // SQLAlchemy 2.1: `aliased(Engineer, flat=True, name="e")` joined to company gives
        // `JOIN (employee AS e_employee JOIN engineer AS e_engineer ON e_employee.id =
        // e_engineer.id) ON company.id = e_employee.company_id`.
        let s = diner_with_two_coders(db)?;
        let e = Aliased::<Coder>::new("e");
        let q = s
            .query::<Company>()
            .join_item(e.from_item().clone(), Company::id.eq(e.c("company_id")))
            .filter(e.c("language").eq("rust"))
            .add_aliased(&e);
        assert_sql_all(
            q.statement(),
            "SELECT oft_company.id, oft_company.name, e_oft_member.id, e_oft_member.kind, e_oft_member.company_id, \
             e_oft_coder.language FROM oft_company JOIN (oft_member AS e_oft_member JOIN oft_coder AS e_oft_coder \
             ON e_oft_member.id = e_oft_coder.id) ON oft_company.id = e_oft_member.company_id WHERE e_oft_coder.language = ?",
        );
        let rows = q.all()?;
        assert_eq!(rows.len(), 1);
        let (company, coder) = &rows[0];
        assert_eq!(company.read()?.name, "diner");
        let coder = coder.as_ref().expect("the join matched");
        assert_eq!((coder.read()?.id, coder.read()?.language.as_deref()), (20, Some("rust")));
        assert!(coder.ptr_eq(&s.get::<Coder>(20)?.expect("in the session")));
        Ok(())
    }

    fn an_anonymous_alias_of_a_joined_subtype_names_each_table(db) {
        // SQLAlchemy 2.1: `aliased(Coder, flat=True)` joined to company gives `JOIN
        // (oft_member AS oft_member_1 JOIN oft_coder AS oft_coder_1 ON oft_member_1.id =
        // oft_coder_1.id) ON oft_company.id = oft_member_1.company_id`.
        let s = diner_with_two_coders(db)?;
        let q = s.query::<Company>();
        let e = q.anon_aliased::<Coder>();
        let q = q
            .join_item(e.from_item().clone(), Company::id.eq(e.c("company_id")))
            .filter(e.c("language").eq("go"))
            .add_aliased(&e);
        assert_sql_all(
            q.statement(),
            "SELECT oft_company.id, oft_company.name, oft_member_1.id, oft_member_1.kind, oft_member_1.company_id, \
             oft_coder_1.language FROM oft_company JOIN (oft_member AS oft_member_1 JOIN oft_coder AS oft_coder_1 \
             ON oft_member_1.id = oft_coder_1.id) ON oft_company.id = oft_member_1.company_id WHERE oft_coder_1.language = ?",
        );
        let second = q.anon_aliased::<Coder>();
        assert_eq!(second.name(), "oft_coder_2", "the names already joined are not given again");
        assert_sql_all(
            &aludel::sql::select([second.c("id"), second.c("language")]).from(second.from_item().clone()),
            "SELECT oft_member_2.id, oft_coder_2.language FROM oft_member AS oft_member_2 \
             JOIN oft_coder AS oft_coder_2 ON oft_member_2.id = oft_coder_2.id",
        );
        let rows = q.all()?;
        assert_eq!(rows.len(), 1);
        let coder = rows[0].1.as_ref().expect("the join matched");
        assert_eq!((coder.read()?.id, coder.read()?.language.as_deref()), (21, Some("go")));
        assert!(coder.ptr_eq(&s.get::<Coder>(21)?.expect("in the session")));
        Ok(())
    }
}
