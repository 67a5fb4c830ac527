//! Seeds 000 and 002 on every backend: sessionmaker, scoped_session (identity per scope,
//! remove(), the "already present" error, scopefunc, threads), the query property,
//! query classes and a declarative base.

mod common;

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;

use aludel::orm::{
    ALREADY_PRESENT, DeclarativeBase, Model, Query, QueryClass, QueryClasses, QueryMethods, Scope,
    ScopedSession, SessionMaker, SessionOptions, create_all, task_scope,
};
use aludel::sql::{Executable, text};
use aludel::{Result, params};
use chrono::NaiveDate;

use common::TestDb;

/// The scoped session behind the models' `query()`; tests that configure it take
/// `STATIC_LOCK` so the three backends' variants do not reconfigure it under each other.
static DB: ScopedSession = ScopedSession::unconfigured();
static STATIC_LOCK: Mutex<()> = Mutex::new(());

fn lock_static() -> MutexGuard<'static, ()> {
    STATIC_LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// Seed 002's `employees` table, queried through `DB` (approach 1 of seed 000).
#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "employees", query = DB)]
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

/// A query class that hides soft-deleted rows and adds `get_by` (seed 000's custom query).
struct LivePosts(Query<Post>);

impl QueryClass<Post> for LivePosts {
    fn from_query(query: Query<Post>) -> Self {
        LivePosts(query.filter(Post::deleted.eq(false)))
    }
    fn as_query(&self) -> &Query<Post> {
        &self.0
    }
    fn with_query(&self, query: Query<Post>) -> Self {
        LivePosts(query)
    }
}

impl LivePosts {
    fn get_by(&self, column: &str, value: &str) -> Result<Option<aludel::orm::Instance<Post>>> {
        self.filter_by(column, value).first()
    }
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "posts", query = DB, query_class = LivePosts)]
struct Post {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 40)]
    title: String,
    deleted: bool,
}

/// A declarative base naming `DB` for all its models (`declarative_base(cls=_Base)`).
struct Base;

impl DeclarativeBase for Base {
    type Query<M: Model> = Query<M>;
    fn scoped_session() -> &'static ScopedSession<impl QueryClasses> {
        &DB
    }
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "some_model", base = Base)]
struct SomeModel {
    #[column(primary_key, max_len = 20)]
    key: String,
    #[column(max_len = 20)]
    value: Option<String>,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn seed_employees(db: &TestDb) -> Result<()> {
    create_all(db, &[Employee::info()])?;
    let s = SessionMaker::new(db).make()?;
    s.add_all([
        Employee {
            emp_no: 10545,
            birth_date: date(1958, 12, 15),
            first_name: "Ewing".into(),
            last_name: "Foong".into(),
            gender: "M".into(),
            hire_date: date(1986, 10, 9),
        },
        Employee {
            emp_no: 11000,
            birth_date: date(1959, 6, 11),
            first_name: "Chikara".into(),
            last_name: "Rissland".into(),
            gender: "M".into(),
            hire_date: date(1994, 6, 10),
        },
        Employee {
            emp_no: 16621,
            birth_date: date(1962, 5, 30),
            first_name: "Parviz".into(),
            last_name: "Strehl".into(),
            gender: "M".into(),
            hire_date: date(1992, 6, 11),
        },
        Employee {
            emp_no: 20000,
            birth_date: date(1960, 1, 1),
            first_name: "Anneke".into(),
            last_name: "Schreiter".into(),
            gender: "F".into(),
            hire_date: date(1990, 1, 1),
        },
    ])?;
    s.commit()
}

backend_tests! {
    fn seed_002_sessionmaker_runs_a_text_like_query(db) {
        seed_employees(db)?;
        let session_factory = SessionMaker::new(db).autoflush(false);
        let session = session_factory.make()?;
        let sql = db.pick(
            "select * from employees where last_name like '%treh%' limit 0, 10",
            "select * from employees where last_name like '%treh%' limit 10 offset 0",
            "select * from employees where last_name like '%treh%' limit 0, 10",
        );
        let mut dataset = session.execute(&text(sql), ())?;
        let rows = dataset.fetchall();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get::<String>("last_name")?, "Strehl");
        // The same query with a bound parameter instead of a literal.
        let bound = session.execute(
            &text("select emp_no from employees where last_name like :p"),
            params! { "p" => "%treh%" },
        )?;
        assert_eq!(bound.scalar::<i32>()?, 16621);
        session.close()
    }

    fn seed_002_scoped_session_identity_remove_and_arguments(db) {
        seed_employees(db)?;
        let session_factory = SessionMaker::new(db).autoflush(false);
        let database_session = ScopedSession::new(session_factory, Scope::function(thread_key));
        let session = database_session.get_with(SessionOptions::default())?;
        let session1 = database_session.get()?;
        assert!(session.ptr_eq(&session1), "1. session is session1: True");
        let err = database_session.get_with(SessionOptions::default()).unwrap_err().to_string();
        assert!(err.contains(ALREADY_PRESENT), "{err}");
        session1.close()?;
        session.close()?;
        database_session.remove()?;
        let session = database_session.get_with(SessionOptions::default())?;
        let session1 = database_session.get()?;
        assert!(session.ptr_eq(&session1));
        let n: i64 = session.scalar(&text("select count(*) from employees"), ())?;
        assert_eq!(n, 4);
        database_session.remove()
    }

    fn seed_000_model_query_and_session_query_are_equivalent(db) {
        let _guard = lock_static();
        seed_employees(db)?;
        DB.configure(SessionMaker::new(db).autoflush(false), Scope::thread());
        let by_property = Employee::query().filter(Employee::emp_no.eq(16621)).first()?.expect("16621");
        let session = DB.get()?;
        let by_session = session.query::<Employee>().filter(Employee::emp_no.eq(16621)).first()?.expect("16621");
        assert!(by_property.ptr_eq(&by_session), "same instance through the same scoped session");
        let a = Employee::query().filter(Employee::emp_no.eq(10545)).statement().compile(db.dialect())?;
        let b = session.query::<Employee>().filter(Employee::emp_no.eq(10545)).statement().compile(db.dialect())?;
        assert_eq!(a.sql, b.sql, "same SQL");
        assert_eq!(by_session.read()?.first_name, "Parviz");
        let other = SessionMaker::new(db).make()?.query::<Employee>().filter(Employee::emp_no.eq(11000)).first()?;
        assert_eq!(other.expect("11000").read()?.last_name, "Rissland");
        DB.remove()
    }

    fn seed_000_query_class_applies_only_to_model_query(db) {
        let _guard = lock_static();
        create_all(db, &[Post::info()])?;
        DB.configure(SessionMaker::new(db), Scope::thread());
        DB.add(Post { id: 0, title: "live".into(), deleted: false })?;
        DB.add(Post { id: 0, title: "gone".into(), deleted: true })?;
        DB.commit()?;
        assert_eq!(Post::query().count()?, 1, "the query class hides deleted rows");
        assert_eq!(Post::query().all()?.len(), 1);
        assert!(Post::query().get_by("title", "gone")?.is_none());
        assert!(Post::query().get_by("title", "live")?.is_some());
        assert_eq!(DB.get()?.query::<Post>().count()?, 2, "session.query() does not use it");
        assert_eq!(DB.query::<Post>().count()?, 2);
        DB.remove()
    }

    fn sessionmaker_query_criteria_apply_to_session_query(db) {
        create_all(db, &[Post::info()])?;
        let plain = SessionMaker::new(db).make()?;
        plain.add_all([Post { id: 0, title: "a".into(), deleted: false }, Post { id: 0, title: "b".into(), deleted: true }])?;
        plain.commit()?;
        let factory = SessionMaker::new(db)
            .query_criteria(|m| m.column_index("deleted").map(|_| Post::deleted.eq(false)));
        let s = factory.make()?;
        assert_eq!(s.query::<Post>().count()?, 1);
        assert!(s.query_as::<LivePosts, Post>().get_by("title", "a")?.is_some());
        assert!(s.query_as::<LivePosts, Post>().get_by("title", "b")?.is_none());
        assert_eq!(plain.query::<Post>().count()?, 2);
        Ok(())
    }

    fn declarative_base_shares_the_query_property(db) {
        let _guard = lock_static();
        create_all(db, &[SomeModel::info()])?;
        DB.configure(SessionMaker::new(db), Scope::thread());
        DB.add(SomeModel { key: "k".into(), value: Some("v".into()) })?;
        let found = SomeModel::query().filter(SomeModel::key.eq("k")).one()?;
        assert_eq!(found.read()?.value.as_deref(), Some("v"));
        DB.remove()
    }

    fn task_scope_keeps_one_session_per_task_across_awaits(db) {
        let scoped = ScopedSession::new(SessionMaker::new(db), Scope::task());
        let task = |n: u64| {
            let scoped = &scoped;
            task_scope(n, async move {
                let first = scoped.get()?;
                YieldOnce(false).await;
                let after = scoped.get()?;
                assert!(first.ptr_eq(&after), "same task, same session after an await");
                after.execute(&text("SELECT 1"), ())?;
                Ok::<u64, aludel::Error>(after.id())
            })
        };
        let (mut a, mut b) = (std::pin::pin!(task(1)), std::pin::pin!(task(2)));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        // Interleave the two tasks on one thread: each yields once in the middle.
        assert!(a.as_mut().poll(&mut cx).is_pending());
        assert!(b.as_mut().poll(&mut cx).is_pending());
        let (Poll::Ready(a), Poll::Ready(b)) = (a.as_mut().poll(&mut cx), b.as_mut().poll(&mut cx)) else {
            panic!("tasks did not finish");
        };
        assert_ne!(a?, b?, "two tasks, two sessions");
        Ok(())
    }

    fn threads_get_their_own_scoped_sessions(db) {
        let scoped = Arc::new(ScopedSession::new(SessionMaker::new(db), Scope::thread()));
        let main_session = scoped.get()?;
        let ids: Vec<u64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let scoped = scoped.clone();
                    s.spawn(move || -> Result<u64> {
                        let a = scoped.get()?;
                        let b = scoped.get()?;
                        assert!(a.ptr_eq(&b), "one thread always gets the same session");
                        a.execute(&text("SELECT 1"), ())?;
                        Ok(a.id())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("thread")).collect::<Result<Vec<u64>>>()
        })?;
        let mut distinct = ids.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 8, "8 threads, 8 sessions");
        assert!(!ids.contains(&main_session.id()));
        assert!(scoped.get()?.ptr_eq(&main_session));
        Ok(())
    }
}

#[test]
fn using_an_unconfigured_scoped_session_is_an_error_not_a_panic() {
    static NOWHERE: ScopedSession = ScopedSession::unconfigured();
    let err = NOWHERE.get().unwrap_err().to_string();
    assert!(err.contains("not configured"), "{err}");
    assert!(NOWHERE.query::<Employee>().all().is_err());
}

/// A future that is pending once, like an await point that yields to the executor.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, _cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

/// `scopefunc=get_ident`: a key per thread.
fn thread_key() -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut h);
    h.finish()
}
