//! One engine's runs, in order: the no-op peak with wrk and with the own generator, the
//! check-in peak with wrk, a profiled check-in run ([`profile`]), the own generator's open-loop
//! latency at half the peak, check-ins over many tenants (PostgreSQL), the sustained runs without
//! and with SMTP, then (SQLite) group commit off and the bare-SQLite limit. Every wrk run but the
//! sustained and profiled ones has one second of warm-up first.

use std::{path::Path, time::Duration};

use serde_json::{Value, json};

use super::{
    BATCH, BenchOpts, cpu,
    load::{self, Kind, Target},
    profile, raw,
    server::{BenchServer, PgDatabase},
    smtp_sink::SmtpSink,
    sustained,
    wrk::{self, KioskTarget},
};

/// One engine's server, its data dir and what every run needs.
struct Bench<'a> {
    opts: &'a BenchOpts,
    dir: std::path::PathBuf,
    server: BenchServer,
    /// Makes idempotency keys unique across bench invocations.
    stamp: String,
    /// The PostgreSQL database's URL, whose statistics are refreshed after each warm-up.
    pg: Option<String>,
}

impl Bench<'_> {
    fn pid(&self) -> Option<u32> {
        Some(self.server.pid())
    }

    /// A check-in script named `label`, its keys unique to this run.
    fn script(&self, label: &str, kiosks: &[KioskTarget]) -> anyhow::Result<std::path::PathBuf> {
        let run = format!("{label}-{}", self.stamp);
        wrk::check_in_script(
            &self.dir,
            label,
            &run,
            &load::check_in_body("HOST_ID"),
            kiosks,
        )
    }

    /// One second of warm-up, then the measured wrk run, against `path` of the server.
    async fn wrk(
        &self,
        path: &str,
        label: &str,
        kiosks: &[KioskTarget],
    ) -> anyhow::Result<wrk::Outcome> {
        let url = format!("{}{path}", self.server.base);
        let (warm, script) = if kiosks.is_empty() {
            let s = wrk::noop_script(&self.dir)?;
            (s.clone(), s)
        } else {
            let warm = self.script(&format!("{label}-warm"), kiosks)?;
            (warm, self.script(label, kiosks)?)
        };
        let c = self.opts.clients;
        wrk::run(&url, &warm, c, 1, self.pid()).await?;
        if let Some(pg) = &self.pg {
            PgDatabase::analyze(pg).await?;
        }
        wrk::run(&url, &script, c, self.opts.secs, self.pid()).await
    }
}

fn show(what: &str, o: &wrk::Outcome) {
    println!(
        "  {what:<34} {:>8.0} /s  ({} failed; p99 {:.1} ms; CPU busy {:.0}%, of it the server {:.0}%)",
        o.rps(),
        o.failed,
        o.p99_ms,
        o.cpu_busy * 100.0,
        o.server_cpu * 100.0
    );
}

/// Runs the project's own generator (`run`) with the machine's CPU counted meanwhile.
async fn own<F>(pid: Option<u32>, run: F) -> anyhow::Result<(load::Stats, f64, f64)>
where
    F: std::future::Future<Output = anyhow::Result<load::Stats>>,
{
    let before = cpu::Snapshot::now(pid);
    let stats = run.await?;
    let after = cpu::Snapshot::now(pid);
    Ok((
        stats,
        after.busy_since(&before),
        after.process_since(&before),
    ))
}

pub async fn engine(opts: &BenchOpts, bin: &Path, pg: Option<&str>) -> anyhow::Result<Value> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir = std::env::temp_dir().join(format!("vestibule-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let server = BenchServer::start(bin, &dir, pg, &[]).await?;
    let fleet = server.setup(opts.clients).await?;
    let stamp = format!(
        "{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    let mut b = Bench {
        opts,
        dir,
        server,
        stamp,
        pg: pg.map(str::to_owned),
    };
    let (secs, warm) = (Duration::from_secs(opts.secs), Duration::from_secs(1));
    println!(
        "{name}: measuring with {} connections, {} s a run",
        opts.clients, opts.secs
    );

    let noop = b.wrk("/healthz", "noop", &[]).await?;
    show("no-op GET /healthz (wrk)", &noop);
    let t = Target::new(&b.server.base, &fleet.host, "own-noop");
    let (own_noop, busy, srv) = own(
        b.pid(),
        load::closed(&fleet.kiosks, &t, Kind::Noop, warm, secs),
    )
    .await?;
    println!(
        "  {:<34} {:>8.0} /s  ({} failed; CPU busy {:.0}%, of it the server {:.0}%): {:.2} of wrk's",
        "no-op, own generator",
        own_noop.rps(),
        own_noop.failed,
        busy * 100.0,
        srv * 100.0,
        own_noop.rps() / noop.rps()
    );
    let own_noop = json!({"rps": own_noop.rps(), "failed": own_noop.failed, "cpu_busy": busy, "server_cpu": srv});

    let before = b.server.metrics(&fleet.op).await?;
    let peak = b
        .wrk("/api/v1/kiosk/visits", "peak", &fleet.targets)
        .await?;
    show("check-ins (wrk)", &peak);
    let batch = mean_batch(&before, &b.server.metrics(&fleet.op).await?);
    if let Some(batch) = batch {
        println!("  {:<34} {batch:>8.1}", "check-ins per committed batch");
    }
    let url = format!("{}/api/v1/kiosk/visits", b.server.base);
    let script = b.script("profile", &fleet.targets)?;
    let (c, pid) = (opts.clients, b.server.pid());
    let (_, profile) = profile::check_ins(&b.dir, &url, &script, c, opts.secs, pid).await?;
    let given = opts.latency_rate.is_some();
    let half = opts.latency_rate.unwrap_or(peak.rps() / 2.0);
    let t = Target::new(&b.server.base, &fleet.host, &format!("half-{}", b.stamp));
    let before = b.server.metrics(&fleet.op).await?;
    let (lat, busy, srv) = own(
        b.pid(),
        load::open(&fleet.kiosks, &t, Kind::CheckIn, half, secs),
    )
    .await?;
    let after = b.server.metrics(&fleet.op).await?;
    let inside = server_p99(&before, &after);
    let copies = copy_backs(&before, &after);
    println!(
        "  at {half:.0}/s{} (own generator, open loop): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} failed; CPU busy {:.0}%); \
         the server's own p99 at most {} ms; {}",
        if given { ", the rate given" } else { "" },
        lat.percentile_ms(0.5),
        lat.percentile_ms(0.99),
        lat.max_ms(),
        lat.failed,
        busy * 100.0,
        inside.map_or("?".to_owned(), |ms| format!("{ms}")),
        copy_backs_text(&copies),
    );
    let mut out = json!({
        "noop": noop.json(),
        "noop_own_generator": own_noop,
        "ratio_own_generator_to_wrk_noop": own_noop["rps"].as_f64().unwrap_or(f64::NAN) / noop.rps(),
        "check_in": peak.json(),
        "ratio_check_in_to_noop": peak.rps() / noop.rps(),
        "check_in_cpu_busy": peak.cpu_busy,
        "check_ins_per_batch": batch,
        "profile": profile,
        "latency_at_half_peak": {
            "rate": half, "rate_given": given, "p50_ms": lat.percentile_ms(0.50), "p99_ms": lat.percentile_ms(0.99),
            "max_ms": lat.max_ms(), "answered": lat.ok, "failed": lat.failed,
            "server_p99_at_most_ms": inside, "log_copy_backs": copies,
            "cpu_busy": busy, "server_cpu": srv,
        },
    });
    if pg.is_some() {
        let many = b.server.more_tenants(&fleet.op, opts.tenants).await?;
        let o = b.wrk("/api/v1/kiosk/visits", "tenants", &many).await?;
        show(&format!("check-ins over {} tenants", opts.tenants), &o);
        out["check_in_many_tenants"] = o.json();
        out["many_tenants"] = json!(opts.tenants);
    }

    let timeout = Duration::from_secs(opts.drain_timeout_secs);
    let script = b.script("sustained", &fleet.targets)?;
    let (c, s) = (opts.clients, opts.secs);
    let plain = sustained::run(&b.server, &fleet.op, &script, c, s, timeout, None).await?;
    let (cert, key) = b.server.cert_and_key();
    let sink = SmtpSink::start(&cert, &key)?;
    b.server.configure_smtp(&fleet.admin, sink.port).await?;
    let script = b.script("sustained-smtp", &fleet.targets)?;
    let smtp = sustained::run(&b.server, &fleet.op, &script, c, s, timeout, Some(&sink)).await?;
    crate::mailcatcher::unconfigure(&b.server.client()?, &b.server.base, &fleet.admin).await?;
    drop(sink);
    for (key, r) in [("sustained_no_smtp", plain), ("sustained_smtp", smtp)] {
        out[format!("ratio_{key}_to_peak")] =
            json!(r["sustained_rps"].as_f64().unwrap_or(f64::NAN) / peak.rps());
        out[key] = r;
    }
    b.server.stop();

    if pg.is_none() {
        b.server = BenchServer::start(bin, &b.dir, None, &["--commit-batch-max", "1"]).await?;
        let off = b.wrk("/api/v1/kiosk/visits", "off", &fleet.targets).await;
        b.server.stop();
        let off = off?;
        show("check-ins, group commit off", &off);
        let raw = raw::check_in_rows(&b.dir, BATCH, secs).await?;
        println!("  bare SQLite, same rows in batches of {BATCH}: {raw:>8.0} check-ins' worth/s");
        out["check_in_group_commit_off"] = off.json();
        out["ratio_group_commit_on_to_off"] = json!(peak.rps() / off.rps());
        out["raw_sqlite_rows_rps"] = json!(raw);
        out["ratio_check_in_to_raw_sqlite"] = json!(peak.rps() / raw);
    }
    let _ = std::fs::remove_dir_all(&b.dir);
    Ok(out)
}

/// How many observations the histogram `name` gained between two scrapes of `/metrics`, and
/// their mean (`None` when it has none, as on PostgreSQL).
pub(super) fn grown(before: &str, after: &str, name: &str) -> Option<(f64, f64)> {
    let grew = |part| sustained::grew(before, after, &format!("{name}_{part}"));
    let (sum, count) = (grew("sum")?, grew("count")?);
    (count > 0.0).then(|| (count, sum / count))
}

/// The mean size of the group commit's batches between two scrapes of `/metrics` (SQLite).
fn mean_batch(before: &str, after: &str) -> Option<f64> {
    grown(before, after, "vestibule_commit_batch_size").map(|(_, mean)| mean)
}

/// The group committer's copies of SQLite's log back between two scrapes of `/metrics`: how
/// many, and the mean time its batches waited for one (ms), as JSON (`null` when none).
pub(super) fn copy_backs(before: &str, after: &str) -> Value {
    let copies = grown(before, after, "vestibule_sqlite_log_copy_back_seconds");
    json!({"count": copies.map_or(0.0, |(n, _)| n), "mean_ms": copies.map(|(_, mean)| mean * 1000.0)})
}

/// [`copy_backs`] in words.
pub(super) fn copy_backs_text(copies: &Value) -> String {
    match copies["mean_ms"].as_f64() {
        Some(ms) => format!("log copied back {} times, {ms:.1} ms each", copies["count"]),
        None => "log not copied back".to_owned(),
    }
}

/// The upper bound of the latency bucket holding the 99th percentile of the check-ins answered
/// `201` between two scrapes of `/metrics`, as the server timed them (from the request's arrival
/// to its answer; the buckets double from 0.5 ms): what the load generator's own waits add to
/// its p99 is what lies above it.
fn server_p99(before: &str, after: &str) -> Option<f64> {
    const BUCKET: &str = "vestibule_http_request_duration_seconds_bucket{";
    let buckets = |text: &str| -> Vec<(f64, f64)> {
        text.lines()
            .filter(|l| l.starts_with(BUCKET) && l.contains("route=\"/api/v1/kiosk/visits\""))
            .filter(|l| l.contains("status=\"201\"") && l.contains("method=\"POST\""))
            .filter_map(|l| {
                let le = l.split("le=\"").nth(1)?.split('"').next()?;
                let le = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().ok()?
                };
                Some((le, l.rsplit(' ').next()?.parse().ok()?))
            })
            .collect()
    };
    let was = buckets(before);
    let mut grew: Vec<(f64, f64)> = buckets(after)
        .into_iter()
        .map(|(le, n)| {
            let old = was.iter().find(|(l, _)| *l == le).map_or(0.0, |(_, n)| *n);
            (le, n - old)
        })
        .collect();
    grew.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = grew.last()?.1;
    grew.into_iter()
        .find(|(_, n)| *n >= 0.99 * total && total > 0.0)
        .map(|(le, _)| le * 1000.0)
}
