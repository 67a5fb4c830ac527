//! aludel-bench: the issue-5 workloads run side by side for `raw`, `aludel`, `diesel`,
//! `sea-orm` and `sqlalchemy` on SQLite, PostgreSQL and MariaDB/MySQL.
//!
//! ```text
//! cargo run --release -p aludel-bench -- [--quick] [--backend sqlite|postgres|mysql|all]
//!     [--json PATH] [--reps N] [--only WORKLOAD/VARIANT,...] [--contenders NAME,...]
//! ```
//!
//! The parent process prepares each fixture, then starts one child process per measurement
//! (itself with the hidden `--one`, or the SQLAlchemy script), so every sample's peak RSS is
//! its own. Repetitions are interleaved (each round runs every contender once, in a rotated
//! order); the table shows medians and the ratio to `raw`.

mod contenders;
mod harness;
mod workloads;

use std::collections::BTreeSet;
use std::process::{Command, ExitCode};

use contenders::{Contender, Job, sqlalchemy};
use harness::{Outcome, Samples, Summary};
use workloads::{Backend, Fixture, Workload};

/// The command line.
#[derive(Debug)]
struct Options {
    quick: bool,
    backends: Vec<Backend>,
    json: Option<String>,
    reps: usize,
    workloads: Vec<Workload>,
    contenders: Vec<Contender>,
}

/// Row counts of the `large_resultsets/streamed` scaling points (time linear, memory flat).
const SCALING_POINTS: [usize; 3] = [10_000, 100_000, 1_000_000];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--one") {
        return child(&args[1..]);
    }
    match parse(&args) {
        Ok(options) => parent(&options),
        Err(message) => {
            eprintln!("{message}");
            eprintln!(
                "usage: aludel-bench [--quick] [--backend sqlite|postgres|mysql|all] [--json PATH] \
                 [--reps N] [--only WORKLOAD/VARIANT,...] [--contenders raw,aludel,diesel,sea-orm,sqlalchemy]"
            );
            ExitCode::from(2)
        }
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        quick: false,
        backends: Backend::ALL.to_vec(),
        json: None,
        reps: 0,
        workloads: Workload::ALL.to_vec(),
        contenders: Contender::ALL.to_vec(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--backend" => {
                let v = value()?;
                options.backends = match v.as_str() {
                    "all" => Backend::ALL.to_vec(),
                    name => {
                        vec![Backend::from_name(name).ok_or(format!("unknown backend {name}"))?]
                    }
                };
            }
            "--json" => options.json = Some(value()?),
            "--reps" => options.reps = value()?.parse().map_err(|_| "--reps takes a number")?,
            "--only" => {
                options.workloads = value()?
                    .split(',')
                    .map(|s| Workload::from_slug(s).ok_or(format!("unknown workload {s}")))
                    .collect::<Result<_, _>>()?;
            }
            "--contenders" => {
                options.contenders = value()?
                    .split(',')
                    .map(|s| Contender::from_name(s).ok_or(format!("unknown contender {s}")))
                    .collect::<Result<_, _>>()?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if options.reps == 0 {
        options.reps = 5;
    }
    Ok(options)
}

/// The hidden child mode: `--one WORKLOAD/VARIANT/CONTENDER/BACKEND SIZE TABLE_ROWS`.
fn child(args: &[String]) -> ExitCode {
    let parsed = (|| {
        let parts: Vec<&str> = args.first()?.split('/').collect();
        let [w, v, c, b] = parts.as_slice() else {
            return None;
        };
        let job = Job {
            workload: Workload::from_slug(&format!("{w}/{v}"))?,
            backend: Backend::from_name(b)?,
            size: args.get(1)?.parse().ok()?,
            table_rows: args.get(2)?.parse().ok()?,
        };
        Some((Contender::from_name(c)?, job))
    })();
    let Some((contender, job)) = parsed else {
        eprintln!("bad --one arguments: {args:?}");
        return ExitCode::from(2);
    };
    let result = harness::report_measurement(job.workload.expected_rows(job.size), |watch| {
        contender
            .run(&job, watch)
            .map_err(|failure| failure.to_string())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs everything the options ask for and prints (and writes) the report.
fn parent(options: &Options) -> ExitCode {
    let python = if options.contenders.contains(&Contender::Sqlalchemy) {
        match sqlalchemy::prepare() {
            Ok(p) => {
                println!("sqlalchemy: SQLAlchemy {}", p.version);
                Some(p)
            }
            Err(reason) => {
                println!("sqlalchemy: SKIPPED on every backend: {reason}");
                None
            }
        }
    } else {
        None
    };
    let mut run = Run {
        options,
        python,
        samples: Samples::default(),
        skipped: BTreeSet::new(),
        order: 0,
        fixture: None,
    };
    for &backend in &options.backends {
        if let Err(reason) = workloads::probe(backend) {
            println!(
                "{}: SKIPPED: the service does not answer ({reason})",
                backend.name()
            );
            continue;
        }
        run.fixture = None;
        for &workload in &options.workloads {
            let size = workload.size(options.quick);
            if let Err(e) = run.measure(backend, workload, size, &options.contenders) {
                println!(
                    "{}: {}: fixture failed: {e}",
                    backend.name(),
                    workload.slug()
                );
            }
        }
        if backend == Backend::Sqlite && options.workloads.contains(&Workload::LargeStreamed) {
            let who: Vec<Contender> = [Contender::Raw, Contender::Aludel]
                .into_iter()
                .filter(|c| options.contenders.contains(c))
                .collect();
            for rows in SCALING_POINTS {
                if let Err(e) = run.measure(backend, Workload::LargeStreamed, rows, &who) {
                    println!("sqlite: streamed scaling at {rows}: fixture failed: {e}");
                }
            }
        }
    }
    let summaries = run.samples.summaries();
    println!("\n{}", harness::table(&summaries));
    for line in &run.skipped {
        println!("skipped: {line}");
    }
    if let Some(path) = &options.json {
        if let Err(e) = std::fs::write(path, harness::json(&summaries)) {
            eprintln!("cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
        println!("wrote {path}");
    }
    ExitCode::SUCCESS
}

/// The state of a run in progress.
struct Run<'o> {
    options: &'o Options,
    python: Option<sqlalchemy::Python>,
    samples: Samples,
    /// `contender on backend: workload: reason`, printed once each.
    skipped: BTreeSet<String>,
    /// Keeps the table in run order.
    order: usize,
    /// The fixture the database holds now, if pristine.
    fixture: Option<Fixture>,
}

impl Run<'_> {
    /// All repetitions of one workload at one size, contenders interleaved.
    fn measure(
        &mut self,
        backend: Backend,
        workload: Workload,
        size: usize,
        contenders: &[Contender],
    ) -> aludel::Result<()> {
        let fixture = match workload.fixture(self.options.quick) {
            Fixture::Items(_) if workload == Workload::LargeStreamed => Fixture::Items(size),
            other => other,
        };
        let job = Job {
            workload,
            backend,
            size,
            table_rows: match fixture {
                Fixture::Items(n) => n,
                Fixture::Blog { .. } => 0,
            },
        };
        self.order += 1;
        let mut active: Vec<Contender> = contenders.to_vec();
        for round in 0..self.options.reps {
            let mut order = active.clone();
            let shift = round % order.len().max(1);
            order.rotate_left(shift);
            for contender in order {
                if self.fixture != Some(fixture) {
                    fixture.build(backend)?;
                    self.fixture = Some(fixture);
                }
                let outcome = self
                    .command(contender, &job)
                    .and_then(|mut c| harness::run_child(&mut c));
                if workload.mutates() {
                    self.fixture = None;
                }
                let label = format!(
                    "{} on {}: {}",
                    contender.name(),
                    backend.name(),
                    workload.slug()
                );
                match outcome {
                    Ok(Outcome::Measured {
                        seconds,
                        peak_rss_bytes,
                    }) => {
                        let (w, v) = workload.names();
                        let key = Summary {
                            workload: w,
                            variant: v,
                            backend: backend.name(),
                            contender: contender.name(),
                            rows: workload.expected_rows(size),
                            median_s: seconds,
                            peak_rss_bytes,
                        };
                        self.samples.add(self.order, key, seconds, peak_rss_bytes);
                    }
                    Ok(Outcome::Skipped(reason)) => {
                        self.skipped.insert(format!("{label}: {reason}"));
                        active.retain(|c| *c != contender);
                    }
                    Err(error) => {
                        println!("{label}: FAILED: {error}");
                        self.skipped.insert(format!("{label}: failed: {error}"));
                        active.retain(|c| *c != contender);
                    }
                }
            }
        }
        eprintln!(
            "done: {} {} ({} rows)",
            backend.name(),
            workload.slug(),
            size
        );
        Ok(())
    }

    /// The child process measuring `job` for `contender`.
    fn command(&self, contender: Contender, job: &Job) -> Result<Command, String> {
        if contender == Contender::Sqlalchemy {
            return self
                .python
                .as_ref()
                .map(|p| p.command(job))
                .ok_or_else(|| "the SQLAlchemy virtualenv could not be set up".to_owned());
        }
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut command = Command::new(exe);
        command.args([
            "--one".to_owned(),
            format!(
                "{}/{}/{}",
                job.workload.slug(),
                contender.name(),
                job.backend.name()
            ),
            job.size.to_string(),
            job.table_rows.to_string(),
        ]);
        Ok(command)
    }
}
