//! The users/addresses/keywords/friendships models the Query API tests share (shaped like
//! SQLAlchemy's test fixture): `orm_query.rs` runs them on every backend, `orm_query_sql.rs`
//! renders their SQL.

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "users")]
pub struct User {
    #[column(primary_key, autoincrement = false)]
    pub id: i64,
    #[column(max_len = 30)]
    pub name: String,
    pub age: Option<i32>,
}

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "addresses")]
pub struct Address {
    #[column(primary_key, autoincrement = false)]
    pub id: i64,
    #[column(foreign_key = "users.id")]
    pub user_id: i64,
    #[column(max_len = 50)]
    pub email: String,
}

/// No foreign key to anything: joins to it need an explicit ON.
#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "keywords")]
pub struct Keyword {
    #[column(primary_key, autoincrement = false)]
    pub id: i64,
    #[column(max_len = 30)]
    pub name: String,
}

/// Two foreign keys to users: a join from users is ambiguous.
#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "friendships")]
pub struct Friendship {
    #[column(primary_key, autoincrement = false)]
    pub id: i64,
    #[column(foreign_key = "users.id")]
    pub a_id: i64,
    #[column(foreign_key = "users.id")]
    pub b_id: i64,
}
