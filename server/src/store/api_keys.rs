//! A tenant's API keys: a name, scopes (space-separated in `scopes`), the SHA-256 of the secret,
//! when each was made, last used and revoked. The platform operator's keys share the table with
//! no tenant (`accounts.rs`); row-level security keeps each tenant to its own.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vestibule_shared::dto::api_keys::ApiScope;

use super::TenantTx;
use crate::{error::Error, ids::new_id};

/// A tenant's key as stored (its hash, never its secret).
#[derive(Debug, Clone)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub token_hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct RawKey {
    id: Uuid,
    name: String,
    scopes: String,
    token_hash: Vec<u8>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<RawKey> for ApiKeyRow {
    fn from(r: RawKey) -> Self {
        Self {
            // A scope this build does not know (written by a newer one) grants nothing.
            scopes: r.scopes.split(' ').filter_map(ApiScope::parse).collect(),
            id: r.id,
            name: r.name,
            token_hash: r.token_hash,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

macro_rules! key_select {
    ($rest:literal) => {
        concat!(
            "SELECT id, name, scopes, token_hash, created_at, last_used_at, revoked_at FROM api_keys WHERE tenant_id = $1",
            $rest
        )
    };
}

impl TenantTx {
    /// Stores a new key of this tenant.
    pub async fn insert_api_key(
        &mut self,
        name: &str,
        scopes: &[ApiScope],
        token_hash: &[u8],
    ) -> Result<ApiKeyRow, Error> {
        let mut scopes = scopes.to_vec();
        scopes.sort();
        scopes.dedup();
        let text = scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let row = ApiKeyRow {
            id: new_id(),
            name: name.to_owned(),
            scopes,
            token_hash: token_hash.to_vec(),
            created_at: self.now(),
            last_used_at: None,
            revoked_at: None,
        };
        const SQL: &str = "INSERT INTO api_keys (id, tenant_id, name, token_hash, scopes, created_at) VALUES ($2, $1, $3, $4, $5, $6)";
        self.execute(SQL, (row.id, &row.name, token_hash, text, row.created_at))
            .await?;
        Ok(row)
    }

    /// Every key of the tenant, revoked ones included, oldest first.
    pub async fn api_keys(&mut self) -> Result<Vec<ApiKeyRow>, Error> {
        let rows: Vec<RawKey> = self
            .fetch_all(key_select!(" ORDER BY created_at, id"), ())
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn api_key(&mut self, id: Uuid) -> Result<Option<ApiKeyRow>, Error> {
        let row: Option<RawKey> = self
            .fetch_optional(key_select!(" AND id = $2"), (id,))
            .await?;
        Ok(row.map(Into::into))
    }

    /// The unrevoked key with this hash.
    pub async fn live_api_key(&mut self, token_hash: &[u8]) -> Result<Option<ApiKeyRow>, Error> {
        let row: Option<RawKey> = self
            .fetch_optional(
                key_select!(" AND token_hash = $2 AND revoked_at IS NULL"),
                (token_hash,),
            )
            .await?;
        Ok(row.map(Into::into))
    }

    /// Revokes a key: it stops working on every replica with the next request (keys are not cached).
    pub async fn revoke_api_key(&mut self, id: Uuid) -> Result<bool, Error> {
        const SQL: &str = "UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL";
        Ok(self.execute(SQL, (id, self.now())).await? > 0)
    }

    pub async fn touch_api_key(&mut self, id: Uuid) -> Result<(), Error> {
        const SQL: &str = "UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2";
        self.execute(SQL, (id, self.now())).await?;
        Ok(())
    }
}
