//! The check-in: one statement reads what it depends on (the host's site, the reminder setting,
//! the tenant's key versions and audit chain head, an earlier visit under the same idempotency
//! key, whether the drawn badge code is taken, whether the tenant has an SMTP server, whether an
//! unexpired watchlist entry has the visitor's email or name index), one statement writes the
//! visitor, the visit, the host's notifications (only when there is an SMTP server to send them: a
//! notice bound to fail is not queued), the audit entry and the new chain head (`rows.rs`). A
//! visitor on the watchlist is held: the visit has no badge for the kiosk, and instead of the
//! host's notice the staff's alert is queued. What to write is decided without the database
//! ([`decide`], then `rows.rs`' `plan`), so that SQLite's group committer (`commit.rs`) reads
//! the facts of a whole batch in one statement and writes the whole batch in one statement, the
//! audit chain advancing in memory between them.

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

use super::keys::keys_at;
use super::query::Both;
use super::{Actor, TenantTx, Tx};
use crate::{
    clock::Clock,
    crypto::{Crypto, TenantKeys},
    error::Error,
    ids::TenantId,
};

mod rows;

pub(super) use rows::{Chained, CheckInRows, WRITE_PARAMS, chained, check_in_rows, plan};

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

/// [`check_in_facts!`]: the text the group committer reads a batch's facts with (`commit/sql.rs`).
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

/// How many parameters one check-in's facts have.
pub(super) const FACTS_PARAMS: usize = 8;

/// `visits.approval` of a visit waiting for its host.
const PENDING: &str = "pending";

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
