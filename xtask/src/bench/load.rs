//! The project's own load generator (reqwest): clients on loopback, one kept-alive TLS connection
//! each. Open loop (requests sent on a fixed schedule, latency counted from the scheduled time,
//! so a slow answer cannot hide the queue behind it) for the latency at half the peak, which wrk
//! cannot do; closed loop (each client sends its next request as soon as the last is answered)
//! once for no-ops, to show how far it falls short of wrk (it spends more CPU per request than
//! the server, so it is not used for peaks). Every run has a fixed duration and stops by itself.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use reqwest::Client;

/// What each request of a run is.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `GET /healthz`: TLS, HTTP and the shield, no work.
    Noop,
    /// `POST /api/v1/kiosk/visits` with a fresh idempotency key.
    CheckIn,
}

/// One client: its connection, its kiosk's device token, and the host to visit.
#[derive(Clone)]
pub struct Kiosk {
    pub client: Client,
    pub device: String,
}

#[derive(Debug, Clone)]
pub struct Target {
    pub base: String,
    /// The check-in body (one visitor's details and the host).
    pub body: String,
    /// Keeps idempotency keys unique across runs.
    pub run: String,
}

impl Target {
    pub fn new(base: &str, host_id: &str, run: &str) -> Target {
        Target {
            base: base.to_owned(),
            body: check_in_body(host_id),
            run: run.to_owned(),
        }
    }
}

/// The check-in body every generator sends: one visitor's details and the host.
pub fn check_in_body(host_id: &str) -> String {
    serde_json::json!({
        "visitor": {"name": "Bench Visitor", "email": "bench@example.com", "company": "Load Testing Ltd", "phone": "+33 1 23 45 67 89"},
        "host_id": host_id,
        "purpose": "Benchmark"
    })
    .to_string()
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub ok: u64,
    pub failed: u64,
    pub secs: f64,
    /// Latencies of the successful requests, in microseconds, sorted.
    pub latencies_us: Vec<u64>,
}

impl Stats {
    /// Counts one answer (its latency if it succeeded).
    fn record(&mut self, r: &anyhow::Result<()>, took: Duration) {
        if r.is_ok() {
            self.ok += 1;
            self.latencies_us.push(took.as_micros() as u64);
        } else {
            self.failed += 1;
        }
    }

    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.secs
    }

    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        self.latencies_us[nearest_rank(self.latencies_us.len(), p)] as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.latencies_us
            .last()
            .map_or(f64::NAN, |v| *v as f64 / 1000.0)
    }
}

/// The index of the `p`th quantile (0 to 1) of `len` sorted samples, by nearest rank: the
/// smallest sample that at least `p` of them do not exceed (the 99th of 100, not their maximum).
pub fn nearest_rank(len: usize, p: f64) -> usize {
    ((len as f64 * p).ceil() as usize).clamp(1, len.max(1)) - 1
}

async fn send(k: &Kiosk, t: &Target, kind: Kind, key: &str) -> anyhow::Result<()> {
    let res = match kind {
        Kind::Noop => k.client.get(format!("{}/healthz", t.base)).send().await?,
        Kind::CheckIn => {
            k.client
                .post(format!("{}/api/v1/kiosk/visits", t.base))
                .bearer_auth(&k.device)
                .header("Idempotency-Key", key)
                .header("Content-Type", "application/json")
                .body(t.body.clone())
                .send()
                .await?
        }
    };
    let status = res.status();
    res.bytes().await?;
    anyhow::ensure!(matches!(status.as_u16(), 200 | 201), "answered {status}");
    Ok(())
}

/// Closed loop: every client sends back to back for `warmup + secs`; counts the last `secs`.
pub async fn closed(
    kiosks: &[Kiosk],
    t: &Target,
    kind: Kind,
    warmup: Duration,
    secs: Duration,
) -> anyhow::Result<Stats> {
    let start = Instant::now();
    let (from, until) = (start + warmup, start + warmup + secs);
    let t = Arc::new(t.clone());
    let tasks: Vec<_> = kiosks
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let (k, t) = (k.clone(), t.clone());
            tokio::spawn(async move {
                let mut s = Stats::default();
                let mut n = 0u64;
                while Instant::now() < until {
                    let sent = Instant::now();
                    let key = format!("{}-{i}-{n}", t.run);
                    n += 1;
                    let r = send(&k, &t, kind, &key).await;
                    if sent >= from {
                        s.record(&r, sent.elapsed());
                    }
                }
                s
            })
        })
        .collect();
    merge(tasks, secs).await
}

/// Open loop at `rate` requests a second in all, spread over the clients, for `secs`.
pub async fn open(
    kiosks: &[Kiosk],
    t: &Target,
    kind: Kind,
    rate: f64,
    secs: Duration,
) -> anyhow::Result<Stats> {
    let n = kiosks.len() as f64;
    let interval = Duration::from_secs_f64(n / rate);
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    let until = start + secs;
    let t = Arc::new(t.clone());
    let tasks: Vec<_> = kiosks
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let (k, t) = (k.clone(), t.clone());
            tokio::spawn(async move {
                let mut s = Stats::default();
                let mut due = start + interval.mul_f64(i as f64 / n);
                let mut seq = 0u64;
                while due < until {
                    tokio::time::sleep_until(due).await;
                    let key = format!("{}-{i}-{seq}", t.run);
                    seq += 1;
                    let r = send(&k, &t, kind, &key).await;
                    s.record(&r, due.elapsed());
                    due += interval;
                }
                s
            })
        })
        .collect();
    merge(tasks, secs).await
}

async fn merge(
    tasks: Vec<tokio::task::JoinHandle<Stats>>,
    secs: Duration,
) -> anyhow::Result<Stats> {
    let mut all = Stats {
        secs: secs.as_secs_f64(),
        ..Stats::default()
    };
    for task in tasks {
        let s = task.await.context("a load client panicked")?;
        all.ok += s.ok;
        all.failed += s.failed;
        all.latencies_us.extend(s.latencies_us);
    }
    all.latencies_us.sort_unstable();
    Ok(all)
}
