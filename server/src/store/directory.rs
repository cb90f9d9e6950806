//! Sites (receptions) and the host directory.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vestibule_shared::types::Email;

use super::sealed::{HOST_EMAIL, HOST_NAME};
use super::{TenantTx, new_id, now, on_tx};
use crate::error::Error;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SiteRow {
    pub id: Uuid,
    pub name: String,
    pub timezone: String,
    pub created_at: DateTime<Utc>,
}

/// A host, decrypted.
#[derive(Debug, Clone)]
pub struct HostRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RawHost {
    id: Uuid,
    site_id: Uuid,
    name_enc: Vec<u8>,
    email_enc: Vec<u8>,
    created_at: DateTime<Utc>,
}

/// A host to insert: already validated.
#[derive(Debug, Clone)]
pub struct NewHost {
    pub name: String,
    pub email: Email,
    pub site_id: Uuid,
}

macro_rules! host_select {
    ($rest:literal) => {
        concat!("SELECT id, site_id, name_enc, email_enc, created_at FROM hosts WHERE tenant_id = $1", $rest)
    };
}

impl TenantTx {
    pub async fn insert_site(&mut self, name: &str, timezone: &str) -> Result<SiteRow, Error> {
        let row = SiteRow { id: new_id(), name: name.to_owned(), timezone: timezone.to_owned(), created_at: now() };
        let t = self.tenant.0;
        on_tx!(&mut self.tx, |c| sqlx::query("INSERT INTO sites (tenant_id, id, name, timezone, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(t)
            .bind(row.id)
            .bind(&row.name)
            .bind(&row.timezone)
            .bind(row.created_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(row)
    }

    pub async fn site(&mut self, id: Uuid) -> Result<Option<SiteRow>, Error> {
        let t = self.tenant.0;
        Ok(on_tx!(&mut self.tx, |c| sqlx::query_as("SELECT id, name, timezone, created_at FROM sites WHERE tenant_id = $1 AND id = $2")
            .bind(t)
            .bind(id)
            .fetch_optional(c)
            .await)?)
    }

    pub async fn sites(&mut self) -> Result<Vec<SiteRow>, Error> {
        let t = self.tenant.0;
        Ok(on_tx!(&mut self.tx, |c| sqlx::query_as(
            "SELECT id, name, timezone, created_at FROM sites WHERE tenant_id = $1 ORDER BY name, id"
        )
        .bind(t)
        .fetch_all(c)
        .await)?)
    }

    pub async fn update_site(&mut self, site: &SiteRow) -> Result<(), Error> {
        let t = self.tenant.0;
        on_tx!(&mut self.tx, |c| sqlx::query("UPDATE sites SET name = $3, timezone = $4 WHERE tenant_id = $1 AND id = $2")
            .bind(t)
            .bind(site.id)
            .bind(&site.name)
            .bind(&site.timezone)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes a site that nothing refers to any more; one with hosts, kiosks or visits is a conflict.
    pub async fn delete_site(&mut self, id: Uuid) -> Result<bool, Error> {
        self.delete_unreferenced("DELETE FROM sites WHERE tenant_id = $1 AND id = $2", id, "the site still has hosts, kiosks or visits")
            .await
    }

    /// Runs a delete of one row by id; a foreign-key refusal becomes a conflict with `conflict`.
    async fn delete_unreferenced(&mut self, sql: &'static str, id: Uuid, conflict: &'static str) -> Result<bool, Error> {
        let t = self.tenant.0;
        let res = on_tx!(&mut self.tx, |c| sqlx::query(sql).bind(t).bind(id).execute(c).await.map(|r| r.rows_affected()));
        match res {
            Ok(n) => Ok(n > 0),
            Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => Err(Error::Conflict(conflict)),
            Err(e) => Err(e.into()),
        }
    }

    fn host_from(&self, r: RawHost) -> Result<HostRow, Error> {
        Ok(HostRow {
            name: self.keys.open(HOST_NAME, r.id, &r.name_enc)?,
            email: self.keys.open(HOST_EMAIL, r.id, &r.email_enc)?,
            id: r.id,
            site_id: r.site_id,
            created_at: r.created_at,
        })
    }

    /// Inserts a host; its site must exist in this tenant.
    pub async fn insert_host(&mut self, host: &NewHost) -> Result<HostRow, Error> {
        if self.site(host.site_id).await?.is_none() {
            return Err(Error::InvalidInput("site_id: no such site".into()));
        }
        let id = new_id();
        let t = self.tenant;
        let created_at = now();
        let name_enc = self.keys.seal(HOST_NAME, id, &host.name);
        let email_enc = self.keys.seal(HOST_EMAIL, id, host.email.as_str());
        let email_idx = self.keys.email_index(&host.email);
        on_tx!(&mut self.tx, |c| sqlx::query(
            "INSERT INTO hosts (tenant_id, id, site_id, name_enc, email_enc, email_idx, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(t.0)
        .bind(id)
        .bind(host.site_id)
        .bind(name_enc)
        .bind(email_enc)
        .bind(email_idx)
        .bind(created_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(HostRow { id, site_id: host.site_id, name: host.name.clone(), email: host.email.as_str().to_owned(), created_at })
    }

    pub async fn host(&mut self, id: Uuid) -> Result<Option<HostRow>, Error> {
        let t = self.tenant.0;
        let raw: Option<RawHost> =
            on_tx!(&mut self.tx, |c| sqlx::query_as(host_select!(" AND id = $2")).bind(t).bind(id).fetch_optional(c).await)?;
        raw.map(|r| self.host_from(r)).transpose()
    }

    /// Every host, or those of one site.
    pub async fn hosts(&mut self, site: Option<Uuid>) -> Result<Vec<HostRow>, Error> {
        let t = self.tenant.0;
        let raws: Vec<RawHost> =
            on_tx!(&mut self.tx, |c| sqlx::query_as(host_select!(" AND ($2 IS NULL OR site_id = $2) ORDER BY created_at, id"))
                .bind(t)
                .bind(site)
                .fetch_all(c)
                .await)?;
        raws.into_iter().map(|r| self.host_from(r)).collect()
    }

    pub async fn update_host(&mut self, host: &HostRow, email: &Email) -> Result<(), Error> {
        if self.site(host.site_id).await?.is_none() {
            return Err(Error::InvalidInput("site_id: no such site".into()));
        }
        let t = self.tenant;
        let name_enc = self.keys.seal(HOST_NAME, host.id, &host.name);
        let email_enc = self.keys.seal(HOST_EMAIL, host.id, email.as_str());
        let email_idx = self.keys.email_index(email);
        on_tx!(&mut self.tx, |c| sqlx::query(
            "UPDATE hosts SET site_id = $3, name_enc = $4, email_enc = $5, email_idx = $6 WHERE tenant_id = $1 AND id = $2"
        )
        .bind(t.0)
        .bind(host.id)
        .bind(host.site_id)
        .bind(name_enc)
        .bind(email_enc)
        .bind(email_idx)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes a host without visits; one with visits is a conflict (the visit log keeps them).
    pub async fn delete_host(&mut self, id: Uuid) -> Result<bool, Error> {
        self.delete_unreferenced("DELETE FROM hosts WHERE tenant_id = $1 AND id = $2", id, "the host has visits").await
    }
}
