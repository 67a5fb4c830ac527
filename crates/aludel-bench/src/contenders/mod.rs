//! The contenders, one file each. A Rust contender runs inside a child process started by
//! the parent with `--one`; SQLAlchemy runs as a Python child of the parent directly.

pub mod aludel;
pub mod diesel;
pub mod raw;
pub mod sea_orm;
pub mod sqlalchemy;

use std::fmt;

use crate::harness::Stopwatch;
use crate::workloads::{Backend, Workload};

/// One measurement's parameters, as the child receives them.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    /// What to do.
    pub workload: Workload,
    /// Where.
    pub backend: Backend,
    /// The workload's size parameter (see [`Workload::size`]).
    pub size: usize,
    /// Rows in `items` (the key range of `short_selects/get`).
    pub table_rows: usize,
}

/// Why a contender did not produce a measurement (every Rust contender runs every
/// workload; only the SQLAlchemy child reports a skip, through its own protocol line).
#[derive(Debug)]
pub enum Failure {
    /// Something went wrong.
    Error(String),
}

impl<E: std::error::Error> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Error(e.to_string())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(reason) => f.write_str(reason),
        }
    }
}

/// What a contender's run returns: the rows it materialised or wrote.
pub type Rows = Result<usize, Failure>;

/// The contenders, in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    /// The driver by hand: rusqlite, postgres, mysql.
    Raw,
    /// This project.
    Aludel,
    /// Diesel 2.
    Diesel,
    /// SeaORM 2 on sqlx.
    SeaOrm,
    /// SQLAlchemy 2.x ORM in CPython.
    Sqlalchemy,
}

impl Contender {
    /// Every contender.
    pub const ALL: [Contender; 5] = [
        Contender::Raw,
        Contender::Aludel,
        Contender::Diesel,
        Contender::SeaOrm,
        Contender::Sqlalchemy,
    ];

    /// The `contender` field of the report.
    pub fn name(self) -> &'static str {
        match self {
            Contender::Raw => "raw",
            Contender::Aludel => "aludel",
            Contender::Diesel => "diesel",
            Contender::SeaOrm => "sea-orm",
            Contender::Sqlalchemy => "sqlalchemy",
        }
    }

    /// Parses [`Contender::name`].
    pub fn from_name(name: &str) -> Option<Contender> {
        Contender::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Runs `job` in this process (a Rust contender's child), timing only the work.
    pub fn run(self, job: &Job, watch: &mut Stopwatch) -> Rows {
        match self {
            Contender::Raw => raw::run(job, watch),
            Contender::Aludel => aludel::run(job, watch),
            Contender::Diesel => diesel::run(job, watch),
            Contender::SeaOrm => sea_orm::run(job, watch),
            Contender::Sqlalchemy => Err(Failure::Error(
                "SQLAlchemy runs as a Python child of the parent".into(),
            )),
        }
    }
}

/// Counting materialised rows so the optimiser must assume each one is read: no
/// contender's decoding can be optimised away.
pub trait Kept {
    /// The number of rows, after passing them through [`std::hint::black_box`].
    fn kept(self) -> usize;
}

impl<T> Kept for Vec<T> {
    fn kept(self) -> usize {
        std::hint::black_box(&self).len()
    }
}

/// Users with their posts with their comments, as `diesel_associations` materialises them.
pub type Tree<U, P, C> = Vec<(U, Vec<(P, Vec<C>)>)>;

/// The objects in a [`Tree`]: users, posts and comments.
pub fn tree_rows<U, P, C>(tree: &Tree<U, P, C>) -> usize {
    let below: usize = tree
        .iter()
        .flat_map(|(_, posts)| posts)
        .map(|(_, comments)| 1 + comments.len())
        .sum();
    std::hint::black_box(tree).len() + below
}
