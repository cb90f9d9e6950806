//! The verifier refuses every certificate that fails WebPKI, pinned or not, and every valid one
//! that is not pinned; it accepts the backup pin.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::{
    client::danger::ServerCertVerifier,
    pki_types::{CertificateDer, ServerName, UnixTime},
};

use super::*;

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
}

fn authority(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("CA");
    Ca {
        der: cert.der().clone(),
        issuer: Issuer::new(params, key),
    }
}

fn leaf(ca: &Ca, host: &str, expired: bool) -> CertificateDer<'static> {
    let mut params = CertificateParams::new(vec![host.to_owned()]).expect("params");
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let key = KeyPair::generate().expect("key");
    params
        .signed_by(&key, &ca.issuer)
        .expect("leaf")
        .der()
        .clone()
}

fn check(
    roots_of: &Ca,
    pins: Vec<Pin>,
    cert: &CertificateDer<'_>,
    host: &str,
) -> Result<(), rustls::Error> {
    let mut roots = RootCertStore::empty();
    roots.add(roots_of.der.clone()).expect("root");
    let v = verifier(
        pins,
        roots,
        Arc::new(rustls::crypto::ring::default_provider()),
    )
    .expect("verifier");
    let name = ServerName::try_from(host.to_owned()).expect("name");
    v.verify_server_cert(cert, &[], &name, &[], UnixTime::now())
        .map(|_| ())
}

#[test]
fn a_valid_pinned_certificate_passes_and_the_backup_pin_too() {
    let ca = authority("Test CA");
    let cert = leaf(&ca, "kiosk.test", false);
    let pin = Pin::of(&cert).expect("pin");
    let other = Pin::of(&leaf(&ca, "kiosk.test", false)).expect("pin");
    assert!(check(&ca, vec![pin], &cert, "kiosk.test").is_ok());
    assert!(
        check(&ca, vec![other, pin], &cert, "kiosk.test").is_ok(),
        "the backup pin"
    );
}

#[test]
fn a_valid_certificate_that_is_not_pinned_is_refused() {
    let ca = authority("Test CA");
    let cert = leaf(&ca, "kiosk.test", false);
    let other = Pin::of(&leaf(&ca, "kiosk.test", false)).expect("pin");
    let err = check(&ca, vec![other], &cert, "kiosk.test").expect_err("refused");
    assert_eq!(
        err,
        rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)
    );
}

#[test]
fn a_pinned_certificate_that_fails_webpki_is_refused() {
    let ca = authority("Test CA");
    let cert = leaf(&ca, "kiosk.test", false);
    let pin = Pin::of(&cert).expect("pin");
    assert!(
        check(&ca, vec![pin], &cert, "other.test").is_err(),
        "wrong host"
    );
    let expired = leaf(&ca, "kiosk.test", true);
    assert!(
        check(
            &ca,
            vec![Pin::of(&expired).expect("pin")],
            &expired,
            "kiosk.test"
        )
        .is_err(),
        "expired"
    );
    let stranger = authority("Another CA");
    assert!(
        check(&stranger, vec![pin], &cert, "kiosk.test").is_err(),
        "untrusted issuer"
    );
}

#[test]
fn no_pins_no_connection() {
    let ca = authority("Test CA");
    let mut roots = RootCertStore::empty();
    roots.add(ca.der).expect("root");
    assert!(
        verifier(
            Vec::new(),
            roots,
            Arc::new(rustls::crypto::ring::default_provider())
        )
        .is_err()
    );
}

#[test]
fn pins_parse_and_print_alike() {
    let ca = authority("Test CA");
    let pin = Pin::of(&leaf(&ca, "kiosk.test", false)).expect("pin");
    assert_eq!(Pin::parse(&pin.to_string()).expect("parses"), pin);
    assert!(Pin::parse("sha1/abc").is_err());
    assert!(Pin::parse("sha256/AAAA").is_err(), "not 32 bytes");
}
