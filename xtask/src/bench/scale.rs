//! `cargo xtask bench --scale`: a large tenant, per engine. `vestibule-server seed` first fills a
//! new database with one tenant of `--visits` visits over 300 days (through the store's own code
//! paths, timed and profiled: the seed's rate), then the release server runs on it and the bench
//! times, one request after another over one kept-alive connection, what the console asks of it:
//! a visit log page (first page, each filter, a page a thousand pages deep by cursor) and the
//! dashboard, `--samples` each (p99 against 50 ms and 100 ms); the CSV export of every visit and a
//! kiosk's check-ins during it (see [`super::export`]). Then [`IDLE`] kept-alive kiosk
//! connections and [`STREAMS`] event streams are held open at once (see [`super::connections`]).
//! On SQLite, a retention run that rewrites the file, check-ins meanwhile (see
//! [`super::retention`]). Last, one table of every figure beside its target.

use std::{
    path::Path,
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use reqwest::Client;
use serde_json::{Value, json};

use super::{
    BenchOpts,
    connections::{IDLE, STREAMS, open_file_limit},
    cpu, profile,
    server::{BenchServer, PASSWORD, PgDatabase},
};
use crate::demo::post;

/// Visits per page, as the console asks.
const LIMIT: usize = 50;
/// Check-ins timed idle: their p99 leaves out the slowest ten.
pub(super) const CHECK_INS: usize = 1000;

/// How often the planner's statistics are refreshed while PostgreSQL is seeded.
const ANALYZE_EVERY: Duration = Duration::from_secs(15);

/// Tenants of the many-tenant runs.
const MANY: usize = 1_000;

/// Both engines' figures (PostgreSQL unless `--sqlite-only`, SQLite unless `--postgres-only`),
/// and check-ins over [`MANY`] tenants on PostgreSQL (see [`super::tenants`]).
pub async fn measure(opts: &BenchOpts, bin: &Path) -> anyhow::Result<Value> {
    let (visits, samples) = (opts.visits, opts.samples.max(200));
    let mut engines = serde_json::Map::new();
    if !opts.postgres_only {
        engines.insert(
            "sqlite".into(),
            engine(bin, None, visits, samples).await.context("SQLite")?,
        );
    }
    let mut many = Value::Null;
    if !opts.sqlite_only {
        many = super::tenants::measure(bin, MANY, opts.clients, opts.secs).await?;
        let db = PgDatabase::create().await?;
        let pg = engine(bin, Some(&db.url), visits, samples).await;
        db.drop_it().await;
        engines.insert("postgres".into(), pg.context("PostgreSQL")?);
    }
    let results = json!({
        "when": chrono::Local::now().to_rfc3339(),
        "machine": {"cores": std::thread::available_parallelism().map_or(0, usize::from)},
        "visits": visits,
        "page_size": LIMIT,
        "samples": samples,
        "engines": engines,
        "many_tenants": many,
    });
    super::table::print_scale(&results);
    Ok(results)
}

/// The `p`th percentile (0 to 100) of `ms`, in place, by nearest rank.
pub(super) fn percentile(ms: &mut [f64], p: usize) -> f64 {
    ms.sort_by(f64::total_cmp);
    let i = super::load::nearest_rank(ms.len(), p as f64 / 100.0);
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
    // Statistics refreshed while the seed runs, as autovacuum would (this machine's PostgreSQL
    // runs without it): the seed's statements were prepared while the tables were empty, and
    // kept plans that scan them (10.6 ms a check-in's facts at 20,000 visits).
    let analyzing = pg.map(|url| {
        let url = url.to_owned();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(ANALYZE_EVERY).await;
                if let Err(e) = PgDatabase::analyze(&url).await {
                    println!("ANALYZE during the seed failed: {e:#}");
                }
            }
        })
    });
    let seeded = seed(bin, &storage, visits, &dir).await;
    if let Some(task) = analyzing {
        task.abort();
    }
    let (seed_secs, seed_profile, stdout) = seeded?;
    let (slug, tid) = seeded_tenant(&stdout)?;
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
    // Due retention runs looked for every second: the retention run below starts at once.
    let flags = [
        "--max-connections",
        &cap,
        "--header-timeout-secs",
        "300",
        "--sign-out-poll-secs",
        "1",
    ];
    let server = BenchServer::start(bin, &dir, pg, &flags).await?;
    let op = server.operator_token()?;
    let email = format!("admin@{slug}.test");
    server.create_user(&op, tid, &email, PASSWORD).await?;
    let c = server.client()?;
    let b = server.base.clone();
    let admin = server.login(&c, slug, &email, PASSWORD).await?;
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
    out.insert("seed_profile".into(), seed_profile);
    let time_reads = async |out: &mut serde_json::Map<String, Value>| {
        for (label, path) in &cases {
            let mut ms = Vec::with_capacity(samples);
            for _ in 0..samples {
                let t = Instant::now();
                get(path.clone()).await?;
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            let (median, p99) = (percentile(&mut ms, 50), percentile(&mut ms, 99));
            println!("  {label:<24} median {median:>7.1} ms   p99 {p99:>7.1} ms");
            out.insert((*label).into(), json!({"median_ms": median, "p99_ms": p99}));
        }
        Ok::<(), anyhow::Error>(())
    };
    // PostgreSQL's reads twice: with fresh statistics only, then after the `VACUUM` that
    // autovacuum (off on this machine) runs on a grown table: until then every visit read is
    // checked against the table itself, as the visibility map is not set (counting a host's
    // 10,000 visits: 20-28 ms before, 2 ms after, measured with psql).
    if let Some(url) = pg {
        println!("  before VACUUM:");
        let mut before = serde_json::Map::new();
        time_reads(&mut before).await?;
        out.insert("before_vacuum".into(), Value::Object(before));
        PgDatabase::vacuum(url).await?;
        println!("  after VACUUM:");
    }
    time_reads(&mut out).await?;

    let kiosk = Kiosk {
        client: server.client()?,
        base: b.clone(),
        device,
        host,
    };
    let exported = super::export::measure(&c, &server, &op, &admin, &kiosk, &dir).await?;
    if let Value::Object(o) = exported {
        out.extend(o);
    }
    let held = super::connections::measure(&server, &kiosk, &admin).await?;
    out.insert("connections".into(), held);
    if pg.is_none() {
        let db = dir.join("vestibule.db");
        let run = super::retention::measure(&c, &server, &op, &admin, &kiosk, &db).await?;
        out.insert("retention".into(), run);
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Value::Object(out))
}

/// The slug and id of the first tenant `vestibule-server seed` printed.
pub(super) fn seeded_tenant(stdout: &str) -> anyhow::Result<(&str, &str)> {
    stdout
        .lines()
        .next()
        .and_then(|l| l.split_once(' '))
        .context("the seeded tenant")
}

/// How long `perf` samples the seed (and each profiled export of `--exports`).
pub(super) const PROFILED: Duration = Duration::from_secs(30);

/// Runs `vestibule-server seed` of one tenant with `visits` visits on `storage`, `perf` sampling
/// its first [`PROFILED`]: its seconds, its profile (CPU per visit over the whole run, where the
/// sampled part went) and what it printed.
pub(super) async fn seed(
    bin: &Path,
    storage: &[String],
    visits: usize,
    dir: &Path,
) -> anyhow::Result<(f64, Value, String)> {
    let started = Instant::now();
    let child = tokio::process::Command::new(bin)
        .args(["seed", "--visits-per-tenant", &visits.to_string()])
        .args(storage)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running vestibule-server seed")?;
    let pid = child.id().context("the seed's process")?;
    let recording = profile::Recording::start(dir.join("seed.perf"), pid)?;
    // Its CPU time, read until it exits (the last reading stands).
    let first = cpu::Snapshot::now(Some(pid));
    let last = Arc::new(std::sync::Mutex::new(first));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (last, done) = (last.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let now = cpu::Snapshot::now(Some(pid));
                if now.has_process()
                    && let Ok(mut l) = last.lock()
                {
                    *l = now;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    // `perf` samples the first [`PROFILED`] only: sampling the seed kept `perf` itself busy a
    // whole core here (the cause not looked into), which would slow what it measures.
    let mut waiting = tokio::spawn(child.wait_with_output());
    let early = tokio::time::timeout(PROFILED, &mut waiting).await;
    let profile = recording.finish().await?;
    let out = match early {
        Ok(out) => out,
        Err(_) => waiting.await,
    }
    .context("the seed's task")?;
    done.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let out = out.context("waiting for the seed")?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        out.status.success(),
        "seed failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!(
        "seeded {visits} visits in {secs:.0} s ({:.0} visits/s): {}",
        visits as f64 / secs,
        stdout.lines().last().unwrap_or("")
    );
    let share = last.lock().map_or(f64::NAN, |l| l.process_since(&first));
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    let us = share * cores * secs * 1e6 / visits.max(1) as f64;
    Ok((
        secs,
        profile.report(us, "seeded visit", visits as f64 / secs),
        stdout,
    ))
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
        answered(t, res, "check-in").await
    }

    /// One `GET /healthz` (TLS, HTTP and the shield, no work); its latency in ms.
    pub(super) async fn no_op(&self) -> anyhow::Result<f64> {
        let t = Instant::now();
        let res = self
            .client
            .get(format!("{}/healthz", self.base))
            .send()
            .await?;
        answered(t, res, "healthz").await
    }

    /// The p99 (ms) of [`CHECK_INS`] check-ins one after another, keyed `{tag}-{i}`: a tag used
    /// twice would time idempotent replays, not check-ins.
    pub(super) async fn p99(&self, tag: &str) -> anyhow::Result<f64> {
        let mut ms = Vec::with_capacity(CHECK_INS);
        for i in 0..CHECK_INS {
            ms.push(self.check_in(&format!("{tag}-{i}")).await?);
        }
        Ok(percentile(&mut ms, 99))
    }
}

/// The ms since `t` once `res` (to a request `what`) has been read to its end; an error unless
/// it succeeded.
async fn answered(t: Instant, res: reqwest::Response, what: &str) -> anyhow::Result<f64> {
    let status = res.status();
    res.bytes().await?;
    anyhow::ensure!(status.is_success(), "{what}: {status}");
    Ok(t.elapsed().as_secs_f64() * 1000.0)
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
