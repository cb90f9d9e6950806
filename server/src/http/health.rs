//! Liveness and readiness probes, without authentication, and the Prometheus metrics, for the
//! platform operator.

use axum::{
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::ErrorEnvelope;

use super::extract::ApiJson;
use crate::{auth::Operator, error::Error, metrics::Format, state::AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
    /// This build's version (`vestibule-server --version`; see `CHANGELOG.md`).
    version: &'static str,
}

impl Health {
    fn new(status: &'static str) -> Self {
        Self {
            status,
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
async fn healthz() -> ApiJson<Health> {
    ApiJson(Health::new("ok"))
}

/// The process can serve: its database answers, its schema is the one this build expects, and
/// the master key the database names is loaded.
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200, body = Health), (status = 503, body = ErrorEnvelope)))]
async fn readyz(State(state): State<AppState>) -> Result<ApiJson<Health>, Error> {
    state.store.readiness().await?;
    Ok(ApiJson(Health::new("ready")))
}

/// The server's metrics: OpenMetrics text when `Accept` names `application/openmetrics-text` (as
/// Prometheus' scraper does), else Prometheus' classic text format 0.0.4.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "The metrics, in the format the `Accept` header asks for",
            content((String = "text/plain"), (String = "application/openmetrics-text"))),
        (status = 401, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)),
    security(("operator" = [])))]
async fn metrics(
    State(state): State<AppState>,
    _operator: Operator,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let format = Format::from_accept(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    let backlog = state.store.outbox_backlog().await?;
    let pools = state
        .store
        .pool_use()
        .into_iter()
        .map(|p| (p.name, p.size, p.idle))
        .collect();
    let gauges = crate::metrics::Gauges {
        outbox_depth: backlog.depth,
        outbox_oldest_age_secs: backlog.oldest_age_secs,
        pools,
        tenants_mid_rotation: state.store.tenants_mid_rotation().await?,
    };
    let text = crate::metrics::render(&gauges, format).map_err(|e| Error::Internal(e.into()))?;
    Ok(([(header::CONTENT_TYPE, format.content_type())], text).into_response())
}
