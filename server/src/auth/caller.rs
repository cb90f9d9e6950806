//! Who is calling: axum extractors that authenticate a request from its headers.
//! `Authorization: Bearer <token>` carries the operator, user or device token; kiosk override
//! requests add `X-Override-Token`. A missing, malformed, unknown, expired or revoked credential
//! is a 401 that does not say which of these it was. A tenant's API key passes as [`Staff`] (an
//! admin) only on the routes whose scopes ([`RouteScopes`]) include one of the key's.

use axum::{extract::FromRequestParts, http::request::Parts};
use chrono::Duration;
use uuid::Uuid;

use super::token::{self, Presented, TokenKind};
use crate::{
    error::Error,
    ids::TenantId,
    state::AppState,
    store::{Actor, ApiKeyRow, KioskRow, SessionKind, UserRow},
};
use vestibule_shared::{
    dto::{accounts::Role, api_keys::ApiScope},
    types::Email,
};

/// The header that carries a kiosk override token next to the device token.
pub const OVERRIDE_HEADER: &str = "x-override-token";

fn presented(parts: &Parts, header: &str, kind: TokenKind) -> Result<Presented, Error> {
    let raw = parts
        .headers
        .get(header)
        .and_then(|v| v.to_str().ok())
        .ok_or(Error::Unauthorized)?;
    let raw = if header == "authorization" {
        raw.strip_prefix("Bearer ").ok_or(Error::Unauthorized)?
    } else {
        raw
    };
    token::parse(raw.trim())
        .filter(|p| p.kind == kind)
        .ok_or(Error::Unauthorized)
}

/// The cookie of a browser session (signed in by password with `"cookie": true`, or by SAML).
pub const SESSION_COOKIE: &str = "__Host-vestibule_session";

/// The session token of a browser: the `__Host-vestibule_session` cookie
/// (HttpOnly, Secure, SameSite=Strict, so no other site's page can send it).
fn session_cookie(parts: &Parts) -> Result<Presented, Error> {
    let prefix = format!("{SESSION_COOKIE}=");
    let raw = parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(prefix.as_str()))
        .ok_or(Error::Unauthorized)?;
    token::parse(raw.trim())
        .filter(|p| p.kind == TokenKind::Session)
        .ok_or(Error::Unauthorized)
}

/// Opens a transaction in the tenant a token names; a tenant that does not exist is a bad token.
async fn enter(
    state: &AppState,
    tenant: TenantId,
    write: bool,
) -> Result<crate::store::TenantTx, Error> {
    let tx = if write {
        state.store.write(tenant).await
    } else {
        state.store.read(tenant).await
    };
    tx.map_err(|e| {
        if matches!(e, Error::NotFound) {
            Error::Unauthorized
        } else {
            e
        }
    })
}

/// The platform operator.
#[derive(Debug, Clone, Copy)]
pub struct Operator {
    pub key_id: Uuid,
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let p = presented(parts, "authorization", TokenKind::Operator)?;
        let mut tx = state.store.global(false).await?;
        let (key_id, stored) = tx.platform_key(&p.hash).await?.ok_or(Error::Unauthorized)?;
        tx.commit().await?;
        if !token::same(&stored, &p.hash) {
            return Err(Error::Unauthorized);
        }
        Ok(Self { key_id })
    }
}

/// The API-key scopes a route accepts, as its OpenAPI document lists them (security scheme
/// `api_key`). The HTTP layer puts them on each request it routes; a route with none refuses keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct RouteScopes(pub &'static [ApiScope]);

/// A signed-in user of a tenant (admin, receptionist or host), or a tenant's API key on a route
/// its scopes allow (acting as an admin there: `user` then carries the key's id and name).
#[derive(Debug, Clone)]
pub struct Staff {
    pub tenant: TenantId,
    pub user: UserRow,
    pub session_id: Uuid,
    /// What `X-CSRF-Token` must carry when this session comes in a browser's cookie.
    pub csrf: [u8; 32],
    /// The API key that made the request, if one did.
    pub api_key: Option<Uuid>,
}

impl Staff {
    pub fn actor(&self) -> Actor {
        match self.api_key {
            Some(id) => Actor::ApiKey(id),
            None => Actor::User(self.user.id),
        }
    }

    /// A tenant's API key, checked against the route's scopes; its last use is kept to the minute.
    async fn by_api_key(parts: &Parts, state: &AppState, p: Presented) -> Result<Self, Error> {
        let tenant = p.tenant.ok_or(Error::Unauthorized)?;
        let mut tx = enter(state, tenant, false).await?;
        let key = tx.live_api_key(&p.hash).await?.ok_or(Error::Unauthorized)?;
        tx.commit().await?;
        if !token::same(&key.token_hash, &p.hash) {
            return Err(Error::Unauthorized);
        }
        let accepts = parts
            .extensions
            .get::<RouteScopes>()
            .copied()
            .unwrap_or_default();
        if !key.scopes.iter().any(|s| accepts.0.contains(s)) {
            return Err(Error::Forbidden(
                "this API key's scopes do not include this route",
            ));
        }
        if key
            .last_used_at
            .is_none_or(|t| state.clock.now() - t > Duration::minutes(1))
        {
            let mut tx = state.store.write(tenant).await?;
            tx.touch_api_key(key.id).await?;
            tx.commit().await?;
        }
        Ok(Self::of_key(tenant, key))
    }

    fn of_key(tenant: TenantId, key: ApiKeyRow) -> Self {
        Self {
            tenant,
            user: UserRow {
                id: key.id,
                email: String::new(),
                name: key.name,
                password_hash: String::new(),
                pin_hash: None,
                role: Role::Admin,
                disabled: false,
                created_at: key.created_at,
            },
            session_id: key.id,
            csrf: [0; 32],
            api_key: Some(key.id),
        }
    }

    /// For a host, their email: they see only the visits of the hosts with that email. `None`
    /// for desk staff, who see every visit. (Fails closed: a host whose stored email would not
    /// parse sees nothing.)
    pub fn own_visits(&self) -> Result<Option<Email>, Error> {
        if self.user.role != Role::Host {
            return Ok(None);
        }
        Email::parse(&self.user.email)
            .map(Some)
            .map_err(|_| Error::Forbidden("this account cannot see visits"))
    }
}

/// The header a cookie-authenticated write carries (the value `GET /api/v1/auth/me` returns).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A browser session (the cookie) may write only with the session's CSRF value in
/// `X-CSRF-Token`: another site's page can make the browser send the cookie (were SameSite to
/// fail) but cannot read the value. Bearer tokens are never sent by a browser on its own.
fn check_csrf(parts: &Parts, csrf: &[u8; 32]) -> Result<(), Error> {
    if parts.method.is_safe() {
        return Ok(());
    }
    let sent = parts
        .headers
        .get(CSRF_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if token::same(sent, token::csrf_text(csrf).as_bytes()) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "a browser session's writes need the X-CSRF-Token header that GET /api/v1/auth/me gives",
        ))
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        if let Ok(key) = presented(parts, "authorization", TokenKind::ApiKey) {
            return Self::by_api_key(parts, state, key).await;
        }
        let (p, by_cookie) = match presented(parts, "authorization", TokenKind::Session) {
            Err(_) if !parts.headers.contains_key("authorization") => {
                (session_cookie(parts)?, true)
            }
            other => (other?, false),
        };
        let tenant = p.tenant.ok_or(Error::Unauthorized)?;
        let csrf = p.csrf.ok_or(Error::Unauthorized)?;
        if by_cookie {
            check_csrf(parts, &csrf)?;
        }
        let mut tx = enter(state, tenant, false).await?;
        let session = tx
            .session(SessionKind::Session, &p.hash)
            .await?
            .ok_or(Error::Unauthorized)?;
        tx.commit().await?;
        if !token::same(&session.token_hash, &p.hash) {
            return Err(Error::Unauthorized);
        }
        Ok(Self {
            tenant,
            user: session.user,
            session_id: session.id,
            csrf,
            api_key: None,
        })
    }
}

/// A signed-in admin or receptionist: who works the front desk (hosts may only look).
#[derive(Debug, Clone)]
pub struct Desk(pub Staff);

impl FromRequestParts<AppState> for Desk {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let staff = Staff::from_request_parts(parts, state).await?;
        if staff.user.role == Role::Host {
            return Err(Error::Forbidden(
                "this needs the admin or receptionist role",
            ));
        }
        Ok(Self(staff))
    }
}

/// A signed-in tenant admin.
#[derive(Debug, Clone)]
pub struct Admin(pub Staff);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let staff = Staff::from_request_parts(parts, state).await?;
        if staff.user.role != Role::Admin {
            return Err(Error::Forbidden("this needs the admin role"));
        }
        Ok(Self(staff))
    }
}

/// An enrolled, unrevoked kiosk device.
#[derive(Debug, Clone)]
pub struct Kiosk {
    pub tenant: TenantId,
    pub kiosk: KioskRow,
}

impl Kiosk {
    pub fn actor(&self) -> Actor {
        Actor::Kiosk(self.kiosk.id)
    }
}

impl FromRequestParts<AppState> for Kiosk {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let p = presented(parts, "authorization", TokenKind::Device)?;
        let tenant = p.tenant.ok_or(Error::Unauthorized)?;
        let kiosk = state
            .store
            .kiosk_by_token(tenant, &p.hash)
            .await?
            .ok_or(Error::Unauthorized)?;
        if !kiosk
            .token_hash
            .as_deref()
            .is_some_and(|h| token::same(h, &p.hash))
        {
            return Err(Error::Unauthorized);
        }
        // Record that the kiosk is alive, at most once a minute (a write per request would cost).
        if kiosk
            .last_seen_at
            .is_none_or(|t| state.clock.now() - t > Duration::minutes(1))
        {
            let mut tx = state.store.write(tenant).await?;
            tx.touch_kiosk(kiosk.id).await?;
            tx.commit().await?;
        }
        Ok(Self { tenant, kiosk })
    }
}

/// A receptionist in override mode on a kiosk: the device token plus an override token of that
/// same kiosk. Each use slides the idle expiry.
#[derive(Debug, Clone)]
pub struct Override {
    pub device: Kiosk,
    pub user: UserRow,
    pub session_id: Uuid,
}

impl Override {
    pub fn actor(&self) -> Actor {
        Actor::Override {
            user: self.user.id,
            kiosk: self.device.kiosk.id,
        }
    }
}

impl FromRequestParts<AppState> for Override {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let device = Kiosk::from_request_parts(parts, state).await?;
        let p = presented(parts, OVERRIDE_HEADER, TokenKind::Override)?;
        if p.tenant != Some(device.tenant) {
            return Err(Error::Unauthorized);
        }
        let mut tx = state.store.write(device.tenant).await?;
        let session = tx
            .session(SessionKind::Override, &p.hash)
            .await?
            .filter(|s| s.kiosk_id == Some(device.kiosk.id) && token::same(&s.token_hash, &p.hash))
            .ok_or(Error::Unauthorized)?;
        let expires =
            (state.clock.now() + state.settings.override_idle).min(session.absolute_expires_at);
        tx.touch_session(session.id, expires).await?;
        tx.commit().await?;
        Ok(Self {
            device,
            user: session.user,
            session_id: session.id,
        })
    }
}
