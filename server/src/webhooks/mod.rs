//! The webhook sender: turns the audit chain's entries into deliveries (the fan-out, see
//! `store/webhook_deliveries.rs`), then claims due deliveries of every tenant with a lease and
//! sends them, several at once, through [`egress::Egress`]. A receiver that fails or does not
//! answer is tried again with a doubling delay until `give_up`; a slow one holds up only its own
//! delivery. Runs in every replica, as the mail sender does.

pub mod egress;
pub mod message;
pub mod sign;

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use futures::StreamExt;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;
use vestibule_shared::dto::webhooks::WebhookKind;

use crate::{
    error::Error,
    ids::TenantId,
    store::{Attempt, Store, VisitChange},
};
use egress::{Egress, EgressError};

/// How the sender paces itself.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// How often to look for new events and due deliveries when there were none.
    pub poll: Duration,
    /// The first retry delay; each next one doubles, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// A delivery still failing this long after its event is given up on.
    pub give_up: Duration,
    /// How long a claim lasts (longer than one request can take).
    pub lease: Duration,
    /// One request, connection included.
    pub timeout: Duration,
    /// Networks the operator lets webhooks reach although they are private or loopback.
    pub allow: Vec<ipnet::IpNet>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(60 * 60),
            give_up: Duration::from_secs(24 * 60 * 60),
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(5),
            allow: Vec::new(),
        }
    }
}

/// Audit entries turned into deliveries per tenant transaction.
const FAN_OUT_BATCH: i64 = 500;
/// Deliveries claimed per round, and sent at once.
const CLAIM_BATCH: i64 = 64;
const IN_FLIGHT: usize = 16;

/// Runs the sender until `stop` turns true. It claims due deliveries every `poll` and whenever
/// the fan-out found new events. A visit change (from any replica) of a tenant with a webhook
/// wakes it, at most once per 5 ms however busy the desk; for a few rounds after one it fans out
/// again every 50 ms, as the change's audit entry may be chained a moment after the change is
/// announced (PostgreSQL's sealer). Which tenants have a webhook is read again every `poll`, so
/// changes of the others cost nothing (a webhook just added is seen within one `poll`).
pub async fn run(store: Store, settings: WebhookSettings, mut stop: watch::Receiver<bool>) {
    let owner = format!("{}:{}", std::process::id(), Uuid::now_v7());
    let egress = Egress::new(settings.allow.clone(), settings.timeout);
    let mut changes = Some(store.subscribe().await);
    let (mut eager, mut claim_now, mut woke_at) = (0u8, true, None::<Instant>);
    let (mut hooked, mut read_at) = (HashSet::new(), None::<Instant>);
    while !*stop.borrow() {
        if read_at.is_none_or(|at| at.elapsed() >= settings.poll) {
            match store.hooked_tenants().await {
                Ok(tenants) => (hooked, read_at) = (tenants, Some(Instant::now())),
                Err(e) => tracing::warn!(error = %e, "reading which tenants have webhooks failed"),
            }
        }
        let fanned = match fan_out(&store).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "turning audit entries into webhook deliveries failed");
                0
            }
        };
        let claimed = if claim_now || fanned > 0 {
            claim(&store, &owner, &settings).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "claiming webhook deliveries failed");
                Vec::new()
            })
        } else {
            Vec::new()
        };
        let busy = fanned > 0 || !claimed.is_empty();
        futures::stream::iter(claimed)
            .for_each_concurrent(IN_FLIGHT, |(tenant, id)| {
                let (store, egress, settings, owner) = (&store, &egress, &settings, &owner);
                async move {
                    if let Err(e) = deliver(store, egress, settings, owner, tenant, id).await {
                        tracing::warn!(error = %e, "a webhook delivery could not be processed");
                    }
                }
            })
            .await;
        claim_now = busy;
        if busy {
            continue;
        }
        // Rounds that changes start are spaced by at least MIN_GAP, however busy the desk.
        if let Some(gap) = woke_at.map(|at| MIN_GAP.saturating_sub(at.elapsed()))
            && !gap.is_zero()
        {
            tokio::time::sleep(gap).await;
        }
        let wait = if eager > 0 { EAGER } else { settings.poll };
        woke_at = None;
        tokio::select! {
            _ = tokio::time::sleep(wait) => {
                if eager > 0 {
                    eager -= 1;
                } else {
                    claim_now = true;
                }
            }
            woke = next_change(&mut changes, &hooked) => if woke {
                eager = EAGER_ROUNDS;
                woke_at = Some(Instant::now());
            },
            _ = stop.changed() => {}
        }
    }
}

/// Waits for a visit change of a tenant in `hooked` (or for changes missed, which might be) and
/// drops those queued behind it; `false` (and never again) once the channel is closed.
async fn next_change(
    changes: &mut Option<broadcast::Receiver<VisitChange>>,
    hooked: &HashSet<Uuid>,
) -> bool {
    use broadcast::error::{RecvError, TryRecvError};
    let Some(rx) = changes else {
        return std::future::pending().await;
    };
    loop {
        let mut woke = match rx.recv().await {
            Ok(c) => hooked.contains(&c.tenant),
            Err(RecvError::Lagged(_)) => true,
            Err(RecvError::Closed) => {
                *changes = None;
                return false;
            }
        };
        loop {
            match rx.try_recv() {
                Ok(c) => woke |= hooked.contains(&c.tenant),
                Err(TryRecvError::Lagged(_)) => woke = true,
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        if woke {
            return true;
        }
    }
}

/// How often, and how many times, the sender looks again after a visit change; and the least
/// time between two rounds that changes start.
const EAGER: Duration = Duration::from_millis(50);
const EAGER_ROUNDS: u8 = 6;
const MIN_GAP: Duration = Duration::from_millis(5);

/// Turns every due tenant's new audit entries into deliveries; returns how many it read.
async fn fan_out(store: &Store) -> Result<i64, Error> {
    let mut total = 0;
    for tenant in store.webhook_tenants().await? {
        loop {
            let mut tx = store.write_beside(tenant).await?;
            let read = tx.fan_out_webhooks(FAN_OUT_BATCH).await?;
            tx.commit().await?;
            total += read;
            if read < FAN_OUT_BATCH {
                break;
            }
        }
    }
    Ok(total)
}

async fn claim(
    store: &Store,
    owner: &str,
    settings: &WebhookSettings,
) -> Result<Vec<(TenantId, Uuid)>, Error> {
    let lease = chrono::Duration::from_std(settings.lease).unwrap_or(chrono::Duration::MAX);
    let mut g = store.global(true).await?;
    let claimed = g
        .claim_webhook_deliveries(owner, lease, CLAIM_BATCH)
        .await?;
    g.commit().await?;
    Ok(claimed)
}

/// Sends delivery `id` once and records how it went.
async fn deliver(
    store: &Store,
    egress: &Egress,
    settings: &WebhookSettings,
    owner: &str,
    tenant: TenantId,
    id: Uuid,
) -> Result<(), Error> {
    let mut tx = store.read(tenant).await?;
    let Some(job) = tx.delivery_job(id, owner).await? else {
        return tx.commit().await;
    };
    let facts = tx
        .event_facts(job.event, &job.target, job.include_visitor)
        .await?;
    let language = tx.settings().await?.language;
    let signing = match job.kind {
        WebhookKind::Standard => tx.webhook_signing(job.webhook_id).await?,
        _ => None,
    };
    tx.commit().await?;
    let body = message::body(job.kind, job.event, job.occurred_at, &facts, language).to_string();
    let mut headers = Vec::new();
    if let Some(s) = &signing {
        let (msg_id, ts) = (job.id.to_string(), store.clock().now().timestamp());
        let secrets = s
            .current
            .iter()
            .chain(s.previous.iter())
            .map(|z| z.as_str());
        headers.push(("webhook-id", msg_id.clone()));
        headers.push(("webhook-timestamp", ts.to_string()));
        headers.push((
            "webhook-signature",
            sign::header(secrets, &msg_id, ts, body.as_bytes()),
        ));
    }
    let started = Instant::now();
    let sent = egress
        .post(&job.url, job.ca_pem.as_deref(), &headers, body.into_bytes())
        .await;
    let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status, error) = match &sent {
        Ok(s) if (200..300).contains(s) => (Some(*s), None),
        Ok(s) => (Some(*s), Some(format!("the receiver answered {s}"))),
        Err(e) => (None, Some(describe(e))),
    };
    let now = store.clock().now();
    let attempt = match (&error, status) {
        (None, Some(status)) => Attempt::Delivered { status, ms },
        (Some(error), status) => {
            let delay = backoff(settings, job.attempts);
            let next = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            let give_up =
                chrono::Duration::from_std(settings.give_up).unwrap_or(chrono::Duration::MAX);
            if next - job.created_at > give_up {
                Attempt::GaveUp { status, ms, error }
            } else {
                Attempt::Retry {
                    next,
                    status,
                    ms,
                    error,
                }
            }
        }
        (None, None) => return Ok(()),
    };
    let outcome = match attempt {
        Attempt::Delivered { .. } => "delivered",
        Attempt::Retry { .. } => "retry",
        Attempt::GaveUp { .. } => "failed",
    };
    let mut tx = store.write_beside(tenant).await?;
    tx.settle_delivery(id, attempt).await?;
    tx.commit().await?;
    crate::metrics::webhook_attempt(outcome);
    Ok(())
}

fn describe(e: &EgressError) -> String {
    let text = e.to_string();
    text.chars().take(300).collect()
}

/// The delay before attempt `attempts + 1`.
fn backoff(settings: &WebhookSettings, attempts: i64) -> Duration {
    let factor = 2u32.saturating_pow(u32::try_from(attempts).unwrap_or(u32::MAX).min(20));
    settings
        .retry_base
        .saturating_mul(factor)
        .min(settings.retry_max)
}
