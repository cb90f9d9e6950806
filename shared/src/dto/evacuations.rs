//! The evacuation roll call: who was on site at a site when the evacuation started, and whether
//! each of them is known to be safe, missing, or not yet accounted for.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Where a person of the roll call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RollStatus {
    Unaccounted,
    Safe,
    Missing,
}

impl RollStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unaccounted => "unaccounted",
            Self::Safe => "safe",
            Self::Missing => "missing",
        }
    }

    pub fn from_stored(s: &str) -> Self {
        match s {
            "safe" => Self::Safe,
            "missing" => Self::Missing,
            _ => Self::Unaccounted,
        }
    }
}

/// A mark: safe or missing.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkPerson {
    pub status: RollStatus,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct RollCounts {
    pub total: u32,
    pub safe: u32,
    pub missing: u32,
    pub unaccounted: u32,
}

/// A visitor on the roll call; one who checks out during it stays, with `checked_out_at`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RollCallPerson {
    pub visit_id: Uuid,
    pub visitor_name: String,
    pub visitor_company: Option<String>,
    /// `null` for a visit without a host (checked in offline for a removed host).
    pub host_name: Option<String>,
    pub checked_in_at: DateTime<Utc>,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub status: RollStatus,
    pub marked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Evacuation {
    pub id: Uuid,
    pub site_id: Uuid,
    pub site_name: String,
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub counts: RollCounts,
    pub people: Vec<RollCallPerson>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvacuationSummary {
    pub id: Uuid,
    pub site_id: Uuid,
    pub site_name: String,
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub counts: RollCounts,
}

/// What the kiosk learns when the receptionist starts an evacuation there.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvacuationStarted {
    pub id: Uuid,
    pub total: u32,
}
