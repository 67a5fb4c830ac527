//! The measuring machinery: one measurement per child process (so peak RSS is that
//! measurement's alone), medians over interleaved repetitions, the printed table and the
//! JSON report. It knows nothing of databases or ORMs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

/// What one child process reports.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The timed section took `seconds`; the process peaked at `peak_rss_bytes`.
    Measured { seconds: f64, peak_rss_bytes: u64 },
    /// The contender cannot run this workload here (the reason is printed once).
    Skipped(String),
}

/// The first line a child prints on stdout for a measurement.
const MEASURED: &str = "RESULT";
/// The first line a child prints on stdout when it cannot run the workload.
const SKIPPED: &str = "SKIP";

/// Times `work` and prints the child's report line: elapsed seconds and peak RSS.
///
/// `work` returns the number of rows it materialised, which is checked against
/// `expected_rows` so that no contender silently does less work than the others.
pub fn report_measurement(
    expected_rows: usize,
    work: impl FnOnce(&mut Stopwatch) -> Result<usize, String>,
) -> Result<(), String> {
    let mut watch = Stopwatch::default();
    let rows = work(&mut watch)?;
    if rows != expected_rows {
        return Err(format!(
            "materialised {rows} rows, expected {expected_rows}"
        ));
    }
    println!(
        "{MEASURED} {} {}",
        watch.elapsed.as_secs_f64(),
        peak_rss_bytes()
    );
    Ok(())
}

/// Accumulates the timed part of a child's work; setup (connecting, preparing fixtures)
/// stays outside it.
#[derive(Debug, Default)]
pub struct Stopwatch {
    elapsed: Duration,
}

impl Stopwatch {
    /// Runs `f`, adding its duration to the measurement.
    pub fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.elapsed += start.elapsed();
        out
    }

    /// Adds a duration measured elsewhere (async work timed around `block_on`'s future).
    pub fn add(&mut self, elapsed: Duration) {
        self.elapsed += elapsed;
    }
}

/// This process's peak resident set size (`VmHWM` in /proc/self/status), in bytes.
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Runs one measurement in a child process and parses its report line.
pub fn run_child(command: &mut Command) -> Result<Outcome, String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot start {command:?}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with(MEASURED) || l.starts_with(SKIPPED));
    match line {
        Some(l) if l.starts_with(SKIPPED) => {
            Ok(Outcome::Skipped(l[SKIPPED.len()..].trim().to_owned()))
        }
        Some(l) if output.status.success() => {
            let mut parts = l[MEASURED.len()..].split_whitespace();
            let seconds = parts.next().and_then(|s| s.parse().ok());
            let rss = parts.next().and_then(|s| s.parse().ok());
            match (seconds, rss) {
                (Some(seconds), Some(peak_rss_bytes)) => Ok(Outcome::Measured {
                    seconds,
                    peak_rss_bytes,
                }),
                _ => Err(format!("unreadable report line {l:?}")),
            }
        }
        _ => Err(format!(
            "failed ({}): {}",
            output.status,
            last_lines(&stderr, 6)
        )),
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// The median of `samples` (the mean of the middle two for an even count).
pub fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    }
}

/// The median result of one (workload, variant, backend, contender).
#[derive(Debug, Clone)]
pub struct Summary {
    /// Workload name as in the table, e.g. `large_resultsets`.
    pub workload: &'static str,
    /// Variant name, e.g. `objects`.
    pub variant: &'static str,
    /// `sqlite`, `postgres` or `mysql`.
    pub backend: &'static str,
    /// `raw`, `aludel`, `diesel`, `sea-orm` or `sqlalchemy`.
    pub contender: &'static str,
    /// Rows the workload handled.
    pub rows: usize,
    /// Median seconds of the timed section.
    pub median_s: f64,
    /// Median peak RSS of the measuring process.
    pub peak_rss_bytes: u64,
}

/// A summary's key fields with its samples of seconds and of peak RSS.
type Series = (Summary, Vec<f64>, Vec<f64>);

/// Collects the samples of every measurement of a run.
#[derive(Debug, Default)]
pub struct Samples {
    by_key: BTreeMap<(usize, &'static str), Series>,
}

impl Samples {
    /// Records one measurement; `order` keeps rows in the order workloads ran.
    pub fn add(&mut self, order: usize, key: Summary, seconds: f64, rss: u64) {
        let entry = self
            .by_key
            .entry((order, key.contender))
            .or_insert_with(|| (key, Vec::new(), Vec::new()));
        entry.1.push(seconds);
        entry.2.push(rss as f64);
    }

    /// The medians, in run order.
    pub fn summaries(&self) -> Vec<Summary> {
        self.by_key
            .values()
            .map(|(s, secs, rss)| Summary {
                median_s: median(&mut secs.clone()),
                peak_rss_bytes: median(&mut rss.clone()) as u64,
                ..s.clone()
            })
            .collect()
    }
}

/// The Markdown table of medians with each contender's ratio to `raw` on the same row.
pub fn table(summaries: &[Summary]) -> String {
    let mut out = String::from(
        "| backend | workload/variant | rows | contender | median | × raw | peak RSS |\n\
         |---|---|---:|---|---:|---:|---:|\n",
    );
    for s in summaries {
        let raw = summaries.iter().find(|r| {
            r.contender == "raw"
                && r.workload == s.workload
                && r.variant == s.variant
                && r.backend == s.backend
                && r.rows == s.rows
        });
        let ratio = raw.map_or("–".to_owned(), |r| {
            format!("{:.2}", s.median_s / r.median_s)
        });
        let _ = writeln!(
            out,
            "| {} | {}/{} | {} | {} | {} | {} | {:.1} MiB |",
            s.backend,
            s.workload,
            s.variant,
            s.rows,
            s.contender,
            human_seconds(s.median_s),
            ratio,
            s.peak_rss_bytes as f64 / (1024.0 * 1024.0)
        );
    }
    out
}

fn human_seconds(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.3} s")
    } else {
        format!("{:.2} ms", s * 1e3)
    }
}

/// The summaries as the JSON list of objects.
pub fn json(summaries: &[Summary]) -> String {
    let list: Vec<serde_json::Value> = summaries
        .iter()
        .map(|s| {
            serde_json::json!({
                "workload": s.workload,
                "variant": s.variant,
                "backend": s.backend,
                "contender": s.contender,
                "rows": s.rows,
                "median_s": s.median_s,
                "peak_rss_bytes": s.peak_rss_bytes,
            })
        })
        .collect();
    serde_json::to_string_pretty(&list).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn peak_rss_is_read_from_proc() {
        assert!(peak_rss_bytes() > 0);
    }
}
