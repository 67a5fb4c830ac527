//! `sea-orm`: SeaORM 2 on sqlx, driven from a current-thread tokio runtime, written as its
//! documentation writes each task (entities, `find`, `insert_many`, `ActiveModel::update`,
//! `find_also_related`, `LoaderTrait::load_many`, `stream`).
//!
//! SeaORM has no unit of work: `bulk_inserts` (both variants) is `insert_many` in chunks of
//! 1,000 rows in one transaction; `bulk_updates` is one `ActiveModel::update` per loaded
//! model in one transaction.

use futures_util::StreamExt;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectOptions, Database, DatabaseConnection, EntityTrait, LoaderTrait, QueryFilter,
    QuerySelect, TransactionTrait,
    prelude::*,
};

use super::{Job, Kept, Rows, Tree, tree_rows};
use crate::harness::Stopwatch;
use crate::workloads::{
    Backend, Workload, YIELD_PER, hair_color, item_description, item_name, lookup_ids, user_name,
};

/// The `items` entity.
pub mod item {
    use sea_orm::entity::prelude::*;

    /// A row of `items`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "items")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Name.
        pub name: String,
        /// Description.
        pub description: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `users` entity.
pub mod user {
    use sea_orm::entity::prelude::*;

    /// A row of `users`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Name.
        pub name: String,
        /// Hair colour, if known.
        pub hair_color: Option<String>,
    }

    /// A user has many posts.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        /// The user's posts.
        #[sea_orm(has_many = "super::post::Entity")]
        Post,
    }

    impl Related<super::post::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Post.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `posts` entity.
pub mod post {
    use sea_orm::entity::prelude::*;

    /// A row of `posts`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "posts")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Author.
        pub user_id: i64,
        /// Title.
        pub title: String,
        /// Body.
        pub body: Option<String>,
    }

    /// A post belongs to a user and has many comments.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        /// The author.
        #[sea_orm(
            belongs_to = "super::user::Entity",
            from = "Column::UserId",
            to = "super::user::Column::Id"
        )]
        User,
        /// The comments.
        #[sea_orm(has_many = "super::comment::Entity")]
        Comment,
    }

    impl Related<super::user::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::User.def()
        }
    }

    impl Related<super::comment::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Comment.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// The `comments` entity.
pub mod comment {
    use sea_orm::entity::prelude::*;

    /// A row of `comments`.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "comments")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The post commented on.
        pub post_id: i64,
        /// Text.
        pub text: String,
    }

    /// A comment belongs to a post.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        /// The post.
        #[sea_orm(
            belongs_to = "super::post::Entity",
            from = "Column::PostId",
            to = "super::post::Column::Id"
        )]
        Post,
    }

    impl Related<super::post::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Post.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// Rows per `insert_many` statement.
const INSERT_CHUNK: usize = 1000;

/// Runs `job` with SeaORM.
pub fn run(job: &Job, watch: &mut Stopwatch) -> Rows {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let url = match job.backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rw", job.backend.url()),
            other => other.url(),
        };
        let mut options = ConnectOptions::new(url);
        options.sqlx_logging(false).max_connections(1);
        let db = Database::connect(options).await?;
        let start = std::time::Instant::now();
        let rows = work(&db, job).await?;
        watch.add(start.elapsed());
        Ok(rows)
    })
}

fn new_item(i: usize) -> item::ActiveModel {
    item::ActiveModel {
        id: NotSet,
        name: Set(item_name(i)),
        description: Set(item_description(i)),
    }
}

/// The timed work (everything `run` does after connecting).
async fn work(db: &DatabaseConnection, job: &Job) -> Rows {
    let n = job.size;
    match job.workload {
        Workload::LargeObjects => Ok(item::Entity::find().all(db).await?.kept()),
        Workload::LargeColumns => Ok(item::Entity::find()
            .select_only()
            .columns([
                item::Column::Id,
                item::Column::Name,
                item::Column::Description,
            ])
            .into_tuple::<(i64, String, String)>()
            .all(db)
            .await?
            .kept()),
        Workload::LargeStreamed | Workload::LargeYieldPer => {
            let mut stream = item::Entity::find().stream(db).await?;
            let mut seen = 0;
            let mut batch = Vec::with_capacity(YIELD_PER);
            while let Some(model) = stream.next().await {
                batch.push(model?);
                if batch.len() == YIELD_PER {
                    seen += batch.len();
                    batch.clear();
                }
            }
            Ok(seen + batch.len())
        }
        Workload::ShortGet => {
            let mut found = 0;
            for id in lookup_ids(n, job.table_rows) {
                found += usize::from(item::Entity::find_by_id(id).one(db).await?.is_some());
            }
            Ok(found)
        }
        Workload::BulkUnitOfWork | Workload::BulkCore => {
            let txn = db.begin().await?;
            let mut start = 1;
            while start <= n {
                let end = (start + INSERT_CHUNK - 1).min(n);
                item::Entity::insert_many((start..=end).map(new_item))
                    .exec(&txn)
                    .await?;
                start = end + 1;
            }
            txn.commit().await?;
            Ok(n)
        }
        Workload::SingleInserts => {
            for i in 1..=n {
                let txn = db.begin().await?;
                item::Entity::insert(new_item(i)).exec(&txn).await?;
                txn.commit().await?;
            }
            Ok(n)
        }
        Workload::BulkUpdates => {
            let loaded = item::Entity::find().all(db).await?;
            let count = loaded.len();
            let txn = db.begin().await?;
            for model in loaded {
                let name = format!("{}!", model.name);
                let mut active: item::ActiveModel = model.into();
                active.name = Set(name);
                active.update(&txn).await?;
            }
            txn.commit().await?;
            Ok(count)
        }
        Workload::DieselTrivial => Ok(user::Entity::find().all(db).await?.kept()),
        Workload::DieselMedium => Ok(user::Entity::find()
            .find_also_related(post::Entity)
            .filter(user::Column::HairColor.eq("black"))
            .all(db)
            .await?
            .kept()),
        Workload::DieselAssociations => {
            let users = user::Entity::find().all(db).await?;
            let posts = users.load_many(post::Entity, db).await?;
            let flat: Vec<post::Model> = posts.iter().flatten().cloned().collect();
            let comments = flat.load_many(comment::Entity, db).await?;
            let mut comments = comments.into_iter();
            let tree: Tree<user::Model, post::Model, comment::Model> = users
                .into_iter()
                .zip(posts)
                .map(|(u, ps)| {
                    let ps = ps
                        .into_iter()
                        .map(|p| (p, comments.next().unwrap_or_default()))
                        .collect();
                    (u, ps)
                })
                .collect();
            Ok(tree_rows(&tree))
        }
        Workload::DieselInsert => {
            user::Entity::insert_many((1..=n).map(|i| user::ActiveModel {
                id: NotSet,
                name: Set(user_name(i)),
                hair_color: Set(hair_color(i).map(str::to_owned)),
            }))
            .exec(db)
            .await?;
            Ok(n)
        }
    }
}
