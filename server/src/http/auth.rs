//! Sign-in for admins and receptionists: password login to an opaque session token (or, for a
//! browser, the `__Host-vestibule_session` cookie and a CSRF value from `/auth/me`), logout.
//!
//! Failures are counted by what was typed (tenant, email), not by a found account
//! (`store/throttle.rs`): five in a row lock that identity with a doubling backoff, in the
//! database, so it holds across replicas. Every failing path does the same work whether the
//! tenant or the account exists: a read of the tenant and the counter, one user lookup (a lookup
//! that finds no one when the tenant is unknown), one Argon2id verification (against a dummy hash
//! when there is no account) and one write of the counter. So neither the answers nor their
//! timing tell who has an account (`cargo xtask bench --login-timing` measures the timing).

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::accounts::{Login, Me, Plan, SessionToken},
};

use super::{extract::ApiJson, views};
use crate::{
    auth::{
        Staff,
        caller::SESSION_COOKIE,
        password,
        token::{self, TokenKind},
    },
    crypto::Door,
    error::Error,
    ids::TenantId,
    state::AppState,
    store::{Actor, SessionKind, TenantTx, Throttle, ThrottleKey, UserRow},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// Refuses an identity while its counter is locked.
pub(super) fn refuse_if_locked(seen: &Throttle, state: &AppState) -> Result<(), Error> {
    match seen.locked_for(state.clock.now()) {
        Some(retry_after) => Err(Error::Locked { retry_after }),
        None => Ok(()),
    }
}

/// Verifies a typed secret against `user`'s (its password or PIN; a dummy hash when there is no
/// user, or it is disabled, or has no PIN). A failure is counted against `key` and committed
/// before `invalid_credentials` is returned; a success clears a count.
pub(super) async fn verify_secret(
    state: &AppState,
    key: &ThrottleKey,
    seen: &Throttle,
    user: Option<&UserRow>,
    door: Door,
    secret: &str,
) -> Result<(), Error> {
    let stored = user.filter(|u| !u.disabled).and_then(|u| match door {
        Door::Login => Some(u.password_hash.as_str()),
        Door::Pin => u.pin_hash.as_deref(),
    });
    let ok = password::verify(stored, secret).await?;
    if ok && seen.failures == 0 {
        return Ok(());
    }
    let mut g = state.store.global(true).await?;
    if ok {
        g.clear_throttle(key).await?;
    } else {
        g.record_failure(key).await?;
    }
    g.commit().await?;
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidCredentials)
    }
}

/// A `Set-Cookie` of the browser session: `value` for `max_age` seconds (an empty value and 0
/// clear it). `__Host-` binds it to this origin: Secure, `Path=/`, no `Domain`.
pub(super) fn session_cookie(value: &str, max_age: i64) -> Result<HeaderValue, Error> {
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    );
    HeaderValue::from_str(&cookie).map_err(|e| Error::Internal(e.into()))
}

/// A session's answer: the token in the body, or (`cookie`) in the session cookie only.
pub(super) fn session_answer(
    state: &AppState,
    session: SessionToken,
    cookie: bool,
) -> Result<Response, Error> {
    if !cookie {
        return Ok(ApiJson(session).into_response());
    }
    let value = session_cookie(
        session.token.as_deref().unwrap_or_default(),
        state.settings.session_ttl.num_seconds(),
    )?;
    let body = SessionToken {
        token: None,
        expires_at: session.expires_at,
    };
    Ok(([(header::SET_COOKIE, value)], ApiJson(body)).into_response())
}

/// Signs in with a password. With `"cookie": true` (a browser) the session goes in the
/// `__Host-vestibule_session` cookie, not in the answer.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = Login,
    responses((status = 200, body = SessionToken), (status = 401, body = ErrorEnvelope), (status = 403, description = "SSO is enforced for this tenant (`sso_required`)", body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Login>,
) -> Result<Response, Error> {
    let key = state
        .store
        .throttle_key(Door::Login, body.tenant.as_str(), &body.email);
    let mut g = state.store.global(false).await?;
    let tenant = g.tenant_by_slug(body.tenant.as_str()).await?;
    let seen = g.throttle(&key).await?;
    g.commit().await?;
    refuse_if_locked(&seen, &state)?;
    let (tenant, user) = match tenant {
        Some(tenant) => {
            let id = TenantId(tenant.id);
            let mut tx = state.store.read(id).await?;
            // SSO (and so its enforcement) is for the enterprise plan only.
            if tenant.plan() == Plan::Enterprise && tx.sso_enforced().await? {
                return Err(Error::SsoRequired);
            }
            let user = tx.user_by_email(&body.email).await?;
            tx.commit().await?;
            (Some(id), user)
        }
        None => {
            let mut g = state.store.global(false).await?;
            g.user_by_email_nowhere().await?;
            g.commit().await?;
            (None, None)
        }
    };
    verify_secret(
        &state,
        &key,
        &seen,
        user.as_ref(),
        Door::Login,
        body.password.expose(),
    )
    .await?;
    let (Some(tenant), Some(user)) = (tenant, user) else {
        return Err(Error::InvalidCredentials);
    };
    let mut tx = state.store.write(tenant).await?;
    if password::needs_rehash(&user.password_hash) {
        tx.set_password_hash(user.id, &password::hash(body.password.expose()).await?)
            .await?;
    }
    let session = open_session(&state, &mut tx, user.id, "auth.login").await?;
    tx.commit().await?;
    session_answer(&state, session, body.cookie)
}

/// Opens a console session for `user` in `tx` and audits it as `action`; the caller commits.
pub(super) async fn open_session(
    state: &AppState,
    tx: &mut TenantTx,
    user: Uuid,
    action: &str,
) -> Result<SessionToken, Error> {
    let issued = token::issue(TokenKind::Session, Some(tx.tenant));
    let expires_at = state.clock.now() + state.settings.session_ttl;
    tx.insert_session(
        user,
        SessionKind::Session,
        None,
        &issued.hash,
        expires_at,
        expires_at,
    )
    .await?;
    tx.audit(Actor::User(user), action, format!("user:{user}"))
        .await?;
    Ok(SessionToken {
        token: Some(issued.token.to_string()),
        expires_at,
    })
}

/// Ends the current session, and clears a browser's cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)), security(("session" = [])))]
async fn logout(State(state): State<AppState>, staff: Staff) -> Result<Response, Error> {
    let mut tx = state.store.write(staff.tenant).await?;
    tx.delete_session(staff.session_id).await?;
    tx.commit().await?;
    let cleared = session_cookie("", 0)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cleared)]).into_response())
}

/// The signed-in user, and the `X-CSRF-Token` value a browser session's writes must send.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = Me)), security(("session" = [])))]
async fn me(staff: Staff) -> ApiJson<Me> {
    ApiJson(Me {
        csrf_token: token::csrf_text(&staff.csrf),
        user: views::user(staff.user),
    })
}
