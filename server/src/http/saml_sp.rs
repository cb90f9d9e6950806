//! SAML 2.0 single sign-on, the public side: a tenant's SP metadata, the start of an SP-initiated
//! login (HTTP-Redirect to the IdP) and the assertion consumer service (HTTP-POST back).
//!
//! A verified assertion becomes the same session token as a password login. An API client that
//! posts with `Accept: application/json` gets `{token, expires_at}`; a browser gets a `303` to the
//! relay path of its login with the token in a `__Host-vestibule_session` cookie (HttpOnly, Secure,
//! SameSite=Strict), which the API accepts like a bearer token. SSO never grants a kiosk override:
//! that still takes the receptionist's PIN.

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use rand::{Rng, RngExt};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::{
    ErrorEnvelope,
    dto::{
        accounts::{Plan, Role, SessionToken},
        sso::AcsForm,
    },
    types::{Email, PersonName, Slug},
};

use super::{
    auth::open_session,
    extract::{ApiJson, ApiPath, ApiQuery, RawBody},
};
use crate::{
    auth::password,
    error::Error,
    ids::TenantId,
    saml::{self, SamlSettings, SpUrls},
    state::AppState,
    store::{Actor, TenantTx},
};

/// The largest ACS form accepted: a 192 KiB response is 256 KiB of base64, and form encoding
/// can triple its `+`, `/` and `=`.
pub const ACS_BODY_LIMIT: usize = 1024 * 1024;
const DEFAULT_RELAY: &str = "/";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(metadata))
        .routes(routes!(login))
        .routes(routes!(acs))
}

/// A tenant with SSO set up, and its settings.
pub(super) struct SsoTenant {
    pub tenant: TenantId,
    pub settings: SamlSettings,
    pub sp: SpUrls,
}

/// Reads the SAML settings of a tenant given by slug. Unknown tenant or no SSO: 404.
pub(super) async fn sso_tenant(state: &AppState, slug: &str) -> Result<SsoTenant, Error> {
    let slug = Slug::parse(slug).map_err(|_| Error::NotFound)?;
    let mut g = state.store.global(false).await?;
    let row = g
        .tenant_by_slug(slug.as_str())
        .await?
        .ok_or(Error::NotFound)?;
    g.commit().await?;
    if row.plan() != Plan::Enterprise {
        return Err(Error::NotFound);
    }
    let tenant = TenantId(row.id);
    let mut tx = state.store.read(tenant).await?;
    let (config, _, _) = tx.saml_config().await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    let settings: SamlSettings =
        serde_json::from_str(&config).map_err(|e| Error::Internal(e.into()))?;
    let sp = SpUrls::new(&settings.sp_base_url, slug.as_str());
    Ok(SsoTenant {
        tenant,
        settings,
        sp,
    })
}

/// The SP metadata of a tenant, to give its identity provider.
#[utoipa::path(get, path = "/api/v1/saml/{tenant_slug}/metadata", tag = "sso", params(("tenant_slug" = String, Path)),
    responses((status = 200, description = "SAML SP metadata", content_type = "application/samlmetadata+xml", body = String),
        (status = 404, body = ErrorEnvelope)))]
async fn metadata(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Response, Error> {
    let t = sso_tenant(&state, &slug).await?;
    let xml = saml::sp_metadata_xml(&t.sp);
    Ok((
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        xml,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct LoginQuery {
    /// Where to send the browser after sign-in: a path on this server (default `/`).
    #[param(max_length = 200)]
    relay: Option<String>,
}

/// A local path to go back to: `/…`, not `//…`, printable, short.
fn relay_path(raw: Option<&str>) -> Result<String, Error> {
    let Some(p) = raw else {
        return Ok(DEFAULT_RELAY.to_owned());
    };
    let ok = p.starts_with('/')
        && !p.starts_with("//")
        && p.len() <= 200
        && p.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    if ok {
        Ok(p.to_owned())
    } else {
        Err(Error::InvalidInput(
            "relay: must be a path on this server, starting with a single /".into(),
        ))
    }
}

/// Starts an SP-initiated login: redirects to the tenant's identity provider with an AuthnRequest.
#[utoipa::path(get, path = "/api/v1/saml/{tenant_slug}/login", tag = "sso", params(("tenant_slug" = String, Path), LoginQuery),
    responses((status = 303, description = "To the identity provider (HTTP-Redirect binding)"), (status = 404, body = ErrorEnvelope)))]
async fn login(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<LoginQuery>,
) -> Result<Response, Error> {
    let relay = relay_path(q.relay.as_deref())?;
    let t = sso_tenant(&state, &slug).await?;
    let mut raw = [0u8; 20];
    rand::rng().fill_bytes(&mut raw);
    let request_id = format!("_{}", hex::encode(raw));
    let url = saml::authn_request_url(&t.sp, &t.settings.sso_url, &request_id)?;
    let mut tx = state.store.write(t.tenant).await?;
    tx.insert_saml_request(&request_id, &relay, state.clock.now() + saml::REQUEST_TTL)
        .await?;
    tx.commit().await?;
    let location = HeaderValue::from_str(&url).map_err(|e| Error::Internal(e.into()))?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
}

/// The `SAMLResponse` and `RelayState` of an ACS form post.
fn acs_form(headers: &HeaderMap, body: &[u8]) -> Result<(String, Option<String>), Error> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(Error::InvalidInput(
            "the body must be a form (application/x-www-form-urlencoded) with a SAMLResponse field"
                .into(),
        ));
    }
    let (mut response, mut relay) = (None, None);
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "SAMLResponse" if response.is_none() => response = Some(v.into_owned()),
            "RelayState" if relay.is_none() => relay = Some(v.into_owned()),
            "SAMLResponse" | "RelayState" => {
                return Err(Error::InvalidInput(
                    "SAMLResponse and RelayState may appear once each".into(),
                ));
            }
            _ => {}
        }
    }
    let response = response.ok_or_else(|| Error::InvalidInput("SAMLResponse: required".into()))?;
    Ok((response, relay.filter(|r| r.len() <= 80)))
}

fn group_role(settings: &SamlSettings, groups: &[String]) -> Option<Role> {
    let roles: Vec<Role> = groups
        .iter()
        .filter_map(|g| settings.group_roles.get(g))
        .copied()
        .collect();
    [Role::Admin, Role::Receptionist, Role::Host]
        .into_iter()
        .find(|r| roles.contains(r))
}

/// The assertion consumer service: verifies the IdP's response and signs the user in.
#[utoipa::path(post, path = "/api/v1/saml/{tenant_slug}/acs", tag = "sso", params(("tenant_slug" = String, Path)),
    request_body(content = AcsForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Signed in (with `Accept: application/json`)", body = SessionToken),
        (status = 303, description = "Signed in (a browser): the session is in the `__Host-vestibule_session` cookie"),
        (status = 401, description = "The response was refused (`saml_rejected`); no session", body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope)))]
async fn acs(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, Error> {
    let (saml_response, relay_state) = acs_form(&headers, &body)?;
    let t = sso_tenant(&state, &slug).await?;
    let (xml, shape) = saml::decode(&saml_response)?;
    // The request this answers: named by RelayState, or else by the (unverified) InResponseTo.
    // Either is only a lookup key: samael compares the signed InResponseTo with it.
    let mut tx = state.store.read(t.tenant).await?;
    let mut pending = None;
    for hint in [relay_state.as_deref(), shape.in_response_to.as_deref()]
        .into_iter()
        .flatten()
    {
        if let Some(relay) = tx.saml_request(hint).await? {
            pending = Some((hint.to_owned(), relay));
            break;
        }
    }
    tx.commit().await?;
    let asserted = saml::verify(
        &t.settings,
        &t.sp,
        &xml,
        &shape,
        pending.as_ref().map(|(id, _)| id.as_str()),
        state.clock.now(),
    )?;
    let raw_email = asserted
        .email_attribute
        .as_deref()
        .or(asserted.name_id.as_deref());
    let email = raw_email
        .and_then(|e| Email::parse(e).ok())
        .ok_or(Error::SamlRejected(
            "the assertion names no user by email (NameID or the email attribute)",
        ))?;
    let role = group_role(&t.settings, &asserted.groups);
    // A just-in-time user gets a random password nobody knows (an SSO user has no password).
    let jit_secret = t
        .settings
        .jit_role
        .map(|_| zeroize::Zeroizing::new(hex::encode(rand::rng().random::<[u8; 32]>())));
    let jit_hash = match jit_secret {
        Some(secret) => Some(password::hash(&secret).await?),
        None => None,
    };

    let mut tx = state.store.write(t.tenant).await?;
    if let Some((id, _)) = &pending
        && !tx.take_saml_request(id).await?
    {
        return Err(Error::SamlRejected(
            "the login request was already answered or has expired",
        ));
    }
    if !tx
        .use_assertion_id(&asserted.assertion_id, asserted.keep_until)
        .await?
    {
        return Err(Error::SamlRejected(
            "this assertion was already used (replay)",
        ));
    }
    let user_id = sign_in_user(&mut tx, &t.settings, &email, role, jit_hash.as_deref()).await?;
    let session = open_session(&state, &mut tx, user_id, "auth.saml_login").await?;
    tx.commit().await?;

    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    if wants_json {
        return Ok(ApiJson(session).into_response());
    }
    let relay = pending.map_or_else(|| DEFAULT_RELAY.to_owned(), |(_, relay)| relay);
    let cookie = super::auth::session_cookie(
        session.token.as_deref().unwrap_or_default(),
        state.settings.session_ttl.num_seconds(),
    )?;
    let location = HeaderValue::from_str(&relay).map_err(|e| Error::Internal(e.into()))?;
    Ok((
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, cookie), (header::LOCATION, location)],
    )
        .into_response())
}

/// The one refusal for an email that names no active user (disabled, or unknown with
/// just-in-time provisioning off): the answer does not tell which.
const NO_ACTIVE_USER: &str =
    "no active user of this tenant has this email, and none is provisioned just in time";

/// The user the assertion names: found by the email's blind index, its role updated from the
/// groups if they map to one, or provisioned just in time.
async fn sign_in_user(
    tx: &mut TenantTx,
    settings: &SamlSettings,
    email: &Email,
    role: Option<Role>,
    jit_hash: Option<&str>,
) -> Result<uuid::Uuid, Error> {
    if let Some(mut user) = tx.user_by_email(email).await? {
        if user.disabled {
            return Err(Error::SamlRejected(NO_ACTIVE_USER));
        }
        if let Some(r) = role.filter(|r| *r != user.role) {
            user.role = r;
            tx.update_user(&user).await?;
            tx.delete_user_sessions(user.id).await?;
            tx.audit(
                Actor::User(user.id),
                "user.update_from_sso_groups",
                format!("user:{}", user.id),
            )
            .await?;
        }
        return Ok(user.id);
    }
    let (Some(default_role), Some(hash)) = (settings.jit_role, jit_hash) else {
        return Err(Error::SamlRejected(NO_ACTIVE_USER));
    };
    // The name starts as the email; an admin can change it. The password is random and unknown.
    let name = PersonName::parse(email.as_str())
        .map_err(|_| Error::SamlRejected("the email is too long to provision a user"))?;
    let user = tx
        .insert_user(
            email,
            name.as_str(),
            role.unwrap_or(default_role),
            hash,
            None,
        )
        .await?;
    tx.audit(
        Actor::User(user.id),
        "user.create_from_sso",
        format!("user:{}", user.id),
    )
    .await?;
    Ok(user.id)
}
