//! Every JSON request body of the API, parsed exactly as the server parses it
//! ([`server::http::parse_json`]). Never panics; a body that parses holds only values that keep
//! their type's rules and parse again to themselves; a refused body gets an envelope error that
//! does not repeat the values it was sent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::{Serialize, de::DeserializeOwned};
use server::{error::Error, http::parse_json};
use vestibule_shared::{
    dto::{
        accounts::{CreateTenant, CreateUser, Login, UpdateUser},
        directory::{CreateHost, CreateKiosk, CreateSite, UpdateHost, UpdateKiosk, UpdateSite},
        invites::{InviteLookup, RedeemInvite},
        kiosk::{Enroll, OverrideLogin},
        mail::PutSmtp,
        passes::{PassLookup, RedeemPass, RevokePass},
        privacy::Subject,
        settings::UpdateSettings,
        visitor_types::{
            AgreementBody, AgreementInput, Answer, AnswerValue, ApprovalLookup, DecideApproval,
            Question, VisitorTypeInput,
        },
        visits::{CheckIn, CheckOut, CorrectVisit, VisitorDetails},
        watchlist::{WatchInput, WatchPatch},
    },
    types::{
        BadgeCode, CODE_ALPHABET, CertificatesPem, CompanyName, ConsentText, DocumentText, Email,
        EnrollmentCode, HostName, ImageData, InviteCode, Label, LinkToken, PassCode, Password,
        PersonName, Phone, Pin, Purpose, Reason, ServicePassword, ShortAnswer, Slug, Timezone,
    },
};

/// A parsed value whose rules can be checked.
trait Valid {
    fn check(&self);
}

impl<T: Valid> Valid for Option<T> {
    fn check(&self) {
        if let Some(v) = self {
            v.check();
        }
    }
}

/// A trimmed text of `min..=max` characters without control characters.
fn check_text(s: &str, min: usize, max: usize) {
    assert_eq!(s, s.trim(), "untrimmed text");
    assert!(
        (min..=max).contains(&s.chars().count()),
        "text length out of bounds"
    );
    assert!(
        !s.chars().any(char::is_control),
        "control character in text"
    );
}

/// `parse(as_str)` gives the same value, and so does the JSON round trip through `parse_json`.
fn check_reparse<T>(v: &T, reparsed: Result<T, impl std::fmt::Debug>)
where
    T: PartialEq + Serialize + DeserializeOwned,
{
    assert!(
        reparsed.expect("a valid value parses again") == *v,
        "parsing a valid value changed it"
    );
    let json = serde_json::to_vec(v).expect("serializes");
    let again: T = parse_json(&json).expect("a serialized valid value parses again");
    assert!(again == *v, "the JSON round trip changed a valid value");
}

macro_rules! text_types {
    ($($t:ty: $min:expr, $max:expr;)*) => {$(
        impl Valid for $t {
            fn check(&self) {
                check_text(self.as_str(), $min, $max);
                check_reparse(self, <$t>::parse(self.as_str()));
            }
        }
    )*};
}
text_types! {
    PersonName: 1, 200;
    CompanyName: 1, 200;
    Purpose: 1, 500;
    Label: 1, 120;
    ShortAnswer: 1, 500;
    Reason: 1, 500;
}

impl Valid for DocumentText {
    fn check(&self) {
        let s = self.as_str();
        assert_eq!(s, s.trim(), "untrimmed document");
        assert!(
            (1..=DocumentText::MAX).contains(&s.chars().count()),
            "document length"
        );
        assert!(
            !s.chars().any(|c| c.is_control() && c != '\n'),
            "control character in document"
        );
        check_reparse(self, DocumentText::parse(s));
    }
}

impl Valid for ImageData {
    fn check(&self) {
        let s = self.as_str();
        assert!(
            !s.is_empty() && s.len() % 4 == 0 && s.len() <= ImageData::MAX_BYTES.div_ceil(3) * 4,
            "image length"
        );
        assert!(
            s.trim_end_matches('=')
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'),
            "image character"
        );
        check_reparse(self, ImageData::parse(s));
    }
}

impl<T: Valid> Valid for Vec<T> {
    fn check(&self) {
        self.iter().for_each(Valid::check);
    }
}

impl<K, T: Valid> Valid for std::collections::BTreeMap<K, T> {
    fn check(&self) {
        self.values().for_each(Valid::check);
    }
}

impl Valid for AnswerValue {
    fn check(&self) {
        if let AnswerValue::Text(t) = self {
            t.check();
        }
    }
}

impl Valid for Email {
    fn check(&self) {
        let s = self.as_str();
        let (local, domain) = s.split_once('@').expect("an @");
        assert!(
            s.len() <= 254 && !local.is_empty() && local.len() <= 64,
            "email length"
        );
        assert!(
            !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.'),
            "email domain"
        );
        assert!(
            !s.chars().any(|c| c.is_whitespace() || c.is_control()),
            "space or control character in email"
        );
        check_reparse(self, Email::parse(s));
    }
}

impl Valid for Phone {
    fn check(&self) {
        let s = self.as_str();
        assert!(
            (3..=32).contains(&s.len()) && s.bytes().any(|b| b.is_ascii_digit()),
            "phone length"
        );
        assert!(
            s.chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c)),
            "phone character"
        );
        assert_eq!(s, s.trim(), "untrimmed phone");
        check_reparse(self, Phone::parse(s));
    }
}

impl Valid for Slug {
    fn check(&self) {
        let s = self.as_str();
        assert!(
            (2..=63).contains(&s.len()) && !s.starts_with('-'),
            "slug length"
        );
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "slug character"
        );
        check_reparse(self, Slug::parse(s));
    }
}

impl Valid for Timezone {
    fn check(&self) {
        let s = self.as_str();
        assert!(
            (1..=64).contains(&s.len()) && s.starts_with(|c: char| c.is_ascii_uppercase()),
            "time zone"
        );
        assert!(
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c)),
            "time zone character"
        );
        check_reparse(self, Timezone::parse(s));
    }
}

impl Valid for HostName {
    fn check(&self) {
        let s = self.as_str();
        assert!(
            (1..=253).contains(&s.len()) && !s.starts_with(['.', '-']),
            "host name length"
        );
        assert!(
            s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-:".contains(c)),
            "host name character"
        );
        check_reparse(self, HostName::parse(s));
    }
}

impl Valid for ConsentText {
    fn check(&self) {
        let s = self.as_str();
        assert_eq!(s, s.trim(), "untrimmed agreement");
        assert!(
            (1..=ConsentText::MAX).contains(&s.chars().count()),
            "agreement length"
        );
        assert!(
            !s.chars().any(|c| c.is_control() && c != '\n'),
            "control character in agreement"
        );
        check_reparse(self, ConsentText::parse(s));
    }
}

impl Valid for CertificatesPem {
    fn check(&self) {
        let s = self.as_str();
        assert!(
            s.len() <= 64 * 1024 && s.contains("-----BEGIN CERTIFICATE-----"),
            "PEM"
        );
        assert!(
            !s.chars().any(|c| c.is_control() && !"\r\n\t".contains(c)),
            "control character in PEM"
        );
        check_reparse(self, CertificatesPem::parse(s));
    }
}

fn check_code(s: &str, len: usize) {
    assert!(
        s.len() == len && s.bytes().all(|b| CODE_ALPHABET.contains(&b)),
        "code"
    );
}

impl Valid for BadgeCode {
    fn check(&self) {
        check_code(self.as_str(), BadgeCode::LEN);
        check_reparse(self, BadgeCode::parse(self.as_str()));
    }
}

impl Valid for EnrollmentCode {
    fn check(&self) {
        check_code(self.as_str(), EnrollmentCode::LEN);
        check_reparse(self, EnrollmentCode::parse(self.as_str()));
        assert!(
            EnrollmentCode::parse(&self.display()).expect("the shown form parses") == *self,
            "the shown form is another code"
        );
    }
}

impl Valid for InviteCode {
    fn check(&self) {
        check_code(self.as_str(), InviteCode::LEN);
        check_reparse(self, InviteCode::parse(self.as_str()));
        assert!(
            InviteCode::parse(&self.display()).expect("the shown form parses") == *self,
            "the shown form is another code"
        );
    }
}

impl Valid for PassCode {
    fn check(&self) {
        check_code(self.as_str(), PassCode::LEN);
        check_reparse(self, PassCode::parse(self.as_str()));
        assert!(
            PassCode::parse(&self.display()).expect("the shown form parses") == *self,
            "the shown form is another code"
        );
    }
}

impl Valid for LinkToken {
    fn check(&self) {
        let (tenant, pass, secret) = self.parts();
        let rebuilt = format!("{tenant}.{pass}.{secret}");
        check_reparse(self, LinkToken::parse(&rebuilt));
        assert!(
            secret.len() == 43
                && secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "revocation secret"
        );
    }
}

/// Secrets are not serializable: parsing the exposed value again keeps it.
macro_rules! secret_types {
    ($($t:ty: $rule:expr;)*) => {$(
        impl Valid for $t {
            fn check(&self) {
                let rule: fn(&str) -> bool = $rule;
                assert!(rule(self.expose()), concat!(stringify!($t), " rule"));
                let again = <$t>::parse(self.expose().to_owned()).expect("a valid secret parses again");
                assert_eq!(again.expose(), self.expose());
            }
        }
    )*};
}
secret_types! {
    Password: |s| (12..=256).contains(&s.chars().count());
    ServicePassword: |s| (1..=256).contains(&s.chars().count());
    Pin: |s| (6..=12).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
}

macro_rules! fields {
    ($($t:ty { $($f:ident),* };)*) => {$(
        impl Valid for $t {
            fn check(&self) {
                $(self.$f.check();)*
            }
        }
    )*};
}
fields! {
    CreateTenant { slug, name };
    CreateUser { email, name, password, pin };
    UpdateUser { name, password, pin };
    Login { tenant, email, password };
    CreateSite { name, timezone };
    UpdateSite { name, timezone };
    CreateHost { name, email };
    UpdateHost { name, email };
    CreateKiosk { name };
    UpdateKiosk { name };
    Enroll { enrollment_code };
    OverrideLogin { email, pin };
    PutSmtp { host, username, password, from_address, from_name, ca_pem };
    VisitorDetails { name, email, company, phone };
    CheckIn { visitor, purpose, answers, signature, photo };
    CheckOut { badge_code };
    CorrectVisit { name, email, company, phone, purpose };
    RedeemInvite { invite_code, purpose };
    InviteLookup { invite_code };
    RedeemPass { pass_code, purpose };
    PassLookup { pass_code };
    RevokePass { token };
    Answer { value };
    Question { labels, choices };
    VisitorTypeInput { names, questions };
    AgreementBody { title, body };
    AgreementInput { name, texts };
    DecideApproval { token };
    ApprovalLookup { token };
    Subject { email };
    WatchInput { name, email, reason };
    WatchPatch { name, email, reason };
}

impl Valid for UpdateSettings {
    fn check(&self) {
        for text in self.consent_text.iter().flat_map(|m| m.values()) {
            text.check();
        }
    }
}

/// The strings at value positions of a JSON document, and its object keys.
fn strings(v: &serde_json::Value, values: &mut Vec<String>, keys: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => values.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, values, keys)),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, v)| {
            keys.push(k.clone());
            strings(v, values, keys);
        }),
        _ => {}
    }
}

/// A refusal is an input error whose message names no value that was sent. Object keys (an
/// unknown field is named) and short or word-like strings (which a rule's text may contain by
/// chance) are not looked for.
fn check_refusal(data: &[u8], e: &Error) {
    let message = match e {
        Error::InvalidInput(m) | Error::InvalidJson(m) => m,
        other => panic!("parse_json refused with {other:?}"),
    };
    // "<path>: <rule>", each part cut to 200 characters.
    assert!(
        message.chars().count() <= 2 * 200 + 2,
        "an unbounded error message"
    );
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let (mut values, mut keys) = (Vec::new(), Vec::new());
    strings(&doc, &mut values, &mut keys);
    let telling = |s: &&String| {
        s.chars().count() >= 8
            && s.chars()
                .any(|c| !c.is_ascii() || "@#$%^&*=|~<>!?;".contains(c))
    };
    for value in values
        .iter()
        .filter(telling)
        .filter(|v| !keys.iter().any(|k| k.contains(v.as_str())))
    {
        assert!(
            !message.contains(value.as_str()),
            "the error message repeats a value that was sent"
        );
    }
}

fn parse<T: DeserializeOwned + Valid>(data: &[u8]) {
    match parse_json::<T>(data) {
        Ok(v) => v.check(),
        Err(e) => check_refusal(data, &e),
    }
}

/// Types that are serialized too (the kiosk sends them): the whole body survives a round trip.
fn parse_round_trip<T: DeserializeOwned + Serialize + Valid>(data: &[u8]) {
    match parse_json::<T>(data) {
        Ok(v) => {
            v.check();
            let json = serde_json::to_vec(&v).expect("serializes");
            let again: T = parse_json(&json).expect("a serialized request parses again");
            assert_eq!(
                serde_json::to_value(&again).ok(),
                serde_json::to_value(&v).ok(),
                "the round trip changed the request"
            );
        }
        Err(e) => check_refusal(data, &e),
    }
}

fuzz_target!(|data: &[u8]| {
    parse::<CreateTenant>(data);
    parse::<CreateUser>(data);
    parse::<UpdateUser>(data);
    parse::<Login>(data);
    parse::<CreateSite>(data);
    parse::<UpdateSite>(data);
    parse::<CreateHost>(data);
    parse::<UpdateHost>(data);
    parse::<CreateKiosk>(data);
    parse::<UpdateKiosk>(data);
    parse::<Enroll>(data);
    parse::<OverrideLogin>(data);
    parse::<PutSmtp>(data);
    parse::<UpdateSettings>(data);
    parse_round_trip::<CheckIn>(data);
    parse_round_trip::<CheckOut>(data);
    parse_round_trip::<CorrectVisit>(data);
    parse_round_trip::<RedeemInvite>(data);
    parse_round_trip::<InviteLookup>(data);
    parse_round_trip::<RedeemPass>(data);
    parse_round_trip::<PassLookup>(data);
    parse_round_trip::<RevokePass>(data);
    parse::<VisitorTypeInput>(data);
    parse::<AgreementInput>(data);
    parse::<DecideApproval>(data);
    parse::<ApprovalLookup>(data);
    parse::<Subject>(data);
    parse::<WatchInput>(data);
    parse::<WatchPatch>(data);
});
