//! Sites (receptions) and the host directory.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vestibule_shared::types::Email;

use super::TenantTx;
use super::sealed::{HOST_EMAIL, HOST_NAME};
use crate::{error::Error, ids::new_id};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SiteRow {
    pub id: Uuid,
    pub name: String,
    pub timezone: String,
    pub arrival_instructions: Option<String>,
    /// When everyone still on site is signed out each day (`HH:MM`, site time), if ever.
    pub auto_checkout_at: Option<String>,
    /// JSON: the email addresses that get an evacuation's roll call.
    pub emergency_contacts: String,
    pub created_at: DateTime<Utc>,
}

/// A host, decrypted.
#[derive(Debug, Clone)]
pub struct HostRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub email: String,
    /// False once the identity provider deactivated them (SCIM): out of the kiosk directory,
    /// no new check-ins or invitations; their past visits keep them.
    pub active: bool,
    /// Kept by the identity provider (SCIM).
    pub provisioned: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RawHost {
    id: Uuid,
    site_id: Uuid,
    name_enc: Vec<u8>,
    email_enc: Vec<u8>,
    active: bool,
    provisioned: bool,
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
        concat!(
            "SELECT id, site_id, name_enc, email_enc, active, created_at, \
             EXISTS (SELECT 1 FROM scim_users s WHERE s.tenant_id = hosts.tenant_id AND s.id = hosts.id) AS provisioned \
             FROM hosts WHERE tenant_id = $1",
            $rest
        )
    };
}

impl TenantTx {
    pub async fn insert_site(
        &mut self,
        name: &str,
        timezone: &str,
        arrival_instructions: Option<&str>,
    ) -> Result<SiteRow, Error> {
        const SQL: &str = "INSERT INTO sites (tenant_id, id, name, timezone, arrival_instructions, created_at) \
                           VALUES ($1, $2, $3, $4, $5, $6)";
        let row = SiteRow {
            id: new_id(),
            name: name.to_owned(),
            timezone: timezone.to_owned(),
            arrival_instructions: arrival_instructions.map(str::to_owned),
            auto_checkout_at: None,
            emergency_contacts: "[]".to_owned(),
            created_at: self.now(),
        };
        let instructions = row.arrival_instructions.as_deref();
        self.execute(
            SQL,
            (
                row.id,
                &row.name,
                &row.timezone,
                instructions,
                row.created_at,
            ),
        )
        .await?;
        Ok(row)
    }

    pub async fn site(&mut self, id: Uuid) -> Result<Option<SiteRow>, Error> {
        self.fetch_optional(
            "SELECT id, name, timezone, arrival_instructions, auto_checkout_at, emergency_contacts, created_at FROM sites WHERE tenant_id = $1 AND id = $2",
            (id,),
        )
        .await
    }

    pub async fn sites(&mut self) -> Result<Vec<SiteRow>, Error> {
        self.fetch_all("SELECT id, name, timezone, arrival_instructions, auto_checkout_at, emergency_contacts, created_at FROM sites WHERE tenant_id = $1 ORDER BY name, id", ()).await
    }

    pub async fn update_site(&mut self, site: &SiteRow) -> Result<(), Error> {
        const SQL: &str = "UPDATE sites SET name = $3, timezone = $4, arrival_instructions = $5, auto_checkout_at = $6, \
                           emergency_contacts = $7 WHERE tenant_id = $1 AND id = $2";
        let instructions = site.arrival_instructions.as_deref();
        let auto = site.auto_checkout_at.as_deref();
        let contacts = &site.emergency_contacts;
        self.execute(
            SQL,
            (
                site.id,
                &site.name,
                &site.timezone,
                instructions,
                auto,
                contacts,
            ),
        )
        .await?;
        Ok(())
    }

    /// Deletes a site that nothing refers to any more; one with hosts, kiosks or visits is a conflict.
    pub async fn delete_site(&mut self, id: Uuid) -> Result<bool, Error> {
        self.delete_unreferenced(
            "DELETE FROM sites WHERE tenant_id = $1 AND id = $2",
            id,
            "the site still has hosts, kiosks or visits",
        )
        .await
    }

    /// Runs a delete of one row by id; a foreign-key refusal becomes a conflict with `conflict`.
    async fn delete_unreferenced(
        &mut self,
        sql: &'static str,
        id: Uuid,
        conflict: &'static str,
    ) -> Result<bool, Error> {
        match self.execute(sql, (id,)).await {
            Ok(n) => Ok(n > 0),
            Err(Error::Database(sqlx::Error::Database(d))) if d.is_foreign_key_violation() => {
                Err(Error::Conflict(conflict))
            }
            Err(e) => Err(e),
        }
    }

    fn host_from(&self, r: RawHost) -> Result<HostRow, Error> {
        Ok(HostRow {
            name: self.keys.open(HOST_NAME, r.id, &r.name_enc)?,
            email: self.keys.open(HOST_EMAIL, r.id, &r.email_enc)?,
            id: r.id,
            site_id: r.site_id,
            active: r.active,
            provisioned: r.provisioned,
            created_at: r.created_at,
        })
    }

    /// Inserts a host; its site must exist in this tenant.
    pub async fn insert_host(&mut self, host: &NewHost) -> Result<HostRow, Error> {
        if self.site(host.site_id).await?.is_none() {
            return Err(Error::InvalidInput("site_id: no such site".into()));
        }
        const SQL: &str = "INSERT INTO hosts (tenant_id, id, site_id, name_enc, email_enc, email_idx, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let (id, created_at) = (new_id(), self.now());
        let name_enc = self.keys.seal(HOST_NAME, id, &host.name);
        let email_enc = self.keys.seal(HOST_EMAIL, id, host.email.as_str());
        let email_idx = self.keys.email_index(&host.email);
        self.execute(
            SQL,
            (id, host.site_id, name_enc, email_enc, email_idx, created_at),
        )
        .await?;
        Ok(HostRow {
            id,
            site_id: host.site_id,
            name: host.name.clone(),
            email: host.email.as_str().to_owned(),
            active: true,
            provisioned: false,
            created_at,
        })
    }

    pub async fn host(&mut self, id: Uuid) -> Result<Option<HostRow>, Error> {
        let raw: Option<RawHost> = self
            .fetch_optional(host_select!(" AND id = $2"), (id,))
            .await?;
        raw.map(|r| self.host_from(r)).transpose()
    }

    /// Every host, or those of one site.
    pub async fn hosts(&mut self, site: Option<Uuid>) -> Result<Vec<HostRow>, Error> {
        let raws: Vec<RawHost> = self
            .fetch_all(
                host_select!(" AND ($2 IS NULL OR site_id = $2) ORDER BY created_at, id"),
                (site,),
            )
            .await?;
        raws.into_iter().map(|r| self.host_from(r)).collect()
    }

    pub async fn update_host(&mut self, host: &HostRow, email: &Email) -> Result<(), Error> {
        if self.site(host.site_id).await?.is_none() {
            return Err(Error::InvalidInput("site_id: no such site".into()));
        }
        const SQL: &str = "UPDATE hosts SET site_id = $3, name_enc = $4, email_enc = $5, email_idx = $6 WHERE tenant_id = $1 AND id = $2";
        let name_enc = self.keys.seal(HOST_NAME, host.id, &host.name);
        let email_enc = self.keys.seal(HOST_EMAIL, host.id, email.as_str());
        let email_idx = self.keys.email_index(email);
        self.execute(SQL, (host.id, host.site_id, name_enc, email_enc, email_idx))
            .await?;
        Ok(())
    }

    /// Deletes a host without visits; one with visits is a conflict (the visit log keeps them).
    pub async fn delete_host(&mut self, id: Uuid) -> Result<bool, Error> {
        self.delete_unreferenced(
            "DELETE FROM hosts WHERE tenant_id = $1 AND id = $2",
            id,
            "the host has visits",
        )
        .await
    }
}
