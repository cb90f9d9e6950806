//! The watchlist in the store: entries sealed like other personal fields, found by blind indexes
//! (a check-in's facts ask whether any unexpired entry has the visitor's email or name index:
//! `check_in.rs`), and the staff's decision on a held visit. Admitting lets the visit on site and
//! queues the host's check-in notice then; denying checks it out. Both are audited with who.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vestibule_shared::{
    dto::watchlist::{WatchInput, WatchPatch},
    types::{Email, PersonName, Reason},
};

use super::outbox::Notification;
use super::query::Both;
use super::sealed::{WATCH_EMAIL, WATCH_NAME, WATCH_REASON};
use super::{Actor, TenantTx};
use crate::{error::Error, ids::new_id};

/// An entry, opened.
#[derive(Debug, Clone)]
pub struct WatchRow {
    pub id: Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    pub reason: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RawWatch {
    id: Uuid,
    name_enc: Option<Vec<u8>>,
    email_enc: Option<Vec<u8>>,
    reason_enc: Vec<u8>,
    expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "SELECT id, name_enc, email_enc, reason_enc, expires_at, created_at FROM watchlist ";

/// `visits.hold` of a held visit.
pub(super) const HELD: &str = "held";

/// A stored value as the type it was validated as when written.
fn stored<T: TryFrom<String>>(value: Option<String>) -> Result<Option<T>, Error> {
    value
        .map(T::try_from)
        .transpose()
        .map_err(|_| Error::Internal(anyhow::anyhow!("a stored watchlist field no longer parses")))
}

impl TenantTx {
    fn watch_from(&self, r: RawWatch) -> Result<WatchRow, Error> {
        let k = &self.keys;
        Ok(WatchRow {
            name: k.open_opt(WATCH_NAME, r.id, r.name_enc.as_deref())?,
            email: k.open_opt(WATCH_EMAIL, r.id, r.email_enc.as_deref())?,
            reason: k.open(WATCH_REASON, r.id, &r.reason_enc)?,
            id: r.id,
            expires_at: r.expires_at,
            created_at: r.created_at,
        })
    }

    /// Every entry, newest first.
    pub async fn watch_entries(&mut self) -> Result<Vec<WatchRow>, Error> {
        let sql = format!("{COLUMNS}WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC");
        let rows: Vec<RawWatch> = self.fetch_all(sqlx::AssertSqlSafe(sql), ()).await?;
        rows.into_iter().map(|r| self.watch_from(r)).collect()
    }

    pub async fn watch_entry(&mut self, id: Uuid) -> Result<Option<WatchRow>, Error> {
        let sql = format!("{COLUMNS}WHERE tenant_id = $1 AND id = $2");
        let row: Option<RawWatch> = self.fetch_optional(sqlx::AssertSqlSafe(sql), (id,)).await?;
        row.map(|r| self.watch_from(r)).transpose()
    }

    /// Writes entry `id`'s fields, sealed, with their indexes (a new entry when `created`).
    async fn put_watch(
        &mut self,
        id: Uuid,
        fields: (Option<&PersonName>, Option<&Email>, &Reason),
        expires_at: Option<DateTime<Utc>>,
        created: bool,
    ) -> Result<(), Error> {
        const INSERT: &str = "INSERT INTO watchlist (tenant_id, id, name_enc, name_idx, email_enc, email_idx, \
             reason_enc, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        const UPDATE: &str = "UPDATE watchlist SET name_enc = $3, name_idx = $4, email_enc = $5, email_idx = $6, \
             reason_enc = $7, expires_at = $8 WHERE tenant_id = $1 AND id = $2";
        let (name, email, reason) = fields;
        if name.is_none() && email.is_none() {
            return Err(Error::InvalidInput(
                "name: give a name, an email or both".into(),
            ));
        }
        if name.is_some_and(|n| crate::crypto::normalize_name(n.as_str()).is_empty()) {
            return Err(Error::InvalidInput(
                "name: must hold a letter or a digit".into(),
            ));
        }
        let k = &self.keys;
        let row = (
            id,
            name.map(|n| k.seal(WATCH_NAME, id, n.as_str())),
            name.map(|n| k.name_index(n.as_str())),
            email.map(|e| k.seal(WATCH_EMAIL, id, e.as_str())),
            email.map(|e| k.email_index(e)),
            k.seal(WATCH_REASON, id, reason.as_str()),
            expires_at,
        );
        if created {
            let now = self.now();
            self.execute(INSERT, Both(row, (now,))).await?;
        } else {
            self.execute(UPDATE, row).await?;
        }
        Ok(())
    }

    pub async fn add_watch(&mut self, actor: Actor, input: &WatchInput) -> Result<Uuid, Error> {
        let id = new_id();
        let fields = (input.name.as_ref(), input.email.as_ref(), &input.reason);
        self.put_watch(id, fields, input.expires_at, true).await?;
        self.audit(actor, "watchlist.add", format!("watch:{id}"))
            .await?;
        Ok(id)
    }

    /// Changes what `patch` names; `false` when there is no such entry.
    pub async fn update_watch(
        &mut self,
        actor: Actor,
        id: Uuid,
        patch: WatchPatch,
    ) -> Result<bool, Error> {
        let Some(now) = self.watch_entry(id).await? else {
            return Ok(false);
        };
        let name: Option<PersonName> = match patch.name {
            Some(n) => n,
            None => stored(now.name)?,
        };
        let email: Option<Email> = match patch.email {
            Some(e) => e,
            None => stored(now.email)?,
        };
        let reason: Reason = match patch.reason {
            Some(r) => r,
            None => stored(Some(now.reason))?.ok_or(Error::NotFound)?,
        };
        let expires_at = patch.expires_at.unwrap_or(now.expires_at);
        let fields = (name.as_ref(), email.as_ref(), &reason);
        self.put_watch(id, fields, expires_at, false).await?;
        self.audit(actor, "watchlist.update", format!("watch:{id}"))
            .await?;
        Ok(true)
    }

    pub async fn delete_watch(&mut self, actor: Actor, id: Uuid) -> Result<bool, Error> {
        let gone = self
            .execute(
                "DELETE FROM watchlist WHERE tenant_id = $1 AND id = $2",
                (id,),
            )
            .await?;
        if gone == 0 {
            return Ok(false);
        }
        self.audit(actor, "watchlist.delete", format!("watch:{id}"))
            .await?;
        Ok(true)
    }

    /// The reasons of the entries held visit `visit` matches now (by its visitor's email index
    /// and name); `None` when the visit is not held.
    pub async fn hold_reasons(&mut self, visit: Uuid) -> Result<Option<Vec<String>>, Error> {
        let Some(v) = self.visit(visit).await? else {
            return Ok(None);
        };
        if v.status != vestibule_shared::dto::visits::VisitStatus::Held {
            return Ok(None);
        }
        let email_idx: Vec<u8> = self
            .scalar(
                "SELECT email_idx FROM visitors WHERE tenant_id = $1 AND id = $2",
                (v.visitor_id,),
            )
            .await?;
        let name_idx = self.keys.name_index(&v.visitor_name);
        let sql = format!(
            "{COLUMNS}WHERE tenant_id = $1 AND (email_idx = $2 OR name_idx = $3) ORDER BY created_at"
        );
        let rows: Vec<RawWatch> = self
            .fetch_all(sqlx::AssertSqlSafe(sql), (email_idx, name_idx))
            .await?;
        let rows = rows.into_iter().map(|r| self.watch_from(r));
        Ok(Some(
            rows.map(|r| r.map(|r| r.reason))
                .collect::<Result<_, _>>()?,
        ))
    }

    /// Staff's decision on a held visit: admitted, it is on site (and the host's check-in notice
    /// is queued now, when there is a server to send it); denied, it is checked out. `false`
    /// when the visit is not held.
    pub async fn decide_hold(
        &mut self,
        actor: Actor,
        visit: Uuid,
        admit: bool,
    ) -> Result<bool, Error> {
        // Admitting also stands for the host's approval, where the visit waited for one.
        const ADMIT: &str = "UPDATE visits SET hold = NULL, \
             approval = CASE WHEN approval = 'pending' THEN 'approved' ELSE approval END \
             WHERE tenant_id = $1 AND id = $2 AND hold = 'held' AND status = 'on_site'";
        const DENY: &str = "UPDATE visits SET hold = 'denied', status = 'checked_out', checked_out_at = $3 \
             WHERE tenant_id = $1 AND id = $2 AND hold = 'held' AND status = 'on_site'";
        let now = self.now();
        let changed = if admit {
            self.execute(ADMIT, (visit,)).await?
        } else {
            self.execute(DENY, (visit, now)).await?
        };
        if changed == 0 {
            return Ok(false);
        }
        if admit && self.has_smtp().await? {
            let notice = Notification::about("check_in", visit);
            self.enqueue("host_notification", &notice, now).await?;
        }
        let action = if admit { "visit.admit" } else { "visit.deny" };
        self.audit(actor, action, format!("visit:{visit}")).await?;
        Ok(true)
    }
}
