//! The check-in: one statement reads what it depends on (the host's site, the reminder setting,
//! the audit chain head, an earlier visit under the same idempotency key, whether the drawn badge
//! code is taken, whether the tenant has an SMTP server), one statement writes the visitor, the
//! visit, the host's notifications (only when there is an SMTP server to send them: a notice
//! bound to fail is not queued), the audit entry and the new chain head. Two round trips on either
//! engine: on SQLite every check-in runs on the one writer (`commit.rs`) and each statement there
//! is a hand-off to sqlx's worker thread and back, so their number is what bounds check-ins per
//! second. The write's rows are written here once; the dialect joins them (one multi-statement
//! query on SQLite, whose `$N` parameters are shared by the statements; one statement of
//! data-modifying CTEs on PostgreSQL).

use chrono::{DateTime, Utc};
use rand::RngExt;
use uuid::Uuid;
use vestibule_shared::{
    dto::visits::{HostNotification, VisitorDetails},
    types::{BadgeCode, CODE_ALPHABET},
};

use super::audit::next_entry;
use super::outbox::Notification;
use super::query::params;
use super::sealed::{VISIT_PURPOSE, VISITOR_COMPANY, VISITOR_EMAIL, VISITOR_NAME, VISITOR_PHONE};
use super::{Actor, TenantTx};
use crate::{error::Error, ids::new_id};

/// A check-in to write.
#[derive(Debug, Clone)]
pub struct NewVisit {
    pub site_id: Uuid,
    pub host_id: Uuid,
    pub visitor: VisitorDetails,
    pub purpose: Option<String>,
    pub actor: Actor,
    pub kiosk_id: Option<Uuid>,
    /// The `Idempotency-Key` and a hash of the request it came with.
    pub idempotency: Option<(String, Vec<u8>)>,
}

/// A visit just checked in (or found again by its idempotency key).
#[derive(Debug, Clone)]
pub struct CheckedInRow {
    pub id: Uuid,
    pub visitor_id: Uuid,
    pub badge_code: String,
    pub checked_in_at: DateTime<Utc>,
    /// Whether the host's check-in notice was queued (on a replay: whether it was, back then).
    pub host_notification: HostNotification,
}

/// What a check-in reads before it writes.
#[derive(sqlx::FromRow)]
struct CheckInFacts {
    site_id: Option<Uuid>,
    notify_waiting_minutes: Option<i32>,
    audit_seq: i64,
    audit_head: Vec<u8>,
    visit_id: Option<Uuid>,
    visitor_id: Option<Uuid>,
    badge_code: Option<String>,
    checked_in_at: Option<DateTime<Utc>>,
    request_hash: Option<Vec<u8>>,
    badge_taken: bool,
    /// Whether the tenant has an SMTP server to send the host's notice with.
    smtp_configured: bool,
    /// For a replay: whether the earlier check-in queued its notice (its outbox row has the
    /// visit's id).
    notice_queued: bool,
}

const FACTS: &str = "SELECT h.site_id, t.notify_waiting_minutes, t.audit_seq, t.audit_head, \
     v.id AS visit_id, v.visitor_id, v.badge_code, v.checked_in_at, v.request_hash, \
     EXISTS (SELECT 1 FROM visits b WHERE b.tenant_id = t.id AND b.badge_code = $5) AS badge_taken, \
     EXISTS (SELECT 1 FROM integrations i WHERE i.tenant_id = t.id AND i.kind = 'smtp') AS smtp_configured, \
     EXISTS (SELECT 1 FROM outbox o WHERE o.tenant_id = t.id AND o.id = v.id) AS notice_queued \
     FROM tenants t LEFT JOIN hosts h ON h.tenant_id = t.id AND h.id = $2 \
     LEFT JOIN visits v ON v.tenant_id = t.id AND v.kiosk_id IS NOT DISTINCT FROM $3 AND v.idempotency_key = $4 \
     WHERE t.id = $1";

/// The rows of a check-in, which the dialect joins into one write (`check_in_write`): several
/// statements on SQLite, data-modifying CTEs on PostgreSQL. Their parameters are [`CheckInWrite`].
macro_rules! check_in_rows {
    (visitor) => {
        "INSERT INTO visitors (tenant_id, id, name_enc, email_enc, email_idx, company_enc, phone_enc, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    };
    (visit) => {
        "INSERT INTO visits (tenant_id, id, site_id, visitor_id, host_id, purpose_enc, status, badge_code, checked_in_at, \
         created_by, kiosk_id, idempotency_key, request_hash) \
         VALUES ($1, $9, $10, $2, $11, $12, 'on_site', $13, $8, $14, $15, $16, $17)"
    };
    (outbox) => {
        "INSERT INTO outbox (tenant_id, id, kind, payload_enc, attempts, next_attempt_at, created_at) \
         SELECT $1, $18, 'host_notification', $19, 0, $8, $8 WHERE $18 IS NOT NULL \
         UNION ALL SELECT $1, $20, 'host_notification', $21, 0, $22, $8 WHERE $20 IS NOT NULL"
    };
    (audit) => {
        "INSERT INTO audit_log (tenant_id, seq, at, actor, action, target, prev_hash, hash) \
         VALUES ($1, $23, $8, $14, 'visit.check_in', $24, $25, $26)"
    };
    (head) => {
        "UPDATE tenants SET audit_seq = $23, audit_head = $26 WHERE id = $1"
    };
}
pub(super) use check_in_rows;

params! {
    /// The parameters of the check-in write, bound in the order of the fields.
    struct CheckInWrite<'a> {
        /// `$1`
        tenant: Uuid,
        /// `$2`
        visitor_id: Uuid,
        /// `$3`
        name_enc: &'a [u8],
        /// `$4`
        email_enc: &'a [u8],
        /// `$5`
        email_idx: &'a [u8],
        /// `$6`
        company_enc: Option<&'a [u8]>,
        /// `$7`
        phone_enc: Option<&'a [u8]>,
        /// `$8`: the visitor's creation, the check-in, the notice's due time, the audit entry.
        at: DateTime<Utc>,
        /// `$9`
        visit_id: Uuid,
        /// `$10`
        site_id: Uuid,
        /// `$11`
        host_id: Uuid,
        /// `$12`
        purpose_enc: Option<&'a [u8]>,
        /// `$13`
        badge_code: &'a str,
        /// `$14`: the visit's `created_by` and the audit entry's actor.
        actor: &'a str,
        /// `$15`
        kiosk_id: Option<Uuid>,
        /// `$16`
        idempotency_key: Option<&'a str>,
        /// `$17`
        request_hash: Option<&'a [u8]>,
        /// `$18`: the outbox row of the host's check-in notice (the visit's id, so that a replay
        /// finds it); `None`: no notice (no SMTP server).
        notice_id: Option<Uuid>,
        /// `$19`
        notice: Option<&'a [u8]>,
        /// `$20`: the outbox row of the "still waiting" reminder; `None`: no reminder.
        reminder_id: Option<Uuid>,
        /// `$21`
        reminder: Option<&'a [u8]>,
        /// `$22`
        reminder_due: Option<DateTime<Utc>>,
        /// `$23`: the audit entry's sequence number, the chain's new length.
        audit_seq: i64,
        /// `$24`
        audit_target: &'a str,
        /// `$25`
        audit_prev: &'a [u8],
        /// `$26`: the audit entry's hash, the chain's new head.
        audit_hash: &'a [u8],
    }
}

/// What the kiosk may tell the visitor, given whether the host's notice is in the outbox.
fn told(queued: bool) -> HostNotification {
    if queued {
        HostNotification::Queued
    } else {
        HostNotification::None
    }
}

fn badge_code() -> String {
    let mut rng = rand::rng();
    (0..BadgeCode::LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

impl TenantTx {
    /// Checks a visitor in; returns the visit and whether it replays an earlier request with the
    /// same idempotency key.
    pub async fn check_in(&mut self, new: &NewVisit) -> Result<(CheckedInRow, bool), Error> {
        let (key, hash) = new.idempotency.clone().unzip();
        let mut badge = badge_code();
        let facts: Option<CheckInFacts> = self
            .fetch_optional(FACTS, (new.host_id, new.kiosk_id, key.as_deref(), &badge))
            .await?;
        let facts = facts.ok_or(Error::NotFound)?;
        if let (Some(id), Some(visitor_id), Some(badge_code), Some(checked_in_at)) = (
            facts.visit_id,
            facts.visitor_id,
            facts.badge_code,
            facts.checked_in_at,
        ) {
            return if facts.request_hash == hash {
                Ok((
                    CheckedInRow {
                        id,
                        visitor_id,
                        badge_code,
                        checked_in_at,
                        host_notification: told(facts.notice_queued),
                    },
                    true,
                ))
            } else {
                Err(Error::IdempotencyMismatch)
            };
        }
        if facts.site_id != Some(new.site_id) {
            return Err(Error::NotFound);
        }
        if facts.badge_taken {
            badge = self.free_badge_code().await?;
        }
        let (visitor_id, visit_id, at) = (new_id(), new_id(), self.now());
        let (v, c) = (&new.visitor, &self.keys);
        let name_enc = c.seal(VISITOR_NAME, visitor_id, v.name.as_str());
        let email_enc = c.seal(VISITOR_EMAIL, visitor_id, v.email.as_str());
        let email_idx = c.email_index(&v.email);
        let company_enc = v
            .company
            .as_ref()
            .map(|x| c.seal(VISITOR_COMPANY, visitor_id, x.as_str()));
        let phone_enc = v
            .phone
            .as_ref()
            .map(|x| c.seal(VISITOR_PHONE, visitor_id, x.as_str()));
        let purpose_enc = new
            .purpose
            .as_ref()
            .map(|p| c.seal(VISIT_PURPOSE, visit_id, p));
        // The host's notice, under the visit's id, only when there is a server to send it.
        let notice = if facts.smtp_configured {
            Some(self.sealed_notification(
                visit_id,
                &Notification {
                    event: "check_in".into(),
                    visit_id,
                },
            )?)
        } else {
            None
        };
        // The "still waiting" reminder, if the tenant wants one: (row id, sealed payload, due).
        let reminder = match facts
            .notify_waiting_minutes
            .filter(|_| facts.smtp_configured)
        {
            Some(minutes) => {
                let (id, sealed) = self.sealed_notification(
                    new_id(),
                    &Notification {
                        event: "waiting".into(),
                        visit_id,
                    },
                )?;
                Some((id, sealed, at + chrono::Duration::minutes(minutes.into())))
            }
            None => None,
        };
        let actor = new.actor.to_string();
        let entry = next_entry(
            self.tenant.0,
            (facts.audit_seq, facts.audit_head),
            at,
            &actor,
            "visit.check_in",
            format!("visit:{visit_id}"),
        );
        let write = CheckInWrite {
            tenant: self.tenant.0,
            visitor_id,
            name_enc: &name_enc,
            email_enc: &email_enc,
            email_idx: &email_idx,
            company_enc: company_enc.as_deref(),
            phone_enc: phone_enc.as_deref(),
            at,
            visit_id,
            site_id: new.site_id,
            host_id: new.host_id,
            purpose_enc: purpose_enc.as_deref(),
            badge_code: &badge,
            actor: &actor,
            kiosk_id: new.kiosk_id,
            idempotency_key: key.as_deref(),
            request_hash: hash.as_deref(),
            notice_id: notice.as_ref().map(|n| n.0),
            notice: notice.as_ref().map(|n| n.1.as_slice()),
            reminder_id: reminder.as_ref().map(|r| r.0),
            reminder: reminder.as_ref().map(|r| r.1.as_slice()),
            reminder_due: reminder.as_ref().map(|r| r.2),
            audit_seq: entry.seq,
            audit_target: &entry.target,
            audit_prev: &entry.prev,
            audit_hash: &entry.hash,
        };
        self.tx
            .execute(self.tx.dialect().check_in_write(), write)
            .await?;
        Ok((
            CheckedInRow {
                id: visit_id,
                visitor_id,
                badge_code: badge,
                checked_in_at: at,
                host_notification: told(notice.is_some()),
            },
            false,
        ))
    }

    /// A badge code no visit of the tenant has (the first one drawn was taken: with 31^8 codes,
    /// rare). Authoritative: the transaction holds the tenant's write lock on both engines.
    async fn free_badge_code(&mut self) -> Result<String, Error> {
        const TAKEN: &str =
            "SELECT EXISTS (SELECT 1 FROM visits WHERE tenant_id = $1 AND badge_code = $2)";
        for _ in 0..8 {
            let badge = badge_code();
            if !self.scalar::<bool>(TAKEN, (&badge,)).await? {
                return Ok(badge);
            }
        }
        Err(Error::Internal(anyhow::anyhow!(
            "no free badge code after 8 tries"
        )))
    }
}
