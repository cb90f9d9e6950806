//! A tenant's settings: the language of its kiosks and emails, the visitor agreement its kiosks
//! show, and which notifications its hosts get.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::types::{ConsentText, Language};

/// The visitor agreement per language; a language without one shows the kiosk's built-in text.
pub type ConsentTexts = BTreeMap<Language, ConsentText>;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    /// The kiosk's first language and the language of host emails.
    pub language: Language,
    #[schema(value_type = BTreeMap<String, String>)]
    pub consent_text: ConsentTexts,
    /// Email the host when their visitor checks out.
    pub notify_checkout: bool,
    /// Email the host again when their visitor is still waiting after this many minutes (none: never).
    pub notify_waiting_minutes: Option<u16>,
    /// How many days a visitor pass is good for; `0`: visitors are not offered one.
    #[serde(default)]
    pub pass_days: u16,
    /// The kiosk's host search answers nothing until the query has this many characters.
    #[serde(default = "default_min_chars")]
    pub directory_min_chars: u8,
    /// The kiosk's host search shows a host only when the query is their whole first or last name
    /// (or whole name), not a part of it.
    #[serde(default)]
    pub directory_exact: bool,
    /// Email each host whose visitor is still on site this many minutes before a site's daily
    /// automatic sign-out (none: never).
    #[serde(default)]
    pub sign_out_reminder_minutes: Option<u16>,
    /// How many days visits (and what hangs on them) are kept before the daily retention run
    /// removes them.
    #[serde(default = "default_retention_days")]
    pub retention_days: u16,
}

/// How many days a new tenant keeps its visits.
pub const RETENTION_DAYS: u16 = 365;

fn default_retention_days() -> u16 {
    RETENTION_DAYS
}

/// The host search's default minimum query length.
pub const DIRECTORY_MIN_CHARS: u8 = 2;

fn default_min_chars() -> u8 {
    DIRECTORY_MIN_CHARS
}

/// Changes to the settings; absent fields stay as they are. `consent_text` replaces the whole map.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSettings {
    pub language: Option<Language>,
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub consent_text: Option<ConsentTexts>,
    pub notify_checkout: Option<bool>,
    /// 1 to 1440 minutes, or `0` to turn the reminder off.
    pub notify_waiting_minutes: Option<u16>,
    /// 1 to 730 days, or `0` to stop offering visitor passes (passes already issued stay good).
    pub pass_days: Option<u16>,
    /// 1 to 10.
    pub directory_min_chars: Option<u8>,
    pub directory_exact: Option<bool>,
    /// 1 to 240 minutes, or `0` to turn the reminder off.
    pub sign_out_reminder_minutes: Option<u16>,
    /// 30 to 3650 days.
    pub retention_days: Option<u16>,
}

/// What a kiosk shows that its tenant decides.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KioskSettings {
    pub tenant_name: String,
    pub site_name: String,
    pub language: Language,
    #[schema(value_type = BTreeMap<String, String>)]
    pub consent_text: ConsentTexts,
    /// Whether a visitor may ask for a pass for next time.
    #[serde(default)]
    pub passes: bool,
    /// The host search's rules (the server applies them; the kiosk explains them).
    #[serde(default = "default_min_chars")]
    pub directory_min_chars: u8,
    #[serde(default)]
    pub directory_exact: bool,
}
