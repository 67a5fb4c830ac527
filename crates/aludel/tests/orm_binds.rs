//! Binds (`Session::with_binds`): models and tables bound to different engines in one
//! session, resolved model first, then table, then the default bind, else an "unbound"
//! error naming the model; queries, lazy loads and flushes go to each model's engine, and
//! commit (two-phase when asked) ends the transaction on every engine. On every backend
//! against a second SQLite file, and between two PostgreSQL clusters (5433/5434,
//! `scripts/engines.sh`).

mod common;

use aludel::engine::Backend;
use aludel::orm::{
    Binds, DeclarativeBase, Instance, Many, Model, One, Query, ScopedSession, Session,
    SessionConfig, SessionMaker, SynchronizeSession, create_all, joinedload, selectinload,
};
use aludel::sql::text;
use aludel::{Engine, Result, StatementRecorder};

use common::{TestDb, run_on_servers};

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "accounts")]
struct Account {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 40)]
    owner: String,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "authors")]
struct Author {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 40)]
    name: String,
    #[relationship(back_populates = "author", order_by = "id")]
    books: Many<Book>,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "books")]
struct Book {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "authors.id")]
    author_id: Option<i64>,
    #[column(max_len = 40)]
    title: String,
    #[relationship(back_populates = "books")]
    author: One<Author>,
}

static ARCHIVE_DB: ScopedSession = ScopedSession::unconfigured();

/// A declarative base: its models can be bound together (`Binds::base`).
struct Archive;

impl DeclarativeBase for Archive {
    type Query<M: Model> = Query<M>;
    fn scoped_session() -> &'static ScopedSession<impl aludel::orm::QueryClasses> {
        &ARCHIVE_DB
    }
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "archived_orders", base = Archive)]
struct ArchivedOrder {
    #[column(primary_key)]
    id: i64,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "archived_notes", base = Archive)]
struct ArchivedNote {
    #[column(primary_key)]
    id: i64,
}

#[derive(aludel::Model, Debug)]
#[model(table = "vehicles", polymorphic = "single", polymorphic_on = "kind")]
struct Vehicle {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    kind: String,
}

#[derive(aludel::Model, Debug)]
#[model(inherits = Vehicle, polymorphic_identity = "truck")]
struct Truck {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    kind: String,
    load_kg: Option<i64>,
}

#[derive(aludel::Polymorphic, Debug)]
enum AnyVehicle {
    Vehicle(Instance<Vehicle>),
    Truck(Instance<Truck>),
}

fn account(id: i64, owner: &str) -> Account {
    Account {
        id,
        owner: owner.into(),
    }
}

fn author(id: i64, name: &str) -> Author {
    Author {
        id,
        name: name.into(),
        books: Many::new(),
    }
}

fn book(id: i64, title: &str) -> Book {
    Book {
        id,
        author_id: None,
        title: title.into(),
        author: One::new(),
    }
}

/// A fresh SQLite file engine for `test` (removed first).
fn sqlite_file(test: &str, backend: Backend) -> Result<Engine> {
    let path = std::env::temp_dir().join(format!(
        "aludel_binds_{}_{}_{}.db",
        test,
        backend.name(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    aludel::create_engine(&format!("sqlite:///{}", path.display()))
}

fn count(engine: &Engine, table: &str) -> Result<i64> {
    engine
        .connect()?
        .scalar::<i64>(&text(format!("SELECT count(*) FROM {table}")), ())
}

backend_tests! {
    fn models_bound_to_two_engines_write_read_and_commit_through_their_own(db) {
        let library = sqlite_file("two_engines", db.backend())?;
        create_all(db, &[Account::info()])?;
        create_all(&library, &[Author::info(), Book::info()])?;
        // Author by model, Book by its table, Account by the default bind.
        let binds = Binds::new().bind(&**db).model::<Author>(&library).table("books", &library);
        let on_db = db.record_statements();
        let on_library = library.record_statements();

        let s = Session::with_binds(binds.clone(), SessionConfig::default());
        s.add(account(1, "ada"))?;
        let tolkien = s.add(author(1, "tolkien"))?;
        let hobbit = s.add(book(1, "the hobbit"))?;
        let silmarillion = s.add(book(2, "the silmarillion"))?;
        tolkien.read()?.books.push(&hobbit)?;
        tolkien.read()?.books.push(&silmarillion)?;
        s.commit()?;
        assert!(!s.in_transaction());

        // Each engine got its own rows, and only its own.
        assert_eq!(count(db, "accounts")?, 1);
        assert_eq!(count(&library, "authors")?, 1);
        assert_eq!(count(&library, "books")?, 2);
        let db_sql = on_db.statements();
        let library_sql = on_library.statements();
        assert!(db_sql.iter().any(|q| q.contains("INSERT INTO accounts")), "{db_sql:?}");
        assert!(!db_sql.iter().any(|q| q.contains("authors") || q.contains("books")), "{db_sql:?}");
        assert!(library_sql.iter().any(|q| q.contains("INSERT INTO books")), "{library_sql:?}");
        assert!(!library_sql.iter().any(|q| q.contains("accounts")), "{library_sql:?}");

        // Queries, get and lazy loads in a new session go to each model's engine.
        let s = Session::with_binds(binds, SessionConfig::default());
        let (db_before, library_before) = (on_db.count(), on_library.count());
        let authors = s.query::<Author>().all()?;
        assert_eq!(authors.len(), 1);
        let books = authors[0].read()?.books.all()?;
        let titles: Vec<String> = books.iter().map(|b| b.read().map(|b| b.title.clone())).collect::<Result<_>>()?;
        assert_eq!(titles, ["the hobbit", "the silmarillion"]);
        let again = s.get::<Book>(1)?.expect("book 1");
        assert!(again.ptr_eq(&books[0]));
        assert_eq!(on_db.count(), db_before, "{:?}", on_db.statements());
        let account = s.get::<Account>(1)?.expect("account 1");
        assert_eq!(account.read()?.owner, "ada");
        assert!(on_db.count() > db_before);
        assert!(on_library.count() >= library_before + 2);

        // A streamed query runs on its model's engine too, and gives the connection back.
        let before = on_library.count();
        let mut streamed = Vec::new();
        let rows = s.query::<Book>().yield_per(1).for_each(|b| {
            streamed.push(b.read()?.id);
            Ok(())
        })?;
        assert_eq!((rows, streamed), (2, vec![1, 2]));
        assert_eq!(on_library.count(), before + 1);
        assert_eq!(s.query::<Account>().count()?, 1);

        // A bulk UPDATE that fetches what it changed: on the model's engine, both steps.
        let n = s
            .query::<Book>()
            .filter(Book::id.eq(2))
            .update([(Book::title, "the silmarillion, revised")], SynchronizeSession::Fetch)?;
        assert_eq!(n, 1);
        assert_eq!(books[1].read()?.title, "the silmarillion, revised");

        // A change to each, rolled back: neither engine keeps it.
        account.write()?.owner = "grace".into();
        books[0].write()?.title = "there and back again".into();
        s.flush()?;
        s.rollback()?;
        assert_eq!(account.read()?.owner, "ada");
        assert_eq!(books[0].read()?.title, "the hobbit");
        Ok(())
    }

    fn savepoints_hold_on_every_engine_of_the_session(db) {
        let library = sqlite_file("savepoints", db.backend())?;
        create_all(db, &[Account::info()])?;
        create_all(&library, &[Author::info(), Book::info()])?;
        let binds = Binds::new().bind(&**db).model::<Author>(&library).table("books", &library);
        let on_library = library.record_statements();
        let s = Session::with_binds(binds, SessionConfig::default());
        s.add(account(1, "ada"))?;
        s.flush()?;
        // The library is first used inside the savepoint: it opens the savepoint too.
        let sp = s.begin_nested()?;
        s.add(account(2, "grace"))?;
        s.add(author(1, "tolkien"))?;
        s.flush()?;
        sp.rollback()?;
        assert!(s.get::<Account>(2)?.is_none());
        assert!(s.get::<Author>(1)?.is_none());
        let sent = on_library.statements();
        assert!(sent.iter().any(|q| q.starts_with("SAVEPOINT")), "{sent:?}");
        assert!(sent.iter().any(|q| q.starts_with("ROLLBACK TO SAVEPOINT")), "{sent:?}");
        // Released: its work stays in both transactions.
        let sp = s.begin_nested()?;
        s.add(account(3, "hopper"))?;
        s.add(author(2, "le guin"))?;
        sp.commit()?;
        // A flush that fails on one engine inside a savepoint: both go back to it.
        let sp = s.begin_nested()?;
        s.add(account(4, "lovelace"))?;
        s.add(author(2, "a duplicate key"))?;
        assert!(s.flush().is_err());
        sp.rollback()?;
        s.commit()?;
        let owners: Vec<i64> = db
            .connect()?
            .execute(&text("SELECT id FROM accounts ORDER BY id"), ())?
            .fetchall()
            .into_iter()
            .map(|r| r.get::<i64>(0))
            .collect::<Result<_>>()?;
        assert_eq!(owners, [1, 3]);
        assert_eq!(count(&library, "authors")?, 1);
        Ok(())
    }

    fn a_declarative_base_binds_its_models_after_model_and_parent_binds(db) {
        let archive = sqlite_file("bases", db.backend())?;
        create_all(&archive, &[ArchivedOrder::info(), ArchivedNote::info(), Vehicle::info(), Truck::info()])?;
        create_all(db, &[ArchivedNote::info(), ArchivedOrder::info()])?;
        // The base wins over the table bind; the model bind wins over the base.
        let binds = Binds::new()
            .bind(&**db)
            .table("archived_orders", &**db)
            .base::<Archive>(&archive)
            .model::<ArchivedNote>(&**db)
            .model::<Vehicle>(&archive);
        let s = Session::with_binds(binds, SessionConfig::default());
        s.add(ArchivedOrder { id: 1 })?;
        s.add(ArchivedNote { id: 2 })?;
        // Truck has no bind of its own: it inherits Vehicle's.
        s.add(Truck { id: 3, kind: "truck".into(), load_kg: Some(900) })?;
        s.add(Vehicle { id: 4, kind: "Vehicle".into() })?;
        s.commit()?;
        assert_eq!((count(&archive, "archived_orders")?, count(db, "archived_orders")?), (1, 0));
        assert_eq!((count(&archive, "archived_notes")?, count(db, "archived_notes")?), (0, 1));
        assert_eq!(count(&archive, "vehicles")?, 2);

        // A polymorphic query goes where its hierarchy is bound.
        let on_archive = archive.record_statements();
        let vehicles = s.query_polymorphic::<AnyVehicle>().order_by(Vehicle::id).all()?;
        let [AnyVehicle::Truck(truck), AnyVehicle::Vehicle(plain)] = &vehicles[..] else {
            panic!("a truck then a vehicle: {vehicles:?}");
        };
        assert_eq!((truck.read()?.load_kg, plain.read()?.id), (Some(900), 4));
        let sent = on_archive.statements();
        assert_eq!(sent.iter().filter(|q| q.starts_with("SELECT")).count(), 1, "{sent:?}");
        // So does a from_statement query, by its model.
        let orders = s
            .query::<ArchivedOrder>()
            .from_statement(text("SELECT id FROM archived_orders"))
            .all()?;
        assert_eq!(orders.len(), 1);
        Ok(())
    }

    fn lazy_and_selectin_loads_go_to_the_targets_engine_and_joined_loads_are_refused(db) {
        let library = sqlite_file("across", db.backend())?;
        create_all(&library, &[Author::info()])?;
        create_all(db, &[Author::info(), Book::info()])?;
        // Each engine written on its own (a flush does not link objects across engines).
        // The books' database has its own author 1 (for its foreign key): a read that
        // went there instead of the library would show "shadow".
        let a = Session::new(&library);
        a.add(author(1, "le guin"))?;
        a.commit()?;
        let b = Session::new(db);
        b.add(author(1, "shadow"))?;
        for (id, title) in [(1, "earthsea"), (2, "the dispossessed")] {
            b.add(Book { author_id: Some(1), ..book(id, title) })?;
        }
        b.commit()?;

        let binds = Binds::new().model::<Author>(&library).model::<Book>(&**db);
        let (on_db, on_library) = (db.record_statements(), library.record_statements());
        let s = Session::with_binds(binds.clone(), SessionConfig::default());
        let le_guin = s.query::<Author>().one()?;
        assert_eq!(le_guin.read()?.name, "le guin");
        let books = le_guin.read()?.books.all()?;
        assert_eq!(books.len(), 2);
        let selects = |rec: &StatementRecorder, table: &str| {
            rec.statements().iter().filter(|q| q.starts_with("SELECT") && q.contains(table)).count()
        };
        assert_eq!((selects(&on_library, "authors"), selects(&on_db, "books")), (1, 1));
        assert_eq!(selects(&on_library, "books"), 0);
        // The many-to-one back: the author is in the identity map.
        assert!(books[0].read()?.author.get()?.expect("author").ptr_eq(&le_guin));

        let s = Session::with_binds(binds.clone(), SessionConfig::default());
        let authors = s.query::<Author>().options(selectinload(Author::books)).all()?;
        assert_eq!(authors[0].read()?.books.all()?.len(), 2);
        assert_eq!((selects(&on_library, "authors"), selects(&on_db, "books")), (2, 2));
        // A joined load would join tables of two databases in one statement.
        let before = (on_db.count(), on_library.count());
        let err = s.query::<Author>().options(joinedload(Author::books)).all().unwrap_err();
        assert!(err.to_string().contains("cannot be loaded with a join"), "{err}");
        assert_eq!((on_db.count(), on_library.count()), before);
        Ok(())
    }

    fn a_session_maker_makes_bound_sessions(db) {
        let library = sqlite_file("session_maker", db.backend())?;
        create_all(db, &[Account::info()])?;
        create_all(&library, &[Author::info(), Book::info()])?;
        let factory = SessionMaker::new(db).binds(Binds::new().model::<Author>(&library));
        let s = factory.make()?;
        s.add(account(1, "ada"))?;
        s.add(author(1, "tolkien"))?;
        s.commit()?;
        assert_eq!((count(db, "accounts")?, count(&library, "authors")?), (1, 1));
        let s = factory.make()?;
        assert_eq!(s.query::<Author>().one()?.read()?.name, "tolkien");
        assert_eq!(s.query::<Account>().one()?.read()?.owner, "ada");
        Ok(())
    }

    fn an_unbound_model_is_an_error_naming_it(db) {
        create_all(db, &[Account::info()])?;
        let s = Session::with_binds(Binds::new().model::<Account>(&**db), SessionConfig::default());
        s.add(account(1, "ada"))?;
        s.commit()?;
        assert_eq!(s.query::<Account>().count()?, 1);
        let err = s.query::<Author>().all().unwrap_err();
        let message = err.to_string();
        assert!(message.contains("Author is unbound"), "{message}");
        assert!(message.contains("\"authors\""), "{message}");
        // A statement of no model needs the default bind.
        let err = s.execute(&text("SELECT 1"), ()).unwrap_err();
        assert!(err.to_string().contains("no default bind"), "{err}");
        // A new object of an unbound model is refused at flush, before any SQL.
        s.add(author(1, "nobody"))?;
        let err = s.flush().unwrap_err();
        assert!(err.to_string().contains("Author is unbound"), "{err}");
        Ok(())
    }
}

#[test]
fn relationships_across_binds_are_refused_before_any_sql() -> Result<()> {
    let authors = aludel::create_engine("sqlite://:memory:")?;
    let books = aludel::create_engine("sqlite://:memory:")?;
    create_all(&authors, &[Author::info()])?;
    create_all(&books, &[Book::info()])?;
    let binds = Binds::new().model::<Author>(&authors).model::<Book>(&books);
    let s = Session::with_binds(binds, SessionConfig::default());
    let a = s.add(author(1, "le guin"))?;
    a.read()?.books.push(book(1, "earthsea"))?;
    let rec = books.record_statements();
    let err = s.flush().unwrap_err();
    assert!(
        err.to_string().contains("bound to different engines"),
        "{err}"
    );
    assert_eq!(rec.count(), 0);
    Ok(())
}

/// Two PostgreSQL clusters, a model on each, one two-phase session.
#[test]
fn a_two_phase_session_prepares_both_clusters_then_commits() {
    run_on_servers(
        Backend::Postgres,
        &["ALUDEL_TEST_PG_2PC", "ALUDEL_TEST_PG_2PC_SECOND"],
        "binds_two_phase",
        |dbs| two_phase_across(dbs, "PREPARE TRANSACTION", "COMMIT PREPARED"),
    );
}

/// Two databases of the MariaDB service, a model on each, one XA session.
#[test]
fn a_two_phase_session_prepares_both_mariadb_databases_then_commits() {
    run_on_servers(
        Backend::MySql,
        &["ALUDEL_TEST_MYSQL", "ALUDEL_TEST_MYSQL"],
        "binds_two_phase",
        |dbs| two_phase_across(dbs, "XA PREPARE", "XA COMMIT"),
    );
}

/// A two-phase session over `dbs[0]` (accounts) and `dbs[1]` (authors, books): both
/// prepared (`prepare` statement) before either commits (`commit` statement); a
/// rollback and a failed flush leave nothing on either and nothing prepared.
fn two_phase_across(dbs: &[TestDb], prepare_sql: &str, commit_sql: &str) -> Result<()> {
    let (first, second) = (&dbs[0], &dbs[1]);
    create_all(first, &[Account::info()])?;
    create_all(second, &[Author::info(), Book::info()])?;
    let (rec1, rec2) = (first.record_statements(), second.record_statements());
    let s = two_phase_session(first, second);
    s.add(account(1, "ada"))?;
    s.add(author(1, "tolkien"))?;
    s.commit()?;
    for (rec, table) in [(&rec1, "accounts"), (&rec2, "authors")] {
        let sent = rec.statements();
        let insert = sent
            .iter()
            .position(|q| q.contains(&format!("INSERT INTO {table}")));
        let prepare = sent.iter().position(|q| q.starts_with(prepare_sql));
        let commit = sent.iter().position(|q| q.starts_with(commit_sql));
        assert!(
            insert < prepare && prepare < commit && insert.is_some(),
            "{sent:?}"
        );
    }
    // Each engine prepared its transaction, then committed it.
    assert_eq!(count(first, "accounts")?, 1);
    assert_eq!(count(second, "authors")?, 1);
    assert_none_left_prepared(first, &rec1)?;
    assert_none_left_prepared(second, &rec2)?;

    // A flush into both, rolled back: nothing on either, nothing prepared.
    let s = two_phase_session(first, second);
    s.add(account(2, "grace"))?;
    s.add(author(2, "le guin"))?;
    s.flush()?;
    s.rollback()?;
    assert_eq!(count(first, "accounts")?, 1);
    assert_eq!(count(second, "authors")?, 1);
    // A failure at one participant's flush rolls back the other as well.
    s.add(account(3, "hopper"))?;
    s.add(author(1, "a duplicate key"))?;
    assert!(s.flush().is_err());
    s.rollback()?;
    assert_eq!(count(first, "accounts")?, 1);
    assert_none_left_prepared(first, &rec1)?;
    assert_none_left_prepared(second, &rec2)?;
    Ok(())
}

/// A two-phase session with accounts on `first`, authors and books on `second`.
fn two_phase_session(first: &Engine, second: &Engine) -> Session {
    let binds = Binds::new()
        .model::<Account>(first)
        .model::<Author>(second)
        .model::<Book>(second);
    let config = SessionConfig {
        twophase: true,
        ..SessionConfig::default()
    };
    Session::with_binds(binds, config)
}

/// No transaction this test prepared on `db` (the xids quoted in the statements `rec`
/// saw) is still prepared there; other tests' transactions on the server are ignored.
fn assert_none_left_prepared(db: &Engine, rec: &StatementRecorder) -> Result<()> {
    let ours: Vec<String> = rec
        .statements()
        .iter()
        .filter(|q| q.contains("PREPARE"))
        .filter_map(|q| q.split('\'').nth(1).map(str::to_owned))
        .collect();
    assert!(!ours.is_empty(), "{:?}", rec.statements());
    let left = db.connect()?.recover_twophase()?;
    assert!(
        !left.iter().any(|x| ours.contains(x)),
        "left prepared: {left:?}"
    );
    Ok(())
}

/// A participant that fails to prepare (a deferred unique constraint checked at PREPARE
/// TRANSACTION) rolls back every participant, prepared or not: no rows, nothing prepared.
#[test]
fn a_failure_to_prepare_rolls_back_every_engine() {
    run_on_servers(
        Backend::Postgres,
        &["ALUDEL_TEST_PG_2PC", "ALUDEL_TEST_PG_2PC_SECOND"],
        "binds_prepare_fails",
        |dbs| {
            let (first, second) = (&dbs[0], &dbs[1]);
            create_all(first, &[Account::info()])?;
            second.connect()?.execute_script(
                "CREATE TABLE authors (id BIGINT PRIMARY KEY, name VARCHAR(40), \
                 CONSTRAINT one_name UNIQUE (name) DEFERRABLE INITIALLY DEFERRED)",
            )?;
            let (rec1, rec2) = (first.record_statements(), second.record_statements());
            let s = two_phase_session(first, second);
            s.add(account(1, "ada"))?;
            s.add(author(1, "twin"))?;
            s.add(author(2, "twin"))?;
            s.flush()?; // the constraint waits for the end of the transaction
            let err = s.commit().unwrap_err();
            assert!(err.to_string().contains("one_name"), "{err}");
            s.rollback()?;
            assert_eq!(count(first, "accounts")?, 0);
            assert_eq!(count(second, "authors")?, 0);
            for db in [first, second] {
                let left = db.connect()?.recover_twophase()?;
                let sent: Vec<String> = rec1
                    .statements()
                    .into_iter()
                    .chain(rec2.statements())
                    .collect();
                assert!(
                    !left
                        .iter()
                        .any(|x| sent.iter().any(|q| q.contains(x.as_str()))),
                    "left prepared: {left:?}"
                );
            }
            Ok(())
        },
    );
}
