//! The error envelope every failed request answers with:
//! `{"error": {"code": "...", "message": "...", "details": ...}}`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Machine-readable error codes of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body, query or path failed validation.
    InvalidInput,
    /// The body is not JSON of the expected shape (syntax, unknown field, wrong type).
    InvalidJson,
    /// No credential, or one that is unknown, expired or revoked.
    Unauthorized,
    /// Wrong login or PIN.
    InvalidCredentials,
    /// A valid credential without the right for this action.
    Forbidden,
    /// No such object (or it belongs to another tenant).
    NotFound,
    /// The object conflicts with an existing one (a duplicate slug or email, say).
    Conflict,
    /// An `Idempotency-Key` was replayed with a different body.
    IdempotencyMismatch,
    /// Too many failed attempts: the account is locked for a while.
    Locked,
    /// The enrollment code is unknown, used or expired.
    InvalidEnrollmentCode,
    /// The request body is too large.
    PayloadTooLarge,
    /// The request's headers are too many or too large together (431).
    HeadersTooLarge,
    /// Too many requests from this client, device or address: wait `Retry-After` seconds.
    RateLimited,
    /// The request took too long and was abandoned.
    Timeout,
    /// Something failed on the server; the details are in its log, not here.
    Internal,
    /// The server cannot serve this right now (its database is down, say).
    Unavailable,
    /// This tenant signs in through its identity provider (SAML); password login is refused.
    SsoRequired,
    /// A SAML response was refused (signature, issuer, audience, time, replay...); no session.
    SamlRejected,
}

/// The body of an error response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// What went wrong, in a stable code and a human sentence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// More about the error where it has more: for a refused CSV import, the list of bad rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
    /// The request's ID, as in the `X-Request-Id` header and the server's log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}
