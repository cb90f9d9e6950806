//! Sign-in for admins and receptionists: password login to an opaque session token, logout.
//! Five failures lock the account with a doubling backoff; the lock lives in the database, so it
//! holds across replicas.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::{
    ErrorEnvelope,
    dto::accounts::{Login, Plan, SessionToken, User},
};

use super::{extract::ApiJson, views};
use crate::{
    auth::{
        Staff, password,
        token::{self, TokenKind},
    },
    error::Error,
    ids::TenantId,
    state::AppState,
    store::{Attempt, SessionKind, TenantTx, UserRow},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// Checks a secret (password or PIN) of `user` with lockout. On failure the counter is written
/// and committed before the error is returned.
pub(super) async fn check_secret(
    mut tx: TenantTx,
    user: Option<UserRow>,
    secret: &str,
    attempt: Attempt,
) -> Result<(TenantTx, UserRow), Error> {
    let locked_until = user.as_ref().and_then(|u| match attempt {
        Attempt::Login => u.login_locked_until,
        Attempt::Pin => u.pin_locked_until,
    });
    let now = tx.now();
    if let Some(until) = locked_until.filter(|t| *t > now) {
        return Err(Error::Locked {
            retry_after: (until - now).num_seconds().max(1) as u64,
        });
    }
    let stored = user
        .as_ref()
        .filter(|u| !u.disabled)
        .and_then(|u| match attempt {
            Attempt::Login => Some(u.password_hash.as_str()),
            Attempt::Pin => u.pin_hash.as_deref(),
        });
    let ok = password::verify(stored, secret).await?;
    match user {
        Some(u) if ok => {
            if u.failed_logins > 0 || u.failed_pins > 0 {
                tx.reset_failures(u.id, attempt).await?;
            }
            Ok((tx, u))
        }
        Some(u) => {
            // The failure that reaches the limit locks the account; the next attempt is refused.
            tx.record_failure(&u, attempt).await?;
            tx.commit().await?;
            Err(Error::InvalidCredentials)
        }
        None => Err(Error::InvalidCredentials),
    }
}

/// Signs in with a password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = Login,
    responses((status = 200, body = SessionToken), (status = 401, body = ErrorEnvelope), (status = 403, description = "SSO is enforced for this tenant (`sso_required`)", body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Login>,
) -> Result<ApiJson<SessionToken>, Error> {
    let mut g = state.store.global(false).await?;
    let tenant = g.tenant_by_slug(body.tenant.as_str()).await?;
    g.commit().await?;
    let Some(tenant) = tenant else {
        // Same work as a wrong password, so tenants cannot be discovered by timing.
        password::verify(None, body.password.expose()).await?;
        return Err(Error::InvalidCredentials);
    };
    // SSO (and so its enforcement) is for the enterprise plan only.
    let enterprise = tenant.plan() == Plan::Enterprise;
    let tenant = TenantId(tenant.id);
    let mut tx = state.store.write(tenant).await?;
    if enterprise && tx.sso_enforced().await? {
        return Err(Error::SsoRequired);
    }
    let user = tx.user_by_email(&body.email).await?;
    let (mut tx, user) = check_secret(tx, user, body.password.expose(), Attempt::Login).await?;
    if password::needs_rehash(&user.password_hash) {
        tx.set_password_hash(user.id, &password::hash(body.password.expose()).await?)
            .await?;
    }
    let issued = token::issue(TokenKind::Session, Some(tenant));
    let expires_at = state.clock.now() + state.settings.session_ttl;
    tx.insert_session(
        user.id,
        SessionKind::Session,
        None,
        &issued.hash,
        expires_at,
        expires_at,
    )
    .await?;
    tx.audit(
        crate::store::Actor::User(user.id),
        "auth.login",
        format!("user:{}", user.id),
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(SessionToken {
        token: issued.token.to_string(),
        expires_at,
    }))
}

/// Ends the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)), security(("session" = [])))]
async fn logout(State(state): State<AppState>, staff: Staff) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(staff.tenant).await?;
    tx.delete_session(staff.session_id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = User)), security(("session" = [])))]
async fn me(staff: Staff) -> ApiJson<User> {
    ApiJson(views::user(staff.user))
}
