//! Tenants, users, login and sessions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::types::{Email, Label, Password, PersonName, Pin, Slug};

/// A tenant's commercial plan. No card data is ever stored; this is the whole of billing here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Free,
    Business,
    Enterprise,
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages the tenant: sites, hosts, users, kiosks, the visit log.
    Admin,
    /// Runs a front desk: kiosk override with a PIN, the visit log.
    Receptionist,
    /// An employee who receives visitors: sees only their own visitors (the hosts whose email is
    /// theirs), in the console; no override, no settings.
    Host,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    pub slug: Slug,
    pub name: Label,
    pub plan: Plan,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub plan: Plan,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: Email,
    pub name: PersonName,
    pub role: Role,
    pub password: Password,
    /// The kiosk override PIN (receptionists).
    #[serde(default)]
    pub pin: Option<Pin>,
}

/// Every field optional; only the given ones change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub name: Option<PersonName>,
    pub role: Option<Role>,
    pub password: Option<Password>,
    pub pin: Option<Pin>,
    pub disabled: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub has_pin: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// The tenant's slug.
    pub tenant: Slug,
    pub email: Email,
    pub password: Password,
    /// A browser sign-in: the session goes in the `__Host-vestibule_session` cookie (HttpOnly,
    /// Secure, SameSite=Strict) instead of the answer, so no script can read it.
    #[serde(default)]
    pub cookie: bool,
}

/// A session and when it stops working: the bearer token, unless it went into a cookie.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionToken {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// The signed-in user, and the value a browser session's writes must send in `X-CSRF-Token`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    #[serde(flatten)]
    pub user: User,
    pub csrf_token: String,
}
