//! The rows a check-in writes, written here once ([`check_in_rows!`]) for both engines, and
//! [`plan`], which seals them from what the check-in read ([`CheckInFacts`]) without the
//! database, so that the group committer (`commit.rs`) plans a whole batch between its two
//! statements; [`chained`] puts a row's audit entry after the chain's head.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{CheckInFacts, CheckedInRow, Flow, NewVisit, PENDING, told};
use crate::store::audit::next_entry;
use crate::store::outbox::{Notification, seal_notification};
use crate::store::query::params;
use crate::store::sealed::{
    VISIT_PURPOSE, VISITOR_COMPANY, VISITOR_EMAIL, VISITOR_NAME, VISITOR_PHONE,
};
use crate::store::watchlist::HELD;
use crate::{
    crypto::TenantKeys,
    error::Error,
    ids::{TenantId, new_id},
};

/// The rows of a check-in, which the dialect joins into one write (`check_in_write`): several
/// statements on SQLite, data-modifying CTEs on PostgreSQL. Their parameters are [`CheckInRows`]
/// (`$1` to `$26`), then on SQLite, where the write appends to the audit chain, [`Chained`]
/// (`$27` to `$29`); PostgreSQL writes the entry to `audit_pending` instead (`seal.rs`).
macro_rules! check_in_rows {
    (visitor) => {
        "INSERT INTO visitors (tenant_id, id, name_enc, email_enc, email_idx, company_enc, phone_enc, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    };
    (visit) => {
        "INSERT INTO visits (tenant_id, id, site_id, visitor_id, host_id, purpose_enc, status, badge_code, checked_in_at, \
         created_by, kiosk_id, idempotency_key, request_hash, approval, hold, offline) \
         VALUES ($1, $9, $10, $2, $11, $12, 'on_site', $13, $8, $14, $15, $16, $17, $24, $25, $26)"
    };
    (outbox) => {
        "INSERT INTO outbox (tenant_id, id, kind, payload_enc, attempts, next_attempt_at, created_at) \
         SELECT $1, $18, 'host_notification', $19, 0, $8, $8 WHERE $18 IS NOT NULL \
         UNION ALL SELECT $1, $20, 'host_notification', $21, 0, $22, $8 WHERE $20 IS NOT NULL"
    };
    (pending) => {
        "INSERT INTO audit_pending (tenant_id, id, at, actor, action, target) \
         VALUES ($1, $9, $8, $14, 'visit.check_in', $23)"
    };
    (audit) => {
        "INSERT INTO audit_log (tenant_id, seq, at, actor, action, target, prev_hash, hash) \
         VALUES ($1, $27, $8, $14, 'visit.check_in', $23, $28, $29)"
    };
    (head) => {
        "UPDATE tenants SET audit_seq = $27, audit_head = $29 WHERE id = $1"
    };
}
pub(in crate::store) use check_in_rows;

/// How many parameters SQLite's check-in write has ([`CheckInRows`], then [`Chained`]).
pub(in crate::store) const WRITE_PARAMS: usize = 29;

/// The audit entry's place in the chain: `$27` its sequence number (the chain's new length),
/// `$28` the previous hash, `$29` its hash (the chain's new head).
pub(in crate::store) type Chained = (i64, Vec<u8>, Vec<u8>);

/// What the audit entry of a check-in says.
const ACTION: &str = "visit.check_in";

params! {
    /// The parameters of a check-in's rows, bound in the order of the fields.
    pub(in crate::store) struct CheckInRows {
        /// `$1`
        pub tenant: Uuid,
        /// `$2`
        visitor_id: Uuid,
        /// `$3`
        name_enc: Vec<u8>,
        /// `$4`
        email_enc: Vec<u8>,
        /// `$5`
        email_idx: Vec<u8>,
        /// `$6`
        company_enc: Option<Vec<u8>>,
        /// `$7`
        phone_enc: Option<Vec<u8>>,
        /// `$8`: the visitor's creation, the check-in, the notice's due time, the audit entry.
        pub at: DateTime<Utc>,
        /// `$9`
        visit_id: Uuid,
        /// `$10`
        site_id: Uuid,
        /// `$11`: `None` for a check-in made offline whose host is no longer at the site.
        host_id: Option<Uuid>,
        /// `$12`
        purpose_enc: Option<Vec<u8>>,
        /// `$13`
        badge_code: String,
        /// `$14`: the visit's `created_by` and the audit entry's actor.
        pub actor: String,
        /// `$15`
        kiosk_id: Option<Uuid>,
        /// `$16`
        idempotency_key: Option<String>,
        /// `$17`
        request_hash: Option<Vec<u8>>,
        /// `$18`: the outbox row of the host's check-in notice (the visit's id, so that a replay
        /// finds it); `None`: no notice (no SMTP server).
        notice_id: Option<Uuid>,
        /// `$19`
        notice: Option<Vec<u8>>,
        /// `$20`: the outbox row of the "still waiting" reminder; `None`: no reminder.
        reminder_id: Option<Uuid>,
        /// `$21`
        reminder: Option<Vec<u8>>,
        /// `$22`
        reminder_due: Option<DateTime<Utc>>,
        /// `$23`: what the audit entry is about.
        pub audit_target: String,
        /// `$24`: `pending` for a visit waiting for its host's approval.
        approval: Option<String>,
        /// `$25`: `held` for a visitor on the watchlist.
        hold: Option<String>,
        /// `$26`: checked in offline.
        offline: bool,
    }
}

/// A check-in decided: the rows to write, and the answer once they are written.
pub(in crate::store) struct Planned {
    pub rows: CheckInRows,
    pub row: CheckedInRow,
}

/// The audit entry of `rows` chained after `head` (the chain's seq and hash).
pub(in crate::store) fn chained(rows: &CheckInRows, head: (i64, Vec<u8>)) -> Chained {
    let e = next_entry(
        rows.tenant,
        head,
        rows.at,
        &rows.actor,
        ACTION,
        &rows.audit_target,
    );
    (e.seq, e.prev, e.hash)
}

/// Seals the visitor's details and the host's notices under `keys`: the rows of a check-in that
/// [`decide`] let through.
pub(in crate::store) fn plan(
    keys: &TenantKeys,
    tenant: TenantId,
    new: &NewVisit,
    facts: &CheckInFacts,
    badge: String,
    at: DateTime<Utc>,
) -> Result<Planned, Error> {
    let (visitor_id, visit_id) = (new_id(), new_id());
    let (v, c) = (&new.visitor, keys);
    let sealed = |field, row, value: &str| c.seal(field, row, value);
    // The host's notice, under the visit's id, only when there is a server to send it.
    let notification = |id, event: &str| {
        let n = Notification::about(event, visit_id);
        seal_notification(c, id, &n)
    };
    let pending = matches!(new.flow, Flow::Typed { approval: true });
    // The host, unless a check-in made offline names one no longer at the site (`decide`).
    let host_id = (facts.site_id == Some(new.site_id)).then_some(new.host_id);
    // A held visitor's host hears of them once staff admit them; the staff hear now, as they do
    // of a visitor without a host.
    let held = facts.watched;
    let event = match (held, host_id, pending) {
        (true, ..) => "held",
        (false, None, _) => "no_host",
        (false, Some(_), true) => "approval",
        (false, Some(_), false) => "check_in",
    };
    let notice = facts
        .smtp_configured
        .then(|| notification(visit_id, event))
        .transpose()?;
    // The "still waiting" reminder, if the tenant wants one: (row id, sealed payload, due).
    let reminder = match facts
        .notify_waiting_minutes
        .filter(|_| facts.smtp_configured && !held && host_id.is_some())
    {
        Some(minutes) => {
            let (id, sealed) = notification(new_id(), "waiting")?;
            Some((id, sealed, at + chrono::Duration::minutes(minutes.into())))
        }
        None => None,
    };
    let row = CheckedInRow {
        id: visit_id,
        visitor_id,
        badge_code: badge.clone(),
        checked_in_at: at,
        host_notification: told(notice.is_some() && !held && host_id.is_some()),
        pending_approval: pending,
        held,
        hostless: host_id.is_none(),
    };
    let (key, hash) = new.idempotency.clone().unzip();
    let (notice_id, notice) = notice.unzip();
    let rows = CheckInRows {
        tenant: tenant.0,
        visitor_id,
        name_enc: sealed(VISITOR_NAME, visitor_id, v.name.as_str()),
        email_enc: sealed(VISITOR_EMAIL, visitor_id, v.email.as_str()),
        email_idx: c.email_index(&v.email),
        company_enc: v
            .company
            .as_ref()
            .map(|x| sealed(VISITOR_COMPANY, visitor_id, x.as_str())),
        phone_enc: v
            .phone
            .as_ref()
            .map(|x| sealed(VISITOR_PHONE, visitor_id, x.as_str())),
        at,
        visit_id,
        site_id: new.site_id,
        host_id,
        purpose_enc: new
            .purpose
            .as_ref()
            .map(|p| sealed(VISIT_PURPOSE, visit_id, p)),
        badge_code: badge,
        actor: new.actor.to_string(),
        kiosk_id: new.kiosk_id,
        idempotency_key: key,
        request_hash: hash,
        notice_id,
        notice,
        reminder_id: reminder.as_ref().map(|r| r.0),
        reminder_due: reminder.as_ref().map(|r| r.2),
        reminder: reminder.map(|r| r.1),
        audit_target: format!("visit:{visit_id}"),
        approval: pending.then(|| PENDING.to_owned()),
        hold: held.then(|| HELD.to_owned()),
        offline: new.offline.is_some(),
    };
    Ok(Planned { rows, row })
}
