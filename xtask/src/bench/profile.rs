//! Where a check-in's CPU time goes: a wrk check-in run with `perf record` sampling the server
//! (999 Hz, every thread, no call graph), then `perf report` of the samples by the function
//! they landed in, sorted into TLS+HTTP, JSON, crypto, SQL, the async runtime, memory and libc,
//! the kernel (sockets, scheduling, file sync) and the rest by the function's crate or library
//! (see [`category`]), and by thread (a thread busy a whole core bounds the rate by itself). A
//! sample is counted where the CPU was, not by who called it: a `memcpy` made by rustls is
//! "memory and libc", not TLS. The server's CPU time per check-in comes from
//! its `/proc/<pid>/stat` over the run, the whole machine's (server, wrk, database) from
//! `/proc/stat`; the limit each implies is the machine's cores divided by it. `perf` comes from
//! Debian's `linux-perf` package, installed when missing (as root on Debian).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
};

use anyhow::Context;
use serde_json::{Value, json};

use super::wrk;
use crate::prereqs;

/// The categories, in the order they are printed.
const CATEGORIES: [&str; 8] = [
    "TLS+HTTP",
    "JSON",
    "crypto",
    "SQL",
    "async runtime",
    "memory and libc",
    "kernel",
    "rest",
];

/// Installs Debian's `linux-perf` when `perf` is missing.
pub fn ensure() -> anyhow::Result<()> {
    prereqs::command("perf", "linux-perf", "the bench's profiler")
}

/// The category of a sample in `dso` (perf's name for the binary or library) at `symbol`.
fn category(dso: &str, symbol: &str) -> &'static str {
    let has = |words: &[&str]| words.iter().any(|w| symbol.contains(w));
    if dso.contains("kernel") || dso.starts_with("[") {
        "kernel"
    } else if has(&[
        "rustls",
        "ring_core",
        "ring::",
        "webpki",
        "hyper",
        "axum",
        "http::",
        "httparse",
        "tower",
        "h2::",
    ]) {
        "TLS+HTTP"
    } else if has(&["serde_json", "serde::", "serde_path_to_error"]) {
        "JSON"
    } else if has(&[
        "chacha20",
        "poly1305",
        "sha2::",
        "hmac",
        "argon2",
        "blake2",
        "server::crypto",
    ]) {
        "crypto"
    } else if has(&["sqlite3", "sqlx", "Vdbe", "btree", "pager"]) {
        "SQL"
    } else if has(&[
        "tokio",
        "mio::",
        "futures",
        "parking_lot",
        "crossbeam",
        "std::sys",
        "std::thread",
    ]) {
        "async runtime"
    } else if dso.starts_with("libc") || dso.starts_with("ld-linux") || has(&["malloc", "free"]) {
        "memory and libc"
    } else {
        "rest"
    }
}

/// Each category's share of the samples.
type Shares = Vec<(&'static str, f64)>;

/// The functions most samples landed in, to print beside the categories.
const TOP: usize = 12;

/// The share of samples per category, from `perf report --stdio` lines
/// (`  12.34%  dso  [.] symbol`, most samples first), and the [`TOP`] functions with theirs.
fn shares(report: &str) -> (Shares, Vec<(String, f64)>) {
    let mut by: Shares = CATEGORIES.iter().map(|c| (*c, 0.0)).collect();
    let mut top = Vec::new();
    for line in report.lines() {
        let mut parts = line.split_whitespace();
        let (Some(pct), Some(dso)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Some(pct) = pct.strip_suffix('%').and_then(|p| p.parse::<f64>().ok()) else {
            continue;
        };
        let symbol = parts.skip(1).collect::<Vec<&str>>().join(" ");
        let c = category(dso, &symbol);
        if let Some(slot) = by.iter_mut().find(|(name, _)| *name == c) {
            slot.1 += pct / 100.0;
        }
        if top.len() < TOP {
            top.push((format!("{symbol} ({dso}, {c})"), pct / 100.0));
        }
    }
    (by, top)
}

/// The share of samples per thread name, from `perf report --sort comm` lines (`  12.34%  name`;
/// the kernel cuts names to 15 bytes: `tokio-rt-worker`, `sqlx-sqlite-wor`, `group-commit`).
fn by_thread(report: &str) -> Vec<(String, f64)> {
    report
        .lines()
        .filter_map(|line| {
            let (pct, name) = line.trim().split_once(char::is_whitespace)?;
            let pct = pct.strip_suffix('%')?.parse::<f64>().ok()?;
            Some((name.trim().to_owned(), pct / 100.0))
        })
        .collect()
}

/// `perf report` of the samples in `data`, sorted by `sort`, down to `limit` percent: its lines
/// (`  12.34%  <the sort keys>`, most samples first).
async fn report(data: &Path, sort: &str, limit: &str) -> anyhow::Result<String> {
    let out = tokio::process::Command::new("perf")
        .args(["report", "--stdio", "--no-children", "-q", "--sort", sort])
        .args(["--percent-limit", limit, "-i"])
        .arg(data)
        .output()
        .await
        .with_context(|| format!("running perf report by {sort}"))?;
    anyhow::ensure!(out.status.success(), "perf report by {sort} failed");
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `perf record` sampling one process, every thread, until [`Recording::finish`].
pub struct Recording {
    perf: tokio::process::Child,
    data: PathBuf,
}

impl Recording {
    /// Starts sampling process `pid` into `data` (a file, removed when finished).
    pub fn start(data: PathBuf, pid: u32) -> anyhow::Result<Recording> {
        let perf = tokio::process::Command::new("perf")
            .args(["record", "-F", "999", "-p", &pid.to_string(), "-o"])
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting perf record")?;
        Ok(Recording { perf, data })
    }

    /// Stops sampling; where the samples landed.
    pub async fn finish(mut self) -> anyhow::Result<Profile> {
        if let Some(perf_pid) = self.perf.id() {
            let _ = tokio::process::Command::new("kill")
                .args(["-INT", &perf_pid.to_string()])
                .status()
                .await;
        }
        self.perf.wait().await.context("waiting for perf record")?;
        let (by, top) = shares(&report(&self.data, "dso,sym", "0").await?);
        let threads = by_thread(&report(&self.data, "comm", "1").await?);
        let _ = std::fs::remove_file(&self.data);
        Ok(Profile { by, top, threads })
    }
}

/// Where a process's samples landed: by category, by thread, and the [`TOP`] functions.
pub struct Profile {
    by: Shares,
    top: Vec<(String, f64)>,
    threads: Vec<(String, f64)>,
}

impl Profile {
    /// Prints `us` µs of CPU per `unit` (done `rate` a second) split by category and by thread
    /// (a thread's cores: a thread busy a whole core bounds the rate by itself), then the top
    /// functions; returns the same as JSON.
    pub fn report(&self, us: f64, unit: &str, rate: f64) -> Value {
        let split: Vec<String> = self
            .by
            .iter()
            .map(|(c, s)| format!("{c} {:.1} µs ({:.0}%)", s * us, s * 100.0))
            .collect();
        println!("    {us:.1} µs of CPU per {unit}: {}", split.join(", "));
        let cores = |share: f64| share * us * rate / 1e6;
        let split: Vec<String> = self
            .threads
            .iter()
            .map(|(t, s)| format!("{t} {:.1} µs ({:.2} cores)", s * us, cores(*s)))
            .collect();
        println!("    by thread: {}", split.join(", "));
        println!("    the functions most of the CPU time was spent in:");
        for (f, share) in &self.top {
            println!("      {:>5.1}%  {f}", share * 100.0);
        }
        json!({
            "us_per_unit": us,
            "unit": unit,
            "us_by_category": self.by.iter().map(|(c, s)| (c.to_string(), json!(s * us))).collect::<serde_json::Map<_, _>>(),
            "us_by_thread": self.threads.iter().map(|(t, s)| json!({"thread": t, "us": s * us, "cores": cores(*s)})).collect::<Vec<_>>(),
            "top_functions": self.top.iter().map(|(f, s)| json!({"function": f, "share": s})).collect::<Vec<_>>(),
        })
    }
}

/// Runs wrk's check-ins (`script` against `url`) for `secs` seconds while `perf` samples the
/// server `pid`; returns the run and its profile: µs of CPU per check-in and where they went.
pub async fn check_ins(
    dir: &Path,
    url: &str,
    script: &Path,
    clients: usize,
    secs: u64,
    pid: u32,
) -> anyhow::Result<(wrk::Outcome, Value)> {
    let recording = Recording::start(dir.join("perf.data"), pid)?;
    let run = wrk::run(url, script, clients, secs, Some(pid)).await;
    let profile = recording.finish().await?;
    let run = run?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    let per = |share_of_machine: f64| share_of_machine * cores * run.secs * 1e6 / run.ok as f64;
    let (server_us, machine_us) = (per(run.server_cpu), per(run.cpu_busy));
    println!(
        "  profile of {:.0} check-ins/s: server {server_us:.0} µs CPU per check-in (limit {:.0}/s on {cores} cores), \
         whole machine {machine_us:.0} µs (limit {:.0}/s)",
        run.rps(),
        cores * 1e6 / server_us,
        cores * 1e6 / machine_us,
    );
    let mut json = profile.report(server_us, "check-in", run.rps());
    if let Some(o) = json.as_object_mut() {
        o.insert("check_ins_per_sec".into(), json!(run.rps()));
        o.insert("machine_cpu_us_per_check_in".into(), json!(machine_us));
        o.insert(
            "limit_server_cpu_per_sec".into(),
            json!(cores * 1e6 / server_us),
        );
        o.insert(
            "limit_machine_cpu_per_sec".into(),
            json!(cores * 1e6 / machine_us),
        );
    }
    Ok((run, json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_by_thread() {
        let report = "    60.00%  tokio-rt-worker\n    25.50%  group-commit\n";
        let threads = by_thread(report);
        assert_eq!(threads.len(), 2);
        assert_eq!(threads[1].0, "group-commit");
        assert!((threads[1].1 - 0.255).abs() < 1e-9);
    }

    #[test]
    fn report_lines_sorted_into_categories() {
        let report = "    40.00%  vestibule-server  [.] rustls::conn::ConnectionCommon::process\n\
                      \x20   20.00%  vestibule-server  [.] sqlite3VdbeExec\n\
                      \x20   10.00%  [kernel.kallsyms]  [k] tcp_sendmsg\n\
                      \x20   10.00%  libc.so.6  [.] __memmove_avx_unaligned_erms\n\
                      \x20   10.00%  vestibule-server  [.] <serde_json::de::Deserializer<R>>::parse\n\
                      \x20   10.00%  vestibule-server  [.] chacha20::backends::avx2::inner\n";
        let (by, top) = shares(report);
        assert_eq!(top.len(), 6);
        let get = |c: &str| by.iter().find(|(n, _)| *n == c).map_or(0.0, |(_, s)| *s);
        assert!((get("TLS+HTTP") - 0.4).abs() < 1e-9);
        assert!((get("SQL") - 0.2).abs() < 1e-9);
        assert!((get("kernel") - 0.1).abs() < 1e-9);
        assert!((get("memory and libc") - 0.1).abs() < 1e-9);
        assert!((get("JSON") - 0.1).abs() < 1e-9);
        assert!((get("crypto") - 0.1).abs() < 1e-9);
    }
}
