//! Platform-operator endpoints: create and delete tenants, and create a tenant's first users.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::accounts::{CreateTenant, CreateUser, Tenant, User},
};

use super::{
    extract::{ApiJson, ApiPath},
    views,
};
use crate::{auth::Operator, error::Error, ids::TenantId, state::AppState, store::Actor};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tenant))
        .routes(routes!(delete_tenant))
        .routes(routes!(create_tenant_user))
}

/// Creates a tenant (a company).
#[utoipa::path(post, path = "/api/v1/operator/tenants", tag = "operator", request_body = CreateTenant,
    responses((status = 201, body = Tenant), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("operator" = [])))]
async fn create_tenant(
    State(state): State<AppState>,
    op: Operator,
    ApiJson(body): ApiJson<CreateTenant>,
) -> Result<(StatusCode, ApiJson<Tenant>), Error> {
    let (row, mut tx) = state
        .store
        .create_tenant(body.slug.as_str(), body.name.as_str(), body.plan)
        .await?;
    tx.audit(
        Actor::Operator(op.key_id),
        "tenant.create",
        format!("tenant:{}", row.id),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(views::tenant(&row))))
}

/// Deletes a tenant with everything it holds. Its keys are destroyed first (crypto-shredding):
/// from then on its data is unreadable wherever a copy of it lies, short of the master key and a
/// backup taken before the deletion.
#[utoipa::path(delete, path = "/api/v1/operator/tenants/{id}", tag = "operator",
    params(("id" = Uuid, Path, description = "The tenant")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorEnvelope)),
    security(("operator" = [])))]
async fn delete_tenant(
    State(state): State<AppState>,
    op: Operator,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    if !state.store.delete_tenant(id).await? {
        return Err(Error::NotFound);
    }
    tracing::info!(tenant = %id, operator_key = %op.key_id, "tenant deleted; its keys were destroyed first");
    Ok(StatusCode::NO_CONTENT)
}

/// Creates a user of a tenant (its first admin, typically).
#[utoipa::path(post, path = "/api/v1/operator/tenants/{id}/users", tag = "operator", request_body = CreateUser,
    params(("id" = Uuid, Path, description = "The tenant")),
    responses((status = 201, body = User), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope),
        (status = 422, body = ErrorEnvelope)),
    security(("operator" = [])))]
async fn create_tenant_user(
    State(state): State<AppState>,
    op: Operator,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, ApiJson<User>), Error> {
    let mut g = state.store.global(false).await?;
    g.tenant_by_id(id).await?.ok_or(Error::NotFound)?;
    g.commit().await?;
    let user = super::users::create(&state, TenantId(id), Actor::Operator(op.key_id), body).await?;
    Ok((StatusCode::CREATED, ApiJson(user)))
}
