//! Visits: check-in, check-out, the visit log, corrections and the audit log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::visitor_types::{Answer, ShownAgreement};
use crate::types::{
    BadgeCode, CompanyName, Email, ImageData, PageCursor, PersonName, Phone, Purpose,
};

/// Where a visit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    OnSite,
    CheckedOut,
    /// Waiting for the host's approval (a visitor type that asks for it): no badge yet.
    PendingApproval,
    /// The host did not approve the visit, or staff turned away a held visitor.
    Denied,
    /// The visitor matched the watchlist: no badge, and the host is not told, until a member of
    /// staff admits them.
    Held,
}

impl VisitStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnSite => "on_site",
            Self::CheckedOut => "checked_out",
            Self::PendingApproval => "pending_approval",
            Self::Denied => "denied",
            Self::Held => "held",
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
    /// Required, except for a visitor type that lets the visitor skip the host (its default
    /// host is then theirs).
    #[serde(default)]
    pub host_id: Option<Uuid>,
    #[serde(default)]
    pub purpose: Option<Purpose>,
    /// "Send me a pass for next time": when the tenant issues passes, one is emailed to the
    /// visitor once the visit ends.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub want_pass: bool,
    /// The visitor type chosen; its flow says what else the check-in carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_type_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<Answer>,
    /// Every agreement of the type, as shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agreements: Vec<ShownAgreement>,
    /// The signature under the agreements: a PNG (base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<ImageData>,
    /// The visitor's photo: a JPEG or PNG (base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<ImageData>,
    /// Email the visitor the signed agreements as PDF.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub email_agreements: bool,
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
    /// `on_site`; `pending_approval` until the host approves, or `held` until staff admit the
    /// visitor (then no badge code yet).
    pub status: VisitStatus,
    pub badge_code: Option<String>,
    pub checked_in_at: DateTime<Utc>,
    /// Decided in the transaction that wrote the visit; a replay answers what the first said.
    pub host_notification: HostNotification,
    /// For an invited visitor: their first name and their host's name, for the kiosk's welcome
    /// (nothing else of the invitation reaches the kiosk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub visitor_first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub host_name: Option<String>,
    /// Checked in while the kiosk could not reach the server: the answer to a sealed check-in's
    /// delivery, and what the kiosk shows the visitor then (its badge code is provisional).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub offline: bool,
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
    /// `null` for a visitor checked in offline whose host was removed before the check-in
    /// arrived: the desk was alerted, and sets the host with a correction.
    pub host_id: Option<Uuid>,
    pub host_name: Option<String>,
    pub visitor_name: String,
    pub visitor_email: String,
    pub visitor_company: Option<String>,
    pub visitor_phone: Option<String>,
    pub purpose: Option<String>,
    pub status: VisitStatus,
    pub badge_code: String,
    pub checked_in_at: DateTime<Utc>,
    pub checked_out_at: Option<DateTime<Utc>>,
    /// Checked out by the site's daily automatic sign-out, not by the visitor or the desk.
    #[serde(default)]
    pub checked_out_auto: bool,
    /// Checked in on a kiosk that could not reach the server, and delivered sealed later.
    #[serde(default)]
    pub offline: bool,
}

/// A visit that changed, as `GET /api/v1/events` sends it (`event: visit`): ids, the new status
/// and when, never a name or anything else personal.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitEvent {
    pub visit_id: Uuid,
    pub site_id: Uuid,
    pub status: VisitStatus,
    pub at: DateTime<Utc>,
    /// Set when the change is to an evacuation's roll call (started, a mark, closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evacuation_id: Option<Uuid>,
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
    /// The visitor's exact email (matched through a blind index: nothing is decrypted to search).
    #[param(value_type = Option<String>)]
    pub email: Option<Email>,
    /// 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    #[param(minimum = 0, maximum = 10_000_000)]
    pub offset: Option<i64>,
    /// The `next` cursor of the previous page: the visits after it (newest first).
    #[param(value_type = Option<String>, pattern = "^-?[0-9]{1,19}_[0-9a-f]{32}$")]
    #[schema(value_type = Option<String>)]
    pub after: Option<PageCursor>,
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

/// Which visits the dashboard counts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// One site's visits; every site's when absent.
    pub site_id: Option<Uuid>,
    /// The viewer's offset from UTC in minutes (-840 to 840), which days and hours are counted
    /// in; 0 when absent.
    #[param(minimum = -840, maximum = 840)]
    pub utc_offset_minutes: Option<i32>,
}

/// Visits on one day.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DayCount {
    /// `YYYY-MM-DD`, in the viewer's offset.
    pub date: String,
    pub count: i64,
}

/// Visits that began in one hour of the day.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HourCount {
    /// 0 to 23, in the viewer's offset.
    pub hour: u32,
    pub count: i64,
}

/// The dashboard's figures, counted from the visits' times and states (nothing is decrypted).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitStats {
    pub on_site: i64,
    pub checked_in_today: i64,
    pub checked_out_today: i64,
    /// Invited visitors expected today who have not arrived yet.
    pub expected_today: i64,
    /// The last 30 days, oldest first, today included.
    pub per_day: Vec<DayCount>,
    /// Check-ins of the last 30 days by hour of the day.
    pub per_hour: Vec<HourCount>,
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
