//! Query classes keep their class (seeds 000 and 003) on every backend: every generative
//! method of a query class returns the class, so its own methods (`live()`, `by_author()`)
//! and seed 003's `get_by` stay available after `filter`, `order_by`, `limit`, joins and
//! set operations; `Session::query_as` and `Base::query::<M>()` give the class too.

mod common;

use std::sync::{Mutex, MutexGuard};

use aludel::orm::{
    ClassedSession, DeclarativeBase, Instance, Model, Query, QueryClass, QueryClasses,
    QueryMethods, Scope, ScopedSession, SessionMaker, create_all,
};
use aludel::sql::{Executable, LockOptions};
use aludel::{Result, params};

/// The scoped session behind the models' `query()`; tests that configure it take
/// `STATIC_LOCK` so the backends' variants do not reconfigure it under each other.
static DB: ScopedSession = ScopedSession::unconfigured();
static STATIC_LOCK: Mutex<()> = Mutex::new(());
/// A scoped session whose `query::<M>()` is `Base`'s class (`scoped_session_factory(query_cls=BaseQuery)`).
static CLASSED: ScopedSession<Base> = ScopedSession::with_query_cls();

fn lock_static() -> MutexGuard<'static, ()> {
    STATIC_LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// A query class with methods of its own, and a criterion every fresh `Post::query()` gets
/// (seed 000: "a custom query that adds additional query parameters automatically").
struct PostQuery(Query<Post>);

impl QueryClass<Post> for PostQuery {
    fn from_query(query: Query<Post>) -> Self {
        PostQuery(query.filter(Post::id.gt(0)))
    }
    fn as_query(&self) -> &Query<Post> {
        &self.0
    }
    fn with_query(&self, query: Query<Post>) -> Self {
        PostQuery(query)
    }
}

impl PostQuery {
    /// Only posts that are not deleted.
    fn live(&self) -> Self {
        self.filter(Post::deleted.eq(false))
    }

    /// Only posts by `author`.
    fn by_author(&self, author: &str) -> Self {
        self.filter_by("author", author)
    }

    /// The titles, in the query's order.
    fn titles(&self) -> Result<Vec<String>> {
        self.all()?
            .iter()
            .map(|p| Ok(p.read()?.title.clone()))
            .collect()
    }
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "qc_posts", query = DB, query_class = PostQuery)]
struct Post {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    #[column(max_len = 40)]
    title: String,
    #[column(max_len = 20)]
    author: String,
    deleted: bool,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "qc_comments")]
struct Comment {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    #[column(foreign_key = "qc_posts.id")]
    post_id: i64,
}

/// Seed 003's `BaseQuery`: the query class of every model of `Base`, generic over the model.
struct BaseQuery<M: Model>(Query<M>);

impl<M: Model> QueryClass<M> for BaseQuery<M> {
    fn from_query(query: Query<M>) -> Self {
        BaseQuery(query)
    }
    fn as_query(&self) -> &Query<M> {
        &self.0
    }
    fn with_query(&self, query: Query<M>) -> Self {
        BaseQuery(query)
    }
}

/// Seed 003's declarative base with `query_cls=BaseQuery`.
struct Base;

impl DeclarativeBase for Base {
    type Query<M: Model> = BaseQuery<M>;
    fn scoped_session() -> &'static ScopedSession<impl QueryClasses> {
        &DB
    }
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "qc_tags", base = Base)]
struct Tag {
    #[column(primary_key, autoincrement = false)]
    id: i64,
    #[column(max_len = 20)]
    name: String,
    #[column(max_len = 20)]
    kind: String,
}

fn post(id: i64, title: &str, author: &str, deleted: bool) -> Post {
    Post {
        id,
        title: title.into(),
        author: author.into(),
        deleted,
    }
}

/// Five posts (one soft-deleted per author) and two comments on post 1, through `DB`.
fn seed_posts(db: &common::TestDb) -> Result<()> {
    create_all(db, &[Post::info(), Comment::info()])?;
    DB.configure(SessionMaker::new(db), Scope::thread());
    DB.get()?.add_all([
        post(1, "a1", "ann", false),
        post(2, "a2", "ann", false),
        post(3, "a3-gone", "ann", true),
        post(4, "b1", "bob", false),
        post(5, "b2-gone", "bob", true),
    ])?;
    DB.get()?
        .add_all([Comment { id: 1, post_id: 1 }, Comment { id: 2, post_id: 1 }])?;
    DB.commit()
}

fn ids(found: &[Instance<Post>]) -> Result<Vec<i64>> {
    found.iter().map(|p| Ok(p.read()?.id)).collect()
}

/// Compiles only if each generative method returns the query class itself.
#[allow(dead_code)]
fn generative_methods_return_the_class(q: &PostQuery, other: &Query<Post>) {
    let _: PostQuery = q.filter(Post::id.eq(1));
    let _: PostQuery = q.filter_all([Post::id.eq(1)]);
    let _: PostQuery = q.where_(Post::id.eq(1));
    let _: PostQuery = q.filter_by("title", "a1");
    let _: PostQuery = q.filter_by_all(params! { "title" => "a1" });
    let _: PostQuery = q.params(params! { "p" => 1 });
    let _: PostQuery = q.order_by(Post::id);
    let _: PostQuery = q.order_by_keys([Post::id.desc()]);
    let _: PostQuery = q
        .reset_order_by()
        .limit(1)
        .reset_limit()
        .offset(1)
        .reset_offset();
    let _: PostQuery = q.slice(1, 2);
    let _: PostQuery = q.group_by([Post::id]).having(Post::id.gt(0));
    let _: PostQuery = q.distinct().distinct_on([Post::author]);
    let _: PostQuery = q
        .with_for_update(LockOptions::update())
        .prefix_with("x")
        .suffix_with("y");
    let _: PostQuery = q
        .join::<Comment>()
        .join_on::<Comment>(Post::id.eq(Comment::post_id));
    let _: PostQuery = q.join_item(&Comment::info().table, Post::id.eq(Comment::post_id));
    let _: PostQuery = q
        .outerjoin::<Comment>()
        .outerjoin_on::<Comment>(Post::id.eq(Comment::post_id));
    let _: PostQuery = q.outerjoin_item(&Comment::info().table, Post::id.eq(Comment::post_id));
    let _: PostQuery = q.full_outerjoin_on::<Comment>(Post::id.eq(Comment::post_id));
    let _: PostQuery = q.select_from::<Post>().reset_joinpoint();
    let _: PostQuery = q
        .union(other)
        .union_all(other)
        .intersect(other)
        .intersect_all(other);
    let _: PostQuery = q.except_(other).except_all(other).from_self();
    let _: PostQuery = q.select_entity_from(&other.subquery("s"));
    let _: PostQuery = q.with_hint("h", "mysql").with_statement_hint("h", "mysql");
    let _: PostQuery = q.correlate([&Comment::info().table]).with_labels();
    let _: PostQuery = q.populate_existing().autoflush(false).yield_per(10);
    let _: PostQuery = q
        .execution_options(aludel::orm::QueryOptions::new())
        .enable_assertions(false);
    let _: PostQuery = q.from_statement(aludel::sql::text("SELECT * FROM qc_posts"));
    let _: PostQuery = q.with_transformation(|q| q.live());
    let _: BaseQuery<Tag> = Tag::query()
        .filter(Tag::id.eq(1))
        .order_by(Tag::id)
        .limit(1);
    let _: BaseQuery<Tag> = Base::query::<Tag>().filter_by("name", "x");
}

backend_tests! {
    fn query_class_methods_survive_generative_calls(db) {
        let _guard = lock_static();
        seed_posts(db)?;
        let q: PostQuery = Post::query().filter(Post::author.eq("ann"));
        assert_eq!(q.order_by(Post::id).live().titles()?, ["a1", "a2"]);
        assert_eq!(q.order_by(Post::id.desc()).titles()?, ["a3-gone", "a2", "a1"]);
        let found = Post::query()
            .filter(Post::author.eq("ann"))
            .order_by(Post::id)
            .live()
            .get_by(params! { "title" => "a2" })?
            .expect("a2 is live");
        assert_eq!(found.read()?.id, 2);
        assert!(Post::query().live().get_by(params! { "title" => "a3-gone" })?.is_none());
        // get_by is Some only when exactly one row matches (seed 003).
        assert!(Post::query().live().get_by(params! { "author" => "ann" })?.is_none());
        assert_eq!(ids(&Post::query().by_author("bob").live().all()?)?, [4]);
        assert_eq!(Post::query().live().count()?, 3);
        // Joins keep the class: posts with comments.
        let commented = Post::query().join::<Comment>().distinct().live().all()?;
        assert_eq!(ids(&commented)?, [1]);
        // Set operations keep the class.
        let bob = Post::query().by_author("bob");
        let mut both = ids(&Post::query().by_author("ann").live().union(bob.as_query()).live().all()?)?;
        both.sort();
        assert_eq!(both, [1, 2, 4]);
        DB.remove()
    }

    fn query_class_after_limit_keeps_class_and_assertions(db) {
        let _guard = lock_static();
        seed_posts(db)?;
        // Criteria after LIMIT are refused, as SQLAlchemy refuses them, naming the method.
        let err = Post::query().order_by(Post::id).limit(2).live().all().unwrap_err().to_string();
        assert!(err.contains("filter() called on a query that already has LIMIT"), "{err}");
        // With assertions off the class's criterion joins the same SELECT.
        let q: PostQuery = Post::query().enable_assertions(false).order_by(Post::id).limit(2).live();
        assert_eq!(ids(&q.all()?)?, [1, 2]);
        // from_self() wraps the limited query; live() then filters its rows.
        let wrapped = Post::query().order_by(Post::id).offset(2).limit(2).from_self().live();
        assert_eq!(ids(&wrapped.all()?)?, [4]);
        assert_eq!(ids(&Post::query().order_by(Post::id).slice(0, 3).all()?)?, [1, 2, 3]);
        DB.remove()
    }

    fn seed_000_query_class_criteria_apply_once_through_filters(db) {
        let _guard = lock_static();
        seed_posts(db)?;
        DB.add(post(0, "zero", "zed", false))?;
        DB.commit()?;
        // Post.query.filter(...): the class's criterion (id > 0) stays, exactly once.
        let q = Post::query().filter(Post::author.eq("zed")).filter(Post::deleted.eq(false));
        assert!(q.all()?.is_empty(), "the class hides id 0");
        let sql = q.statement().compile(db.dialect())?.sql;
        assert_eq!(sql.matches("qc_posts.id >").count(), 1, "{sql}");
        assert_eq!(DB.query::<Post>().filter(Post::author.eq("zed")).count()?, 1, "session.query() has no class");
        // Session::query_as gives the class for one call, with the same methods.
        let s = DB.get()?;
        assert_eq!(s.query_as::<PostQuery, Post>().order_by(Post::id).live().titles()?, ["a1", "a2", "b1"]);
        DB.remove()
    }

    fn seed_003_base_query_get_by_after_filter(db) {
        let _guard = lock_static();
        create_all(db, &[Tag::info()])?;
        DB.configure(SessionMaker::new(db), Scope::thread());
        DB.get()?.add_all([
            Tag { id: 1, name: "rust".into(), kind: "lang".into() },
            Tag { id: 2, name: "sql".into(), kind: "lang".into() },
            Tag { id: 3, name: "orm".into(), kind: "topic".into() },
        ])?;
        DB.commit()?;
        // Model.query.filter(...).get_by(...): Some only when exactly one row matches.
        let q: BaseQuery<Tag> = Tag::query().filter(Tag::kind.eq("lang"));
        assert_eq!(q.get_by(params! { "name" => "sql" })?.expect("sql").read()?.id, 2);
        assert!(q.get_by(params! { "name" => "orm" })?.is_none(), "filtered out");
        assert!(q.get_by(params! { "kind" => "lang" })?.is_none(), "two match");
        // Base::query::<M>() is session.query(M) of a session whose query_cls is BaseQuery.
        let by_base: BaseQuery<Tag> = Base::query::<Tag>().order_by(Tag::id.desc()).limit(1);
        assert_eq!(by_base.one()?.read()?.name, "orm");
        assert_eq!(Base::query::<Tag>().get(3)?.expect("3").read()?.name, "orm");
        DB.remove()
    }

    fn query_cls_on_the_scoped_session_and_the_sessionmaker(db) {
        let _guard = lock_static();
        create_all(db, &[Tag::info()])?;
        // scoped_session_factory(query_cls=BaseQuery): DB.query::<M>() is the class.
        CLASSED.configure(SessionMaker::new(db), Scope::thread());
        CLASSED.add(Tag { id: 1, name: "rust".into(), kind: "lang".into() })?;
        CLASSED.add(Tag { id: 2, name: "sql".into(), kind: "lang".into() })?;
        CLASSED.commit()?;
        let q: BaseQuery<Tag> = CLASSED.query::<Tag>().filter(Tag::kind.eq("lang"));
        assert_eq!(q.get_by(params! { "name" => "rust" })?.expect("rust").read()?.id, 1);
        assert!(q.get_by(params! { "kind" => "lang" })?.is_none(), "two match");
        // The plain session of the scope is the same session.
        assert!(CLASSED.get()?.query::<Tag>().get(1)?.expect("1").ptr_eq(&q.get(1)?.expect("1")));
        CLASSED.remove()?;
        // sessionmaker(query_cls=BaseQuery): session.query::<M>() is the class.
        let session: ClassedSession<Base> = SessionMaker::new(db).query_cls::<Base>().make()?;
        let q: BaseQuery<Tag> = session.query::<Tag>().order_by(Tag::id.desc());
        assert_eq!(q.first()?.expect("a tag").read()?.name, "sql");
        assert_eq!(q.get_by(params! { "name" => "rust" })?.expect("rust").read()?.id, 1);
        session.close()
    }
}
