//! Tenant admin: sites (receptions).

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::directory::{CreateSite, Site, UpdateSite},
    types::Instructions,
};

use super::{
    extract::{ApiJson, ApiPath},
    views,
};
use crate::{
    auth::{Admin, Staff},
    error::Error,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_site, list_sites))
        .routes(routes!(get_site, update_site, delete_site))
}

#[utoipa::path(post, path = "/api/v1/sites", tag = "sites", request_body = CreateSite,
    responses((status = 201, body = Site), (status = 422, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn create_site(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<CreateSite>,
) -> Result<(StatusCode, ApiJson<Site>), Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let instructions = body.arrival_instructions.and_then(non_empty);
    let row = tx
        .insert_site(
            body.name.as_str(),
            body.timezone.as_str(),
            instructions.as_deref(),
        )
        .await?;
    tx.audit(a.actor(), "site.create", format!("site:{}", row.id))
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(views::site(row))))
}

/// The sites (any signed-in user: the console names the sites on its screens).
#[utoipa::path(get, path = "/api/v1/sites", tag = "sites", responses((status = 200, body = Vec<Site>)), security(("session" = []), ("api_key" = ["visits:read", "invites:write", "hosts:write"])))]
async fn list_sites(State(state): State<AppState>, a: Staff) -> Result<ApiJson<Vec<Site>>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let rows = tx.sites().await?;
    tx.commit().await?;
    Ok(ApiJson(rows.into_iter().map(views::site).collect()))
}

#[utoipa::path(get, path = "/api/v1/sites/{id}", tag = "sites", params(("id" = Uuid, Path)),
    responses((status = 200, body = Site), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn get_site(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Site>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let row = tx.site(id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(ApiJson(views::site(row)))
}

#[utoipa::path(patch, path = "/api/v1/sites/{id}", tag = "sites", params(("id" = Uuid, Path)), request_body = UpdateSite,
    responses((status = 200, body = Site), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn update_site(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateSite>,
) -> Result<ApiJson<Site>, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let mut row = tx.site(id).await?.ok_or(Error::NotFound)?;
    if let Some(n) = body.name {
        row.name = n.into();
    }
    if let Some(tz) = body.timezone {
        row.timezone = tz.into();
    }
    if let Some(instructions) = body.arrival_instructions {
        row.arrival_instructions = non_empty(instructions);
    }
    if let Some(contacts) = body.emergency_contacts {
        if contacts.len() > 10 {
            return Err(Error::InvalidInput(
                "emergency_contacts: at most 10 addresses".into(),
            ));
        }
        let list: Vec<String> = contacts.into_iter().map(String::from).collect();
        row.emergency_contacts =
            serde_json::to_string(&list).map_err(|e| Error::Internal(e.into()))?;
    }
    if let Some(at) = body.auto_checkout_at {
        row.auto_checkout_at = Some(String::from(at)).filter(|s| !s.is_empty());
    }
    tx.update_site(&row).await?;
    tx.audit(a.actor(), "site.update", format!("site:{id}"))
        .await?;
    tx.commit().await?;
    Ok(ApiJson(views::site(row)))
}

#[utoipa::path(delete, path = "/api/v1/sites/{id}", tag = "sites", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn delete_site(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.delete_site(id).await? {
        return Err(Error::NotFound);
    }
    tx.audit(a.actor(), "site.delete", format!("site:{id}"))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Arrival instructions as stored: none for an empty text.
fn non_empty(i: Instructions) -> Option<String> {
    Some(String::from(i)).filter(|s| !s.is_empty())
}
