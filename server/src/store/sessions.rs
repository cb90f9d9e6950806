//! Bearer sessions of users: signed-in sessions and kiosk overrides, stored by token hash, with
//! an idle and an absolute expiry.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{TenantTx, UserRow};
use crate::{error::Error, ids::new_id};

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
        const SQL: &str = "INSERT INTO sessions (tenant_id, id, user_id, kind, kiosk_id, token_hash, created_at, expires_at, \
                           absolute_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        let id = new_id();
        self.execute(
            SQL,
            (
                id,
                user_id,
                kind.as_str(),
                kiosk_id,
                token_hash,
                self.now(),
                expires_at,
                absolute_expires_at,
            ),
        )
        .await?;
        Ok(id)
    }

    /// The unexpired session of `kind` with this token hash, and its enabled user.
    pub async fn session(
        &mut self,
        kind: SessionKind,
        token_hash: &[u8],
    ) -> Result<Option<SessionRow>, Error> {
        const SQL: &str = "SELECT id, user_id, token_hash, kiosk_id, expires_at, absolute_expires_at FROM sessions \
                           WHERE tenant_id = $1 AND kind = $2 AND token_hash = $3 AND expires_at > $4 AND absolute_expires_at > $4";
        let found: Option<RawSession> = self
            .fetch_optional(SQL, (kind.as_str(), token_hash, self.now()))
            .await?;
        let Some(RawSession {
            id,
            user_id,
            token_hash,
            kiosk_id,
            expires_at,
            absolute_expires_at,
        }) = found
        else {
            return Ok(None);
        };
        let Some(user) = self.user(user_id).await?.filter(|u| !u.disabled) else {
            return Ok(None);
        };
        Ok(Some(SessionRow {
            id,
            token_hash,
            kiosk_id,
            expires_at,
            absolute_expires_at,
            user,
        }))
    }

    /// Slides a session's idle expiry.
    pub async fn touch_session(
        &mut self,
        id: Uuid,
        expires_at: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.execute(
            "UPDATE sessions SET expires_at = $3 WHERE tenant_id = $1 AND id = $2",
            (id, expires_at),
        )
        .await?;
        Ok(())
    }

    pub async fn delete_session(&mut self, id: Uuid) -> Result<(), Error> {
        self.execute(
            "DELETE FROM sessions WHERE tenant_id = $1 AND id = $2",
            (id,),
        )
        .await?;
        Ok(())
    }

    /// Ends every session of a user (disabled, deleted or password changed).
    pub async fn delete_user_sessions(&mut self, user_id: Uuid) -> Result<(), Error> {
        self.execute(
            "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2",
            (user_id,),
        )
        .await?;
        Ok(())
    }
}
