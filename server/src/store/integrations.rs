//! A tenant's integrations: for now its SMTP server. The settings are stored as JSON; the
//! password is sealed under the tenant's data key (`integrations.secret_enc`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vestibule_shared::dto::mail::SmtpSecurity;
use zeroize::Zeroizing;

use super::TenantTx;
use super::sealed::INTEGRATION_SECRET;
use crate::{error::Error, ids::new_id};

const SMTP: &str = "smtp";

/// Where and how a tenant's mail goes out (everything but the password).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub from_address: String,
    pub from_name: Option<String>,
    pub ca_pem: Option<String>,
}

/// The SMTP settings with the password opened.
pub struct SmtpAccount {
    pub config: SmtpConfig,
    pub password: Option<Zeroizing<String>>,
}

impl TenantTx {
    /// Whether the tenant has an SMTP server (without opening its password).
    pub async fn has_smtp(&mut self) -> Result<bool, Error> {
        const SQL: &str =
            "SELECT EXISTS (SELECT 1 FROM integrations WHERE tenant_id = $1 AND kind = 'smtp')";
        self.scalar(SQL, ()).await
    }

    pub async fn smtp(&mut self) -> Result<Option<SmtpAccount>, Error> {
        let Some((id, config, sealed)) = self.integration(SMTP).await? else {
            return Ok(None);
        };
        let config = serde_json::from_str(&config).map_err(|e| Error::Internal(e.into()))?;
        let password = self
            .keys
            .open_opt(INTEGRATION_SECRET, id, sealed.as_deref())?
            .map(Zeroizing::new);
        Ok(Some(SmtpAccount { config, password }))
    }

    /// Stores the SMTP settings; `password: None` keeps the stored one.
    pub async fn put_smtp(
        &mut self,
        config: &SmtpConfig,
        password: Option<&str>,
    ) -> Result<(), Error> {
        let json = serde_json::to_string(config).map_err(|e| Error::Internal(e.into()))?;
        match self.integration(SMTP).await? {
            Some((id, _, kept)) => {
                let sealed = password
                    .map(|p| self.keys.seal(INTEGRATION_SECRET, id, p))
                    .or(kept);
                const SQL: &str = "UPDATE integrations SET config = $3, secret_enc = $4 WHERE tenant_id = $1 AND id = $2";
                self.execute(SQL, (id, &json, sealed.as_deref())).await?;
            }
            None => {
                let id = new_id();
                let sealed = password.map(|p| self.keys.seal(INTEGRATION_SECRET, id, p));
                const SQL: &str = "INSERT INTO integrations (tenant_id, id, kind, config, secret_enc, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
                self.execute(SQL, (id, SMTP, &json, sealed.as_deref(), self.now()))
                    .await?;
            }
        }
        Ok(())
    }

    /// Removes the SMTP settings; false if there were none.
    pub async fn delete_smtp(&mut self) -> Result<bool, Error> {
        Ok(self
            .execute(
                "DELETE FROM integrations WHERE tenant_id = $1 AND kind = $2",
                (SMTP,),
            )
            .await?
            > 0)
    }

    async fn integration(
        &mut self,
        kind: &str,
    ) -> Result<Option<(Uuid, String, Option<Vec<u8>>)>, Error> {
        const SQL: &str =
            "SELECT id, config, secret_enc FROM integrations WHERE tenant_id = $1 AND kind = $2";
        self.fetch_optional(SQL, (kind,)).await
    }
}
