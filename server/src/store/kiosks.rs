//! Kiosk devices: creation with a one-time enrollment code, enrollment, device tokens, revocation.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Engine, GlobalTx, Store, TenantTx};
use crate::{
    error::Error,
    ids::{TenantId, new_id},
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KioskRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub token_hash: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub enrolled_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// Where an enrollment code leads.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct EnrollmentTarget {
    pub tenant_id: Uuid,
    pub kiosk_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

macro_rules! kiosk_select {
    ($rest:literal) => {
        concat!(
            "SELECT id, site_id, name, token_hash, created_at, enrolled_at, revoked_at, last_seen_at FROM kiosks WHERE tenant_id = $1",
            $rest
        )
    };
}

impl TenantTx {
    /// Creates a kiosk of `site_id` with the hash of its enrollment code.
    pub async fn insert_kiosk(
        &mut self,
        site_id: Uuid,
        name: &str,
        code_hash: &[u8],
        code_expires_at: DateTime<Utc>,
    ) -> Result<KioskRow, Error> {
        if self.site(site_id).await?.is_none() {
            return Err(Error::InvalidInput("site_id: no such site".into()));
        }
        let row = KioskRow {
            id: new_id(),
            site_id,
            name: name.to_owned(),
            token_hash: None,
            created_at: self.now(),
            enrolled_at: None,
            revoked_at: None,
            last_seen_at: None,
        };
        const KIOSK: &str = "INSERT INTO kiosks (tenant_id, id, site_id, name, created_at) VALUES ($1, $2, $3, $4, $5)";
        const CODE: &str = "INSERT INTO enrollment_codes (tenant_id, kiosk_id, code_hash, expires_at) VALUES ($1, $2, $3, $4)";
        self.execute(KIOSK, (row.id, site_id, &row.name, row.created_at))
            .await?;
        self.execute(CODE, (row.id, code_hash, code_expires_at))
            .await?;
        Ok(row)
    }

    pub async fn kiosk(&mut self, id: Uuid) -> Result<Option<KioskRow>, Error> {
        self.fetch_optional(kiosk_select!(" AND id = $2"), (id,))
            .await
    }

    pub async fn kiosks(&mut self) -> Result<Vec<KioskRow>, Error> {
        self.fetch_all(kiosk_select!(" ORDER BY created_at, id"), ())
            .await
    }

    pub async fn rename_kiosk(&mut self, id: Uuid, name: &str) -> Result<bool, Error> {
        Ok(self
            .execute(
                "UPDATE kiosks SET name = $3 WHERE tenant_id = $1 AND id = $2",
                (id, name),
            )
            .await?
            > 0)
    }

    /// Revokes a kiosk: its device token, override sessions and unused enrollment code stop working.
    pub async fn revoke_kiosk(&mut self, id: Uuid) -> Result<bool, Error> {
        const REVOKE: &str = "UPDATE kiosks SET revoked_at = $3, token_hash = NULL WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL";
        let n = self.execute(REVOKE, (id, self.now())).await?;
        self.execute(
            "DELETE FROM enrollment_codes WHERE tenant_id = $1 AND kiosk_id = $2",
            (id,),
        )
        .await?;
        self.execute(
            "DELETE FROM sessions WHERE tenant_id = $1 AND kiosk_id = $2",
            (id,),
        )
        .await?;
        Ok(n > 0)
    }

    /// Binds a device token to a kiosk that has not enrolled yet and is not revoked.
    pub async fn enroll_kiosk(&mut self, id: Uuid, token_hash: &[u8]) -> Result<bool, Error> {
        const SQL: &str = "UPDATE kiosks SET token_hash = $3, enrolled_at = $4, last_seen_at = $4 \
                           WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL AND token_hash IS NULL";
        Ok(self.execute(SQL, (id, token_hash, self.now())).await? > 0)
    }

    pub async fn touch_kiosk(&mut self, id: Uuid) -> Result<(), Error> {
        self.execute(
            "UPDATE kiosks SET last_seen_at = $3 WHERE tenant_id = $1 AND id = $2",
            (id, self.now()),
        )
        .await?;
        Ok(())
    }
}

impl Store {
    /// The live (enrolled, not revoked) kiosk of `tenant` with this device-token hash: every
    /// kiosk request asks, so it is one statement without keys (a kiosk row has no sealed field),
    /// and on SQLite mostly none (`kiosk_cache.rs`).
    pub async fn kiosk_by_token(
        &self,
        tenant: TenantId,
        token_hash: &[u8],
    ) -> Result<Option<KioskRow>, Error> {
        if let Engine::Sqlite { kiosks, .. } = &self.engine {
            return kiosks.kiosk(&self.engine, tenant, token_hash).await;
        }
        let sql = self.engine.dialect().kiosk_by_token();
        self.engine.read_one(tenant, sql, (token_hash,)).await
    }
}

impl GlobalTx {
    /// Consumes an enrollment code: it is deleted whether or not it has expired.
    pub async fn take_enrollment(
        &mut self,
        code_hash: &[u8],
    ) -> Result<Option<EnrollmentTarget>, Error> {
        let sql = self.tx.dialect().take_enrollment();
        self.tx.fetch_optional(sql, (code_hash,)).await
    }
}
