//! The IdP side of a tenant's configuration: its metadata document or certificates as an admin
//! gives them, the SP metadata to give the IdP back, and the HTTP-Redirect AuthnRequest.

use base64::{Engine, engine::general_purpose::STANDARD};
use rustls::pki_types::{CertificateDer, pem::PemObject};
use samael::{
    metadata::{EntityDescriptor, HTTP_REDIRECT_BINDING},
    schema::AuthnRequest,
    service_provider::ServiceProvider,
};
use x509_parser::public_key::PublicKey;

use super::SpUrls;
use crate::error::Error;

/// The most signing certificates a tenant may list.
const MAX_CERTIFICATES: usize = 8;

/// What a tenant's IdP is: entity ID, SSO URL (HTTP-Redirect), signing certificates (DER, base64).
#[derive(Debug, Clone)]
pub struct IdpParts {
    pub entity_id: String,
    pub sso_url: String,
    pub certificates: Vec<String>,
}

fn invalid(why: &str) -> Error {
    Error::InvalidInput(why.to_owned())
}

/// Checks one DER certificate: X.509, with an RSA key of at least 2048 bits or an EC key.
fn check_certificate(der: &[u8]) -> Result<(), Error> {
    let (rest, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|_| invalid("certificates: not an X.509 certificate"))?;
    if !rest.is_empty() {
        return Err(invalid("certificates: not an X.509 certificate"));
    }
    match cert.public_key().parsed() {
        Ok(PublicKey::RSA(k)) if k.key_size() >= 2048 => Ok(()),
        Ok(PublicKey::EC(_)) => Ok(()),
        _ => Err(invalid(
            "certificates: the key must be RSA of at least 2048 bits, or ECDSA",
        )),
    }
}

fn checked(certs: Vec<Vec<u8>>) -> Result<Vec<String>, Error> {
    if certs.is_empty() || certs.len() > MAX_CERTIFICATES {
        return Err(invalid("certificates: give 1 to 8 signing certificates"));
    }
    certs.iter().try_for_each(|c| check_certificate(c))?;
    Ok(certs.iter().map(|c| STANDARD.encode(c)).collect())
}

/// Reads PEM certificates (each entry may hold several) into checked base64 DER.
pub fn certificates_from_pem<'a>(
    pems: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, Error> {
    let mut ders = Vec::new();
    for pem in pems {
        for c in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            ders.push(
                c.map_err(|_| invalid("certificates: not a PEM certificate"))?
                    .to_vec(),
            );
        }
    }
    checked(ders)
}

/// The stored certificates as PEM, for the admin's view.
pub fn certificates_to_pem(certs: &[String]) -> Vec<String> {
    certs
        .iter()
        .map(|b64| {
            let lines: Vec<&str> = b64
                .as_bytes()
                .chunks(64)
                .filter_map(|l| std::str::from_utf8(l).ok())
                .collect();
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                lines.join("\n")
            )
        })
        .collect()
}

/// Reads an IdP's metadata document: its entity ID, HTTP-Redirect SSO URL and signing certificates.
pub fn idp_from_metadata(xml: &str) -> Result<IdpParts, Error> {
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(invalid("idp_metadata_xml: a DTD is not allowed"));
    }
    let md: EntityDescriptor = xml
        .parse()
        .map_err(|_| invalid("idp_metadata_xml: not a SAML EntityDescriptor"))?;
    let entity_id = md
        .entity_id
        .clone()
        .filter(|e| !e.is_empty() && e.len() <= 1024)
        .ok_or_else(|| invalid("idp_metadata_xml: no entityID"))?;
    let idps = md.idp_sso_descriptors.as_deref().unwrap_or_default();
    let sso_url = idps
        .iter()
        .flat_map(|d| d.single_sign_on_services.iter())
        .find(|s| s.binding == HTTP_REDIRECT_BINDING)
        .map(|s| s.location.trim().to_owned())
        .filter(|l| l.starts_with("https://") && l.len() <= 1024)
        .ok_or_else(|| {
            invalid("idp_metadata_xml: no https SingleSignOnService with the HTTP-Redirect binding")
        })?;
    let descriptors: Vec<_> = idps.iter().flat_map(|d| d.key_descriptors.iter()).collect();
    let signing: Vec<_> = descriptors
        .iter()
        .filter(|k| k.key_use.as_deref() == Some("signing"))
        .collect();
    let keys = if signing.is_empty() {
        descriptors
            .iter()
            .filter(|k| k.key_use.as_deref().is_none_or(str::is_empty))
            .collect()
    } else {
        signing
    };
    let mut ders = Vec::new();
    for k in keys {
        for c in k
            .key_info
            .x509_data
            .iter()
            .flat_map(|x| x.certificates.iter())
        {
            let compact: String = c.chars().filter(|ch| !ch.is_ascii_whitespace()).collect();
            ders.push(
                STANDARD
                    .decode(compact)
                    .map_err(|_| invalid("idp_metadata_xml: a certificate is not base64"))?,
            );
        }
    }
    Ok(IdpParts {
        entity_id,
        sso_url,
        certificates: checked(ders)?,
    })
}

fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// The SP metadata of a tenant: entity ID and ACS (HTTP-POST); AuthnRequests are not signed,
/// assertions must be.
pub fn sp_metadata_xml(sp: &SpUrls) -> String {
    format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"{}\">\n",
            "  <md:SPSSODescriptor AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"true\" ",
            "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n",
            "    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\n",
            "    <md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{}\" index=\"0\" isDefault=\"true\"/>\n",
            "  </md:SPSSODescriptor>\n",
            "</md:EntityDescriptor>\n"
        ),
        escape(&sp.entity_id),
        escape(&sp.acs_url)
    )
}

/// The IdP URL that starts an SP-initiated login (HTTP-Redirect binding, unsigned request),
/// with `request_id` as the AuthnRequest ID and as RelayState.
pub fn authn_request_url(sp: &SpUrls, sso_url: &str, request_id: &str) -> Result<String, Error> {
    let provider = ServiceProvider {
        entity_id: Some(sp.entity_id.clone()),
        acs_url: Some(sp.acs_url.clone()),
        metadata_url: Some(sp.entity_id.clone()),
        ..ServiceProvider::default()
    };
    let internal = || Error::Internal(anyhow::anyhow!("the AuthnRequest could not be made"));
    let request: AuthnRequest = AuthnRequest {
        id: request_id.to_owned(),
        ..provider
            .make_authentication_request(sso_url)
            .map_err(|_| internal())?
    };
    let url = request
        .redirect(request_id)
        .map_err(|_| internal())?
        .ok_or_else(internal)?;
    Ok(url.to_string())
}
