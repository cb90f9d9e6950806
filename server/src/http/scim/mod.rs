//! SCIM 2.0 provisioning (RFC 7643/7644) under `/scim/v2/`, for an identity provider (Entra ID,
//! Okta) holding an API key of scope `scim`: users ([`users`]) become hosts, and the discovery
//! documents ([`discovery`]) say what is supported. Everything answers `application/scim+json`,
//! errors in SCIM's own form (`urn:ietf:params:scim:api:messages:2.0:Error`, with `scimType`).

mod discovery;
mod patch;
mod resource;
mod sign_in;
mod users;

use axum::{
    extract::FromRequestParts,
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;

use crate::{auth::Staff, error::Error, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(users::router())
        .merge(discovery::router())
        // Anything else under `/scim/v2/` is a SCIM 404 (not the console's page).
        .route(
            "/scim/v2/{*rest}",
            axum::routing::any(async || ScimError::not_found()),
        )
}

const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const MEDIA_TYPE: &str = "application/scim+json";

/// A SCIM error: a status, a `scimType` where RFC 7644 §3.12 has one, and a detail that never
/// repeats a value from the request.
#[derive(Debug)]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimError {
    /// A 400 of `scim_type`.
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            scim_type: None,
            detail: "no such resource".into(),
        }
    }
}

impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        let status = e.status();
        let (scim_type, detail) = match &e {
            Error::Conflict(why) => (Some("uniqueness"), (*why).to_owned()),
            Error::InvalidInput(why) | Error::InvalidJson(why) => {
                (Some("invalidValue"), why.clone())
            }
            _ if status.is_server_error() => {
                tracing::error!(error = %e, "SCIM request failed");
                (None, "internal error".to_owned())
            }
            _ => (None, e.to_string()),
        };
        Self {
            status,
            scim_type,
            detail,
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_str(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        (self.status, ScimJson(body)).into_response()
    }
}

/// A JSON answer as `application/scim+json`.
pub struct ScimJson(pub Value);

impl IntoResponse for ScimJson {
    fn into_response(self) -> Response {
        let mut r = axum::Json(self.0).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
        r
    }
}

/// The caller of a SCIM route: a tenant's API key whose scopes include `scim` (the route's
/// OpenAPI entry says so, and [`Staff`] checks it); a signed-in user is refused.
pub struct Provisioner(pub Staff);

impl FromRequestParts<AppState> for Provisioner {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimError> {
        let staff = Staff::from_request_parts(parts, state).await?;
        if staff.api_key.is_none() {
            return Err(Error::Forbidden("SCIM takes an API key of scope scim").into());
        }
        Ok(Self(staff))
    }
}

/// A list answer (RFC 7644 §3.4.2).
fn list(resources: Vec<Value>, total: i64, start_index: i64) -> ScimJson {
    ScimJson(json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    }))
}
