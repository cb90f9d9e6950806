//! What crosses between the kiosk's Rust side and its web UI: each command's arguments (one
//! struct per command, sent as `{args: {...}}`) and results. The UI's TypeScript types are
//! generated from these (see `typescript.rs`), never copied by hand. What the visitor or a
//! receptionist typed arrives in zeroize-on-drop types.

use serde::{Deserialize, Serialize};
#[cfg(test)]
use ts_rs::TS;
use vestibule_shared::{dto::settings::ConsentTexts, types::Language};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// What the kiosk knows about itself: enrolled or not, whose it is, and the tenant's settings.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(TS))]
pub struct KioskStatus {
    pub enrolled: bool,
    pub tenant_name: Option<String>,
    pub site_name: Option<String>,
    /// The tenant's first language, once fetched.
    pub language: Option<Language>,
    /// The tenant's visitor agreement per language (languages without one use the UI's text).
    pub consent_text: ConsentTexts,
    pub idle_secs: u32,
    pub override_idle_secs: u32,
    /// Whether a visitor may ask for a pass for next time (the tenant issues them).
    pub passes: bool,
    /// The host search answers nothing under this many characters (the server's rule, shown).
    pub directory_min_chars: u8,
    /// The host search shows only whole first or last names (the server's rule, explained).
    pub directory_exact: bool,
}

/// `enroll`: the server URLs and TLS key pins to trust, and the one-time enrollment code.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
pub struct EnrollArgs {
    pub server_urls: Vec<String>,
    pub pins: Vec<String>,
    pub enrollment_code: String,
}

/// `search_hosts`: part of a host's name.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
pub struct SearchHostsArgs {
    pub q: String,
}

/// What the visitor typed.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
pub struct VisitorInput {
    pub name: String,
    pub email: String,
    pub company: Option<String>,
    pub phone: Option<String>,
}

/// `check_in` and `override_check_in`: the visitor, their host and why they came, and what the
/// visitor type they chose asked (nothing of it in the built-in flow).
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
pub struct CheckInArgs {
    pub visitor: VisitorInput,
    /// None only for a visitor type that lets the visitor skip the host.
    pub host_id: Option<String>,
    pub purpose: Option<String>,
    /// "Send me a pass for next time".
    #[serde(default)]
    pub want_pass: bool,
    /// The visitor type chosen; none in the built-in flow.
    #[serde(default)]
    pub visitor_type_id: Option<String>,
    /// The answers to the type's custom questions (those left unanswered are absent).
    #[serde(default)]
    pub answers: Vec<AnswerInput>,
    /// Every agreement of the type, as shown to the visitor.
    #[serde(default)]
    pub agreements: Vec<ShownAgreementInput>,
    /// The signature under the agreements: a PNG in standard base64 (no `data:` prefix).
    #[serde(default)]
    pub signature: Option<String>,
    /// The visitor's photo: a JPEG or PNG in standard base64 (no `data:` prefix).
    #[serde(default)]
    pub photo: Option<String>,
    /// "Email me a copy" of the signed agreements.
    #[serde(default)]
    pub email_agreements: bool,
}

/// A visitor's answer to one custom question.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
pub struct AnswerInput {
    pub question_id: String,
    pub value: AnswerInputValue,
}

/// An answer as the UI sends it: yes/no as a boolean, a choice as its index, text as a string.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
#[serde(untagged)]
pub enum AnswerInputValue {
    YesNo(bool),
    Choice(u32),
    Text(String),
}

/// An agreement the visitor was shown: which document, at which version, in which language.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
pub struct ShownAgreementInput {
    pub document_id: String,
    pub version: u32,
    #[zeroize(skip)]
    pub language: Language,
}

/// `lookup_invite`, `redeem_invite` and `lookup_pass`: an invitation's or a pass's code, as typed
/// or scanned.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
pub struct InviteArgs {
    pub code: String,
}

/// `redeem_pass`: a pass's code, as typed or scanned, and the host the visitor picked (none: the
/// host of the invitation they are expected on today, which the greeting named).
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
pub struct PassArgs {
    pub code: String,
    pub host_id: Option<String>,
}

/// `check_out`: the code on the visitor's badge, as typed.
#[derive(Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct CheckOutArgs {
    pub badge_code: String,
}

/// `override_login`: a receptionist's email and PIN.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
pub struct OverrideLoginArgs {
    pub email: String,
    pub pin: String,
}

/// The override session `override_login` opened.
#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(TS))]
pub struct OverrideSession {
    pub expires_at: String,
}

/// A visit as the receptionist's on-site list shows it (no email or phone).
#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
pub struct OnSiteVisit {
    pub id: String,
    pub visitor_name: String,
    pub visitor_company: Option<String>,
    pub host_name: String,
    pub checked_in_at: String,
    pub badge_code: String,
    pub purpose: Option<String>,
}

/// An invited visitor still expected today, as the receptionist's list shows them.
#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
pub struct ExpectedArrival {
    pub id: String,
    pub visitor_name: String,
    pub host_name: String,
    pub expected_at: String,
}

/// `override_check_in_invited`: the invitation whose visitor has arrived.
#[derive(Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct InvitedArgs {
    pub invite_id: String,
}

/// `override_check_out`: the visit to end.
#[derive(Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct VisitArgs {
    pub visit_id: String,
}

/// `override_correct`: the fields of a visit to change; `null` or blank leaves one as it is.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
pub struct CorrectionArgs {
    pub visit_id: String,
    pub visitor_name: Option<String>,
    pub visitor_company: Option<String>,
    pub purpose: Option<String>,
}

/// `offline_status`: how many sealed check-ins wait for a server, whether the last request was
/// answered, and (in override mode only) who waits.
#[derive(Serialize)]
#[cfg_attr(test, derive(TS))]
pub struct OfflineStatus {
    pub waiting: u32,
    /// Past this many waiting, visitors are sent to reception.
    pub limit: u32,
    pub reachable: bool,
    /// Whether the kiosk has the tenant's offline key (it can check visitors in offline).
    pub ready: bool,
    /// In override mode: the waiting check-ins, first names and times only.
    pub visitors: Option<Vec<WaitingVisitor>>,
}

/// A check-in made offline that waits to be delivered: what reception may see of it.
#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(test, derive(TS))]
pub struct WaitingVisitor {
    pub first_name: String,
    pub checked_in_at: String,
}
