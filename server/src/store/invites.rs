//! Invitations (`invites`): visitors expected ahead of time. The visitor's name, email, company
//! and the note are sealed under the row's id; the email has a blind index; the code exists here
//! only as its keyed hash ([`TenantKeys::code_index`](crate::crypto::TenantKeys::code_index)).
//! A row is `expected` until the visitor checks in with it (`checked_in`, with the visit) or staff
//! cancel it; one still expected after `expires_at` reads as expired.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vestibule_shared::{
    dto::invites::InviteState,
    types::{Email, InviteCode},
};

use super::outbox::Notification;
use super::sealed::{HOST_NAME, INVITE_COMPANY, INVITE_EMAIL, INVITE_NAME, INVITE_NOTE};
use super::{Actor, TenantTx};
use crate::{error::Error, ids::new_id};

/// What [`TenantKeys::code_index`](crate::crypto::TenantKeys::code_index) calls an invitation's code.
const CODE_KIND: &str = "invite";

/// An invitation to write: already validated.
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub site_id: Uuid,
    pub host_id: Uuid,
    pub name: String,
    pub email: Email,
    pub company: Option<String>,
    pub note: Option<String>,
    pub expected_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub code: InviteCode,
}

/// An invitation, opened.
#[derive(Debug, Clone)]
pub struct InviteRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub host_id: Uuid,
    pub host_name: String,
    pub visitor_name: String,
    pub visitor_email: String,
    pub visitor_company: Option<String>,
    pub note: Option<String>,
    pub expected_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub state: InviteState,
    pub visit_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RawInvite {
    id: Uuid,
    site_id: Uuid,
    host_id: Uuid,
    name_enc: Vec<u8>,
    email_enc: Vec<u8>,
    company_enc: Option<Vec<u8>>,
    note_enc: Option<Vec<u8>>,
    expected_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    state: String,
    visit_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    host_name_enc: Vec<u8>,
}

macro_rules! invite_select {
    ($rest:literal) => {
        concat!(
            "SELECT i.id, i.site_id, i.host_id, i.name_enc, i.email_enc, i.company_enc, i.note_enc, ",
            "i.expected_at, i.expires_at, i.state, i.visit_id, i.created_at, h.name_enc AS host_name_enc ",
            "FROM invites i JOIN hosts h ON h.tenant_id = i.tenant_id AND h.id = i.host_id WHERE i.tenant_id = $1",
            $rest
        )
    };
}

impl TenantTx {
    fn invite_from(&self, r: RawInvite) -> Result<InviteRow, Error> {
        let c = &self.keys;
        let state = match r.state.as_str() {
            "checked_in" => InviteState::CheckedIn,
            "cancelled" => InviteState::Cancelled,
            _ if r.expires_at <= self.now() => InviteState::Expired,
            _ => InviteState::Expected,
        };
        Ok(InviteRow {
            host_name: c.open(HOST_NAME, r.host_id, &r.host_name_enc)?,
            visitor_name: c.open(INVITE_NAME, r.id, &r.name_enc)?,
            visitor_email: c.open(INVITE_EMAIL, r.id, &r.email_enc)?,
            visitor_company: c.open_opt(INVITE_COMPANY, r.id, r.company_enc.as_deref())?,
            note: c.open_opt(INVITE_NOTE, r.id, r.note_enc.as_deref())?,
            id: r.id,
            site_id: r.site_id,
            host_id: r.host_id,
            expected_at: r.expected_at,
            expires_at: r.expires_at,
            state,
            visit_id: r.visit_id,
            created_at: r.created_at,
        })
    }

    fn invites_from(&self, raws: Vec<RawInvite>) -> Result<Vec<InviteRow>, Error> {
        raws.into_iter().map(|r| self.invite_from(r)).collect()
    }

    /// Writes an invitation for a host of `site_id` (another site's host, or none, is refused).
    pub async fn insert_invite(
        &mut self,
        actor: Actor,
        new: &NewInvite,
    ) -> Result<InviteRow, Error> {
        const SQL: &str = "INSERT INTO invites (tenant_id, id, site_id, host_id, name_enc, email_enc, email_idx, \
             company_enc, note_enc, expected_at, expires_at, code_hash, state, created_by, created_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'expected', $13, $14 \
             FROM hosts WHERE tenant_id = $1 AND id = $4 AND site_id = $3 AND active";
        let id = new_id();
        let c = &self.keys;
        let sealed = |field, value: &str| c.seal(field, id, value);
        let params = (
            id,
            new.site_id,
            new.host_id,
            sealed(INVITE_NAME, &new.name),
            sealed(INVITE_EMAIL, new.email.as_str()),
            c.email_index(&new.email),
            new.company.as_deref().map(|x| sealed(INVITE_COMPANY, x)),
            new.note.as_deref().map(|x| sealed(INVITE_NOTE, x)),
            new.expected_at,
        );
        let more = (
            new.expires_at,
            c.code_index(CODE_KIND, new.code.as_str()),
            actor.to_string(),
            self.now(),
        );
        let written = self.execute(SQL, super::query::Both(params, more)).await?;
        if written == 0 {
            return Err(Error::InvalidInput(
                "host_id: must be a host of the invitation's site".into(),
            ));
        }
        self.audit(actor, "invite.create", format!("invite:{id}"))
            .await?;
        self.send_invitation(id, &new.code, true).await?;
        self.invite(id).await?.ok_or(Error::NotFound)
    }

    /// Queues the invitation email with `code` to the visitor, and with `confirm` the host's
    /// confirmation, when there is a server to send them by (none is queued only to fail).
    async fn send_invitation(
        &mut self,
        id: Uuid,
        code: &InviteCode,
        confirm: bool,
    ) -> Result<(), Error> {
        if !self.has_smtp().await? {
            return Ok(());
        }
        let now = self.now();
        let to_visitor = Notification {
            code: Some(code.display()),
            ..Notification::about("invite", id)
        };
        self.enqueue("visitor_invitation", &to_visitor, now).await?;
        if confirm {
            let to_host = Notification::about("invite_sent", id);
            self.enqueue("host_notification", &to_host, now).await?;
        }
        Ok(())
    }

    /// Gives an invitation still expected a new code and sends it to the visitor again: the old
    /// code stops working (the server cannot send it again: it keeps only its hash). `false` if
    /// the invitation is no longer expected.
    pub async fn resend_invite(
        &mut self,
        actor: Actor,
        id: Uuid,
        code: &InviteCode,
    ) -> Result<bool, Error> {
        const SQL: &str = "UPDATE invites SET code_hash = $3 \
                           WHERE tenant_id = $1 AND id = $2 AND state = 'expected' AND expires_at > $4";
        let hash = self.keys.code_index(CODE_KIND, code.as_str());
        if self.execute(SQL, (id, hash, self.now())).await? == 0 {
            return Ok(false);
        }
        self.audit(actor, "invite.resend", format!("invite:{id}"))
            .await?;
        self.send_invitation(id, code, false).await?;
        Ok(true)
    }

    /// Every invitation of the people with the email blind index `idx`, oldest first.
    pub async fn invites_by_email_idx(&mut self, idx: &[u8]) -> Result<Vec<InviteRow>, Error> {
        let raws: Vec<RawInvite> = self
            .fetch_all(
                invite_select!(" AND i.email_idx = $2 ORDER BY i.expected_at, i.id"),
                (idx.to_vec(),),
            )
            .await?;
        self.invites_from(raws)
    }

    /// One invitation.
    pub async fn invite(&mut self, id: Uuid) -> Result<Option<InviteRow>, Error> {
        let raw: Option<RawInvite> = self
            .fetch_optional(invite_select!(" AND i.id = $2"), (id,))
            .await?;
        raw.map(|r| self.invite_from(r)).transpose()
    }

    /// The invitations expected from `from` to before `to` (of one site, and of the hosts with
    /// `host_email` only: a signed-in host's own), by expected time.
    pub async fn invites(
        &mut self,
        site: Option<Uuid>,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        host_email: Option<&Email>,
    ) -> Result<Vec<InviteRow>, Error> {
        const SQL: &str = invite_select!(
            " AND ($2 IS NULL OR i.site_id = $2) AND i.expected_at >= $3 AND i.expected_at < $4 \
             AND ($5 IS NULL OR i.host_id IN (SELECT id FROM hosts WHERE tenant_id = $1 AND email_idx = $5)) \
             ORDER BY i.expected_at, i.id LIMIT 1000"
        );
        let idx = host_email.map(|e| self.keys.email_index(e));
        let raws = self.fetch_all(SQL, (site, from, to, idx)).await?;
        self.invites_from(raws)
    }

    /// The invitation with this code, whatever its state.
    pub async fn invite_by_code(&mut self, code: &InviteCode) -> Result<Option<InviteRow>, Error> {
        let hash = self.keys.code_index(CODE_KIND, code.as_str());
        let raw: Option<RawInvite> = self
            .fetch_optional(invite_select!(" AND i.code_hash = $2"), (hash,))
            .await?;
        raw.map(|r| self.invite_from(r)).transpose()
    }

    /// The first invitation of the visitor with `email` still expected at `site` before `until`
    /// (the end of the site's day: expected today).
    pub async fn invite_expected_for(
        &mut self,
        site: Uuid,
        email: &Email,
        until: DateTime<Utc>,
    ) -> Result<Option<InviteRow>, Error> {
        const SQL: &str = invite_select!(
            " AND i.site_id = $2 AND i.email_idx = $3 AND i.state = 'expected' \
             AND i.expires_at > $4 AND i.expires_at <= $5 ORDER BY i.expected_at, i.id LIMIT 1"
        );
        let idx = self.keys.email_index(email);
        let raw: Option<RawInvite> = self
            .fetch_optional(SQL, (site, idx, self.now(), until))
            .await?;
        raw.map(|r| self.invite_from(r)).transpose()
    }

    /// The invitation a visit was checked in with, if any.
    pub async fn invite_of_visit(&mut self, visit: Uuid) -> Result<Option<InviteRow>, Error> {
        let raw: Option<RawInvite> = self
            .fetch_optional(invite_select!(" AND i.visit_id = $2"), (visit,))
            .await?;
        raw.map(|r| self.invite_from(r)).transpose()
    }

    /// The visit this kiosk checked in under `key` (its `Idempotency-Key`), if any.
    pub async fn visit_by_key(&mut self, kiosk: Uuid, key: &str) -> Result<Option<Uuid>, Error> {
        const SQL: &str =
            "SELECT id FROM visits WHERE tenant_id = $1 AND kiosk_id = $2 AND idempotency_key = $3";
        let found: Option<(Uuid,)> = self.fetch_optional(SQL, (kiosk, key)).await?;
        Ok(found.map(|(id,)| id))
    }

    /// Cancels an invitation still expected; `false` if it is not (used, cancelled, expired).
    pub async fn cancel_invite(&mut self, actor: Actor, id: Uuid) -> Result<bool, Error> {
        const SQL: &str = "UPDATE invites SET state = 'cancelled' \
                           WHERE tenant_id = $1 AND id = $2 AND state = 'expected' AND expires_at > $3";
        let done = self.execute(SQL, (id, self.now())).await? > 0;
        if done {
            self.audit(actor, "invite.cancel", format!("invite:{id}"))
                .await?;
        }
        Ok(done)
    }

    /// Records that the visitor checked in with the invitation `id` (`visit`); `false` if it was
    /// no longer expected.
    pub async fn invite_checked_in(
        &mut self,
        actor: Actor,
        id: Uuid,
        visit: Uuid,
    ) -> Result<bool, Error> {
        const SQL: &str = "UPDATE invites SET state = 'checked_in', visit_id = $3 \
                           WHERE tenant_id = $1 AND id = $2 AND state = 'expected' AND expires_at > $4";
        let done = self.execute(SQL, (id, visit, self.now())).await? > 0;
        if done {
            self.audit(actor, "invite.check_in", format!("invite:{id}"))
                .await?;
        }
        Ok(done)
    }
}
