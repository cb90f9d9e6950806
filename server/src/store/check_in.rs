//! The check-in: one statement reads what it depends on (the host's site, the reminder setting,
//! the audit chain head, an earlier visit under the same idempotency key, whether the drawn badge
//! code is taken), one statement writes the visitor, the visit, the host's notifications, the
//! audit entry and the new chain head. Two round trips on either engine: on SQLite every check-in
//! runs on the one writer (`commit.rs`) and each statement there is a hand-off to sqlx's worker
//! thread and back, so their number is what bounds check-ins per second. SQLite runs the write as
//! one multi-statement query (its `$N` parameters are shared by the statements); PostgreSQL as
//! one statement of data-modifying CTEs.

use chrono::{DateTime, Utc};
use rand::RngExt;
use uuid::Uuid;
use vestibule_shared::{
    dto::visits::VisitorDetails,
    types::{BadgeCode, CODE_ALPHABET},
};

use super::audit::next_entry;
use super::outbox::Notification;
use super::sealed::{VISIT_PURPOSE, VISITOR_COMPANY, VISITOR_EMAIL, VISITOR_NAME, VISITOR_PHONE};
use super::{Actor, TenantTx, Tx, new_id, now, on_tx};
use crate::error::Error;

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
}

const FACTS: &str = "SELECT h.site_id, t.notify_waiting_minutes, t.audit_seq, t.audit_head, \
     v.id AS visit_id, v.visitor_id, v.badge_code, v.checked_in_at, v.request_hash, \
     EXISTS (SELECT 1 FROM visits b WHERE b.tenant_id = t.id AND b.badge_code = $5) AS badge_taken \
     FROM tenants t LEFT JOIN hosts h ON h.tenant_id = t.id AND h.id = $2 \
     LEFT JOIN visits v ON v.tenant_id = t.id AND v.kiosk_id IS NOT DISTINCT FROM $3 AND v.idempotency_key = $4 \
     WHERE t.id = $1";

/// The rows of a check-in. `$1` tenant; `$2..$7` the visitor; `$8` the time; `$9..$17` the
/// visit; `$18, $19` the check-in notification; `$20..$22` the optional reminder; `$23..$26`
/// the audit entry, which becomes the chain head.
macro_rules! rows {
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
         SELECT $1, $18, 'host_notification', $19, 0, $8, $8 \
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

const WRITE_SQLITE: &str = concat!(rows!(visitor), ";\n", rows!(visit), ";\n", rows!(outbox), ";\n", rows!(audit), ";\n", rows!(head));

const WRITE_POSTGRES: &str = concat!(
    "WITH visitor AS (",
    rows!(visitor),
    "), visit AS (",
    rows!(visit),
    "), outbox AS (",
    rows!(outbox),
    "), audit AS (",
    rows!(audit),
    ") ",
    rows!(head)
);

fn badge_code() -> String {
    let mut rng = rand::rng();
    (0..BadgeCode::LEN).map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char).collect()
}

impl TenantTx {
    /// Checks a visitor in; returns the visit and whether it replays an earlier request with the
    /// same idempotency key.
    pub async fn check_in(&mut self, new: &NewVisit) -> Result<(CheckedInRow, bool), Error> {
        let t = self.tenant;
        let (key, hash) = new.idempotency.clone().unzip();
        let mut badge = badge_code();
        let facts: Option<CheckInFacts> = on_tx!(&mut self.tx, |c| sqlx::query_as(FACTS)
            .bind(t.0)
            .bind(new.host_id)
            .bind(new.kiosk_id)
            .bind(key.as_deref())
            .bind(&badge)
            .fetch_optional(c)
            .await)?;
        let facts = facts.ok_or(Error::NotFound)?;
        if let (Some(id), Some(visitor_id), Some(badge_code), Some(checked_in_at)) =
            (facts.visit_id, facts.visitor_id, facts.badge_code, facts.checked_in_at)
        {
            return if facts.request_hash == hash {
                Ok((CheckedInRow { id, visitor_id, badge_code, checked_in_at }, true))
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
        let (visitor_id, visit_id, at) = (new_id(), new_id(), now());
        let (v, c) = (&new.visitor, &self.keys);
        let name_enc = c.seal(VISITOR_NAME, visitor_id, v.name.as_str());
        let email_enc = c.seal(VISITOR_EMAIL, visitor_id, v.email.as_str());
        let email_idx = c.email_index(&v.email);
        let company_enc = v.company.as_ref().map(|x| c.seal(VISITOR_COMPANY, visitor_id, x.as_str()));
        let phone_enc = v.phone.as_ref().map(|x| c.seal(VISITOR_PHONE, visitor_id, x.as_str()));
        let purpose_enc = new.purpose.as_ref().map(|p| c.seal(VISIT_PURPOSE, visit_id, p));
        let notice = self.sealed_notification(&Notification { event: "check_in".into(), visit_id })?;
        // The "still waiting" reminder, if the tenant wants one: (row id, sealed payload, due).
        let reminder = match facts.notify_waiting_minutes {
            Some(minutes) => {
                let (id, sealed) = self.sealed_notification(&Notification { event: "waiting".into(), visit_id })?;
                Some((id, sealed, at + chrono::Duration::minutes(minutes.into())))
            }
            None => None,
        };
        let actor = new.actor.to_string();
        let entry = next_entry(t.0, (facts.audit_seq, facts.audit_head), at, &actor, "visit.check_in", format!("visit:{visit_id}"));
        let sql = match &self.tx {
            Tx::Sqlite(_) => WRITE_SQLITE,
            Tx::Postgres(_) => WRITE_POSTGRES,
        };
        on_tx!(&mut self.tx, |c| sqlx::query(sql)
            .bind(t.0)
            .bind(visitor_id)
            .bind(&name_enc)
            .bind(&email_enc)
            .bind(&email_idx)
            .bind(company_enc.as_deref())
            .bind(phone_enc.as_deref())
            .bind(at)
            .bind(visit_id)
            .bind(new.site_id)
            .bind(new.host_id)
            .bind(purpose_enc.as_deref())
            .bind(&badge)
            .bind(&actor)
            .bind(new.kiosk_id)
            .bind(key.as_deref())
            .bind(hash.as_deref())
            .bind(notice.0)
            .bind(&notice.1)
            .bind(reminder.as_ref().map(|r| r.0))
            .bind(reminder.as_ref().map(|r| r.1.as_slice()))
            .bind(reminder.as_ref().map(|r| r.2))
            .bind(entry.seq)
            .bind(&entry.target)
            .bind(&entry.prev)
            .bind(&entry.hash)
            .execute(c)
            .await
            .map(|_| ()))?;
        Ok((CheckedInRow { id: visit_id, visitor_id, badge_code: badge, checked_in_at: at }, false))
    }

    /// A badge code no visit of the tenant has (the first one drawn was taken: with 31^8 codes,
    /// rare). Authoritative: the transaction holds the tenant's write lock on both engines.
    async fn free_badge_code(&mut self) -> Result<String, Error> {
        let t = self.tenant.0;
        for _ in 0..8 {
            let badge = badge_code();
            let taken: bool = on_tx!(&mut self.tx, |c| sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM visits WHERE tenant_id = $1 AND badge_code = $2)"
            )
            .bind(t)
            .bind(&badge)
            .fetch_one(c)
            .await)?;
            if !taken {
                return Ok(badge);
            }
        }
        Err(Error::Internal(anyhow::anyhow!("no free badge code after 8 tries")))
    }
}
