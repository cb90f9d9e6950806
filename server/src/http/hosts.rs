//! Tenant admin: the host directory, one by one or as a CSV import with a per-row error report.

use axum::{extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::directory::{CreateHost, Host, HostImport, RowError, UpdateHost},
    types::{Email, PersonName},
};

use super::{
    csv_rows,
    extract::{ApiJson, ApiPath, ApiQuery, RawBody},
    views,
};
use crate::{auth::Admin, error::Error, state::AppState, store::NewHost};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_host, list_hosts))
        .routes(routes!(get_host, update_host, delete_host))
        .routes(routes!(import_hosts))
}

#[utoipa::path(post, path = "/api/v1/hosts", tag = "hosts", request_body = CreateHost,
    responses((status = 201, body = Host), (status = 422, body = ErrorEnvelope)), security(("session" = ["admin"]), ("api_key" = ["hosts:write"])))]
async fn create_host(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<CreateHost>,
) -> Result<(StatusCode, ApiJson<Host>), Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let row = tx
        .insert_host(&NewHost {
            name: body.name.into(),
            email: body.email,
            site_id: body.site_id,
        })
        .await?;
    tx.audit(a.actor(), "host.create", format!("host:{}", row.id))
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(views::host(row))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct HostFilter {
    site_id: Option<Uuid>,
}

#[utoipa::path(get, path = "/api/v1/hosts", tag = "hosts", params(HostFilter), responses((status = 200, body = Vec<Host>)),
    security(("session" = ["admin"]), ("api_key" = ["hosts:write"])))]
async fn list_hosts(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiQuery(f): ApiQuery<HostFilter>,
) -> Result<ApiJson<Vec<Host>>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let rows = tx.hosts(f.site_id).await?;
    tx.commit().await?;
    Ok(ApiJson(rows.into_iter().map(views::host).collect()))
}

#[utoipa::path(get, path = "/api/v1/hosts/{id}", tag = "hosts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Host), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"]), ("api_key" = ["hosts:write"])))]
async fn get_host(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Host>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let row = tx.host(id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(ApiJson(views::host(row)))
}

#[utoipa::path(patch, path = "/api/v1/hosts/{id}", tag = "hosts", params(("id" = Uuid, Path)), request_body = UpdateHost,
    responses((status = 200, body = Host), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"]), ("api_key" = ["hosts:write"])))]
async fn update_host(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateHost>,
) -> Result<ApiJson<Host>, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let mut row = tx.host(id).await?.ok_or(Error::NotFound)?;
    if let Some(n) = body.name {
        row.name = n.into();
    }
    if let Some(s) = body.site_id {
        row.site_id = s;
    }
    let email = match body.email {
        Some(e) => e,
        None => Email::parse(&row.email)
            .map_err(|_| Error::Internal(anyhow::anyhow!("stored host email is invalid")))?,
    };
    row.email = email.as_str().to_owned();
    tx.update_host(&row, &email).await?;
    tx.audit(a.actor(), "host.update", format!("host:{id}"))
        .await?;
    tx.commit().await?;
    Ok(ApiJson(views::host(row)))
}

#[utoipa::path(delete, path = "/api/v1/hosts/{id}", tag = "hosts", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)), security(("session" = ["admin"]), ("api_key" = ["hosts:write"])))]
async fn delete_host(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.delete_host(id).await? {
        return Err(Error::NotFound);
    }
    tx.audit(a.actor(), "host.delete", format!("host:{id}"))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports the directory from CSV (`Content-Type: text/csv`, header `name,email,site_id`).
/// Every row is checked first: if any is invalid, the answer is a 422 listing each bad row and
/// nothing is imported.
#[utoipa::path(post, path = "/api/v1/hosts/import", tag = "hosts", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = HostImport), (status = 422, body = ErrorEnvelope)), security(("session" = ["admin"]), ("api_key" = ["hosts:write"])))]
async fn import_hosts(
    State(state): State<AppState>,
    Admin(a): Admin,
    RawBody(body): RawBody,
) -> Result<(StatusCode, ApiJson<HostImport>), Error> {
    let rows = parse_csv(&body)?;
    let mut tx = state.store.write(a.tenant).await?;
    let sites: Vec<Uuid> = tx.sites().await?.into_iter().map(|s| s.id).collect();
    let (mut hosts, mut errors) = (Vec::new(), Vec::new());
    for row in rows {
        match row {
            Ok((line, h)) if !sites.contains(&h.site_id) => errors.push(RowError {
                line,
                column: "site_id".into(),
                message: "no such site".into(),
            }),
            Ok((_, h)) => hosts.push(h),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::InvalidRows(errors));
    }
    for h in &hosts {
        let row = tx.insert_host(h).await?;
        tx.audit(a.actor(), "host.import", format!("host:{}", row.id))
            .await?;
    }
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(HostImport {
            imported: hosts.len(),
            errors: vec![],
        }),
    ))
}

/// One row of an import: its line and the host it describes, or why it is invalid.
pub type ParsedRow = csv_rows::Parsed<NewHost>;

/// Parses and validates a directory CSV (the body of `POST /api/v1/hosts/import`), row by row;
/// whether each row's site exists is checked afterwards. Public for the fuzz targets.
pub fn parse_csv(body: &[u8]) -> Result<Vec<ParsedRow>, Error> {
    csv_rows::parse(body, &["name", "email", "site_id"], |row| {
        Ok(NewHost {
            name: PersonName::parse(row.get("name"))
                .map_err(|e| row.error("name", e.0))?
                .into(),
            email: Email::parse(row.get("email")).map_err(|e| row.error("email", e.0))?,
            site_id: Uuid::try_parse(row.get("site_id"))
                .map_err(|_| row.error("site_id", "must be a UUID"))?,
        })
    })
}
