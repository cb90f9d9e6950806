//! The server's one error type, and the ID of the request it answers. Every failure of a request becomes an [`Error`], and its
//! `IntoResponse` is the one place that picks a status and writes the contract's envelope.
//! Database and internal errors are logged with the request's span and answered with a bare 500
//! (or 503 when the database is unreachable); their text never reaches the client.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use vestibule_shared::{ErrorBody, ErrorCode, ErrorEnvelope, dto::directory::RowError};

tokio::task_local! {
    /// The ID of the request being served (set by the shield; read for the error envelope).
    pub static REQUEST_ID: String;
}

/// The ID of the request this task serves, if any.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The request ID, also kept in the request's extensions for the trace span.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    InvalidJson(String),
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("the request headers are too many or too large together")]
    HeadersTooLarge,
    #[error("a valid credential is required")]
    Unauthorized,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("this method is not allowed on this path")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(&'static str),
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyMismatch,
    #[error("too many failed attempts; try again in {retry_after} seconds")]
    Locked { retry_after: u64 },
    #[error("too many requests; try again in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    #[error("the request took too long")]
    Timeout,
    #[error("the enrollment code is unknown, already used or expired")]
    InvalidEnrollmentCode,
    #[error(
        "this tenant signs in with single sign-on (SAML): password login is turned off; use GET /api/v1/saml/{{tenant}}/login"
    )]
    SsoRequired,
    #[error("SAML response refused: {0}")]
    SamlRejected(&'static str),
    #[error("{} rows of the file are invalid; nothing was imported", .0.len())]
    InvalidRows(Vec<RowError>),
    #[error("{0}")]
    NotReady(&'static str),
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal: {0}")]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            Error::InvalidInput(_) | Error::InvalidRows(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput)
            }
            Error::InvalidJson(_) => (StatusCode::BAD_REQUEST, ErrorCode::InvalidJson),
            Error::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::InvalidJson)
            }
            Error::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
            Error::HeadersTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                ErrorCode::HeadersTooLarge,
            ),
            Error::Unauthorized => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            Error::InvalidCredentials => (StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            Error::NotFound => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Error::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::NotFound),
            Error::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            Error::IdempotencyMismatch => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::IdempotencyMismatch,
            ),
            Error::Locked { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::Locked),
            Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            Error::Timeout => (StatusCode::REQUEST_TIMEOUT, ErrorCode::Timeout),
            Error::InvalidEnrollmentCode => {
                (StatusCode::UNAUTHORIZED, ErrorCode::InvalidEnrollmentCode)
            }
            Error::NotReady(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
            Error::SsoRequired => (StatusCode::FORBIDDEN, ErrorCode::SsoRequired),
            Error::SamlRejected(_) => (StatusCode::UNAUTHORIZED, ErrorCode::SamlRejected),
            Error::Database(e) if is_unavailable(e) => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable)
            }
            Error::Config(_) | Error::Database(_) | Error::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
            }
        }
    }
}

/// Whether the database is unreachable or going away (PostgreSQL: SQLSTATE class 08, connection
/// exception, or 57P, an operator shutting it down), as opposed to refusing a query.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            match (&self, code) {
                (Error::NotReady(why), _) => format!("not ready: {why}"),
                (_, ErrorCode::Unavailable) => "the service is temporarily unavailable".to_owned(),
                _ => "internal error".to_owned(),
            }
        } else {
            self.to_string()
        };
        let details = match &self {
            Error::InvalidRows(rows) => serde_json::to_value(rows).ok(),
            _ => None,
        };
        let request_id = request_id();
        let mut response = (
            status,
            Json(ErrorEnvelope {
                error: ErrorBody {
                    code,
                    message,
                    details,
                    request_id,
                },
            }),
        )
            .into_response();
        let retry_after = match &self {
            Error::Locked { retry_after } | Error::RateLimited { retry_after } => {
                Some(*retry_after)
            }
            _ if status == StatusCode::SERVICE_UNAVAILABLE => Some(1),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
