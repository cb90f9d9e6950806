//! Check-ins over many tenants on PostgreSQL, on one replica and on two: `count` tenants (a site,
//! a host and an enrolled kiosk each) made through the API, then wrk's check-ins as the first
//! tenant's kiosk alone and as every tenant's kiosk in turn, against one server and then against
//! two servers on the same database (each its own wrk, half the connections; their rates summed).
//! A write of one tenant must not wait for another's, and a second replica must add throughput,
//! not contention: the rate over many tenants is printed beside the rate of one.

use std::{path::Path, time::Instant};

use futures::future::try_join_all;
use serde_json::{Value, json};

use super::{
    load,
    server::{BenchServer, PgDatabase},
    wrk,
};

/// The figures of every run: tenants × replicas.
pub async fn measure(bin: &Path, count: usize, clients: usize, secs: u64) -> anyhow::Result<Value> {
    let db = PgDatabase::create().await?;
    let out = runs(bin, &db.url, count, clients, secs).await;
    db.drop_it().await;
    out
}

async fn runs(
    bin: &Path,
    url_of_db: &str,
    count: usize,
    clients: usize,
    secs: u64,
) -> anyhow::Result<Value> {
    let dir = std::env::temp_dir().join(format!("vestibule-tenants-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let first = BenchServer::start(bin, &dir, Some(url_of_db), &[]).await?;
    let op = first.operator_token()?;
    let t = Instant::now();
    let targets = first.more_tenants(&op, count).await?;
    println!(
        "postgres: {count} tenants made in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let second = BenchServer::start(bin, &dir, Some(url_of_db), &[]).await?;
    let mut out = serde_json::Map::new();
    for tenants in [1, count] {
        let kiosks = targets.get(..tenants).unwrap_or_default();
        for replicas in [vec![&first], vec![&first, &second]] {
            let n = replicas.len();
            let key = format!("{tenants} tenants, {n} replicas");
            let run = format!("{tenants}-{n}-{}", std::process::id());
            let each = (clients / n).max(1);
            let body = load::check_in_body("HOST_ID");
            // Each wrk its own script file and idempotency keys.
            let script = |i: usize, part: &str| {
                let (name, run) = (format!("tenants-{part}{i}"), format!("{run}-{part}{i}"));
                wrk::check_in_script(&dir, &name, &run, &body, kiosks)
            };
            let url = |s: &BenchServer| format!("{}/api/v1/kiosk/visits", s.base);
            // A second of warm-up, then fresh statistics: a plan made while a table was empty
            // scans it (see `engine.rs`).
            let warm = replicas.iter().enumerate().map(|(i, s)| async move {
                wrk::run(&url(s), &script(i, "w")?, each, 1, None).await
            });
            try_join_all(warm).await?;
            PgDatabase::analyze(url_of_db).await?;
            let runs = replicas.iter().enumerate().map(|(i, s)| async move {
                wrk::run(&url(s), &script(i, "m")?, each, secs, Some(s.pid())).await
            });
            let done = try_join_all(runs).await?;
            let rps: f64 = done.iter().map(wrk::Outcome::rps).sum();
            let failed: u64 = done.iter().map(|o| o.failed).sum();
            let p99 = done.iter().map(|o| o.p99_ms).fold(0.0, f64::max);
            let busy = done.first().map_or(f64::NAN, |o| o.cpu_busy);
            let servers: f64 = done.iter().map(|o| o.server_cpu).sum();
            println!(
                "  check-ins, {key:<24} {rps:>7.0} /s ({failed} failed; p99 {p99:.1} ms; \
                 CPU busy {:.0}%, of it the servers {:.0}%)",
                busy * 100.0,
                servers * 100.0
            );
            out.insert(
                key,
                json!({"tenants": tenants, "replicas": n, "rps": rps, "failed": failed,
                       "p99_ms_worst": p99, "cpu_busy": busy, "servers_cpu": servers}),
            );
        }
    }
    drop((first, second));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!({"tenants": count, "clients": clients, "secs": secs, "runs": out}))
}
