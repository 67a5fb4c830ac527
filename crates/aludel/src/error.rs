//! The one [`Error`] type of aludel, and the [`DatabaseError`] details a driver reports.
//!
//! Variants mirror SQLAlchemy's exception hierarchy so that a user who knows
//! `IntegrityError` or `NoResultFound` finds the same names here.

use std::fmt;
use std::time::Duration;

/// Shorthand for `Result<T, aludel::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in aludel.
///
/// ```
/// use aludel::Error;
/// let err = Error::Configuration { message: "unknown database scheme 'oracle'".into() };
/// assert_eq!(err.to_string(), "configuration error: unknown database scheme 'oracle'");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// Bad configuration: an unparsable URL, an unknown option, a mapping mistake.
    /// Raised by `create_engine` and model registration.
    Configuration {
        /// What was wrong, naming the offending part (never a password).
        message: String,
    },
    /// A statement cannot be rendered: an unknown column, a missing bind value, a construct
    /// the dialect does not support. Raised by statement compilation, before any SQL runs.
    Compile {
        /// What could not be rendered and why.
        message: String,
    },
    /// The construct exists but this database cannot express it (e.g. `FULL OUTER JOIN` on
    /// MySQL). Raised by statement compilation.
    Unsupported {
        /// The construct, as a user would name it.
        construct: String,
        /// The dialect's name.
        dialect: &'static str,
    },
    /// A value could not be converted to the requested Rust type. Raised by typed row access
    /// and `FromValue`.
    Conversion {
        /// The Rust type that was asked for.
        expected: &'static str,
        /// What the database gave instead.
        found: String,
    },
    /// A column was asked for that the row does not have. Raised by `Row::get`.
    NoSuchColumn {
        /// The name or index asked for.
        column: String,
        /// The columns the row has.
        available: Vec<String>,
    },
    /// A constraint was violated (unique, foreign key, not null, check).
    Integrity(DatabaseError),
    /// An object's values failed its model's validation (required columns, lengths,
    /// declared validators). Raised by the managers layer before anything is set, and by
    /// a flush before anything is sent: the session stays usable.
    Validation {
        /// The model's name.
        model: String,
        /// Every failure, by field name.
        errors: crate::orm::ValidationErrors,
    },
    /// The database could not do the work: lost connection, lock timeout, deadlock,
    /// serialization failure.
    Operational(DatabaseError),
    /// The SQL was wrong: syntax error, unknown table or column.
    Programming(DatabaseError),
    /// The data was wrong: value out of range, invalid text representation, division by zero.
    Data(DatabaseError),
    /// The pool had no connection to give within `pool_timeout`.
    PoolTimeout {
        /// How long the caller waited.
        waited: Duration,
        /// The pool's size plus overflow, all of which were in use.
        capacity: usize,
    },
    /// `one()` or `scalar_one()` found no row.
    NoResultFound,
    /// `one()` or `one_or_none()` found more than one row.
    MultipleResultsFound,
    /// A flush found the database out of step with the session: an UPDATE or DELETE
    /// matched another number of rows than expected (the row changed or vanished).
    StaleData {
        /// The statement's table and the counts.
        message: String,
    },
    /// An expired or refreshed object's row no longer exists.
    ObjectDeleted {
        /// The model and primary key.
        message: String,
    },
    /// The connection was lost while COMMIT was on its way: the transaction may or may not
    /// have been committed. Raised by [`Retry`](crate::orm::Retry), which never re-runs
    /// such a transaction (it could apply the work twice), and by
    /// [`commit_two_phase`](crate::engine::commit_two_phase) when a participant's COMMIT
    /// PREPARED fails after every participant prepared (the cause names the transaction
    /// ids left in doubt).
    CommitOutcomeUnknown {
        /// The error the COMMIT ended with.
        cause: String,
    },
    /// An earlier flush failed and rolled the transaction back; call `rollback()` on the
    /// session before using it again (SQLAlchemy's "pending rollback" rule).
    PendingRollback {
        /// The error that made the flush fail.
        cause: String,
    },
    /// An unloaded relationship of an object that belongs to no session was read: there
    /// is no session to load it through (SQLAlchemy's `DetachedInstanceError`).
    DetachedInstance {
        /// The object and the relationship.
        message: String,
    },
    /// A relationship would have been loaded lazily where lazy loading is refused: the
    /// `raise` / `raise_on_sql` loader strategy, or a session whose N+1 guard raises.
    LazyLoadRefused {
        /// The relationship, and why it was refused.
        message: String,
    },
    /// The operation is not allowed in the current state (e.g. a closed transaction).
    InvalidRequest {
        /// What was attempted and why it is not allowed.
        message: String,
    },
}

impl Error {
    /// Whether the error means the connection is gone and must not be reused.
    ///
    /// ```
    /// assert!(!aludel::Error::NoResultFound.is_disconnect());
    /// ```
    pub fn is_disconnect(&self) -> bool {
        matches!(self, Error::Operational(e) if e.kind == DatabaseErrorKind::Disconnect)
    }

    /// Whether retrying the whole transaction may succeed (deadlock, serialization failure,
    /// lock timeout, lost connection). A statement timeout is not: the statement would
    /// most likely run as long again.
    ///
    /// ```
    /// assert!(!aludel::Error::NoResultFound.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Operational(e) if matches!(
                e.kind,
                DatabaseErrorKind::Disconnect
                    | DatabaseErrorKind::Deadlock
                    | DatabaseErrorKind::SerializationFailure
                    | DatabaseErrorKind::LockTimeout
            )
        )
    }

    /// The driver's error details, for the database error variants.
    ///
    /// ```
    /// assert!(aludel::Error::NoResultFound.database_error().is_none());
    /// ```
    pub fn database_error(&self) -> Option<&DatabaseError> {
        match self {
            Error::Integrity(e)
            | Error::Operational(e)
            | Error::Programming(e)
            | Error::Data(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn compile(message: impl Into<String>) -> Self {
        Error::Compile {
            message: message.into(),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Configuration {
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidRequest {
            message: message.into(),
        }
    }
}

/// What kind of failure a database reported, finer than the [`Error`] variant.
///
/// ```
/// use aludel::DatabaseErrorKind;
/// assert_ne!(DatabaseErrorKind::UniqueViolation, DatabaseErrorKind::NotNullViolation);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatabaseErrorKind {
    /// A unique or primary key constraint.
    UniqueViolation,
    /// A foreign key constraint.
    ForeignKeyViolation,
    /// A NOT NULL constraint.
    NotNullViolation,
    /// A CHECK constraint.
    CheckViolation,
    /// The connection was lost or closed by the server.
    Disconnect,
    /// A deadlock was detected and this transaction was chosen as the victim.
    Deadlock,
    /// A serializable transaction could not be serialized.
    SerializationFailure,
    /// A lock could not be acquired in time (includes SQLite's "database is locked").
    LockTimeout,
    /// The statement ran longer than its statement timeout and was cancelled (PostgreSQL
    /// 57014, MariaDB 1969, MySQL 3024, SQLite's interrupt). Not retryable: the same
    /// statement would most likely run as long again. The connection stays usable (inside a
    /// transaction, after a rollback).
    StatementTimeout,
    /// A write reached a server or transaction that only reads: a hot-standby replica or
    /// a `READ ONLY` transaction (PostgreSQL 25006), a MariaDB/MySQL server started with
    /// `read_only` (1290) or a read-only transaction (1792), a read-only SQLite database or
    /// `PRAGMA query_only` (SQLITE_READONLY). Not retryable on the same server: send the
    /// write to the primary.
    ReadOnly,
    /// Bad SQL: syntax error, unknown table or column.
    Syntax,
    /// Bad data: out of range, invalid representation, division by zero.
    InvalidData,
    /// Anything else.
    Other,
}

/// The details a driver reported for a failed statement.
///
/// The SQL is kept without its bound values, so errors never leak data.
#[derive(Debug, Clone)]
pub struct DatabaseError {
    /// The classified kind.
    pub kind: DatabaseErrorKind,
    /// The driver's message.
    pub message: String,
    /// The SQLSTATE or native error code (e.g. `23505` on PostgreSQL, `1062` on MySQL,
    /// `2067` on SQLite).
    pub code: Option<String>,
    /// The violated constraint's name, where the database gives it.
    pub constraint: Option<String>,
    /// The statement that failed, with placeholders instead of values.
    pub sql: Option<String>,
}

impl DatabaseError {
    /// A new error of `kind` with `message`; code, constraint and SQL are added by the driver.
    ///
    /// ```
    /// use aludel::{DatabaseError, DatabaseErrorKind};
    /// let e = DatabaseError::new(DatabaseErrorKind::Other, "boom");
    /// assert_eq!(e.message, "boom");
    /// ```
    pub fn new(kind: DatabaseErrorKind, message: impl Into<String>) -> Self {
        DatabaseError {
            kind,
            message: message.into(),
            code: None,
            constraint: None,
            sql: None,
        }
    }

    /// Wraps this error into the [`Error`] variant its kind belongs to.
    ///
    /// ```
    /// use aludel::{DatabaseError, DatabaseErrorKind, Error};
    /// let e = DatabaseError::new(DatabaseErrorKind::UniqueViolation, "dup").into_error();
    /// assert!(matches!(e, Error::Integrity(_)));
    /// ```
    pub fn into_error(self) -> Error {
        use DatabaseErrorKind::*;
        match self.kind {
            UniqueViolation | ForeignKeyViolation | NotNullViolation | CheckViolation => {
                Error::Integrity(self)
            }
            Disconnect | Deadlock | SerializationFailure | LockTimeout | StatementTimeout
            | ReadOnly => Error::Operational(self),
            Syntax => Error::Programming(self),
            InvalidData => Error::Data(self),
            Other => Error::Operational(self),
        }
    }
}

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.kind)?;
        if let Some(code) = &self.code {
            write!(f, " [{code}]")?;
        }
        if let Some(c) = &self.constraint {
            write!(f, " on constraint {c}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(sql) = &self.sql {
            write!(f, "\n[SQL: {sql}]")?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Configuration { message } => write!(f, "configuration error: {message}"),
            Error::Compile { message } => write!(f, "cannot compile statement: {message}"),
            Error::Unsupported { construct, dialect } => {
                write!(f, "{construct} is not supported by the {dialect} dialect")
            }
            Error::Conversion { expected, found } => {
                write!(f, "cannot convert {found} to {expected}")
            }
            Error::NoSuchColumn { column, available } => {
                write!(
                    f,
                    "no column {column} in row (columns: {})",
                    available.join(", ")
                )
            }
            Error::Integrity(e) => write!(f, "integrity error: {e}"),
            Error::Validation { model, errors } => {
                write!(f, "validation failed for {model}: {errors}")
            }
            Error::Operational(e) => write!(f, "operational error: {e}"),
            Error::Programming(e) => write!(f, "programming error: {e}"),
            Error::Data(e) => write!(f, "data error: {e}"),
            Error::PoolTimeout { waited, capacity } => write!(
                f,
                "no connection available: all {capacity} connections of the pool stayed in use for {waited:?} (pool_timeout)"
            ),
            Error::NoResultFound => write!(f, "no row was found when one was required"),
            Error::MultipleResultsFound => {
                write!(f, "multiple rows were found when exactly one was required")
            }
            Error::InvalidRequest { message } => write!(f, "invalid request: {message}"),
            Error::DetachedInstance { message } => write!(f, "detached instance: {message}"),
            Error::LazyLoadRefused { message } => write!(f, "lazy load refused: {message}"),
            Error::StaleData { message } => write!(f, "stale data: {message}"),
            Error::ObjectDeleted { message } => write!(f, "object deleted: {message}"),
            Error::CommitOutcomeUnknown { cause } => write!(
                f,
                "the connection was lost during COMMIT, so the transaction may or may not have been committed ({cause}); it was not retried"
            ),
            Error::PendingRollback { cause } => write!(
                f,
                "this session's transaction was rolled back after a failed flush ({cause}); call rollback() before using the session again"
            ),
        }
    }
}

impl std::error::Error for Error {}
