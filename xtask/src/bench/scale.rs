//! `cargo xtask bench --scale`: a large tenant, per engine. `vestibule-server seed` first fills a
//! new database with one tenant of `--visits` visits over 300 days (through the store's own code
//! paths, timed: the seed's rate), then the release server runs on it and the bench times, one
//! request after another over one kept-alive connection, what the console asks of it:
//! a visit log page (first page, each filter, a page a thousand pages deep by cursor) and the
//! dashboard, `--samples` each (p99 against 50 ms and 100 ms); the CSV export of every visit
//! (rows a second against 50,000, and the growth of the server's resident memory meanwhile,
//! sampled every 10 ms, against 50 MB); and a kiosk's check-in latency, idle and while the export
//! runs (p99 within 2× of idle). Then [`IDLE`] kept-alive kiosk connections and [`STREAMS`]
//! event streams are held open at once (see [`super::connections`]).

use std::{
    path::Path,
    process::Command,
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
    connections::{IDLE, STREAMS, open_file_limit},
    server::{BenchServer, PgDatabase},
};
use crate::demo::post;

/// Visits per page, as the console asks.
const LIMIT: usize = 50;
/// Check-ins timed idle.
pub(super) const CHECK_INS: usize = 200;

/// Both engines' figures (PostgreSQL unless `sqlite_only`).
pub async fn measure(
    bin: &Path,
    visits: usize,
    samples: usize,
    sqlite_only: bool,
) -> anyhow::Result<Value> {
    let mut engines = serde_json::Map::new();
    engines.insert(
        "sqlite".into(),
        engine(bin, None, visits, samples).await.context("SQLite")?,
    );
    if !sqlite_only {
        let db = PgDatabase::create().await?;
        let pg = engine(bin, Some(&db.url), visits, samples).await;
        db.drop_it().await;
        engines.insert("postgres".into(), pg.context("PostgreSQL")?);
    }
    Ok(json!({
        "when": chrono::Local::now().to_rfc3339(),
        "visits": visits,
        "page_size": LIMIT,
        "samples": samples,
        "engines": engines,
    }))
}

/// The `p`th percentile (0 to 100) of `ms`, in place.
pub(super) fn percentile(ms: &mut [f64], p: usize) -> f64 {
    ms.sort_by(f64::total_cmp);
    let i = (ms.len() * p / 100).min(ms.len().saturating_sub(1));
    ms.get(i).copied().unwrap_or(f64::NAN)
}

async fn engine(
    bin: &Path,
    pg: Option<&str>,
    visits: usize,
    samples: usize,
) -> anyhow::Result<Value> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir = std::env::temp_dir().join(format!("vestibule-scale-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut storage = vec!["--data-dir".to_owned(), dir.display().to_string()];
    if let Some(url) = pg {
        storage.extend(["--database-url".to_owned(), url.to_owned()]);
    }
    let started = Instant::now();
    let out = Command::new(bin)
        .args(["seed", "--visits-per-tenant", &visits.to_string()])
        .args(&storage)
        .output()
        .context("running vestibule-server seed")?;
    let seed_secs = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "seed failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (slug, tid) = stdout
        .lines()
        .next()
        .and_then(|l| l.split_once(' '))
        .context("the seeded tenant")?;
    println!(
        "{name}: seeded {visits} visits in {seed_secs:.0} s ({:.0} visits/s)",
        visits as f64 / seed_secs
    );
    if let Some(url) = pg {
        PgDatabase::analyze(url).await?;
    }

    let room = open_file_limit("self")?;
    let wanted = IDLE + STREAMS + 200;
    anyhow::ensure!(
        room >= wanted as u64 + 512,
        "holding {wanted} connections needs an open-file limit of {} (ulimit -n); this one is {room}",
        wanted + 512
    );
    let cap = wanted.to_string();
    // The header timeout also closes a kept-alive connection idle that long (10 s by default):
    // raised, so that every connection opened is still held when they are counted.
    let flags = ["--max-connections", &cap, "--header-timeout-secs", "300"];
    let server = BenchServer::start(bin, &dir, pg, &flags).await?;
    let op = server.operator_token()?;
    let email = format!("admin@{slug}.test");
    server
        .create_user(&op, tid, &email, "bench-password-1")
        .await?;
    let c = server.client()?;
    let b = server.base.clone();
    let login = json!({"tenant": slug, "email": email, "password": "bench-password-1"});
    let session: Value = c
        .post(format!("{b}/api/v1/auth/login"))
        .json(&login)
        .send()
        .await?
        .json()
        .await?;
    let admin = session["token"].as_str().context("login")?.to_owned();
    let get = |path: String| {
        let (c, admin, b) = (c.clone(), admin.clone(), b.clone());
        async move {
            let res = c
                .get(format!("{b}{path}"))
                .bearer_auth(&admin)
                .send()
                .await?;
            let status = res.status();
            let body: Value = res.json().await?;
            anyhow::ensure!(status.is_success(), "{path}: {status} {body}");
            Ok::<Value, anyhow::Error>(body)
        }
    };
    let sites = get("/api/v1/sites".into()).await?;
    let site = sites[0]["id"].as_str().context("site")?.to_owned();
    let hosts = get("/api/v1/hosts".into()).await?;
    let host = hosts[0]["id"].as_str().context("host")?.to_owned();
    let kiosk = post(
        &c,
        format!("{b}/api/v1/kiosks"),
        &admin,
        json!({"site_id": site, "name": "Bench"}),
    )
    .await?;
    let code = kiosk["enrollment_code"].as_str().context("code")?;
    let enrolled: Value = c
        .post(format!("{b}/api/v1/kiosk/enroll"))
        .json(&json!({"enrollment_code": code}))
        .send()
        .await?
        .json()
        .await?;
    let device = enrolled["device_token"]
        .as_str()
        .context("device")?
        .to_owned();

    // A page a thousand pages deep: walk there by cursor once, keep the cursor.
    let mut cursor = String::new();
    for _ in 0..1000 {
        let page = get(format!("/api/v1/visits?limit={LIMIT}{cursor}")).await?;
        cursor = format!("&after={}", page["next"].as_str().context("next")?);
    }
    let day = (chrono::Utc::now() - chrono::Duration::days(100)).date_naive();
    let cases = [
        ("first page", format!("/api/v1/visits?limit={LIMIT}")),
        (
            "site filter",
            format!("/api/v1/visits?limit={LIMIT}&site_id={site}"),
        ),
        (
            "host filter",
            format!("/api/v1/visits?limit={LIMIT}&host_id={host}"),
        ),
        (
            "on site now",
            format!("/api/v1/visits?limit={LIMIT}&status=on_site"),
        ),
        (
            "one day, 100 days ago",
            format!("/api/v1/visits?limit={LIMIT}&from={day}T00:00:00Z&to={day}T23:59:59Z"),
        ),
        (
            "exact email",
            format!("/api/v1/visits?limit={LIMIT}&email=visitor7%40example.com"),
        ),
        (
            "page 1001 by cursor",
            format!("/api/v1/visits?limit={LIMIT}{cursor}"),
        ),
        ("dashboard", "/api/v1/visits/stats".to_owned()),
    ];
    let mut out = serde_json::Map::new();
    out.insert("seed_visits_per_s".into(), json!(visits as f64 / seed_secs));
    for (label, path) in cases {
        let mut ms = Vec::with_capacity(samples);
        for _ in 0..samples {
            let t = Instant::now();
            get(path.clone()).await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let (median, p99) = (percentile(&mut ms, 50), percentile(&mut ms, 99));
        println!("  {label:<24} median {median:>7.1} ms   p99 {p99:>7.1} ms");
        out.insert(label.into(), json!({"median_ms": median, "p99_ms": p99}));
    }

    let kiosk = Kiosk {
        client: server.client()?,
        base: b.clone(),
        device,
        host,
    };
    let mut idle = Vec::with_capacity(CHECK_INS);
    for i in 0..CHECK_INS {
        idle.push(kiosk.check_in(&format!("idle-{i}")).await?);
    }
    let idle_p99 = percentile(&mut idle, 99);

    let rss_before = rss_kib(server.pid())?;
    let peak = Arc::new(AtomicU64::new(rss_before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done, pid) = (peak.clone(), done.clone(), server.pid());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Ok(kib) = rss_kib(pid) {
                    peak.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let exporting = Arc::new(AtomicBool::new(true));
    let during = {
        let (kiosk, exporting) = (kiosk.clone(), exporting.clone());
        tokio::spawn(async move {
            let mut ms = Vec::new();
            let mut i = 0;
            while exporting.load(Ordering::Relaxed) {
                ms.push(kiosk.check_in(&format!("during-{i}")).await?);
                i += 1;
            }
            anyhow::Ok(ms)
        })
    };
    let t = Instant::now();
    let mut res = c
        .get(format!("{b}/api/v1/visits/export.csv"))
        .bearer_auth(&admin)
        .send()
        .await?;
    anyhow::ensure!(res.status().is_success(), "export: {}", res.status());
    let (mut lines, mut bytes) = (0u64, 0u64);
    while let Some(chunk) = res.chunk().await? {
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
    }
    let export_secs = t.elapsed().as_secs_f64();
    exporting.store(false, Ordering::Relaxed);
    let mut during = during.await??;
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let rows = lines.saturating_sub(1);
    let growth_mb = (peak.load(Ordering::Relaxed).saturating_sub(rss_before)) as f64 / 1024.0;
    let during_p99 = percentile(&mut during, 99);
    println!(
        "  export: {rows} rows, {:.0} MB in {export_secs:.1} s ({:.0} rows/s); server RSS +{growth_mb:.1} MB",
        bytes as f64 / 1e6,
        rows as f64 / export_secs
    );
    println!(
        "  check-in p99: idle {idle_p99:.1} ms, during the export {during_p99:.1} ms ({} check-ins)",
        during.len()
    );
    out.insert(
        "export".into(),
        json!({"rows": rows, "bytes": bytes, "secs": export_secs, "rows_per_s": rows as f64 / export_secs,
               "rss_growth_mb": growth_mb}),
    );
    out.insert(
        "check_in".into(),
        json!({"idle_p99_ms": idle_p99, "during_export_p99_ms": during_p99,
               "during_export_count": during.len(), "ratio": during_p99 / idle_p99}),
    );
    let held = super::connections::measure(&server, &kiosk, &admin).await?;
    out.insert("connections".into(), held);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Value::Object(out))
}

/// A kiosk of the seeded site, checking visitors in one at a time.
#[derive(Clone)]
pub(super) struct Kiosk {
    client: Client,
    base: String,
    device: String,
    host: String,
}

impl Kiosk {
    /// One check-in under idempotency key `key`; its latency in ms.
    pub(super) async fn check_in(&self, key: &str) -> anyhow::Result<f64> {
        let body = json!({
            "visitor": {"name": "Bench Visitor", "email": format!("{key}@example.com")},
            "host_id": self.host,
        });
        let t = Instant::now();
        let res = self
            .client
            .post(format!("{}/api/v1/kiosk/visits", self.base))
            .bearer_auth(&self.device)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await?;
        let status = res.status();
        res.bytes().await?;
        anyhow::ensure!(status.is_success(), "check-in: {status}");
        Ok(t.elapsed().as_secs_f64() * 1000.0)
    }
}

/// The resident memory of process `pid`, in KiB.
pub(super) fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("VmRSS")
}
