//! A small blog on the managers layer (seed 003, sqlalchemy-unchained): `init` and its model
//! base, an abstract model the others extend (Meta options and shared fields), validators
//! and a foreign key by model name, managers with a custom query method, `BaseModel`'s
//! `update`/`validate`, validation errors reported all at once (with the validator that
//! failed), and `get_or_create` from two threads.
//!
//! `cargo run --example blog` (SQLite in a temporary file; `DATABASE_URL` and
//! `--features postgres` / `mysql` for a server).

use std::ops::Deref;

use aludel::ext::managers::{BaseModel, ModelManager, SessionManager, init_sqlalchemy_unchained};
use aludel::orm::{Instance, Required, Scope, ScopedSession, ValidationError, Validator};
use aludel::sql::Value;
use aludel::{Error, Result, params};

/// Titles in capitals are refused.
struct NotShouting;

impl Validator for NotShouting {
    fn msg(&self) -> String {
        "Please do not shout.".into()
    }
    fn check(&self, value: &Value) -> std::result::Result<(), ValidationError> {
        match value {
            Value::Text(s) if s.len() > 3 && s.to_uppercase() == *s => Err(ValidationError::new()),
            _ => Ok(()),
        }
    }
}

/// What every blog model has (unchained's abstract base model): an `id` key,
/// `created_at`/`updated_at` set by the database, and who changed it last. Not a table.
#[aludel::ext::managers::model(abstract, repr = ["id", "changed_by"])]
struct Tracked {
    #[column(max_len = 40)]
    changed_by: Option<String>,
}

#[aludel::ext::managers::model(extends = Tracked)]
#[derive(aludel::Model, Clone)]
struct Category {
    #[column(max_len = 30, unique, validators = [Required::new()])]
    name: String,
}

#[aludel::ext::managers::model(extends = Tracked, repr = ["id", "title", "created_at"])]
#[derive(aludel::Model, Clone)]
struct Post {
    #[column(foreign_key = "Category")]
    category_id: i64,
    #[column(max_len = 80, validators = [Required::new(), NotShouting])]
    title: String,
    body: Option<String>,
}

/// The posts' manager: the base operations plus the app's own queries.
struct PostManager(ModelManager<Post>);

impl Deref for PostManager {
    type Target = ModelManager<Post>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl PostManager {
    fn in_category(&self, category: &Instance<Category>) -> Result<Vec<Instance<Post>>> {
        let id = category.read()?.id.unwrap_or_default();
        self.filter(Post::category_id.eq(id))?
            .order_by(Post::id)
            .all()
    }
}

static DB: ScopedSession = ScopedSession::unconfigured();

fn main() -> Result<()> {
    let scratch = std::env::temp_dir().join(format!("aludel-blog-{}.db", std::process::id()));
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite:///{}", scratch.display()));
    let mut app = init_sqlalchemy_unchained(&url, &DB, Scope::thread(), None)?;
    // The model base init made, bound to the engine: register the models, check their
    // foreign keys, create their tables.
    app.model = app.model.with_name("Blog");
    app.model.register::<Post>()?.register::<Category>()?;
    app.model.finalize_mappings()?;
    app.model.drop_all()?;
    app.model.create_all()?;
    println!(
        "{:?} on {} (constraints named pk_/fk_/uq_)",
        app.model,
        app.engine.dialect().name()
    );

    let categories = ModelManager::<Category>::new(SessionManager::new());
    let posts = PostManager(ModelManager::new(SessionManager::new()));

    // Two threads ask for the same category at once: one row, both get it.
    let ids: Vec<i64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| -> Result<i64> {
                    let mine = ModelManager::<Category>::new(SessionManager::new());
                    let (news, _created) =
                        mine.get_or_create(params! { "name" => "news" }, params! {}, true)?;
                    let id = news.read()?.id.unwrap_or_default();
                    DB.remove()?;
                    Ok(id)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("worker"))
            .collect::<Result<Vec<i64>>>()
    })?;
    if ids[0] != ids[1] {
        return Err(Error::InvalidRequest {
            message: format!("get_or_create gave two rows: {ids:?}"),
        });
    }
    println!("get_or_create from two threads: ids {ids:?}, one row");

    let news = categories.get(ids[0])?.expect("news");
    let hello = posts.create(
        params! { "category_id" => ids[0], "title" => "Hello, world" },
        true,
    )?;
    posts.update(&hello, params! { "body" => "The first post." }, true)?;
    println!("created {:?}", *hello.read()?);

    // BaseModel on plain values: build, check every column on update, then save.
    let mut draft = Post::build(&params! { "category_id" => ids[0], "title" => "Draft" })?;
    draft.update(
        &params! { "title" => "Second post", "changed_by" => "ada" },
        false,
    )?;
    posts.save(draft, true)?;
    if let Err(Error::Validation { errors, .. }) =
        Post::validate(&params! { "title" => "LOUD TITLE" }, true)
    {
        let failure = &errors.failures[0];
        println!(
            "{:?} refused by {:?}: {:?}",
            failure.column, failure.validator, failure.msg
        );
    }

    match posts.create(
        params! { "category_id" => ids[0], "title" => "HELLO AGAIN", "body" => "x" },
        true,
    ) {
        Err(Error::Validation { model, errors }) => println!("refused {model}: {errors}"),
        other => println!("unexpected: {other:?}"),
    }
    match posts.create(params! { "body" => "no title, no category" }, true) {
        Err(Error::Validation { errors, .. }) => println!("refused: {errors}"),
        other => println!("unexpected: {other:?}"),
    }
    let listed: Vec<String> = posts
        .in_category(&news)?
        .iter()
        .map(|p| p.read().map(|p| p.title.clone()))
        .collect::<Result<_>>()?;
    println!("posts in news: {listed:?}");
    DB.remove()?;
    app.engine.dispose();
    let _ = std::fs::remove_file(&scratch);
    Ok(())
}
