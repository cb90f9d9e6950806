//! SAML single sign-on rows of a tenant: its IdP configuration (JSON, nothing secret or personal),
//! the SP-initiated requests in flight (their IDs, for `InResponseTo`) and the replay cache of
//! used assertion IDs. All three live in the database so they hold across replicas.

use chrono::{DateTime, Utc};

use super::TenantTx;
use crate::error::Error;

impl TenantTx {
    /// The tenant's SAML configuration (JSON), whether SSO is enforced, and when it was set.
    pub async fn saml_config(&mut self) -> Result<Option<(String, bool, DateTime<Utc>)>, Error> {
        const SQL: &str =
            "SELECT config, enforce, updated_at FROM saml_configs WHERE tenant_id = $1";
        self.fetch_optional(SQL, ()).await
    }

    /// Whether password login is refused for this tenant.
    pub async fn sso_enforced(&mut self) -> Result<bool, Error> {
        Ok(self
            .saml_config()
            .await?
            .is_some_and(|(_, enforce, _)| enforce))
    }

    /// Creates or replaces the tenant's SAML configuration.
    pub async fn put_saml_config(&mut self, config: &str, enforce: bool) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO saml_configs (tenant_id, config, enforce, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id) DO UPDATE SET config = excluded.config, enforce = excluded.enforce, updated_at = excluded.updated_at";
        self.execute(SQL, (config, enforce, self.now())).await?;
        Ok(())
    }

    /// Removes the SAML configuration and every request in flight; false if there was none.
    pub async fn delete_saml_config(&mut self) -> Result<bool, Error> {
        self.execute("DELETE FROM saml_requests WHERE tenant_id = $1", ())
            .await?;
        Ok(self
            .execute("DELETE FROM saml_configs WHERE tenant_id = $1", ())
            .await?
            > 0)
    }

    /// Records an AuthnRequest sent to the IdP; expired ones of the tenant are swept first.
    pub async fn insert_saml_request(
        &mut self,
        id: &str,
        relay_path: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO saml_requests (tenant_id, id, relay_path, expires_at) VALUES ($1, $2, $3, $4)";
        self.execute(
            "DELETE FROM saml_requests WHERE tenant_id = $1 AND expires_at <= $2",
            (self.now(),),
        )
        .await?;
        self.execute(SQL, (id, relay_path, expires_at)).await?;
        Ok(())
    }

    /// The relay path of the unexpired request `id`, if there is one.
    pub async fn saml_request(&mut self, id: &str) -> Result<Option<String>, Error> {
        const SQL: &str = "SELECT relay_path FROM saml_requests WHERE tenant_id = $1 AND id = $2 AND expires_at > $3";
        Ok(self
            .fetch_optional::<(String,)>(SQL, (id, self.now()))
            .await?
            .map(|(path,)| path))
    }

    /// Uses up the request `id`: true if it was still there (a request answers one login only).
    pub async fn take_saml_request(&mut self, id: &str) -> Result<bool, Error> {
        const SQL: &str =
            "DELETE FROM saml_requests WHERE tenant_id = $1 AND id = $2 AND expires_at > $3";
        Ok(self.execute(SQL, (id, self.now())).await? > 0)
    }

    /// Marks an assertion ID used until `expires_at`; false if it was used before (a replay).
    /// Expired entries of the tenant are swept first.
    pub async fn use_assertion_id(
        &mut self,
        assertion_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, Error> {
        const SQL: &str = "INSERT INTO saml_replay (tenant_id, assertion_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, assertion_id) DO NOTHING";
        self.execute(
            "DELETE FROM saml_replay WHERE tenant_id = $1 AND expires_at <= $2",
            (self.now(),),
        )
        .await?;
        Ok(self.execute(SQL, (assertion_id, expires_at)).await? > 0)
    }
}
