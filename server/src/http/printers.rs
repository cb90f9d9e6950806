//! A site's label printers (admin: add, change, remove, test print), the list a kiosk prints to,
//! the tenant's logo on its badges, and a preview of a template with a sample visitor.

use axum::{extract::State, http::StatusCode, response::Response};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::badges::{
        BadgeQuery, BadgeTemplate, CreatePrinter, KioskPrinter, Logo, PrintResult, Printer,
        PrinterKind, UpdatePrinter,
    },
    types::PrinterUrl,
};

use super::{
    badges::{BadgeData, document, print_on},
    extract::{ApiJson, ApiPath, ApiQuery},
};
use crate::{
    auth::{Admin, Desk, Kiosk},
    badge::{self, LogoFormat},
    error::Error,
    state::AppState,
    store::PrinterRow,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_printers, create_printer))
        .routes(routes!(update_printer, delete_printer))
        .routes(routes!(test_print))
        .routes(routes!(kiosk_printers))
        .routes(routes!(preview))
        .routes(routes!(get_logo, delete_logo))
}

/// The logo upload, with a body limit of its own.
pub fn logo_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(put_logo))
}

fn view(r: PrinterRow) -> Printer {
    let kind = PrinterUrl::parse(&r.url).map_or(PrinterKind::Ipp, |u| u.kind());
    Printer {
        id: r.id,
        site_id: r.site_id,
        name: r.name,
        kind,
        template: BadgeTemplate::from_stored(&r.template),
        url: r.url,
        fallback: r.fallback,
        created_at: r.created_at,
    }
}

/// A Brother QL prints its own label only.
fn check(url: &PrinterUrl, template: BadgeTemplate) -> Result<(), Error> {
    if url.kind() == PrinterKind::BrotherQl && template != BadgeTemplate::Brother62x100 {
        return Err(Error::InvalidInput(
            "template: a Brother QL printer (socket://) prints brother-62x100 only".into(),
        ));
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/sites/{id}/printers", tag = "printers", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Printer>), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin", "receptionist"])))]
async fn list_printers(
    State(state): State<AppState>,
    Desk(staff): Desk,
    ApiPath(site): ApiPath<Uuid>,
) -> Result<ApiJson<Vec<Printer>>, Error> {
    let mut tx = state.store.read(staff.tenant).await?;
    tx.site(site).await?.ok_or(Error::NotFound)?;
    let rows = tx.site_printers(site).await?;
    tx.commit().await?;
    Ok(ApiJson(rows.into_iter().map(view).collect()))
}

#[utoipa::path(post, path = "/api/v1/sites/{id}/printers", tag = "printers", params(("id" = Uuid, Path)), request_body = CreatePrinter,
    responses((status = 201, body = Printer), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn create_printer(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(site): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreatePrinter>,
) -> Result<(StatusCode, ApiJson<Printer>), Error> {
    check(&body.url, body.template)?;
    let mut tx = state.store.write(a.tenant).await?;
    tx.site(site).await?.ok_or(Error::NotFound)?;
    let row = tx
        .insert_printer(
            site,
            body.name.as_str(),
            body.url.as_str(),
            body.template.as_str(),
            body.fallback,
        )
        .await?;
    tx.audit(a.actor(), "printer.create", format!("printer:{}", row.id))
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(view(row))))
}

#[utoipa::path(patch, path = "/api/v1/printers/{id}", tag = "printers", params(("id" = Uuid, Path)), request_body = UpdatePrinter,
    responses((status = 200, body = Printer), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn update_printer(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdatePrinter>,
) -> Result<ApiJson<Printer>, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let mut row = tx.printer(id).await?.ok_or(Error::NotFound)?;
    if let Some(n) = body.name {
        row.name = n.into();
    }
    if let Some(u) = body.url {
        row.url = u.into();
    }
    if let Some(t) = body.template {
        row.template = t.as_str().to_owned();
    }
    if let Some(f) = body.fallback {
        row.fallback = f;
    }
    let url = PrinterUrl::parse(&row.url).map_err(|e| Error::InvalidInput(format!("url: {e}")))?;
    check(&url, BadgeTemplate::from_stored(&row.template))?;
    tx.update_printer(&row).await?;
    tx.audit(a.actor(), "printer.update", format!("printer:{id}"))
        .await?;
    tx.commit().await?;
    Ok(ApiJson(view(row)))
}

#[utoipa::path(delete, path = "/api/v1/printers/{id}", tag = "printers", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn delete_printer(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.delete_printer(id).await? {
        return Err(Error::NotFound);
    }
    tx.audit(a.actor(), "printer.delete", format!("printer:{id}"))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Prints a sample badge on the printer, from the server.
#[utoipa::path(post, path = "/api/v1/printers/{id}/test", tag = "printers", params(("id" = Uuid, Path)),
    responses((status = 200, body = PrintResult), (status = 404, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn test_print(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<PrintResult>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let printer = tx.printer(id).await?.ok_or(Error::NotFound)?;
    let site = tx.site(printer.site_id).await?.ok_or(Error::NotFound)?;
    let data = BadgeData::sample(&mut tx, site.name).await?;
    tx.commit().await?;
    print_on(&data, vec![printer]).await.map(ApiJson)
}

/// The printers of this kiosk's site, in the order to try them.
#[utoipa::path(get, path = "/api/v1/kiosk/printers", tag = "kiosk",
    responses((status = 200, body = Vec<KioskPrinter>)), security(("device" = [])))]
async fn kiosk_printers(
    State(state): State<AppState>,
    k: Kiosk,
) -> Result<ApiJson<Vec<KioskPrinter>>, Error> {
    let mut tx = state.store.read(k.tenant).await?;
    let rows = tx.site_printers(k.kiosk.site_id).await?;
    tx.commit().await?;
    Ok(ApiJson(
        rows.into_iter()
            .filter_map(|r| {
                let url = PrinterUrl::parse(&r.url).ok()?;
                Some(KioskPrinter {
                    id: r.id,
                    name: r.name,
                    url,
                })
            })
            .collect(),
    ))
}

/// A template's badge with a sample visitor and the tenant's logo, as a PNG.
#[utoipa::path(get, path = "/api/v1/badges/preview.png", tag = "badges", params(BadgeQuery),
    responses((status = 200, content_type = "image/png", body = Vec<u8>)), security(("session" = ["admin"])))]
async fn preview(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiQuery(q): ApiQuery<BadgeQuery>,
) -> Result<Response, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let data = BadgeData::sample(&mut tx, "Reception".into()).await?;
    tx.commit().await?;
    let png = badge::png(&data.badge(), q.template.unwrap_or_default(), 150.0)?;
    Ok(document(png, "image/png"))
}

/// Sets the tenant's logo (PNG or SVG, at most 256 KiB).
#[utoipa::path(put, path = "/api/v1/settings/logo", tag = "settings", request_body = Logo,
    responses((status = 204), (status = 422, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn put_logo(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<Logo>,
) -> Result<StatusCode, Error> {
    use base64::Engine as _;
    let format = LogoFormat::from_content_type(&body.content_type).ok_or_else(|| {
        Error::InvalidInput("content_type: must be image/png or image/svg+xml".into())
    })?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body.data.as_str())
        .map_err(|_| Error::InvalidInput("data: must be standard base64".into()))?;
    if bytes.len() > Logo::MAX_BYTES {
        return Err(Error::InvalidInput(
            "data: a logo must be at most 256 KiB".into(),
        ));
    }
    let stored = badge::logo(format, &bytes)?;
    let mut tx = state.store.write(a.tenant).await?;
    tx.set_logo(format.content_type(), &stored).await?;
    tx.audit(a.actor(), "settings.logo", "tenant".to_owned())
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's logo as stored.
#[utoipa::path(get, path = "/api/v1/settings/logo", tag = "settings",
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn get_logo(State(state): State<AppState>, Admin(a): Admin) -> Result<Response, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let logo = tx.logo().await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    let format = LogoFormat::from_content_type(&logo.content_type).unwrap_or(LogoFormat::Png);
    Ok(document(logo.data, format.content_type()))
}

#[utoipa::path(delete, path = "/api/v1/settings/logo", tag = "settings",
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn delete_logo(State(state): State<AppState>, Admin(a): Admin) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.delete_logo().await? {
        return Err(Error::NotFound);
    }
    tx.audit(a.actor(), "settings.logo", "tenant".to_owned())
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
