//! Tenant admin: the tenant's users (admins, receptionists and hosts), their passwords and PINs,
//! and lifting a sign-in or PIN lockout.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::accounts::{CreateUser, UpdateUser, User},
    types::Email,
};

use super::{
    extract::{ApiJson, ApiPath},
    views,
};
use crate::{
    auth::{Admin, password},
    crypto::Door,
    error::Error,
    ids::TenantId,
    state::AppState,
    store::Actor,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user, list_users))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(unlock_user))
}

/// Hashes a secret if one was given.
async fn hash_opt(secret: Option<&str>) -> Result<Option<String>, Error> {
    match secret {
        Some(s) => Ok(Some(password::hash(s).await?)),
        None => Ok(None),
    }
}

/// Creates a user in `tenant` on behalf of `actor` (a tenant admin or the operator).
pub(super) async fn create(
    state: &AppState,
    tenant: TenantId,
    actor: Actor,
    body: CreateUser,
) -> Result<User, Error> {
    let pw = password::hash(body.password.expose()).await?;
    let pin = hash_opt(body.pin.as_ref().map(|p| p.expose())).await?;
    let mut tx = state.store.write(tenant).await?;
    let row = tx
        .insert_user(
            &body.email,
            body.name.as_str(),
            body.role,
            &pw,
            pin.as_deref(),
        )
        .await?;
    tx.audit(actor, "user.create", format!("user:{}", row.id))
        .await?;
    tx.commit().await?;
    Ok(views::user(row))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = User), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn create_user(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, ApiJson<User>), Error> {
    Ok((
        StatusCode::CREATED,
        ApiJson(create(&state, a.tenant, a.actor(), body).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<User>)), security(("session" = ["admin"])))]
async fn list_users(
    State(state): State<AppState>,
    Admin(a): Admin,
) -> Result<ApiJson<Vec<User>>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let rows = tx.users().await?;
    tx.commit().await?;
    Ok(ApiJson(rows.into_iter().map(views::user).collect()))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = User), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn get_user(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<User>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let row = tx.user(id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(ApiJson(views::user(row)))
}

/// Changes a user's name, role, password, PIN or disabled flag. A new password, a disable or a
/// role change ends the user's sessions.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)), request_body = UpdateUser,
    responses((status = 200, body = User), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn update_user(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<ApiJson<User>, Error> {
    let pw = hash_opt(body.password.as_ref().map(|p| p.expose())).await?;
    let pin = hash_opt(body.pin.as_ref().map(|p| p.expose())).await?;
    let mut tx = state.store.write(a.tenant).await?;
    let mut user = tx.user(id).await?.ok_or(Error::NotFound)?;
    if id == a.user.id && (body.disabled == Some(true) || body.role.is_some_and(|r| r != user.role))
    {
        return Err(Error::InvalidInput(
            "an admin cannot disable or demote themself".into(),
        ));
    }
    let ends_sessions =
        pw.is_some() || body.disabled == Some(true) || body.role.is_some_and(|r| r != user.role);
    if let Some(n) = body.name {
        user.name = n.as_str().to_owned();
    }
    if let Some(r) = body.role {
        user.role = r;
    }
    if let Some(d) = body.disabled {
        user.disabled = d;
    }
    if let Some(h) = pw {
        user.password_hash = h;
    }
    if pin.is_some() {
        user.pin_hash = pin;
    }
    tx.update_user(&user).await?;
    if ends_sessions {
        tx.delete_user_sessions(id).await?;
    }
    tx.audit(a.actor(), "user.update", format!("user:{id}"))
        .await?;
    tx.commit().await?;
    Ok(ApiJson(views::user(user)))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn delete_user(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    if id == a.user.id {
        return Err(Error::InvalidInput(
            "an admin cannot delete themself".into(),
        ));
    }
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.delete_user(id).await? {
        return Err(Error::NotFound);
    }
    tx.audit(a.actor(), "user.delete", format!("user:{id}"))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a lockout of this user's sign-in and kiosk PIN (after repeated failures) at once.
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn unlock_user(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let user = tx.user(id).await?.ok_or(Error::NotFound)?;
    let tenant = tx.tenant_row().await?;
    tx.audit(a.actor(), "user.unlock", format!("user:{id}"))
        .await?;
    tx.commit().await?;
    let email = Email::parse(&user.email).map_err(|e| Error::Internal(e.into()))?;
    // The counters are keyed by what is typed: the tenant's slug (sign-in) or id (a kiosk's PIN).
    let keys = [
        state.store.throttle_key(Door::Login, &tenant.slug, &email),
        state
            .store
            .throttle_key(Door::Pin, &a.tenant.0.to_string(), &email),
    ];
    let mut g = state.store.global(true).await?;
    for key in &keys {
        g.clear_throttle(key).await?;
    }
    g.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
