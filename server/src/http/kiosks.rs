//! Tenant admin: kiosks. Creating one returns a one-time enrollment code that expires; revoking
//! one ends its device token and override sessions at once.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::directory::{CreateKiosk, Kiosk, KioskCreated, UpdateKiosk},
};

use super::{
    extract::{ApiJson, ApiPath},
    views,
};
use crate::{
    auth::{Admin, token},
    error::Error,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_kiosk, list_kiosks))
        .routes(routes!(get_kiosk, update_kiosk, delete_kiosk))
        .routes(routes!(revoke_kiosk))
}

#[utoipa::path(post, path = "/api/v1/kiosks", tag = "kiosks", request_body = CreateKiosk,
    responses((status = 201, body = KioskCreated), (status = 422, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn create_kiosk(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<CreateKiosk>,
) -> Result<(StatusCode, ApiJson<KioskCreated>), Error> {
    let code = token::enrollment_code();
    let expires_at = state.clock.now() + state.settings.enrollment_ttl;
    let mut tx = state.store.write(a.tenant).await?;
    let row = tx
        .insert_kiosk(
            body.site_id,
            body.name.as_str(),
            &token::enrollment_hash(&code),
            expires_at,
        )
        .await?;
    tx.audit(a.actor(), "kiosk.create", format!("kiosk:{}", row.id))
        .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(KioskCreated {
            kiosk: views::kiosk(row),
            enrollment_code: code.display(),
            enrollment_expires_at: expires_at,
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/kiosks", tag = "kiosks", responses((status = 200, body = Vec<Kiosk>)), security(("session" = ["admin"])))]
async fn list_kiosks(
    State(state): State<AppState>,
    Admin(a): Admin,
) -> Result<ApiJson<Vec<Kiosk>>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let rows = tx.kiosks().await?;
    tx.commit().await?;
    Ok(ApiJson(rows.into_iter().map(views::kiosk).collect()))
}

#[utoipa::path(get, path = "/api/v1/kiosks/{id}", tag = "kiosks", params(("id" = Uuid, Path)),
    responses((status = 200, body = Kiosk), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn get_kiosk(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Kiosk>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let row = tx.kiosk(id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(ApiJson(views::kiosk(row)))
}

#[utoipa::path(patch, path = "/api/v1/kiosks/{id}", tag = "kiosks", params(("id" = Uuid, Path)), request_body = UpdateKiosk,
    responses((status = 200, body = Kiosk), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn update_kiosk(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateKiosk>,
) -> Result<ApiJson<Kiosk>, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.rename_kiosk(id, body.name.as_str()).await? {
        return Err(Error::NotFound);
    }
    tx.audit(a.actor(), "kiosk.update", format!("kiosk:{id}"))
        .await?;
    let row = tx.kiosk(id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(ApiJson(views::kiosk(row)))
}

/// Revokes a kiosk (the same as `POST /kiosks/{id}/revoke`); it stays in the list as revoked.
#[utoipa::path(delete, path = "/api/v1/kiosks/{id}", tag = "kiosks", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn delete_kiosk(
    state: State<AppState>,
    admin: Admin,
    id: ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    revoke_kiosk(state, admin, id).await
}

/// Revokes a kiosk: its device token and override sessions stop working at once.
#[utoipa::path(post, path = "/api/v1/kiosks/{id}/revoke", tag = "kiosks", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn revoke_kiosk(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    tx.kiosk(id).await?.ok_or(Error::NotFound)?;
    if tx.revoke_kiosk(id).await? {
        tx.audit(a.actor(), "kiosk.revoke", format!("kiosk:{id}"))
            .await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
