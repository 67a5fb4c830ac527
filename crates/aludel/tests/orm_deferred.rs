//! Deferred columns on every backend: a `Deferred<T>` field is left out of the model's
//! SELECT and loads on first access with one statement (its group with it); `undefer`,
//! `undefer_group` and `load_only` load them with the query, `defer` leaves them out again;
//! a changed deferred column flushes, an unloaded one is never written; a detached
//! object's unloaded column is a `DetachedInstance` error. Proven by the SELECTs each case
//! runs (and their text per dialect), the values read back, and the UPDATEs the flush
//! sends.

mod common;

use aludel::orm::{
    Deferred, Entity, Instance, LazyLoads, Many, Model, Session, SessionConfig, defaultload, defer,
    immediateload, joinedload, load_only, selectinload, subqueryload, undefer, undefer_group,
};
use aludel::sql::text;
use aludel::{Error, Result};

use common::TestDb;

/// An author whose articles load lazily.
#[derive(aludel::Model, Debug)]
#[model(table = "authors")]
struct Author {
    #[column(primary_key)]
    id: i64,
    #[relationship(order_by = "id")]
    articles: Many<Article>,
}

/// An article whose body loads alone and whose summary and rating load together.
#[derive(aludel::Model, Debug, Clone)]
#[model(table = "articles")]
struct Article {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "authors.id")]
    author_id: i64,
    #[column(max_len = 50)]
    title: String,
    body: Deferred<String>,
    #[column(group = "media")]
    summary: Deferred<Option<String>>,
    #[column(group = "media")]
    rating: Deferred<i64>,
}

/// Author 1 with articles 1..=3 (`title{n}`, `body{n}`, `summary{n}`, rating `n * 10`).
fn seed(db: &TestDb) -> Result<()> {
    aludel::orm::create_all(db, &[Author::info(), Article::info()])?;
    let s = Session::new(db);
    s.add(Author {
        id: 1,
        articles: Many::new(),
    })?;
    for n in 1..=3 {
        s.add(Article {
            id: n,
            author_id: 1,
            title: format!("title{n}"),
            body: Deferred::new(format!("body{n}")),
            summary: Deferred::new(Some(format!("summary{n}"))),
            rating: Deferred::new(n * 10),
        })?;
    }
    s.commit()
}

/// The statements a recorder saw that start with `verb` (BEGIN differs per backend).
fn sent(rec: &aludel::engine::StatementRecorder, verb: &str) -> Vec<String> {
    rec.statements()
        .into_iter()
        .filter(|s| s.starts_with(verb))
        .collect()
}

/// Which of an article's deferred fields are loaded: (body, summary, rating).
fn loaded(a: &Instance<Article>) -> Result<(bool, bool, bool)> {
    let a = a.read()?;
    Ok((
        a.body.is_loaded(),
        a.summary.is_loaded(),
        a.rating.is_loaded(),
    ))
}

backend_tests! {
    fn a_deferred_column_loads_on_first_access_with_one_statement(db) {
        seed(db)?;
        let s = Session::new(db);
        let rec = db.record_statements();
        let articles = s.query::<Article>().order_by(Article::id.asc()).all()?;
        assert_eq!(sent(&rec, "SELECT").len(), 1);
        assert_eq!(
            sent(&rec, "SELECT")[0],
            db.pick(
                "SELECT articles.id, articles.author_id, articles.title FROM articles ORDER BY articles.id ASC",
                "SELECT articles.id, articles.author_id, articles.title FROM articles ORDER BY articles.id ASC",
                "SELECT articles.id, articles.author_id, articles.title FROM articles ORDER BY articles.id ASC",
            )
        );
        assert_eq!(loaded(&articles[1])?, (false, false, false));
        let a = articles[1].read()?;
        assert_eq!(a.title, "title2");
        assert_eq!(a.body.get()?, "body2");
        assert_eq!(sent(&rec, "SELECT").len(), 2);
        assert_eq!(
            sent(&rec, "SELECT")[1],
            db.pick(
                "SELECT articles.body FROM articles WHERE articles.id = ?",
                "SELECT articles.body FROM articles WHERE articles.id = $1",
                "SELECT articles.body FROM articles WHERE articles.id = ?",
            )
        );
        // Loaded now: no more SQL, and the group stayed unloaded.
        assert_eq!(a.body.get()?, "body2");
        assert_eq!((a.body.is_loaded(), a.summary.is_loaded()), (true, false));
        assert_eq!(sent(&rec, "SELECT").len(), 2);
        // The other objects kept theirs unloaded.
        assert!(!articles[0].read()?.body.is_loaded());
        Ok(())
    }

    fn get_by_primary_key_and_lazy_relationships_leave_deferred_columns_out(db) {
        seed(db)?;
        let s = Session::new(db);
        let rec = db.record_statements();
        let a = s.get::<Article>(3)?.unwrap();
        assert!(!sent(&rec, "SELECT")[0].contains("body"), "{:?}", sent(&rec, "SELECT"));
        assert_eq!(loaded(&a)?, (false, false, false));
        assert_eq!(a.read()?.rating.get()?, 30);
        let author = s.get::<Author>(1)?.unwrap();
        let articles = author.read()?.articles.all()?;
        assert_eq!(articles.len(), 3);
        // Article 3 is the same object, its loaded group kept; the others start unloaded.
        assert!(articles[2].ptr_eq(&a));
        assert_eq!(loaded(&articles[2])?, (false, true, true));
        assert_eq!(loaded(&articles[0])?, (false, false, false));
        assert_eq!(articles[0].read()?.body.get()?, "body1");
        Ok(())
    }

    fn related_objects_defer_their_columns_unless_the_path_undefers_them(db) {
        seed(db)?;
        // selectin: the IN query leaves the body out; the path's undefer puts it back.
        let s = Session::new(db);
        let rec = db.record_statements();
        let author = s.query::<Author>().options(selectinload(Author::articles)).one()?;
        let articles = author.read()?.articles.loaded().unwrap();
        assert_eq!(loaded(&articles[0])?, (false, false, false));
        assert!(!sent(&rec, "SELECT")[1].contains("body"), "{:?}", sent(&rec, "SELECT"));
        let s = Session::new(db);
        let author = s.query::<Author>().options(selectinload(Author::articles).undefer(Article::body)).one()?;
        let articles = author.read()?.articles.loaded().unwrap();
        assert_eq!(loaded(&articles[2])?, (true, false, false));
        assert_eq!(articles[2].read()?.body.loaded().as_deref(), Some("body3"));
        // subquery and immediate take it too.
        for option in [subqueryload(Author::articles).undefer(Article::rating), immediateload(Author::articles).undefer(Article::rating)] {
            let s = Session::new(db);
            let author = s.query::<Author>().options(option).one()?;
            let articles = author.read()?.articles.loaded().unwrap();
            assert_eq!(loaded(&articles[1])?, (false, false, true));
        }
        // A relationship left lazy carries it into its lazy load.
        let s = Session::new(db);
        let author = s.query::<Author>().options(defaultload(Author::articles).undefer(Article::body)).one()?;
        let rec = db.record_statements();
        let articles = author.read()?.articles.all()?;
        assert_eq!(loaded(&articles[0])?, (true, false, false));
        assert_eq!(articles[0].read()?.body.get()?, "body1");
        assert_eq!(sent(&rec, "SELECT").len(), 1);
        Ok(())
    }

    fn a_group_loads_together(db) {
        seed(db)?;
        let s = Session::new(db);
        let a = s.get::<Article>(2)?.unwrap();
        let rec = db.record_statements();
        assert_eq!(a.read()?.summary.get()?.as_deref(), Some("summary2"));
        assert_eq!(sent(&rec, "SELECT").len(), 1);
        assert_eq!(
            sent(&rec, "SELECT")[0],
            db.pick(
                "SELECT articles.summary, articles.rating FROM articles WHERE articles.id = ?",
                "SELECT articles.summary, articles.rating FROM articles WHERE articles.id = $1",
                "SELECT articles.summary, articles.rating FROM articles WHERE articles.id = ?",
            )
        );
        // The rating came with it: no SQL.
        assert_eq!(a.read()?.rating.loaded(), Some(20));
        assert_eq!(a.read()?.rating.get()?, 20);
        assert_eq!(sent(&rec, "SELECT").len(), 1);
        assert!(!a.read()?.body.is_loaded());
        Ok(())
    }

    fn undefer_loads_the_column_with_the_query(db) {
        seed(db)?;
        let s = Session::new(db);
        let rec = db.record_statements();
        let articles = s.query::<Article>().options(undefer(Article::body)).order_by(Article::id.asc()).all()?;
        assert_eq!(
            sent(&rec, "SELECT"),
            [db.pick(
                "SELECT articles.id, articles.author_id, articles.title, articles.body FROM articles ORDER BY articles.id ASC",
                "SELECT articles.id, articles.author_id, articles.title, articles.body FROM articles ORDER BY articles.id ASC",
                "SELECT articles.id, articles.author_id, articles.title, articles.body FROM articles ORDER BY articles.id ASC",
            )]
        );
        let bodies: Vec<String> = articles.iter().map(|a| a.read().unwrap().body.get().unwrap()).collect();
        assert_eq!(bodies, ["body1", "body2", "body3"]);
        assert_eq!(loaded(&articles[0])?, (true, false, false));
        assert_eq!(sent(&rec, "SELECT").len(), 1);
        Ok(())
    }

    fn undefer_group_and_load_only_choose_the_loaded_columns(db) {
        seed(db)?;
        let s = Session::new(db);
        let rec = db.record_statements();
        let a = s.query::<Article>().options(undefer_group::<Article>("media")).filter(Article::id.eq(1)).one()?;
        assert_eq!(loaded(&a)?, (false, true, true));
        assert_eq!(a.read()?.summary.get()?.as_deref(), Some("summary1"));
        assert_eq!(a.read()?.rating.get()?, 10);
        assert_eq!(sent(&rec, "SELECT").len(), 1);

        let s = Session::new(db);
        let a = s.query::<Article>().options(load_only(Article::title).and(Article::rating)).filter(Article::id.eq(2)).one()?;
        assert_eq!(loaded(&a)?, (false, false, true));
        assert_eq!(a.read()?.title, "title2");

        // A deferred column filters like any other, left out of the SELECT list all the same.
        let s = Session::new(db);
        let rec = db.record_statements();
        let found = s.query::<Article>().filter(Article::body.eq("body3")).filter(Article::summary.like("summary%")).all()?;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].read()?.id, 3);
        assert_eq!(loaded(&found[0])?, (false, false, false));
        let select = &sent(&rec, "SELECT")[0];
        assert!(select.starts_with("SELECT articles.id, articles.author_id, articles.title FROM"), "{select}");
        assert!(select.contains("articles.body = "), "{select}");

        // A later option wins: undefer, then defer.
        let s = Session::new(db);
        let q = s.query::<Article>().options(undefer(Article::body)).options(defer(Article::body));
        let a = q.filter(Article::id.eq(3)).one()?;
        assert_eq!(loaded(&a)?, (false, false, false));
        Ok(())
    }

    fn an_undeferred_query_fills_objects_the_session_holds(db) {
        seed(db)?;
        let s = Session::new(db);
        let first = s.query::<Article>().order_by(Article::id.asc()).all()?;
        assert!(!first[0].read()?.body.is_loaded());
        let again = s.query::<Article>().options(undefer(Article::body)).order_by(Article::id.asc()).all()?;
        assert!(again[0].ptr_eq(&first[0]));
        let rec = db.record_statements();
        assert_eq!(first[0].read()?.body.get()?, "body1");
        assert!(sent(&rec, "SELECT").is_empty());
        Ok(())
    }

    fn a_changed_deferred_column_flushes_and_an_unloaded_one_is_never_written(db) {
        seed(db)?;
        let s = Session::new(db);
        let a = s.get::<Article>(1)?.unwrap();
        let rec = db.record_statements();
        // Only the title changes: the unloaded body, summary and rating are not written.
        a.write()?.title = "renamed".into();
        s.flush()?;
        let updates = sent(&rec, "UPDATE");
        assert_eq!(updates.len(), 1);
        assert!(updates[0].contains("title") && !updates[0].contains("body") && !updates[0].contains("summary"), "{updates:?}");
        // Setting an unloaded column writes it without loading it, even to NULL.
        {
            let mut w = a.write()?;
            w.body.set("rewritten".into());
            w.summary.set(None);
        }
        s.flush()?;
        let updates = sent(&rec, "UPDATE");
        assert_eq!(updates.len(), 2);
        assert!(updates[1].contains("body") && updates[1].contains("summary") && !updates[1].contains("rating"), "{updates:?}");
        assert_eq!(sent(&rec, "SELECT").len(), 0);
        // Flushed once: nothing more to write.
        s.flush()?;
        assert_eq!(sent(&rec, "UPDATE").len(), 2);
        // Loading a column under a write guard is not a change.
        {
            let w = a.write()?;
            assert_eq!(w.rating.get()?, 10);
        }
        s.commit()?;
        assert_eq!(sent(&rec, "UPDATE").len(), 2, "{:?}", sent(&rec, "UPDATE"));

        let s = Session::new(db);
        let a = s.query::<Article>().options(undefer(Article::body)).options(undefer_group::<Article>("media")).filter(Article::id.eq(1)).one()?;
        let a = a.read()?;
        assert_eq!((a.title.as_str(), a.body.get()?.as_str()), ("renamed", "rewritten"));
        assert_eq!((a.summary.get()?, a.rating.get()?), (None, 10));
        Ok(())
    }

    fn an_expired_object_defers_its_columns_again(db) {
        seed(db)?;
        let s = Session::new(db);
        let a = s.query::<Article>().options(undefer(Article::body)).filter(Article::id.eq(2)).one()?;
        assert!(a.read()?.body.is_loaded());
        s.expire(&a)?;
        let rec = db.record_statements();
        assert!(!a.read()?.body.is_loaded());
        assert_eq!(a.read()?.body.get()?, "body2");
        assert_eq!(sent(&rec, "SELECT").len(), 2);
        Ok(())
    }

    fn a_detached_objects_unloaded_column_is_an_error(db) {
        seed(db)?;
        let s = Session::new(db);
        let a = s.get::<Article>(1)?.unwrap();
        s.expunge(&a)?;
        let err = a.read()?.body.get().unwrap_err();
        assert!(matches!(err, Error::DetachedInstance { .. }), "{err}");
        assert!(err.to_string().contains("Article.body"), "{err}");
        // Merged back, its unloaded columns are not copied as NULL.
        a.write()?.title = "merged".into();
        let s = Session::new(db);
        s.merge(&a)?;
        s.commit()?;
        let s = Session::new(db);
        let back = s.query::<Article>().options(undefer(Article::body)).filter(Article::id.eq(1)).one()?;
        assert_eq!(back.read()?.title, "merged");
        assert_eq!(back.read()?.body.get()?, "body1");
        assert_eq!(back.read()?.rating.get()?, 10);
        assert_eq!(back.read()?.summary.get()?.as_deref(), Some("summary1"));
        Ok(())
    }

    fn bad_options_and_guarded_sessions_are_clear_errors(db) {
        seed(db)?;
        let s = Session::new(db);
        let err = s.query::<Article>().options(undefer_group::<Article>("nope")).all().unwrap_err();
        assert!(err.to_string().contains("no deferred group 'nope'") && err.to_string().contains("media"), "{err}");
        // The N+1 guard refuses deferred loads too.
        let config = SessionConfig { lazy_loads: LazyLoads::Raise, ..SessionConfig::default() };
        let s = Session::with_config(db, config);
        let a = s.get::<Article>(1)?.unwrap();
        let err = a.read()?.body.get().unwrap_err();
        assert!(matches!(err, Error::LazyLoadRefused { .. }), "{err}");
        // A copy of an unloaded field has no value: inserting it is refused, not NULL.
        let mut copy = a.get()?;
        copy.id = 9;
        s.add(copy)?;
        let err = s.flush().unwrap_err();
        assert!(err.to_string().contains("Article.body"), "{err}");
        Ok(())
    }

    fn joined_eager_loading_leaves_the_targets_deferred_columns_out(db) {
        seed(db)?;
        let s = Session::new(db);
        let rec = db.record_statements();
        let author = s.query::<Author>().options(joinedload(Author::articles)).one()?;
        assert_eq!(
            sent(&rec, "SELECT"),
            [db.pick(
                "SELECT authors.id, articles_1.id, articles_1.author_id, articles_1.title FROM authors LEFT OUTER JOIN articles AS articles_1 ON authors.id = articles_1.author_id ORDER BY articles_1.id ASC",
                "SELECT authors.id, articles_1.id, articles_1.author_id, articles_1.title FROM authors LEFT OUTER JOIN articles AS articles_1 ON authors.id = articles_1.author_id ORDER BY articles_1.id ASC",
                "SELECT authors.id, articles_1.id, articles_1.author_id, articles_1.title FROM authors LEFT OUTER JOIN articles AS articles_1 ON authors.id = articles_1.author_id ORDER BY articles_1.id ASC",
            )]
        );
        let articles = author.read()?.articles.loaded().unwrap();
        assert_eq!(articles.iter().map(|a| a.read().unwrap().title.clone()).collect::<Vec<_>>(), ["title1", "title2", "title3"]);
        assert_eq!(loaded(&articles[0])?, (false, false, false));
        assert_eq!(articles[0].read()?.body.get()?, "body1");
        assert_eq!(sent(&rec, "SELECT").len(), 2, "the body on access");
        // The path's options put columns back into the one SELECT.
        let s = Session::new(db);
        rec.clear();
        let author = s.query::<Author>().options(joinedload(Author::articles).undefer_group("media")).one()?;
        let articles = author.read()?.articles.loaded().unwrap();
        assert_eq!(loaded(&articles[2])?, (false, true, true));
        assert_eq!(articles[2].read()?.rating.get()?, 30);
        assert_eq!(articles[2].read()?.summary.get()?.as_deref(), Some("summary3"));
        assert_eq!(sent(&rec, "SELECT").len(), 1);
        assert!(sent(&rec, "SELECT")[0].contains("articles_1.summary, articles_1.rating FROM"), "{:?}", sent(&rec, "SELECT"));
        Ok(())
    }

    fn yield_per_selections_and_from_statement_leave_deferred_columns_out(db) {
        seed(db)?;
        // yield_per streams the query's own narrowed SELECT, options included.
        let s = Session::new(db);
        let rec = db.record_statements();
        let mut seen = Vec::new();
        s.query::<Article>().order_by(Article::id.asc()).yield_per(2).for_each_partition(|batch| {
            for a in &batch {
                seen.push(loaded(a)?);
            }
            Ok(())
        })?;
        assert_eq!(seen, [(false, false, false); 3]);
        assert!(!sent(&rec, "SELECT")[0].contains("body"), "{:?}", sent(&rec, "SELECT"));
        let s = Session::new(db);
        let mut seen = Vec::new();
        s.query::<Article>().options(undefer(Article::body)).yield_per(2).for_each_partition(|batch| {
            for a in &batch {
                seen.push((loaded(a)?, a.read()?.body.loaded()));
            }
            Ok(())
        })?;
        assert_eq!(seen[1], ((true, false, false), Some("body2".to_owned())));
        // An entity among other selections: its deferred columns are left out too, and
        // the columns after it are read at the right place.
        let s = Session::new(db);
        rec.clear();
        let rows = s.query::<Author>().with_entities((Entity::<Article>::new(), Article::title, Entity::<Author>::new())).order_by(Article::id.asc()).all()?;
        assert_eq!(rows.len(), 3);
        let (article, title, author) = &rows[1];
        assert_eq!((title.as_str(), article.read()?.id, author.read()?.id), ("title2", 2, 1));
        assert_eq!(loaded(article)?, (false, false, false));
        assert!(!sent(&rec, "SELECT")[0].contains("body"), "{:?}", sent(&rec, "SELECT"));
        assert_eq!(article.read()?.body.get()?, "body2");
        let s = Session::new(db);
        let rows = s.query::<Author>().add_entity::<Article>().order_by(Article::id.asc()).all()?;
        assert_eq!(loaded(&rows[0].1)?, (false, false, false));
        assert_eq!(rows[2].1.read()?.title, "title3");
        // from_statement: deferred columns stay unloaded even when the statement has them
        // (SQLAlchemy 2.1 does the same), and need not be in it.
        let s = Session::new(db);
        let all = s.query::<Article>().from_statement(text("SELECT * FROM articles ORDER BY id")).all()?;
        assert_eq!(loaded(&all[0])?, (false, false, false));
        let s = Session::new(db);
        let some = s.query::<Article>().from_statement(text("SELECT id, title, author_id FROM articles WHERE id = 3")).all()?;
        assert_eq!((some[0].read()?.title.as_str(), some[0].read()?.rating.get()?), ("title3", 30));
        let s = Session::new(db);
        let undeferred = s.query::<Article>().options(undefer(Article::body)).from_statement(text("SELECT id, title, author_id, body FROM articles WHERE id = 1")).all()?;
        assert_eq!(undeferred[0].read()?.body.loaded().as_deref(), Some("body1"));
        Ok(())
    }

    fn merge_result_without_load_keeps_unloaded_columns_unloaded(db) {
        seed(db)?;
        let a = Session::new(db);
        let cached = a.query::<Article>().options(undefer(Article::rating)).order_by(Article::id.asc()).all()?;
        let b = Session::new(db);
        let merged = b.query::<Article>().merge_result(&cached, false)?;
        // What the source loaded is copied; what it did not stays unloaded (not NULL)
        // and loads from the database on access.
        assert_eq!(loaded(&merged[0])?, (false, false, true));
        assert_eq!(merged[0].read()?.rating.loaded(), Some(10));
        assert_eq!(merged[0].read()?.body.get()?, "body1");
        assert!(!b.is_modified(&merged[0])?);
        Ok(())
    }

    fn undefer_group_and_load_only_along_a_path(db) {
        seed(db)?;
        let rec = db.record_statements();
        let s = Session::new(db);
        let author = s.query::<Author>().options(selectinload(Author::articles).undefer_group("media")).one()?;
        let articles = author.read()?.articles.loaded().unwrap();
        assert_eq!(loaded(&articles[0])?, (false, true, true));
        assert_eq!(articles[0].read()?.summary.loaded(), Some(Some("summary1".to_owned())));
        let s = Session::new(db);
        let author = s.query::<Author>().options(subqueryload(Author::articles).load_only(Article::body)).one()?;
        let articles = author.read()?.articles.loaded().unwrap();
        assert_eq!(loaded(&articles[1])?, (true, false, false));
        let s = Session::new(db);
        rec.clear();
        let option = joinedload(Author::articles).options(load_only(Article::body).and(Article::rating));
        let author = s.query::<Author>().options(option).one()?;
        let articles = author.read()?.articles.loaded().unwrap();
        assert_eq!(loaded(&articles[2])?, (true, false, true));
        assert_eq!(articles[2].read()?.rating.loaded(), Some(30));
        assert_eq!(sent(&rec, "SELECT").len(), 1);
        // An unknown group along a path is an error naming it when the query runs.
        let s = Session::new(db);
        let err = s.query::<Author>().options(selectinload(Author::articles).undefer_group("nope")).all().unwrap_err();
        assert!(err.to_string().contains("no deferred group 'nope'"), "{err}");
        Ok(())
    }

    fn defer_with_raiseload_refuses_the_load(db) {
        seed(db)?;
        let s = Session::new(db);
        let a = s.query::<Article>().options(defer(Article::body).raiseload()).filter(Article::id.eq(1)).one()?;
        let rec = db.record_statements();
        let err = a.read()?.body.get().unwrap_err();
        assert!(matches!(err, Error::LazyLoadRefused { .. }), "{err}");
        assert!(err.to_string().contains("Article.body"), "{err}");
        assert!(sent(&rec, "SELECT").is_empty(), "no SQL: {:?}", rec.statements());
        // The other deferred columns still load on access.
        assert_eq!(a.read()?.rating.get()?, 10);
        // load_only(...).raiseload(): every column it leaves out raises.
        let s = Session::new(db);
        let a = s.query::<Article>().options(load_only(Article::title).raiseload()).filter(Article::id.eq(2)).one()?;
        assert!(matches!(a.read()?.summary.get(), Err(Error::LazyLoadRefused { .. })));
        assert!(matches!(a.read()?.rating.get(), Err(Error::LazyLoadRefused { .. })));
        // A later query that loads the column fills it: then it reads.
        let again = s.query::<Article>().options(undefer(Article::rating)).filter(Article::id.eq(2)).one()?;
        assert!(again.ptr_eq(&a));
        assert_eq!(a.read()?.rating.get()?, 20);
        // Along a path.
        let s = Session::new(db);
        let author = s.query::<Author>().options(selectinload(Author::articles).options(defer(Article::body).raiseload())).one()?;
        let articles = author.read()?.articles.loaded().unwrap();
        assert!(matches!(articles[0].read()?.body.get(), Err(Error::LazyLoadRefused { .. })));
        Ok(())
    }
}
