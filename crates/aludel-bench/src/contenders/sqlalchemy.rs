//! `sqlalchemy`: SQLAlchemy 2.1's ORM in CPython, from `python/bench.py` (our own scripts).
//! The bench creates a virtualenv beside its binary with `python3 -m venv` and installs
//! SQLAlchemy, psycopg2-binary and PyMySQL from PyPI into it; when that fails the
//! contender is skipped with the reason.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Job;
use crate::workloads::Backend;

/// The script, embedded so the binary needs no source tree at run time.
const SCRIPT: &str = include_str!("../../python/bench.py");

/// What pip installs: SQLAlchemy 2.1 (falling back to any 2.x) and the server drivers.
const REQUIREMENTS: [&[&str]; 2] = [
    &["sqlalchemy>=2.1,<2.2", "psycopg2-binary", "pymysql"],
    &["sqlalchemy>=2.0,<3", "psycopg2-binary", "pymysql"],
];

/// A ready SQLAlchemy environment.
#[derive(Debug, Clone)]
pub struct Python {
    interpreter: PathBuf,
    script: PathBuf,
    /// `sqlalchemy.__version__`.
    pub version: String,
}

/// Creates (once) the virtualenv and returns its interpreter, or why it cannot.
pub fn prepare() -> Result<Python, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let venv = exe
        .parent()
        .unwrap_or(Path::new("."))
        .join("aludel-bench-venv");
    let interpreter = venv.join("bin").join("python");
    let script = venv.join("bench.py");
    if version(&interpreter).is_none() {
        eprintln!("sqlalchemy: creating a virtualenv in {}", venv.display());
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        let installed = REQUIREMENTS.iter().any(|reqs| {
            run(Command::new(&interpreter)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(*reqs))
            .is_ok()
        });
        if !installed {
            return Err("pip could not install SQLAlchemy 2.x, psycopg2-binary and PyMySQL".into());
        }
    }
    std::fs::write(&script, SCRIPT).map_err(|e| e.to_string())?;
    let version = version(&interpreter).ok_or("SQLAlchemy does not import in the virtualenv")?;
    Ok(Python {
        interpreter,
        script,
        version,
    })
}

fn version(python: &Path) -> Option<String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import sqlalchemy, psycopg2, pymysql; print(sqlalchemy.__version__)",
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn run(command: &mut Command) -> Result<(), String> {
    let out = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Python {
    /// The child process that measures `job`.
    pub fn command(&self, job: &Job) -> Command {
        let url = match job.backend {
            Backend::Sqlite => format!("sqlite:///{}", job.backend.url()),
            Backend::Postgres => {
                job.backend
                    .url()
                    .replacen("postgresql://", "postgresql+psycopg2://", 1)
            }
            Backend::Mysql => job
                .backend
                .url()
                .replacen("mysql://", "mysql+pymysql://", 1),
        };
        let mut command = Command::new(&self.interpreter);
        command
            .arg(&self.script)
            .arg(job.workload.slug())
            .arg(url)
            .arg(job.size.to_string())
            .arg(job.table_rows.to_string())
            .arg(job.workload.expected_rows(job.size).to_string());
        command
    }
}
