//! Host notifications by email: the tenant's SMTP server, and the log of what was sent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::types::{CertificatesPem, Email, HostName, Label, ServicePassword};

/// How the connection to the SMTP server is secured. There is no plaintext option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
    /// STARTTLS, which must succeed before anything else is sent (usually port 587).
    Starttls,
}

/// A tenant's SMTP server. The password is kept sealed under the tenant's key and never shown.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSmtp {
    pub host: HostName,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<Label>,
    /// Absent: keep the stored password (if the account stays the same).
    pub password: Option<ServicePassword>,
    pub from_address: Email,
    pub from_name: Option<Label>,
    /// A private CA that signs the SMTP server's certificate, trusted besides the public roots.
    pub ca_pem: Option<CertificatesPem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub has_password: bool,
    pub from_address: String,
    pub from_name: Option<String>,
    pub ca_pem: Option<String>,
}

/// Where a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// Handed to a sender right now.
    Sending,
    Sent,
    /// Given up on; `last_error` says why.
    Failed,
}

/// One host notification as the admin's log shows it (it names no person).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What a test email did: `sent`, or the reason it was not (the SMTP server's or TLS's words).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SmtpTest {
    /// Where it went: the signed-in admin's own address.
    pub to: String,
    pub sent: bool,
    pub error: Option<String>,
}
