//! The demo: seed 002's employees database, generated, then the seed's walkthrough
//! (sessionmaker, text() LIKE query, scoped sessions, remove(), the "already present"
//! error) and seed 000's `Employee::query()` against `session.query()`, with a custom
//! query class.
//!
//! Run it with `cargo run --example employees` (an SQLite file `employees.db`), or point
//! `DATABASE_URL` at PostgreSQL or MySQL/MariaDB and enable that feature:
//! `DATABASE_URL=postgresql://postgres@127.0.0.1/test cargo run --example employees --features postgres`.

use std::time::Instant;

use aludel::orm::{
    Model, Query, QueryClass, Scope, ScopedSession, SessionMaker, SessionOptions, create_all,
    drop_all,
};
use aludel::prelude::*;
use aludel::sql::{Expr, Table, Value, insert};
use chrono::{Duration, NaiveDate};

/// `database_session = scoped_session(session_factory, scopefunc=get_ident)`, configured in
/// `main` — models can name it before any session exists.
static DATABASE_SESSION: ScopedSession = ScopedSession::unconfigured();

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "employees", query = DATABASE_SESSION)]
struct Employee {
    #[column(primary_key, autoincrement = false)]
    emp_no: i32,
    birth_date: NaiveDate,
    #[column(max_len = 14)]
    first_name: String,
    #[column(max_len = 16)]
    last_name: String,
    #[column(max_len = 1)]
    gender: String,
    hire_date: NaiveDate,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "departments")]
struct Department {
    #[column(primary_key, max_len = 4)]
    dept_no: String,
    #[column(max_len = 40, unique)]
    dept_name: String,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "dept_emp")]
struct DeptEmp {
    #[column(primary_key, foreign_key = "employees.emp_no", on_delete = "cascade")]
    emp_no: i32,
    #[column(
        primary_key,
        max_len = 4,
        foreign_key = "departments.dept_no",
        on_delete = "cascade"
    )]
    dept_no: String,
    from_date: NaiveDate,
    to_date: NaiveDate,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "dept_manager")]
struct DeptManager {
    #[column(primary_key, foreign_key = "employees.emp_no", on_delete = "cascade")]
    emp_no: i32,
    #[column(
        primary_key,
        max_len = 4,
        foreign_key = "departments.dept_no",
        on_delete = "cascade"
    )]
    dept_no: String,
    from_date: NaiveDate,
    to_date: NaiveDate,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "titles")]
struct Title {
    #[column(primary_key, foreign_key = "employees.emp_no", on_delete = "cascade")]
    emp_no: i32,
    #[column(primary_key, max_len = 50)]
    title: String,
    #[column(primary_key)]
    from_date: NaiveDate,
    to_date: Option<NaiveDate>,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "salaries")]
struct Salary {
    #[column(primary_key, foreign_key = "employees.emp_no", on_delete = "cascade")]
    emp_no: i32,
    salary: i32,
    #[column(primary_key)]
    from_date: NaiveDate,
    to_date: NaiveDate,
}

/// A custom query class (seed 000): every query it builds hides employees hired after
/// 1999, and it adds a `get_by` method.
struct VeteranQuery(Query<Employee>);

impl QueryClass<Employee> for VeteranQuery {
    fn from_query(query: Query<Employee>) -> Self {
        VeteranQuery(query.filter(Employee::hire_date.lt(date(2000, 1, 1))))
    }
    fn as_query(&self) -> &Query<Employee> {
        &self.0
    }
    fn with_query(&self, query: Query<Employee>) -> Self {
        VeteranQuery(query)
    }
}

impl VeteranQuery {
    fn get_by(&self, column: &str, value: &str) -> Result<Option<Instance<Employee>>> {
        self.filter_by(column, value).first()
    }
}

const EMPLOYEES: i32 = 300_024;
const FIRST_EMP_NO: i32 = 10_001;
const DEPARTMENTS: [(&str, &str); 9] = [
    ("d001", "Marketing"),
    ("d002", "Finance"),
    ("d003", "Human Resources"),
    ("d004", "Production"),
    ("d005", "Development"),
    ("d006", "Quality Management"),
    ("d007", "Sales"),
    ("d008", "Research"),
    ("d009", "Customer Service"),
];
const FIRST_NAMES: [&str; 16] = [
    "Georgi",
    "Bezalel",
    "Parto",
    "Chirstian",
    "Kyoichi",
    "Anneke",
    "Tzvetan",
    "Saniya",
    "Sumant",
    "Duangkaew",
    "Mary",
    "Patricio",
    "Eberhardt",
    "Berni",
    "Guoxiang",
    "Kazuhito",
];
const LAST_NAMES: [&str; 16] = [
    "Facello",
    "Simmel",
    "Bamford",
    "Koblick",
    "Maliniak",
    "Preusig",
    "Zielinski",
    "Kalloufi",
    "Peac",
    "Piveteau",
    "Sluis",
    "Bridgland",
    "Terkki",
    "Genin",
    "Nooteboom",
    "Strehl",
];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// A deterministic employee for `emp_no`; the three the seeds query are the real ones.
fn employee(emp_no: i32) -> Employee {
    let known = match emp_no {
        16621 => Some((
            "Parviz",
            "Strehl",
            "M",
            date(1962, 5, 30),
            date(1992, 6, 11),
        )),
        10545 => Some(("Ewing", "Foong", "M", date(1958, 12, 15), date(1986, 10, 9))),
        11000 => Some((
            "Chikara",
            "Rissland",
            "M",
            date(1959, 6, 11),
            date(1994, 6, 10),
        )),
        _ => None,
    };
    if let Some((first, last, gender, birth, hire)) = known {
        return Employee {
            emp_no,
            birth_date: birth,
            first_name: first.into(),
            last_name: last.into(),
            gender: gender.into(),
            hire_date: hire,
        };
    }
    let n = emp_no as i64;
    let mix = (n * 2_654_435_761) & 0x7fff_ffff;
    Employee {
        emp_no,
        birth_date: date(1952, 2, 1) + Duration::days(mix % 5000),
        first_name: FIRST_NAMES[(mix % 16) as usize].into(),
        last_name: LAST_NAMES[((mix / 16) % 16) as usize].into(),
        gender: if mix % 2 == 0 { "M" } else { "F" }.into(),
        hire_date: date(1985, 1, 1) + Duration::days((mix / 7) % 6400),
    }
}

/// Inserts `rows` of `model` with multi-row INSERTs of 1,000 rows in one transaction.
fn bulk_insert(
    engine: &Engine,
    model: &'static aludel::orm::ModelInfo,
    rows: impl Iterator<Item = Vec<Value>>,
) -> Result<usize> {
    let table: &Table = &model.table;
    let columns: Vec<&str> = model.columns().iter().map(|c| c.name.as_str()).collect();
    let mut conn = engine.connect()?;
    let mut tx = conn.begin()?;
    let mut total = 0;
    let mut chunk: Vec<Vec<Expr>> = Vec::with_capacity(1000);
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        chunk.extend(
            rows.by_ref()
                .take(1000)
                .map(|r| r.into_iter().map(Expr::Value).collect()),
        );
        total += chunk.len();
        tx.execute(
            &insert(table).rows(&columns, std::mem::take(&mut chunk)),
            (),
        )?;
    }
    tx.commit()?;
    Ok(total)
}

fn build_database(engine: &Engine) -> Result<()> {
    let models = [
        Employee::info(),
        Department::info(),
        DeptEmp::info(),
        DeptManager::info(),
        Title::info(),
        Salary::info(),
    ];
    drop_all(engine, &models)?;
    create_all(engine, &models)?;
    println!(
        "Created the six tables of seed 002 (employees, departments, dept_emp, dept_manager, titles, salaries)."
    );
    let started = Instant::now();
    let emp_nos = || FIRST_EMP_NO..FIRST_EMP_NO + EMPLOYEES;
    let n = bulk_insert(
        engine,
        Department::info(),
        DEPARTMENTS.iter().map(|(no, name)| {
            Department {
                dept_no: (*no).into(),
                dept_name: (*name).into(),
            }
            .values()
        }),
    )?;
    let e = bulk_insert(
        engine,
        Employee::info(),
        emp_nos().map(|no| employee(no).values()),
    )?;
    let dept = |no: i32| DEPARTMENTS[(no % 9) as usize].0.to_string();
    let far = date(9999, 1, 1);
    let de = bulk_insert(
        engine,
        DeptEmp::info(),
        emp_nos().map(|no| {
            DeptEmp {
                emp_no: no,
                dept_no: dept(no),
                from_date: employee(no).hire_date,
                to_date: far,
            }
            .values()
        }),
    )?;
    let dm = bulk_insert(
        engine,
        DeptManager::info(),
        (0..24).map(|i| {
            let no = FIRST_EMP_NO + 100 + i * 1000;
            DeptManager {
                emp_no: no,
                dept_no: dept(no),
                from_date: employee(no).hire_date,
                to_date: far,
            }
            .values()
        }),
    )?;
    let t = bulk_insert(
        engine,
        Title::info(),
        emp_nos().map(|no| {
            let title = [
                "Staff",
                "Engineer",
                "Senior Engineer",
                "Senior Staff",
                "Technique Leader",
                "Assistant Engineer",
            ][(no % 6) as usize];
            Title {
                emp_no: no,
                title: title.into(),
                from_date: employee(no).hire_date,
                to_date: None,
            }
            .values()
        }),
    )?;
    let s = bulk_insert(
        engine,
        Salary::info(),
        emp_nos().map(|no| {
            let hired = employee(no).hire_date;
            Salary {
                emp_no: no,
                salary: 40_000 + (no % 80_000),
                from_date: hired,
                to_date: hired + Duration::days(365),
            }
            .values()
        }),
    )?;
    println!(
        "Generated a deterministic sample in {:.1} s: {e} employees (the size of the public employees database), {n} departments, {de} dept_emp, {dm} dept_manager, {t} titles and {s} salaries (one per employee, fewer than the public database's 2.8 million, to keep the demo fast).",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One value as plain text, the same on every backend (SQLite returns dates as text, the
/// servers as dates).
fn cell(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Text(s) => s.clone(),
        Value::Date(d) => d.to_string(),
        Value::Time(t) => t.to_string(),
        Value::DateTime(t) => t.to_string(),
        Value::DateTimeUtc(t) => t.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Uuid(u) => u.to_string(),
        other => format!("{other:?}"),
    }
}

fn print_rows(rows: &mut aludel::ResultSet) -> Result<()> {
    for row in rows.fetchall() {
        let cells: Vec<String> = row.values().iter().map(cell).collect();
        println!("    ({})", cells.join(", "));
    }
    Ok(())
}

fn main() -> Result<()> {
    let total = Instant::now();
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://employees.db".to_owned());
    let engine = create_engine(&url)?;
    println!(
        "aludel demo on {} ({})\n",
        engine.url(),
        engine.dialect().name()
    );
    build_database(&engine)?;

    println!("\n1. A session from a sessionmaker runs a text() query (seed 002, step 1):");
    let session_factory = SessionMaker::new(&engine).autoflush(false);
    let session = session_factory.make()?;
    let mut dataset = session.execute(
        &text("select * from employees where last_name like :pattern order by emp_no limit 10"),
        params! { "pattern" => "%treh%" },
    )?;
    print_rows(&mut dataset)?;
    session.close()?;

    println!("\n2. A scoped session hands out one session per scope (step 2-3):");
    DATABASE_SESSION.configure(session_factory.clone(), Scope::thread());
    let session = DATABASE_SESSION.get_with(SessionOptions::default())?;
    let session1 = DATABASE_SESSION.get()?;
    println!("    session is session1: {}", session.ptr_eq(&session1));
    println!("3. Passing arguments while a session is present fails:");
    match DATABASE_SESSION.get_with(SessionOptions::default()) {
        Err(e) => println!("    {e}"),
        Ok(_) => println!("    (unexpectedly succeeded)"),
    }
    println!("4. remove() closes and discards it; the next call makes a new one:");
    session.close()?;
    DATABASE_SESSION.remove()?;
    let session2 = DATABASE_SESSION.get_with(SessionOptions::default())?;
    println!(
        "    new session is the old one: {}",
        session2.ptr_eq(&session)
    );

    println!("\n5. Model.query versus session.query(Model) (seed 000):");
    let by_property = Employee::query()
        .filter(Employee::emp_no.eq(16621))
        .first()?;
    if let Some(e) = &by_property {
        println!("    Employee::query()  -> {:?}", *e.read()?);
    }
    // The query property uses the scoped session, so the same row through the session's own
    // query is the same object.
    let by_session = session2
        .query::<Employee>()
        .filter(Employee::emp_no.eq(16621))
        .first()?;
    if let Some(e) = &by_session {
        println!("    session.query()    -> {:?}", *e.read()?);
    }
    if let (Some(a), Some(b)) = (&by_property, &by_session) {
        println!(
            "    the same row through both is the same instance: {}",
            a.ptr_eq(b)
        );
    }
    let from_factory = session_factory
        .make()?
        .query::<Employee>()
        .filter(Employee::emp_no.eq(11000))
        .first()?;
    if let Some(e) = from_factory {
        println!("    sessionmaker session -> {:?}", *e.read()?);
    }

    println!("\n6. A custom query class adds criteria to every query it builds:");
    let veterans = VeteranQuery::from_query(DATABASE_SESSION.query::<Employee>());
    let everyone = session2.query::<Employee>().count()?;
    println!(
        "    session.query(Employee).count() = {everyone}; VeteranQuery count = {}",
        veterans.count()?
    );
    if let Some(e) = veterans.get_by("last_name", "Strehl")? {
        println!(
            "    VeteranQuery.get_by(last_name='Strehl') -> emp_no {}",
            e.read()?.emp_no
        );
    }

    println!("\n7. The unit of work: change objects, commit, the right statements come out:");
    let recorder = engine.record_statements();
    let newcomer = session2.add(Employee {
        emp_no: 500_000,
        birth_date: date(1990, 1, 1),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        gender: "F".into(),
        hire_date: date(2024, 1, 1),
    })?;
    if let Some(e) = &by_property {
        e.write()?.first_name = "Parvis".into();
    }
    session2.commit()?;
    for sql in recorder.statements() {
        println!("    {sql}");
    }
    println!("    the newcomer is now {:?}", newcomer.state());
    DATABASE_SESSION.remove()?;
    // Closing every connection lets SQLite checkpoint its write-ahead log and remove the
    // -wal and -shm files.
    engine.dispose();

    println!("\nDone in {:.1} s.", total.elapsed().as_secs_f64());
    Ok(())
}
