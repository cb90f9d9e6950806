//! The check-in: one statement reads what it depends on (the host's site, the reminder setting,
//! the tenant's key versions and audit chain head, an earlier visit under the same idempotency
//! key, whether the drawn badge code is taken, whether the tenant has an SMTP server, whether an
//! unexpired watchlist entry has the visitor's email or name index), one
//! statement writes the visitor, the visit, the host's notifications (only when there is an SMTP
//! server to send them: a notice bound to fail is not queued), the audit entry and the new chain
//! head. A visitor on the watchlist is held: the visit has no badge for the kiosk, and instead of
//! the host's notice the staff's alert is queued. The rows are written here once ([`check_in_rows!`]); the dialect joins them (several
//! statements on SQLite, whose `$N` parameters are shared by the statements; data-modifying CTEs
//! on PostgreSQL). What to write is decided without the database ([`decide`], [`plan`]), so that
//! SQLite's group committer (`commit.rs`) reads the facts of a whole batch in one statement and
//! writes the whole batch in one statement, the audit chain advancing in memory between them.

use std::{collections::HashSet, sync::Arc};

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vestibule_shared::{
    dto::{
        offline::PROVISIONAL_MARK,
        visits::{HostNotification, VisitorDetails},
    },
    types::BadgeCode,
};

use super::audit::next_entry;
use super::keys::keys_at;
use super::outbox::{Notification, seal_notification};
use super::query::{Both, params};
use super::sealed::{VISIT_PURPOSE, VISITOR_COMPANY, VISITOR_EMAIL, VISITOR_NAME, VISITOR_PHONE};
use super::watchlist::HELD;
use super::{Actor, TenantTx, Tx};
use crate::{
    clock::Clock,
    crypto::{Crypto, TenantKeys},
    error::Error,
    ids::{TenantId, new_id},
};

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
    pub flow: Flow,
    /// Checked in on a kiosk that could not reach the server (a sealed check-in delivered later).
    pub offline: Option<Offline>,
}

/// What a check-in made offline keeps of its kiosk: when it was sealed (its time of check-in)
/// and the provisional badge code the visitor was shown (the server keeps it unless taken).
#[derive(Debug, Clone)]
pub struct Offline {
    pub at: DateTime<Utc>,
    pub badge: BadgeCode,
}

impl NewVisit {
    /// The badge code to try first: the kiosk's provisional one, or one drawn now.
    pub(super) fn badge(&self) -> String {
        match &self.offline {
            Some(o) => o.badge.as_str().to_owned(),
            None => badge_code(),
        }
    }

    /// When the visitor checked in: now, or when the kiosk sealed it.
    pub(super) fn at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.offline.as_ref().map_or(now, |o| o.at)
    }
}

/// How a check-in's flow was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// A walk-in without a visitor type: refused where the site offers visitor types.
    Untyped,
    /// A visitor type's flow, checked by the caller; with `approval` the visit waits for its
    /// host's approval (and the host's notice asks for it).
    Typed { approval: bool },
    /// An invitation or a pass stands for the flow (and the desk's own check-ins).
    Vouched,
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
    /// Waiting for the host's approval.
    pub pending_approval: bool,
    /// Held: the visitor matched the watchlist (staff admit or deny them).
    pub held: bool,
    /// Recorded without its host: made offline, for a host removed meanwhile (never on a replay's
    /// answer, which announces nothing).
    pub hostless: bool,
}

/// What a check-in reads before it writes.
#[derive(sqlx::FromRow)]
pub(super) struct CheckInFacts {
    site_id: Option<Uuid>,
    notify_waiting_minutes: Option<i32>,
    /// The tenant's key versions (current, oldest still readable).
    pub key_version: i64,
    pub min_decryption_version: i64,
    pub audit_seq: i64,
    pub audit_head: Vec<u8>,
    visit_id: Option<Uuid>,
    visitor_id: Option<Uuid>,
    badge_code: Option<String>,
    checked_in_at: Option<DateTime<Utc>>,
    request_hash: Option<Vec<u8>>,
    approval: Option<String>,
    hold: Option<String>,
    pub badge_taken: bool,
    /// Whether the host's site offers visitor types (then a walk-in must name one).
    types_offered: bool,
    /// Whether the tenant has an SMTP server to send the host's notice with.
    smtp_configured: bool,
    /// For a replay: whether the earlier check-in queued its notice (its outbox row has the
    /// visit's id).
    notice_queued: bool,
    /// Whether an unexpired watchlist entry has the visitor's email or name index.
    watched: bool,
}

/// The facts of one check-in; its parameters are [`facts_params`] (`$1` the tenant). The
/// dialect's `check_in_facts` is this text, on PostgreSQL holding the tenant row as
/// `key_versions_beside` does.
macro_rules! check_in_facts {
    () => {
        "SELECT h.site_id, t.notify_waiting_minutes, t.key_version, t.min_decryption_version, \
         t.audit_seq, t.audit_head, v.id AS visit_id, v.visitor_id, v.badge_code, v.checked_in_at, v.request_hash, v.approval, v.hold, \
         EXISTS (SELECT 1 FROM visits b WHERE b.tenant_id = t.id AND b.badge_code = $5) AS badge_taken, \
         EXISTS (SELECT 1 FROM visitor_types vt WHERE vt.tenant_id = t.id AND (vt.all_sites OR EXISTS \
           (SELECT 1 FROM visitor_type_sites vs WHERE vs.tenant_id = t.id AND vs.type_id = vt.id AND vs.site_id = h.site_id))) \
           AS types_offered, \
         EXISTS (SELECT 1 FROM integrations i WHERE i.tenant_id = t.id AND i.kind = 'smtp') AS smtp_configured, \
         EXISTS (SELECT 1 FROM outbox o WHERE o.tenant_id = t.id AND o.id = v.id) AS notice_queued, \
         (EXISTS (SELECT 1 FROM watchlist w WHERE w.tenant_id = t.id AND w.email_idx = $6 \
           AND (w.expires_at IS NULL OR w.expires_at > $8)) \
          OR EXISTS (SELECT 1 FROM watchlist w WHERE w.tenant_id = t.id AND w.name_idx = $7 \
           AND (w.expires_at IS NULL OR w.expires_at > $8))) AS watched \
         FROM tenants t LEFT JOIN hosts h ON h.tenant_id = t.id AND h.id = $2 AND h.active \
         LEFT JOIN visits v ON v.tenant_id = t.id AND v.kiosk_id IS NOT DISTINCT FROM $3 AND v.idempotency_key = $4 \
         WHERE t.id = $1"
    };
}
pub(super) use check_in_facts;

/// [`check_in_facts!`]: the text the group committer copies for each check-in of a batch.
pub(super) const FACTS: &str = check_in_facts!();

/// The parameters of [`FACTS`] after the tenant: the host, the kiosk, the idempotency key, the
/// drawn badge code, the visitor's email and name indexes under `keys` (the tenant's, whatever
/// their version: the index key never rotates; empty without keys, for a tenant that does not
/// exist) and the time the watchlist is read at.
pub(super) fn facts_params(
    new: &NewVisit,
    badge: &str,
    keys: Option<&TenantKeys>,
    now: DateTime<Utc>,
) -> FactsParams {
    let key = new.idempotency.as_ref().map(|(k, _)| k.clone());
    let visitor = &new.visitor;
    let (email_idx, name_idx) = keys
        .map(|k| {
            (
                k.email_index(&visitor.email),
                k.name_index(visitor.name.as_str()),
            )
        })
        .unzip();
    (
        new.host_id,
        new.kiosk_id,
        key,
        badge.to_owned(),
        email_idx.unwrap_or_default(),
        name_idx.unwrap_or_default(),
        now,
    )
}

/// [`facts_params`]' values, `$2` to `$8`.
pub(super) type FactsParams = (
    Uuid,
    Option<Uuid>,
    Option<String>,
    String,
    Vec<u8>,
    Vec<u8>,
    DateTime<Utc>,
);

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
pub(super) use check_in_rows;

/// How many parameters one check-in's facts have.
pub(super) const FACTS_PARAMS: usize = 8;

/// How many parameters SQLite's check-in write has ([`CheckInRows`], then [`Chained`]).
pub(super) const WRITE_PARAMS: usize = 29;

/// The audit entry's place in the chain: `$27` its sequence number (the chain's new length),
/// `$28` the previous hash, `$29` its hash (the chain's new head).
pub(super) type Chained = (i64, Vec<u8>, Vec<u8>);

/// What the audit entry of a check-in says.
const ACTION: &str = "visit.check_in";

/// `visits.approval` of a visit waiting for its host.
const PENDING: &str = "pending";

params! {
    /// The parameters of a check-in's rows, bound in the order of the fields.
    pub(super) struct CheckInRows {
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
pub(super) struct Planned {
    pub rows: CheckInRows,
    pub row: CheckedInRow,
}

/// The audit entry of `rows` chained after `head` (the chain's seq and hash).
pub(super) fn chained(rows: &CheckInRows, head: (i64, Vec<u8>)) -> Chained {
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

/// What the kiosk may tell the visitor, given whether the host's notice is in the outbox.
fn told(queued: bool) -> HostNotification {
    if queued {
        HostNotification::Queued
    } else {
        HostNotification::None
    }
}

/// Draws a badge code: never one of the kiosks' provisional codes (`PROVISIONAL_MARK` first).
pub(super) fn badge_code() -> String {
    loop {
        let code = crate::ids::random_code(BadgeCode::LEN);
        if code.as_bytes().first() != Some(&PROVISIONAL_MARK) {
            return code;
        }
    }
}

/// What the facts decide before anything is sealed: `Ok(Some(_))` is the earlier check-in under
/// the same idempotency key (a replay), `Err` a refusal (another request under that key, a host
/// not at the kiosk's site), `Ok(None)` a check-in to write.
pub(super) fn decide(facts: &CheckInFacts, new: &NewVisit) -> Result<Option<CheckedInRow>, Error> {
    if let (Some(id), Some(visitor_id), Some(badge_code), Some(checked_in_at)) = (
        facts.visit_id,
        facts.visitor_id,
        facts.badge_code.clone(),
        facts.checked_in_at,
    ) {
        let hash = new.idempotency.as_ref().map(|(_, h)| h);
        return if facts.request_hash.as_ref() == hash {
            Ok(Some(CheckedInRow {
                id,
                visitor_id,
                badge_code,
                checked_in_at,
                host_notification: told(facts.notice_queued && facts.hold.is_none()),
                pending_approval: facts.approval.as_deref() == Some(PENDING),
                // Turned away since: still no badge for the kiosk.
                held: facts.hold.is_some(),
                hostless: false,
            }))
        } else {
            Err(Error::IdempotencyMismatch)
        };
    }
    // A check-in sealed offline is recorded even when its host was removed (or moved to another
    // site) meanwhile: the host is cleared and the desk alerted (`plan`).
    if facts.site_id != Some(new.site_id) && new.offline.is_none() {
        return Err(Error::NotFound);
    }
    if new.flow == Flow::Untyped && facts.types_offered {
        return Err(Error::InvalidInput(
            "visitor_type_id: choose the kind of visit (this site has visitor types)".into(),
        ));
    }
    Ok(None)
}

/// Seals the visitor's details and the host's notices under `keys`: the rows of a check-in that
/// [`decide`] let through.
pub(super) fn plan(
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
        let n = Notification {
            event: event.into(),
            visit_id,
            code: None,
            secret: None,
        };
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

/// A badge code no visit of `tenant` has and none of `drawn` (codes of the same batch): the
/// first one drawn was taken, with 31^8 codes a rare event. Authoritative: the transaction holds
/// the tenant's write lock on both engines.
pub(super) async fn free_badge_code(
    tx: &mut Tx,
    tenant: TenantId,
    drawn: &HashSet<(TenantId, String)>,
) -> Result<String, Error> {
    const TAKEN: &str =
        "SELECT EXISTS (SELECT 1 FROM visits WHERE tenant_id = $1 AND badge_code = $2)";
    for _ in 0..8 {
        let badge = badge_code();
        if !drawn.contains(&(tenant, badge.clone()))
            && !tx.scalar::<bool>(TAKEN, (tenant.0, &badge)).await?
        {
            return Ok(badge);
        }
    }
    Err(Error::Internal(anyhow::anyhow!(
        "no free badge code after 8 tries"
    )))
}

/// The tenant's keys for the blind indexes a check-in's facts look for (the cached ones, whatever
/// their version: the index key never rotates); `NotFound` when there is no such tenant.
pub(super) async fn index_keys(
    tx: &mut Tx,
    crypto: &Crypto,
    tenant: TenantId,
) -> Result<Arc<TenantKeys>, Error> {
    match crypto.cached(tenant) {
        Some(keys) => Ok(keys),
        None => super::keys::enter_keys(tx, crypto, tenant, super::keys::Hold::Nothing).await,
    }
}

/// Where a check-in gets the tenant's keys.
pub(super) enum Keys<'a> {
    /// From the transaction, which entered the tenant holding its row (the versions the facts
    /// read are the ones the keys were loaded at).
    Entered(Arc<TenantKeys>),
    /// From `Crypto`'s cache or the database, at the versions the facts read.
    Read(&'a Crypto),
}

/// Checks a visitor in inside `tx` (a write transaction pointed at `tenant`: `Engine::begin_in`):
/// reads the facts (on PostgreSQL holding the tenant row against rotation, the
/// tenant's key versions coming with them), writes; returns the visit and whether it replays
/// an earlier request with the same idempotency key.
pub(super) async fn check_in(
    tx: &mut Tx,
    keys: Keys<'_>,
    clock: &Clock,
    tenant: TenantId,
    new: &NewVisit,
) -> Result<(CheckedInRow, bool), Error> {
    let mut badge = new.badge();
    let now = clock.now();
    let index = match &keys {
        Keys::Entered(keys) => keys.clone(),
        Keys::Read(crypto) => index_keys(tx, crypto, tenant).await?,
    };
    let (host, kiosk, key, drawn, email_idx, name_idx, at) =
        facts_params(new, &badge, Some(&index), now);
    let facts: Option<CheckInFacts> = tx
        .fetch_optional(
            tx.dialect().check_in_facts(),
            Both(
                (tenant.0, host, kiosk, key, drawn),
                (email_idx, name_idx, at),
            ),
        )
        .await?;
    let Some(facts) = facts else {
        if let Keys::Read(crypto) = keys {
            crypto.forget(tenant);
        }
        return Err(Error::NotFound);
    };
    if let Some(earlier) = decide(&facts, new)? {
        return Ok((earlier, true));
    }
    if facts.badge_taken {
        badge = free_badge_code(tx, tenant, &HashSet::new()).await?;
    }
    let versions = (
        facts.key_version as u32,
        facts.min_decryption_version as u32,
    );
    let keys = match keys {
        Keys::Entered(keys) => keys,
        Keys::Read(crypto) => keys_at(tx, crypto, tenant, versions).await?,
    };
    let p = plan(&keys, tenant, new, &facts, badge, new.at(now))?;
    let write = tx.dialect().check_in_write();
    if tx.dialect().seals_audit_later() {
        tx.execute(write, p.rows).await?;
    } else {
        let chain = chained(&p.rows, (facts.audit_seq, facts.audit_head));
        tx.execute(write, Both(p.rows, chain)).await?;
    }
    Ok((p.row, false))
}

impl TenantTx {
    /// Checks a visitor in inside this write transaction (the storage tests; the server's
    /// check-ins go through `Store::check_in`).
    pub async fn check_in(&mut self, new: &NewVisit) -> Result<(CheckedInRow, bool), Error> {
        let keys = Keys::Entered(self.keys.clone());
        check_in(&mut self.tx, keys, &self.clock, self.tenant, new).await
    }
}

#[cfg(test)]
mod tests;
