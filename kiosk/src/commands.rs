//! The kiosk's Tauri commands: the only thing its web UI can call (see `capabilities/kiosk.json`).
//! Visitor data arrives in zeroize-on-drop types, goes to the server, and is dropped.

use std::sync::Arc;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use tauri::State;
use uuid::Uuid;
use vestibule_shared::{
    dto::{
        kiosk::{DirectoryEntry, Enrolled, OverrideToken},
        settings::{ConsentTexts, KioskSettings},
        visits::{CheckedIn, Visit},
    },
    types::Language,
};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{
    client::{As, Client},
    error::Error,
    state::{Kiosk, Session},
};

#[derive(Debug, Serialize)]
pub struct Status {
    enrolled: bool,
    tenant_name: Option<String>,
    site_name: Option<String>,
    /// The tenant's first language, once fetched.
    language: Option<Language>,
    /// The tenant's visitor agreement per language (languages without one use the UI's text).
    consent_text: ConsentTexts,
    idle_secs: u32,
    override_idle_secs: u32,
}

/// What the visitor typed.
#[derive(Deserialize, Serialize, Zeroize, ZeroizeOnDrop)]
pub struct VisitorInput {
    name: String,
    email: String,
    company: Option<String>,
    phone: Option<String>,
}

#[derive(Serialize)]
struct CheckInBody<'a> {
    visitor: &'a VisitorInput,
    host_id: Uuid,
    purpose: Option<&'a str>,
}

/// A visit as the receptionist's on-site list shows it (no email or phone).
#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
pub struct OnSite {
    id: String,
    visitor_name: String,
    visitor_company: Option<String>,
    host_name: String,
    checked_in_at: String,
    badge_code: String,
    purpose: Option<String>,
}

fn parse_id(text: &str, field: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(text).map_err(|_| Error::field(field, "not a valid id"))
}

/// Runs a device request; a revoked device forgets its token.
async fn as_device<T>(kiosk: &Kiosk, f: impl AsyncFnOnce(Session) -> Result<T, Error>) -> Result<T, Error> {
    let result = f(kiosk.session().await?).await;
    if matches!(result, Err(Error::Revoked)) {
        kiosk.revoked().await;
    }
    result
}

/// Runs an override request; an expired override token is dropped.
async fn as_override<T>(kiosk: &Kiosk, f: impl AsyncFnOnce(&Arc<Client>, As<'_>) -> Result<T, Error>) -> Result<T, Error> {
    let s = kiosk.session().await?;
    let token = s.override_token.as_ref().ok_or(Error::OverrideExpired)?;
    let result = f(&s.client, As::Override(&s.device, token)).await;
    if matches!(result, Err(Error::OverrideExpired)) {
        kiosk.lock().await.override_token = None;
    }
    result
}

async fn status_of(kiosk: &Kiosk) -> Result<Status, Error> {
    let inner = kiosk.lock().await;
    inner.keychain.as_ref().map_err(|e| Error::Keychain(e.clone()))?;
    let settings = inner.settings.as_ref();
    Ok(Status {
        enrolled: inner.enrolled(),
        tenant_name: settings.map(|s| s.tenant_name.clone()).or_else(|| inner.config.tenant_name.clone()),
        site_name: settings.map(|s| s.site_name.clone()).or_else(|| inner.config.site_name.clone()),
        language: settings.map(|s| s.language),
        consent_text: settings.map(|s| s.consent_text.clone()).unwrap_or_default(),
        idle_secs: inner.config.idle_secs,
        override_idle_secs: inner.config.override_idle_secs,
    })
}

#[tauri::command]
pub async fn kiosk_status(kiosk: State<'_, Kiosk>) -> Result<Status, Error> {
    let (enrolled, config) = {
        let inner = kiosk.lock().await;
        (inner.enrolled(), inner.config.clone())
    };
    if let (false, Some(code)) = (enrolled, config.enrollment_code.clone()) {
        enroll_with(&kiosk, config, &code).await?;
    }
    refresh_settings(&kiosk).await;
    status_of(&kiosk).await
}

/// Fetches the tenant's settings when enrolled. Best effort: unreachable keeps the last ones.
async fn refresh_settings(kiosk: &Kiosk) {
    if !kiosk.lock().await.enrolled() {
        return;
    }
    let fetched = as_device(kiosk, async |s| {
        s.client.send::<KioskSettings>(Method::GET, "/api/v1/kiosk/settings", As::Device(&s.device), None::<&()>, None).await
    })
    .await;
    match fetched {
        Ok(settings) => kiosk.lock().await.settings = Some(settings),
        Err(e) => tracing::debug!(kind = e.kind(), "the tenant's settings were not fetched"),
    }
}

#[tauri::command]
pub async fn enroll(
    kiosk: State<'_, Kiosk>,
    server_urls: Vec<String>,
    pins: Vec<String>,
    enrollment_code: String,
) -> Result<Status, Error> {
    let mut config = kiosk.lock().await.config.clone();
    config.server_urls = server_urls.into_iter().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect();
    config.pins = pins.into_iter().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect();
    enroll_with(&kiosk, config, &enrollment_code).await?;
    refresh_settings(&kiosk).await;
    status_of(&kiosk).await
}

/// Enrolls with `code` at the server `config` names; keeps the device token in the keychain and
/// the server's names in the config file.
async fn enroll_with(kiosk: &Kiosk, mut config: crate::config::Config, code: &str) -> Result<(), Error> {
    tracing::debug!("enrolling");
    let client = Client::new(&config)?;
    let code: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_uppercase();
    let body = serde_json::json!({ "enrollment_code": code });
    let enrolled: Enrolled = client.send(Method::POST, "/api/v1/kiosk/enroll", As::Nobody, Some(&body), None).await?;
    let token = Zeroizing::new(enrolled.device_token);
    tracing::debug!("enrolled; storing the device token");
    let mut inner = kiosk.lock().await;
    inner.keychain.as_ref().map_err(|e| Error::Keychain(e.clone()))?.store(&token)?;
    config.enrollment_code = None;
    config.tenant_name = Some(enrolled.tenant.name);
    config.site_name = Some(enrolled.site.name);
    config.save(&kiosk.config_path)?;
    inner.config = config;
    inner.device = Some(token);
    inner.client = Some(Arc::new(client));
    tracing::debug!("enrollment saved");
    Ok(())
}

#[tauri::command]
pub async fn search_hosts(kiosk: State<'_, Kiosk>, q: String) -> Result<Vec<DirectoryEntry>, Error> {
    let q = Zeroizing::new(q);
    as_device(&kiosk, async |s| {
        let path = format!("/api/v1/kiosk/hosts?q={}", form_urlencoded::byte_serialize(q.trim().as_bytes()).collect::<String>());
        s.client.send(Method::GET, &path, As::Device(&s.device), None::<&()>, None).await
    })
    .await
}

/// Sends a check-in: the same form again (a retry after a failure) reuses its idempotency key.
async fn submit_check_in(
    kiosk: &Kiosk,
    path: &str,
    visitor: &VisitorInput,
    host_id: &str,
    purpose: Option<String>,
    over: bool,
) -> Result<CheckedIn, Error> {
    let purpose = purpose.map(Zeroizing::new);
    let purpose = purpose.as_deref().map(|p| p.trim()).filter(|p| !p.is_empty());
    let body = CheckInBody { visitor, host_id: parse_id(host_id, "host")?, purpose };
    let bytes = Zeroizing::new(serde_json::to_vec(&body).map_err(|e| Error::Internal(e.to_string()))?);
    let key = kiosk.idempotency_key(&bytes).await;
    if over {
        as_override(kiosk, async |client, who| client.send(Method::POST, path, who, Some(&body), Some(&key)).await).await
    } else {
        as_device(kiosk, async |s| s.client.send(Method::POST, path, As::Device(&s.device), Some(&body), Some(&key)).await).await
    }
}

#[tauri::command]
pub async fn check_in(
    kiosk: State<'_, Kiosk>,
    visitor: VisitorInput,
    host_id: String,
    purpose: Option<String>,
) -> Result<CheckedIn, Error> {
    submit_check_in(&kiosk, "/api/v1/kiosk/visits", &visitor, &host_id, purpose, false).await
}

#[tauri::command]
pub async fn check_out(kiosk: State<'_, Kiosk>, badge_code: String) -> Result<(), Error> {
    let code: String = badge_code.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    let body = serde_json::json!({ "badge_code": code });
    as_device(&kiosk, async |s| {
        s.client.send(Method::POST, "/api/v1/kiosk/visits/checkout", As::Device(&s.device), Some(&body), None).await
    })
    .await
}

#[tauri::command]
pub async fn wipe(kiosk: State<'_, Kiosk>) -> Result<(), Error> {
    kiosk.wipe().await;
    Ok(())
}

#[derive(Serialize)]
pub struct OverrideSession {
    expires_at: String,
}

#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
struct Credentials {
    email: String,
    pin: String,
}

#[tauri::command]
pub async fn override_login(kiosk: State<'_, Kiosk>, email: String, pin: String) -> Result<OverrideSession, Error> {
    let body = Credentials { email: email.trim().to_owned(), pin: pin.trim().to_owned() };
    let _wiped = (Zeroizing::new(email), Zeroizing::new(pin));
    let token: OverrideToken =
        as_device(&kiosk, async |s| s.client.send(Method::POST, "/api/v1/kiosk/override", As::Device(&s.device), Some(&body), None).await)
            .await?;
    kiosk.lock().await.override_token = Some(Zeroizing::new(token.override_token));
    Ok(OverrideSession { expires_at: token.expires_at.to_rfc3339() })
}

#[tauri::command]
pub async fn override_visits(kiosk: State<'_, Kiosk>) -> Result<Vec<OnSite>, Error> {
    let visits: Vec<Visit> =
        as_override(&kiosk, async |client, who| client.send(Method::GET, "/api/v1/kiosk/override/visits", who, None::<&()>, None).await)
            .await?;
    Ok(visits
        .into_iter()
        .map(|v| OnSite {
            id: v.id.to_string(),
            visitor_name: v.visitor_name,
            visitor_company: v.visitor_company,
            host_name: v.host_name,
            checked_in_at: v.checked_in_at.to_rfc3339(),
            badge_code: v.badge_code,
            purpose: v.purpose,
        })
        .collect())
}

#[tauri::command]
pub async fn override_check_out(kiosk: State<'_, Kiosk>, visit_id: String) -> Result<(), Error> {
    let path = format!("/api/v1/kiosk/override/visits/{}/checkout", parse_id(&visit_id, "visit")?);
    as_override(&kiosk, async |client, who| client.send(Method::POST, &path, who, None::<&()>, None).await).await
}

#[tauri::command]
pub async fn override_check_in(
    kiosk: State<'_, Kiosk>,
    visitor: VisitorInput,
    host_id: String,
    purpose: Option<String>,
) -> Result<CheckedIn, Error> {
    submit_check_in(&kiosk, "/api/v1/kiosk/override/visits", &visitor, &host_id, purpose, true).await
}

#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
struct Correction {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purpose: Option<String>,
}

#[tauri::command]
pub async fn override_correct(
    kiosk: State<'_, Kiosk>,
    visit_id: String,
    visitor_name: Option<String>,
    visitor_company: Option<String>,
    purpose: Option<String>,
) -> Result<(), Error> {
    let path = format!("/api/v1/kiosk/override/visits/{}", parse_id(&visit_id, "visit")?);
    let keep = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let body = Correction { name: keep(visitor_name), company: keep(visitor_company), purpose: keep(purpose) };
    let _: serde::de::IgnoredAny =
        as_override(&kiosk, async |client, who| client.send(Method::PATCH, &path, who, Some(&body), None).await).await?;
    Ok(())
}

#[tauri::command]
pub async fn override_exit(kiosk: State<'_, Kiosk>) -> Result<(), Error> {
    let token = kiosk.lock().await.override_token.take();
    if let (Some(token), Ok(s)) = (token, kiosk.session().await) {
        // Best effort: the token also dies on its own when idle.
        let _: Result<(), Error> =
            s.client.send(Method::POST, "/api/v1/kiosk/override/exit", As::Override(&s.device, &token), None::<&()>, None).await;
    }
    Ok(())
}
