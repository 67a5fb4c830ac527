//! Models with every kind of relationship, shared by the relationship tests: users with
//! addresses (one-to-many / many-to-one, `back_populates`), keywords through an
//! association table (many-to-many), orders with items (a three-level path), and a
//! self-referential tree of nodes.

use std::sync::LazyLock;

use aludel::Result;
use aludel::orm::{Instance, Many, Model, One, Session, create_all};
use aludel::sql::{Column, ForeignKey, SqlType, Table};

use super::TestDb;

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "users")]
pub struct User {
    #[column(primary_key)]
    pub id: i64,
    #[column(max_len = 50)]
    pub name: String,
    #[relationship(
        back_populates = "user",
        order_by = "id",
        cascade = "all, delete-orphan"
    )]
    pub addresses: Many<Address>,
    #[relationship(back_populates = "users", secondary = USER_KEYWORDS)]
    pub keywords: Many<Keyword>,
    #[relationship(back_populates = "user", order_by = "id")]
    pub orders: Many<Order>,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "addresses")]
pub struct Address {
    #[column(primary_key)]
    pub id: i64,
    #[column(foreign_key = "users.id")]
    pub user_id: Option<i64>,
    #[column(max_len = 100)]
    pub email: String,
    #[relationship(back_populates = "addresses")]
    pub user: One<User>,
}

/// The association table of `User.keywords` / `Keyword.users`.
pub static USER_KEYWORDS: LazyLock<Table> = LazyLock::new(|| {
    Table::build("user_keywords")
        .column(
            Column::new("user_id", SqlType::BigInteger)
                .primary_key()
                .references(ForeignKey::to("users", "id")),
        )
        .column(
            Column::new("keyword_id", SqlType::BigInteger)
                .primary_key()
                .references(ForeignKey::to("keywords", "id")),
        )
        .finish()
});

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "keywords")]
pub struct Keyword {
    #[column(primary_key)]
    pub id: i64,
    #[column(max_len = 30)]
    pub word: String,
    #[relationship(back_populates = "keywords", secondary = USER_KEYWORDS, order_by = "id")]
    pub users: Many<User>,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "orders")]
pub struct Order {
    #[column(primary_key)]
    pub id: i64,
    #[column(foreign_key = "users.id")]
    pub user_id: i64,
    #[relationship(back_populates = "orders")]
    pub user: One<User>,
    #[relationship(order_by = "id", cascade = "all")]
    pub items: Many<Item>,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "items")]
pub struct Item {
    #[column(primary_key)]
    pub id: i64,
    #[column(foreign_key = "orders.id")]
    pub order_id: i64,
    #[column(max_len = 30)]
    pub name: String,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "nodes")]
pub struct Node {
    #[column(primary_key)]
    pub id: i64,
    #[column(foreign_key = "nodes.id")]
    pub parent_id: Option<i64>,
    #[column(max_len = 20)]
    pub name: String,
    #[relationship(back_populates = "parent", order_by = "id")]
    pub children: Many<Node>,
    #[relationship(back_populates = "children", remote_side = "id")]
    pub parent: One<Node>,
}

impl User {
    /// A new user with empty relationships.
    pub fn new(id: i64, name: &str) -> User {
        User {
            id,
            name: name.into(),
            addresses: Many::new(),
            keywords: Many::new(),
            orders: Many::new(),
        }
    }
}

impl Address {
    /// A new address belonging to no user yet.
    pub fn new(id: i64, email: &str) -> Address {
        Address {
            id,
            user_id: None,
            email: email.into(),
            user: One::new(),
        }
    }
}

impl Keyword {
    /// A new keyword.
    pub fn new(id: i64, word: &str) -> Keyword {
        Keyword {
            id,
            word: word.into(),
            users: Many::new(),
        }
    }
}

impl Node {
    /// A new node without parent or children.
    pub fn new(id: i64, name: &str) -> Node {
        Node {
            id,
            parent_id: None,
            name: name.into(),
            children: Many::new(),
            parent: One::new(),
        }
    }
}

/// Creates the tables and returns a session.
pub fn setup(db: &TestDb) -> Result<Session> {
    create_all(
        db,
        &[
            User::info(),
            Address::info(),
            Keyword::info(),
            Order::info(),
            Item::info(),
            Node::info(),
        ],
    )?;
    Ok(Session::new(db))
}

/// `users` users with `per_user` addresses each, written by setting the foreign key
/// columns (no relationship code involved): user `u` has addresses `u * 100 + k`.
pub fn seed_users(db: &TestDb, users: i64, per_user: i64) -> Result<()> {
    let s = Session::new(db);
    for i in 1..=users {
        s.add(User::new(i, &format!("user{i}")))?;
        for k in 1..=per_user {
            let id = i * 100 + k;
            let mut a = Address::new(id, &format!("a{id}@x"));
            a.user_id = Some(i);
            s.add(a)?;
        }
    }
    s.commit()
}

/// Users ada (1) and bob (2) and keywords rust (1) and sql (2), added to `s` (not
/// flushed): ada has both keywords, bob has rust. Returns rust, the keyword both have.
pub fn add_keywords(s: &Session) -> Result<Instance<Keyword>> {
    let ada = s.add(User::new(1, "ada"))?;
    let bob = s.add(User::new(2, "bob"))?;
    let rust = s.add(Keyword::new(1, "rust"))?;
    let sql = s.add(Keyword::new(2, "sql"))?;
    ada.read()?.keywords.push(&rust)?;
    ada.read()?.keywords.push(&sql)?;
    bob.read()?.keywords.push(&rust)?;
    Ok(rust)
}
