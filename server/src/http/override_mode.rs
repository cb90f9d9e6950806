//! Override mode on a kiosk: a receptionist, after the PIN step-up, sees who is in the building
//! and who is still expected today, checks people in (an invited visitor with one tap) or out
//! for them and corrects records — all under the receptionist's identity.
//! Every route needs the device token and an override token of that same kiosk.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        invites::ExpectedVisitor,
        visits::{CheckIn, CheckedIn, CorrectVisit, Visit, VisitStatus},
    },
};

use super::{
    device::{CheckInAnswer, record_check_in},
    extract::{ApiJson, ApiPath},
    views,
};
use crate::{auth::Override, error::Error, state::AppState, store::VisitFilterSql};

/// The most on-site visits the list shows.
const MAX_ON_SITE: i64 = 2_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(super::device::check_in_router(
            OpenApiRouter::new().routes(routes!(on_site, check_in_for)),
        ))
        .routes(routes!(correct))
        .routes(routes!(check_out))
        .routes(routes!(exit))
        .routes(routes!(expected))
        .routes(routes!(check_in_invited))
}

/// Who is still expected today at this kiosk's site (invitations not used yet), by time.
#[utoipa::path(get, path = "/api/v1/kiosk/override/invites", tag = "override",
    responses((status = 200, body = Vec<ExpectedVisitor>)), security(("device" = [], "override" = [])))]
async fn expected(
    State(state): State<AppState>,
    o: Override,
) -> Result<ApiJson<Vec<ExpectedVisitor>>, Error> {
    let mut tx = state.store.read(o.device.tenant).await?;
    let list = super::invites::expected_today(&mut tx, o.device.kiosk.site_id).await?;
    tx.commit().await?;
    Ok(ApiJson(list))
}

/// Checks in the visitor of an invitation of this site, on arrival.
#[utoipa::path(post, path = "/api/v1/kiosk/override/invites/{id}/check-in", tag = "override", params(("id" = Uuid, Path)),
    responses((status = 201, body = CheckedIn), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("device" = [], "override" = [])))]
async fn check_in_invited(
    State(state): State<AppState>,
    o: Override,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<(StatusCode, ApiJson<CheckedIn>), Error> {
    let site = Some(o.device.kiosk.site_id);
    let answered =
        super::invites::check_in_for(&state, o.device.tenant, o.actor(), id, site).await?;
    Ok((StatusCode::CREATED, ApiJson(answered)))
}

/// Who is in the building: the on-site visits of this kiosk's site, newest first.
#[utoipa::path(get, path = "/api/v1/kiosk/override/visits", tag = "override",
    responses((status = 200, body = Vec<Visit>)), security(("device" = [], "override" = [])))]
async fn on_site(State(state): State<AppState>, o: Override) -> Result<ApiJson<Vec<Visit>>, Error> {
    let filter = VisitFilterSql {
        site_id: Some(o.device.kiosk.site_id),
        status: Some(VisitStatus::OnSite),
        limit: MAX_ON_SITE,
        ..Default::default()
    };
    let mut tx = state.store.read(o.device.tenant).await?;
    let rows = tx.visits(&filter).await?;
    tx.commit().await?;
    Ok(ApiJson(rows.into_iter().map(views::visit).collect()))
}

/// Checks a visitor in on their behalf (same contract as the kiosk's check-in).
#[utoipa::path(post, path = "/api/v1/kiosk/override/visits", tag = "override", request_body = CheckIn,
    params(("Idempotency-Key" = String, Header, pattern = "^[A-Za-z0-9_:.-]{1,128}$")),
    responses((status = 201, body = CheckedIn), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("device" = [], "override" = [])))]
async fn check_in_for(
    State(state): State<AppState>,
    o: Override,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CheckIn>,
) -> Result<CheckInAnswer, Error> {
    record_check_in(&state, &o.device, o.actor(), &headers, body, None).await
}

/// Corrects a visit of this site.
#[utoipa::path(patch, path = "/api/v1/kiosk/override/visits/{id}", tag = "override", params(("id" = Uuid, Path)),
    request_body = CorrectVisit,
    responses((status = 200, body = Visit), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("device" = [], "override" = [])))]
async fn correct(
    State(state): State<AppState>,
    o: Override,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(fix): ApiJson<CorrectVisit>,
) -> Result<ApiJson<Visit>, Error> {
    let mut tx = state.store.write(o.device.tenant).await?;
    let row = tx
        .correct_visit(o.actor(), id, Some(o.device.kiosk.site_id), &fix)
        .await?;
    tx.commit().await?;
    let visit = (id, row.site_id, row.host_id);
    super::events::visit_changed(&state, o.device.tenant, visit, row.status);
    Ok(ApiJson(views::visit(row)))
}

/// Checks out any on-site visit of this site.
#[utoipa::path(post, path = "/api/v1/kiosk/override/visits/{id}/checkout", tag = "override", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("device" = [], "override" = [])))]
async fn check_out(
    State(state): State<AppState>,
    o: Override,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(o.device.tenant).await?;
    let (site, host) = tx
        .check_out(o.actor(), id, Some(o.device.kiosk.site_id))
        .await?;
    tx.commit().await?;
    let out = vestibule_shared::dto::visits::VisitStatus::CheckedOut;
    super::events::visit_changed(&state, o.device.tenant, (id, site, host), out);
    Ok(StatusCode::NO_CONTENT)
}

/// Leaves override mode: the override token stops working.
#[utoipa::path(post, path = "/api/v1/kiosk/override/exit", tag = "override",
    responses((status = 204)), security(("device" = [], "override" = [])))]
async fn exit(State(state): State<AppState>, o: Override) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(o.device.tenant).await?;
    tx.delete_session(o.session_id).await?;
    tx.audit(
        o.actor(),
        "override.exit",
        format!("kiosk:{}", o.device.kiosk.id),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
