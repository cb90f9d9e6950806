//! Tenants (global), users, sessions and platform keys.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;
use vestibule_shared::{
    dto::accounts::{Plan, Role},
    types::Email,
};

use super::sealed::{USER_EMAIL, USER_NAME};
use super::{GlobalTx, TenantTx, is_unique_violation};
use crate::{error::Error, ids::new_id};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenantRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub plan: String,
    pub created_at: DateTime<Utc>,
}

impl TenantRow {
    pub fn plan(&self) -> Plan {
        plan_of(&self.plan)
    }
}

/// What routing needs of a tenant looked up before it is entered (by slug or id), and no more.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenantRoute {
    pub id: Uuid,
    pub plan: String,
}

impl TenantRoute {
    pub fn plan(&self) -> Plan {
        plan_of(&self.plan)
    }
}

fn plan_of(plan: &str) -> Plan {
    match plan {
        "enterprise" => Plan::Enterprise,
        "business" => Plan::Business,
        _ => Plan::Free,
    }
}

pub fn plan_str(plan: Plan) -> &'static str {
    match plan {
        Plan::Free => "free",
        Plan::Business => "business",
        Plan::Enterprise => "enterprise",
    }
}

pub fn role_str(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Receptionist => "receptionist",
        Role::Host => "host",
    }
}

impl GlobalTx {
    /// Creates a tenant row. The transaction enters the new tenant first (on PostgreSQL the app
    /// role may write only the current tenant's row) and stays in it.
    pub async fn insert_tenant(
        &mut self,
        slug: &str,
        name: &str,
        plan: Plan,
    ) -> Result<TenantRow, Error> {
        const SQL: &str = "INSERT INTO tenants (id, slug, name, plan, audit_seq, audit_head, created_at) VALUES ($1, $2, $3, $4, 0, $5, $6)";
        let row = TenantRow {
            id: new_id(),
            slug: slug.to_owned(),
            name: name.to_owned(),
            plan: plan_str(plan).to_owned(),
            created_at: self.now(),
        };
        let genesis = [0u8; 32];
        self.tx.set_tenant(crate::ids::TenantId(row.id)).await?;
        match self
            .tx
            .execute(
                SQL,
                (
                    row.id,
                    &row.slug,
                    &row.name,
                    &row.plan,
                    &genesis[..],
                    row.created_at,
                ),
            )
            .await
        {
            Err(e) if is_unique_violation(&e) => {
                Err(Error::Conflict("a tenant with this slug already exists"))
            }
            other => other.map(|_| row),
        }
    }

    /// The tenant with this slug, as routing needs it.
    pub async fn tenant_by_slug(&mut self, slug: &str) -> Result<Option<TenantRoute>, Error> {
        let sql = self.tx.dialect().tenant_route_by_slug();
        self.tx.fetch_optional(sql, (slug,)).await
    }

    /// Every site with a daily automatic sign-out, across tenants: `(tenant, site, HH:MM, time
    /// zone)`.
    pub async fn auto_checkout_sites(
        &mut self,
    ) -> Result<Vec<(Uuid, Uuid, String, String)>, Error> {
        let sql = self.tx.dialect().auto_checkout_sites();
        self.tx.fetch_all(sql, ()).await
    }

    /// Every tenant whose retention run of `day` has not happened yet: `(tenant, retention
    /// days)`.
    pub async fn retention_due(&mut self, day: NaiveDate) -> Result<Vec<(Uuid, i32)>, Error> {
        let sql = self.tx.dialect().retention_due();
        self.tx.fetch_all(sql, (day,)).await
    }

    /// The tenant with this id, as routing needs it.
    pub async fn tenant_by_id(&mut self, id: Uuid) -> Result<Option<TenantRoute>, Error> {
        let sql = self.tx.dialect().tenant_route_by_id();
        self.tx.fetch_optional(sql, (id,)).await
    }

    /// Stores the hash of a new platform-operator token.
    pub async fn insert_platform_key(
        &mut self,
        name: &str,
        token_hash: &[u8],
    ) -> Result<Uuid, Error> {
        const SQL: &str = "INSERT INTO api_keys (id, tenant_id, name, token_hash, scopes, created_at) VALUES ($1, NULL, $2, $3, 'operator', $4)";
        let (id, at) = (new_id(), self.now());
        self.tx.execute(SQL, (id, name, token_hash, at)).await?;
        Ok(id)
    }

    /// The id of the live platform key with this hash.
    pub async fn platform_key(
        &mut self,
        token_hash: &[u8],
    ) -> Result<Option<(Uuid, Vec<u8>)>, Error> {
        const SQL: &str = "SELECT id, token_hash FROM api_keys WHERE tenant_id IS NULL AND token_hash = $1 AND revoked_at IS NULL";
        self.tx.fetch_optional(SQL, (token_hash,)).await
    }
}

/// A user, decrypted.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub pin_hash: Option<String>,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RawUser {
    id: Uuid,
    email_enc: Vec<u8>,
    name_enc: Vec<u8>,
    password_hash: String,
    pin_hash: Option<String>,
    role: String,
    disabled: bool,
    created_at: DateTime<Utc>,
}

macro_rules! user_select {
    ($rest:literal) => {
        concat!(
            "SELECT id, email_enc, name_enc, password_hash, pin_hash, role, disabled, created_at ",
            "FROM users WHERE tenant_id = $1",
            $rest
        )
    };
}

impl TenantTx {
    fn user_from(&self, r: RawUser) -> Result<UserRow, Error> {
        let c = &self.keys;
        Ok(UserRow {
            email: c.open(USER_EMAIL, r.id, &r.email_enc)?,
            name: c.open(USER_NAME, r.id, &r.name_enc)?,
            id: r.id,
            password_hash: r.password_hash,
            pin_hash: r.pin_hash,
            role: match r.role.as_str() {
                "admin" => Role::Admin,
                "receptionist" => Role::Receptionist,
                _ => Role::Host,
            },
            disabled: r.disabled,
            created_at: r.created_at,
        })
    }

    pub async fn insert_user(
        &mut self,
        email: &Email,
        name: &str,
        role: Role,
        password_hash: &str,
        pin_hash: Option<&str>,
    ) -> Result<UserRow, Error> {
        const SQL: &str = "INSERT INTO users (tenant_id, id, email_enc, email_idx, name_enc, password_hash, pin_hash, role, \
                           disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        let id = new_id();
        let email_enc = self.keys.seal(USER_EMAIL, id, email.as_str());
        let name_enc = self.keys.seal(USER_NAME, id, name);
        let email_idx = self.keys.email_index(email);
        let params = (
            id,
            email_enc,
            email_idx,
            name_enc,
            password_hash,
            pin_hash,
            role_str(role),
            false,
            self.now(),
        );
        match self.execute(SQL, params).await {
            Err(e) if is_unique_violation(&e) => {
                return Err(Error::Conflict("a user with this email already exists"));
            }
            other => other?,
        };
        self.user(id).await?.ok_or(Error::NotFound)
    }

    pub async fn user(&mut self, id: Uuid) -> Result<Option<UserRow>, Error> {
        let raw: Option<RawUser> = self
            .fetch_optional(user_select!(" AND id = $2"), (id,))
            .await?;
        raw.map(|r| self.user_from(r)).transpose()
    }

    pub async fn user_by_email(&mut self, email: &Email) -> Result<Option<UserRow>, Error> {
        let idx = self.keys.email_index(email);
        let raw: Option<RawUser> = self
            .fetch_optional(user_select!(" AND email_idx = $2"), (idx,))
            .await?;
        raw.map(|r| self.user_from(r)).transpose()
    }

    pub async fn users(&mut self) -> Result<Vec<UserRow>, Error> {
        let raws: Vec<RawUser> = self
            .fetch_all(user_select!(" ORDER BY created_at, id"), ())
            .await?;
        raws.into_iter().map(|r| self.user_from(r)).collect()
    }

    /// Writes back the mutable columns of `user` (name, role, hashes, disabled).
    pub async fn update_user(&mut self, user: &UserRow) -> Result<(), Error> {
        const SQL: &str = "UPDATE users SET name_enc = $3, role = $4, password_hash = $5, pin_hash = $6, disabled = $7 WHERE tenant_id = $1 AND id = $2";
        let name_enc = self.keys.seal(USER_NAME, user.id, &user.name);
        let params = (
            user.id,
            name_enc,
            role_str(user.role),
            &user.password_hash,
            user.pin_hash.as_deref(),
            user.disabled,
        );
        self.execute(SQL, params).await?;
        Ok(())
    }

    pub async fn delete_user(&mut self, id: Uuid) -> Result<bool, Error> {
        self.execute(
            "UPDATE hosts SET user_id = NULL WHERE tenant_id = $1 AND user_id = $2",
            (id,),
        )
        .await?;
        Ok(self
            .execute("DELETE FROM users WHERE tenant_id = $1 AND id = $2", (id,))
            .await?
            > 0)
    }

    /// Replaces a password hash (rehash on login when below policy).
    pub async fn set_password_hash(&mut self, user_id: Uuid, hash: &str) -> Result<(), Error> {
        self.execute(
            "UPDATE users SET password_hash = $3 WHERE tenant_id = $1 AND id = $2",
            (user_id, hash),
        )
        .await?;
        Ok(())
    }

    /// This transaction's tenant.
    pub async fn tenant_row(&mut self) -> Result<TenantRow, Error> {
        const SQL: &str = "SELECT id, slug, name, plan, created_at FROM tenants WHERE id = $1";
        self.fetch_optional(SQL, ()).await?.ok_or(Error::NotFound)
    }
}

impl GlobalTx {
    /// The lookup of [`TenantTx::user_by_email`] in a tenant that does not exist: it finds no
    /// one at the same cost, so that signing in to an unknown tenant does the same work as to a
    /// real one.
    pub async fn user_by_email_nowhere(&mut self) -> Result<(), Error> {
        let none: Option<RawUser> = self
            .tx
            .fetch_optional(
                user_select!(" AND email_idx = $2"),
                (Uuid::nil(), &[0u8; 16][..]),
            )
            .await?;
        debug_assert!(none.is_none(), "no user belongs to the nil tenant");
        Ok(())
    }
}
