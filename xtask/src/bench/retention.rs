//! The scale bench's retention run on SQLite. The tenant lowers its `retention_days` to [`KEEP`]
//! (the seed spread its visits over 300 days), so the next look for due runs (every second
//! here) removes the oldest visits in batches of 500, each its own transaction, then rewrites the
//! whole database file (the scrub: `VACUUM` and a truncating checkpoint), every write waiting
//! meanwhile. A kiosk checks visitors in one after another from the change until the rewrite is
//! over: its slowest check-ins beside the rewrite's time (the server's
//! `vestibule_sqlite_rewrite_seconds`) and the file's size. A check-in that failed is counted,
//! not retried: the kiosk would have kept it in memory and sent it again.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use reqwest::Client;
use serde_json::{Value, json};

use super::{
    engine::grown,
    scale::{Kiosk, percentile},
    server::BenchServer,
    sustained::grew,
};

/// The days kept: the visits of the seed's oldest day or two go.
const KEEP: u32 = 298;

/// How long the run may take before the bench gives up on it.
const AT_MOST: Duration = Duration::from_secs(900);

const REMOVED: &str = "vestibule_retention_removed_total{kind=\"visits\"}";
const REWRITES: &str = "vestibule_sqlite_rewrite_seconds";

/// The run's figures: visits removed, the file's size, the rewrite's seconds, the check-ins
/// meanwhile (how many, failed, p50, p99, max).
pub async fn measure(
    c: &Client,
    server: &BenchServer,
    op: &str,
    admin: &str,
    kiosk: &Kiosk,
    db: &Path,
) -> anyhow::Result<Value> {
    let file_mb = |p: &Path| std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1e6);
    let size_mb = file_mb(db);
    let before = server.metrics(op).await?;
    let res = c
        .patch(format!("{}/api/v1/settings", server.base))
        .bearer_auth(admin)
        .json(&json!({"retention_days": KEEP}))
        .send()
        .await?;
    anyhow::ensure!(res.status().is_success(), "settings: {}", res.status());
    let started = Instant::now();
    let (mut ms, mut failed, mut i) = (Vec::new(), 0usize, 0usize);
    let (after, rewrite) = loop {
        let t = Instant::now();
        match kiosk.check_in(&format!("retention-{i}")).await {
            Ok(took) => ms.push(took),
            Err(e) => {
                failed += 1;
                println!(
                    "  a check-in during the retention run failed after {:.0} ms: {e:#}",
                    t.elapsed().as_secs_f64() * 1000.0
                );
            }
        }
        i += 1;
        let now = server.metrics(op).await?;
        if let Some((count, mean)) = grown(&before, &now, REWRITES) {
            break (now, count * mean);
        }
        anyhow::ensure!(started.elapsed() < AT_MOST, "the retention run did not end");
    };
    let secs = started.elapsed().as_secs_f64();
    let removed = grew(&before, &after, REMOVED).unwrap_or(0.0);
    let (p50, p99, max) = (
        percentile(&mut ms, 50),
        percentile(&mut ms, 99),
        ms.last().copied().unwrap_or(f64::NAN),
    );
    println!(
        "  retention to {KEEP} days: {removed:.0} visits removed and the {size_mb:.0} MB file rewritten ({rewrite:.1} s of it) in {secs:.1} s; \
         {} check-ins meanwhile ({failed} failed): p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.0} ms",
        ms.len()
    );
    Ok(json!({
        "visits_removed": removed, "file_mb": size_mb, "run_s": secs, "rewrite_s": rewrite,
        "file_mb_after": file_mb(db),
        "check_ins": ms.len(), "failed": failed, "p50_ms": p50, "p99_ms": p99, "max_ms": max,
    }))
}
