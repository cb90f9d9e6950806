//! Bearer sessions of users: signed-in sessions and kiosk overrides, stored by token hash, with
//! an idle and an absolute expiry.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{TenantTx, UserRow, new_id, now, on_tx};
use crate::error::Error;

/// The kinds of bearer session a user can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// An admin or receptionist signed in (password or SSO).
    Session,
    /// A receptionist's override on one kiosk (PIN step-up).
    Override,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Override => "override",
        }
    }
}

#[derive(sqlx::FromRow)]
struct RawSession {
    id: Uuid,
    user_id: Uuid,
    token_hash: Vec<u8>,
    kiosk_id: Option<Uuid>,
    expires_at: DateTime<Utc>,
    absolute_expires_at: DateTime<Utc>,
}

/// A live session and its user.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: Uuid,
    pub token_hash: Vec<u8>,
    pub kiosk_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub absolute_expires_at: DateTime<Utc>,
    pub user: UserRow,
}

impl TenantTx {
    pub async fn insert_session(
        &mut self,
        user_id: Uuid,
        kind: SessionKind,
        kiosk_id: Option<Uuid>,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
        absolute_expires_at: DateTime<Utc>,
    ) -> Result<Uuid, Error> {
        let id = new_id();
        let t = self.tenant.0;
        on_tx!(&mut self.tx, |c| sqlx::query(
            "INSERT INTO sessions (tenant_id, id, user_id, kind, kiosk_id, token_hash, created_at, expires_at, absolute_expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )
        .bind(t)
        .bind(id)
        .bind(user_id)
        .bind(kind.as_str())
        .bind(kiosk_id)
        .bind(token_hash)
        .bind(now())
        .bind(expires_at)
        .bind(absolute_expires_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(id)
    }

    /// The unexpired session of `kind` with this token hash, and its enabled user.
    pub async fn session(&mut self, kind: SessionKind, token_hash: &[u8]) -> Result<Option<SessionRow>, Error> {
        let t = self.tenant.0;
        let found: Option<RawSession> = on_tx!(&mut self.tx, |c| sqlx::query_as(
            "SELECT id, user_id, token_hash, kiosk_id, expires_at, absolute_expires_at FROM sessions \
             WHERE tenant_id = $1 AND kind = $2 AND token_hash = $3 AND expires_at > $4 AND absolute_expires_at > $4"
        )
        .bind(t)
        .bind(kind.as_str())
        .bind(token_hash)
        .bind(now())
        .fetch_optional(c)
        .await)?;
        let Some(RawSession { id, user_id, token_hash, kiosk_id, expires_at, absolute_expires_at }) = found else { return Ok(None) };
        let Some(user) = self.user(user_id).await?.filter(|u| !u.disabled) else { return Ok(None) };
        Ok(Some(SessionRow { id, token_hash, kiosk_id, expires_at, absolute_expires_at, user }))
    }

    /// Slides a session's idle expiry.
    pub async fn touch_session(&mut self, id: Uuid, expires_at: DateTime<Utc>) -> Result<(), Error> {
        let t = self.tenant.0;
        on_tx!(&mut self.tx, |c| sqlx::query("UPDATE sessions SET expires_at = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(t)
            .bind(id)
            .bind(expires_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn delete_session(&mut self, id: Uuid) -> Result<(), Error> {
        let t = self.tenant.0;
        on_tx!(&mut self.tx, |c| sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND id = $2")
            .bind(t)
            .bind(id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends every session of a user (disabled, deleted or password changed).
    pub async fn delete_user_sessions(&mut self, user_id: Uuid) -> Result<(), Error> {
        let t = self.tenant.0;
        on_tx!(&mut self.tx, |c| sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
            .bind(t)
            .bind(user_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
