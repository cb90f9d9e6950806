//! The outbox: notifications written in the same transaction as what caused them, then claimed
//! and sent by the mail sender (the `mail` module). A claim is a lease (`lease_owner`,
//! `lease_until`): one process works on a row at a time, and a dead process's rows come back
//! when its lease runs out. `sending_at` is committed right before the SMTP exchange, so a row
//! found with it set was interrupted mid-send and is not sent again. The claim, the lease release
//! and the backlog see every tenant's rows: on PostgreSQL only inside the dialect's `outbox_scope`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::query::{Both, built_once, numbered, one_each, padded};
use super::sealed::OUTBOX_PAYLOAD;
use super::{GlobalTx, TenantTx, Tx};
use crate::{
    crypto::TenantKeys,
    error::Error,
    ids::{TenantId, new_id},
};

/// What the outbox row asks for (the sealed payload, opened).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Notification {
    /// `check_in`, `check_out` or `waiting` (to the host, about a visit); `invite` (to the invited
    /// visitor) or `invite_sent` (the host's confirmation), about an invitation; `pass` (to the
    /// visitor, with their new pass).
    pub event: String,
    /// The visit, or for the invitation events the invitation, for `pass` the pass.
    pub visit_id: Uuid,
    /// For `invite`: the invitation's code, which the server keeps nowhere else (sealed here
    /// with the rest of the payload, until the email is sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// For `pass`: the secret of the visitor's revocation link (the server keeps only its hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl Notification {
    /// A notification of `event` about `id` (a visit, an invitation or a pass), without a code or
    /// a secret.
    pub fn about(event: &str, id: Uuid) -> Notification {
        Notification {
            event: event.into(),
            visit_id: id,
            code: None,
            secret: None,
        }
    }
}

/// A claimed row, as the sender sees it.
#[derive(Debug)]
pub struct OutboxItem {
    pub id: Uuid,
    pub notification: Notification,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub sending_at: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
}

/// A row as the admin's notification log shows it (no payload: it names a visit only).
#[derive(Debug, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: Uuid,
    pub kind: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The emails due and not yet sent or given up, over every tenant.
#[derive(Debug, Clone, Copy, Default)]
pub struct Backlog {
    pub depth: i64,
    /// How long the oldest of them has been due, in seconds (0 when there is none).
    pub oldest_age_secs: f64,
}

/// Opens (or closes) this transaction's view of every tenant's outbox rows (the dialect's
/// `outbox_scope`; SQLite has no row-level security and always sees them).
pub(super) async fn scope(tx: &mut Tx, on: bool) -> Result<(), Error> {
    if let Some(sql) = tx.dialect().outbox_scope() {
        tx.execute(sql, (if on { "on" } else { "" },)).await?;
    }
    Ok(())
}

type RawItem = (
    Uuid,
    Vec<u8>,
    i64,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
);

impl super::Store {
    /// The outbox backlog of every tenant (for the metrics).
    pub async fn outbox_backlog(&self) -> Result<Backlog, Error> {
        const SQL: &str = "SELECT COUNT(*), MIN(next_attempt_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1";
        let at = self.clock.now();
        let mut g = self.global(false).await?;
        scope(&mut g.tx, true).await?;
        let (depth, oldest): (i64, Option<DateTime<Utc>>) = g.tx.fetch_one(SQL, (at,)).await?;
        g.commit().await?;
        let oldest_age_secs =
            oldest.map_or(0.0, |t| (at - t).num_milliseconds().max(0) as f64 / 1000.0);
        Ok(Backlog {
            depth,
            oldest_age_secs,
        })
    }
}

impl GlobalTx {
    /// Gives back the leases `owner` holds on rows it has not started sending (a stopping
    /// process), so other processes can send them at once.
    pub async fn release_outbox(&mut self, owner: &str) -> Result<u64, Error> {
        const SQL: &str = "UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 AND sending_at IS NULL \
                           AND sent_at IS NULL AND failed_at IS NULL";
        scope(&mut self.tx, true).await?;
        let n = self.tx.execute(SQL, (owner,)).await?;
        scope(&mut self.tx, false).await?;
        Ok(n)
    }

    /// Claims up to `max` due rows of any tenant for `owner` until `now + lease`.
    pub async fn claim_outbox(
        &mut self,
        owner: &str,
        lease: Duration,
        max: i64,
    ) -> Result<Vec<(TenantId, Uuid)>, Error> {
        let at = self.now();
        let until = at + lease;
        scope(&mut self.tx, true).await?;
        let rows: Vec<(Uuid, Uuid)> = self
            .tx
            .fetch_all(self.tx.dialect().claim_outbox(), (owner, until, at, max))
            .await?;
        scope(&mut self.tx, false).await?;
        Ok(rows.into_iter().map(|(t, id)| (TenantId(t), id)).collect())
    }
}

/// The outbox row id `id` and `notification` sealed under it with `keys`.
pub(super) fn seal_notification(
    keys: &TenantKeys,
    id: Uuid,
    notification: &Notification,
) -> Result<(Uuid, Vec<u8>), Error> {
    let payload = serde_json::to_string(notification).map_err(|e| Error::Internal(e.into()))?;
    Ok((id, keys.seal(OUTBOX_PAYLOAD, id, &payload)))
}

impl TenantTx {
    /// Writes a notification for the sender, due at `due`; `kind` says to whom
    /// (`host_notification`, `visitor_invitation`).
    pub async fn enqueue(
        &mut self,
        kind: &str,
        notification: &Notification,
        due: DateTime<Utc>,
    ) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO outbox (tenant_id, id, kind, payload_enc, attempts, next_attempt_at, created_at) \
                           VALUES ($1, $2, $3, $4, 0, $5, $6)";
        let (id, sealed) = seal_notification(&self.keys, new_id(), notification)?;
        self.execute(SQL, (id, kind, sealed, due, self.now()))
            .await?;
        Ok(())
    }

    /// The rows of `ids` that `owner` still holds and that are neither sent nor given up, in the
    /// order of `ids`: one statement.
    pub async fn outbox_items(
        &mut self,
        ids: &[Uuid],
        owner: &str,
    ) -> Result<Vec<OutboxItem>, Error> {
        let list = one_each(ids);
        let sql = built_once("outbox items", list.len(), || {
            format!(
                "SELECT id, payload_enc, attempts, created_at, sending_at, message_id FROM outbox \
                 WHERE tenant_id = $1 AND lease_owner = $2 AND sent_at IS NULL AND failed_at IS NULL AND id IN ({})",
                numbered(3, list.len())
            )
        });
        let rows: Vec<RawItem> = self.fetch_all(sql, Both((owner,), list)).await?;
        let mut items = HashMap::with_capacity(rows.len());
        for (id, sealed, attempts, created_at, sending_at, message_id) in rows {
            let payload = self.keys.open(OUTBOX_PAYLOAD, id, &sealed)?;
            let notification =
                serde_json::from_str(&payload).map_err(|e| Error::Internal(e.into()))?;
            let item = OutboxItem {
                id,
                notification,
                attempts,
                created_at,
                sending_at,
                message_id,
            };
            items.insert(id, item);
        }
        Ok(ids.iter().filter_map(|id| items.remove(id)).collect())
    }

    /// Records, before the SMTP exchanges, that the rows of `sending` (row, Message-ID) are being
    /// sent: one statement, for the rows `owner` still holds; returns those.
    pub async fn outbox_sending(
        &mut self,
        sending: &[(Uuid, String)],
        owner: &str,
    ) -> Result<HashSet<Uuid>, Error> {
        if sending.is_empty() {
            return Ok(HashSet::new());
        }
        let pairs = padded(sending);
        let n = pairs.len();
        let sql = built_once("outbox sending", n, || {
            let cases: String = (0..n)
                .map(|i| format!(" WHEN ${} THEN ${}", 4 + 2 * i, 5 + 2 * i))
                .collect();
            let ids: Vec<String> = (0..n).map(|i| format!("${}", 4 + 2 * i)).collect();
            format!(
                "UPDATE outbox SET sending_at = $2, message_id = CASE id{cases} END \
                 WHERE tenant_id = $1 AND lease_owner = $3 AND sent_at IS NULL AND failed_at IS NULL \
                 AND id IN ({}) RETURNING id",
                ids.join(", ")
            )
        });
        let marked: Vec<(Uuid,)> = self
            .fetch_all(sql, Both((self.now(), owner), pairs))
            .await?;
        Ok(marked.into_iter().map(|(id,)| id).collect())
    }

    /// The SMTP server accepted the messages of the rows `ids`: one statement.
    pub async fn outbox_sent(&mut self, ids: &[Uuid]) -> Result<(), Error> {
        if ids.is_empty() {
            return Ok(());
        }
        let list = one_each(ids);
        let sql = built_once("outbox sent", list.len(), || {
            format!(
                "UPDATE outbox SET sent_at = $2, lease_owner = NULL, lease_until = NULL, last_error = NULL \
                 WHERE tenant_id = $1 AND id IN ({})",
                numbered(3, list.len())
            )
        });
        self.execute(sql, Both((self.now(),), list)).await?;
        Ok(())
    }

    /// Gives row `id` back untouched, before its SMTP exchange began (the sender is stopping).
    pub async fn outbox_unsend(&mut self, id: Uuid) -> Result<(), Error> {
        const SQL: &str = "UPDATE outbox SET sending_at = NULL, message_id = NULL, lease_owner = NULL, lease_until = NULL \
                           WHERE tenant_id = $1 AND id = $2";
        self.execute(SQL, (id,)).await?;
        Ok(())
    }

    /// Gives up on row `id` with `error` (no personal data).
    pub async fn outbox_failed(&mut self, id: Uuid, error: &str) -> Result<(), Error> {
        const SQL: &str = "UPDATE outbox SET failed_at = $3, lease_owner = NULL, lease_until = NULL, last_error = $4 WHERE tenant_id = $1 AND id = $2";
        self.outbox_update(SQL, id, self.now(), Some(error)).await
    }

    /// Tries row `id` again at `next` after a failed attempt.
    pub async fn outbox_retry(
        &mut self,
        id: Uuid,
        next: DateTime<Utc>,
        error: &str,
    ) -> Result<(), Error> {
        const SQL: &str = "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $3, last_error = $4, sending_at = NULL, \
                           message_id = NULL, lease_owner = NULL, lease_until = NULL WHERE tenant_id = $1 AND id = $2";
        self.outbox_update(SQL, id, next, Some(error)).await
    }

    /// Runs one of the updates above: `$1` tenant, `$2` row, `$3` a time, `$4` a text.
    async fn outbox_update(
        &mut self,
        sql: &'static str,
        id: Uuid,
        at: DateTime<Utc>,
        text: Option<&str>,
    ) -> Result<(), Error> {
        self.execute(sql, (id, at, text)).await?;
        Ok(())
    }

    /// The newest notifications first.
    pub async fn outbox(
        &mut self,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<OutboxRow>, i64), Error> {
        const SQL: &str = "SELECT id, kind, attempts, next_attempt_at, sent_at, failed_at, last_error, message_id, created_at \
                           FROM outbox WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3";
        let rows = self.fetch_all(SQL, (limit, offset)).await?;
        let total = self
            .scalar("SELECT COUNT(*) FROM outbox WHERE tenant_id = $1", ())
            .await?;
        Ok((rows, total))
    }
}
