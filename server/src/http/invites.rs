//! Invitations, for the desk and for hosts (a host invites for themselves and sees only their own):
//! create (the answer carries the code, once), list a day's, read one, cancel, the hosts one may
//! invite for, and the desk's check-in of an invited visitor on arrival. The kiosk's side, checking
//! in with a code, is `redeem.rs`.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        invites::{CreateInvite, ExpectedVisitor, Invite, InviteFilter, InviteHost, InviteState},
        visits::CheckedIn,
    },
    types::InviteCode,
};

use super::{
    extract::{ApiJson, ApiPath, ApiQuery},
    views,
};
use crate::{
    auth::{Desk, Staff},
    days::{day_window, end_of_day, local_date},
    error::Error,
    ids::TenantId,
    state::AppState,
    store::{Actor, NewInvite, TenantTx},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_invite, list_invites))
        .routes(routes!(get_invite, cancel_invite))
        .routes(routes!(check_in_invited))
        .routes(routes!(resend_invite))
        .routes(routes!(invite_hosts))
}

/// The hosts the caller may invite for: every host for the desk, a host's own records for a host.
#[utoipa::path(get, path = "/api/v1/invites/hosts", tag = "invites",
    responses((status = 200, body = Vec<InviteHost>)), security(("session" = []), ("api_key" = ["invites:write"])))]
async fn invite_hosts(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<ApiJson<Vec<InviteHost>>, Error> {
    let own = staff.own_visits()?;
    let mut tx = state.store.read(staff.tenant).await?;
    let mine = match &own {
        Some(email) => Some(tx.hosts_of(email).await?),
        None => None,
    };
    let hosts = tx.hosts(None).await?;
    tx.commit().await?;
    let mut hosts: Vec<InviteHost> = hosts
        .into_iter()
        .filter(|h| mine.as_ref().is_none_or(|m| m.contains(&h.id)))
        .map(|h| InviteHost {
            id: h.id,
            name: h.name,
            site_id: h.site_id,
        })
        .collect();
    hosts.sort_by_key(|h| h.name.to_lowercase());
    Ok(ApiJson(hosts))
}

/// The desk checks an invited visitor in on arrival (the visit is the desk's, at the invitation's
/// site).
#[utoipa::path(post, path = "/api/v1/invites/{id}/check-in", tag = "invites", params(("id" = Uuid, Path)),
    responses((status = 201, body = CheckedIn), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("session" = [])))]
async fn check_in_invited(
    State(state): State<AppState>,
    Desk(staff): Desk,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<(StatusCode, ApiJson<CheckedIn>), Error> {
    let answered = check_in_for(&state, staff.tenant, staff.actor(), id, None).await?;
    Ok((StatusCode::CREATED, ApiJson(answered)))
}

/// Staff check the visitor of the invitation `id` in on arrival (at `site` only, when given: a
/// kiosk's in override mode): the visit is staff's, at the invitation's site.
pub(super) async fn check_in_for(
    state: &AppState,
    tenant: TenantId,
    actor: Actor,
    id: Uuid,
    site: Option<Uuid>,
) -> Result<CheckedIn, Error> {
    let mut tx = state.store.write(tenant).await?;
    let invite = tx
        .invite(id)
        .await?
        .filter(|i| site.is_none_or(|s| s == i.site_id))
        .ok_or(Error::NotFound)?;
    if invite.state != InviteState::Expected {
        return Err(Error::Conflict(
            "only an invitation still expected can be checked in",
        ));
    }
    let new = super::redeem::visit_of(&invite, None, actor, None, None)?;
    let (visit, _) = tx.check_in(&new).await?;
    tx.invite_checked_in(actor, invite.id, visit.id).await?;
    tx.commit().await?;
    state.store.kick_sealer(tenant);
    let at = (invite.site_id, invite.host_id);
    super::device::announce(state, tenant, &visit, at).await;
    Ok(views::checked_in(visit, None, Some(invite.host_name)))
}

/// Invites a visitor. The answer's `code` is the only time the code is shown: the server keeps a
/// keyed hash of it. The invitation is good until the end of its expected day at the site.
#[utoipa::path(post, path = "/api/v1/invites", tag = "invites", request_body = CreateInvite,
    responses((status = 201, body = Invite), (status = 403, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = []), ("api_key" = ["invites:write"])))]
async fn create_invite(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(body): ApiJson<CreateInvite>,
) -> Result<(StatusCode, ApiJson<Invite>), Error> {
    let own = staff.own_visits()?;
    let mut tx = state.store.write(staff.tenant).await?;
    // A host invites for themselves only.
    if let Some(email) = &own
        && !tx.hosted_by(Some(body.host_id), email).await?
    {
        return Err(Error::Forbidden("a host invites only their own visitors"));
    }
    let site = tx
        .site(body.site_id)
        .await?
        .ok_or_else(|| Error::InvalidInput("site_id: no such site".into()))?;
    if !expected_in_range(tx.now(), body.expected_at) {
        return Err(Error::InvalidInput(format!("expected_at: {EXPECTED_RULE}")));
    }
    let code = new_code()?;
    let new = NewInvite {
        site_id: body.site_id,
        host_id: body.host_id,
        name: body.visitor.name.into(),
        email: body.visitor.email,
        company: body.visitor.company.map(Into::into),
        note: body.note.map(Into::into),
        expected_at: body.expected_at,
        expires_at: end_of_day(body.expected_at, &site.timezone)?,
        code: code.clone(),
    };
    let row = tx.insert_invite(staff.actor(), &new).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(views::invite(row, Some(code.display()))),
    ))
}

/// The invitations expected on one day (the site's day, or UTC's without `site_id`), by time.
#[utoipa::path(get, path = "/api/v1/invites", tag = "invites", params(InviteFilter),
    responses((status = 200, body = Vec<Invite>), (status = 422, body = ErrorEnvelope)), security(("session" = []), ("api_key" = ["invites:write"])))]
async fn list_invites(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(f): ApiQuery<InviteFilter>,
) -> Result<ApiJson<Vec<Invite>>, Error> {
    let own = staff.own_visits()?;
    let mut tx = state.store.read(staff.tenant).await?;
    let tz = match f.site_id {
        Some(id) => {
            tx.site(id)
                .await?
                .ok_or_else(|| Error::InvalidInput("site_id: no such site".into()))?
                .timezone
        }
        None => "UTC".to_owned(),
    };
    let day = match f.date {
        Some(d) => d,
        None => local_date(tx.now(), &tz)?,
    };
    let window = day_window(day, &tz)?;
    let rows = tx.invites(f.site_id, window, own.as_ref()).await?;
    tx.commit().await?;
    Ok(ApiJson(
        rows.into_iter().map(|r| views::invite(r, None)).collect(),
    ))
}

/// One invitation (a host: one of their own).
#[utoipa::path(get, path = "/api/v1/invites/{id}", tag = "invites", params(("id" = Uuid, Path)),
    responses((status = 200, body = Invite), (status = 404, body = ErrorEnvelope)), security(("session" = []), ("api_key" = ["invites:write"])))]
async fn get_invite(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Invite>, Error> {
    let mut tx = state.store.read(staff.tenant).await?;
    let row = own_invite(&mut tx, &staff, id).await?;
    tx.commit().await?;
    Ok(ApiJson(views::invite(row, None)))
}

/// Cancels an invitation still expected: its code stops working.
#[utoipa::path(delete, path = "/api/v1/invites/{id}", tag = "invites", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("session" = []), ("api_key" = ["invites:write"])))]
async fn cancel_invite(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(staff.tenant).await?;
    own_invite(&mut tx, &staff, id).await?;
    if !tx.cancel_invite(staff.actor(), id).await? {
        return Err(Error::Conflict(
            "only an invitation still expected can be cancelled",
        ));
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends an invitation still expected again, under a new code (the old one stops working: the
/// server keeps only a hash of it). The answer carries the new code.
#[utoipa::path(post, path = "/api/v1/invites/{id}/resend", tag = "invites", params(("id" = Uuid, Path)),
    responses((status = 200, body = Invite), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("session" = []), ("api_key" = ["invites:write"])))]
async fn resend_invite(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Invite>, Error> {
    let mut tx = state.store.write(staff.tenant).await?;
    // The row read here is the answer: sending again changes only the code's hash.
    let row = own_invite(&mut tx, &staff, id).await?;
    let code = new_code()?;
    if !tx.resend_invite(staff.actor(), id, &code).await? {
        return Err(Error::Conflict(
            "only an invitation still expected can be sent again",
        ));
    }
    tx.commit().await?;
    Ok(ApiJson(views::invite(row, Some(code.display()))))
}

/// The invitation `id`, if the caller may see it (a host: only their own; another's is as unknown
/// as a missing one).
async fn own_invite(
    tx: &mut TenantTx,
    staff: &Staff,
    id: Uuid,
) -> Result<crate::store::InviteRow, Error> {
    let row = tx.invite(id).await?.ok_or(Error::NotFound)?;
    if let Some(email) = staff.own_visits()?
        && !tx.hosted_by(Some(row.host_id), &email).await?
    {
        return Err(Error::NotFound);
    }
    Ok(row)
}

/// How far from now an invitation may be expected.
pub(super) const EXPECTED_RULE: &str = "must be from two days ago to a year ahead";

/// Whether `at` is a time an invitation may be expected at ([`EXPECTED_RULE`]).
pub(super) fn expected_in_range(now: DateTime<Utc>, at: DateTime<Utc>) -> bool {
    at >= now - chrono::Duration::days(2) && at <= now + chrono::Duration::days(366)
}

/// The invitations still expected today at `site` (the site's day), by expected time: what a
/// receptionist sees on a kiosk in override mode.
pub(super) async fn expected_today(
    tx: &mut TenantTx,
    site: Uuid,
) -> Result<Vec<ExpectedVisitor>, Error> {
    let tz = tx.site(site).await?.ok_or(Error::NotFound)?.timezone;
    let window = day_window(local_date(tx.now(), &tz)?, &tz)?;
    let rows = tx.invites(Some(site), window, None).await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.state == InviteState::Expected)
        .map(|r| ExpectedVisitor {
            id: r.id,
            visitor_name: r.visitor_name,
            host_name: r.host_name,
            expected_at: r.expected_at,
        })
        .collect())
}

/// Draws an invitation code: 10 characters of the code alphabet, about 49 bits.
pub(super) fn new_code() -> Result<InviteCode, Error> {
    InviteCode::parse(&crate::ids::random_code(InviteCode::LEN))
        .map_err(|e| Error::Internal(e.into()))
}
