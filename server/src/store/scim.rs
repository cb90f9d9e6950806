//! SCIM-provisioned users: each is a host (`hosts`, the same id) plus the SCIM resource the
//! identity provider wrote (`scim_users.resource_enc`, sealed like any personal field), found by
//! the blind indexes of its `userName` (case aside) and `externalId`. The host's name, email and
//! `active` follow the resource; removing a user deactivates its host (the visit log keeps it).

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vestibule_shared::types::Email;

use super::sealed::{HOST_EMAIL, HOST_NAME, SCIM_RESOURCE};
use super::{TenantTx, UserRow, is_unique_violation};
use crate::{error::Error, ids::new_id};

/// A user as the identity provider last wrote it.
#[derive(Debug, Clone)]
pub struct ScimUserRow {
    pub id: Uuid,
    /// The stored attributes (JSON text of an object: userName, externalId, name, displayName,
    /// emails, active), without `id` or `meta`.
    pub resource: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RawUser {
    id: Uuid,
    resource_enc: Vec<u8>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// What a create or replace writes, validated.
#[derive(Debug, Clone)]
pub struct ScimWrite {
    pub user_name: String,
    pub external_id: Option<String>,
    /// The host's name, email and `active` (true unless the resource says false), derived from
    /// the resource.
    pub host_name: String,
    pub host_email: Email,
    pub active: bool,
    /// `userType`, which may give the user a sign-in (`http/scim/sign_in.rs`).
    pub user_type: Option<String>,
    /// The JSON text to keep (see [`ScimUserRow::resource`]).
    pub resource: String,
}

/// Which users a list wants (SCIM `filter`, the forms identity providers send).
#[derive(Debug, Clone, Default)]
pub enum ScimFilter {
    #[default]
    All,
    UserName(String),
    ExternalId(String),
    Id(Uuid),
}

const SELECT: &str = "SELECT s.id, s.resource_enc, s.version, s.created_at, s.updated_at FROM scim_users s WHERE s.tenant_id = $1";

const TAKEN: &str = "userName is already taken";

impl TenantTx {
    fn user_name_index(&self, user_name: &str) -> Vec<u8> {
        self.keys
            .code_index("scim-user-name", &user_name.trim().to_lowercase())
    }

    fn external_id_index(&self, external_id: &str) -> Vec<u8> {
        self.keys.code_index("scim-external-id", external_id)
    }

    fn scim_from(&self, r: RawUser) -> Result<ScimUserRow, Error> {
        Ok(ScimUserRow {
            resource: self.keys.open(SCIM_RESOURCE, r.id, &r.resource_enc)?,
            id: r.id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    /// Provisions a user: a host at the tenant's first site, and its resource.
    pub async fn scim_create(&mut self, user: &ScimWrite) -> Result<ScimUserRow, Error> {
        const SITE: &str =
            "SELECT id FROM sites WHERE tenant_id = $1 ORDER BY created_at, id LIMIT 1";
        let site: Option<(Uuid,)> = self.fetch_optional(SITE, ()).await?;
        let Some((site_id,)) = site else {
            return Err(Error::Conflict(
                "the company has no site yet: an admin adds one first",
            ));
        };
        let id = new_id();
        let now = self.now();
        const HOST: &str = "INSERT INTO hosts (tenant_id, id, site_id, name_enc, email_enc, email_idx, active, created_at) \
                            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let host = (
            id,
            site_id,
            self.keys.seal(HOST_NAME, id, &user.host_name),
            self.keys.seal(HOST_EMAIL, id, user.host_email.as_str()),
            self.keys.email_index(&user.host_email),
            user.active,
            now,
        );
        self.execute(HOST, host).await?;
        const USER: &str = "INSERT INTO scim_users (tenant_id, id, user_name_idx, external_id_idx, resource_enc, version, created_at, updated_at) \
                            SELECT $1, $2, $3, $4, $5, 1, $6, $6 \
                            WHERE NOT EXISTS (SELECT 1 FROM scim_users WHERE tenant_id = $1 AND user_name_idx = $3)";
        let params = (
            id,
            self.user_name_index(&user.user_name),
            user.external_id
                .as_deref()
                .map(|e| self.external_id_index(e)),
            self.keys.seal(SCIM_RESOURCE, id, &user.resource),
            now,
        );
        match self.execute(USER, params).await {
            Ok(0) => return Err(Error::Conflict(TAKEN)),
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(Error::Conflict(TAKEN)),
            Err(e) => return Err(e),
        }
        Ok(ScimUserRow {
            id,
            resource: user.resource.clone(),
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    pub async fn scim_user(&mut self, id: Uuid) -> Result<Option<ScimUserRow>, Error> {
        let sql = format!("{SELECT} AND s.id = $2");
        let raw: Option<RawUser> = self.fetch_optional(sqlx::AssertSqlSafe(sql), (id,)).await?;
        raw.map(|r| self.scim_from(r)).transpose()
    }

    /// A page of users (oldest first; `offset` from 0) and how many match in all.
    pub async fn scim_users(
        &mut self,
        filter: &ScimFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ScimUserRow>, i64), Error> {
        let (name, external, id) = match filter {
            ScimFilter::All => (None, None, None),
            ScimFilter::UserName(n) => (Some(self.user_name_index(n)), None, None),
            ScimFilter::ExternalId(e) => (None, Some(self.external_id_index(e)), None),
            ScimFilter::Id(id) => (None, None, Some(*id)),
        };
        const WHERE: &str = " AND ($2 IS NULL OR s.user_name_idx = $2) AND ($3 IS NULL OR s.external_id_idx = $3) \
                              AND ($4 IS NULL OR s.id = $4)";
        let count = format!("SELECT COUNT(*) FROM scim_users s WHERE s.tenant_id = $1{WHERE}");
        let total: i64 = self
            .scalar(
                sqlx::AssertSqlSafe(count),
                (name.clone(), external.clone(), id),
            )
            .await?;
        let page = format!("{SELECT}{WHERE} ORDER BY s.created_at, s.id LIMIT $5 OFFSET $6");
        let raws: Vec<RawUser> = self
            .fetch_all(
                sqlx::AssertSqlSafe(page),
                (name, external, id, limit, offset),
            )
            .await?;
        let rows = raws
            .into_iter()
            .map(|r| self.scim_from(r))
            .collect::<Result<_, _>>()?;
        Ok((rows, total))
    }

    /// Replaces a user's resource and its host's name, email and `active`; `None` when no such
    /// user. The host keeps its site.
    pub async fn scim_replace(
        &mut self,
        id: Uuid,
        user: &ScimWrite,
    ) -> Result<Option<ScimUserRow>, Error> {
        let name_idx = self.user_name_index(&user.user_name);
        const CLASH: &str = "SELECT EXISTS (SELECT 1 FROM scim_users WHERE tenant_id = $1 AND user_name_idx = $2 AND id <> $3)";
        let clash: bool = self.scalar(CLASH, (name_idx.clone(), id)).await?;
        if clash {
            return Err(Error::Conflict(TAKEN));
        }
        let now = self.now();
        const USER: &str = "UPDATE scim_users SET user_name_idx = $3, external_id_idx = $4, resource_enc = $5, \
                            version = version + 1, updated_at = $6 WHERE tenant_id = $1 AND id = $2";
        let params = (
            id,
            name_idx,
            user.external_id
                .as_deref()
                .map(|e| self.external_id_index(e)),
            self.keys.seal(SCIM_RESOURCE, id, &user.resource),
            now,
        );
        if self.execute(USER, params).await? == 0 {
            return Ok(None);
        }
        const HOST: &str = "UPDATE hosts SET name_enc = $3, email_enc = $4, email_idx = $5, active = $6 \
                            WHERE tenant_id = $1 AND id = $2";
        let host = (
            id,
            self.keys.seal(HOST_NAME, id, &user.host_name),
            self.keys.seal(HOST_EMAIL, id, user.host_email.as_str()),
            self.keys.email_index(&user.host_email),
            user.active,
        );
        self.execute(HOST, host).await?;
        self.scim_user(id).await
    }

    /// Removes a user: its host is deactivated (kept for the visit log; an admin may delete it).
    pub async fn scim_delete(&mut self, id: Uuid) -> Result<bool, Error> {
        let n = self
            .execute(
                "DELETE FROM scim_users WHERE tenant_id = $1 AND id = $2",
                (id,),
            )
            .await?;
        if n > 0 {
            self.execute(
                "UPDATE hosts SET active = false WHERE tenant_id = $1 AND id = $2",
                (id,),
            )
            .await?;
        }
        Ok(n > 0)
    }
}

impl TenantTx {
    /// The user account the SCIM user `host` was given to sign in with, if any.
    pub async fn scim_login(&mut self, host: Uuid) -> Result<Option<UserRow>, Error> {
        let id: Option<(Uuid,)> = self
            .fetch_optional(
                "SELECT id FROM users WHERE tenant_id = $1 AND scim_host_id = $2",
                (host,),
            )
            .await?;
        match id {
            Some((id,)) => self.user(id).await,
            None => Ok(None),
        }
    }

    /// Marks `user` as the sign-in of the SCIM user `host`.
    pub async fn link_scim_login(&mut self, user: Uuid, host: Uuid) -> Result<(), Error> {
        self.execute(
            "UPDATE users SET scim_host_id = $3 WHERE tenant_id = $1 AND id = $2",
            (user, host),
        )
        .await?;
        Ok(())
    }
}
