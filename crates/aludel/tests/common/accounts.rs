//! The bank accounts that the concurrency tests move money between (`orm_retry.rs`,
//! `load_transfers.rs`).

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "accounts")]
pub struct Account {
    #[column(primary_key, autoincrement = false)]
    pub id: i64,
    pub balance: i64,
}
