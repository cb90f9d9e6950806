//! The host's approval of a visit whose visitor type asks for it. The visit waits as
//! `pending_approval` (on site, no badge code shown); its host (or the desk) approves or declines
//! it in the console, or the host with the link of their email, whose token names the tenant and
//! the visit and carries a keyed hash of the visit's id (`TenantTx::approval_secret`), compared
//! in constant time. Approved, the kiosk's waiting screen gets the badge code; declined, the
//! visit is checked out. The kiosk polls where its own visits stand; a receptionist in override
//! mode sees a visitor's photo.

use axum::{extract::State, http::StatusCode, response::Response};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        visitor_types::{ApprovalLookup, ApprovalRequest, DecideApproval, KioskVisitState},
        visits::VisitStatus,
    },
    types::LinkToken,
};

use super::{
    extract::{ApiJson, ApiPath},
    visit_records::{approval_state, jpeg, visible},
};
use crate::{
    auth::{Kiosk, Override, Staff, token},
    error::Error,
    ids::TenantId,
    state::AppState,
    store::{Actor, TenantTx, VisitRow, status_of},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(approve))
        .routes(routes!(deny))
        .routes(routes!(lookup))
        .routes(routes!(decide))
        .routes(routes!(kiosk_visit))
        .routes(routes!(override_photo))
}

/// Decides `visit` and tells the consoles; `404` when it does not wait for approval.
async fn decided(
    state: &AppState,
    mut tx: TenantTx,
    actor: Actor,
    visit: VisitRow,
    approve: bool,
) -> Result<StatusCode, Error> {
    let id = visit.id;
    if !tx.decide_approval(actor, id, approve).await? {
        return Err(Error::NotFound);
    }
    let tenant = tx.tenant;
    tx.commit().await?;
    let status = if approve {
        VisitStatus::OnSite
    } else {
        VisitStatus::Denied
    };
    let changed = (id, visit.site_id, visit.host_id);
    super::events::visit_changed(state, tenant, changed, status);
    Ok(StatusCode::NO_CONTENT)
}

/// Staff's decision: the visit's host, or the desk (a receptionist or an admin).
async fn staff_decides(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    approve: bool,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(staff.tenant).await?;
    let visit = visible(&mut tx, staff, id).await?;
    // A held visitor is admitted with `admit`; `deny` turns them away (the desk alone sees them).
    if visit.status == VisitStatus::Held {
        if approve {
            return Err(Error::NotFound);
        }
        return super::watchlist::decide(state, tx, staff.actor(), visit, false).await;
    }
    decided(state, tx, staff.actor(), visit, approve).await
}

/// Approves a visit waiting for its host: the kiosk gives the visitor their badge.
#[utoipa::path(post, path = "/api/v1/visits/{id}/approve", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = [])))]
async fn approve(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    staff_decides(&state, &staff, id, true).await
}

/// Declines a visit waiting for its host: it is checked out, and the kiosk sends the visitor
/// to reception. For a visitor held by the watchlist (desk only): turns them away.
#[utoipa::path(post, path = "/api/v1/visits/{id}/deny", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = [])))]
async fn deny(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    staff_decides(&state, &staff, id, false).await
}

/// The visit a host's link stands for, in a write transaction of its tenant; any token that
/// does not stand for one is one `404`.
async fn by_token(state: &AppState, t: &LinkToken) -> Result<(TenantTx, Uuid), Error> {
    let (tenant, visit, secret) = t.parts();
    let tx = state.store.write(TenantId(tenant)).await?;
    let expected = tx.approval_secret(visit);
    if !token::same(expected.as_bytes(), secret.as_bytes()) {
        return Err(Error::NotFound);
    }
    Ok((tx, visit))
}

/// What the host's link opens: who waits, where and since when, and whether it is decided.
#[utoipa::path(post, path = "/api/v1/approvals/lookup", tag = "approvals", request_body = ApprovalLookup,
    responses((status = 200, body = ApprovalRequest), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
async fn lookup(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ApprovalLookup>,
) -> Result<ApiJson<ApprovalRequest>, Error> {
    let (mut tx, id) = by_token(&state, &body.token).await?;
    let visit = tx.visit(id).await?.ok_or(Error::NotFound)?;
    let record = tx.visit_record(id).await?.ok_or(Error::NotFound)?;
    let site = tx.site(visit.site_id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    let state = approval_state(record.approval.as_deref().unwrap_or_default());
    Ok(ApiJson(ApprovalRequest {
        visit_id: id,
        visitor_name: visit.visitor_name,
        visitor_company: visit.visitor_company,
        visitor_type: record.type_name,
        site_name: site.name,
        checked_in_at: visit.checked_in_at,
        state,
    }))
}

/// The host's decision with their link (no account: the token is the proof).
#[utoipa::path(post, path = "/api/v1/approvals", tag = "approvals", request_body = DecideApproval,
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
async fn decide(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<DecideApproval>,
) -> Result<StatusCode, Error> {
    let (mut tx, id) = by_token(&state, &body.token).await?;
    let visit = tx.visit(id).await?.ok_or(Error::NotFound)?;
    decided(&state, tx, Actor::HostLink, visit, body.approve).await
}

/// Where a visit this kiosk checked in stands; the badge code once it is on site.
#[utoipa::path(get, path = "/api/v1/kiosk/visits/{id}", tag = "kiosk", params(("id" = Uuid, Path)),
    responses((status = 200, body = KioskVisitState), (status = 404, body = ErrorEnvelope)), security(("device" = [])))]
async fn kiosk_visit(
    State(state): State<AppState>,
    k: Kiosk,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<KioskVisitState>, Error> {
    let mut tx = state.store.read(k.tenant).await?;
    let (status, approval, badge) = tx
        .kiosk_visit(k.kiosk.id, id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    let status = status_of(&status, approval.as_deref());
    let badge_code = (status == VisitStatus::OnSite).then_some(badge);
    Ok(ApiJson(KioskVisitState {
        visit_id: id,
        status,
        badge_code,
    }))
}

/// A visitor's photo for the receptionist in override mode (visits of the kiosk's site).
#[utoipa::path(get, path = "/api/v1/kiosk/override/visits/{id}/photo", tag = "override", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = ErrorEnvelope)),
    security(("device" = [], "override" = [])))]
async fn override_photo(
    State(state): State<AppState>,
    o: Override,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, Error> {
    let mut tx = state.store.read(o.device.tenant).await?;
    let visit = tx.visit(id).await?.ok_or(Error::NotFound)?;
    if visit.site_id != o.device.kiosk.site_id {
        return Err(Error::NotFound);
    }
    let photo = tx.visit_photo(id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(jpeg(photo.to_vec()))
}
