//! The server's Prometheus metrics (`GET /metrics`, operator token): requests and their latency
//! per route template, method and status; check-ins; rate-limit rejections; group-commit batch
//! sizes, the pauses it takes to copy SQLite's log back and to rewrite its file; rows removed by
//! retention runs; emails and webhook deliveries tried, by outcome; and the gauges the scrape
//! handler reads from the store and passes in ([`Gauges`]: the outbox backlog and the database
//! pools' use). This module only holds what others feed it; `format.rs` writes the scrape.
//! Labels are route templates and fixed words, never values.
//!
//! A scrape gets the format it asks for ([`Format`]): OpenMetrics text when its `Accept` names
//! it (as Prometheus' own scraper does), else Prometheus' classic text format 0.0.4, which
//! `promtool check metrics` lints; each with its own content type.

mod format;

use std::{
    sync::LazyLock,
    time::{Duration, Instant},
};

use axum::{
    extract::{MatchedPath, Request},
    middleware::Next,
    response::Response,
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

pub use format::Format;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabels {
    limit: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
}

struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    check_ins: Counter,
    rate_limited: Family<LimitLabels, Counter>,
    checkout_backoffs: Counter,
    commit_batch: Histogram,
    copy_back: Histogram,
    rewrite: Histogram,
    outbox_depth: Gauge,
    outbox_age: Gauge<f64, std::sync::atomic::AtomicU64>,
    pool_size: Family<PoolLabels, Gauge>,
    pool_idle: Family<PoolLabels, Gauge>,
    retention_removed: Family<KindLabels, Counter>,
    mail: Family<OutcomeLabels, Counter>,
    webhooks: Family<OutcomeLabels, Counter>,
    mid_rotation: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("vestibule");
    let requests = Family::<RouteLabels, Counter>::default();
    let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(|| {
        Histogram::new(exponential_buckets(0.0005, 2.0, 16))
    });
    let check_ins = Counter::default();
    let rate_limited = Family::<LimitLabels, Counter>::default();
    let checkout_backoffs = Counter::default();
    let commit_batch = Histogram::new(exponential_buckets(1.0, 2.0, 8));
    let copy_back = Histogram::new(exponential_buckets(0.0005, 2.0, 10));
    let rewrite = Histogram::new(exponential_buckets(0.125, 2.0, 10));
    let outbox_depth = Gauge::default();
    let outbox_age = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
    let pool_size = Family::<PoolLabels, Gauge>::default();
    let pool_idle = Family::<PoolLabels, Gauge>::default();
    let retention_removed = Family::<KindLabels, Counter>::default();
    let mail = Family::<OutcomeLabels, Counter>::default();
    let webhooks = Family::<OutcomeLabels, Counter>::default();
    let mid_rotation = Gauge::default();
    registry.register(
        "mail_attempts",
        "Host and visitor emails tried, by outcome (sent, retry, failed: given up)",
        mail.clone(),
    );
    registry.register(
        "webhook_attempts",
        "Webhook deliveries tried, by outcome (delivered, retry, failed: given up)",
        webhooks.clone(),
    );
    registry.register(
        "tenants_mid_rotation",
        "Companies whose data key rotation has started and not finished",
        mid_rotation.clone(),
    );
    registry.register("http_requests", "HTTP requests answered", requests.clone());
    registry.register(
        "http_request_duration_seconds",
        "Time to answer an HTTP request",
        latency.clone(),
    );
    registry.register(
        "check_ins",
        "Visits checked in (replays not counted)",
        check_ins.clone(),
    );
    registry.register(
        "rate_limited",
        "Requests refused by a rate limit",
        rate_limited.clone(),
    );
    registry.register(
        "checkout_backoffs",
        "Times a kiosk was made to wait after too many unknown badge codes",
        checkout_backoffs.clone(),
    );
    registry.register(
        "retention_removed",
        "Rows removed by the retention runs, by kind (visits, visitors, invites, passes, notifications)",
        retention_removed.clone(),
    );
    registry.register(
        "commit_batch_size",
        "Check-ins written per SQLite group commit",
        commit_batch.clone(),
    );
    registry.register(
        "sqlite_log_copy_back_seconds",
        "Time the SQLite group committer spent copying the write-ahead log back between two batches",
        copy_back.clone(),
    );
    registry.register(
        "sqlite_rewrite_seconds",
        "Time SQLite's database file took to be rewritten (VACUUM) after a retention run or a key's destruction, writes waiting meanwhile",
        rewrite.clone(),
    );
    registry.register(
        "outbox_depth",
        "Emails due and not yet sent or given up",
        outbox_depth.clone(),
    );
    registry.register(
        "outbox_oldest_age_seconds",
        "How long the oldest due email has waited",
        outbox_age.clone(),
    );
    registry.register(
        "db_pool_connections",
        "Open database connections",
        pool_size.clone(),
    );
    registry.register(
        "db_pool_idle_connections",
        "Idle database connections",
        pool_idle.clone(),
    );
    // Counted from zero at start, so that rates and increases see their first events.
    for outcome in ["sent", "retry", "failed"] {
        let _ = mail.get_or_create(&OutcomeLabels { outcome });
    }
    for outcome in ["delivered", "retry", "failed"] {
        let _ = webhooks.get_or_create(&OutcomeLabels { outcome });
    }
    for limit in ["ip", "device", "sign_in"] {
        let _ = rate_limited.get_or_create(&LimitLabels { limit });
    }
    Metrics {
        registry,
        requests,
        latency,
        check_ins,
        rate_limited,
        checkout_backoffs,
        commit_batch,
        copy_back,
        rewrite,
        outbox_depth,
        outbox_age,
        pool_size,
        pool_idle,
        retention_removed,
        mail,
        webhooks,
        mid_rotation,
    }
});

/// Middleware: counts and times every request by its route template.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |m| m.as_str())
        .to_owned();
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    observe(method, route, response.status().as_u16(), started.elapsed());
    response
}

fn observe(method: String, route: String, status: u16, took: Duration) {
    let labels = RouteLabels {
        method,
        route,
        status,
    };
    METRICS.requests.get_or_create(&labels).inc();
    METRICS
        .latency
        .get_or_create(&labels)
        .observe(took.as_secs_f64());
}

/// One visit checked in.
pub fn check_in() {
    METRICS.check_ins.inc();
}

/// A request refused by the named limit (`ip`, `device`, `sign_in`, `checkout_backoff`).
pub fn rate_limited(limit: &'static str) {
    METRICS
        .rate_limited
        .get_or_create(&LimitLabels { limit })
        .inc();
}

/// A kiosk made to wait (longer) after too many unknown badge codes.
pub fn checkout_backoff() {
    METRICS.checkout_backoffs.inc();
}

/// Rows of `kind` removed by a retention run.
pub fn retention_removed(kind: &'static str, n: u64) {
    METRICS
        .retention_removed
        .get_or_create(&KindLabels { kind })
        .inc_by(n);
}

/// `n` emails tried with `outcome` (`sent`, `retry`, `failed`).
pub fn mail_attempts(outcome: &'static str, n: u64) {
    METRICS
        .mail
        .get_or_create(&OutcomeLabels { outcome })
        .inc_by(n);
}

/// A webhook delivery tried with `outcome` (`delivered`, `retry`, `failed`).
pub fn webhook_attempt(outcome: &'static str) {
    METRICS
        .webhooks
        .get_or_create(&OutcomeLabels { outcome })
        .inc();
}

/// The group committer copied SQLite's log back, its batches waiting for `took`.
pub fn log_copy_back(took: Duration) {
    METRICS.copy_back.observe(took.as_secs_f64());
}

/// SQLite's database file was rewritten (the scrub), its writes waiting for `took`.
pub fn sqlite_rewrite(took: Duration) {
    METRICS.rewrite.observe(took.as_secs_f64());
}

/// One group commit of `n` jobs.
pub fn commit_batch(n: usize) {
    METRICS.commit_batch.observe(n as f64);
}

/// What the scrape reads from the store at scrape time.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// Emails due and not yet sent or given up.
    pub outbox_depth: i64,
    /// How long the oldest due email has waited, in seconds.
    pub outbox_oldest_age_secs: f64,
    /// Per connection pool: its name, open and idle connections.
    pub pools: Vec<(&'static str, u32, usize)>,
    /// Companies whose data key rotation has started and not finished.
    pub tenants_mid_rotation: i64,
}

/// The metrics in `format`, with `gauges` as read now.
pub fn render(gauges: &Gauges, format: Format) -> Result<String, std::fmt::Error> {
    METRICS.outbox_depth.set(gauges.outbox_depth);
    METRICS.outbox_age.set(gauges.outbox_oldest_age_secs);
    METRICS.mid_rotation.set(gauges.tenants_mid_rotation);
    for &(pool, size, idle) in &gauges.pools {
        METRICS
            .pool_size
            .get_or_create(&PoolLabels { pool })
            .set(size.into());
        METRICS
            .pool_idle
            .get_or_create(&PoolLabels { pool })
            .set(idle.try_into().unwrap_or(i64::MAX));
    }
    let mut out = String::new();
    encode(&mut out, &METRICS.registry)?;
    Ok(match format {
        Format::OpenMetrics => out,
        Format::Classic => format::classic(&out),
    })
}
