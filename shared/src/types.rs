//! Validated newtypes. Every value that crosses the wire is parsed into one of these at the edge,
//! so the code behind the edge only ever sees valid data. Deserializing runs the same `parse`.
//!
//! Error messages name the rule, never the rejected value: the value may be personal data.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::Zeroizing;

/// Why a value was rejected. The message states the rule and never echoes the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValidationError(pub &'static str);

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A free-text field: trimmed, between `min` and `max` characters, no control characters.
pub(crate) fn text(
    raw: &str,
    min: usize,
    max: usize,
    rule: &'static str,
) -> Result<String, ValidationError> {
    let s = raw.trim();
    let n = s.chars().count();
    if n < min || n > max || has_control(s) {
        return Err(ValidationError(rule));
    }
    Ok(s.to_owned())
}

/// A bounded free-text newtype: trimmed, `$min..=$max` characters, no control characters, and an
/// optional extra `check` on the trimmed value; Debug never prints the value. With `pattern`, the
/// OpenAPI schema states the rule. Used here and by the SAML strings in [`crate::dto::sso`].
macro_rules! text_type {
    ($(#[$m:meta])* $name:ident, $min:expr, $max:expr, $rule:literal, pattern = $pattern:literal) => {
        $crate::types::text_type!(@ $(#[$m])* #[schema(pattern = $pattern)] $name, $min, $max, $rule, |_| true);
    };
    ($(#[$m:meta])* $name:ident, $min:expr, $max:expr, $rule:literal, check = $check:expr) => {
        $crate::types::text_type!(@ $(#[$m])* $name, $min, $max, $rule, $check);
    };
    (@ $(#[$m:meta])* $name:ident, $min:expr, $max:expr, $rule:literal, $check:expr) => {
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        $(#[$m])*
        pub struct $name(String);

        impl $name {
            /// Longest accepted value, in characters.
            pub const MAX: usize = $max;
            /// Parses and normalises (trims) a raw value.
            pub fn parse(raw: &str) -> Result<Self, $crate::types::ValidationError> {
                let check: fn(&str) -> bool = $check;
                match $crate::types::text(raw, $min, $max, $rule) {
                    Ok(s) if check(&s) => Ok(Self(s)),
                    _ => Err($crate::types::ValidationError($rule)),
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = $crate::types::ValidationError;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // Values may be personal data: never print them in logs or panics.
                write!(f, concat!(stringify!($name), "(..)"))
            }
        }
    };
}
pub(crate) use text_type;

text_type!(/// A person's name (visitor, host, user).
    PersonName, 1, 200, "must be 1 to 200 characters without control characters", pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]{1,200}$");
text_type!(/// A visitor's company.
    CompanyName, 1, 200, "must be 1 to 200 characters without control characters", pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]{1,200}$");
text_type!(/// Why a visitor came.
    Purpose, 1, 500, "must be 1 to 500 characters without control characters", pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]{1,500}$");
text_type!(/// Why a person is on the watchlist (staff see it when the person is held).
    Reason, 1, 500, "must be 1 to 500 characters without control characters", pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]{1,500}$");
text_type!(/// A note for the host and reception about an invited visitor.
    Note, 1, 500, "must be 1 to 500 characters without control characters", pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]{1,500}$");
text_type!(/// What an invited visitor should know on arriving at a site (the entrance, what to bring);
    /// empty for nothing.
    Instructions, 0, 1000, "must be at most 1000 characters without control characters", pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]{0,1000}$");
text_type!(/// A time of day, `HH:MM` on a 24-hour clock; empty for none.
    TimeOfDay, 0, 5, "must be a time of day HH:MM from 00:00 to 23:59, or empty for none",
    check = |s| s.is_empty() || (s.len() == 5 && s.as_bytes()[2] == b':'
        && s[..2].parse::<u8>().is_ok_and(|h| h < 24) && s[3..].parse::<u8>().is_ok_and(|m| m < 60)
        && s.bytes().enumerate().all(|(i, b)| i == 2 || b.is_ascii_digit())));
text_type!(/// A display name of a tenant, site or kiosk.
    Label, 1, 120, "must be 1 to 120 characters without control characters", pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]{1,120}$");
text_type!(/// A visitor's answer to a custom question of short text.
    ShortAnswer, 1, 500, "must be 1 to 500 characters without control characters", pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]{1,500}$");
text_type!(/// A host-directory search string.
    SearchQuery, 0, 100, "must be at most 100 characters without control characters", pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]{0,100}$");

/// An email address: trimmed, at most 254 characters, one `@`, a dotted domain, no spaces.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(format = Email)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const RULE: &str = "must be an email address of at most 254 characters";
        let s = raw.trim();
        let Some((local, domain)) = s.split_once('@') else {
            return Err(ValidationError(RULE));
        };
        let ok = s.len() <= 254
            && !local.is_empty()
            && local.len() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError(RULE))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The form used for lookups: lowercase (the blind index is computed over this).
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A phone number: digits, spaces and `+-().`, 3 to 32 characters.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(pattern = "^[0-9 +().-]{3,32}$")]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim();
        let ok = (3..=32).contains(&s.len())
            && s.chars().any(|c| c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError(
                "must be a phone number of 3 to 32 digits, spaces and +-().",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tenant's URL-safe name: 2 to 63 of `a-z0-9-`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(pattern = "^[a-z0-9][a-z0-9-]{1,62}$")]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = (2..=63).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !raw.starts_with('-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError(
                "must be 2 to 63 characters of a-z, 0-9 and -",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone name such as `Europe/Paris` or `UTC` (format check only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(pattern = "^[A-Z][A-Za-z0-9/_+-]{0,63}$")]
pub struct Timezone(String);

impl Timezone {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = (1..=64).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_uppercase())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError(
                "must be an IANA time zone name such as Europe/Paris",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A language the kiosk and the emails speak.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Fr,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::Fr];
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
        }
    }
    /// The stored form back; anything unknown reads as English.
    pub fn from_stored(s: &str) -> Language {
        Language::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .unwrap_or_default()
    }
}

/// Text in paragraphs: CRLF as LF, trimmed, 1 to `max` characters, no control character but the
/// line break.
fn paragraphs(raw: &str, max: usize) -> Option<String> {
    let s = raw.replace("\r\n", "\n");
    let s = s.trim();
    let n = s.chars().count();
    ((1..=max).contains(&n) && !s.chars().any(|c| c.is_control() && c != '\n'))
        .then(|| s.to_owned())
}

/// A tenant's visitor agreement shown on the kiosk's consent screen: 1 to 4,000 characters,
/// paragraphs separated by line breaks, no other control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
#[serde(try_from = "String", into = "String")]
#[schema(pattern = "^[^\\u0000-\\u0009\\u000B-\\u001F\\u007F-\\u009F]{1,4000}$")]
pub struct ConsentText(String);

impl ConsentText {
    pub const MAX: usize = 4000;
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        paragraphs(raw, Self::MAX).map(Self).ok_or(ValidationError(
            "must be 1 to 4000 characters; line breaks are the only control characters allowed",
        ))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text of an agreement document a visitor signs: 1 to 20,000 characters, paragraphs
/// separated by line breaks, no other control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(pattern = "^[^\\u0000-\\u0009\\u000B-\\u001F\\u007F-\\u009F]{1,20000}$")]
pub struct DocumentText(String);

impl DocumentText {
    pub const MAX: usize = 20_000;
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        paragraphs(raw, Self::MAX).map(Self).ok_or(ValidationError(
            "must be 1 to 20000 characters; line breaks are the only control characters allowed",
        ))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An image sent by the kiosk (a photo, a signature): standard base64 of at most
/// [`ImageData::MAX_BYTES`] bytes. Only its shape is checked here; the server decodes it with a
/// real image decoder. Debug never prints it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(format = Byte, pattern = "^[A-Za-z0-9+/]{4,1398104}={0,2}$")]
pub struct ImageData(String);

impl ImageData {
    /// The largest image accepted, in bytes (before base64).
    pub const MAX_BYTES: usize = 1024 * 1024;
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_BYTES.div_ceil(3) * 4
            && raw.len().is_multiple_of(4)
            && raw
                .trim_end_matches('=')
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError(
                "must be an image of at most 1 MiB in standard base64",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A server's host name or IP address: 1 to 253 characters of letters, digits, `.`, `-` and `:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$")]
pub struct HostName(String);

impl HostName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = (1..=253).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c))
            && !raw.starts_with(['.', '-']);
        if ok {
            Ok(Self(raw.to_ascii_lowercase()))
        } else {
            Err(ValidationError("must be a host name or IP address"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a label printer listens: `ipp://host[:port]/path` or `ipps://…` (IPP, port 631 by
/// default) or `socket://host[:port]` (a Brother QL's raw socket, port 9100 by default). At most
/// 255 characters; no user information, query or fragment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(pattern = "^(ipps?|socket)://[A-Za-z0-9.\\[\\]:-]+(/[A-Za-z0-9/._~-]*)?$")]
pub struct PrinterUrl(String);

impl PrinterUrl {
    const RULE: &'static str =
        "must be ipp://host[:port]/path, ipps://host[:port]/path or socket://host[:port]";

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let raw = raw.trim();
        let err = || ValidationError(Self::RULE);
        let (scheme, rest) = raw.split_once("://").ok_or_else(err)?;
        let scheme = scheme.to_ascii_lowercase();
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let ok_scheme =
            matches!(scheme.as_str(), "ipp" | "ipps") || (scheme == "socket" && path.is_empty());
        let ok_path = path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._~-".contains(c));
        let (host, port) = split_host_port(authority).ok_or_else(err)?;
        let ok_host = url_host_ok(host);
        if raw.len() <= 255 && ok_scheme && ok_path && ok_host && port != Some(0) {
            Ok(Self(format!(
                "{scheme}://{}{path}",
                authority.to_ascii_lowercase()
            )))
        } else {
            Err(err())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the printer takes.
    pub fn kind(&self) -> crate::dto::badges::PrinterKind {
        if self.0.starts_with("socket://") {
            crate::dto::badges::PrinterKind::BrotherQl
        } else {
            crate::dto::badges::PrinterKind::Ipp
        }
    }

    /// `host:port` to connect to.
    pub fn socket_address(&self) -> String {
        let (scheme, rest) = self.0.split_once("://").unwrap_or(("", &self.0));
        let authority = rest.split('/').next().unwrap_or_default();
        match split_host_port(authority) {
            Some((host, Some(port))) => format!("{host}:{port}"),
            Some((host, None)) => format!("{host}:{}", if scheme == "socket" { 9100 } else { 631 }),
            None => authority.to_owned(),
        }
    }

    /// The HTTP URL an IPP request is posted to (`http` for `ipp`, `https` for `ipps`).
    pub fn http_url(&self) -> String {
        let (scheme, rest) = self.0.split_once("://").unwrap_or(("", &self.0));
        let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("/");
        let web = if scheme == "ipps" { "https" } else { "http" };
        format!("{web}://{}{path}", self.socket_address())
    }
}

/// `host[:port]` (an IPv6 host in brackets) split; `None` for a bad port.
/// A URL's host: a name of letters, digits, `.` and `-`, or a bracketed IPv6 address.
fn url_host_ok(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && (host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
            || (host.starts_with('[')
                && host.ends_with(']')
                && host[1..host.len() - 1]
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':')))
}

fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let colon = if authority.starts_with('[') {
        authority
            .find(']')
            .map(|i| i + 1)
            .filter(|&i| i < authority.len())
    } else {
        authority.rfind(':')
    };
    match colon {
        Some(i) if authority.as_bytes().get(i) == Some(&b':') => {
            let port = &authority[i + 1..];
            (!port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit()))
                .then(|| (&authority[..i], port.parse().ok()))
                .filter(|(_, p)| p.is_some())
        }
        Some(_) => None,
        None => Some((authority, None)),
    }
}

/// Where a webhook is sent: `https://host[:port]/path[?query]`, at most 2000 characters; no user
/// information or fragment. Whether the host may be reached is the server's to decide, when it
/// connects (after DNS).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(pattern = "^https://[A-Za-z0-9.\\[\\]:-]+(/[A-Za-z0-9/._~%!$&'()*+,;=:@?-]*)?$")]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub const MAX: usize = 2000;
    const RULE: &'static str =
        "must be https://host[:port]/path, at most 2000 characters, without user or fragment";

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let err = || ValidationError(Self::RULE);
        let raw = raw.trim();
        let rest = raw
            .get(..8)
            .filter(|s| s.eq_ignore_ascii_case("https://"))
            .map(|_| &raw[8..])
            .ok_or_else(err)?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let ok_path = path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._~%!$&'()*+,;=:@?-".contains(c));
        let (host, port) = split_host_port(authority).ok_or_else(err)?;
        let ok_host = url_host_ok(host);
        if raw.len() <= Self::MAX && ok_path && ok_host && port != Some(0) {
            Ok(Self(format!(
                "https://{}{path}",
                authority.to_ascii_lowercase()
            )))
        } else {
            Err(err())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The URL is a credential for Slack and Teams: Debug shows its origin only.
impl std::fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let end = self.0[8..].find(['/', '?']).map_or(self.0.len(), |i| i + 8);
        write!(f, "WebhookUrl({}/…)", &self.0[..end])
    }
}

/// PEM certificates (a private CA to trust): at most 64 KiB, at least one `CERTIFICATE` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
pub struct CertificatesPem(String);

impl CertificatesPem {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = raw.len() <= 64 * 1024
            && raw.contains("-----BEGIN CERTIFICATE-----")
            && !raw.chars().any(|c| c.is_control() && !"\r\n\t".contains(c));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError(
                "must be PEM certificates of at most 64 KiB",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Alphabet of badge codes and enrollment codes: no 0/O, 1/I/L.
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// The one normaliser of badge and enrollment codes, for every edge: drops whitespace (as
/// [`char::is_whitespace`]) and `-`, upper-cases ASCII letters and keeps every other character,
/// which validation against [`CODE_ALPHABET`] then rejects. The UI applies the same rule
/// (`normalizeCode` in `ui/common`); both are tested against `shared/tests/code_cases.json`.
pub fn normalize_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn code(raw: &str, len: usize, rule: &'static str) -> Result<String, ValidationError> {
    let s = normalize_code(raw);
    if s.len() == len && s.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        Ok(s)
    } else {
        Err(ValidationError(rule))
    }
}

/// The code on a visitor's badge: 8 characters of [`CODE_ALPHABET`] once normalised by
/// [`normalize_code`] (so any case, spaces and dashes are accepted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(pattern = "^[2-9A-HJKMNP-Z]{8}$")]
pub struct BadgeCode(String);

impl BadgeCode {
    pub const LEN: usize = 8;
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        code(raw, Self::LEN, "must be an 8-character badge code").map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An invitation's code: 10 characters of [`CODE_ALPHABET`] (about 49 bits) once normalised by
/// [`normalize_code`], shown as `XXXXX-XXXXX`. Debug never prints it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(pattern = "^[2-9A-HJKMNP-Z]{5}-?[2-9A-HJKMNP-Z]{5}$")]
pub struct InviteCode(String);

impl InviteCode {
    pub const LEN: usize = 10;
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        code(raw, Self::LEN, "must be a 10-character invitation code").map(Self)
    }
    /// The canonical form without the dash (what is hashed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The grouped form shown to people.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..5], &self.0[5..])
    }
}

/// A returning visitor's pass code: 16 characters of [`CODE_ALPHABET`] (about 78 bits) once
/// normalised by [`normalize_code`], shown as `XXXX-XXXX-XXXX-XXXX`. Longer than an invitation's
/// code, so that one field at the kiosk reads either. Debug never prints it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(pattern = "^[2-9A-HJKMNP-Z]{4}(-?[2-9A-HJKMNP-Z]{4}){3}$")]
pub struct PassCode(String);

impl PassCode {
    pub const LEN: usize = 16;
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        code(raw, Self::LEN, "must be a 16-character pass code").map(Self)
    }
    /// The canonical form without dashes (what is hashed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The grouped form shown to people.
    pub fn display(&self) -> String {
        grouped(&self.0)
    }
}

/// The token of an emailed link that acts without an account (a visitor revoking their pass, a
/// host approving a visitor): `<tenant id>.<row id>.<secret>`, the secret 32 random bytes in
/// unpadded base64url. Debug never prints it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(pattern = "^[0-9a-f-]{36}\\.[0-9a-f-]{36}\\.[A-Za-z0-9_-]{43}$")]
pub struct LinkToken(String);

impl LinkToken {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let id = |x: &str| x.len() == 36 && uuid::Uuid::try_parse(x).is_ok();
        let ok = matches!(raw.split('.').collect::<Vec<_>>().as_slice(), [t, p, s]
            if id(t) && id(p) && s.len() == 43
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError("must be the token of an emailed link"))
        }
    }
    /// The tenant, the row (a pass, a visit) and the secret.
    pub fn parts(&self) -> (uuid::Uuid, uuid::Uuid, &str) {
        let id = |x: &str| uuid::Uuid::try_parse(x).unwrap_or_default();
        (id(&self.0[..36]), id(&self.0[37..73]), &self.0[74..])
    }
}

/// A kiosk enrollment code: 16 characters of [`CODE_ALPHABET`] once normalised by
/// [`normalize_code`], shown as `XXXX-XXXX-XXXX-XXXX`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(pattern = "^[2-9A-HJKMNP-Z]{4}(-?[2-9A-HJKMNP-Z]{4}){3}$")]
pub struct EnrollmentCode(String);

impl EnrollmentCode {
    pub const LEN: usize = 16;
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        code(raw, Self::LEN, "must be a 16-character enrollment code").map(Self)
    }
    /// The canonical form without dashes (what is hashed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The grouped form shown to people.
    pub fn display(&self) -> String {
        grouped(&self.0)
    }
}

/// A code in groups of four, as people read it.
fn grouped(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

impl std::fmt::Debug for EnrollmentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnrollmentCode(..)")
    }
}

/// Where a page of a list sorted newest first ends: its last item's time and id, written
/// `<microseconds since the epoch>_<id as 32 hex digits>`. Clients treat it as opaque and pass back
/// the `next` they were given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PageCursor {
    pub at: chrono::DateTime<chrono::Utc>,
    pub id: uuid::Uuid,
}

impl PageCursor {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const RULE: ValidationError = ValidationError("must be a `next` cursor of this list");
        let (micros, id) = raw.split_once('_').ok_or(RULE)?;
        let at = micros
            .parse::<i64>()
            .ok()
            .and_then(chrono::DateTime::from_timestamp_micros)
            .ok_or(RULE)?;
        let hex = id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let id = uuid::Uuid::try_parse(id).ok().filter(|_| hex).ok_or(RULE)?;
        Ok(PageCursor { at, id })
    }
}

impl TryFrom<String> for PageCursor {
    type Error = ValidationError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<PageCursor> for String {
    fn from(c: PageCursor) -> String {
        format!("{}_{}", c.at.timestamp_micros(), c.id.simple())
    }
}

macro_rules! secret_type {
    ($(#[$m:meta])* $name:ident, $check:expr, $rule:literal, $pattern:literal) => {
        $(#[$m])*
        /// Held in a zeroizing buffer: wiped when dropped, never printed.
        #[derive(Clone, Deserialize, ToSchema)]
        #[serde(try_from = "String")]
        #[schema(value_type = String, pattern = $pattern)]
        pub struct $name(Zeroizing<String>);

        impl $name {
            pub fn parse(raw: String) -> Result<Self, ValidationError> {
                let raw = Zeroizing::new(raw);
                let check: fn(&str) -> bool = $check;
                if check(&raw) { Ok(Self(raw)) } else { Err(ValidationError($rule)) }
            }
            pub fn expose(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(raw)
            }
        }
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(..)"))
            }
        }
    };
}

secret_type!(/// A password: 12 to 256 characters.
    Password, |s| (12..=256).contains(&s.chars().count()), "must be 12 to 256 characters", "^[\\s\\S]{12,256}$");
secret_type!(/// A password the server uses elsewhere (an SMTP account): 1 to 256 characters.
    ServicePassword, |s| (1..=256).contains(&s.chars().count()), "must be 1 to 256 characters", "^[\\s\\S]{1,256}$");
secret_type!(/// A receptionist's kiosk PIN: 6 to 12 digits.
    Pin, |s| (6..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()), "must be 6 to 12 digits", "^[0-9]{6,12}$");

macro_rules! redacted_debug {
    ($($name:ident),*) => {$(
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(..)"))
            }
        }
    )*};
}
redacted_debug!(Email, Phone, InviteCode, PassCode, LinkToken, ImageData);

macro_rules! string_conversions {
    ($($name:ident),*) => {$(
        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    )*};
}
string_conversions!(
    Email,
    Phone,
    Slug,
    Timezone,
    BadgeCode,
    EnrollmentCode,
    InviteCode,
    PassCode,
    LinkToken,
    ConsentText,
    DocumentText,
    ImageData,
    HostName,
    PrinterUrl,
    WebhookUrl,
    CertificatesPem
);
