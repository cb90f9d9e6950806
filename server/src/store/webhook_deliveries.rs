//! Webhook deliveries: one row per event and webhook, made from the audit chain and then sent
//! like the outbox's emails (a lease per claim, backoff, give-up). The fan-out reads a tenant's
//! chain after its cursor (`webhook_cursors`) and writes a row for each entry of interest and
//! each webhook that asked for it; `UNIQUE (tenant_id, webhook_id, audit_seq)` makes that once
//! only, whichever replica gets there first. The event's facts (site, host, times, perhaps the
//! visitor) are read when the row is sent, never stored with it.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;
use vestibule_shared::dto::webhooks::{WebhookEvent, WebhookKind};
use zeroize::Zeroizing;

use super::outbox::scope as outbox_scope;
use super::query::{built_once, numbered, one_each, padded};
use super::sealed::WEBHOOK_URL;
use super::webhooks::events_of;
use super::{GlobalTx, Store, TenantTx};
use crate::{
    error::Error,
    ids::{TenantId, new_id},
};

/// A delivery as its log shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub event: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_duration_ms: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A claimed delivery with what sending it takes (its facts come from [`TenantTx::event_facts`]).
pub struct DeliveryJob {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub kind: WebhookKind,
    pub url: Zeroizing<String>,
    pub ca_pem: Option<String>,
    pub include_visitor: bool,
    pub event: WebhookEvent,
    pub target: String,
    pub occurred_at: DateTime<Utc>,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
}

/// How an attempt ended.
pub enum Attempt<'a> {
    Delivered {
        status: u16,
        ms: i64,
    },
    Retry {
        next: DateTime<Utc>,
        status: Option<u16>,
        ms: i64,
        error: &'a str,
    },
    GaveUp {
        status: Option<u16>,
        ms: i64,
        error: &'a str,
    },
}

/// Rows written per fan-out statement.
const FAN_OUT_CHUNK: usize = 32;

const LOG_COLUMNS: &str = "id, event, attempts, next_attempt_at, delivered_at, failed_at, last_status_code, last_duration_ms, last_error, created_at";

type Fresh = (
    Uuid,
    Uuid,
    &'static str,
    String,
    i64,
    DateTime<Utc>,
    DateTime<Utc>,
);

impl Store {
    /// The tenants with a webhook and audit entries their fan-out has not read yet.
    pub async fn webhook_tenants(&self) -> Result<Vec<TenantId>, Error> {
        let mut g = self.global(false).await?;
        let sql = g.tx.dialect().webhook_tenants_due();
        let rows: Vec<(Uuid,)> = g.tx.fetch_all(sql, ()).await?;
        g.commit().await?;
        Ok(rows.into_iter().map(|(t,)| TenantId(t)).collect())
    }

    /// The tenants with at least one webhook.
    pub async fn hooked_tenants(&self) -> Result<HashSet<Uuid>, Error> {
        let mut g = self.global(false).await?;
        let sql = g.tx.dialect().webhook_tenants();
        let rows: Vec<(Uuid,)> = g.tx.fetch_all(sql, ()).await?;
        g.commit().await?;
        Ok(rows.into_iter().map(|(t,)| t).collect())
    }
}

impl GlobalTx {
    /// Claims up to `max` due deliveries of any tenant for `owner` until `now + lease`.
    pub async fn claim_webhook_deliveries(
        &mut self,
        owner: &str,
        lease: Duration,
        max: i64,
    ) -> Result<Vec<(TenantId, Uuid)>, Error> {
        let at = self.now();
        outbox_scope(&mut self.tx, true).await?;
        let rows: Vec<(Uuid, Uuid)> = self
            .tx
            .fetch_all(
                self.tx.dialect().claim_webhook_deliveries(),
                (owner, at + lease, at, max),
            )
            .await?;
        outbox_scope(&mut self.tx, false).await?;
        Ok(rows.into_iter().map(|(t, id)| (TenantId(t), id)).collect())
    }
}

fn event_of(action: &str, held: bool) -> Option<WebhookEvent> {
    match action {
        "visit.check_in" if held => Some(WebhookEvent::VisitHeld),
        "visit.check_in" => Some(WebhookEvent::VisitCheckedIn),
        "visit.check_out" => Some(WebhookEvent::VisitCheckedOut),
        "invite.create" => Some(WebhookEvent::InviteCreated),
        "evacuation.start" => Some(WebhookEvent::EvacuationStarted),
        _ => None,
    }
}

/// The id in an audit target (`visit:<id>`).
fn target_id(target: &str) -> Option<Uuid> {
    target.split_once(':').and_then(|(_, id)| id.parse().ok())
}

impl TenantTx {
    /// Turns up to `max` of the chain's entries after the cursor into deliveries; returns how
    /// many entries it read (`max` means there may be more).
    pub async fn fan_out_webhooks(&mut self, max: i64) -> Result<i64, Error> {
        let hooks: Vec<(Uuid, String, i64)> = self
            .fetch_all(
                "SELECT id, events, from_seq FROM webhooks WHERE tenant_id = $1",
                (),
            )
            .await?;
        let Some(first) = hooks.iter().map(|h| h.2).min() else {
            return Ok(0);
        };
        let head: i64 = self
            .scalar("SELECT audit_seq FROM tenants WHERE id = $1", ())
            .await?;
        let cursor: Option<i64> = self
            .fetch_optional("SELECT seq FROM webhook_cursors WHERE tenant_id = $1", ())
            .await?
            .map(|(s,): (i64,)| s);
        let cursor = cursor.unwrap_or(first);
        // The audit actions that make events (`event_of`).
        let sql = "SELECT seq, at, action, target FROM audit_log WHERE tenant_id = $1 AND seq > $2 AND action IN \
                   ('visit.check_in', 'visit.check_out', 'invite.create', 'evacuation.start') ORDER BY seq LIMIT $3";
        let entries: Vec<(i64, DateTime<Utc>, String, String)> =
            self.fetch_all(sql, (cursor, max)).await?;
        let held = self.held_among(&entries).await?;
        let now = self.now();
        let mut fresh: Vec<Fresh> = Vec::new();
        for (seq, at, action, target) in &entries {
            let is_held = target_id(target).is_some_and(|id| held.contains(&id));
            let Some(event) = event_of(action, is_held) else {
                continue;
            };
            for (hook, events, from) in &hooks {
                if *seq > *from && events_of(events).contains(&event) {
                    fresh.push((
                        new_id(),
                        *hook,
                        event.as_str(),
                        target.clone(),
                        *seq,
                        *at,
                        now,
                    ));
                }
            }
        }
        for chunk in fresh.chunks(FAN_OUT_CHUNK) {
            self.insert_deliveries(chunk).await?;
        }
        let read = entries.len() as i64;
        let last = entries.last().map_or(cursor, |e| e.0);
        let next = if read < max { last.max(head) } else { last };
        self.execute(
            "INSERT INTO webhook_cursors (tenant_id, seq) VALUES ($1, $2) ON CONFLICT (tenant_id) DO UPDATE \
             SET seq = CASE WHEN excluded.seq > webhook_cursors.seq THEN excluded.seq ELSE webhook_cursors.seq END",
            (next,),
        )
        .await?;
        Ok(read)
    }

    /// The visits among the check-in entries that are held (on the watchlist).
    async fn held_among(
        &mut self,
        entries: &[(i64, DateTime<Utc>, String, String)],
    ) -> Result<Vec<Uuid>, Error> {
        let ids: Vec<Uuid> = entries
            .iter()
            .filter(|e| e.2 == "visit.check_in")
            .filter_map(|e| target_id(&e.3))
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = one_each(&ids);
        let sql = built_once("webhook held", list.len(), || {
            format!(
                "SELECT id FROM visits WHERE tenant_id = $1 AND hold IS NOT NULL AND id IN ({})",
                numbered(2, list.len())
            )
        });
        let rows: Vec<(Uuid,)> = self.fetch_all(sql, list).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Writes `rows` (one statement); a row another replica wrote first is left alone.
    async fn insert_deliveries(&mut self, rows: &[Fresh]) -> Result<(), Error> {
        let rows = padded(rows);
        let sql = built_once("webhook fan-out", rows.len(), || {
            let values: Vec<String> = (0..rows.len())
                .map(|i| {
                    let p = |k: usize| format!("${}", 2 + 7 * i + k);
                    format!(
                        "($1, {}, {}, {}, {}, {}, {}, 0, {}, {})",
                        p(0),
                        p(1),
                        p(2),
                        p(3),
                        p(4),
                        p(5),
                        p(6),
                        p(6)
                    )
                })
                .collect();
            format!(
                "INSERT INTO webhook_deliveries (tenant_id, id, webhook_id, event, target, audit_seq, occurred_at, attempts, \
                 next_attempt_at, created_at) VALUES {} ON CONFLICT DO NOTHING",
                values.join(", ")
            )
        });
        self.execute(sql, rows).await?;
        Ok(())
    }

    /// Queues a test event for webhook `id`.
    pub async fn queue_test_delivery(&mut self, webhook: Uuid) -> Result<DeliveryRow, Error> {
        const SQL: &str = "INSERT INTO webhook_deliveries (tenant_id, id, webhook_id, event, target, occurred_at, attempts, next_attempt_at, created_at) \
                           VALUES ($1, $2, $3, $4, $5, $6, 0, $6, $6)";
        let (id, now) = (new_id(), self.now());
        let target = format!("webhook:{webhook}");
        self.execute(SQL, (id, webhook, WebhookEvent::Test.as_str(), target, now))
            .await?;
        self.delivery(webhook, id)
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("the test delivery vanished")))
    }

    /// Sends delivery `id` of `webhook` again now (its attempts start over).
    pub async fn redeliver(
        &mut self,
        webhook: Uuid,
        id: Uuid,
    ) -> Result<Option<DeliveryRow>, Error> {
        const SQL: &str = "UPDATE webhook_deliveries SET delivered_at = NULL, failed_at = NULL, attempts = 0, next_attempt_at = $4, \
                           lease_owner = NULL, lease_until = NULL WHERE tenant_id = $1 AND webhook_id = $2 AND id = $3";
        let now = self.now();
        if self.execute(SQL, (webhook, id, now)).await? == 0 {
            return Ok(None);
        }
        self.delivery(webhook, id).await
    }

    async fn delivery(&mut self, webhook: Uuid, id: Uuid) -> Result<Option<DeliveryRow>, Error> {
        let sql = built_once("webhook delivery", 1, || {
            format!(
                "SELECT {LOG_COLUMNS} FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2 AND id = $3"
            )
        });
        self.fetch_optional(sql, (webhook, id)).await
    }

    /// The newest deliveries of `webhook` first, and how many there are.
    pub async fn webhook_deliveries(
        &mut self,
        webhook: Uuid,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<DeliveryRow>, i64), Error> {
        let sql = built_once("webhook log", 1, || {
            format!(
                "SELECT {LOG_COLUMNS} FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2 \
                 ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
            )
        });
        let rows = self.fetch_all(sql, (webhook, limit, offset)).await?;
        let total = self
            .scalar(
                "SELECT COUNT(*) FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2",
                (webhook,),
            )
            .await?;
        Ok((rows, total))
    }

    /// Delivery `id` with its webhook, if `owner` still holds it and it is still due.
    pub async fn delivery_job(
        &mut self,
        id: Uuid,
        owner: &str,
    ) -> Result<Option<DeliveryJob>, Error> {
        const SQL: &str = "SELECT d.webhook_id, d.event, d.target, d.occurred_at, d.attempts, d.created_at, w.kind, w.url_enc, w.ca_pem, w.include_visitor \
                           FROM webhook_deliveries d JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.id = d.webhook_id \
                           WHERE d.tenant_id = $1 AND d.id = $2 AND d.lease_owner = $3 AND d.delivered_at IS NULL AND d.failed_at IS NULL";
        type Raw = (
            Uuid,
            String,
            String,
            DateTime<Utc>,
            i64,
            DateTime<Utc>,
            String,
            Vec<u8>,
            Option<String>,
            bool,
        );
        let row: Option<Raw> = self.fetch_optional(SQL, (id, owner)).await?;
        let Some((
            webhook_id,
            event,
            target,
            occurred_at,
            attempts,
            created_at,
            kind,
            url,
            ca_pem,
            include_visitor,
        )) = row
        else {
            return Ok(None);
        };
        let Some(event) = WebhookEvent::parse(&event) else {
            return Ok(None);
        };
        Ok(Some(DeliveryJob {
            id,
            webhook_id,
            kind: WebhookKind::parse(&kind).unwrap_or(WebhookKind::Standard),
            url: Zeroizing::new(self.keys.open(WEBHOOK_URL, webhook_id, &url)?),
            ca_pem,
            include_visitor,
            event,
            target,
            occurred_at,
            attempts,
            created_at,
        }))
    }

    /// Records how an attempt at delivery `id` ended.
    pub async fn settle_delivery(&mut self, id: Uuid, attempt: Attempt<'_>) -> Result<(), Error> {
        const SQL: &str = "UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = $3, failed_at = $4, \
                           next_attempt_at = COALESCE($5, next_attempt_at), last_status_code = $6, last_duration_ms = $7, \
                           last_error = $8, lease_owner = NULL, lease_until = NULL WHERE tenant_id = $1 AND id = $2";
        let now = self.now();
        let (delivered, failed, next, status, ms, error) = match attempt {
            Attempt::Delivered { status, ms } => (Some(now), None, None, Some(status), ms, None),
            Attempt::Retry {
                next,
                status,
                ms,
                error,
            } => (None, None, Some(next), status, ms, Some(error)),
            Attempt::GaveUp { status, ms, error } => {
                (None, Some(now), None, status, ms, Some(error))
            }
        };
        let status = status.map(i32::from);
        self.execute(SQL, (id, delivered, failed, next, status, ms, error))
            .await?;
        Ok(())
    }
}
