//! The kiosk's Tauri commands: the only thing its web UI can call (see `capabilities/kiosk.json`).
//! Each takes its arguments as one struct of [`crate::contract`] and parses what the UI sent
//! into the shared newtypes (`vestibule_shared::types`) before anything goes to the server.
//! Visitor data arrives in zeroize-on-drop types, goes to the server, and is dropped. The
//! commands of visitor types are in [`crate::visitor_types`], those of the receptionist's override
//! mode in [`crate::override_mode`], arrivals by invitation or pass in [`crate::arrivals`].

use std::sync::Arc;

use reqwest::Method;
use serde::{Serialize, de::DeserializeOwned};
use tauri::State;
use uuid::Uuid;
use vestibule_shared::{
    dto::{
        kiosk::{DirectoryEntry, Enroll, Enrolled},
        settings::{DIRECTORY_MIN_CHARS, KioskSettings},
        visits::{CheckOut, CheckedIn},
    },
    types::{
        BadgeCode, CompanyName, Email, EnrollmentCode, PersonName, Phone, Purpose, SearchQuery,
    },
};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{
    client::{As, Client},
    contract::{
        CheckInArgs, CheckOutArgs, EnrollArgs, KioskStatus, OfflineStatus, SearchHostsArgs,
        VisitorInput,
    },
    error::Error,
    offline,
    state::Kiosk,
    visitor_types::{self, TypedFields},
};

/// The visitor's details once parsed: trimmed, valid, and wiped when dropped.
#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
struct Visitor {
    name: String,
    email: String,
    company: Option<String>,
    phone: Option<String>,
}

/// Parses an optional field: blank is absent, anything else must parse.
pub(crate) fn optional<T: Into<String>>(
    raw: Option<&str>,
    field: &'static str,
    parse: impl FnOnce(&str) -> Result<T, vestibule_shared::types::ValidationError>,
) -> Result<Option<String>, Error> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => parse(s)
            .map(|v| Some(v.into()))
            .map_err(Error::invalid(field)),
        None => Ok(None),
    }
}

impl VisitorInput {
    fn parse(&self) -> Result<Visitor, Error> {
        Ok(Visitor {
            name: PersonName::parse(&self.name)
                .map_err(Error::invalid("name"))?
                .into(),
            email: Email::parse(&self.email)
                .map_err(Error::invalid("email"))?
                .into(),
            company: optional(self.company.as_deref(), "company", CompanyName::parse)?,
            phone: optional(self.phone.as_deref(), "phone", Phone::parse)?,
        })
    }
}

#[derive(Serialize)]
struct CheckInBody<'a> {
    visitor: &'a Visitor,
    #[serde(skip_serializing_if = "Option::is_none")]
    host_id: Option<Uuid>,
    purpose: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    want_pass: bool,
    #[serde(flatten)]
    typed: &'a TypedFields,
}

pub(crate) fn parse_id(text: &str, field: &'static str) -> Result<Uuid, Error> {
    Uuid::parse_str(text.trim()).map_err(|_| Error::field(field, "not a valid id"))
}

/// Sends one request as this device; a revoked device forgets its token.
pub(crate) async fn device_send<T: DeserializeOwned>(
    kiosk: &Kiosk,
    method: Method,
    path: &str,
    body: Option<&impl Serialize>,
    idempotency_key: Option<&str>,
) -> Result<T, Error> {
    let s = kiosk.session().await?;
    let result = s
        .client
        .send(method, path, As::Device(&s.device), body, idempotency_key)
        .await;
    if matches!(result, Err(Error::Revoked)) {
        kiosk.revoked().await;
    }
    result
}

/// Runs an override request; an expired override token is dropped.
pub(crate) async fn as_override<T>(
    kiosk: &Kiosk,
    f: impl AsyncFnOnce(&Arc<Client>, As<'_>) -> Result<T, Error>,
) -> Result<T, Error> {
    let s = kiosk.session().await?;
    let Some(token) = s.override_token.as_ref() else {
        // Entered offline: the server never saw this session. While it stays out of reach the
        // list says so; once it answers, the receptionist signs in again.
        let mut inner = kiosk.lock().await;
        if inner.offline.desk.signed_in && !inner.offline.reachable {
            return Err(Error::Unreachable);
        }
        inner.offline.desk.signed_in = false;
        return Err(Error::OverrideExpired);
    };
    let result = f(&s.client, As::Override(&s.device, token)).await;
    if matches!(result, Err(Error::OverrideExpired)) {
        kiosk.lock().await.override_token = None;
    }
    result
}

async fn status_of(kiosk: &Kiosk) -> Result<KioskStatus, Error> {
    let inner = kiosk.lock().await;
    inner
        .keychain
        .as_ref()
        .map_err(|e| Error::Keychain(e.clone()))?;
    let settings = inner.settings.as_ref();
    Ok(KioskStatus {
        enrolled: inner.enrolled(),
        tenant_name: settings
            .map(|s| s.tenant_name.clone())
            .or_else(|| inner.config.tenant_name.clone()),
        site_name: settings
            .map(|s| s.site_name.clone())
            .or_else(|| inner.config.site_name.clone()),
        language: settings.map(|s| s.language),
        consent_text: settings.map(|s| s.consent_text.clone()).unwrap_or_default(),
        idle_secs: inner.config.idle_secs,
        override_idle_secs: inner.config.override_idle_secs,
        passes: settings.is_some_and(|s| s.passes),
        directory_min_chars: settings.map_or(DIRECTORY_MIN_CHARS, |s| s.directory_min_chars),
        directory_exact: settings.is_some_and(|s| s.directory_exact),
    })
}

#[tauri::command]
pub async fn kiosk_status(kiosk: State<'_, Kiosk>) -> Result<KioskStatus, Error> {
    let (enrolled, config) = {
        let inner = kiosk.lock().await;
        (inner.enrolled(), inner.config.clone())
    };
    if let (false, Some(code)) = (enrolled, config.enrollment_code.as_deref()) {
        let code = EnrollmentCode::parse(code).map_err(Error::invalid("enrollment_code"))?;
        enroll_with(&kiosk, config, code).await?;
    }
    refresh_settings(&kiosk).await;
    status_of(&kiosk).await
}

/// How many check-ins wait sealed, and (in override mode) who.
#[tauri::command]
pub async fn offline_status(kiosk: State<'_, Kiosk>) -> Result<OfflineStatus, Error> {
    Ok(offline::status(&kiosk).await)
}

/// Quits the kiosk. With check-ins waiting (they would be lost) only in override mode, which
/// the receptionist entered with their PIN.
#[tauri::command]
pub async fn quit(app: tauri::AppHandle, kiosk: State<'_, Kiosk>) -> Result<(), Error> {
    let inner = kiosk.lock().await;
    let waiting = inner.offline.waiting();
    if waiting > 0 && !inner.in_override() {
        return Err(Error::field(
            "pin",
            format!(
                "{waiting} check-ins are waiting to be sent and would be lost: quit from override mode"
            ),
        ));
    }
    drop(inner);
    app.exit(0);
    Ok(())
}

/// Fetches the tenant's settings when enrolled. Best effort: unreachable keeps the last ones.
async fn refresh_settings(kiosk: &Kiosk) {
    if !kiosk.lock().await.enrolled() {
        return;
    }
    let fetched = device_send::<KioskSettings>(
        kiosk,
        Method::GET,
        "/api/v1/kiosk/settings",
        None::<&()>,
        None,
    )
    .await;
    match fetched {
        Ok(settings) => kiosk.lock().await.settings = Some(settings),
        Err(e) => tracing::debug!(kind = ?e.kind(), "the tenant's settings were not fetched"),
    }
    if let Err(e) = offline::refresh(kiosk).await {
        tracing::debug!(kind = ?e.kind(), "the offline key was not fetched");
    }
    // The visitor types once at start (and after enrolling); a visitor's tap fetches them anew.
    let fetched_once = kiosk.lock().await.visitor_types.is_some();
    if !fetched_once && let Err(e) = visitor_types::refresh(kiosk).await {
        tracing::debug!(kind = ?e.kind(), "the visitor types were not fetched");
    }
}

#[tauri::command]
pub async fn enroll(kiosk: State<'_, Kiosk>, args: EnrollArgs) -> Result<KioskStatus, Error> {
    let code =
        EnrollmentCode::parse(&args.enrollment_code).map_err(Error::invalid("enrollment_code"))?;
    let mut config = kiosk.lock().await.config.clone();
    config.server_urls = args
        .server_urls
        .iter()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .collect();
    config.pins = args
        .pins
        .iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    enroll_with(&kiosk, config, code).await?;
    refresh_settings(&kiosk).await;
    status_of(&kiosk).await
}

/// Enrolls with `code` at the server `config` names; keeps the device token in the keychain and
/// the server's names in the config file.
async fn enroll_with(
    kiosk: &Kiosk,
    mut config: crate::config::Config,
    code: EnrollmentCode,
) -> Result<(), Error> {
    tracing::debug!("enrolling");
    let client = Client::new(&config)?;
    let body = Enroll {
        enrollment_code: code,
    };
    let enrolled: Enrolled = client
        .send(
            Method::POST,
            "/api/v1/kiosk/enroll",
            As::Nobody,
            Some(&body),
            None,
        )
        .await?;
    let token = Zeroizing::new(enrolled.device_token);
    tracing::debug!("enrolled; storing the device token");
    let mut inner = kiosk.lock().await;
    inner
        .keychain
        .as_ref()
        .map_err(|e| Error::Keychain(e.clone()))?
        .store(&token)?;
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
pub async fn search_hosts(
    kiosk: State<'_, Kiosk>,
    args: SearchHostsArgs,
) -> Result<Vec<DirectoryEntry>, Error> {
    let q = Zeroizing::new(String::from(
        SearchQuery::parse(&args.q).map_err(Error::invalid("q"))?,
    ));
    let path = format!(
        "/api/v1/kiosk/hosts?q={}",
        form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
    );
    match device_send(&kiosk, Method::GET, &path, None::<&()>, None).await {
        Err(Error::Unreachable) => {
            let inner = kiosk.lock().await;
            let settings = inner.settings.as_ref();
            let min_chars = settings.map_or(DIRECTORY_MIN_CHARS, |s| s.directory_min_chars);
            let exact = settings.is_some_and(|s| s.directory_exact);
            Ok(inner.offline.search(&q, min_chars, exact))
        }
        found => found,
    }
}

/// Sends a check-in: the same form again (a retry after a failure) reuses its idempotency key.
pub(crate) async fn submit_check_in(
    kiosk: &Kiosk,
    path: &str,
    args: &CheckInArgs,
    over: bool,
) -> Result<CheckedIn, Error> {
    let visitor = args.visitor.parse()?;
    let (host_id, needs_approval) = {
        let inner = kiosk.lock().await;
        let offered = inner.visitor_types.as_deref().unwrap_or_default();
        (
            visitor_types::host_id(args, offered)?,
            visitor_types::needs_approval(args, offered),
        )
    };
    let typed = TypedFields::parse(args)?;
    let purpose = Zeroizing::new(optional(
        args.purpose.as_deref(),
        "purpose",
        Purpose::parse,
    )?);
    let body = CheckInBody {
        visitor: &visitor,
        host_id,
        purpose: purpose.as_deref(),
        want_pass: args.want_pass,
        typed: &typed,
    };
    let bytes =
        Zeroizing::new(serde_json::to_vec(&body).map_err(|e| Error::Internal(e.to_string()))?);
    let key = kiosk.idempotency_key(&bytes).await;
    if over {
        as_override(kiosk, async |client, who| {
            client
                .send(Method::POST, path, who, Some(&body), Some(&key))
                .await
        })
        .await
    } else {
        match device_send(kiosk, Method::POST, path, Some(&body), Some(&key)).await {
            // No server answers: sealed, to be delivered when one does (not a visit its host
            // must approve first: that waits for the server).
            Err(Error::Unreachable) if !needs_approval => {
                offline::seal(kiosk, &body, &key, &visitor.name).await
            }
            sent => sent,
        }
    }
}

#[tauri::command]
pub async fn check_in(kiosk: State<'_, Kiosk>, args: CheckInArgs) -> Result<CheckedIn, Error> {
    submit_check_in(&kiosk, "/api/v1/kiosk/visits", &args, false).await
}

#[tauri::command]
pub async fn check_out(kiosk: State<'_, Kiosk>, args: CheckOutArgs) -> Result<(), Error> {
    let body = CheckOut {
        badge_code: BadgeCode::parse(&args.badge_code).map_err(Error::invalid("badge_code"))?,
    };
    device_send(
        &kiosk,
        Method::POST,
        "/api/v1/kiosk/visits/checkout",
        Some(&body),
        None,
    )
    .await
}

#[tauri::command]
pub async fn wipe(kiosk: State<'_, Kiosk>) -> Result<(), Error> {
    kiosk.wipe().await;
    Ok(())
}
