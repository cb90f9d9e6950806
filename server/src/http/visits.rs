//! The visit log for signed-in staff: list with filters and paging, one visit, corrections,
//! check-out from the desk (the CSV export is `visit_export.rs`). And the tenant's audit log.

use axum::{extract::State, http::StatusCode};
use chrono::FixedOffset;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        Page,
        visits::{
            AuditEntry, AuditVerification, CorrectVisit, Paging, StatsQuery, Visit, VisitFilter,
            VisitStats, VisitStatus,
        },
    },
    types::PageCursor,
};

use super::{
    extract::{ApiJson, ApiPath, ApiQuery},
    views,
};
use crate::{
    auth::{Admin, Desk, Staff},
    error::Error,
    state::AppState,
    store::VisitFilterSql,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_visits))
        .routes(routes!(visit_stats))
        .routes(routes!(get_visit, correct_visit))
        .routes(routes!(check_out_visit))
        .routes(routes!(visit_history))
        .routes(routes!(list_audit))
        .routes(routes!(verify_audit))
}

/// Checks paging parameters: limit 1 to 200 (default 50), offset 0 or more.
pub(super) fn paging(limit: Option<i64>, offset: Option<i64>) -> Result<(i64, i64), Error> {
    let limit = limit.unwrap_or(50);
    let offset = offset.unwrap_or(0);
    if !(1..=200).contains(&limit) {
        return Err(Error::InvalidInput("limit: must be 1 to 200".into()));
    }
    if !(0..=10_000_000).contains(&offset) {
        return Err(Error::InvalidInput("offset: must be 0 to 10000000".into()));
    }
    Ok((limit, offset))
}

pub(super) fn filter_sql(
    staff: &Staff,
    f: VisitFilter,
    limit: i64,
    offset: i64,
) -> Result<VisitFilterSql, Error> {
    if let (Some(from), Some(to)) = (f.from, f.to)
        && from > to
    {
        return Err(Error::InvalidInput("from: must not be after to".into()));
    }
    Ok(VisitFilterSql {
        site_id: f.site_id,
        host_id: f.host_id,
        status: f.status,
        from: f.from,
        to: f.to,
        email: f.email,
        host_email: staff.own_visits()?,
        after: f.after.map(|c| (c.at, c.id)),
        limit,
        offset,
    })
}

/// The visit log, newest first.
#[utoipa::path(get, path = "/api/v1/visits", tag = "visits", params(VisitFilter),
    responses((status = 200, body = Page<Visit>), (status = 422, body = ErrorEnvelope)), security(("session" = []), ("api_key" = ["visits:read"])))]
async fn list_visits(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(f): ApiQuery<VisitFilter>,
) -> Result<ApiJson<Page<Visit>>, Error> {
    let (limit, offset) = paging(f.limit, f.offset)?;
    // One row more than the page says whether there is a next one.
    let filter = filter_sql(&staff, f, limit + 1, offset)?;
    let mut tx = state.store.read(staff.tenant).await?;
    let mut rows = tx.visits(&filter).await?;
    let (total, total_capped) = tx.count_visits(&filter).await?;
    tx.commit().await?;
    let page_len = usize::try_from(limit).map_err(|e| Error::Internal(e.into()))?;
    let next = if rows.len() > page_len {
        rows.truncate(page_len);
        rows.last().map(|r| PageCursor {
            at: r.checked_in_at,
            id: r.id,
        })
    } else {
        None
    };
    Ok(ApiJson(Page {
        total_capped,
        next,
        ..Page::new(
            rows.into_iter().map(views::visit).collect(),
            total,
            limit,
            offset,
        )
    }))
}

/// The dashboard: on site now, today's check-ins and check-outs, check-ins per day (30 days) and
/// per hour of day, counted without decrypting anything.
#[utoipa::path(get, path = "/api/v1/visits/stats", tag = "visits", params(StatsQuery),
    responses((status = 200, body = VisitStats), (status = 422, body = ErrorEnvelope)), security(("session" = []), ("api_key" = ["visits:read"])))]
async fn visit_stats(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> Result<ApiJson<VisitStats>, Error> {
    let minutes = q.utc_offset_minutes.unwrap_or(0);
    let offset = (-840..=840)
        .contains(&minutes)
        .then(|| FixedOffset::east_opt(minutes * 60))
        .flatten()
        .ok_or_else(|| Error::InvalidInput("utc_offset_minutes: must be -840 to 840".into()))?;
    let mut tx = state.store.read(staff.tenant).await?;
    let stats = tx
        .visit_stats(q.site_id, staff.own_visits()?.as_ref(), offset)
        .await?;
    tx.commit().await?;
    Ok(ApiJson(stats))
}

#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 200, body = Visit), (status = 404, body = ErrorEnvelope)), security(("session" = []), ("api_key" = ["visits:read"])))]
async fn get_visit(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Visit>, Error> {
    let mut tx = state.store.read(staff.tenant).await?;
    // A host sees their own visitors only; another's visit is as unknown as a missing one.
    let row = super::visit_records::visible(&mut tx, &staff, id).await?;
    tx.commit().await?;
    Ok(ApiJson(views::visit(row)))
}

/// One visit's own history from the audit log (check-in, corrections, check-out), oldest first.
#[utoipa::path(get, path = "/api/v1/visits/{id}/history", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<AuditEntry>), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn visit_history(
    State(state): State<AppState>,
    a: Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Vec<AuditEntry>>, Error> {
    state.store.seal_audit(a.0.tenant).await?;
    let mut tx = state.store.read(a.0.tenant).await?;
    tx.visit(id).await?.ok_or(Error::NotFound)?;
    let rows = tx.audit_of(&format!("visit:{id}")).await?;
    tx.commit().await?;
    Ok(ApiJson(rows.into_iter().map(views::audit).collect()))
}

/// Corrects a visit record (visitor details, host, purpose).
#[utoipa::path(patch, path = "/api/v1/visits/{id}", tag = "visits", params(("id" = Uuid, Path)), request_body = CorrectVisit,
    responses((status = 200, body = Visit), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = [])))]
async fn correct_visit(
    State(state): State<AppState>,
    Desk(staff): Desk,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(fix): ApiJson<CorrectVisit>,
) -> Result<ApiJson<Visit>, Error> {
    let mut tx = state.store.write(staff.tenant).await?;
    let row = tx.correct_visit(staff.actor(), id, None, &fix).await?;
    tx.commit().await?;
    let visit = (id, row.site_id, row.host_id);
    super::events::visit_changed(&state, staff.tenant, visit, row.status);
    Ok(ApiJson(views::visit(row)))
}

/// Checks a visitor out from the desk.
#[utoipa::path(post, path = "/api/v1/visits/{id}/checkout", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = [])))]
async fn check_out_visit(
    State(state): State<AppState>,
    Desk(staff): Desk,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(staff.tenant).await?;
    let (site, host) = tx.check_out(staff.actor(), id, None).await?;
    tx.commit().await?;
    let out = VisitStatus::CheckedOut;
    super::events::visit_changed(&state, staff.tenant, (id, site, host), out);
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's audit log, newest first (entries still waiting for their place in the chain are
/// chained first).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(Paging),
    responses((status = 200, body = Page<AuditEntry>)), security(("session" = ["admin"])))]
async fn list_audit(
    State(state): State<AppState>,
    a: Admin,
    ApiQuery(p): ApiQuery<Paging>,
) -> Result<ApiJson<Page<AuditEntry>>, Error> {
    let (limit, offset) = paging(p.limit, p.offset)?;
    state.store.seal_audit(a.0.tenant).await?;
    let mut tx = state.store.read(a.0.tenant).await?;
    let (rows, total) = tx.audit_entries(limit, offset).await?;
    tx.commit().await?;
    let items = rows.into_iter().map(views::audit).collect();
    Ok(ApiJson(Page::new(items, total, limit, offset)))
}

/// Re-computes the audit hash chain.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", responses((status = 200, body = AuditVerification)),
    security(("session" = ["admin"])))]
async fn verify_audit(
    State(state): State<AppState>,
    a: Admin,
) -> Result<ApiJson<AuditVerification>, Error> {
    state.store.seal_audit(a.0.tenant).await?;
    let mut tx = state.store.read(a.0.tenant).await?;
    let check = tx.verify_audit().await?;
    tx.commit().await?;
    Ok(ApiJson(AuditVerification {
        valid: check.broken_at.is_none(),
        entries: check.entries,
        broken_at: check.broken_at,
    }))
}
