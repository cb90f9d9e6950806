//! Kiosk devices: creation with a one-time enrollment code, enrollment, device tokens, revocation.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{GlobalTx, TenantTx, new_id, now, on_tx};
use crate::error::Error;

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
            created_at: now(),
            enrolled_at: None,
            revoked_at: None,
            last_seen_at: None,
        };
        let t = self.tenant.0;
        on_tx!(&mut self.tx, |c| sqlx::query("INSERT INTO kiosks (tenant_id, id, site_id, name, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(t)
            .bind(row.id)
            .bind(site_id)
            .bind(&row.name)
            .bind(row.created_at)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()))?;
        on_tx!(&mut self.tx, |c| sqlx::query(
            "INSERT INTO enrollment_codes (code_hash, tenant_id, kiosk_id, expires_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(code_hash)
        .bind(t)
        .bind(row.id)
        .bind(code_expires_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(row)
    }

    pub async fn kiosk(&mut self, id: Uuid) -> Result<Option<KioskRow>, Error> {
        let t = self.tenant.0;
        Ok(on_tx!(&mut self.tx, |c| sqlx::query_as(kiosk_select!(" AND id = $2")).bind(t).bind(id).fetch_optional(c).await)?)
    }

    pub async fn kiosks(&mut self) -> Result<Vec<KioskRow>, Error> {
        let t = self.tenant.0;
        Ok(on_tx!(&mut self.tx, |c| sqlx::query_as(kiosk_select!(" ORDER BY created_at, id")).bind(t).fetch_all(c).await)?)
    }

    pub async fn rename_kiosk(&mut self, id: Uuid, name: &str) -> Result<bool, Error> {
        let t = self.tenant.0;
        let n = on_tx!(&mut self.tx, |c| sqlx::query("UPDATE kiosks SET name = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(t)
            .bind(id)
            .bind(name)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Revokes a kiosk: its device token, override sessions and unused enrollment code stop working.
    pub async fn revoke_kiosk(&mut self, id: Uuid) -> Result<bool, Error> {
        let t = self.tenant.0;
        let n = on_tx!(&mut self.tx, |c| sqlx::query(
            "UPDATE kiosks SET revoked_at = $3, token_hash = NULL WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL"
        )
        .bind(t)
        .bind(id)
        .bind(now())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        for sql in [
            "DELETE FROM enrollment_codes WHERE tenant_id = $1 AND kiosk_id = $2",
            "DELETE FROM sessions WHERE tenant_id = $1 AND kiosk_id = $2",
        ] {
            on_tx!(&mut self.tx, |c| sqlx::query(sql).bind(t).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        }
        Ok(n > 0)
    }

    /// Binds a device token to a kiosk that has not enrolled yet and is not revoked.
    pub async fn enroll_kiosk(&mut self, id: Uuid, token_hash: &[u8]) -> Result<bool, Error> {
        let t = self.tenant.0;
        let n = on_tx!(&mut self.tx, |c| sqlx::query(
            "UPDATE kiosks SET token_hash = $3, enrolled_at = $4, last_seen_at = $4 \
             WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL AND token_hash IS NULL"
        )
        .bind(t)
        .bind(id)
        .bind(token_hash)
        .bind(now())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// The live (enrolled, not revoked) kiosk with this device-token hash.
    pub async fn kiosk_by_token(&mut self, token_hash: &[u8]) -> Result<Option<KioskRow>, Error> {
        let t = self.tenant.0;
        Ok(on_tx!(&mut self.tx, |c| sqlx::query_as(kiosk_select!(" AND token_hash = $2 AND revoked_at IS NULL"))
            .bind(t)
            .bind(token_hash)
            .fetch_optional(c)
            .await)?)
    }

    pub async fn touch_kiosk(&mut self, id: Uuid) -> Result<(), Error> {
        let t = self.tenant.0;
        on_tx!(&mut self.tx, |c| sqlx::query("UPDATE kiosks SET last_seen_at = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(t)
            .bind(id)
            .bind(now())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }
}

impl GlobalTx {
    /// Consumes an enrollment code: it is deleted whether or not it has expired.
    pub async fn take_enrollment(&mut self, code_hash: &[u8]) -> Result<Option<EnrollmentTarget>, Error> {
        Ok(on_tx!(&mut self.tx, |c| sqlx::query_as(
            "DELETE FROM enrollment_codes WHERE code_hash = $1 RETURNING tenant_id, kiosk_id, expires_at"
        )
        .bind(code_hash)
        .fetch_optional(c)
        .await)?)
    }
}
