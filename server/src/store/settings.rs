//! A tenant's settings, kept on its `tenants` row (no personal data: the language, the visitor
//! agreement texts as a JSON object, notification options, how long visitor passes last, what
//! the kiosk's host search shows, how many days visits are kept).

use vestibule_shared::{
    dto::settings::{ConsentTexts, DIRECTORY_MIN_CHARS, RETENTION_DAYS, Settings},
    types::Language,
};

use super::TenantTx;
use crate::error::Error;

type SettingsRow = (
    String,
    String,
    bool,
    Option<i32>,
    i32,
    i32,
    bool,
    Option<i32>,
    i32,
);

impl TenantTx {
    pub async fn settings(&mut self) -> Result<Settings, Error> {
        const SQL: &str = "SELECT language, consent_text, notify_checkout, notify_waiting_minutes, pass_days, \
                           directory_min_chars, directory_exact, sign_out_reminder_minutes, retention_days FROM tenants WHERE id = $1";
        let (
            language,
            consent,
            notify_checkout,
            waiting,
            pass_days,
            min_chars,
            exact,
            reminder,
            retention,
        ): SettingsRow = self.fetch_optional(SQL, ()).await?.ok_or(Error::NotFound)?;
        // Written only by `update_settings` from validated values; an unreadable one shows the defaults.
        let consent_text: ConsentTexts = serde_json::from_str(&consent).unwrap_or_default();
        Ok(Settings {
            language: Language::from_stored(&language),
            consent_text,
            notify_checkout,
            notify_waiting_minutes: waiting.and_then(|m| u16::try_from(m).ok()),
            pass_days: u16::try_from(pass_days).unwrap_or_default(),
            directory_min_chars: u8::try_from(min_chars).unwrap_or(DIRECTORY_MIN_CHARS),
            directory_exact: exact,
            sign_out_reminder_minutes: reminder.and_then(|m| u16::try_from(m).ok()),
            retention_days: u16::try_from(retention).unwrap_or(RETENTION_DAYS),
        })
    }

    pub async fn update_settings(&mut self, s: &Settings) -> Result<(), Error> {
        const SQL: &str = "UPDATE tenants SET language = $2, consent_text = $3, notify_checkout = $4, notify_waiting_minutes = $5, \
                           pass_days = $6, directory_min_chars = $7, directory_exact = $8, \
                           sign_out_reminder_minutes = $9, retention_days = $10 WHERE id = $1";
        let consent =
            serde_json::to_string(&s.consent_text).map_err(|e| Error::Internal(e.into()))?;
        self.execute(
            SQL,
            (
                s.language.as_str(),
                consent,
                s.notify_checkout,
                s.notify_waiting_minutes.map(i32::from),
                i32::from(s.pass_days),
                i32::from(s.directory_min_chars),
                s.directory_exact,
                s.sign_out_reminder_minutes.map(i32::from),
                i32::from(s.retention_days),
            ),
        )
        .await?;
        Ok(())
    }
}
