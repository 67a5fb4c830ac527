//! Relationship cascades and the less common shapes, on every backend: passive_deletes
//! (the database's ON DELETE does the work), one-to-one, the association object pattern,
//! post_update breaking a cycle, viewonly, the N+1 guard, and objects flushed together
//! being freed (no reference cycle).

mod common;

use aludel::orm::{LazyLoads, Many, Model, One, Session, SessionConfig, create_all};
use aludel::{Error, Result};

use common::TestDb;

#[derive(aludel::Model)]
#[model(table = "blogs")]
struct Blog {
    #[column(primary_key)]
    id: i64,
    #[relationship(cascade = "all", passive_deletes)]
    posts: Many<Post>,
    #[relationship(back_populates = "blog")]
    profile: One<Profile>,
    #[relationship(viewonly, order_by = "id")]
    post_view: Many<Post>,
}

#[derive(aludel::Model)]
#[model(table = "posts")]
struct Post {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "blogs.id", on_delete = "cascade")]
    blog_id: i64,
    #[relationship(foreign_keys = "blog_id")]
    blog: One<Blog>,
}

#[derive(aludel::Model)]
#[model(table = "profiles")]
struct Profile {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "blogs.id")]
    blog_id: Option<i64>,
    #[relationship(back_populates = "profile")]
    blog: One<Blog>,
}

#[derive(aludel::Model)]
#[model(table = "groups")]
struct Group {
    #[column(primary_key)]
    id: i64,
    #[relationship(back_populates = "group", cascade = "all, delete-orphan")]
    memberships: Many<Membership>,
}

#[derive(aludel::Model)]
#[model(table = "members")]
struct Member {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    name: String,
}

/// Two rows of one table that point at each other: `favorite` is written by a second
/// UPDATE (post_update), which breaks the cycle.
#[derive(aludel::Model)]
#[model(table = "people")]
struct Person {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "people.id")]
    boss_id: Option<i64>,
    #[column(foreign_key = "people.id")]
    favorite_id: Option<i64>,
    #[relationship(foreign_keys = "boss_id", remote_side = "id")]
    boss: One<Person>,
    #[relationship(foreign_keys = "favorite_id", remote_side = "id", post_update)]
    favorite: One<Person>,
}

fn person() -> Person {
    Person {
        id: 0,
        boss_id: None,
        favorite_id: None,
        boss: One::new(),
        favorite: One::new(),
    }
}

/// Two tables that reference each other: a department's manager is one of its staff.
/// `use_alter` lets `create_all` add `depts.manager_id`'s key after both tables exist,
/// and `post_update` writes it after both rows are inserted.
#[derive(aludel::Model)]
#[model(table = "depts")]
struct Dept {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "staff.id", use_alter)]
    manager_id: Option<i64>,
    #[relationship(foreign_keys = "manager_id", post_update)]
    manager: One<Staff>,
}

#[derive(aludel::Model)]
#[model(table = "staff")]
struct Staff {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "depts.id")]
    dept_id: Option<i64>,
    #[relationship(foreign_keys = "dept_id")]
    dept: One<Dept>,
}

/// The association object: an association row with a column of its own.
#[derive(aludel::Model)]
#[model(table = "memberships")]
struct Membership {
    #[column(primary_key, autoincrement = false, foreign_key = "groups.id")]
    group_id: i64,
    #[column(primary_key, autoincrement = false, foreign_key = "members.id")]
    member_id: i64,
    #[column(max_len = 10)]
    role: String,
    #[relationship(back_populates = "memberships")]
    group: One<Group>,
    #[relationship]
    member: One<Member>,
}

fn blog(id: i64) -> Blog {
    Blog {
        id,
        posts: Many::new(),
        profile: One::new(),
        post_view: Many::new(),
    }
}

fn post(id: i64, blog_id: i64) -> Post {
    Post {
        id,
        blog_id,
        blog: One::new(),
    }
}

fn setup(db: &TestDb) -> Result<Session> {
    create_all(
        db,
        &[
            Blog::info(),
            Post::info(),
            Profile::info(),
            Group::info(),
            Member::info(),
            Membership::info(),
            Person::info(),
        ],
    )?;
    Ok(Session::new(db))
}

fn ids(db: &TestDb, sql: &str) -> Result<Vec<i64>> {
    let mut conn = db.connect()?;
    let rows = conn.execute(&aludel::sql::text(sql), ())?.fetchall();
    rows.iter().map(|r| r.get::<i64>(0)).collect()
}

backend_tests! {
    fn passive_deletes_leave_unloaded_children_to_on_delete_cascade(db) {
        let s = setup(db)?;
        s.add(blog(1))?;
        s.flush()?;
        s.add_all([post(10, 1), post(11, 1)])?;
        s.commit()?;
        let rec = db.record_statements();
        let b = s.get::<Blog>(1)?.unwrap();
        s.delete(&b)?;
        s.commit()?;
        let sql = rec.statements();
        assert!(!sql.iter().any(|q| q.contains("FROM posts")), "no load of the children: {sql:?}");
        assert_eq!(ids(db, "SELECT id FROM posts")?, Vec::<i64>::new(), "ON DELETE CASCADE removed them");
        Ok(())
    }

    fn a_one_to_one_sets_and_replaces_the_other_sides_key(db) {
        let s = setup(db)?;
        let b = s.add(blog(1))?;
        let first = s.add(Profile { id: 1, blog_id: None, blog: One::new() })?;
        b.read()?.profile.set(Some(&first))?;
        assert!(first.read()?.blog.get()?.unwrap().ptr_eq(&b), "back_populates");
        s.commit()?;
        assert_eq!(ids(db, "SELECT id FROM profiles WHERE blog_id = 1")?, [1]);
        let second = s.add(Profile { id: 2, blog_id: None, blog: One::new() })?;
        let b = s.get::<Blog>(1)?.unwrap();
        b.read()?.profile.set(Some(&second))?;
        s.commit()?;
        assert_eq!(ids(db, "SELECT id FROM profiles WHERE blog_id = 1")?, [2]);
        assert_eq!(ids(db, "SELECT id FROM profiles WHERE blog_id IS NULL")?, [1]);
        Ok(())
    }

    fn an_association_object_is_inserted_after_both_ends(db) {
        let s = setup(db)?;
        let g = s.add(Group { id: 0, memberships: Many::new() })?;
        let ada = Member { id: 0, name: "ada".into() };
        let m = g.read()?.memberships.push(Membership {
            group_id: 0,
            member_id: 0,
            role: "admin".into(),
            group: One::new(),
            member: One::to(ada),
        })?;
        s.commit()?;
        let (gid, mid) = (g.read()?.id, m.read()?.member.get()?.unwrap().read()?.id);
        assert_eq!((m.read()?.group_id, m.read()?.member_id), (gid, mid));
        // delete-orphan: removing the membership deletes its row.
        let g = s.get::<Group>(gid)?.unwrap();
        let m = g.read()?.memberships.all()?.remove(0);
        g.read()?.memberships.remove(&m)?;
        s.commit()?;
        assert_eq!(ids(db, "SELECT group_id FROM memberships")?, Vec::<i64>::new());
        Ok(())
    }

    fn post_update_breaks_a_cycle_with_a_later_update(db) {
        let s = setup(db)?;
        let boss = s.add(person())?;
        let worker = s.add(person())?;
        worker.read()?.boss.set(Some(&boss))?;
        boss.read()?.favorite.set(Some(&worker))?;
        let rec = db.record_statements();
        s.commit()?;
        let sql = rec.statements();
        let inserts: Vec<usize> = (0..sql.len()).filter(|&i| sql[i].starts_with("INSERT INTO people")).collect();
        let update = sql.iter().position(|q| q.starts_with("UPDATE people")).unwrap();
        assert!(inserts.len() == 2 && inserts[1] < update, "{sql:?}");
        let (b, w) = (boss.read()?.id, worker.read()?.id);
        assert_eq!(ids(db, &format!("SELECT favorite_id FROM people WHERE id = {b}"))?, [w]);
        assert_eq!(ids(db, &format!("SELECT boss_id FROM people WHERE id = {w}"))?, [b]);
        Ok(())
    }

    fn tables_referencing_each_other_are_created_flushed_and_dropped(db) {
        let models = [Staff::info(), Dept::info()];
        create_all(db, &models)?;
        create_all(db, &models)?; // the keys of existing tables are not added again
        let s = Session::new(db);
        let dept = s.add(Dept { id: 0, manager_id: None, manager: One::new() })?;
        let boss = s.add(Staff { id: 0, dept_id: None, dept: One::new() })?;
        boss.read()?.dept.set(Some(&dept))?;
        dept.read()?.manager.set(Some(&boss))?;
        s.commit()?;
        let (d, b) = (dept.read()?.id, boss.read()?.id);
        assert_eq!(ids(db, &format!("SELECT manager_id FROM depts WHERE id = {d}"))?, [b]);
        assert_eq!(ids(db, &format!("SELECT dept_id FROM staff WHERE id = {b}"))?, [d]);
        // The key added by ALTER TABLE is enforced like the inline one.
        let mut conn = db.connect()?;
        let err = conn.execute(&aludel::sql::text("UPDATE depts SET manager_id = 999"), ()).unwrap_err();
        assert!(matches!(err, aludel::Error::Integrity(_)), "{err}");
        conn.execute(&aludel::sql::text("UPDATE depts SET manager_id = NULL"), ())?;
        drop(conn);
        s.close()?; // its transaction (reading ids after commit) would hold the tables
        aludel::orm::drop_all(db, &models)?;
        Ok(())
    }

    fn viewonly_relationships_load_but_do_not_flush(db) {
        let s = setup(db)?;
        s.add(blog(1))?;
        s.add(blog(2))?;
        s.flush()?;
        s.add(post(10, 1))?;
        s.commit()?;
        let b2 = s.get::<Blog>(2)?.unwrap();
        let p = s.get::<Post>(10)?.unwrap();
        b2.read()?.post_view.push(&p)?;
        s.commit()?;
        assert_eq!(ids(db, "SELECT blog_id FROM posts")?, [1], "a viewonly change writes nothing");
        let b1 = s.get::<Blog>(1)?.unwrap();
        assert_eq!(b1.read()?.post_view.len()?, 1);
        Ok(())
    }

    fn the_n_plus_one_guard_refuses_sql_but_not_identity_map_hits(db) {
        let s = setup(db)?;
        s.add(blog(1))?;
        s.flush()?;
        s.add(post(10, 1))?;
        s.commit()?;
        let strict = Session::with_config(db, SessionConfig { lazy_loads: LazyLoads::Raise, ..SessionConfig::default() });
        let b = strict.get::<Blog>(1)?.unwrap();
        let err = b.read()?.posts.all().err().expect("refused");
        assert!(matches!(err, Error::LazyLoadRefused { .. }), "{err}");
        assert!(err.to_string().contains("Blog.posts"), "{err}");
        let p = strict.get::<Post>(10)?.unwrap();
        assert!(p.read()?.blog.get()?.unwrap().ptr_eq(&b), "an identity-map hit needs no SQL");
        Ok(())
    }

    fn objects_flushed_together_are_freed_when_nobody_holds_them(db) {
        let s = Session::with_config(db, SessionConfig { expire_on_commit: false, ..SessionConfig::default() });
        create_all(db, &[Group::info(), Member::info(), Membership::info()])?;
        {
            let g = s.add(Group { id: 0, memberships: Many::new() })?;
            for i in 0..3 {
                g.read()?.memberships.push(Membership {
                    group_id: 0,
                    member_id: 0,
                    role: format!("r{i}"),
                    group: One::new(),
                    member: One::to(Member { id: 0, name: format!("m{i}") }),
                })?;
            }
            s.commit()?;
            assert_eq!(s.identity_count(), 7);
        }
        // The group holds its memberships; their mirror links back to the group are weak,
        // so nothing keeps the graph alive once the program lets go of it.
        assert_eq!(s.identity_count(), 0);
        Ok(())
    }
}
