//! Visits: check-in, check-out, the visit log, corrections and the audit log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::types::{BadgeCode, CompanyName, Email, PersonName, Phone, Purpose};

/// Where a visit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    OnSite,
    CheckedOut,
}

impl VisitStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnSite => "on_site",
            Self::CheckedOut => "checked_out",
        }
    }
}

/// The visitor's own details, as typed on the kiosk.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorDetails {
    pub name: PersonName,
    pub email: Email,
    #[serde(default)]
    pub company: Option<CompanyName>,
    #[serde(default)]
    pub phone: Option<Phone>,
}

/// `POST /api/v1/kiosk/visits` (with an `Idempotency-Key` header).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    pub visitor: VisitorDetails,
    pub host_id: Uuid,
    #[serde(default)]
    pub purpose: Option<Purpose>,
}

/// Whether the host will be told of a check-in: what the kiosk may promise the visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HostNotification {
    /// An email to the host is queued on the tenant's configured SMTP server.
    Queued,
    /// Nobody will be told (the tenant has no SMTP server): the visitor should tell reception.
    None,
}

/// A visit just checked in: its id, the badge code to show, when, and whether the host will be
/// told.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CheckedIn {
    pub visit_id: Uuid,
    pub badge_code: String,
    pub checked_in_at: DateTime<Utc>,
    /// Decided in the transaction that wrote the visit; a replay answers what the first said.
    pub host_notification: HostNotification,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckOut {
    pub badge_code: BadgeCode,
}

/// A correction of a visit record; only the given fields change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectVisit {
    pub name: Option<PersonName>,
    pub email: Option<Email>,
    pub company: Option<CompanyName>,
    pub phone: Option<Phone>,
    pub host_id: Option<Uuid>,
    pub purpose: Option<Purpose>,
}

/// A visit as the visit log shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Visit {
    pub id: Uuid,
    pub site_id: Uuid,
    pub host_id: Uuid,
    pub host_name: String,
    pub visitor_name: String,
    pub visitor_email: String,
    pub visitor_company: Option<String>,
    pub visitor_phone: Option<String>,
    pub purpose: Option<String>,
    pub status: VisitStatus,
    pub badge_code: String,
    pub checked_in_at: DateTime<Utc>,
    pub checked_out_at: Option<DateTime<Utc>>,
}

/// Filters of the visit log.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VisitFilter {
    pub site_id: Option<Uuid>,
    pub host_id: Option<Uuid>,
    pub status: Option<VisitStatus>,
    /// Checked in at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Checked in before this instant.
    pub to: Option<DateTime<Utc>>,
    /// 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    #[param(minimum = 0, maximum = 10_000_000)]
    pub offset: Option<i64>,
}

/// One entry of the tenant's audit log (a hash chain).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The result of re-computing a tenant's audit hash chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditVerification {
    pub valid: bool,
    pub entries: i64,
    /// The first sequence number whose hash does not match, if any.
    pub broken_at: Option<i64>,
}

/// Paging of lists without other filters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    #[param(minimum = 0, maximum = 10_000_000)]
    pub offset: Option<i64>,
}
