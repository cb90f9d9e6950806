//! The watchlist: admins keep its entries (`/api/v1/watchlist`); a check-in that matches one is
//! held (`check_in.rs`), and the desk (admins, receptionists) sees why
//! (`GET /api/v1/visits/{id}/hold`) and admits the visitor (`POST /api/v1/visits/{id}/admit`)
//! or turns them away (`POST /api/v1/visits/{id}/deny`, shared with the host's approval).
//! Hosts never see a held visit, and the kiosk only ever says "please see reception".

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        visits::VisitStatus,
        watchlist::{HoldReasons, WatchEntry, WatchInput, WatchPatch},
    },
};

use super::extract::{ApiJson, ApiPath};
use crate::{
    auth::{Admin, Desk},
    error::Error,
    state::AppState,
    store::{Actor, TenantTx, VisitRow, WatchRow},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
        .routes(routes!(hold))
        .routes(routes!(admit))
}

fn view(r: WatchRow, now: chrono::DateTime<chrono::Utc>) -> WatchEntry {
    WatchEntry {
        active: r.expires_at.is_none_or(|at| at > now),
        id: r.id,
        name: r.name,
        email: r.email,
        reason: r.reason,
        expires_at: r.expires_at,
        created_at: r.created_at,
    }
}

/// Entry `id` as the answer of a write, then the commit.
async fn answer(mut tx: TenantTx, id: Uuid) -> Result<ApiJson<WatchEntry>, Error> {
    let row = tx.watch_entry(id).await?.ok_or(Error::NotFound)?;
    let now = tx.now();
    tx.commit().await?;
    Ok(ApiJson(view(row, now)))
}

/// Every entry, newest first, expired ones included (marked inactive).
#[utoipa::path(get, path = "/api/v1/watchlist", tag = "watchlist",
    responses((status = 200, body = Vec<WatchEntry>)), security(("session" = ["admin"])))]
async fn list(
    State(state): State<AppState>,
    Admin(a): Admin,
) -> Result<ApiJson<Vec<WatchEntry>>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let rows = tx.watch_entries().await?;
    let now = tx.now();
    tx.commit().await?;
    Ok(ApiJson(rows.into_iter().map(|r| view(r, now)).collect()))
}

/// Adds a person: a name, an email or both, and why.
#[utoipa::path(post, path = "/api/v1/watchlist", tag = "watchlist", request_body = WatchInput,
    responses((status = 201, body = WatchEntry), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn create(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<WatchInput>,
) -> Result<(StatusCode, ApiJson<WatchEntry>), Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let id = tx.add_watch(a.actor(), &body).await?;
    Ok((StatusCode::CREATED, answer(tx, id).await?))
}

/// Changes an entry: a field left out is kept, `null` clears it (a name or an email must stay).
#[utoipa::path(patch, path = "/api/v1/watchlist/{id}", tag = "watchlist", params(("id" = Uuid, Path)),
    request_body = WatchPatch,
    responses((status = 200, body = WatchEntry), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn update(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<WatchPatch>,
) -> Result<ApiJson<WatchEntry>, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.update_watch(a.actor(), id, body).await? {
        return Err(Error::NotFound);
    }
    answer(tx, id).await
}

#[utoipa::path(delete, path = "/api/v1/watchlist/{id}", tag = "watchlist", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn delete(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.delete_watch(a.actor(), id).await? {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Why a held visit is held: the reasons of the entries its visitor matches.
#[utoipa::path(get, path = "/api/v1/visits/{id}/hold", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 200, body = HoldReasons), (status = 404, body = ErrorEnvelope)),
    security(("session" = ["admin", "receptionist"])))]
async fn hold(
    State(state): State<AppState>,
    Desk(staff): Desk,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<HoldReasons>, Error> {
    let mut tx = state.store.read(staff.tenant).await?;
    let reasons = tx.hold_reasons(id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(ApiJson(HoldReasons { reasons }))
}

/// Lets a held visitor in: the visit is on site, and its host is told now.
#[utoipa::path(post, path = "/api/v1/visits/{id}/admit", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)),
    security(("session" = ["admin", "receptionist"])))]
async fn admit(
    State(state): State<AppState>,
    Desk(staff): Desk,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(staff.tenant).await?;
    let visit = tx.visit(id).await?.ok_or(Error::NotFound)?;
    decide(&state, tx, staff.actor(), visit, true).await
}

/// Staff's decision on held visit `visit` (`404` when it is not held), told to the consoles.
pub(super) async fn decide(
    state: &AppState,
    mut tx: TenantTx,
    actor: Actor,
    visit: VisitRow,
    admit: bool,
) -> Result<StatusCode, Error> {
    if !tx.decide_hold(actor, visit.id, admit).await? {
        return Err(Error::NotFound);
    }
    let tenant = tx.tenant;
    tx.commit().await?;
    let status = if admit {
        VisitStatus::OnSite
    } else {
        VisitStatus::Denied
    };
    let changed = (visit.id, visit.site_id, visit.host_id);
    super::events::visit_changed(state, tenant, changed, status);
    Ok(StatusCode::NO_CONTENT)
}
