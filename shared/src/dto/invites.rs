//! Invitations: a visitor expected ahead of time, who checks in at the kiosk with the code of
//! their invitation email.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::types::{CompanyName, Email, InviteCode, Note, PersonName, Purpose};

use super::visits::CheckIn;

/// The invited visitor, as the host types them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitedVisitor {
    pub name: PersonName,
    pub email: Email,
    #[serde(default)]
    pub company: Option<CompanyName>,
}

/// `POST /api/v1/invites`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    pub visitor: InvitedVisitor,
    pub host_id: Uuid,
    pub site_id: Uuid,
    /// When the visitor is expected; the invitation is good until the end of that day at the site.
    pub expected_at: DateTime<Utc>,
    #[serde(default)]
    pub note: Option<Note>,
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InviteState {
    /// Not used yet, and its day has not ended.
    Expected,
    /// The visitor checked in with it (`visit_id`).
    CheckedIn,
    Cancelled,
    /// Its day ended before the visitor came.
    Expired,
}

/// An invitation as staff see it. `code` is only in the answer that created it: the server keeps
/// a keyed hash of it, never the code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Invite {
    pub id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub site_id: Uuid,
    pub host_id: Uuid,
    pub host_name: String,
    pub visitor_name: String,
    pub visitor_email: String,
    pub visitor_company: Option<String>,
    pub note: Option<String>,
    pub expected_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub state: InviteState,
    pub visit_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// The outcome of `POST /api/v1/invites/import`: every invitation of the file, with its code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InviteImport {
    pub imported: usize,
    pub invites: Vec<Invite>,
}

/// An invited visitor still expected today, as a receptionist sees them on a kiosk in override
/// mode (`GET /api/v1/kiosk/override/invites`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExpectedVisitor {
    pub id: Uuid,
    pub visitor_name: String,
    pub host_name: String,
    pub expected_at: DateTime<Utc>,
}

/// A host one may invite for (`GET /api/v1/invites/hosts`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InviteHost {
    pub id: Uuid,
    pub name: String,
    pub site_id: Uuid,
}

/// `GET /api/v1/invites`: the invitations expected on one day.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InviteFilter {
    /// Only this site's; the day is then the site's (else UTC's).
    pub site_id: Option<Uuid>,
    /// The day (`YYYY-MM-DD`); today when absent.
    #[param(value_type = Option<String>, format = Date)]
    pub date: Option<NaiveDate>,
}

/// `POST /api/v1/kiosk/visits` with an invitation: the code stands for the visitor's details and
/// their host.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemInvite {
    pub invite_code: InviteCode,
    #[serde(default)]
    pub purpose: Option<Purpose>,
}

/// `POST /api/v1/kiosk/invites/lookup`: a code, to greet its visitor before the agreement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteLookup {
    pub invite_code: InviteCode,
}

/// What the kiosk may show an invited visitor: their first name and their host's name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InviteGreeting {
    pub visitor_first_name: String,
    pub host_name: String,
}

/// What `POST /api/v1/kiosk/visits` accepts: a walk-in's details, an invitation's code (a body
/// with `invite_code`) or a pass's (a body with `pass_code`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum KioskCheckIn {
    WalkIn(CheckIn),
    Invite(RedeemInvite),
    Pass(super::passes::RedeemPass),
}
