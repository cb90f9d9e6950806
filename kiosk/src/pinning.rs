//! How the kiosk knows it talks to its server: a rustls verifier that runs normal WebPKI
//! verification FIRST (against the system roots, or the configured CA, which for a server's
//! self-signed certificate is that certificate itself), and then requires the leaf's SPKI
//! SHA-256 to be in the pin set (primary and backup). No pins means no connection.

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::STANDARD};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
    client::{
        WebPkiServerVerifier,
        danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    },
    crypto::CryptoProvider,
    pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject},
};
use sha2::{Digest, Sha256};

use crate::error::Error;

/// The SHA-256 of a certificate's SubjectPublicKeyInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin([u8; 32]);

impl Pin {
    /// Parses `sha256/<base64>` (what `vestibule-server tls-pin` prints).
    pub fn parse(text: &str) -> Result<Pin, Error> {
        let bad = || Error::field("pins", "a pin looks like sha256/<base64 of 32 bytes>");
        let b64 = text.trim().strip_prefix("sha256/").ok_or_else(bad)?;
        let bytes = STANDARD.decode(b64).map_err(|_| bad())?;
        Ok(Pin(bytes.try_into().map_err(|_| bad())?))
    }

    /// The pin of a DER certificate.
    pub fn of(cert: &CertificateDer<'_>) -> Result<Pin, Error> {
        let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
            .map_err(|_| Error::Internal("the server's certificate does not parse".into()))?;
        Ok(Pin(
            Sha256::digest(parsed.tbs_certificate.subject_pki.raw).into()
        ))
    }
}

impl std::fmt::Display for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256/{}", STANDARD.encode(self.0))
    }
}

/// WebPKI, then the pin set.
#[derive(Debug)]
pub struct PinnedVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    pins: Vec<Pin>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let pin = Pin::of(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        if self.pins.contains(&pin) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// The roots WebPKI verification trusts: the configured CA (PEM) if any, else the system's.
pub fn roots(ca_pem: Option<&[u8]>) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert =
                    cert.map_err(|_| Error::field("ca", "the CA file is not PEM certificates"))?;
                roots
                    .add(cert)
                    .map_err(|_| Error::field("ca", "the CA file holds an unusable certificate"))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
        }
    }
    if roots.is_empty() {
        return Err(Error::field("ca", "no trusted root certificates"));
    }
    Ok(roots)
}

/// The verifier for `pins` over `roots`; refuses an empty pin set.
pub fn verifier(
    pins: Vec<Pin>,
    roots: RootCertStore,
    provider: Arc<CryptoProvider>,
) -> Result<PinnedVerifier, Error> {
    if pins.is_empty() {
        return Err(Error::field(
            "pins",
            "no pins configured: the kiosk refuses to connect",
        ));
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| Error::Internal(format!("certificate verifier: {e}")))?;
    Ok(PinnedVerifier { webpki, pins })
}

/// A client TLS configuration: TLS 1.3 and 1.2, the ring provider, the pinned verifier.
pub fn client_config(pins: Vec<Pin>, ca_pem: Option<&[u8]>) -> Result<ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = verifier(pins, roots(ca_pem)?, provider.clone())?;
    Ok(ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::Internal(format!("TLS versions: {e}")))?
        // rustls calls every custom verifier "dangerous"; this one adds a check to WebPKI, it skips none.
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

#[cfg(test)]
mod tests;
