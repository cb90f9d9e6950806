//! What a kiosk device calls: enrollment, check-in with an `Idempotency-Key`, check-out by badge
//! code, and the receptionist's PIN step-up. The host search is `kiosk_hosts.rs`.

use axum::{
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode},
};
use sha2::{Digest, Sha256};
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        accounts::Role,
        invites::{KioskCheckIn, RedeemInvite},
        kiosk::{Enroll, Enrolled, EnrolledSite, EnrolledTenant, OverrideLogin, OverrideToken},
        passes::RedeemPass,
        visits::{CheckIn, CheckOut, CheckedIn, VisitStatus},
    },
};

use super::{
    auth::{refuse_if_locked, verify_secret},
    extract::{ApiJson, parse_value},
};
use crate::{
    auth::{
        Kiosk,
        token::{self, TokenKind},
    },
    crypto::Door,
    error::Error,
    ids::TenantId,
    metrics,
    shield::CHECK_IN_BODY_LIMIT,
    state::AppState,
    store::{Actor, BadgeMisses, CheckedInRow, Flow, NewVisit, Offline, SessionKind, TenantTx},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enroll))
        .merge(check_in_router(
            OpenApiRouter::new().routes(routes!(check_in)),
        ))
        .routes(routes!(check_out))
        .routes(routes!(override_login))
}

/// A check-in's route, which takes a visitor type's photo and signature: the larger body limit.
pub(super) fn check_in_router(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.layer(DefaultBodyLimit::max(CHECK_IN_BODY_LIMIT))
}

/// Enrolls a kiosk with its one-time code and returns its device token (shown once).
#[utoipa::path(post, path = "/api/v1/kiosk/enroll", tag = "kiosk", request_body = Enroll,
    responses((status = 200, body = Enrolled), (status = 401, body = ErrorEnvelope)))]
async fn enroll(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Enroll>,
) -> Result<ApiJson<Enrolled>, Error> {
    let mut g = state.store.global(true).await?;
    let target = g
        .take_enrollment(&token::enrollment_hash(&body.enrollment_code))
        .await?;
    let Some(target) = target.filter(|t| t.expires_at > state.clock.now()) else {
        g.commit().await?;
        return Err(Error::InvalidEnrollmentCode);
    };
    let tenant = TenantId(target.tenant_id);
    let mut tx = state.store.switch(g, tenant).await?;
    let issued = token::issue(TokenKind::Device, Some(tenant));
    if !tx.enroll_kiosk(target.kiosk_id, &issued.hash).await? {
        return Err(Error::InvalidEnrollmentCode);
    }
    let kiosk = tx
        .kiosk(target.kiosk_id)
        .await?
        .ok_or(Error::InvalidEnrollmentCode)?;
    let site = tx
        .site(kiosk.site_id)
        .await?
        .ok_or(Error::InvalidEnrollmentCode)?;
    let t = tx.tenant_row().await?;
    tx.audit(
        Actor::Kiosk(kiosk.id),
        "kiosk.enroll",
        format!("kiosk:{}", kiosk.id),
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(Enrolled {
        device_token: issued.token.to_string(),
        tenant: EnrolledTenant {
            id: t.id,
            slug: t.slug,
            name: t.name,
        },
        site: EnrolledSite {
            id: site.id,
            name: site.name,
            timezone: site.timezone,
        },
    }))
}

/// A check-in's `Idempotency-Key` and the hash of its request, which a replay must match.
pub(super) fn idempotency(
    headers: &HeaderMap,
    body: &impl serde::Serialize,
) -> Result<(String, Vec<u8>), Error> {
    let key = idempotency_key(headers)?;
    let canonical = serde_json::to_vec(body).map_err(|e| Error::Internal(e.into()))?;
    Ok((key, Sha256::digest(&canonical).to_vec()))
}

/// The `Idempotency-Key` header: required, 1 to 128 of `A-Z a-z 0-9 - _ : .`.
pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<String, Error> {
    let key = headers
        .get("idempotency-key")
        .ok_or_else(|| Error::InvalidInput("Idempotency-Key: the header is required".into()))?
        .to_str()
        .unwrap_or("");
    let ok = (1..=128).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b));
    if ok {
        Ok(key.to_owned())
    } else {
        Err(Error::InvalidInput(
            "Idempotency-Key: must be 1 to 128 of A-Z a-z 0-9 - _ : .".into(),
        ))
    }
}

/// Checks a visitor in at a kiosk's site; shared by the kiosk and the override mode.
/// A check-in's answer: `201` (or `200` for a replay) with `Idempotent-Replayed`, and the visit.
pub(super) type CheckInAnswer = (
    StatusCode,
    [(HeaderName, HeaderValue); 1],
    ApiJson<CheckedIn>,
);

pub(super) async fn record_check_in(
    state: &AppState,
    k: &Kiosk,
    actor: Actor,
    headers: &HeaderMap,
    body: CheckIn,
    offline: Option<Offline>,
) -> Result<CheckInAnswer, Error> {
    if body.visitor_type_id.is_some() {
        return super::typed_check_in::check_in(state, k, actor, headers, body, offline).await;
    }
    if !body.answers.is_empty()
        || !body.agreements.is_empty()
        || body.signature.is_some()
        || body.photo.is_some()
    {
        return Err(Error::InvalidInput(
            "visitor_type_id: answers, agreements, a signature or a photo need a visitor type"
                .into(),
        ));
    }
    let idempotency = idempotency(headers, &body)?;
    let host_id = body
        .host_id
        .ok_or_else(|| Error::InvalidInput("host_id: choose the host you are visiting".into()))?;
    let new = NewVisit {
        site_id: k.kiosk.site_id,
        host_id,
        visitor: body.visitor,
        purpose: body.purpose.map(Into::into),
        actor,
        kiosk_id: Some(k.kiosk.id),
        idempotency: Some(idempotency),
        // The desk in override mode vouches for the visitor as an invitation does.
        flow: match actor {
            Actor::Override { .. } => Flow::Vouched,
            _ => Flow::Untyped,
        },
        offline,
    };
    let (visit, replayed) = if body.want_pass {
        super::passes::check_in_asking_pass(state, k.tenant, &new).await?
    } else {
        state.store.check_in(k.tenant, new).await?
    };
    if !replayed {
        announce(state, k.tenant, &visit, (k.kiosk.site_id, host_id)).await;
    }
    Ok(answer(
        replayed,
        super::views::checked_in(visit, None, None),
    ))
}

/// A visit just checked in at (site, host) is there (on site, waiting for approval, or held):
/// counted, and told to the tenant's consoles (the host's own too, unless it was recorded
/// without them).
pub(super) async fn announce(
    state: &AppState,
    tenant: TenantId,
    visit: &CheckedInRow,
    (site, host): (uuid::Uuid, uuid::Uuid),
) {
    let status = super::views::row_status(visit);
    let visit = (visit.id, site, (!visit.hostless).then_some(host));
    metrics::check_in();
    super::events::visit_changed(state, tenant, visit, status);
}

/// A check-in's answer: `201` with `Idempotent-Replayed` and the visit.
pub(super) fn answer(replayed: bool, visit: CheckedIn) -> CheckInAnswer {
    let replayed = HeaderValue::from_static(if replayed { "true" } else { "false" });
    (
        StatusCode::CREATED,
        [(HeaderName::from_static("idempotent-replayed"), replayed)],
        ApiJson(visit),
    )
}

/// Checks a visitor in: a walk-in with their details and host (who may ask for a pass,
/// `want_pass`), an invited visitor with the code of their invitation (`invite_code`; see
/// `redeem.rs`), or a returning visitor with their pass (`pass_code`; see `passes.rs`). Replaying the same
/// `Idempotency-Key` with the same body returns the same visit (`Idempotent-Replayed: true`); with
/// another body it is a 422. `host_notification` says whether an email to the host was queued
/// (`queued`: the tenant has an SMTP server) or nobody will be told (`none`), and is what the kiosk
/// tells the visitor.
#[utoipa::path(post, path = "/api/v1/kiosk/visits", tag = "kiosk", request_body = KioskCheckIn,
    params(("Idempotency-Key" = String, Header, pattern = "^[A-Za-z0-9_:.-]{1,128}$",
        description = "One key per check-in attempt; retries reuse it")),
    responses((status = 201, body = CheckedIn), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope)),
    security(("device" = [])))]
async fn check_in(
    State(state): State<AppState>,
    k: Kiosk,
    headers: HeaderMap,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<CheckInAnswer, Error> {
    if body.get("invite_code").is_some() {
        let body = parse_value::<RedeemInvite>(body)?;
        return super::redeem::redeem(&state, &k, &headers, body).await;
    }
    if body.get("pass_code").is_some() {
        let body = parse_value::<RedeemPass>(body)?;
        return super::passes::redeem(&state, &k, &headers, body).await;
    }
    let body = parse_value::<CheckIn>(body)?;
    record_check_in(&state, &k, k.actor(), &headers, body, None).await
}

/// Checks a visitor out by the code on their badge. After ten unknown codes in a row the kiosk
/// must wait before its next check-out (`429 rate_limited` with `Retry-After`): 1 s, doubling with
/// each further miss up to 60 s; each such wait is audited and counted in the metrics.
#[utoipa::path(post, path = "/api/v1/kiosk/visits/checkout", tag = "kiosk", request_body = CheckOut,
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)),
    security(("device" = [])))]
async fn check_out(
    State(state): State<AppState>,
    k: Kiosk,
    ApiJson(body): ApiJson<CheckOut>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(k.tenant).await?;
    let before = not_waiting(&mut tx, &k, "checkout_backoff").await?;
    match tx
        .check_out_badge(k.actor(), k.kiosk.site_id, &body.badge_code)
        .await
    {
        Ok((id, host)) => {
            if before.misses > 0 {
                tx.clear_badge_misses(k.kiosk.id).await?;
            }
            tx.commit().await?;
            let visit = (id, k.kiosk.site_id, host);
            super::events::visit_changed(&state, k.tenant, visit, VisitStatus::CheckedOut);
            Ok(StatusCode::NO_CONTENT)
        }
        Err(Error::NotFound) => missed(tx, &k, "checkout_backoff").await,
        Err(e) => Err(e),
    }
}

/// The kiosk's unknown codes in a row (badges at check-out, invitations at check-in); a 429,
/// counted under `limit`, while it must wait.
pub(super) async fn not_waiting(
    tx: &mut TenantTx,
    k: &Kiosk,
    limit: &'static str,
) -> Result<BadgeMisses, Error> {
    let before = tx.badge_misses(k.kiosk.id).await?;
    if let Some(retry_after) = before.wait_at(tx.now()) {
        metrics::rate_limited(limit);
        return Err(Error::RateLimited { retry_after });
    }
    Ok(before)
}

/// Counts an unknown code as a miss (from the tenth in a row the kiosk must wait; each wait is
/// audited as `kiosk.<backoff>` and counted) and answers 404.
pub(super) async fn missed<T>(
    mut tx: TenantTx,
    k: &Kiosk,
    backoff: &'static str,
) -> Result<T, Error> {
    let after = tx.record_badge_miss(k.kiosk.id).await?;
    if after.blocked_until.is_some() {
        tx.audit(
            k.actor(),
            &format!("kiosk.{backoff}"),
            format!("kiosk:{}", k.kiosk.id),
        )
        .await?;
        metrics::checkout_backoff();
    }
    tx.commit().await?;
    Err(Error::NotFound)
}

/// A receptionist's PIN step-up on this kiosk: returns a short-lived override token.
#[utoipa::path(post, path = "/api/v1/kiosk/override", tag = "kiosk", request_body = OverrideLogin,
    responses((status = 200, body = OverrideToken), (status = 401, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)),
    security(("device" = [])))]
async fn override_login(
    State(state): State<AppState>,
    k: Kiosk,
    ApiJson(body): ApiJson<OverrideLogin>,
) -> Result<ApiJson<OverrideToken>, Error> {
    let key = state
        .store
        .throttle_key(Door::Pin, &k.tenant.0.to_string(), &body.email);
    let mut g = state.store.global(false).await?;
    let seen = g.throttle(&key).await?;
    g.commit().await?;
    refuse_if_locked(&seen, &state)?;
    let mut tx = state.store.read(k.tenant).await?;
    // A host has no override, PIN or not: checked like an unknown account, as long.
    let user = tx
        .user_by_email(&body.email)
        .await?
        .filter(|u| u.role != Role::Host);
    tx.commit().await?;
    verify_secret(
        &state,
        &key,
        &seen,
        user.as_ref(),
        Door::Pin,
        body.pin.expose(),
    )
    .await?;
    let user = user.ok_or(Error::InvalidCredentials)?;
    let mut tx = state.store.write(k.tenant).await?;
    let issued = token::issue(TokenKind::Override, Some(k.tenant));
    let at = state.clock.now();
    let expires_at = at + state.settings.override_idle;
    tx.insert_session(
        user.id,
        SessionKind::Override,
        Some(k.kiosk.id),
        &issued.hash,
        expires_at,
        at + state.settings.override_max,
    )
    .await?;
    tx.audit(
        Actor::Override {
            user: user.id,
            kiosk: k.kiosk.id,
        },
        "override.start",
        format!("kiosk:{}", k.kiosk.id),
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(OverrideToken {
        override_token: issued.token.to_string(),
        expires_at,
    }))
}
