//! Visitor passes (`visitor_passes`): a returning visitor's personal code. A walk-in who asks for
//! one gets a `requested` row with their visit ([`TenantTx::request_pass`]); when that visit ends
//! the pass is issued ([`TenantTx::issue_pass`], from the check-out): a code and the secret of the
//! visitor's revocation link are drawn, stored only as keyed hashes, and travel sealed in the
//! outbox row of the email that gives them to the visitor. A pass stands for its visitor's sealed
//! details (`visitors`, nothing copied) at any kiosk of the tenant until it expires or is revoked.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;
use vestibule_shared::{
    dto::{passes::PassState, visits::VisitorDetails},
    types::{CompanyName, Email, PassCode, PersonName, Phone},
};

use super::outbox::Notification;
use super::sealed::{VISITOR_COMPANY, VISITOR_EMAIL, VISITOR_NAME, VISITOR_PHONE};
use super::{Actor, TenantTx};
use crate::{
    error::Error,
    ids::{new_id, random_code},
};

/// What [`TenantKeys::code_index`](crate::crypto::TenantKeys::code_index) calls a pass's code,
/// and the secret of its revocation link.
const CODE_KIND: &str = "pass";
const REVOKE_KIND: &str = "pass-revoke";

/// A pass just issued: what its email carries (and nothing else keeps).
struct IssuedPass {
    code: PassCode,
    /// The secret of the revocation link (unpadded base64url of 32 random bytes).
    revoke_secret: String,
}

/// The holder of a usable pass, opened.
#[derive(Debug, Clone)]
pub struct PassHolder {
    pub id: Uuid,
    pub visitor: VisitorDetails,
}

/// A pass as staff see it (never its code).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PassRow {
    pub id: Uuid,
    state: String,
    pub visit_id: Uuid,
    pub issued_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub uses: i64,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl PassRow {
    /// Where the pass stands at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> PassState {
        match self.state.as_str() {
            "requested" => PassState::Requested,
            "revoked" => PassState::Revoked,
            _ if self.expires_at.is_none_or(|e| e <= now) => PassState::Expired,
            _ => PassState::Active,
        }
    }
}

#[derive(sqlx::FromRow)]
struct RawHolder {
    id: Uuid,
    visitor_id: Uuid,
    name_enc: Vec<u8>,
    email_enc: Vec<u8>,
    company_enc: Option<Vec<u8>>,
    phone_enc: Option<Vec<u8>>,
}

#[derive(sqlx::FromRow)]
struct RawPassHolder {
    #[sqlx(flatten)]
    pass: PassRow,
    visitor_id: Uuid,
    name_enc: Vec<u8>,
    email_enc: Vec<u8>,
}

impl TenantTx {
    /// Records that the visitor of `visit` asked for a pass, if the tenant issues passes; `false`
    /// if it does not.
    pub async fn request_pass(
        &mut self,
        actor: Actor,
        visitor: Uuid,
        visit: Uuid,
    ) -> Result<bool, Error> {
        const SQL: &str = "INSERT INTO visitor_passes (tenant_id, id, visitor_id, visit_id, state, created_at) \
             SELECT $1, $2, $3, $4, 'requested', $5 FROM tenants WHERE id = $1 AND pass_days > 0";
        let id = new_id();
        let done = self.execute(SQL, (id, visitor, visit, self.now())).await? > 0;
        if done {
            self.audit(actor, "pass.request", format!("pass:{id}"))
                .await?;
        }
        Ok(done)
    }

    /// Issues the pass the visitor of `visit` asked for, good for `days` days, and queues its
    /// email; nothing when none was asked for (or `days` is 0, or no SMTP server could send it).
    pub(super) async fn issue_pass(
        &mut self,
        actor: Actor,
        visit: Uuid,
        days: u16,
    ) -> Result<(), Error> {
        const SQL: &str = "UPDATE visitor_passes SET state = 'active', code_hash = $3, revoke_hash = $4, \
             issued_at = $5, expires_at = $6 WHERE tenant_id = $1 AND visit_id = $2 AND state = 'requested' \
             RETURNING id";
        if days == 0 || !self.has_smtp().await? {
            return Ok(());
        }
        let issued = draw()?;
        let now = self.now();
        let params = (
            visit,
            self.keys.code_index(CODE_KIND, issued.code.as_str()),
            self.keys.code_index(REVOKE_KIND, &issued.revoke_secret),
            now,
            now + Duration::days(days.into()),
        );
        let Some((id,)): Option<(Uuid,)> = self.fetch_optional(SQL, params).await? else {
            return Ok(());
        };
        self.audit(actor, "pass.issue", format!("pass:{id}"))
            .await?;
        let email = Notification {
            event: "pass".into(),
            visit_id: id,
            code: Some(issued.code.display()),
            secret: Some(issued.revoke_secret),
        };
        self.enqueue("visitor_pass", &email, now).await
    }

    /// The holder of the pass with this code, if it is active and not expired.
    pub async fn pass_by_code(&mut self, code: &PassCode) -> Result<Option<PassHolder>, Error> {
        const SQL: &str = "SELECT p.id, p.visitor_id, v.name_enc, v.email_enc, v.company_enc, v.phone_enc \
             FROM visitor_passes p JOIN visitors v ON v.tenant_id = p.tenant_id AND v.id = p.visitor_id \
             WHERE p.tenant_id = $1 AND p.code_hash = $2 AND p.state = 'active' AND p.expires_at > $3";
        let hash = self.keys.code_index(CODE_KIND, code.as_str());
        let raw: Option<RawHolder> = self.fetch_optional(SQL, (hash, self.now())).await?;
        let Some(r) = raw else { return Ok(None) };
        let c = &self.keys;
        let stored = |_| Error::Internal(anyhow::anyhow!("a stored visitor does not validate"));
        let (id, v) = (r.id, r.visitor_id);
        let company = c.open_opt(VISITOR_COMPANY, v, r.company_enc.as_deref())?;
        let phone = c.open_opt(VISITOR_PHONE, v, r.phone_enc.as_deref())?;
        let visitor = VisitorDetails {
            name: PersonName::parse(&c.open(VISITOR_NAME, v, &r.name_enc)?).map_err(stored)?,
            email: Email::parse(&c.open(VISITOR_EMAIL, v, &r.email_enc)?).map_err(stored)?,
            company: company
                .as_deref()
                .map(CompanyName::parse)
                .transpose()
                .map_err(stored)?,
            phone: phone
                .as_deref()
                .map(Phone::parse)
                .transpose()
                .map_err(stored)?,
        };
        Ok(Some(PassHolder { id, visitor }))
    }

    /// Counts a check-in made with the pass `id`.
    pub async fn pass_used(&mut self, actor: Actor, id: Uuid) -> Result<(), Error> {
        const SQL: &str = "UPDATE visitor_passes SET uses = uses + 1, last_used_at = $3 \
                           WHERE tenant_id = $1 AND id = $2";
        self.execute(SQL, (id, self.now())).await?;
        self.audit(actor, "pass.use", format!("pass:{id}")).await
    }

    /// The newest pass of the person of visit `visit` (by the blind index of their email: the
    /// same person on any of their visits).
    pub async fn pass_of_visit(&mut self, visit: Uuid) -> Result<Option<PassRow>, Error> {
        const SQL: &str = "SELECT p.id, p.state, p.visit_id, p.issued_at, p.expires_at, p.revoked_at, p.uses, p.last_used_at \
             FROM visitor_passes p JOIN visitors pv ON pv.tenant_id = p.tenant_id AND pv.id = p.visitor_id \
             WHERE p.tenant_id = $1 AND pv.email_idx = (SELECT v.email_idx FROM visits x \
                 JOIN visitors v ON v.tenant_id = x.tenant_id AND v.id = x.visitor_id WHERE x.tenant_id = $1 AND x.id = $2) \
             ORDER BY p.created_at DESC, p.id DESC LIMIT 1";
        self.fetch_optional(SQL, (visit,)).await
    }

    /// Every pass of the people with the email blind index `idx`, oldest first.
    pub async fn passes_by_email_idx(&mut self, idx: &[u8]) -> Result<Vec<PassRow>, Error> {
        const SQL: &str = "SELECT p.id, p.state, p.visit_id, p.issued_at, p.expires_at, p.revoked_at, p.uses, p.last_used_at \
             FROM visitor_passes p JOIN visitors pv ON pv.tenant_id = p.tenant_id AND pv.id = p.visitor_id \
             WHERE p.tenant_id = $1 AND pv.email_idx = $2 ORDER BY p.created_at, p.id";
        self.fetch_all(SQL, (idx.to_vec(),)).await
    }

    /// The pass `id` with its visitor's name and email (what its email needs).
    pub async fn pass_with_holder(
        &mut self,
        id: Uuid,
    ) -> Result<Option<(PassRow, String, String)>, Error> {
        const SQL: &str = "SELECT p.id, p.state, p.visit_id, p.issued_at, p.expires_at, p.revoked_at, p.uses, \
             p.last_used_at, p.visitor_id, v.name_enc, v.email_enc \
             FROM visitor_passes p JOIN visitors v ON v.tenant_id = p.tenant_id AND v.id = p.visitor_id \
             WHERE p.tenant_id = $1 AND p.id = $2";
        let raw: Option<RawPassHolder> = self.fetch_optional(SQL, (id,)).await?;
        let Some(r) = raw else { return Ok(None) };
        let name = self.keys.open(VISITOR_NAME, r.visitor_id, &r.name_enc)?;
        let email = self.keys.open(VISITOR_EMAIL, r.visitor_id, &r.email_enc)?;
        Ok(Some((r.pass, name, email)))
    }

    /// The keyed hash of the revocation secret of pass `id`, if it was issued.
    pub async fn pass_revoke_hash(&mut self, id: Uuid) -> Result<Option<Vec<u8>>, Error> {
        const SQL: &str = "SELECT revoke_hash FROM visitor_passes WHERE tenant_id = $1 AND id = $2";
        let found: Option<(Option<Vec<u8>>,)> = self.fetch_optional(SQL, (id,)).await?;
        Ok(found.and_then(|(h,)| h))
    }

    /// The keyed hash a revocation secret is stored as.
    pub fn revoke_secret_hash(&self, secret: &str) -> Vec<u8> {
        self.keys.code_index(REVOKE_KIND, secret)
    }

    /// Revokes the pass `id` (asked for or issued); `false` if it was neither.
    pub async fn revoke_pass(&mut self, actor: Actor, id: Uuid) -> Result<bool, Error> {
        const SQL: &str = "UPDATE visitor_passes SET state = 'revoked', revoked_at = $3, revoked_by = $4 \
                           WHERE tenant_id = $1 AND id = $2 AND state IN ('requested', 'active')";
        let done = self
            .execute(SQL, (id, self.now(), actor.to_string()))
            .await?
            > 0;
        if done {
            self.audit(actor, "pass.revoke", format!("pass:{id}"))
                .await?;
        }
        Ok(done)
    }
}

/// Draws a pass's code and revocation secret.
fn draw() -> Result<IssuedPass, Error> {
    use base64::Engine;
    use rand::Rng;
    let code =
        PassCode::parse(&random_code(PassCode::LEN)).map_err(|e| Error::Internal(e.into()))?;
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    Ok(IssuedPass {
        code,
        revoke_secret: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
    })
}
