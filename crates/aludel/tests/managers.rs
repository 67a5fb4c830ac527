//! The managers layer (seed 003) on every backend: SessionManager, ModelManager and its
//! custom subclasses, validation, and get_or_create under concurrency.

mod common;

use std::ops::Deref;
use std::sync::{Arc, Barrier};

use aludel::engine::Backend;
use aludel::ext::managers::{
    ModelManager, ModelRegistry, SessionManager, init_sqlalchemy_unchained,
};
use aludel::orm::{
    Instance, Model, Required, Scope, ScopedSession, Session, SessionMaker, ValidationError,
    Validator, create_all,
};
use aludel::sql::{Value, text};
use aludel::{Error, Result, params};

use common::TestDb;

/// The seed's custom validator: a name must be there.
struct NameRequired;

impl Validator for NameRequired {
    fn msg(&self) -> String {
        "Name is required.".into()
    }
    fn check(&self, value: &Value) -> std::result::Result<(), ValidationError> {
        match value {
            Value::Text(s) if !s.trim().is_empty() => Ok(()),
            _ => Err(ValidationError::new()),
        }
    }
}

/// Refuses negative numbers, with its own message per failure.
struct NotNegative;

impl Validator for NotNegative {
    fn msg(&self) -> String {
        "must not be negative".into()
    }
    fn check(&self, value: &Value) -> std::result::Result<(), ValidationError> {
        match value {
            Value::Int(n) if *n < 0 => Err(ValidationError::with_msg(format!("{n} is negative."))),
            _ => Ok(()),
        }
    }
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "foobar")]
struct Foobar {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 10, unique, validators = [NameRequired])]
    name: String,
    #[column(max_len = 5)]
    optional: Option<String>,
    #[column(validators = [NotNegative])]
    stock: i32,
    #[column(nullable = false, validators = [Required::with_msg("A code is required.")])]
    code: Option<String>,
}

/// The seed's custom manager: its own query method on top of the base ones.
struct FoobarManager(ModelManager<Foobar>);

impl Deref for FoobarManager {
    type Target = ModelManager<Foobar>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl FoobarManager {
    fn find_by_name(&self, name: &str) -> Result<Option<Instance<Foobar>>> {
        self.get_by(params! { "name" => name })
    }
}

fn manager(db: &TestDb) -> Result<FoobarManager> {
    create_all(db, &[Foobar::info()])?;
    Ok(FoobarManager(ModelManager::new(
        SessionManager::with_session(Session::new(db)),
    )))
}

fn count(db: &TestDb) -> Result<i64> {
    db.connect()?
        .scalar(&text("SELECT count(*) FROM foobar"), ())
}

/// How many of the tables `names` exist in the test database.
fn tables_present(db: &TestDb, names: &[&str]) -> Result<i64> {
    let sql = db.pick(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ",
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ",
        "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ",
    );
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    db.connect()?
        .scalar(&text(format!("{sql}({})", quoted.join(", "))), ())
}

fn errors_of(err: Error) -> std::collections::BTreeMap<String, Vec<String>> {
    match err {
        Error::Validation { errors, .. } => errors.errors,
        other => panic!("expected a validation error, got {other}"),
    }
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "category")]
struct Category {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 30, unique)]
    name: String,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "item")]
struct Item {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "category.id")]
    category_id: i64,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "seat", unique_together = ["row", "number"], index_together = ["number", "row"])]
struct Seat {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 2)]
    row: String,
    number: i32,
}

/// The seed's `db.foreign_key('Category')`: the table and column follow from the name.
#[derive(aludel::Model, Debug, Clone)]
#[model(table = "post")]
struct Post {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "Category")]
    category_id: i64,
    #[column(max_len = 40)]
    title: String,
}

backend_tests! {
    fn the_registry_resolves_short_foreign_keys_and_orders_creation(db) {
        let mut registry = ModelRegistry::new();
        registry.register::<Post>()?.register::<Category>()?;
        let models = registry.finalize_mappings()?;
        assert_eq!(models.keys().copied().collect::<Vec<_>>(), ["Category", "Post"]);
        let dup = registry.register::<Post>().unwrap_err().to_string();
        assert!(dup.contains("Post (table post) is already registered"), "{dup}");
        // Registered in any order, created referenced tables first; the FK is enforced.
        create_all(db, &registry.models())?;
        let s = Session::new(db);
        s.add(Category { id: 0, name: "news".into() })?;
        s.commit()?;
        let cat: i64 = db.connect()?.scalar(&text("SELECT id FROM category"), ())?;
        s.add(Post { id: 0, category_id: cat, title: "hello".into() })?;
        s.commit()?;
        s.add(Post { id: 0, category_id: cat + 100, title: "orphan".into() })?;
        assert!(matches!(s.commit().unwrap_err(), Error::Integrity(_)));
        // A registry missing the target says so at finalize time.
        let mut partial = ModelRegistry::new();
        partial.register::<Post>()?;
        let err = partial.finalize_mappings().unwrap_err().to_string();
        assert!(err.contains("Post.category_id references category.id: no registered model has table category (tables: post)"), "{err}");
        Ok(())
    }

    fn unique_together_and_index_together_make_composite_constraints(db) {
        create_all(db, &[Seat::info()])?;
        let seats = ModelManager::<Seat>::new(SessionManager::with_session(Session::new(db)));
        seats.create(params! { "row" => "A", "number" => 1 }, true)?;
        seats.create(params! { "row" => "A", "number" => 2 }, true)?;
        seats.create(params! { "row" => "B", "number" => 1 }, true)?;
        let dup = seats.create(params! { "row" => "A", "number" => 1 }, true).unwrap_err();
        assert!(matches!(dup, Error::Integrity(_)), "{dup}");
        seats.session()?.rollback()?;
        let index_sql = db.pick(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'ix_seat_number_row'",
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_seat_number_row'",
            "SELECT count(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'ix_seat_number_row'",
        );
        let indexes: i64 = db.connect()?.scalar(&text(index_sql), ())?;
        assert_eq!(indexes, 1);
        Ok(())
    }

    fn init_connects_registers_the_session_and_names_constraints(db) {
        static DB: ScopedSession = ScopedSession::unconfigured();
        let mut app = init_sqlalchemy_unchained(db.url(), &DB, Scope::thread(), None)?;
        // The model base comes bound to the engine; unchained's **kwargs for
        // declarative_base are its builder methods.
        app.model = app.model.with_name("Shop");
        app.model.register::<Category>()?.register::<Item>()?;
        assert_eq!(format!("{:?}", app.model), "Shop [Category, Item]");
        app.model.create_all()?;
        // The constraints carry the convention's names in the database itself.
        let names_sql = db.pick(
            "SELECT group_concat(sql, ' ') FROM sqlite_master WHERE type = 'table' AND name IN ('category', 'item')",
            "SELECT string_agg(conname, ' ' ORDER BY conname) FROM pg_constraint WHERE conrelid IN ('category'::regclass, 'item'::regclass)",
            "SELECT group_concat(CONSTRAINT_NAME ORDER BY CONSTRAINT_NAME SEPARATOR ' ') FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE()",
        );
        let names: String = app.engine.connect()?.scalar(&text(names_sql), ())?;
        for expected in ["pk_category", "uq_category_name", "pk_item", "fk_item_category_id_category"] {
            // MySQL reports every primary key as PRIMARY, whatever it was named.
            if db.backend() == Backend::MySql && expected.starts_with("pk_") {
                continue;
            }
            assert!(names.contains(expected), "{expected} in {names}");
        }
        // PostgreSQL sessions run in REPEATABLE READ unless told otherwise.
        if db.backend() == Backend::Postgres {
            let level: String = DB.get()?.scalar(&text("SHOW transaction_isolation"), ())?;
            assert_eq!(level, "repeatable read");
        }
        // The managers use the scoped session init set up.
        let categories = ModelManager::<Category>::new(SessionManager::new());
        let books = categories.create(params! { "name" => "books" }, true)?;
        assert!(DB.get()?.get::<Category>(books.read()?.id)?.expect("same session").ptr_eq(&books));
        DB.remove()?;
        Ok(())
    }

    fn a_manager_creates_finds_and_updates_objects(db) {
        let foobars = manager(db)?;
        let first = foobars.create(params! { "name" => "foo", "stock" => 3, "code" => "F1" }, true)?;
        assert!(first.read()?.id > 0);
        foobars.create(params! { "name" => "bar", "stock" => 1, "code" => "B1" }, false)?;
        foobars.commit()?;
        assert_eq!(count(db)?, 2);
        assert!(foobars.find_by_name("foo")?.expect("found").ptr_eq(&first));
        assert!(foobars.find_by_name("nobody")?.is_none());
        let id = first.read()?.id;
        assert!(foobars.get(id)?.expect("by key").ptr_eq(&first));
        assert_eq!(foobars.all()?.len(), 2);
        assert_eq!(foobars.filter(Foobar::stock.gt(2))?.count()?, 1);
        assert_eq!(foobars.filter_by(params! { "stock" => 1 })?.one()?.read()?.name, "bar");
        assert_eq!(foobars.q()?.count()?, 2);
        // get_by: Some only when exactly one row matches.
        foobars.create(params! { "name" => "baz", "stock" => 1, "code" => "Z1" }, true)?;
        assert!(foobars.get_by(params! { "stock" => 1 })?.is_none());
        foobars.update(&first, params! { "stock" => 9, "optional" => "x" }, true)?;
        let stock: i64 = db.connect()?.scalar(&text("SELECT stock FROM foobar WHERE name = 'foo'"), ())?;
        assert_eq!(stock, 9);
        let (same, created) = foobars.update_or_create(params! { "name" => "foo" }, params! { "stock" => 4 }, true)?;
        assert!(!created && same.ptr_eq(&first) && same.read()?.stock == 4);
        let (new, created) = foobars.update_or_create(params! { "name" => "qux" }, params! { "stock" => 2, "code" => "Q" }, true)?;
        assert!(created && new.read()?.stock == 2);
        assert_eq!(count(db)?, 4);
        Ok(())
    }

    fn validation_reports_every_bad_field_at_once_and_sets_nothing(db) {
        let foobars = manager(db)?;
        let err = foobars
            .create(params! { "name" => " ", "optional" => "far too long", "stock" => -2 }, true)
            .unwrap_err();
        let errors = errors_of(err);
        assert_eq!(errors["name"], ["Name is required."]);
        assert_eq!(errors["optional"], ["Optional must be at most 5 characters (it has 12)."]);
        assert_eq!(errors["stock"], ["-2 is negative."]);
        assert_eq!(errors["code"], ["A code is required."]);
        assert_eq!(errors.len(), 4);
        assert_eq!(count(db)?, 0);
        // An unknown name is a clear error naming the model and its fields.
        let err = foobars.create(params! { "nme" => "x" }, false).unwrap_err().to_string();
        assert!(err.contains("Foobar has no field 'nme'") && err.contains("name, optional, stock, code"), "{err}");
        // update validates only what it sets, and sets nothing when one value fails.
        let ok = foobars.create(params! { "name" => "ok", "stock" => 1, "code" => "K" }, true)?;
        let err = foobars.update(&ok, params! { "stock" => 5, "name" => "" }, true).unwrap_err();
        assert_eq!(errors_of(err).keys().collect::<Vec<_>>(), ["name"]);
        assert_eq!(ok.read()?.stock, 1);
        assert_eq!(ok.read()?.name, "ok");
        Ok(())
    }

    fn a_flush_refuses_invalid_objects_before_sending_anything(db) {
        create_all(db, &[Foobar::info()])?;
        let s = Session::new(db);
        let bad = s.add(Foobar { id: 0, name: "abcdefghijklmnop".into(), optional: None, stock: -1, code: None })?;
        let recorder = db.record_statements();
        let errors = errors_of(s.commit().unwrap_err());
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["code", "name", "stock"]);
        assert!(recorder.statements().iter().all(|sql| !sql.starts_with("INSERT")), "{:?}", recorder.statements());
        // Nothing was sent, so the session is not waiting for a rollback: fix and go on.
        {
            let mut b = bad.write()?;
            b.name = "fixed".into();
            b.stock = 1;
            b.code = Some("C".into());
        }
        s.commit()?;
        assert_eq!(count(db)?, 1);
        // Changes are validated too.
        bad.write()?.stock = -5;
        assert_eq!(errors_of(s.commit().unwrap_err()).keys().collect::<Vec<_>>(), ["stock"]);
        Ok(())
    }

    fn get_or_create_in_eight_racing_threads_makes_one_row(db) {
        create_all(db, &[Foobar::info()])?;
        const THREADS: usize = 8;
        let barrier = Arc::new(Barrier::new(THREADS));
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                let engine = (**db).clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || -> Result<(i64, bool)> {
                    let foobars = ModelManager::<Foobar>::new(SessionManager::with_session(Session::new(&engine)));
                    barrier.wait();
                    let (obj, created) = foobars.get_or_create(
                        params! { "name" => "race" },
                        params! { "stock" => 1, "code" => "R" },
                        true,
                    )?;
                    let id = obj.read()?.id;
                    Ok((id, created))
                })
            })
            .collect();
        let results: Vec<(i64, bool)> = workers
            .into_iter()
            .map(|w| w.join().expect("worker"))
            .collect::<Result<_>>()?;
        assert_eq!(count(db)?, 1, "{results:?}");
        assert!(results.iter().all(|(id, _)| *id == results[0].0), "every caller gets the one row: {results:?}");
        assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1, "exactly one caller created it: {results:?}");
        Ok(())
    }

    fn the_session_manager_uses_the_scoped_session(db) {
        static DB: ScopedSession = ScopedSession::unconfigured();
        create_all(db, &[Foobar::info()])?;
        DB.configure(SessionMaker::new(db), Scope::thread());
        SessionManager::set_session_factory(&DB);
        let sessions = SessionManager::new();
        assert!(sessions.session()?.ptr_eq(&DB.get()?));
        let foobars = ModelManager::<Foobar>::new(SessionManager::new());
        let a = foobars.build(&params! { "name" => "a", "stock" => 1, "code" => "A" })?;
        let b = foobars.build(&params! { "name" => "b", "stock" => 2, "code" => "B" })?;
        let saved = sessions.save_all([a, b], false)?;
        {
            let _guard = sessions.no_autoflush()?;
            assert_eq!(count(db)?, 0, "not flushed yet");
        }
        sessions.commit()?;
        assert_eq!(count(db)?, 2);
        assert!(foobars.get_by(params! { "name" => "a" })?.expect("a").ptr_eq(&saved[0]));
        let c = sessions.save(foobars.build(&params! { "name" => "c", "stock" => 3, "code" => "C" })?, true)?;
        assert!(c.read()?.id > 0);
        DB.remove()?;
        Ok(())
    }
}

mod meta_columns {
    use aludel::orm::Model;

    #[aludel::ext::managers::model]
    #[derive(aludel::Model)]
    pub struct Article {
        #[column(max_len = 40)]
        pub title: String,
    }

    #[aludel::ext::managers::model(pk = "key", created_at = false, updated_at = "changed")]
    #[derive(aludel::Model, Debug)]
    #[model(table = "notes")]
    pub struct Note {
        pub body: String,
    }

    #[aludel::ext::managers::model(pk = false, created_at = false, updated_at = false)]
    #[derive(aludel::Model)]
    pub struct Tag {
        #[column(primary_key, max_len = 20)]
        pub name: String,
    }

    /// The seed's NameColumnMetaOption.
    pub struct NameColumn;

    impl aludel::ext::managers::ColumnMetaOption for NameColumn {
        type Value = String;
        fn column(name: &str) -> aludel::sql::Column {
            aludel::sql::Column::new(name, aludel::sql::SqlType::String { length: Some(30) })
                .nullable(false)
        }
        fn check_value(value: &aludel::sql::Value) -> Result<(), String> {
            match value {
                aludel::sql::Value::Text(s) if s.trim().is_empty() => {
                    Err("Name must not be blank.".into())
                }
                _ => Ok(()),
            }
        }
        /// Names are unique per table, through an index the option adds.
        fn contribute_to_class(
            table: aludel::sql::TableBuilder,
            column: &str,
        ) -> aludel::sql::TableBuilder {
            let index = format!("ix_{}_{column}", table.name());
            table.index(&index, &[column], true)
        }
    }

    #[aludel::ext::managers::model(columns(name = NameColumn))]
    #[derive(aludel::Model)]
    pub struct Label {
        pub color: String,
    }

    pub fn infos() -> [&'static aludel::orm::ModelInfo; 4] {
        [Article::info(), Note::info(), Tag::info(), Label::info()]
    }
}

#[test]
fn meta_options_add_rename_and_remove_columns() {
    use aludel::orm::Model;
    use meta_columns::{Article, Note, Tag};
    assert_eq!(Article::info().table.name(), "article");
    assert_eq!(
        Article::info().fields,
        ["id", "title", "created_at", "updated_at"]
    );
    assert_eq!(Article::info().autoincrement, Some(0));
    assert_eq!(Note::info().fields, ["key", "body", "changed"]);
    assert_eq!(Tag::info().fields, ["name"]);
    let updated = &Note::info().columns()[2];
    assert_eq!(
        updated.server_onupdate.as_deref(),
        Some("CURRENT_TIMESTAMP")
    );
    assert!(!updated.nullable);
    let a = Article {
        id: Some(3),
        title: "t".into(),
        created_at: None,
        updated_at: None,
    };
    assert_eq!(
        format!("{a:?}"),
        "Article { id: Some(3), created_at: None, updated_at: None }"
    );
    common::sql_text::assert_sql_all(
        &aludel::sql::update(&Note::info().table).set("body", "x"),
        "UPDATE notes SET body = ?, changed = CURRENT_TIMESTAMP",
    );
}

backend_tests! {
    fn meta_timestamps_are_set_by_the_database_on_insert_and_update(db) {
        use meta_columns::Article;
        aludel::orm::create_all(db, &meta_columns::infos())?;
        let s = aludel::orm::Session::new(db);
        let a = s.add(Article { id: None, title: "first".into(), created_at: None, updated_at: None })?;
        s.commit()?;
        let (id, created) = {
            let r = a.read()?;
            (r.id.expect("the database gave an id"), r.created_at.expect("the database set created_at"))
        };
        assert!(a.read()?.updated_at.is_some());
        s.commit()?; // end the read's transaction (MySQL's snapshot would hide what follows)
        // Age both timestamps, then change the row through the ORM: only updated_at moves.
        let mut conn = db.connect()?;
        conn.execute(&aludel::sql::text("UPDATE article SET created_at = :t, updated_at = :t WHERE id = :id"),
            aludel::params! { "t" => chrono::DateTime::<chrono::Utc>::from_timestamp(1_000_000_000, 0).unwrap(), "id" => id })?;
        conn.commit()?;
        drop(conn);
        s.expire(&a)?;
        let old = a.read()?.updated_at.unwrap();
        a.write()?.title = "second".into();
        s.commit()?;
        let r = a.read()?;
        assert_eq!(r.title, "second");
        assert_eq!(r.created_at.unwrap(), old, "created_at is not touched by an UPDATE");
        assert!(r.updated_at.unwrap() > old, "updated_at was set by the UPDATE");
        assert!(created > old);
        Ok(())
    }
}

backend_tests! {
    fn an_apps_column_meta_option_adds_a_checked_column(db) {
        use meta_columns::Label;
        aludel::orm::create_all(db, &meta_columns::infos())?;
        assert_eq!(Label::info().fields, ["id", "color", "name", "created_at", "updated_at"]);
        let s = aludel::orm::Session::new(db);
        s.add(Label { id: None, color: "red".into(), name: "urgent".into(), created_at: None, updated_at: None })?;
        s.commit()?;
        let mut conn = db.connect()?;
        let name: String = conn.scalar(&text("SELECT name FROM label"), ())?;
        assert_eq!(name, "urgent");
        drop(conn);
        // The option's contribute_to_class made the name unique.
        s.add(Label { id: None, color: "blue".into(), name: "urgent".into(), created_at: None, updated_at: None })?;
        assert!(matches!(s.commit().unwrap_err(), Error::Integrity(_)));
        s.rollback()?;
        s.add(Label { id: None, color: "blue".into(), name: "  ".into(), created_at: None, updated_at: None })?;
        match s.flush() {
            Err(Error::Validation { model, errors }) => {
                assert_eq!(model, "Label");
                assert_eq!(errors.errors["name"], ["Name must not be blank."]);
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
        Ok(())
    }
}

/// An abstract manager (unchained's `Meta.abstract = True`): generic over its model, so it
/// belongs to no model until a concrete manager names one.
struct NamedManager<M: Model>(ModelManager<M>);

impl<M: Model> NamedManager<M> {
    fn named(&self, name: &str) -> Result<Vec<Instance<M>>> {
        self.0.filter_by(params! { "name" => name })?.all()
    }
}

backend_tests! {
    fn an_abstract_manager_serves_several_models(db) {
        create_all(db, &[Foobar::info(), meta_columns::Label::info()])?;
        let sessions = SessionManager::with_session(Session::new(db));
        let foobars = NamedManager(ModelManager::<Foobar>::new(sessions.clone()));
        let labels = NamedManager(ModelManager::<meta_columns::Label>::new(sessions));
        foobars.0.create(params! { "name" => "x", "stock" => 1, "code" => "c" }, true)?;
        labels.0.create(params! { "color" => "red", "name" => "x" }, true)?;
        assert_eq!(foobars.named("x")?.len(), 1);
        assert_eq!(labels.named("x")?[0].read()?.color, "red");
        assert!(labels.named("y")?.is_empty());
        Ok(())
    }
}

/// Abstract models (unchained's `Meta.abstract`): no table, no mapping — fields and Meta
/// options that the models extending them inherit.
mod abstract_models {
    use super::meta_columns::NameColumn;

    /// Every named thing: a unique name from the app's option, a description, no
    /// `updated_at`, shown by id and name.
    #[aludel::ext::managers::model(abstract, updated_at = false, columns(name = NameColumn), repr = ["id", "name"])]
    pub struct Named {
        #[column(max_len = 100)]
        pub description: Option<String>,
    }

    #[aludel::ext::managers::model(extends = Named)]
    #[derive(aludel::Model)]
    pub struct Genre {
        pub popular: bool,
    }

    /// Overrides an inherited option and names its table.
    #[aludel::ext::managers::model(extends = Named, created_at = false)]
    #[derive(aludel::Model)]
    #[model(table = "studios")]
    pub struct Studio {
        #[column(max_len = 20)]
        pub city: String,
    }

    /// An abstract model extending another: both sets of fields and options pass down.
    #[aludel::ext::managers::model(abstract, extends = Named, pk = "key", repr = ["key", "code"])]
    pub struct Coded {
        #[column(max_len = 8)]
        pub code: String,
    }

    #[aludel::ext::managers::model(extends = Coded)]
    #[derive(aludel::Model)]
    pub struct Region {}
}

backend_tests! {
    fn abstract_models_pass_their_fields_and_options_to_concrete_models(db) {
        use abstract_models::{Genre, Region, Studio};
        assert_eq!(Genre::info().fields, ["id", "description", "popular", "name", "created_at"]);
        assert_eq!(Studio::info().fields, ["id", "description", "city", "name"]);
        assert_eq!(Region::info().fields, ["key", "description", "code", "name", "created_at"]);
        assert_eq!((Genre::info().table.name(), Region::info().table.name()), ("genre", "region"));
        create_all(db, &[Genre::info(), Studio::info(), Region::info()])?;
        let sessions = SessionManager::with_session(Session::new(db));
        let genres = ModelManager::<Genre>::new(sessions.clone());
        let noir = genres.create(params! { "name" => "noir", "popular" => true }, true)?;
        assert!(noir.read()?.created_at.is_some(), "the inherited created_at is filled by the database");
        assert_eq!(format!("{:?}", *noir.read()?), format!("Genre {{ id: {:?}, name: \"noir\" }}", noir.read()?.id));
        // The inherited option column keeps its check and its unique index.
        let err = errors_of(genres.create(params! { "name" => " ", "popular" => false }, true).unwrap_err());
        assert_eq!(err["name"], ["Name must not be blank."]);
        assert!(matches!(genres.create(params! { "name" => "noir", "popular" => false }, true).unwrap_err(), Error::Integrity(_)));
        sessions.session()?.rollback()?;
        let regions = ModelManager::<Region>::new(sessions.clone());
        let north = regions.create(params! { "name" => "north", "code" => "N", "description" => "cold" }, true)?;
        assert_eq!(north.read()?.code, "N");
        assert!(regions.get(north.read()?.key)?.expect("by key").ptr_eq(&north));
        let studios = ModelManager::<Studio>::new(sessions);
        studios.create(params! { "name" => "ghibli", "city" => "Tokyo" }, true)?;
        let cities: String = db.connect()?.scalar(&text("SELECT city FROM studios"), ())?;
        assert_eq!(cities, "Tokyo");
        Ok(())
    }
}

/// The seed's `foreign_key(primary_key=True)`: a one-to-one extension row keyed by its
/// parent's key (not autoincremented: the key comes from the parent).
#[derive(aludel::Model, Debug, Clone)]
#[model(table = "category_profile")]
struct CategoryProfile {
    #[column(primary_key, foreign_key = "Category")]
    category_id: i64,
    #[column(max_len = 40)]
    blurb: String,
}

backend_tests! {
    fn a_foreign_key_can_be_the_primary_key(db) {
        assert_eq!(CategoryProfile::info().autoincrement, None);
        create_all(db, &[Category::info(), CategoryProfile::info()])?;
        let sessions = SessionManager::with_session(Session::new(db));
        let categories = ModelManager::<Category>::new(sessions.clone());
        let profiles = ModelManager::<CategoryProfile>::new(sessions.clone());
        let books = categories.create(params! { "name" => "books" }, true)?;
        let id = books.read()?.id;
        let profile = profiles.create(params! { "category_id" => id, "blurb" => "paper" }, true)?;
        assert!(profiles.get(id)?.expect("keyed by the category").ptr_eq(&profile));
        // One profile per category, and only for a category that exists.
        assert!(matches!(profiles.create(params! { "category_id" => id, "blurb" => "again" }, true).unwrap_err(), Error::Integrity(_)));
        sessions.session()?.rollback()?;
        assert!(matches!(profiles.create(params! { "category_id" => id + 100, "blurb" => "orphan" }, true).unwrap_err(), Error::Integrity(_)));
        sessions.session()?.rollback()?;
        // A missing key is required: the database does not fill it.
        let err = errors_of(profiles.create(params! { "blurb" => "none" }, true).unwrap_err());
        assert_eq!(err["category_id"], ["Category id is required."]);
        Ok(())
    }

    fn base_model_update_and_validate_check_one_or_every_column(db) {
        use aludel::ext::managers::BaseModel;
        create_all(db, &[Foobar::info()])?;
        // validate(partial): only the named columns, or every column.
        Foobar::validate(&params! { "stock" => 1 }, true)?;
        let err = errors_of(Foobar::validate(&params! { "stock" => 1 }, false).unwrap_err());
        assert_eq!(err.keys().collect::<Vec<_>>(), ["code", "name"]);
        let mut item = Foobar::build(&params! { "name" => "foo", "stock" => 1, "code" => "F" })?;
        // A bad value the object already holds: partial validation does not look at it...
        item.optional = Some("far too long".into());
        item.update(&params! { "stock" => 2 }, true)?;
        // ...full validation does, and sets nothing.
        let err = item.update(&params! { "stock" => 3 }, false).unwrap_err();
        assert_eq!(errors_of(err).keys().collect::<Vec<_>>(), ["optional"]);
        assert_eq!(item.stock, 2);
        item.update(&params! { "stock" => 3, "optional" => "ok" }, false)?;
        let sessions = SessionManager::with_session(Session::new(db));
        sessions.save(item, true)?;
        let stock: i64 = db.connect()?.scalar(&text("SELECT stock FROM foobar WHERE optional = 'ok'"), ())?;
        assert_eq!(stock, 3);
        // Each failure names its model, column and validator.
        let err = Foobar::build(&params! { "name" => "", "stock" => -1 }).unwrap_err();
        let Error::Validation { errors, .. } = err else { panic!("expected a validation error") };
        let by_column: Vec<(&str, &str, &str)> = errors
            .failures
            .iter()
            .map(|f| (f.column.as_deref().unwrap(), f.validator.unwrap().rsplit("::").next().unwrap(), f.msg.as_deref().unwrap()))
            .collect();
        assert_eq!(by_column, [
            ("name", "NameRequired", "Name is required."),
            ("stock", "NotNegative", "-1 is negative."),
            ("code", "Required", "A code is required."),
        ]);
        assert!(errors.failures.iter().all(|f| f.model.as_deref() == Some("Foobar")));
        Ok(())
    }

    fn lazily_registered_models_wait_for_finalize_mappings(db) {
        let mut registry = ModelRegistry::new();
        registry.register::<Category>()?.register_lazy::<Post>()?;
        assert!(!registry.should_initialize("Category")?);
        assert!(registry.should_initialize("Post")?);
        assert!(registry.should_initialize("post")?, "by table name too");
        let err = registry.should_initialize("Comment").unwrap_err().to_string();
        assert!(err.contains("no model named Comment is registered (registered: Category, Post)"), "{err}");
        // Until finalized, a lazy model is not part of the mapping: create_all skips it.
        create_all(db, &registry.models())?;
        assert_eq!(tables_present(db, &["category", "post"])?, 1);
        let models = registry.finalize_mappings()?;
        assert_eq!(models.keys().copied().collect::<Vec<_>>(), ["Category", "Post"]);
        assert!(!registry.should_initialize("Post")?);
        create_all(db, &registry.models())?;
        assert_eq!(tables_present(db, &["category", "post"])?, 2);
        Ok(())
    }

    fn a_model_base_binds_names_and_shares_its_registry(db) {
        use aludel::ext::managers::declarative_base;
        use aludel::sql::{Column, MetaData, SqlType, Table};
        let mut catalog = declarative_base().with_name("Catalog").with_bind(db);
        // A second base, sharing the first one's class registry, with its own metadata
        // holding a table of its own.
        let mut audit = MetaData::new();
        audit.add(Table::build("audit").column(Column::new("id", SqlType::Integer).primary_key()));
        let mut blog = declarative_base().with_name("Blog").with_bind(db).with_metadata(audit).with_class_registry(catalog.class_registry());
        blog.register::<Post>()?;
        catalog.register::<Category>()?;
        assert_eq!(format!("{catalog:?} / {blog:?}"), "Catalog [Category] / Blog [Post]");
        // One registry: Post's foreign key by model name resolves across the bases, and a
        // name taken in one base is taken in the other.
        let models = blog.finalize_mappings()?;
        assert_eq!(models.keys().copied().collect::<Vec<_>>(), ["Category", "Post"]);
        let dup = catalog.register::<Post>().unwrap_err().to_string();
        assert!(dup.contains("Post (table post) is already registered"), "{dup}");
        // Each base creates its own tables on its bind, with unchained's constraint names.
        catalog.create_all()?;
        blog.create_all()?;
        assert_eq!(tables_present(db, &["category", "post", "audit"])?, 3);
        let fk_sql = db.pick(
            "SELECT count(*) FROM sqlite_master WHERE name = 'post' AND sql LIKE '%fk_post_category_id_category%'",
            "SELECT count(*) FROM pg_constraint WHERE conname = 'fk_post_category_id_category'",
            "SELECT count(*) FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_NAME = 'fk_post_category_id_category'",
        );
        let named: i64 = db.connect()?.scalar(&text(fk_sql), ())?;
        assert_eq!(named, 1);
        // The bind also makes the base's sessions.
        let s = blog.session_maker()?.make()?;
        s.add(Category { id: 0, name: "news".into() })?;
        s.commit()?;
        assert_eq!(s.query::<Category>().count()?, 1);
        s.close()?; // the read's transaction would hold a lock DROP TABLE waits for
        blog.drop_all()?;
        assert_eq!(tables_present(db, &["category", "post", "audit"])?, 1, "only the catalog's table is left");
        let unbound = declarative_base().with_name("Loose").create_all().unwrap_err().to_string();
        assert!(unbound.contains("model base Loose has no bind"), "{unbound}");
        Ok(())
    }

    fn scoped_session_factory_passes_sessionmaker_options(db) {
        use aludel::orm::LazyLoads;
        static DB: ScopedSession = ScopedSession::unconfigured();
        create_all(db, &[Foobar::info()])?;
        // PostgreSQL here runs with max_prepared_transactions = 0 and SQLite has no
        // two-phase commit: twophase is exercised on MySQL.
        let twophase = db.backend() == Backend::MySql;
        let factory = SessionMaker::new(db)
            .autoflush(false)
            .expire_on_commit(false)
            .twophase(twophase)
            .lazy_loads(LazyLoads::Raise)
            .info("app", "shop");
        DB.configure(factory, Scope::thread());
        let config = DB.get()?.config().clone();
        assert!(!config.autoflush && !config.expire_on_commit && config.twophase == twophase);
        assert_eq!(config.lazy_loads, LazyLoads::Raise);
        assert_eq!(config.info, [("app".to_string(), "shop".to_string())]);
        // autoflush off: a query does not see the pending object.
        DB.add(Foobar { id: 0, name: "a".into(), optional: None, stock: 1, code: Some("A".into()) })?;
        assert_eq!(DB.get()?.query::<Foobar>().count()?, 0);
        let recorder = db.record_statements();
        DB.commit()?;
        if twophase {
            assert!(recorder.statements().iter().any(|s| s.starts_with("XA PREPARE")), "{:?}", recorder.statements());
        }
        assert_eq!(count(db)?, 1);
        DB.remove()?;
        Ok(())
    }
}
