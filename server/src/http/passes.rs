//! Visitor passes. A walk-in who ticks "send me a pass for next time" asks for one with their
//! check-in ([`check_in_asking_pass`]); it is issued and emailed when the visit ends (the store's
//! check-out). At any kiosk of the tenant, `POST /api/v1/kiosk/visits` with `pass_code` checks the
//! holder in with their stored details: with the host they pick, or without one the host of the
//! invitation they are expected on today at that site (which is then used). Like an invitation's
//! code, a pass code that is no use is one 404 counted towards the kiosk's back-off, and the kiosk
//! learns only the holder's first name. Staff see a visitor's pass on any of their visits and
//! revoke it; the visitor revokes it with the link in their email, whose token names the tenant and
//! the pass and carries a secret compared in constant time with its stored keyed hash.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::passes::{PassGreeting, PassLookup, RedeemPass, RevokePass, VisitorPass},
};

use super::{
    device::{CheckInAnswer, announce, answer, idempotency, missed, not_waiting},
    extract::{ApiJson, ApiPath},
    redeem::first_name,
};
use crate::{
    auth::{Desk, Kiosk, Staff, token},
    days::end_of_day,
    error::Error,
    ids::TenantId,
    state::AppState,
    store::{Actor, CheckedInRow, Flow, InviteRow, NewVisit, PassHolder, TenantTx},
};

/// What a kiosk's wait after wrong pass codes is audited and counted as.
const BACKOFF: &str = "pass_backoff";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(lookup))
        .routes(routes!(visit_pass))
        .routes(routes!(revoke))
        .routes(routes!(revoke_own))
}

/// A walk-in's check-in that asks for a pass: the visit and the request in one transaction.
pub(super) async fn check_in_asking_pass(
    state: &AppState,
    tenant: TenantId,
    new: &NewVisit,
) -> Result<(CheckedInRow, bool), Error> {
    let mut tx = state.store.write(tenant).await?;
    let (visit, replayed) = tx.check_in(new).await?;
    if !replayed {
        tx.request_pass(new.actor, visit.visitor_id, visit.id)
            .await?;
    }
    tx.commit().await?;
    state.store.kick_sealer(tenant);
    Ok((visit, replayed))
}

/// Checks a pass holder in.
pub(super) async fn redeem(
    state: &AppState,
    k: &Kiosk,
    headers: &HeaderMap,
    body: RedeemPass,
) -> Result<CheckInAnswer, Error> {
    let (key, hash) = idempotency(headers, &body)?;
    let mut tx = state.store.write(k.tenant).await?;
    let before = not_waiting(&mut tx, k, BACKOFF).await?;
    let Some(holder) = tx.pass_by_code(&body.pass_code).await? else {
        return missed(tx, k, BACKOFF).await;
    };
    let invite = invited_today(&mut tx, k, &holder).await?;
    let invite = invite.filter(|i| body.host_id.is_none_or(|h| h == i.host_id));
    let host_id = match (body.host_id, &invite) {
        (Some(host), _) => host,
        (None, Some(i)) => i.host_id,
        (None, None) => retried_host(&mut tx, k, &key).await?.ok_or_else(|| {
            Error::InvalidInput("host_id: choose the host you are visiting".into())
        })?,
    };
    let first = first_name(holder.visitor.name.as_str());
    let new = NewVisit {
        site_id: k.kiosk.site_id,
        host_id,
        visitor: holder.visitor,
        purpose: body.purpose.map(Into::into),
        actor: k.actor(),
        kiosk_id: Some(k.kiosk.id),
        idempotency: Some((key, hash)),
        flow: Flow::Vouched,
        offline: None,
    };
    let (visit, replayed) = tx.check_in(&new).await?;
    if !replayed {
        tx.pass_used(k.actor(), holder.id).await?;
        if let Some(i) = &invite {
            tx.invite_checked_in(k.actor(), i.id, visit.id).await?;
        }
        if before.misses > 0 {
            tx.clear_badge_misses(k.kiosk.id).await?;
        }
    }
    tx.commit().await?;
    state.store.kick_sealer(k.tenant);
    if !replayed {
        announce(state, k.tenant, &visit, (k.kiosk.site_id, host_id)).await;
    }
    let host_name = invite.map(|i| i.host_name);
    let answered = super::views::checked_in(visit, Some(first), host_name);
    Ok(answer(replayed, answered))
}

/// The invitation the pass holder is expected on today at the kiosk's site, if any.
async fn invited_today(
    tx: &mut TenantTx,
    k: &Kiosk,
    holder: &PassHolder,
) -> Result<Option<InviteRow>, Error> {
    let site = tx.site(k.kiosk.site_id).await?.ok_or(Error::NotFound)?;
    let until = end_of_day(tx.now(), &site.timezone)?;
    tx.invite_expected_for(site.id, &holder.visitor.email, until)
        .await
}

/// The host of the visit this kiosk already checked in under `key`: a retry of a check-in whose
/// first attempt used (and so closed) the holder's invitation.
async fn retried_host(tx: &mut TenantTx, k: &Kiosk, key: &str) -> Result<Option<Uuid>, Error> {
    let Some(visit) = tx.visit_by_key(k.kiosk.id, key).await? else {
        return Ok(None);
    };
    Ok(tx.visit(visit).await?.and_then(|v| v.host_id))
}

/// Looks a pass code up for the kiosk's greeting, before the agreement: the holder's first name,
/// and their host if they are expected today on an invitation.
#[utoipa::path(post, path = "/api/v1/kiosk/passes/lookup", tag = "kiosk", request_body = PassLookup,
    responses((status = 200, body = PassGreeting), (status = 404, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)),
    security(("device" = [])))]
async fn lookup(
    State(state): State<AppState>,
    k: Kiosk,
    ApiJson(body): ApiJson<PassLookup>,
) -> Result<ApiJson<PassGreeting>, Error> {
    let mut tx = state.store.write(k.tenant).await?;
    not_waiting(&mut tx, &k, BACKOFF).await?;
    let Some(holder) = tx.pass_by_code(&body.pass_code).await? else {
        return missed(tx, &k, BACKOFF).await;
    };
    let invite = invited_today(&mut tx, &k, &holder).await?;
    tx.commit().await?;
    Ok(ApiJson(PassGreeting {
        visitor_first_name: first_name(holder.visitor.name.as_str()),
        host_name: invite.map(|i| i.host_name),
    }))
}

/// The pass of this visit's visitor (the newest of the person with that email): `404` if they
/// have none.
#[utoipa::path(get, path = "/api/v1/visits/{id}/pass", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 200, body = VisitorPass), (status = 404, body = ErrorEnvelope)), security(("session" = [])))]
async fn visit_pass(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<VisitorPass>, Error> {
    let own = staff.own_visits()?;
    let mut tx = state.store.read(staff.tenant).await?;
    let visit = tx.visit(id).await?.ok_or(Error::NotFound)?;
    if let Some(email) = &own
        && !tx.hosted_by(visit.host_id, email).await?
    {
        return Err(Error::NotFound);
    }
    let pass = tx.pass_of_visit(id).await?.ok_or(Error::NotFound)?;
    let now = tx.now();
    tx.commit().await?;
    Ok(ApiJson(VisitorPass {
        id: pass.id,
        state: pass.state(now),
        visit_id: pass.visit_id,
        issued_at: pass.issued_at,
        expires_at: pass.expires_at,
        revoked_at: pass.revoked_at,
        uses: pass.uses,
        last_used_at: pass.last_used_at,
    }))
}

/// Revokes a pass (asked for or issued) from the desk.
#[utoipa::path(post, path = "/api/v1/passes/{id}/revoke", tag = "visits", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("session" = [])))]
async fn revoke(
    State(state): State<AppState>,
    Desk(staff): Desk,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(staff.tenant).await?;
    if !tx.revoke_pass(staff.actor(), id).await? {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The visitor revokes their own pass with the token of their email's link (no account: the token
/// is the proof). Any token that does not revoke a pass, for whatever reason, is one `404`.
#[utoipa::path(post, path = "/api/v1/passes/revoke", tag = "passes", request_body = RevokePass,
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
async fn revoke_own(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RevokePass>,
) -> Result<StatusCode, Error> {
    let (tenant, id, secret) = body.token.parts();
    let mut tx = state.store.write(TenantId(tenant)).await?;
    let stored = tx.pass_revoke_hash(id).await?;
    let given = tx.revoke_secret_hash(secret);
    if !stored.is_some_and(|s| token::same(&s, &given)) {
        return Err(Error::NotFound);
    }
    tx.revoke_pass(Actor::Visitor, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
