//! `cargo xtask bench`: builds the server in release, runs it on loopback against each engine and
//! measures, side by side in one run: no-op (`GET /healthz`) and check-in throughput over TLS with
//! keep-alive, check-ins with SQLite group commit off, the bare-SQLite storage limit, and check-in
//! latency at half the measured peak. Prints a table and writes `bench/results.json`. The numbers
//! are ratios of runs on the same machine at the same time, not absolute claims.
//! `--login-timing` measures instead whether a failed login's time tells who has an account
//! (see [`login`]).

mod load;
mod login;
mod raw;
mod server;

use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};

use crate::workspace;
use load::{Kind, Stats, Target};
use server::BenchServer;

/// How the bench runs.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchOpts {
    /// Concurrent clients (each a kiosk with one kept-alive connection).
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds each measurement lasts (after one second of warm-up).
    #[arg(long, default_value_t = 5)]
    secs: u64,
    /// Skip the PostgreSQL runs.
    #[arg(long)]
    sqlite_only: bool,
    /// Measure failed logins' timing for real and unknown accounts instead (see `login.rs`).
    #[arg(long)]
    login_timing: bool,
    /// With `--login-timing`: the server binaries to compare, as `label=path`, instead of the
    /// release build.
    #[arg(long, value_name = "LABEL=PATH", requires = "login_timing")]
    server_bin: Vec<String>,
}

/// The group-commit batch bound the server runs with by default (`--commit-batch-max`).
const BATCH: usize = 64;

pub fn run(opts: &BenchOpts) -> anyhow::Result<()> {
    let services = if opts.sqlite_only {
        crate::prereqs::Started::default()
    } else {
        crate::prereqs::postgres()?
    };
    let result = (|| {
        let mut bins = opts
            .server_bin
            .iter()
            .map(|b| {
                b.split_once('=')
                    .map(|(label, path)| (label.to_owned(), path.into()))
                    .context("--server-bin takes LABEL=PATH")
            })
            .collect::<anyhow::Result<Vec<(String, std::path::PathBuf)>>>()?;
        if bins.is_empty() {
            workspace::cargo(
                &["build", "--release", "--package", "vestibule-server"],
                &[],
            )?;
            let bin = workspace::target_dir()?.join("release/vestibule-server");
            bins.push(("release".to_owned(), bin));
        }
        let runtime = tokio::runtime::Runtime::new()?;
        if opts.login_timing {
            runtime.block_on(login::measure(&bins, opts.sqlite_only))
        } else {
            let results = runtime.block_on(measure(opts, &bins[0].1))?;
            print_table(&results);
            Ok(results)
        }
    })();
    services.stop();
    let results = result?;
    let name = if opts.login_timing {
        "login-timing.json"
    } else {
        "results.json"
    };
    let out = workspace::root().join("bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(
        out.join(name),
        serde_json::to_string_pretty(&results)? + "\n",
    )?;
    println!("written to bench/{name}");
    Ok(())
}

async fn measure(opts: &BenchOpts, bin: &std::path::Path) -> anyhow::Result<Value> {
    let secs = Duration::from_secs(opts.secs);
    let mut engines = serde_json::Map::new();
    engines.insert(
        "sqlite".into(),
        engine(opts, bin, None, secs)
            .await
            .context("the SQLite runs")?,
    );
    if !opts.sqlite_only {
        let db = server::PgDatabase::create().await?;
        let pg = engine(opts, bin, Some(&db.url), secs)
            .await
            .context("the PostgreSQL runs");
        db.drop_it().await;
        engines.insert("postgres".into(), pg?);
    }
    Ok(json!({
        "when": chrono::Utc::now().to_rfc3339(),
        "machine": {"cores": std::thread::available_parallelism().map_or(0, usize::from)},
        "clients": opts.clients,
        "secs_per_run": opts.secs,
        "group_commit_batch_max": BATCH,
        "engines": engines,
    }))
}

fn latency(s: &Stats) -> Value {
    json!({"p50_ms": s.percentile_ms(0.50), "p99_ms": s.percentile_ms(0.99), "max_ms": s.max_ms(), "answered": s.ok, "failed": s.failed})
}

async fn engine(
    opts: &BenchOpts,
    bin: &std::path::Path,
    pg: Option<&str>,
    secs: Duration,
) -> anyhow::Result<Value> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir = std::env::temp_dir().join(format!("vestibule-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let warm = Duration::from_secs(1);
    let mut server = BenchServer::start(bin, &dir, pg, &[]).await?;
    let (kiosks, host) = server.setup(opts.clients).await?;
    println!(
        "{name}: measuring with {} clients, {} s a run",
        opts.clients,
        secs.as_secs()
    );
    let noop = load::closed(
        &kiosks,
        &Target::new(&server.base, &host, "noop"),
        Kind::Noop,
        warm,
        secs,
    )
    .await?;
    println!("  no-op:      {:>8.0} requests/s", noop.rps());
    let on = load::closed(
        &kiosks,
        &Target::new(&server.base, &host, "peak"),
        Kind::CheckIn,
        warm,
        secs,
    )
    .await?;
    println!("  check-in:   {:>8.0} /s ({} failed)", on.rps(), on.failed);
    let half = on.rps() / 2.0;
    let lat = load::open(
        &kiosks,
        &Target::new(&server.base, &host, "half"),
        Kind::CheckIn,
        half,
        secs,
    )
    .await?;
    println!(
        "  at {half:.0}/s: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.percentile_ms(0.5),
        lat.percentile_ms(0.99),
        lat.max_ms()
    );
    server.stop();
    let mut out = json!({
        "noop_rps": noop.rps(),
        "check_in_rps": on.rps(),
        "check_in_failed": on.failed,
        "ratio_check_in_to_noop": on.rps() / noop.rps(),
        "latency_at_half_peak": latency(&lat),
        "half_peak_rate": half,
    });
    if pg.is_none() {
        let mut off_server =
            BenchServer::start(bin, &dir, None, &["--commit-batch-max", "1"]).await?;
        let off = load::closed(
            &kiosks,
            &Target::new(&off_server.base, &host, "off"),
            Kind::CheckIn,
            warm,
            secs,
        )
        .await?;
        println!("  check-in, group commit off: {:>8.0} /s", off.rps());
        off_server.stop();
        let raw = raw::check_in_rows(&dir, BATCH, secs).await?;
        println!("  bare SQLite, same rows in batches of {BATCH}: {raw:>8.0} check-ins' worth/s");
        out["check_in_group_commit_off_rps"] = json!(off.rps());
        out["ratio_group_commit_on_to_off"] = json!(on.rps() / off.rps());
        out["raw_sqlite_rows_rps"] = json!(raw);
        out["ratio_check_in_to_raw_sqlite"] = json!(on.rps() / raw);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

fn print_table(r: &Value) {
    let f = |v: &Value| {
        v.as_f64().map_or("-".to_owned(), |x| {
            if x >= 100.0 {
                format!("{x:.0}")
            } else {
                format!("{x:.2}")
            }
        })
    };
    println!();
    println!("{:<44} {:>12} {:>12}", "measure", "sqlite", "postgres");
    let rows: [(&str, &[&str]); 11] = [
        ("no-op GET /healthz (requests/s)", &["noop_rps"]),
        ("check-ins (/s)", &["check_in_rps"]),
        (
            "check-ins, group commit off (/s)",
            &["check_in_group_commit_off_rps"],
        ),
        (
            "bare SQLite, same rows (check-ins/s)",
            &["raw_sqlite_rows_rps"],
        ),
        (
            "ratio check-in / no-op (target >= 0.5)",
            &["ratio_check_in_to_noop"],
        ),
        (
            "ratio group commit on / off (target >= 5)",
            &["ratio_group_commit_on_to_off"],
        ),
        (
            "ratio check-in / bare SQLite",
            &["ratio_check_in_to_raw_sqlite"],
        ),
        ("latency at half peak: rate (/s)", &["half_peak_rate"]),
        ("  p50 (ms)", &["latency_at_half_peak", "p50_ms"]),
        (
            "  p99 (ms, target <= 10 on SQLite)",
            &["latency_at_half_peak", "p99_ms"],
        ),
        ("  max (ms)", &["latency_at_half_peak", "max_ms"]),
    ];
    for (label, path) in rows {
        let get = |engine: &str| path.iter().fold(&r["engines"][engine], |v, k| &v[*k]);
        println!(
            "{label:<44} {:>12} {:>12}",
            f(get("sqlite")),
            f(get("postgres"))
        );
    }
}
