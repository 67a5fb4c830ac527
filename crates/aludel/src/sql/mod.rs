//! The Core: the SQL expression language, schema, and the compiler that renders it.
//!
//! Nothing here knows about the ORM; the ORM builds these statements and runs them through
//! the [`engine`](crate::engine). Every statement implements [`Executable`]: compile it for
//! a [`Dialect`](crate::dialects::Dialect) to get SQL text and ordered bind values.
//!
//! ```
//! use aludel::dialects::{MySql, Postgres, Sqlite};
//! use aludel::sql::{func, select, Column, Executable, SqlType, Table};
//! let employees = Table::build("employees")
//!     .column(Column::new("emp_no", SqlType::Integer).primary_key())
//!     .column(Column::new("last_name", SqlType::String { length: Some(16) }))
//!     .finish();
//! let q = select([employees.c("last_name"), func::count_star().label("n")])
//!     .where_(employees.c("last_name").like("%treh%"))
//!     .group_by([employees.c("last_name")]);
//! let expected = "SELECT employees.last_name, count(*) AS n FROM employees \
//!                 WHERE employees.last_name LIKE ? GROUP BY employees.last_name";
//! assert_eq!(q.compile(&Sqlite).unwrap().sql, expected);
//! assert_eq!(q.compile(&MySql).unwrap().sql, expected);
//! assert_eq!(q.compile(&Postgres).unwrap().sql, expected.replace('?', "$1"));
//! ```

pub(crate) mod adapt;
mod compiled;
pub(crate) mod compiler;
mod ddl;
pub(crate) mod ddl_order;
mod dml;
mod elements;
pub mod func;
mod naming;
mod reduce;
mod schema;
mod select;
mod selectable;
mod shape;
mod text;
pub mod types;
mod value;
mod value_ref;

pub use compiled::{BindSlot, Compiled, Executable, Params, StatementRef};
pub use ddl::{AddForeignKey, CreateIndex, CreateTable, DdlStatement, DropForeignKey, DropTable};
pub use dml::{Delete, Insert, OnConflict, Update, delete, insert, update};
pub use elements::{
    BinaryOp, BoolOp, ColumnRef, Direction, Expr, FunctionCall, InTarget, NullsOrder, OrderBy,
    UnaryOp, and_, bindparam, bindparam_value, case, case_value, cast, excluded, exists, false_,
    literal, literal_column, not_, null, or_, star, true_, tuple,
};
pub use naming::NamingConvention;
pub(crate) use schema::referenced_tables as schema_referenced_tables;
pub use schema::{
    Column, Constraint, ForeignKey, Index, MetaData, ReferentialAction, Table, TableBuilder,
    TableDef,
};
pub use select::select;
pub use selectable::{
    Alias, CompoundSelect, Cte, CteDef, FromItem, Hint, Join, JoinKind, LabelStyle, LockOptions,
    Select, SelectStatement, SetOp, Subquery,
};
pub use shape::ShapeKey;
pub(crate) use shape::{Addr, Shape, Walked};
pub use text::{TextClause, text};
pub use types::SqlType;
pub use value::{FromValue, ToValue, Value};
pub use value_ref::{FromValueRef, ValueRef};
