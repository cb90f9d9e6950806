//! `/scim/v2/Users`: create, read, list (filter `userName eq`, `externalId eq` or `id eq`;
//! `startIndex`/`count` paging; `attributes`/`excludedAttributes`), search by POST, replace,
//! PATCH and delete. Each user is a host; deactivating it (`active: false`) takes the host out of
//! the kiosk directory with the same commit (and disables the sign-in `sign_in.rs` gave it).
//! Every write is audited as the API key.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    Provisioner, ScimError, ScimJson,
    discovery::MAX_RESULTS,
    list,
    patch::split_eq,
    resource::{self, Projection},
    sign_in,
};
use crate::{
    http::extract::{ApiPath, ApiQuery, RawBody},
    state::AppState,
    store::{ScimFilter, ScimUserRow, TenantTx},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(search_users))
        .routes(routes!(search_all))
        .routes(routes!(get_user, replace_user, patch_user, delete_user))
}

/// The query of a list (RFC 7644 §3.4.2).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `userName eq "…"`, `externalId eq "…"` or `id eq "…"`.
    #[param(max_length = 600)]
    filter: Option<String>,
    /// 1-based index of the first result.
    start_index: Option<i64>,
    /// How many results at most (up to 200).
    count: Option<i64>,
    #[param(max_length = 600)]
    attributes: Option<String>,
    #[param(max_length = 600)]
    excluded_attributes: Option<String>,
}

/// The attributes an answer carries.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ShowQuery {
    #[param(max_length = 600)]
    attributes: Option<String>,
    #[param(max_length = 600)]
    excluded_attributes: Option<String>,
}

fn parse_filter(raw: Option<&str>) -> Result<ScimFilter, ScimError> {
    let Some(raw) = raw.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(ScimFilter::All);
    };
    let bad = || {
        ScimError::bad(
            "invalidFilter",
            "filters supported: userName eq \"…\", externalId eq \"…\", id eq \"…\"",
        )
    };
    let (attr, value) = split_eq(raw).ok_or_else(bad)?;
    let Value::String(value) = value else {
        return Err(bad());
    };
    let attr = attr
        .strip_prefix(resource::USER_SCHEMA)
        .map_or(attr, |a| a.trim_start_matches(':'));
    match attr.to_ascii_lowercase().as_str() {
        "username" => Ok(ScimFilter::UserName(value)),
        "externalid" => Ok(ScimFilter::ExternalId(value)),
        // An id that is no UUID matches nothing.
        "id" => Ok(ScimFilter::Id(Uuid::try_parse(&value).unwrap_or_default())),
        _ => Err(bad()),
    }
}

fn body_json(body: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice(body)
        .map_err(|_| ScimError::bad("invalidSyntax", "the body is not valid JSON"))
}

async fn page(tx: &mut TenantTx, q: &ListQuery) -> Result<ScimJson, ScimError> {
    let filter = parse_filter(q.filter.as_deref())?;
    let start = q.start_index.unwrap_or(1).max(1);
    let count = q.count.unwrap_or(100).clamp(0, MAX_RESULTS);
    let (rows, total) = tx.scim_users(&filter, start - 1, count).await?;
    let shown = Projection::new(q.attributes.as_deref(), q.excluded_attributes.as_deref());
    let items = rows
        .iter()
        .map(|r| shown.apply(resource::render(r)))
        .collect();
    Ok(list(items, total, start))
}

/// A user (a host): a 404 for an id that is no UUID or no user of this tenant.
async fn found(tx: &mut TenantTx, id: &str) -> Result<ScimUserRow, ScimError> {
    let id = Uuid::try_parse(id).map_err(|_| ScimError::not_found())?;
    tx.scim_user(id).await?.ok_or_else(ScimError::not_found)
}

fn created(row: &ScimUserRow) -> Response {
    let mut r = (StatusCode::CREATED, ScimJson(resource::render(row))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/scim/v2/Users/{}", row.id)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Lists users: all, or those a filter names.
#[utoipa::path(get, path = "/scim/v2/Users", tag = "scim", params(ListQuery),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 400, body = Object, content_type = "application/scim+json")),
    security(("api_key" = ["scim"])))]
async fn list_users(
    state: axum::extract::State<AppState>,
    Provisioner(p): Provisioner,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<ScimJson, ScimError> {
    let mut tx = state.store.read(p.tenant).await?;
    let answer = page(&mut tx, &q).await?;
    tx.commit().await?;
    Ok(answer)
}

/// Lists users by POST (RFC 7644 §3.4.3): the query in the body.
#[utoipa::path(post, path = "/scim/v2/Users/.search", tag = "scim",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 400, body = Object, content_type = "application/scim+json")),
    security(("api_key" = ["scim"])))]
async fn search_users(
    state: axum::extract::State<AppState>,
    p: Provisioner,
    body: RawBody,
) -> Result<ScimJson, ScimError> {
    search(state, p, body).await
}

/// Searches every resource type (RFC 7644 §3.4.3): users are the only one.
#[utoipa::path(post, path = "/scim/v2/.search", tag = "scim",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 400, body = Object, content_type = "application/scim+json")),
    security(("api_key" = ["scim"])))]
async fn search_all(
    state: axum::extract::State<AppState>,
    p: Provisioner,
    body: RawBody,
) -> Result<ScimJson, ScimError> {
    search(state, p, body).await
}

async fn search(
    state: axum::extract::State<AppState>,
    Provisioner(p): Provisioner,
    RawBody(body): RawBody,
) -> Result<ScimJson, ScimError> {
    let body = body_json(&body)?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let list_of = |k: &str| {
        body.get(k).and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    let q = ListQuery {
        filter: text("filter"),
        start_index: body.get("startIndex").and_then(Value::as_i64),
        count: body.get("count").and_then(Value::as_i64),
        attributes: list_of("attributes"),
        excluded_attributes: list_of("excludedAttributes"),
    };
    let mut tx = state.store.read(p.tenant).await?;
    let answer = page(&mut tx, &q).await?;
    tx.commit().await?;
    Ok(answer)
}

/// Provisions a user: a host at the company's first site (an admin may move them).
#[utoipa::path(post, path = "/scim/v2/Users", tag = "scim",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 201, body = Object, content_type = "application/scim+json"),
        (status = 400, body = Object, content_type = "application/scim+json"),
        (status = 409, body = Object, content_type = "application/scim+json")),
    security(("api_key" = ["scim"])))]
async fn create_user(
    state: axum::extract::State<AppState>,
    Provisioner(p): Provisioner,
    RawBody(body): RawBody,
) -> Result<Response, ScimError> {
    let user = resource::to_write(resource::clean(&body_json(&body)?)?)?;
    let mut tx = state.store.write(p.tenant).await?;
    let row = tx.scim_create(&user).await?;
    tx.audit(p.actor(), "scim.create", format!("host:{}", row.id))
        .await?;
    sign_in::sync(&mut tx, p.actor(), row.id, Some(&user)).await?;
    tx.commit().await?;
    Ok(created(&row))
}

#[utoipa::path(get, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path), ShowQuery),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 404, body = Object, content_type = "application/scim+json")),
    security(("api_key" = ["scim"])))]
async fn get_user(
    state: axum::extract::State<AppState>,
    Provisioner(p): Provisioner,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ShowQuery>,
) -> Result<ScimJson, ScimError> {
    let mut tx = state.store.read(p.tenant).await?;
    let row = found(&mut tx, &id).await?;
    tx.commit().await?;
    let shown = Projection::new(q.attributes.as_deref(), q.excluded_attributes.as_deref());
    Ok(ScimJson(shown.apply(resource::render(&row))))
}

/// Replaces a user (RFC 7644 §3.5.1): what the body leaves out is cleared.
#[utoipa::path(put, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path)),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 400, body = Object, content_type = "application/scim+json"),
        (status = 404, body = Object, content_type = "application/scim+json"),
        (status = 409, body = Object, content_type = "application/scim+json")),
    security(("api_key" = ["scim"])))]
async fn replace_user(
    state: axum::extract::State<AppState>,
    Provisioner(p): Provisioner,
    ApiPath(id): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<ScimJson, ScimError> {
    let body = body_json(&body)?;
    let mut tx = state.store.write(p.tenant).await?;
    let row = found(&mut tx, &id).await?;
    let user = resource::to_write(resource::clean(&body)?)?;
    save(tx, &p, row.id, &user).await
}

/// Changes a user by operations (RFC 7644 §3.5.2), as Entra ID and Okta send them.
#[utoipa::path(patch, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path)),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, body = Object, content_type = "application/scim+json"),
        (status = 400, body = Object, content_type = "application/scim+json"),
        (status = 404, body = Object, content_type = "application/scim+json"),
        (status = 409, body = Object, content_type = "application/scim+json")),
    security(("api_key" = ["scim"])))]
async fn patch_user(
    state: axum::extract::State<AppState>,
    Provisioner(p): Provisioner,
    ApiPath(id): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<ScimJson, ScimError> {
    let body = body_json(&body)?;
    let mut tx = state.store.write(p.tenant).await?;
    let row = found(&mut tx, &id).await?;
    let mut attrs = resource::attributes_of(&row);
    super::patch::patch(&mut attrs, &body)?;
    let user = resource::to_write(resource::clean(&Value::Object(attrs))?)?;
    save(tx, &p, row.id, &user).await
}

async fn save(
    mut tx: TenantTx,
    p: &crate::auth::Staff,
    id: Uuid,
    user: &crate::store::ScimWrite,
) -> Result<ScimJson, ScimError> {
    let row = tx
        .scim_replace(id, user)
        .await?
        .ok_or_else(ScimError::not_found)?;
    let action = if user.active {
        "scim.update"
    } else {
        "scim.deactivate"
    };
    tx.audit(p.actor(), action, format!("host:{id}")).await?;
    sign_in::sync(&mut tx, p.actor(), id, Some(user)).await?;
    tx.commit().await?;
    Ok(ScimJson(resource::render(&row)))
}

/// Removes a user: the host is deactivated at once (the visit log keeps them).
#[utoipa::path(delete, path = "/scim/v2/Users/{id}", tag = "scim", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Object, content_type = "application/scim+json")),
    security(("api_key" = ["scim"])))]
async fn delete_user(
    state: axum::extract::State<AppState>,
    Provisioner(p): Provisioner,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ScimError> {
    let id = Uuid::try_parse(&id).map_err(|_| ScimError::not_found())?;
    let mut tx = state.store.write(p.tenant).await?;
    if !tx.scim_delete(id).await? {
        return Err(ScimError::not_found());
    }
    tx.audit(p.actor(), "scim.delete", format!("host:{id}"))
        .await?;
    sign_in::sync(&mut tx, p.actor(), id, None).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
