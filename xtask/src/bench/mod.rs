//! `cargo xtask bench`: builds the server in release, runs it on loopback against each engine and
//! measures, side by side in one run, with `wrk` as the closed-loop generator (see [`wrk`]): no-op
//! (`GET /healthz`) and check-in throughput over TLS with keep-alive, check-ins over 100 tenants
//! (PostgreSQL), check-ins with SQLite group commit off, the bare-SQLite storage limit, check-in
//! latency at half the measured peak (the project's own open-loop generator, [`load`]), and
//! sustained throughput until the outbox has drained, without and with SMTP (to the bench's own
//! sink, [`smtp_sink`]; see [`sustained`]). Each run also reports how busy the machine's CPUs were
//! ([`cpu`]), and one more check-in run is profiled to split the CPU time per check-in
//! ([`profile`]). Prints a table against the targets and writes `bench/results.json`. The numbers are
//! ratios of runs on the same machine at the same time, not absolute claims.
//! `--login-timing` measures instead whether a failed login's time tells who has an account
//! (see [`login`]); `--scale`, a tenant of a million visits: the visit log, the dashboard, the
//! CSV export and a check-in beside it (see [`scale`]); `--exports`, builds of the CSV export
//! side by side (see [`exports`]); `--invitations`, how many invitation emails one server sends
//! a second (see [`invitations`]); `--watchlist`, what a watchlist of 10,000 entries costs a
//! check-in (see [`watchlist`]); `--offline`, what sealing check-ins during an outage costs the
//! kiosk and how fast the server drains them (see [`offline`]); `--scim`, how SCIM lists and
//! lookups fare on a directory of 10,000 users (see [`scim`]); `--webhooks`, how fast check-ins
//! reach a webhook receiver (see [`webhooks`]); `--kiosk`, the kiosk's release figures (see
//! [`kiosk`]).

mod connections;
mod cpu;
mod engine;
mod export;
mod exports;
mod invitations;
mod kiosk;
mod load;
mod login;
mod offline;
mod profile;
mod raw;
mod retention;
mod scale;
mod scim;
mod server;
mod setup;
mod smtp_sink;
mod sustained;
mod table;
mod tenants;
mod watchlist;
mod webhook_sink;
mod webhooks;
mod wrk;

use std::path::Path;

use anyhow::Context;
use serde_json::{Value, json};

use crate::workspace;

/// How the bench runs.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchOpts {
    /// Concurrent clients (wrk's connections; each a kiosk with one kept-alive connection).
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds each measurement lasts (after one second of warm-up).
    #[arg(long, default_value_t = 5)]
    secs: u64,
    /// Longest wait for the outbox to drain after a sustained run.
    #[arg(long, default_value_t = 600)]
    drain_timeout_secs: u64,
    /// Tenants of the many-tenant check-in run (PostgreSQL).
    #[arg(long, default_value_t = 100)]
    tenants: usize,
    /// Skip the PostgreSQL runs.
    #[arg(long)]
    sqlite_only: bool,
    /// `--scale` on PostgreSQL alone (its many-tenant runs, then the large tenant).
    #[arg(long, conflicts_with = "sqlite_only")]
    postgres_only: bool,
    /// Measure failed logins' timing for real and unknown accounts instead (see `login.rs`).
    #[arg(long)]
    login_timing: bool,
    /// Measure instead a tenant of `--visits` visits, seeded: visit log pages, the dashboard, the
    /// CSV export and check-ins beside it (see `scale.rs`).
    #[arg(long)]
    scale: bool,
    /// Measure instead the CSV export of a tenant of `--visits` visits (SQLite), each
    /// `--server-bin` in turn, `--rounds` times (see `exports.rs`).
    #[arg(long)]
    exports: bool,
    /// Rounds of `--exports`.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Measure instead check-ins over 1 and `--tenants` tenants on 1 and 2 replicas of PostgreSQL
    /// (see `tenants.rs`; `--scale` runs it too, over 1,000 tenants).
    #[arg(long)]
    many_tenants: bool,
    /// Check-ins a second of the open-loop latency run, instead of half the measured peak (to
    /// compare two builds at one load).
    #[arg(long)]
    latency_rate: Option<f64>,
    /// Visits in the tenant for `--scale`.
    #[arg(long, default_value_t = 1_000_000)]
    visits: usize,
    /// Measure instead how fast invitation emails go out (see `invitations.rs`).
    #[arg(long)]
    invitations: bool,
    /// Invitations imported for `--invitations`.
    #[arg(long, default_value_t = 1_000)]
    invites: usize,
    /// Measure instead check-ins with an empty and a full watchlist (see `watchlist.rs`).
    #[arg(long)]
    watchlist: bool,
    /// Measure instead sealing and draining offline check-ins (see `offline.rs`).
    #[arg(long)]
    offline: bool,
    /// Measure instead SCIM provisioning, lists and lookups (see `scim.rs`).
    #[arg(long)]
    scim: bool,
    /// Measure instead the kiosk in release: cold start, tap → confirmation, memory (see
    /// `kiosk.rs`).
    #[arg(long)]
    kiosk: bool,
    /// Measure instead webhook deliveries: latency and throughput (see `webhooks.rs`).
    #[arg(long)]
    webhooks: bool,
    /// Check-ins of `--webhooks`' throughput run.
    #[arg(long, default_value_t = 2_000)]
    webhook_burst: usize,
    /// Webhooks (each getting every check-in) for `--webhooks`.
    #[arg(long, default_value_t = 4)]
    webhook_fanout: usize,
    /// Users provisioned for `--scim`.
    #[arg(long, default_value_t = 10_000)]
    users: usize,
    /// Sealed check-ins for `--offline`.
    #[arg(long, default_value_t = 500)]
    sealed: usize,
    /// Watchlist entries for `--watchlist`.
    #[arg(long, default_value_t = 10_000)]
    entries: usize,
    /// Requests timed per case for `--scim` (and `--scale`, at least 200).
    #[arg(long, default_value_t = 20)]
    samples: usize,
    /// The server binaries to measure, as `label=path`, instead of the release build (the
    /// throughput bench takes the first; `--login-timing` compares them all).
    #[arg(long, value_name = "LABEL=PATH")]
    server_bin: Vec<String>,
}

/// The group-commit batch bound the server runs with by default (`--commit-batch-max`).
pub(crate) const BATCH: usize = 64;

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
            bins.push(("release".to_owned(), workspace::release_server()?));
        }
        if opts.kiosk {
            return kiosk::measure(&bins[0].1);
        }
        let runtime = tokio::runtime::Runtime::new()?;
        if opts.scale {
            profile::ensure()?;
            wrk::ensure()?;
            return runtime.block_on(scale::measure(opts, &bins[0].1));
        }
        if opts.exports {
            profile::ensure()?;
            return runtime.block_on(exports::measure(&bins, opts.visits, opts.rounds));
        }
        if opts.many_tenants {
            anyhow::ensure!(!opts.sqlite_only, "--many-tenants measures PostgreSQL");
            wrk::ensure()?;
            let (t, c, s) = (opts.tenants, opts.clients, opts.secs);
            return runtime.block_on(tenants::measure(&bins[0].1, t, c, s));
        }
        if opts.invitations {
            return runtime.block_on(invitations::measure(
                &bins[0].1,
                opts.invites,
                opts.sqlite_only,
            ));
        }
        if opts.watchlist {
            return runtime.block_on(watchlist::measure(
                &bins[0].1,
                opts.entries,
                opts.clients,
                opts.secs,
                opts.sqlite_only,
            ));
        }
        if opts.scim {
            return runtime.block_on(scim::measure(
                &bins[0].1,
                opts.users,
                opts.samples,
                opts.sqlite_only,
            ));
        }
        if opts.webhooks {
            return runtime.block_on(webhooks::measure(
                &bins[0].1,
                opts.webhook_burst,
                opts.webhook_fanout,
                opts.samples,
                opts.sqlite_only,
            ));
        }
        if opts.offline {
            return runtime.block_on(offline::measure(&bins[0].1, opts.sealed, opts.sqlite_only));
        }
        if !opts.login_timing {
            wrk::ensure()?;
            profile::ensure()?;
        }
        if opts.login_timing {
            runtime.block_on(login::measure(&bins, opts.sqlite_only))
        } else {
            let mut results = runtime.block_on(measure(opts, &bins[0].1))?;
            table::assess(&mut results);
            table::print(&results);
            Ok(results)
        }
    })();
    services.stop();
    let results = result?;
    let name = if opts.kiosk {
        "kiosk.json"
    } else if opts.scale && opts.postgres_only {
        "scale-postgres.json"
    } else if opts.scale {
        "scale.json"
    } else if opts.exports {
        "exports.json"
    } else if opts.many_tenants {
        "tenants.json"
    } else if opts.invitations {
        "invitations.json"
    } else if opts.login_timing {
        "login-timing.json"
    } else if opts.watchlist {
        "watchlist.json"
    } else if opts.offline {
        "offline.json"
    } else if opts.scim {
        "scim.json"
    } else if opts.webhooks {
        "webhooks.json"
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

async fn measure(opts: &BenchOpts, bin: &Path) -> anyhow::Result<Value> {
    // What else keeps the machine busy (a build, say) makes every figure below smaller.
    let before = cpu::Snapshot::now(None);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let background = cpu::Snapshot::now(None).busy_since(&before);
    println!(
        "machine busy before the runs (other processes): {:.0}%",
        background * 100.0
    );
    let mut engines = serde_json::Map::new();
    engines.insert(
        "sqlite".into(),
        engine::engine(opts, bin, None)
            .await
            .context("the SQLite runs")?,
    );
    if !opts.sqlite_only {
        let db = server::PgDatabase::create().await?;
        let pg = engine::engine(opts, bin, Some(&db.url))
            .await
            .context("the PostgreSQL runs");
        db.drop_it().await;
        engines.insert("postgres".into(), pg?);
    }
    Ok(json!({
        "when": chrono::Local::now().to_rfc3339(),
        "machine": {
            "cores": std::thread::available_parallelism().map_or(0, usize::from),
            "busy_before_runs": background,
        },
        "generator": "wrk (closed loop, -t 2); the own reqwest generator for the open-loop latency run",
        "clients": opts.clients,
        "secs_per_run": opts.secs,
        "group_commit_batch_max": BATCH,
        "engines": engines,
    }))
}
