//! API keys: credentials a tenant admin makes for another system (an HR directory, a SIEM, a
//! script). A key names the scopes it may use; each route says which scope lets a key in, in the
//! OpenAPI document (security scheme `api_key`), and a key can do nothing else.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::types::Label;

/// What a key may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum ApiScope {
    /// Read the visit log, one visit, its CSV export and the day's counts.
    #[serde(rename = "visits:read")]
    VisitsRead,
    /// Create, list, resend and cancel invitations.
    #[serde(rename = "invites:write")]
    InvitesWrite,
    /// Keep the host directory: create, change, remove, import.
    #[serde(rename = "hosts:write")]
    HostsWrite,
    /// SCIM 2.0 provisioning of the directory (`/scim/v2/`).
    #[serde(rename = "scim")]
    Scim,
    /// The live stream of visit changes (`GET /api/v1/events`).
    #[serde(rename = "events:read")]
    EventsRead,
}

impl ApiScope {
    pub const ALL: [ApiScope; 5] = [
        ApiScope::VisitsRead,
        ApiScope::InvitesWrite,
        ApiScope::HostsWrite,
        ApiScope::Scim,
        ApiScope::EventsRead,
    ];

    /// The scope as written on the wire and in the OpenAPI document.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::VisitsRead => "visits:read",
            ApiScope::InvitesWrite => "invites:write",
            ApiScope::HostsWrite => "hosts:write",
            ApiScope::Scim => "scim",
            ApiScope::EventsRead => "events:read",
        }
    }

    /// The scope named `s`, if any.
    pub fn parse(s: &str) -> Option<ApiScope> {
        ApiScope::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// `POST /api/v1/api-keys`: a name to know the key by, and at least one scope.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    pub name: Label,
    #[schema(min_items = 1)]
    pub scopes: Vec<ApiScope>,
}

/// A key as listed: never its secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub created_at: DateTime<Utc>,
    /// When the key last got in (kept to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new key and its secret, shown this once (send it as `Authorization: Bearer <key>`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyCreated {
    #[serde(flatten)]
    pub api_key: ApiKey,
    pub key: String,
}
