//! SAML single sign-on rows of a tenant: its IdP configuration (JSON, nothing secret or personal),
//! the SP-initiated requests in flight (their IDs, for `InResponseTo`) and the replay cache of
//! used assertion IDs. All three live in the database so they hold across replicas.

use chrono::{DateTime, Utc};

use super::{TenantTx, now, on_tx};
use crate::error::Error;

impl TenantTx {
    /// The tenant's SAML configuration (JSON), whether SSO is enforced, and when it was set.
    pub async fn saml_config(&mut self) -> Result<Option<(String, bool, DateTime<Utc>)>, Error> {
        const SQL: &str = "SELECT config, enforce, updated_at FROM saml_configs WHERE tenant_id = $1";
        let t = self.tenant.0;
        Ok(on_tx!(&mut self.tx, |c| sqlx::query_as(SQL).bind(t).fetch_optional(c).await)?)
    }

    /// Whether password login is refused for this tenant.
    pub async fn sso_enforced(&mut self) -> Result<bool, Error> {
        Ok(self.saml_config().await?.is_some_and(|(_, enforce, _)| enforce))
    }

    /// Creates or replaces the tenant's SAML configuration.
    pub async fn put_saml_config(&mut self, config: &str, enforce: bool) -> Result<(), Error> {
        let t = self.tenant.0;
        on_tx!(&mut self.tx, |c| sqlx::query(
            "INSERT INTO saml_configs (tenant_id, config, enforce, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id) DO UPDATE SET config = excluded.config, enforce = excluded.enforce, updated_at = excluded.updated_at"
        )
        .bind(t)
        .bind(config)
        .bind(enforce)
        .bind(now())
        .execute(c)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Removes the SAML configuration and every request in flight; false if there was none.
    pub async fn delete_saml_config(&mut self) -> Result<bool, Error> {
        let t = self.tenant.0;
        on_tx!(&mut self.tx, |c| sqlx::query("DELETE FROM saml_requests WHERE tenant_id = $1").bind(t).execute(&mut *c).await.map(|_| ()))?;
        let n = on_tx!(&mut self.tx, |c| sqlx::query("DELETE FROM saml_configs WHERE tenant_id = $1")
            .bind(t)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Records an AuthnRequest sent to the IdP; expired ones of the tenant are swept first.
    pub async fn insert_saml_request(&mut self, id: &str, relay_path: &str, expires_at: DateTime<Utc>) -> Result<(), Error> {
        let t = self.tenant.0;
        let at = now();
        on_tx!(&mut self.tx, |c| sqlx::query("DELETE FROM saml_requests WHERE tenant_id = $1 AND expires_at <= $2")
            .bind(t)
            .bind(at)
            .execute(&mut *c)
            .await
            .map(|_| ()))?;
        on_tx!(&mut self.tx, |c| sqlx::query("INSERT INTO saml_requests (tenant_id, id, relay_path, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(t)
            .bind(id)
            .bind(relay_path)
            .bind(expires_at)
            .execute(c)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// The relay path of the unexpired request `id`, if there is one.
    pub async fn saml_request(&mut self, id: &str) -> Result<Option<String>, Error> {
        const SQL: &str = "SELECT relay_path FROM saml_requests WHERE tenant_id = $1 AND id = $2 AND expires_at > $3";
        let t = self.tenant.0;
        let at = now();
        Ok(on_tx!(&mut self.tx, |c| sqlx::query_scalar(SQL).bind(t).bind(id).bind(at).fetch_optional(c).await)?)
    }

    /// Uses up the request `id`: true if it was still there (a request answers one login only).
    pub async fn take_saml_request(&mut self, id: &str) -> Result<bool, Error> {
        let t = self.tenant.0;
        let at = now();
        let n = on_tx!(&mut self.tx, |c| sqlx::query("DELETE FROM saml_requests WHERE tenant_id = $1 AND id = $2 AND expires_at > $3")
            .bind(t)
            .bind(id)
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Marks an assertion ID used until `expires_at`; false if it was used before (a replay).
    /// Expired entries of the tenant are swept first.
    pub async fn use_assertion_id(&mut self, assertion_id: &str, expires_at: DateTime<Utc>) -> Result<bool, Error> {
        let t = self.tenant.0;
        let at = now();
        on_tx!(&mut self.tx, |c| sqlx::query("DELETE FROM saml_replay WHERE tenant_id = $1 AND expires_at <= $2")
            .bind(t)
            .bind(at)
            .execute(&mut *c)
            .await
            .map(|_| ()))?;
        let n = on_tx!(&mut self.tx, |c| {
            sqlx::query(
            "INSERT INTO saml_replay (tenant_id, assertion_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, assertion_id) DO NOTHING"
        )
        .bind(t)
        .bind(assertion_id)
        .bind(expires_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(n > 0)
    }
}
