//! Tenant admin: API keys (`/api/v1/api-keys`). Creating one answers its secret once; only its
//! SHA-256 is kept. A key is revoked, never deleted, so the audit log's `api_key:<id>` keeps a
//! name. Which routes a key may use is written in each route's OpenAPI entry (scheme `api_key`)
//! and enforced from there ([`route_scopes`]), so the document and the server cannot disagree.

use std::{collections::HashMap, sync::OnceLock};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::Response,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::api_keys::{ApiKey, ApiKeyCreated, ApiScope, CreateApiKey},
};

use super::extract::{ApiJson, ApiPath};
use crate::{
    auth::{Admin, RouteScopes, token},
    error::Error,
    state::AppState,
    store::ApiKeyRow,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(revoke))
}

fn view(r: ApiKeyRow) -> ApiKey {
    ApiKey {
        id: r.id,
        name: r.name,
        scopes: r.scopes,
        created_at: r.created_at,
        last_used_at: r.last_used_at,
        revoked_at: r.revoked_at,
    }
}

/// Makes a key with these scopes; the answer's `key` is the only time the secret is shown.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "integrations", request_body = CreateApiKey,
    responses((status = 201, body = ApiKeyCreated), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn create(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<CreateApiKey>,
) -> Result<(StatusCode, ApiJson<ApiKeyCreated>), Error> {
    if body.scopes.is_empty() {
        return Err(Error::InvalidInput("scopes: give at least one".into()));
    }
    let issued = token::issue(token::TokenKind::ApiKey, Some(a.tenant));
    let mut tx = state.store.write(a.tenant).await?;
    let row = tx
        .insert_api_key(body.name.as_str(), &body.scopes, &issued.hash)
        .await?;
    tx.audit(a.actor(), "api_key.create", format!("api_key:{}", row.id))
        .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(ApiKeyCreated {
            api_key: view(row),
            key: issued.token.to_string(),
        }),
    ))
}

/// Every key of the tenant, revoked ones included, oldest first (never a secret).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "integrations",
    responses((status = 200, body = Vec<ApiKey>)), security(("session" = ["admin"])))]
async fn list(
    State(state): State<AppState>,
    Admin(a): Admin,
) -> Result<ApiJson<Vec<ApiKey>>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let rows = tx.api_keys().await?;
    tx.commit().await?;
    Ok(ApiJson(rows.into_iter().map(view).collect()))
}

/// Revokes a key: the next request with it fails, on every replica.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "integrations", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn revoke(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.revoke_api_key(id).await? {
        return Err(Error::NotFound);
    }
    tx.audit(a.actor(), "api_key.revoke", format!("api_key:{id}"))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// For each route template, its methods and the API-key scopes each accepts.
type ScopeTable = HashMap<String, Vec<(Method, Vec<ApiScope>)>>;

/// The [`ScopeTable`], read once from the OpenAPI document's `api_key` security requirements.
fn scope_table() -> &'static ScopeTable {
    static TABLE: OnceLock<ScopeTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let doc = serde_json::to_value(super::openapi()).unwrap_or_default();
        let mut table = ScopeTable::new();
        let paths = doc["paths"].as_object().into_iter().flatten();
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
                    continue;
                };
                let scopes: Vec<ApiScope> = op["security"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r["api_key"].as_array())
                    .flatten()
                    .filter_map(|s| s.as_str().and_then(ApiScope::parse))
                    .collect();
                if !scopes.is_empty() {
                    table
                        .entry(path.clone())
                        .or_default()
                        .push((method, scopes));
                }
            }
        }
        table
    })
}

/// Marks each routed request with the API-key scopes its route accepts (none for most).
pub(super) async fn route_scopes(mut req: Request, next: Next) -> Response {
    let scopes = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| scope_table().get(p.as_str()))
        .and_then(|ms| ms.iter().find(|(m, _)| m == req.method()))
        .map(|(_, s)| s.as_slice());
    if let Some(s) = scopes {
        req.extensions_mut().insert(RouteScopes(s));
    }
    next.run(req).await
}
