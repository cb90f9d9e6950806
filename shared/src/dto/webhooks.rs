//! Webhooks: the tenant's events sent to another system as they happen. A `standard` webhook is
//! signed per the Standard Webhooks specification; `slack` and `teams` post a chat message to the
//! channel of an incoming-webhook URL (Block Kit, an Adaptive Card).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::types::{CertificatesPem, WebhookUrl};

/// What a webhook sends, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookKind {
    /// JSON `{type, timestamp, data}`, signed (`webhook-id`, `webhook-timestamp`,
    /// `webhook-signature: v1,<base64 HMAC-SHA256>`).
    Standard,
    /// A Slack incoming-webhook message (Block Kit).
    Slack,
    /// A Microsoft Teams workflow message (an Adaptive Card 1.4).
    Teams,
}

impl WebhookKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookKind::Standard => "standard",
            WebhookKind::Slack => "slack",
            WebhookKind::Teams => "teams",
        }
    }

    pub fn parse(s: &str) -> Option<WebhookKind> {
        [
            WebhookKind::Standard,
            WebhookKind::Slack,
            WebhookKind::Teams,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// An event a webhook may ask for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum WebhookEvent {
    /// A visitor checked in (at the kiosk, the desk, with an invitation or a pass).
    #[serde(rename = "visit.checked_in")]
    VisitCheckedIn,
    /// A visitor checked out (themselves, at the desk, or signed out at night).
    #[serde(rename = "visit.checked_out")]
    VisitCheckedOut,
    /// A visitor on the watchlist was held at check-in for staff to admit or deny.
    #[serde(rename = "visit.held")]
    VisitHeld,
    /// An invitation was made.
    #[serde(rename = "invite.created")]
    InviteCreated,
    /// An evacuation began at a site.
    #[serde(rename = "evacuation.started")]
    EvacuationStarted,
    /// A test event sent from the console (every webhook gets it when asked).
    #[serde(rename = "webhook.test")]
    Test,
}

impl WebhookEvent {
    /// The events a webhook can subscribe to.
    pub const ALL: [WebhookEvent; 5] = [
        WebhookEvent::VisitCheckedIn,
        WebhookEvent::VisitCheckedOut,
        WebhookEvent::VisitHeld,
        WebhookEvent::InviteCreated,
        WebhookEvent::EvacuationStarted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::VisitCheckedIn => "visit.checked_in",
            WebhookEvent::VisitCheckedOut => "visit.checked_out",
            WebhookEvent::VisitHeld => "visit.held",
            WebhookEvent::InviteCreated => "invite.created",
            WebhookEvent::EvacuationStarted => "evacuation.started",
            WebhookEvent::Test => "webhook.test",
        }
    }

    pub fn parse(s: &str) -> Option<WebhookEvent> {
        WebhookEvent::ALL
            .into_iter()
            .chain([WebhookEvent::Test])
            .find(|e| e.as_str() == s)
    }
}

/// `POST /api/v1/webhooks`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    pub url: WebhookUrl,
    pub kind: WebhookKind,
    #[schema(min_items = 1)]
    pub events: Vec<WebhookEvent>,
    /// Send the visitor's name and company too (off by default: ids, site, host and times only).
    #[serde(default)]
    pub include_visitor: bool,
    /// A private CA that signs the receiver's certificate, trusted besides the public roots.
    pub ca_pem: Option<CertificatesPem>,
}

/// A webhook as listed: never its secret. For Slack and Teams, whose URL is itself a
/// credential, `url` shows only its origin.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub kind: WebhookKind,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub include_visitor: bool,
    pub has_ca: bool,
    pub created_at: DateTime<Utc>,
    /// Until then, deliveries are signed with the previous secret too (after a rotation).
    pub previous_secret_until: Option<DateTime<Utc>>,
}

/// A new webhook; for `standard`, its signing secret (`whsec_…`), shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: Webhook,
    pub secret: Option<String>,
}

/// `POST /api/v1/webhooks/{id}/rotate`: how long the old secret still signs, besides the new.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateWebhookSecret {
    /// 0 to 168 hours; 24 when absent.
    #[schema(minimum = 0, maximum = 168)]
    pub overlap_hours: Option<u32>,
}

/// The new secret, shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookSecret {
    pub secret: String,
    pub previous_secret_until: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookDeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

/// One event sent (or being sent) to one webhook, with its last attempt.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookDelivery {
    /// Also the `webhook-id` header: the same on every attempt, so a receiver can drop repeats.
    pub id: Uuid,
    pub event: WebhookEvent,
    pub status: WebhookDeliveryStatus,
    pub attempts: i64,
    /// The receiver's HTTP status on the last attempt, if it answered.
    pub last_status_code: Option<i32>,
    /// How long the last attempt took, in milliseconds.
    pub last_duration_ms: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}
