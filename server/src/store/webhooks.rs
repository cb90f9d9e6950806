//! A tenant's webhooks: where to send which events, and how. The URL (for Slack and Teams a
//! credential in itself) and the signing secrets are sealed under the tenant's key; after a
//! rotation the previous secret is kept, sealed, until `prev_secret_until`, and signs beside the
//! new one. `from_seq` is the audit chain's head when the webhook was made: it gets only events
//! after it.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vestibule_shared::dto::webhooks::{WebhookEvent, WebhookKind};
use zeroize::Zeroizing;

use super::TenantTx;
use super::sealed::{WEBHOOK_PREV_SECRET, WEBHOOK_SECRET, WEBHOOK_URL};
use crate::{error::Error, ids::new_id};

/// A webhook, its URL opened (never its secrets).
#[derive(Debug, Clone)]
pub struct WebhookRow {
    pub id: Uuid,
    pub kind: WebhookKind,
    pub url: Zeroizing<String>,
    pub events: Vec<WebhookEvent>,
    pub include_visitor: bool,
    pub ca_pem: Option<String>,
    pub created_at: DateTime<Utc>,
    pub prev_secret_until: Option<DateTime<Utc>>,
}

/// What a new webhook is.
pub struct NewWebhook<'a> {
    pub kind: WebhookKind,
    pub url: &'a str,
    pub events: &'a [WebhookEvent],
    pub include_visitor: bool,
    pub ca_pem: Option<&'a str>,
    /// The signing secret (`standard` only).
    pub secret: Option<&'a str>,
}

/// The secrets a delivery is signed with: the current one, and the previous one while it
/// still overlaps.
pub struct Signing {
    pub current: Option<Zeroizing<String>>,
    pub previous: Option<Zeroizing<String>>,
}

type RawHook = (
    Uuid,
    String,
    Vec<u8>,
    String,
    bool,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

macro_rules! hook_select {
    ($rest:literal) => {
        concat!(
            "SELECT id, kind, url_enc, events, include_visitor, ca_pem, created_at, prev_secret_until \
             FROM webhooks WHERE tenant_id = $1",
            $rest
        )
    };
}

/// The events as stored: space-separated.
pub(super) fn events_of(text: &str) -> Vec<WebhookEvent> {
    text.split(' ').filter_map(WebhookEvent::parse).collect()
}

impl TenantTx {
    fn webhook_of(&self, r: RawHook) -> Result<WebhookRow, Error> {
        let (id, kind, url_enc, events, include_visitor, ca_pem, created_at, prev) = r;
        Ok(WebhookRow {
            id,
            kind: WebhookKind::parse(&kind).unwrap_or(WebhookKind::Standard),
            url: Zeroizing::new(self.keys.open(WEBHOOK_URL, id, &url_enc)?),
            events: events_of(&events),
            include_visitor,
            ca_pem,
            created_at,
            prev_secret_until: prev,
        })
    }

    /// Stores a new webhook, which gets the events after the chain's present head.
    pub async fn insert_webhook(&mut self, new: &NewWebhook<'_>) -> Result<WebhookRow, Error> {
        const SQL: &str = "INSERT INTO webhooks (tenant_id, id, kind, url_enc, events, include_visitor, ca_pem, secret_enc, from_seq, created_at) \
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, (SELECT audit_seq FROM tenants WHERE id = $1), $9)";
        let id = new_id();
        let mut events = new.events.to_vec();
        events.sort();
        events.dedup();
        let text: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
        let url = self.keys.seal(WEBHOOK_URL, id, new.url);
        let secret = new.secret.map(|s| self.keys.seal(WEBHOOK_SECRET, id, s));
        let at = self.now();
        self.execute(
            SQL,
            (
                id,
                new.kind.as_str(),
                url,
                text.join(" "),
                new.include_visitor,
                new.ca_pem,
                secret,
                at,
            ),
        )
        .await?;
        Ok(WebhookRow {
            id,
            kind: new.kind,
            url: Zeroizing::new(new.url.to_owned()),
            events,
            include_visitor: new.include_visitor,
            ca_pem: new.ca_pem.map(str::to_owned),
            created_at: at,
            prev_secret_until: None,
        })
    }

    /// The tenant's webhooks, oldest first.
    pub async fn webhooks(&mut self) -> Result<Vec<WebhookRow>, Error> {
        let sql = hook_select!(" ORDER BY created_at, id");
        let rows: Vec<RawHook> = self.fetch_all(sql, ()).await?;
        rows.into_iter().map(|r| self.webhook_of(r)).collect()
    }

    pub async fn webhook(&mut self, id: Uuid) -> Result<Option<WebhookRow>, Error> {
        let sql = hook_select!(" AND id = $2");
        let row: Option<RawHook> = self.fetch_optional(sql, (id,)).await?;
        row.map(|r| self.webhook_of(r)).transpose()
    }

    /// Deletes a webhook and its delivery log; false when there is none.
    pub async fn delete_webhook(&mut self, id: Uuid) -> Result<bool, Error> {
        self.execute(
            "DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2",
            (id,),
        )
        .await?;
        let n = self
            .execute(
                "DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2",
                (id,),
            )
            .await?;
        Ok(n > 0)
    }

    /// Makes `secret` the signing secret of webhook `id` and keeps the one it replaces signing
    /// until `until`; false when there is no such `standard` webhook.
    pub async fn rotate_webhook_secret(
        &mut self,
        id: Uuid,
        secret: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, Error> {
        const SQL: &str = "UPDATE webhooks SET secret_enc = $3, prev_secret_enc = $4, prev_secret_until = $5 \
                           WHERE tenant_id = $1 AND id = $2";
        let Some(old) = self.webhook_signing(id).await?.and_then(|s| s.current) else {
            return Ok(false);
        };
        let new = self.keys.seal(WEBHOOK_SECRET, id, secret);
        let prev = self.keys.seal(WEBHOOK_PREV_SECRET, id, &old);
        self.execute(SQL, (id, new, prev, until)).await?;
        Ok(true)
    }

    /// The secrets webhook `id` signs with now.
    pub async fn webhook_signing(&mut self, id: Uuid) -> Result<Option<Signing>, Error> {
        const SQL: &str = "SELECT secret_enc, prev_secret_enc, prev_secret_until FROM webhooks WHERE tenant_id = $1 AND id = $2";
        type Raw = (Option<Vec<u8>>, Option<Vec<u8>>, Option<DateTime<Utc>>);
        let row: Option<Raw> = self.fetch_optional(SQL, (id,)).await?;
        let Some((current, prev, until)) = row else {
            return Ok(None);
        };
        let overlapping = until.is_some_and(|u| u > self.now());
        let prev = prev.filter(|_| overlapping);
        Ok(Some(Signing {
            current: self
                .keys
                .open_opt(WEBHOOK_SECRET, id, current.as_deref())?
                .map(Zeroizing::new),
            previous: self
                .keys
                .open_opt(WEBHOOK_PREV_SECRET, id, prev.as_deref())?
                .map(Zeroizing::new),
        }))
    }
}
