//! Sites, the host directory and kiosks: what a tenant admin sets up.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::types::{Email, Instructions, Label, PersonName, TimeOfDay, Timezone};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSite {
    pub name: Label,
    pub timezone: Timezone,
    /// Shown in the invitation emails of the site's visitors.
    #[serde(default)]
    pub arrival_instructions: Option<Instructions>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSite {
    pub name: Option<Label>,
    pub timezone: Option<Timezone>,
    /// An empty string removes them.
    pub arrival_instructions: Option<Instructions>,
    /// When everyone still on site is signed out each day (`HH:MM`, the site's time); an empty
    /// string turns it off.
    pub auto_checkout_at: Option<TimeOfDay>,
    /// Who gets the roll call's link when an evacuation starts (at most 10; empty: nobody).
    #[schema(max_items = 10)]
    pub emergency_contacts: Option<Vec<Email>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Site {
    pub id: Uuid,
    pub name: String,
    pub timezone: String,
    pub arrival_instructions: Option<String>,
    /// When everyone still on site is signed out each day (`HH:MM`, the site's time), if ever.
    pub auto_checkout_at: Option<String>,
    /// Who gets the roll call's link when an evacuation starts.
    #[serde(default)]
    pub emergency_contacts: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHost {
    pub name: PersonName,
    pub email: Email,
    pub site_id: Uuid,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateHost {
    pub name: Option<PersonName>,
    pub email: Option<Email>,
    pub site_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Host {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub site_id: Uuid,
    /// False once the company's identity provider deactivated the host (SCIM): they leave the
    /// kiosk directory and take no new visitors.
    pub active: bool,
    /// Whether the company's identity provider keeps this host (SCIM).
    pub provisioned: bool,
    pub created_at: DateTime<Utc>,
}

/// The outcome of a directory CSV import. Either every row is imported or none is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HostImport {
    pub imported: usize,
    pub errors: Vec<RowError>,
}

/// One rejected CSV row: its 1-based line number (the header is line 1), the column and the rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub message: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKiosk {
    pub site_id: Uuid,
    pub name: Label,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateKiosk {
    pub name: Label,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Kiosk {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub enrolled_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// A new kiosk and its one-time enrollment code (shown once).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KioskCreated {
    #[serde(flatten)]
    pub kiosk: Kiosk,
    pub enrollment_code: String,
    pub enrollment_expires_at: DateTime<Utc>,
}
