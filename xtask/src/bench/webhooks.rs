//! `cargo xtask bench --webhooks`: how fast check-ins reach webhook receivers. Per engine, one
//! server with `--webhook-fanout` `standard` webhooks for `visit.checked_in`, each pointed at a
//! path of its own on [`WebhookSink`] (allowed on loopback by `--webhook-allow-network`), so that
//! each check-in asks for that many deliveries and the sender, not the check-ins, is the limit:
//! - latency: `--samples` × 10 check-ins one after another (25 ms apart), each timed from its
//!   `201` to its delivery's arrival at the first webhook's path (median, p95);
//! - throughput: `--webhook-burst` check-ins from 8 kiosks at once, as fast as the server takes
//!   them; deliveries per second from the first check-in sent to the last delivery arrived (the
//!   check-in rate, and how long the deliveries trailed the last check-in, beside it).

use std::{
    path::Path,
    time::{Duration, Instant},
};

use anyhow::Context;
use reqwest::Client;
use serde_json::{Value, json};

use super::{
    load::check_in_body,
    server::{BenchServer, PgDatabase},
    webhook_sink::WebhookSink,
};

/// Kiosks sending at once in the throughput run.
const KIOSKS: usize = 8;

pub async fn measure(
    bin: &Path,
    burst: usize,
    fanout: usize,
    samples: usize,
    sqlite_only: bool,
) -> anyhow::Result<Value> {
    let mut engines = serde_json::Map::new();
    engines.insert(
        "sqlite".into(),
        engine(bin, None, burst, fanout, samples)
            .await
            .context("SQLite")?,
    );
    if !sqlite_only {
        let db = PgDatabase::create().await?;
        let pg = engine(bin, Some(&db.url), burst, fanout, samples).await;
        db.drop_it().await;
        engines.insert("postgres".into(), pg.context("PostgreSQL")?);
    }
    Ok(json!({
        "when": chrono::Local::now().to_rfc3339(),
        "burst": burst,
        "webhooks": fanout,
        "latency_samples": samples * 10,
        "engines": engines,
    }))
}

/// One check-in; the visit's id.
async fn check_in(
    c: &Client,
    base: &str,
    device: &str,
    host: &str,
    key: String,
) -> anyhow::Result<String> {
    let r = c
        .post(format!("{base}/api/v1/kiosk/visits"))
        .bearer_auth(device)
        .header("Idempotency-Key", key)
        .header("content-type", "application/json")
        .body(check_in_body(host))
        .send()
        .await?;
    anyhow::ensure!(r.status().as_u16() == 201, "check-in: {}", r.status());
    let v: Value = r.json().await?;
    v["visit_id"]
        .as_str()
        .map(str::to_owned)
        .context("visit_id")
}

/// Waits until the delivery about every visit of `visits` has arrived at each of `paths` (two
/// minutes at most).
async fn arrivals(
    sink: &WebhookSink,
    paths: &[String],
    visits: &[String],
) -> anyhow::Result<Vec<Instant>> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let got: Option<Vec<Instant>> = paths
            .iter()
            .flat_map(|p| visits.iter().map(move |v| sink.arrival(p, v)))
            .collect();
        if let Some(got) = got {
            return Ok(got);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "deliveries still missing after 2 min"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn engine(
    bin: &Path,
    pg: Option<&str>,
    burst: usize,
    fanout: usize,
    samples: usize,
) -> anyhow::Result<Value> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir = std::env::temp_dir().join(format!("vestibule-hooks-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let server =
        BenchServer::start(bin, &dir, pg, &["--webhook-allow-network", "127.0.0.0/8"]).await?;
    let fleet = server.setup(KIOSKS).await?;
    let (cert, key) = server.cert_and_key();
    let sink = WebhookSink::start(&cert, &key)?;
    let c = server.client()?;
    let paths: Vec<String> = (0..fanout.max(1)).map(|h| format!("/hook/{h}")).collect();
    for path in &paths {
        c.post(format!("{}/api/v1/webhooks", server.base))
            .bearer_auth(&fleet.admin)
            .json(
                &json!({"url": format!("https://localhost:{}{path}", sink.port), "kind": "standard",
                "events": ["visit.checked_in"], "ca_pem": std::fs::read_to_string(&cert)?}),
            )
            .send()
            .await?
            .error_for_status()?;
    }
    let base = server.base.clone();

    // Latency: one check-in at a time, from its answer to its delivery.
    let first = &fleet.kiosks[0];
    let mut answered = Vec::new();
    for i in 0..samples * 10 {
        let visit = check_in(
            &first.client,
            &base,
            &first.device,
            &fleet.host,
            format!("lat-{i}"),
        )
        .await?;
        answered.push((visit, Instant::now()));
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let visits: Vec<String> = answered.iter().map(|(v, _)| v.clone()).collect();
    let got = arrivals(&sink, &paths[..1], &visits).await?;
    let mut ms: Vec<f64> = answered
        .iter()
        .zip(&got)
        .map(|((_, sent), at)| at.saturating_duration_since(*sent).as_secs_f64() * 1e3)
        .collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    let (median, p95) = (at(0.5), at(0.95));
    println!("  {name}: check-in → receiver median {median:.1} ms, p95 {p95:.1} ms");

    // Throughput: a burst of check-ins from every kiosk at once.
    let started = Instant::now();
    let mut sending = tokio::task::JoinSet::new();
    for (k, kiosk) in fleet.kiosks.iter().enumerate() {
        let (client, device, host, base) = (
            kiosk.client.clone(),
            kiosk.device.clone(),
            fleet.host.clone(),
            base.clone(),
        );
        let share = burst / KIOSKS + usize::from(k < burst % KIOSKS);
        sending.spawn(async move {
            let mut visits = Vec::with_capacity(share);
            for i in 0..share {
                visits.push(
                    check_in(&client, &base, &device, &host, format!("burst-{k}-{i}")).await?,
                );
            }
            anyhow::Ok(visits)
        });
    }
    let mut visits = Vec::with_capacity(burst);
    while let Some(done) = sending.join_next().await {
        visits.extend(done??);
    }
    let checked_in = started.elapsed().as_secs_f64();
    let got = arrivals(&sink, &paths, &visits).await?;
    let last = got.iter().max().copied().unwrap_or(started);
    let secs = last.saturating_duration_since(started).as_secs_f64();
    let (delivered, repeats) = sink.counts();
    let per_sec = (burst * paths.len()) as f64 / secs;
    println!(
        "  {name}: {} deliveries in {secs:.2} s = {per_sec:.0}/s (check-ins {:.0}/s; the last delivery {:.2} s after the last check-in); repeats {repeats}",
        burst * paths.len(),
        burst as f64 / checked_in,
        secs - checked_in
    );
    Ok(json!({
        "latency_median_ms": median,
        "latency_p95_ms": p95,
        "deliveries_per_sec": per_sec,
        "check_ins_per_sec": burst as f64 / checked_in,
        "trailing_secs": secs - checked_in,
        "delivered": delivered,
        "repeats": repeats,
    }))
}
