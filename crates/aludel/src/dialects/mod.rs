//! Dialects: what differs between SQLite, PostgreSQL and MySQL/MariaDB.
//!
//! The compiler (`sql/compiler/`) renders every statement; it asks the [`Dialect`]
//! only where databases disagree: identifier quoting, placeholders, LIMIT/OFFSET, locking,
//! upserts, DDL types. Each hook has a default (the common, mostly PostgreSQL-like form) and
//! each dialect overrides only its differences. Dialects render SQL only; the client glue
//! that talks to each database is in `drivers/`.

mod binds;
mod mysql;
mod postgres;
mod reserved;
mod sqlite;
mod two_phase;

pub(crate) use binds::check_bind_count;
pub use binds::{LONG_IN_LIST, LongInList};
pub use mysql::MySql;
pub use postgres::Postgres;
pub use sqlite::Sqlite;
pub use two_phase::TwoPhaseStyle;
pub(crate) use two_phase::check_xid;

use crate::error::{Error, Result};
use crate::sql::Value;
use crate::sql::types::SqlType;

/// How a dialect renders what databases disagree on.
///
/// Implemented by [`Sqlite`], [`Postgres`] and [`MySql`]; every method but [`Dialect::name`]
/// has a default, so a new dialect overrides only what differs.
///
/// ```
/// use aludel::dialects::{Dialect, MySql, Postgres, Sqlite};
/// let mut out = String::new();
/// MySql.quote_identifier("order", &mut out);
/// assert_eq!(out, "`order`");
/// assert_eq!(Postgres.name(), "postgresql");
/// assert!(!MySql.supports_full_join() && Sqlite.supports_full_join());
/// ```
pub trait Dialect: Send + Sync + std::fmt::Debug {
    /// The dialect's name as used in messages: `sqlite`, `postgresql`, `mysql`.
    fn name(&self) -> &'static str;

    /// The character that opens and closes a quoted identifier.
    fn identifier_quote(&self) -> char {
        '"'
    }

    /// Writes `ident`, quoted when it must be: reserved words, upper-case or non-ASCII
    /// letters, anything but `[a-z0-9_]`, a leading digit, or an empty name. Quote
    /// characters inside are doubled, so no identifier can end the quoting early.
    fn quote_identifier(&self, ident: &str, out: &mut String) {
        if needs_quoting(ident) {
            let q = self.identifier_quote();
            out.push(q);
            for ch in ident.chars() {
                if ch == q {
                    out.push(q);
                }
                out.push(ch);
            }
            out.push(q);
        } else {
            out.push_str(ident);
        }
    }

    /// Writes the placeholder for the `index`-th bind value (1-based): `?` or `$1`.
    fn placeholder(&self, index: usize, out: &mut String) {
        let _ = index;
        out.push('?');
    }

    /// Writes a string literal (used for `ESCAPE` characters and DDL defaults, never for
    /// user values, which are always bound).
    fn string_literal(&self, text: &str, out: &mut String) {
        out.push('\'');
        for ch in text.chars() {
            if ch == '\'' {
                out.push('\'');
            }
            out.push(ch);
        }
        out.push('\'');
    }

    /// The SQL for boolean `true` / `false` literals.
    fn boolean_literal(&self, value: bool) -> &'static str {
        if value { "true" } else { "false" }
    }

    /// The string concatenation form: `Some("||")` for an operator, `None` for `concat()`.
    fn concat_operator(&self) -> Option<&'static str> {
        Some("||")
    }

    /// The SQL that stands for a LIMIT when only an OFFSET is given, or `None` when
    /// `OFFSET` may stand alone.
    fn limit_for_offset_only(&self) -> Option<&'static str> {
        None
    }

    /// Whether `RETURNING` is available on INSERT/UPDATE/DELETE.
    fn supports_returning(&self) -> bool {
        true
    }

    /// Whether `FULL OUTER JOIN` is available.
    fn supports_full_join(&self) -> bool {
        true
    }

    /// Whether `ILIKE` exists; otherwise `lower(x) LIKE lower(y)` is rendered.
    fn supports_ilike(&self) -> bool {
        false
    }

    /// Whether `SELECT DISTINCT ON (...)` exists.
    fn supports_distinct_on(&self) -> bool {
        false
    }

    /// Whether `NULLS FIRST` / `NULLS LAST` exist; otherwise an `x IS NULL` sort key is
    /// added in front.
    fn supports_nulls_ordering(&self) -> bool {
        true
    }

    /// Whether `INTERSECT ALL` / `EXCEPT ALL` exist.
    fn supports_set_op_all(&self) -> bool {
        true
    }

    /// Whether `FOR UPDATE` and friends are rendered. SQLite has no row locks (a write
    /// transaction locks the database), so like SQLAlchemy it renders none.
    fn supports_row_locking(&self) -> bool {
        true
    }

    /// The locking clause for `lock`.
    fn locking_clause(&self, lock: &LockRequest<'_>, out: &mut String) -> Result<()> {
        out.push_str(match lock.strength {
            LockStrength::Update => " FOR UPDATE",
            LockStrength::NoKeyUpdate => " FOR NO KEY UPDATE",
            LockStrength::Share => " FOR SHARE",
            LockStrength::KeyShare => " FOR KEY SHARE",
        });
        if !lock.of.is_empty() {
            out.push_str(" OF ");
            out.push_str(&lock.of.join(", "));
        }
        match lock.wait {
            LockWait::Wait => {}
            LockWait::NoWait => out.push_str(" NOWAIT"),
            LockWait::SkipLocked => out.push_str(" SKIP LOCKED"),
        }
        Ok(())
    }

    /// How an upsert is spelled.
    fn upsert_style(&self) -> UpsertStyle {
        UpsertStyle::OnConflict
    }

    /// The name of a function call, where the dialect spells it differently
    /// (`now` is `CURRENT_TIMESTAMP` on SQLite; `length` is `char_length` on MySQL).
    fn function_name<'a>(&self, name: &'a str) -> FunctionSpelling<'a> {
        FunctionSpelling::Call(name)
    }

    /// The DDL type name of `ty`.
    fn type_name(&self, ty: &SqlType) -> String;

    /// The DDL type name of `ty` for a column that is part of a key or an index (primary
    /// key, unique, indexed, foreign key), where a database may not accept its unbounded
    /// types. MySQL cannot index `LONGTEXT`/`LONGBLOB` without a prefix length, so an
    /// unbounded string or byte column there keeps `VARCHAR(255)` / `VARBINARY(255)`.
    ///
    /// ```
    /// use aludel::dialects::{Dialect, MySql, Postgres};
    /// use aludel::sql::SqlType;
    /// let s = SqlType::String { length: None };
    /// assert_eq!(MySql.type_name(&s), "LONGTEXT");
    /// assert_eq!(MySql.key_type_name(&s), "VARCHAR(255)");
    /// assert_eq!(Postgres.key_type_name(&s), Postgres.type_name(&s));
    /// ```
    fn key_type_name(&self, ty: &SqlType) -> String {
        self.type_name(ty)
    }

    /// The type name used by `CAST(x AS ...)`, which MySQL restricts to a few names.
    fn cast_type_name(&self, ty: &SqlType) -> String {
        self.type_name(ty)
    }

    /// How an autoincrementing integer primary key column is declared.
    fn autoincrement_style(&self) -> AutoincrementStyle;

    /// Whether `CREATE INDEX IF NOT EXISTS` exists.
    fn supports_create_index_if_not_exists(&self) -> bool {
        true
    }

    /// Whether `ALTER TABLE` can add and drop a constraint (SQLite cannot), which
    /// `create_all` uses for foreign keys that close a cycle between tables.
    ///
    /// ```
    /// use aludel::dialects::{Dialect, Postgres, Sqlite};
    /// assert!(Postgres.supports_alter() && !Sqlite.supports_alter());
    /// ```
    fn supports_alter(&self) -> bool {
        true
    }

    /// The word after `ALTER TABLE t DROP` that drops a foreign key constraint by name
    /// (`CONSTRAINT`; MySQL's is `FOREIGN KEY`).
    ///
    /// ```
    /// use aludel::dialects::{Dialect, MySql, Postgres};
    /// assert_eq!((Postgres.drop_foreign_key_keyword(), MySql.drop_foreign_key_keyword()), ("CONSTRAINT", "FOREIGN KEY"));
    /// ```
    fn drop_foreign_key_keyword(&self) -> &'static str {
        "CONSTRAINT"
    }

    /// A query listing the names of the tables of the connection's current schema
    /// (`create_all` asks it before adding keys by ALTER TABLE, to leave existing
    /// tables alone).
    ///
    /// ```
    /// use aludel::dialects::{Dialect, Sqlite};
    /// assert!(Sqlite.table_names_sql().contains("sqlite_master"));
    /// ```
    fn table_names_sql(&self) -> &'static str {
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    }

    /// How the ORM inserts many rows of one table.
    fn insert_many_style(&self) -> InsertManyStyle {
        InsertManyStyle::MultiValues
    }

    /// Whether this database can store `value` exactly. `Err` says why not, and the
    /// engine refuses the statement before sending it, naming the column the value is
    /// bound to. The default accepts everything (PostgreSQL stores NaN, infinities and
    /// dates far past year 9999); a dialect refuses only what its server or client would
    /// reject with a vaguer error or silently change (to NULL, a zero date, ...).
    ///
    /// ```
    /// use aludel::dialects::{Dialect, MySql, Postgres, Sqlite};
    /// use aludel::sql::Value;
    /// let nan = Value::Float(f64::NAN);
    /// assert!(Postgres.check_value(&nan).is_ok());
    /// assert!(Sqlite.check_value(&nan).is_err());
    /// assert!(Sqlite.check_value(&Value::Float(f64::INFINITY)).is_ok());
    /// assert!(MySql.check_value(&Value::Float(f64::INFINITY)).is_err());
    /// assert!(Postgres.check_value(&Value::Text("a\0b".into())).is_err());
    /// ```
    fn check_value(&self, value: &Value) -> std::result::Result<(), String> {
        let _ = value;
        Ok(())
    }

    /// The most bind parameters one statement may have (65,535 by default: the count field
    /// of PostgreSQL's and MySQL's wire protocols). A statement with more is refused before
    /// it is sent.
    ///
    /// ```
    /// use aludel::dialects::{Dialect, MySql, Postgres, Sqlite};
    /// assert_eq!(Sqlite.max_bind_params(), 32_766);
    /// assert_eq!(Postgres.max_bind_params(), MySql.max_bind_params());
    /// ```
    fn max_bind_params(&self) -> usize {
        65_535
    }

    /// How an `IN` list of more than [`LONG_IN_LIST`] plain values is bound.
    ///
    /// ```
    /// use aludel::dialects::{Dialect, LongInList, Sqlite};
    /// use aludel::sql::{literal_column, Executable};
    /// assert_eq!(Sqlite.long_in_list(), LongInList::CarrayTable);
    /// let c = literal_column("id").in_(0..5000).compile(&Sqlite).unwrap();
    /// assert_eq!((c.sql.as_str(), c.binds.len()), ("id IN rarray(?)", 1));
    /// ```
    fn long_in_list(&self) -> LongInList {
        LongInList::Placeholders
    }

    /// How the database spells two-phase commit; `None` (the default) where it has none.
    fn two_phase_style(&self) -> Option<TwoPhaseStyle> {
        None
    }

    /// An error for a construct this dialect cannot express.
    fn unsupported(&self, construct: &str) -> Error {
        Error::Unsupported {
            construct: construct.to_owned(),
            dialect: self.name(),
        }
    }
}

/// How a dialect spells a named SQL function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionSpelling<'a> {
    /// `name(args)`.
    Call(&'a str),
    /// A bare keyword with no parentheses, such as `CURRENT_TIMESTAMP`.
    Keyword(&'static str),
}

/// How the ORM's flush inserts many rows of one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertManyStyle {
    /// One prepared single-row INSERT run per row (cheapest for an in-process database).
    RowByRow,
    /// Multi-row `VALUES (...), (...)` statements in chunks (saves network round trips).
    MultiValues,
}

/// How INSERT ... upsert is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertStyle {
    /// `ON CONFLICT (cols) DO NOTHING | DO UPDATE SET col = excluded.col` (SQLite, PostgreSQL).
    OnConflict,
    /// `ON DUPLICATE KEY UPDATE col = VALUES(col)` (MySQL, MariaDB).
    OnDuplicateKey,
}

/// How an autoincrementing primary key is declared in CREATE TABLE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoincrementStyle {
    /// SQLite: an `INTEGER` column that is the whole primary key, which SQLite makes an
    /// alias of the rowid (assigned automatically).
    IntegerPrimaryKey,
    /// PostgreSQL: `GENERATED BY DEFAULT AS IDENTITY` after the type.
    Identity,
    /// MySQL: `AUTO_INCREMENT` after the type.
    AutoIncrement,
}

/// What a `FOR UPDATE`-style clause asks for, as handed to [`Dialect::locking_clause`].
#[derive(Debug, Clone, PartialEq)]
pub struct LockRequest<'a> {
    /// The lock strength.
    pub strength: LockStrength,
    /// What to do when a row is already locked.
    pub wait: LockWait,
    /// The rendered (quoted) names of the tables to lock (`OF ...`); empty for all.
    pub of: &'a [String],
}

/// Row lock strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockStrength {
    /// `FOR UPDATE`.
    Update,
    /// `FOR NO KEY UPDATE` (PostgreSQL).
    NoKeyUpdate,
    /// `FOR SHARE` (`LOCK IN SHARE MODE` on MySQL).
    Share,
    /// `FOR KEY SHARE` (PostgreSQL).
    KeyShare,
}

/// What a lock does when a row is already locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWait {
    /// Wait for the lock.
    Wait,
    /// Fail at once (`NOWAIT`).
    NoWait,
    /// Leave locked rows out (`SKIP LOCKED`).
    SkipLocked,
}

/// The dialect for a database name as used in URLs (`sqlite`, `postgresql`, `postgres`,
/// `mysql`, `mariadb`).
///
/// ```
/// assert_eq!(aludel::dialects::by_name("postgres").unwrap().name(), "postgresql");
/// assert!(aludel::dialects::by_name("oracle").is_none());
/// ```
pub fn by_name(name: &str) -> Option<&'static dyn Dialect> {
    match name {
        "sqlite" => Some(&Sqlite),
        "postgresql" | "postgres" => Some(&Postgres),
        "mysql" | "mariadb" => Some(&MySql),
        _ => None,
    }
}

fn needs_quoting(ident: &str) -> bool {
    let mut chars = ident.chars();
    match chars.next() {
        None => return true,
        Some(c) if !(c.is_ascii_lowercase() || c == '_') => return true,
        _ => {}
    }
    if !ident
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return true;
    }
    reserved::is_reserved(ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(d: &dyn Dialect, ident: &str) -> String {
        let mut s = String::new();
        d.quote_identifier(ident, &mut s);
        s
    }

    #[test]
    fn plain_lowercase_names_stay_bare_and_others_are_quoted() {
        assert_eq!(quoted(&Postgres, "users"), "users");
        assert_eq!(quoted(&Postgres, "user"), "\"user\"");
        assert_eq!(quoted(&Postgres, "MixedCase"), "\"MixedCase\"");
        assert_eq!(quoted(&Sqlite, "naïve"), "\"naïve\"");
        assert_eq!(quoted(&MySql, "order"), "`order`");
        assert_eq!(quoted(&MySql, "1abc"), "`1abc`");
    }

    #[test]
    fn quote_characters_inside_identifiers_are_doubled() {
        assert_eq!(quoted(&Postgres, "a\"b"), "\"a\"\"b\"");
        assert_eq!(quoted(&MySql, "a`b"), "`a``b`");
    }
}
