//! A tenant's settings: read and changed by its admins, read by its kiosks (what the consent
//! screen shows, which language the welcome screen starts in, whether visitors are offered a pass).

use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};
use vestibule_shared::{
    ErrorEnvelope,
    dto::settings::{KioskSettings, Settings, UpdateSettings},
};

use super::extract::ApiJson;
use crate::{
    auth::{Admin, Kiosk},
    error::Error,
    state::AppState,
};

/// The longest waiting-visitor reminder delay, in minutes (a day).
const MAX_WAITING_MINUTES: u16 = 1440;
/// The longest a visitor pass may last, in days (two years).
const MAX_PASS_DAYS: u16 = 730;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, update_settings))
        .routes(routes!(kiosk_settings))
}

#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", responses((status = 200, body = Settings)),
    security(("session" = ["admin"])))]
async fn get_settings(
    State(state): State<AppState>,
    Admin(a): Admin,
) -> Result<ApiJson<Settings>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let settings = tx.settings().await?;
    tx.commit().await?;
    Ok(ApiJson(settings))
}

#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings", request_body = UpdateSettings,
    responses((status = 200, body = Settings), (status = 422, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn update_settings(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<UpdateSettings>,
) -> Result<ApiJson<Settings>, Error> {
    if body
        .notify_waiting_minutes
        .is_some_and(|m| m > MAX_WAITING_MINUTES)
    {
        return Err(Error::InvalidInput(
            "notify_waiting_minutes: must be 0 (off) to 1440".into(),
        ));
    }
    if body
        .directory_min_chars
        .is_some_and(|n| !(1..=10).contains(&n))
    {
        return Err(Error::InvalidInput(
            "directory_min_chars: must be 1 to 10".into(),
        ));
    }
    if body.sign_out_reminder_minutes.is_some_and(|m| m > 240) {
        return Err(Error::InvalidInput(
            "sign_out_reminder_minutes: must be 0 (off) to 240".into(),
        ));
    }
    if body.pass_days.is_some_and(|d| d > MAX_PASS_DAYS) {
        return Err(Error::InvalidInput(
            "pass_days: must be 0 (no passes) to 730".into(),
        ));
    }
    if body
        .retention_days
        .is_some_and(|d| !(30..=3650).contains(&d))
    {
        return Err(Error::InvalidInput(
            "retention_days: must be 30 to 3650".into(),
        ));
    }
    let mut tx = state.store.write(a.tenant).await?;
    let mut s = tx.settings().await?;
    if let Some(language) = body.language {
        s.language = language;
    }
    if let Some(texts) = body.consent_text {
        s.consent_text = texts;
    }
    if let Some(on) = body.notify_checkout {
        s.notify_checkout = on;
    }
    if let Some(minutes) = body.notify_waiting_minutes {
        s.notify_waiting_minutes = (minutes > 0).then_some(minutes);
    }
    if let Some(days) = body.pass_days {
        s.pass_days = days;
    }
    if let Some(n) = body.directory_min_chars {
        s.directory_min_chars = n;
    }
    if let Some(exact) = body.directory_exact {
        s.directory_exact = exact;
    }
    if let Some(minutes) = body.sign_out_reminder_minutes {
        s.sign_out_reminder_minutes = (minutes > 0).then_some(minutes);
    }
    if let Some(days) = body.retention_days {
        if days < s.retention_days {
            tx.reopen_retention().await?;
        }
        s.retention_days = days;
    }
    tx.update_settings(&s).await?;
    tx.audit(
        a.actor(),
        "settings.update",
        format!("tenant:{}", a.tenant.0),
    )
    .await?;
    tx.commit().await?;
    Ok(ApiJson(s))
}

/// What this kiosk's tenant decides it shows: names, first language, visitor agreement.
#[utoipa::path(get, path = "/api/v1/kiosk/settings", tag = "kiosk", responses((status = 200, body = KioskSettings)),
    security(("device" = [])))]
async fn kiosk_settings(
    State(state): State<AppState>,
    k: Kiosk,
) -> Result<ApiJson<KioskSettings>, Error> {
    let mut tx = state.store.read(k.tenant).await?;
    let settings = tx.settings().await?;
    let tenant = tx.tenant_row().await?;
    let site = tx.site(k.kiosk.site_id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(ApiJson(KioskSettings {
        tenant_name: tenant.name,
        site_name: site.name,
        language: settings.language,
        consent_text: settings.consent_text,
        passes: settings.pass_days > 0,
        directory_min_chars: settings.directory_min_chars,
        directory_exact: settings.directory_exact,
    }))
}
