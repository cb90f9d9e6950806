//! Liveness and readiness probes, without authentication.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::ErrorEnvelope;

use super::extract::ApiJson;
use crate::{error::Error, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
async fn healthz() -> ApiJson<Health> {
    ApiJson(Health { status: "ok" })
}

/// The process can serve: its database answers (and its migrations ran, at start).
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200, body = Health), (status = 503, body = ErrorEnvelope)))]
async fn readyz(State(state): State<AppState>) -> Result<ApiJson<Health>, Error> {
    state.store.ping().await?;
    Ok(ApiJson(Health { status: "ready" }))
}
