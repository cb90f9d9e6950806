//! The scale bench's CSV export of every visit: once alone (rows a second, the growth of the
//! server's resident memory sampled every 10 ms), once alone with `perf` sampling the server
//! (its CPU per row and where it goes: `perf` itself takes CPU, so that run's rate is not the
//! figure), then again while a kiosk checks visitors in one after another (their p99 against the
//! p99 of as many check-ins before, idle), each check-in followed by a no-op request.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use reqwest::Client;
use serde_json::{Value, json};

use super::{
    cpu, profile,
    scale::{CHECK_INS, Kiosk, percentile, rss_kib},
    server::BenchServer,
};

/// One export read to its end.
pub(super) struct Export {
    pub rows: u64,
    bytes: u64,
    secs: f64,
    rss_growth_mb: f64,
}

impl Export {
    pub fn rate(&self) -> f64 {
        self.rows as f64 / self.secs
    }
}

/// The export's figures: alone (profiled), and the check-ins' p99 idle and during a second one.
pub async fn measure(
    c: &Client,
    server: &BenchServer,
    op: &str,
    admin: &str,
    kiosk: &Kiosk,
    dir: &Path,
) -> anyhow::Result<Value> {
    let (base, pid) = (server.base.as_str(), server.pid());
    let (alone, us) = timed(c, base, admin, pid).await?;
    let recording = profile::Recording::start(dir.join("export.perf"), pid)?;
    let profiled = export(c, base, admin, pid).await;
    let profile = recording.finish().await?;
    profiled?;
    println!(
        "  export: {} rows, {:.0} MB in {:.1} s ({:.0} rows/s); server RSS +{:.1} MB",
        alone.rows,
        alone.bytes as f64 / 1e6,
        alone.secs,
        alone.rate(),
        alone.rss_growth_mb
    );
    let profile = profile.report(us, "exported row (unprofiled run)", alone.rate());

    let (mut idle, mut idle_no_op) = probe(kiosk, "idle", None).await?;
    let (idle_p99, idle_no_op_p99) = (percentile(&mut idle, 99), percentile(&mut idle_no_op, 99));
    let scraped = server.metrics(op).await?;
    let exporting = Arc::new(AtomicBool::new(true));
    let during = {
        let (kiosk, exporting) = (kiosk.clone(), exporting.clone());
        tokio::spawn(async move { probe(&kiosk, "during", Some(&exporting)).await })
    };
    let busy = export(c, base, admin, pid).await;
    exporting.store(false, Ordering::Relaxed);
    let (mut during, mut during_no_op) = during.await??;
    let busy = busy?;
    let during_p99 = percentile(&mut during, 99);
    let during_no_op_p99 = percentile(&mut during_no_op, 99);
    let copies = super::engine::copy_backs(&scraped, &server.metrics(op).await?);
    println!(
        "  check-in p99: idle {idle_p99:.1} ms, during an export {during_p99:.1} ms ({} check-ins; that export {:.0} rows/s)",
        during.len(),
        busy.rate()
    );
    println!(
        "  no-op p99 between them: idle {idle_no_op_p99:.1} ms, during the export {during_no_op_p99:.1} ms; {}",
        super::engine::copy_backs_text(&copies),
    );
    Ok(json!({
        "export": {"rows": alone.rows, "bytes": alone.bytes, "secs": alone.secs,
                   "rows_per_s": alone.rate(), "rss_growth_mb": alone.rss_growth_mb,
                   "rows_per_s_during_check_ins": busy.rate(), "profile": profile},
        "check_in": {"idle_p99_ms": idle_p99, "during_export_p99_ms": during_p99,
                     "during_export_count": during.len(), "ratio": during_p99 / idle_p99,
                     "log_copy_backs": copies},
        "no_op": {"idle_p99_ms": idle_no_op_p99, "during_export_p99_ms": during_no_op_p99,
                  "ratio": during_no_op_p99 / idle_no_op_p99},
    }))
}

/// Check-ins one after another, each followed by a no-op (`GET /healthz`): [`CHECK_INS`] of
/// them, or while `running` holds. Their latencies (ms): the check-ins', the no-ops'. The no-op
/// tells a check-in slowed by the write path from one slowed by the machine (TLS, HTTP, the CPU).
async fn probe(
    kiosk: &Kiosk,
    tag: &str,
    running: Option<&AtomicBool>,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let (mut check_ins, mut no_ops) = (Vec::new(), Vec::new());
    let mut i = 0;
    while running.map_or(i < CHECK_INS, |r| r.load(Ordering::Relaxed)) {
        check_ins.push(kiosk.check_in(&format!("{tag}-{i}")).await?);
        no_ops.push(kiosk.no_op().await?);
        i += 1;
    }
    Ok((check_ins, no_ops))
}

/// One export read alone to its end, and the server's CPU per row meanwhile (µs).
pub(super) async fn timed(
    c: &Client,
    base: &str,
    admin: &str,
    pid: u32,
) -> anyhow::Result<(Export, f64)> {
    let before = cpu::Snapshot::now(Some(pid));
    let alone = export(c, base, admin, pid).await?;
    let busy_share = cpu::Snapshot::now(Some(pid)).process_since(&before);
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    let us = busy_share * cores * alone.secs * 1e6 / alone.rows.max(1) as f64;
    Ok((alone, us))
}

/// Reads the whole export of the visit log, sampling the server's (`pid`) resident memory.
pub(super) async fn export(
    c: &Client,
    base: &str,
    admin: &str,
    pid: u32,
) -> anyhow::Result<Export> {
    let rss_before = rss_kib(pid)?;
    let peak = Arc::new(AtomicU64::new(rss_before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Ok(kib) = rss_kib(pid) {
                    peak.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let read = async {
        let t = Instant::now();
        let mut res = c
            .get(format!("{base}/api/v1/visits/export.csv"))
            .bearer_auth(admin)
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "export: {}", res.status());
        let (mut lines, mut bytes) = (0u64, 0u64);
        while let Some(chunk) = res.chunk().await.context("the export's body")? {
            bytes += chunk.len() as u64;
            lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        }
        Ok((lines, bytes, t.elapsed().as_secs_f64()))
    }
    .await;
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let (lines, bytes, secs) = read?;
    Ok(Export {
        rows: lines.saturating_sub(1),
        bytes,
        secs,
        rss_growth_mb: peak.load(Ordering::Relaxed).saturating_sub(rss_before) as f64 / 1024.0,
    })
}
