//! What the unit of work leaves to the database, on every backend: columns with a server
//! or client default whose `Option` field is `None`, and the autoincrement key when it is
//! not set (`None` in an `Option` key, 0 in a plain integer key).

mod common;

use aludel::Result;
use aludel::orm::{Model, Session, create_all};
use aludel::sql::text;
use chrono::NaiveDateTime;

use common::TestDb;

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "posts")]
struct Post {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 50)]
    title: String,
    #[column(server_default = "CURRENT_TIMESTAMP")]
    created_at: Option<NaiveDateTime>,
    #[column(max_len = 20, server_default = "'draft'")]
    status: Option<String>,
    #[column(default = 5)]
    score: Option<i32>,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "tags")]
struct Tag {
    #[column(primary_key)]
    id: Option<i64>,
    #[column(max_len = 20)]
    name: String,
}

fn post(title: &str) -> Post {
    Post {
        id: 0,
        title: title.into(),
        created_at: None,
        status: None,
        score: None,
    }
}

fn scalar_text(db: &TestDb, sql: &str) -> Result<Option<String>> {
    db.connect()?.scalar(&text(sql), ())
}

fn count(db: &TestDb, sql: &str) -> Result<i64> {
    db.connect()?.scalar(&text(sql), ())
}

backend_tests! {
    fn a_none_field_with_a_server_default_gets_the_default(db) {
        create_all(db, &[Post::info()])?;
        let s = Session::new(db);
        let p = s.add(post("hello"))?;
        let recorder = db.record_statements();
        s.flush()?;
        let inserts: Vec<String> = recorder.take().into_iter().filter(|s| s.starts_with("INSERT")).collect();
        assert_eq!(inserts.len(), 1, "{inserts:?}");
        let sent = inserts[0].split("RETURNING").next().unwrap_or_default();
        assert_eq!(sent, db.pick("INSERT INTO posts (title, score) VALUES (?, ?) ", "INSERT INTO posts (title, score) VALUES ($1, $2) ", "INSERT INTO posts (title, score) VALUES (?, ?)"), "server-default and key columns are left out");
        {
            let p = p.read()?;
            assert_eq!(p.status.as_deref(), Some("draft"));
            assert!(p.created_at.is_some(), "CURRENT_TIMESTAMP came back");
            assert_eq!(p.score, Some(5), "the client-side default is written into the object");
            assert!(p.id > 0);
        }
        // Where the INSERT can RETURN the defaults they arrive with it; elsewhere (MySQL)
        // the object is expired and loads them with one SELECT on first access.
        let reloads = recorder.count();
        assert_eq!(reloads, db.pick("0", "0", "1").parse::<usize>().expect("n"), "{:?}", recorder.statements());
        s.commit()?;
        assert_eq!(scalar_text(db, "SELECT status FROM posts")?.as_deref(), Some("draft"));
        assert_eq!(count(db, "SELECT count(*) FROM posts WHERE created_at IS NOT NULL AND score = 5")?, 1);
        Ok(())
    }

    fn a_set_field_with_a_server_default_is_stored_as_given(db) {
        create_all(db, &[Post::info()])?;
        let s = Session::new(db);
        let when = chrono::NaiveDate::from_ymd_opt(2001, 2, 3).and_then(|d| d.and_hms_opt(4, 5, 6)).expect("date");
        let mut given = post("given");
        given.created_at = Some(when);
        given.status = Some("published".into());
        given.score = Some(9);
        s.add(given)?;
        // Mixed shapes in one flush: each object gets what it asked for.
        s.add(post("defaulted"))?;
        s.commit()?;
        assert_eq!(scalar_text(db, "SELECT status FROM posts WHERE title = 'given'")?.as_deref(), Some("published"));
        assert_eq!(scalar_text(db, "SELECT status FROM posts WHERE title = 'defaulted'")?.as_deref(), Some("draft"));
        assert_eq!(count(db, "SELECT score FROM posts WHERE title = 'given'")?, 9);
        let back = s.query::<Post>().filter(Post::title.eq("given")).one()?;
        assert_eq!(back.read()?.created_at, Some(when));
        Ok(())
    }

    fn an_option_key_of_none_is_generated_and_some_zero_is_stored_as_zero(db) {
        create_all(db, &[Tag::info()])?;
        let s = Session::new(db);
        let zero = s.add(Tag { id: Some(0), name: "zero".into() })?;
        let fresh = s.add(Tag { id: None, name: "fresh".into() })?;
        let given = s.add(Tag { id: Some(40), name: "forty".into() })?;
        s.commit()?;
        assert_eq!(zero.read()?.id, Some(0));
        assert_eq!(given.read()?.id, Some(40));
        let generated = fresh.read()?.id.expect("a generated key");
        assert!(generated != 0 && generated != 40, "{generated}");
        assert_eq!(scalar_text(db, "SELECT name FROM tags WHERE id = 0")?.as_deref(), Some("zero"));
        assert_eq!(count(db, "SELECT count(*) FROM tags")?, 3);
        Ok(())
    }

    fn a_plain_integer_key_of_zero_means_not_set(db) {
        create_all(db, &[Post::info()])?;
        let s = Session::new(db);
        let a = s.add(post("a"))?;
        let mut explicit = post("b");
        explicit.id = 77;
        let b = s.add(explicit)?;
        s.commit()?;
        assert!(a.read()?.id > 0);
        assert_eq!(b.read()?.id, 77);
        assert_eq!(count(db, "SELECT count(*) FROM posts WHERE id = 0")?, 0);
        Ok(())
    }
}
