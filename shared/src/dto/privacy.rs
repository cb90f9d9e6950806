//! The data-subject rights: what a tenant holds about one person (found by their email), as an
//! export, and its erasure.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{invites::Invite, passes::VisitorPass, visits::Visit};
use crate::types::Email;

/// `POST /api/v1/privacy/export` and `POST /api/v1/privacy/erase`: the person, by email.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub email: Email,
}

/// Every record held about the person: their visits (with name, company, phone as they gave
/// them), invitations and passes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubjectExport {
    pub email: Email,
    pub visits: Vec<Visit>,
    pub invites: Vec<Invite>,
    pub passes: Vec<VisitorPass>,
}

/// What an erasure removed (DESIGN.md names the first two; the others say the rest).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
pub struct Erased {
    pub erased_visits: u64,
    pub erased_invites: u64,
    pub erased_visitors: u64,
    pub erased_passes: u64,
}
