//! Visitor passes: a returning visitor's personal code, emailed after a visit on which they asked
//! for one. At any kiosk of the tenant it stands for their details; they pick a host (or come on an
//! invitation's), agree, and are in. Nothing of the visitor is ever shown for a typed email.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::types::{LinkToken, PassCode, Purpose};

/// `POST /api/v1/kiosk/visits` with a pass: the code stands for the visitor's details. Without
/// `host_id` the host is that of the invitation the visitor is expected on today at this site.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemPass {
    pub pass_code: PassCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Purpose>,
}

/// `POST /api/v1/kiosk/passes/lookup`: a pass code, to greet its holder before the agreement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PassLookup {
    pub pass_code: PassCode,
}

/// What the kiosk may show a pass holder: their first name, and the host's name when they are
/// expected today at this site on an invitation (that host is then theirs without asking).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PassGreeting {
    pub visitor_first_name: String,
    pub host_name: Option<String>,
}

/// Where a pass stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PassState {
    /// Asked for at check-in; issued and emailed when the visit ends.
    Requested,
    /// Issued: good at any kiosk of the tenant until `expires_at`.
    Active,
    /// Revoked by staff or by the visitor.
    Revoked,
    /// Its time ran out.
    Expired,
}

/// A visitor's pass as staff see it on a visit (`GET /api/v1/visits/{id}/pass`): the newest pass
/// of the person with that visit's email. Never its code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitorPass {
    pub id: Uuid,
    pub state: PassState,
    /// The visit on which it was asked for.
    pub visit_id: Uuid,
    pub issued_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// How many check-ins it made, and the last one's time.
    pub uses: i64,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/passes/revoke`: the visitor's own revocation, with the token of their email's link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokePass {
    pub token: LinkToken,
}
