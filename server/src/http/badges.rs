//! Badges: a visit's badge as a PDF for staff (`?template=`), the badge a kiosk sends to one of its
//! site's printers (the device that checked the visit in, for a few minutes after; or the
//! receptionist in override mode), and a reprint from the console, which the server sends to the
//! site's printers itself (fallbacks last). The badge is rendered from the stored visit on every
//! request and kept nowhere.

use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::Duration;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::badges::{
        BadgeQuery, BadgeTemplate, KioskBadgeQuery, PrintRequest, PrintResult, PrinterKind,
    },
    dto::visits::VisitStatus,
    types::PrinterUrl,
};

use super::{
    extract::{ApiJson, ApiPath, ApiQuery},
    visit_records::visible,
};
use crate::{
    auth::{Desk, Kiosk, Override, Staff},
    badge::{self, Badge, LogoFormat},
    days,
    error::Error,
    state::AppState,
    store::{PrinterRow, TenantTx, VisitRow},
};

/// How long after a check-in its kiosk may fetch the badge.
const KIOSK_WINDOW: Duration = Duration::minutes(15);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(badge_pdf))
        .routes(routes!(kiosk_badge))
        .routes(routes!(override_badge))
        .routes(routes!(reprint))
}

/// What a badge is made of, read in the visit's transaction.
pub(super) struct BadgeData {
    name: String,
    company: Option<String>,
    host: Option<String>,
    site: String,
    date: String,
    visitor_type: Option<String>,
    badge_code: String,
    photo: Option<zeroize::Zeroizing<Vec<u8>>>,
    logo: Option<(Vec<u8>, LogoFormat)>,
}

impl BadgeData {
    pub(super) async fn read(tx: &mut TenantTx, v: VisitRow) -> Result<BadgeData, Error> {
        let site = tx.site(v.site_id).await?.ok_or(Error::NotFound)?;
        let record = tx.visit_record(v.id).await?;
        let photo = match &record {
            Some(r) if r.photo => tx.visit_photo(v.id).await?,
            _ => None,
        };
        let day = days::local_date(v.checked_in_at, &site.timezone)?;
        Ok(BadgeData {
            name: v.visitor_name,
            company: v.visitor_company,
            host: v.host_name.as_ref().map(|h| format!("Host: {h}")),
            site: site.name,
            date: day.format("%-d %b %Y").to_string(),
            visitor_type: record.and_then(|r| r.type_name),
            badge_code: v.badge_code,
            photo,
            logo: logo(tx).await?,
        })
    }

    /// A sample visitor's badge, for previews and test prints.
    pub(super) async fn sample(tx: &mut TenantTx, site: String) -> Result<BadgeData, Error> {
        Ok(BadgeData {
            name: "Alex Example".into(),
            company: Some("Example Company".into()),
            host: Some("Host: Sam Sample".into()),
            site,
            date: tx.now().format("%-d %b %Y").to_string(),
            visitor_type: Some("Visitor".into()),
            badge_code: "TEST2345".into(),
            photo: None,
            logo: logo(tx).await?,
        })
    }

    pub(super) fn badge(&self) -> Badge<'_> {
        Badge {
            name: &self.name,
            company: self.company.as_deref(),
            host: self.host.as_deref(),
            site: &self.site,
            date: &self.date,
            visitor_type: self.visitor_type.as_deref(),
            badge_code: &self.badge_code,
            photo: self.photo.as_ref().map(|p| p.as_slice()),
            logo: self.logo.as_ref().map(|(d, f)| (d.as_slice(), *f)),
        }
    }

    /// The badge for a printer (a Brother QL's raster job or a PDF of its template), and where
    /// the printer is.
    pub(super) fn render_for(&self, printer: &PrinterRow) -> Result<(Vec<u8>, PrinterUrl), Error> {
        let url = PrinterUrl::parse(&printer.url)
            .map_err(|e| Error::Internal(anyhow::anyhow!("stored printer URL: {e}")))?;
        let bytes = match url.kind() {
            PrinterKind::BrotherQl => badge::brother_ql_62x100(&self.badge())?,
            PrinterKind::Ipp => {
                badge::pdf(&self.badge(), BadgeTemplate::from_stored(&printer.template))?
            }
        };
        Ok((bytes, url))
    }
}

async fn logo(tx: &mut TenantTx) -> Result<Option<(Vec<u8>, LogoFormat)>, Error> {
    Ok(tx
        .logo()
        .await?
        .and_then(|l| LogoFormat::from_content_type(&l.content_type).map(|f| (l.data, f))))
}

/// A document no cache keeps.
pub(super) fn document(bytes: Vec<u8>, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response()
}

/// A visit's badge as a PDF, for staff who may see the visit.
#[utoipa::path(get, path = "/api/v1/visits/{id}/badge.pdf", tag = "badges", params(("id" = Uuid, Path), BadgeQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorEnvelope)),
    security(("session" = [])))]
async fn badge_pdf(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<BadgeQuery>,
) -> Result<Response, Error> {
    let mut tx = state.store.read(staff.tenant).await?;
    let visit = visible(&mut tx, &staff, id).await?;
    let template = match q.template {
        Some(t) => t,
        None => tx
            .first_printer()
            .await?
            .map(|p| BadgeTemplate::from_stored(&p.template))
            .unwrap_or_default(),
    };
    let data = BadgeData::read(&mut tx, visit).await?;
    tx.commit().await?;
    Ok(document(
        badge::pdf(&data.badge(), template)?,
        "application/pdf",
    ))
}

/// A printer of the site `site`, by id.
async fn site_printer(tx: &mut TenantTx, site: Uuid, id: Uuid) -> Result<PrinterRow, Error> {
    tx.printer(id)
        .await?
        .filter(|p| p.site_id == site)
        .ok_or(Error::NotFound)
}

/// The badge of a visit this kiosk checked in, for one of its site's printers, until
/// 15 minutes after the check-in.
#[utoipa::path(get, path = "/api/v1/kiosk/visits/{id}/badge", tag = "kiosk", params(("id" = Uuid, Path), KioskBadgeQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorEnvelope)),
    security(("device" = [])))]
async fn kiosk_badge(
    State(state): State<AppState>,
    k: Kiosk,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<KioskBadgeQuery>,
) -> Result<Response, Error> {
    let mut tx = state.store.read(k.tenant).await?;
    tx.kiosk_visit(k.kiosk.id, id)
        .await?
        .ok_or(Error::NotFound)?;
    let visit = tx.visit(id).await?.ok_or(Error::NotFound)?;
    if visit.status != VisitStatus::OnSite || tx.now() - visit.checked_in_at > KIOSK_WINDOW {
        return Err(Error::NotFound);
    }
    let printer = site_printer(&mut tx, k.kiosk.site_id, q.printer_id).await?;
    let data = BadgeData::read(&mut tx, visit).await?;
    tx.commit().await?;
    let (bytes, url) = data.render_for(&printer)?;
    Ok(document(bytes, vestibule_print::format_for(&url)))
}

/// A badge again, for the receptionist in override mode (a visit on site at the kiosk's site).
#[utoipa::path(get, path = "/api/v1/kiosk/override/visits/{id}/badge", tag = "override", params(("id" = Uuid, Path), KioskBadgeQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorEnvelope)),
    security(("device" = [], "override" = [])))]
async fn override_badge(
    State(state): State<AppState>,
    o: Override,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<KioskBadgeQuery>,
) -> Result<Response, Error> {
    let mut tx = state.store.write(o.device.tenant).await?;
    let visit = tx.visit(id).await?.ok_or(Error::NotFound)?;
    if visit.site_id != o.device.kiosk.site_id || visit.status != VisitStatus::OnSite {
        return Err(Error::NotFound);
    }
    let printer = site_printer(&mut tx, o.device.kiosk.site_id, q.printer_id).await?;
    let data = BadgeData::read(&mut tx, visit).await?;
    tx.audit(o.actor(), "badge.reprint", format!("visit:{id}"))
        .await?;
    tx.commit().await?;
    let (bytes, url) = data.render_for(&printer)?;
    Ok(document(bytes, vestibule_print::format_for(&url)))
}

/// Prints a visit's badge again from the server: on `printer_id`, or the site's printers in
/// order until one takes it.
#[utoipa::path(post, path = "/api/v1/visits/{id}/print", tag = "badges", params(("id" = Uuid, Path)), request_body = PrintRequest,
    responses((status = 200, body = PrintResult), (status = 404, body = ErrorEnvelope)),
    security(("session" = ["admin", "receptionist"])))]
async fn reprint(
    State(state): State<AppState>,
    Desk(staff): Desk,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PrintRequest>,
) -> Result<ApiJson<PrintResult>, Error> {
    let mut tx = state.store.write(staff.tenant).await?;
    let visit = tx.visit(id).await?.ok_or(Error::NotFound)?;
    let printers = printers_to_try(&mut tx, visit.site_id, body.printer_id).await?;
    let data = BadgeData::read(&mut tx, visit).await?;
    tx.audit(staff.actor(), "badge.reprint", format!("visit:{id}"))
        .await?;
    tx.commit().await?;
    print_on(&data, printers).await.map(ApiJson)
}

/// `only` (of site `site`), or the site's printers in order.
pub(super) async fn printers_to_try(
    tx: &mut TenantTx,
    site: Uuid,
    only: Option<Uuid>,
) -> Result<Vec<PrinterRow>, Error> {
    match only {
        Some(id) => Ok(vec![site_printer(tx, site, id).await?]),
        None => tx.site_printers(site).await,
    }
}

/// Sends the badge to each printer in turn until one takes it.
pub(super) async fn print_on(
    data: &BadgeData,
    printers: Vec<PrinterRow>,
) -> Result<PrintResult, Error> {
    for printer in printers {
        let (bytes, url) = data.render_for(&printer)?;
        match vestibule_print::send(&url, zeroize::Zeroizing::new(bytes)).await {
            Ok(()) => {
                return Ok(PrintResult {
                    printed: true,
                    printer_id: Some(printer.id),
                    printer_name: Some(printer.name),
                    problem: None,
                });
            }
            Err(e) => {
                tracing::warn!(printer = %printer.id, error = %e, "a printer did not take a badge")
            }
        }
    }
    Ok(PrintResult {
        printed: false,
        printer_id: None,
        printer_name: None,
        problem: Some(
            "No printer of the site took the badge: check that it is on and reachable.".into(),
        ),
    })
}
