//! SAML 2.0 single sign-on, the service-provider side: a tenant's identity-provider settings, the
//! SP's URLs, the AuthnRequest of an SP-initiated login, and the verification of a response.
//!
//! Signatures are verified by samael's xmlsec provider (libxmlsec1). This module names
//! `samael::crypto::XmlSec` itself, so the build fails, rather than quietly accepting unsigned
//! responses, if samael is ever built without its `xmlsec` feature. A response is accepted only
//! if: it has the allowed [`shape`]; every signature in it verifies against one of the tenant's
//! IdP certificates with an algorithm of [`STRONG_ALGORITHMS`]; and the assertion, read from the
//! XML reduced to what was signed, passes issuer, audience, destination, recipient,
//! InResponseTo and time checks. Callers add the one-time use of the assertion ID.

mod idp;
mod shape;

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Duration, Utc};
use samael::{
    crypto::{AllowedSignatureAlgorithm as Alg, XmlSec},
    key_info::{KeyInfo, X509Data},
    metadata::{EntityDescriptor, IdpSsoDescriptor, KeyDescriptor},
    schema::Assertion,
    service_provider::{Error as SpError, ServiceProvider},
};
use serde::{Deserialize, Serialize};
use vestibule_shared::dto::accounts::Role;

pub use idp::{
    IdpParts, authn_request_url, certificates_from_pem, certificates_to_pem, idp_from_metadata,
    sp_metadata_xml,
};
pub use shape::Shape;

use crate::error::Error;

/// The only signature algorithms accepted (their digests with them): SHA-256 or stronger, RSA or
/// ECDSA. SHA-1 signatures and digests are refused.
pub const STRONG_ALGORITHMS: &[Alg] = &[
    Alg::RsaSha256,
    Alg::RsaSha384,
    Alg::RsaSha512,
    Alg::EcdsaSha256,
    Alg::EcdsaSha384,
    Alg::EcdsaSha512,
];

// The provider that verifies signatures. Naming it here makes the xmlsec feature mandatory: without
// it this does not compile.
const _: () = assert!(std::mem::size_of::<XmlSec>() == 0);

/// How far the IdP's clock may be from ours.
pub const CLOCK_SKEW: Duration = Duration::seconds(60);
/// How long after its IssueInstant a response is still accepted.
pub const MAX_ISSUE_DELAY: Duration = Duration::seconds(180);
/// How long an SP-initiated login may take at the IdP.
pub const REQUEST_TTL: Duration = Duration::minutes(10);
/// The largest decoded response accepted.
const MAX_RESPONSE_BYTES: usize = 192 * 1024;

/// A tenant's SAML settings as stored (no secret, no personal data).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SamlSettings {
    pub idp_entity_id: String,
    pub sso_url: String,
    /// DER certificates, base64.
    pub certificates: Vec<String>,
    pub sp_base_url: String,
    pub jit_role: Option<Role>,
    pub allow_idp_initiated: bool,
    pub email_attribute: Option<String>,
    pub group_attribute: Option<String>,
    pub group_roles: BTreeMap<String, Role>,
    /// SCIM `userType` values whose users get a `host` account (lowercase).
    #[serde(default)]
    pub scim_user_types: Vec<String>,
}

/// The SP's URLs for one tenant.
#[derive(Debug, Clone)]
pub struct SpUrls {
    /// The SP entity ID, which is also its metadata URL.
    pub entity_id: String,
    pub acs_url: String,
    pub login_url: String,
}

impl SpUrls {
    pub fn new(base: &str, slug: &str) -> Self {
        let base = base.trim_end_matches('/');
        let at = |end: &str| format!("{base}/api/v1/saml/{slug}/{end}");
        Self {
            entity_id: at("metadata"),
            acs_url: at("acs"),
            login_url: at("login"),
        }
    }
}

/// What a verified assertion says about who signed in.
#[derive(Debug, Clone)]
pub struct Asserted {
    pub assertion_id: String,
    pub name_id: Option<String>,
    /// The first value of the tenant's email attribute, if it has one.
    pub email_attribute: Option<String>,
    pub groups: Vec<String>,
    /// Until when the assertion ID must be remembered (after that it is refused as too old anyway).
    pub keep_until: DateTime<Utc>,
}

fn rejected(why: &'static str) -> Error {
    Error::SamlRejected(why)
}

fn service_provider(
    settings: &SamlSettings,
    sp: &SpUrls,
    idp_initiated: bool,
) -> Result<ServiceProvider, Error> {
    // Without certificates samael would not verify anything: refuse before asking it.
    if settings.certificates.is_empty() {
        return Err(rejected("this tenant has no IdP signing certificate"));
    }
    let key_descriptors = settings
        .certificates
        .iter()
        .map(|c| KeyDescriptor {
            key_use: Some("signing".into()),
            key_info: KeyInfo {
                id: None,
                x509_data: Some(X509Data {
                    certificates: vec![c.clone()],
                }),
            },
            encryption_methods: None,
        })
        .collect();
    let idp = IdpSsoDescriptor {
        id: None,
        valid_until: None,
        cache_duration: None,
        protocol_support_enumeration: Some("urn:oasis:names:tc:SAML:2.0:protocol".into()),
        error_url: None,
        signature: None,
        key_descriptors,
        organization: None,
        contact_people: Vec::new(),
        artifact_resolution_service: Vec::new(),
        single_logout_services: Vec::new(),
        manage_name_id_services: Vec::new(),
        name_id_formats: Vec::new(),
        want_authn_requests_signed: None,
        single_sign_on_services: Vec::new(),
        name_id_mapping_services: Vec::new(),
        assertion_id_request_services: Vec::new(),
        attribute_profiles: Vec::new(),
        attributes: Vec::new(),
    };
    Ok(ServiceProvider {
        entity_id: Some(sp.entity_id.clone()),
        acs_url: Some(sp.acs_url.clone()),
        metadata_url: Some(sp.entity_id.clone()),
        idp_metadata: EntityDescriptor {
            entity_id: Some(settings.idp_entity_id.clone()),
            idp_sso_descriptors: Some(vec![idp]),
            ..EntityDescriptor::default()
        },
        allow_idp_initiated: idp_initiated,
        max_issue_delay: MAX_ISSUE_DELAY,
        max_clock_skew: CLOCK_SKEW,
        allowed_signature_algorithms: Some(STRONG_ALGORITHMS.to_vec()),
        ..ServiceProvider::default()
    })
}

/// Decodes the `SAMLResponse` form field and reads the lookup hints of its raw document
/// (nothing in them is trusted).
pub fn decode(saml_response: &str) -> Result<(String, Shape), Error> {
    let compact: String = saml_response
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if compact.len() > MAX_RESPONSE_BYTES * 4 / 3 + 4 {
        return Err(rejected("the response is too large"));
    }
    let bytes = STANDARD
        .decode(compact)
        .map_err(|_| rejected("SAMLResponse is not base64"))?;
    let xml = String::from_utf8(bytes).map_err(|_| rejected("the response is not UTF-8 XML"))?;
    let shape = shape::check(&xml).map_err(|r| {
        rejected(match r {
            shape::Refusal::Malformed => "the response is not a well-formed SAML Response",
            shape::Refusal::Structure => {
                "the response has a forbidden structure (a wrapped or extra element, a comment, a DTD or a misplaced signature)"
            }
            shape::Refusal::WeakAlgorithm => "the signature uses an algorithm weaker than SHA-256 (SHA-1 is refused)",
            shape::Refusal::Encrypted => "encrypted assertions are not supported",
        })
    })?;
    Ok((xml, shape))
}

/// Verifies a decoded response for the tenant whose settings and URLs are given. `request_id` is
/// the AuthnRequest it must answer (SP-initiated), or `None` for an IdP-initiated response, which
/// is refused unless the tenant allows it.
pub fn verify(
    settings: &SamlSettings,
    sp: &SpUrls,
    xml: &str,
    shape: &Shape,
    request_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Asserted, Error> {
    if shape
        .destination
        .as_deref()
        .is_some_and(|d| d != sp.acs_url)
    {
        return Err(rejected("the Destination is not this tenant's ACS URL"));
    }
    if request_id.is_none() && !settings.allow_idp_initiated {
        return Err(rejected(
            "InResponseTo does not name a pending login request of this tenant (and IdP-initiated login is off)",
        ));
    }
    let provider = service_provider(settings, sp, request_id.is_none())?;
    let ids = request_id.map(|id| [id]);
    let assertion = provider
        .parse_xml_response(xml, ids.as_ref().map(|i| &i[..]))
        .map_err(refusal)?;
    check_assertion(&assertion, settings, sp, shape, request_id, now)
}

/// Checks samael leaves to the caller, on the verified assertion.
fn check_assertion(
    a: &Assertion,
    settings: &SamlSettings,
    sp: &SpUrls,
    shape: &Shape,
    request_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Asserted, Error> {
    if a.id != shape.assertion_id {
        return Err(rejected(
            "the signed assertion is not the response's assertion",
        ));
    }
    let audience_ok = a
        .conditions
        .as_ref()
        .and_then(|c| c.audience_restrictions.as_ref())
        .is_some_and(|rs| !rs.is_empty() && rs.iter().all(|r| r.audience.contains(&sp.entity_id)));
    if !audience_ok {
        return Err(rejected(
            "the assertion is not restricted to this tenant's SP entity ID (audience)",
        ));
    }
    if a.issue_instant > now + CLOCK_SKEW {
        return Err(rejected("the assertion is not valid yet"));
    }
    let confirmations: Vec<_> = a
        .subject
        .iter()
        .flat_map(|s| s.subject_confirmations.iter().flatten())
        .filter_map(|c| c.subject_confirmation_data.as_ref())
        .collect();
    if request_id.is_none() && confirmations.iter().any(|d| d.in_response_to.is_some()) {
        return Err(rejected(
            "InResponseTo does not match a login request of this tenant",
        ));
    }
    let name_id = a
        .subject
        .as_ref()
        .and_then(|s| s.name_id.as_ref())
        .map(|n| n.value.trim().to_owned());
    let values = |name: &str| -> Vec<String> {
        a.attribute_statements
            .iter()
            .flatten()
            .flat_map(|s| s.attributes.iter())
            .filter(|at| {
                at.name.as_deref() == Some(name) || at.friendly_name.as_deref() == Some(name)
            })
            .flat_map(|at| {
                at.values
                    .iter()
                    .filter_map(|v| v.value.as_ref().map(|s| s.trim().to_owned()))
            })
            .collect()
    };
    let email_attribute = settings
        .email_attribute
        .as_deref()
        .and_then(|n| values(n).into_iter().next());
    let groups = settings
        .group_attribute
        .as_deref()
        .map(values)
        .unwrap_or_default();
    Ok(Asserted {
        assertion_id: a.id.clone(),
        name_id,
        email_attribute,
        groups,
        keep_until: a.issue_instant.max(now) + MAX_ISSUE_DELAY + CLOCK_SKEW * 2,
    })
}

/// samael's reasons, as fixed messages (its own texts echo values from the document).
fn refusal(e: SpError) -> Error {
    rejected(match e {
        SpError::FailedToValidateSignature
        | SpError::CryptoXmlError(_)
        | SpError::CryptoProviderError(_) => {
            "the signature does not verify against this tenant's IdP certificates"
        }
        SpError::DestinationValidationError { .. } => {
            "the Destination is not this tenant's ACS URL"
        }
        SpError::AssertionExpired { .. } | SpError::ResponseExpired { .. } => {
            "the response was issued too long ago"
        }
        SpError::AssertionConditionExpired { .. }
        | SpError::AssertionSubjectConfirmationExpired { .. } => "the assertion has expired",
        SpError::AssertionConditionExpiredBefore { .. }
        | SpError::AssertionSubjectConfirmationExpiredBefore { .. } => {
            "the assertion is not valid yet"
        }
        SpError::AssertionIssuerMismatch { .. } | SpError::ResponseIssuerMismatch { .. } => {
            "the issuer is not this tenant's identity provider"
        }
        SpError::AssertionConditionAudienceRestrictionFailed { .. } => {
            "the assertion is not restricted to this tenant's SP entity ID (audience)"
        }
        SpError::AssertionRecipientMismatch { .. } => "the Recipient is not this tenant's ACS URL",
        SpError::AssertionInResponseToInvalid { .. }
        | SpError::ResponseInResponseToInvalid { .. } => {
            "InResponseTo does not match a login request of this tenant"
        }
        SpError::ResponseBadStatusCode { .. } => {
            "the identity provider reports that the sign-in failed"
        }
        SpError::AssertionBearerSubjectConfirmationMissing
        | SpError::AssertionSubjectConfirmationMissing => {
            "the assertion has no usable bearer subject confirmation"
        }
        _ => "the response could not be read",
    })
}
