//! Single sign-on with SAML 2.0 (enterprise plan): a tenant's identity-provider configuration and
//! the ACS form. The SAML-specific bounded strings live here too, next to their only use (made by
//! the one bounded-text macro of [`crate::types`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::accounts::Role;
use crate::types::{CertificatesPem, text_type};

text_type!(/// A SAML entity ID (a URI): 1 to 1024 bytes without spaces.
    EntityId, 1, 1024, "must be a URI of 1 to 1024 characters without spaces",
    check = |s| s.len() <= 1024 && !s.contains(char::is_whitespace));
text_type!(/// An `https://` URL of at most 1024 bytes, without spaces or fragment.
    HttpsUrl, 1, 1024, "must be an https:// URL of at most 1024 characters without spaces or fragment",
    check = |s| s.len() <= 1024 && s.starts_with("https://") && s.len() > 8 && !s.contains(char::is_whitespace) && !s.contains('#'));
text_type!(/// The name of a SAML attribute (its `Name` or `FriendlyName`): 1 to 256 bytes.
    AttributeName, 1, 256, "must be 1 to 256 characters without control characters", check = |s| s.len() <= 256);
text_type!(/// A SCIM `userType` value (`Employee`, say): 1 to 64 characters.
    UserType, 1, 64, "must be 1 to 64 characters without control characters", check = |s| s.chars().count() <= 64);
text_type!(/// An identity provider's SAML metadata document: at most 48 KiB of XML.
    MetadataXml, 1, 48 * 1024, "must be an XML document of at most 48 KiB", check = |s| s.len() <= 48 * 1024 && s.starts_with('<'));

/// A tenant's identity provider: either `idp_metadata_xml`, or `entity_id` + `sso_url` +
/// `certificates` (one or more PEM signing certificates; several for a rollover).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSaml {
    /// The IdP's metadata (an `EntityDescriptor` with an `IDPSSODescriptor`); its entity ID,
    /// HTTP-Redirect SSO URL and signing certificates are taken from it.
    pub idp_metadata_xml: Option<MetadataXml>,
    pub entity_id: Option<EntityId>,
    /// The IdP's SSO endpoint for the HTTP-Redirect binding.
    pub sso_url: Option<HttpsUrl>,
    /// The IdP's signing certificates (PEM). A response signed by any of them is accepted.
    pub certificates: Option<Vec<CertificatesPem>>,
    /// This server's public base URL as browsers and the IdP reach it (`https://visit.example.com`);
    /// the SP entity ID and ACS URL are made from it.
    pub sp_base_url: HttpsUrl,
    /// Refuse password login for this tenant (the kiosk override PIN still works and is still needed).
    #[serde(default)]
    pub enforce: bool,
    /// Just-in-time provisioning: the role given to someone who signs in for the first time.
    /// Absent: only existing users can sign in.
    pub jit_role: Option<Role>,
    /// Accept unsolicited (IdP-initiated) responses. Off by default.
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// The attribute that carries the user's email; absent: the NameID is the email.
    pub email_attribute: Option<AttributeName>,
    /// The attribute that carries the user's groups, mapped to a role by `group_roles`.
    pub group_attribute: Option<AttributeName>,
    /// Group value → role, applied at every sign-in (the first match in the order admin,
    /// receptionist wins). Needs `group_attribute`.
    #[serde(default)]
    pub group_roles: BTreeMap<AttributeName, Role>,
    /// SCIM `userType` values (compared without regard to case) whose provisioned users get a
    /// `host` account that signs in by SSO; disabled when the identity provider deactivates the
    /// user or the value stops matching. Empty: SCIM users are kiosk directory hosts only.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub scim_user_types: Vec<UserType>,
}

/// A tenant's SAML configuration, and the SP values to give the IdP.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SamlConfig {
    pub entity_id: String,
    pub sso_url: String,
    /// The IdP's signing certificates, PEM.
    pub certificates: Vec<String>,
    pub sp_base_url: String,
    /// The SP entity ID (also the SP metadata URL).
    pub sp_entity_id: String,
    /// The assertion consumer service URL (HTTP-POST binding).
    pub acs_url: String,
    /// Where SP-initiated login starts.
    pub login_url: String,
    pub enforce: bool,
    pub jit_role: Option<Role>,
    pub allow_idp_initiated: bool,
    pub email_attribute: Option<String>,
    pub group_attribute: Option<String>,
    pub group_roles: BTreeMap<String, Role>,
    pub scim_user_types: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

/// What the IdP posts to the ACS (`application/x-www-form-urlencoded`, HTTP-POST binding).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AcsForm {
    /// The base64 `samlp:Response` (at most 192 KiB of XML).
    #[serde(rename = "SAMLResponse")]
    #[schema(max_length = 262144, pattern = "^[A-Za-z0-9+/=\\s]*$")]
    pub saml_response: String,
    /// Echoed from the AuthnRequest.
    #[serde(rename = "RelayState")]
    #[schema(max_length = 80, pattern = "^[A-Za-z0-9_-]*$")]
    pub relay_state: Option<String>,
}
