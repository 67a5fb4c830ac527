//! Binds (`Session::with_binds`): models and tables bound to different engines in one
//! session, resolved model first, then table, then the default bind, else an "unbound"
//! error naming the model; queries, lazy loads and flushes go to each model's engine, and
//! commit (two-phase when asked) ends the transaction on every engine. On every backend
//! against a second SQLite file, and between two PostgreSQL clusters (5433/5434,
//! `scripts/engines.sh`).

mod common;

use aludel::engine::Backend;
use aludel::orm::{Binds, Many, Model, One, Session, SessionConfig, create_all};
use aludel::sql::text;
use aludel::{Engine, Result};

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
        s.add(Account { id: 1, owner: "ada".into() })?;
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

        // A change to each, rolled back: neither engine keeps it.
        account.write()?.owner = "grace".into();
        books[0].write()?.title = "there and back again".into();
        s.flush()?;
        s.rollback()?;
        assert_eq!(account.read()?.owner, "ada");
        assert_eq!(books[0].read()?.title, "the hobbit");
        Ok(())
    }

    fn an_unbound_model_is_an_error_naming_it(db) {
        create_all(db, &[Account::info()])?;
        let s = Session::with_binds(Binds::new().model::<Account>(&**db), SessionConfig::default());
        s.add(Account { id: 1, owner: "ada".into() })?;
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
        |dbs: &[TestDb]| {
            let (first, second) = (&dbs[0], &dbs[1]);
            create_all(first, &[Account::info()])?;
            create_all(second, &[Author::info(), Book::info()])?;
            let binds = Binds::new()
                .model::<Account>(&**first)
                .model::<Author>(&**second)
                .model::<Book>(&**second);
            let config = SessionConfig {
                twophase: true,
                ..SessionConfig::default()
            };
            let (rec1, rec2) = (first.record_statements(), second.record_statements());
            let s = Session::with_binds(binds.clone(), config.clone());
            s.add(Account {
                id: 1,
                owner: "ada".into(),
            })?;
            s.add(author(1, "tolkien"))?;
            s.commit()?;
            for (rec, table) in [(&rec1, "accounts"), (&rec2, "authors")] {
                let sent = rec.statements();
                let insert = sent
                    .iter()
                    .position(|q| q.contains(&format!("INSERT INTO {table}")));
                let prepare = sent
                    .iter()
                    .position(|q| q.starts_with("PREPARE TRANSACTION"));
                let commit = sent.iter().position(|q| q.starts_with("COMMIT PREPARED"));
                assert!(
                    insert < prepare && prepare < commit && insert.is_some(),
                    "{sent:?}"
                );
            }
            // Phase one ran on both before phase two on either.
            assert_eq!(count(first, "accounts")?, 1);
            assert_eq!(count(second, "authors")?, 1);
            for db in [first, second] {
                let left = db.connect()?.recover_twophase()?;
                assert!(left.is_empty(), "prepared transactions left: {left:?}");
            }

            // A flush into both, rolled back: nothing on either, nothing prepared.
            let s = Session::with_binds(binds, config);
            s.add(Account {
                id: 2,
                owner: "grace".into(),
            })?;
            s.add(author(2, "le guin"))?;
            s.flush()?;
            s.rollback()?;
            assert_eq!(count(first, "accounts")?, 1);
            assert_eq!(count(second, "authors")?, 1);
            // A failure at one participant's flush rolls back the other as well.
            s.add(Account {
                id: 3,
                owner: "hopper".into(),
            })?;
            s.add(author(1, "a duplicate key"))?;
            assert!(s.flush().is_err());
            s.rollback()?;
            assert_eq!(count(first, "accounts")?, 1);
            for db in [first, second] {
                assert!(db.connect()?.recover_twophase()?.is_empty());
            }
            Ok(())
        },
    );
}
