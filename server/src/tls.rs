//! TLS for the API: rustls with the ring provider, TLS 1.3 and 1.2 only, ECDHE key exchange and
//! AEAD suites only, in the server's order of preference (not the client's). With no certificate
//! given, a self-signed one for localhost and 127.0.0.1 is made in the data dir on first run (not
//! a CA: a kiosk trusts exactly it and pins its key). It is valid [`LIFETIME_DAYS`] and re-issued
//! from the same key (so the pin, and a kiosk that trusts the old certificate, keep working) when
//! fewer than [`RENEW_WITHIN_DAYS`] are left, about yearly: at start, and while serving
//! ([`keep_renewed`]). The server's own outbound TLS (implicit-TLS SMTP, webhooks) is
//! [`client_config`].

use std::{
    fs,
    io::Write,
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rustls::{
    ClientConfig, RootCertStore, ServerConfig,
    pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
};
use sha2::{Digest, Sha256};

use crate::clock::Clock;

/// How long a self-signed certificate is valid: under the 398 days a public CA may issue for, so
/// that a scanner's lifetime check holds too.
pub const LIFETIME_DAYS: u64 = 397;
/// A self-signed certificate with fewer days left than this is re-issued: 336 days after it was
/// issued, so about yearly, and before the 60 days from its end at which scanners start warning.
pub const RENEW_WITHIN_DAYS: i64 = 62;
/// The subject of the self-signed certificate; a certificate in its place under another subject is
/// not this server's, and is never re-issued.
const COMMON_NAME: &str = "Vestibule server (self-signed)";

/// Where a certificate and its key live.
#[derive(Debug, Clone)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The self-signed certificate's files in `data_dir`: made on first use, valid from `today`, and
/// re-issued from the same key when due (see [`renew_if_due`]).
pub fn self_signed(data_dir: &Path, today: NaiveDate) -> anyhow::Result<CertFiles> {
    let dir = data_dir.join("tls");
    let files = CertFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    if files.cert.exists() && files.key.exists() {
        if renew_if_due(&files, today)? {
            tracing::info!(cert = %files.cert.display(), "self-signed certificate re-issued with the same key");
        }
        return Ok(files);
    }
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let cert = issue(&key, today)?;
    write_private(&files.key, key.serialize_pem().as_bytes())?;
    fs::write(&files.cert, cert.pem())
        .with_context(|| format!("writing {}", files.cert.display()))?;
    Ok(files)
}

/// The self-signed certificate of `key`, valid from `today` for [`LIFETIME_DAYS`], with a random
/// serial number (two issues of the same key must not share one).
fn issue(key: &rcgen::KeyPair, today: NaiveDate) -> anyhow::Result<rcgen::Certificate> {
    let mut params = rcgen::CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ])?;
    let ymd = |d: NaiveDate| rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8);
    let end = today
        .checked_add_days(chrono::Days::new(LIFETIME_DAYS))
        .context("the certificate's end date")?;
    params.not_before = ymd(today);
    params.not_after = ymd(end);
    let mut serial = [0u8; 16];
    rand::rng().fill_bytes(&mut serial);
    serial[0] = (serial[0] & 0x7f) | 0x40;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, COMMON_NAME);
    Ok(params.self_signed(key)?)
}

/// Re-issues the self-signed certificate in `files` from its own key when it is due: fewer than
/// [`RENEW_WITHIN_DAYS`] left on `today`, or valid longer than [`LIFETIME_DAYS`] (as the five-year
/// certificates of earlier versions were). The key, and so the pin, stay. A certificate this server
/// did not make is left alone. Returns whether it re-issued.
pub fn renew_if_due(files: &CertFiles, today: NaiveDate) -> anyhow::Result<bool> {
    let certs = read_certs(&files.cert)?;
    let (_, cert) =
        x509_parser::parse_x509_certificate(&certs[0]).context("parsing the certificate")?;
    let ours = cert.subject().as_raw() == cert.issuer().as_raw()
        && cert
            .subject()
            .iter_common_name()
            .any(|cn| cn.as_str().is_ok_and(|cn| cn == COMMON_NAME));
    if !ours {
        return Ok(false);
    }
    let validity = cert.validity();
    let (from, until) = (
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
    );
    let now = today.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
    let days = |secs: i64| secs.div_euclid(86_400);
    let lifetime = u64::try_from(days(until - from)).unwrap_or(0);
    if days(until - now) >= RENEW_WITHIN_DAYS && lifetime <= LIFETIME_DAYS {
        return Ok(false);
    }
    let pem = fs::read_to_string(&files.key)
        .with_context(|| format!("reading {}", files.key.display()))?;
    let key = rcgen::KeyPair::from_pem(&pem).context("the certificate's key")?;
    let renewed = issue(&key, today)?;
    let tmp = files.cert.with_extension("pem.new");
    fs::write(&tmp, renewed.pem()).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, &files.cert).with_context(|| format!("replacing {}", files.cert.display()))?;
    Ok(true)
}

/// While the server runs, checks the self-signed certificate every few hours on `clock`'s date and,
/// once re-issued, serves the new one on new connections.
pub async fn keep_renewed(
    files: CertFiles,
    clock: Clock,
    config: axum_server::tls_rustls::RustlsConfig,
) {
    const EVERY: Duration = Duration::from_secs(6 * 3600);
    loop {
        tokio::time::sleep(EVERY).await;
        let renewed = match renew_if_due(&files, clock.now().date_naive()) {
            Ok(true) => server_config(&files).map(Some),
            Ok(false) => Ok(None),
            Err(e) => Err(e),
        };
        match renewed {
            Ok(Some(new)) => {
                config.reload_from_config(new);
                tracing::info!("self-signed certificate re-issued with the same key, now served");
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "re-issuing the self-signed certificate failed"),
        }
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

fn read_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("reading {}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing {}", path.display()))?;
    if certs.is_empty() {
        bail!("{} holds no certificate", path.display());
    }
    Ok(certs)
}

/// The SPKI pin of the first certificate in a PEM file: `sha256/<base64 of SHA-256(SPKI)>`.
pub fn pin_of_file(cert: &Path) -> anyhow::Result<String> {
    let certs = read_certs(cert)?;
    spki_pin(&certs[0])
}

/// The SPKI pin of a DER certificate.
pub fn spki_pin(der: &[u8]) -> anyhow::Result<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).context("parsing the certificate")?;
    let digest = Sha256::digest(cert.tbs_certificate.subject_pki.raw);
    Ok(format!("sha256/{}", STANDARD.encode(digest)))
}

/// The rustls server configuration for these files.
pub fn server_config(files: &CertFiles) -> anyhow::Result<Arc<ServerConfig>> {
    let certs = read_certs(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("reading {}", files.key.display()))?;
    let mut provider = rustls::crypto::ring::default_provider();
    // ECDHE + AEAD only (ring's TLS 1.2 suites already are; this keeps it true if that changes).
    provider.cipher_suites.retain(|s| match s {
        rustls::SupportedCipherSuite::Tls13(_) => true,
        rustls::SupportedCipherSuite::Tls12(s) => {
            let name = format!("{:?}", s.common.suite);
            name.contains("ECDHE") && (name.contains("GCM") || name.contains("CHACHA20_POLY1305"))
        }
    });
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and key do not match")?;
    // The server picks the suite by its own order (TLS 1.3's and the strongest AEAD first), not
    // the client's.
    config.ignore_client_order = true;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A client configuration for the server's outbound connections: TLS 1.3 or 1.2 with ring,
/// trusting the public roots (`webpki-roots`) and `extra` (a tenant's or a webhook's private CA).
pub fn client_config(extra: Vec<CertificateDer<'static>>) -> Result<ClientConfig, rustls::Error> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    with_roots(roots, extra)
}

/// A client configuration like [`client_config`]'s that trusts `only` these certificates.
pub fn client_config_trusting(
    only: Vec<CertificateDer<'static>>,
) -> Result<ClientConfig, rustls::Error> {
    with_roots(RootCertStore::empty(), only)
}

fn with_roots(
    mut roots: RootCertStore,
    extra: Vec<CertificateDer<'static>>,
) -> Result<ClientConfig, rustls::Error> {
    for der in extra {
        roots.add(der)?;
    }
    Ok(
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        std::env::temp_dir().join(format!("vestibule-tls-{}", uuid::Uuid::now_v7()))
    }

    fn validity_days(cert: &Path) -> (i64, i64) {
        let certs = read_certs(cert).expect("the certificate");
        let (_, c) = x509_parser::parse_x509_certificate(&certs[0]).expect("it parses");
        let v = c.validity();
        (
            v.not_before.timestamp() / 86_400,
            v.not_after.timestamp() / 86_400,
        )
    }

    #[test]
    fn the_self_signed_certificate_is_re_issued_yearly_with_the_same_key() {
        let data = scratch();
        let day0 = NaiveDate::from_ymd_opt(2026, 3, 1).expect("test setup");
        let files = self_signed(&data, day0).expect("test setup");
        let pin = pin_of_file(&files.cert).expect("test setup");
        let (from, until) = validity_days(&files.cert);
        assert_eq!(until - from, LIFETIME_DAYS as i64);
        let first = fs::read(&files.cert).expect("test setup");

        assert!(!renew_if_due(&files, day0 + chrono::Days::new(335)).expect("test setup"));
        assert_eq!(
            fs::read(&files.cert).expect("test setup"),
            first,
            "335 days on, not yet"
        );
        let later = day0 + chrono::Days::new(336);
        let files = self_signed(&data, later).expect("test setup");
        assert_ne!(
            fs::read(&files.cert).expect("test setup"),
            first,
            "re-issued"
        );
        assert_eq!(
            pin_of_file(&files.cert).expect("test setup"),
            pin,
            "the same key"
        );
        let (from, until) = validity_days(&files.cert);
        assert_eq!(
            from,
            later.and_time(chrono::NaiveTime::MIN).and_utc().timestamp() / 86_400
        );
        assert_eq!(until - from, LIFETIME_DAYS as i64);
        assert!(!renew_if_due(&files, later).expect("test setup"), "once");
        fs::remove_dir_all(&data).ok();
    }

    #[test]
    fn a_certificate_the_server_did_not_make_is_left_alone() {
        let data = scratch();
        let day0 = NaiveDate::from_ymd_opt(2026, 3, 1).expect("test setup");
        let files = self_signed(&data, day0).expect("test setup");
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("test setup");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("test setup");
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2030, 1, 1);
        let theirs = params.self_signed(&key).expect("test setup").pem();
        fs::write(&files.cert, &theirs).expect("test setup");
        assert!(!renew_if_due(&files, day0).expect("test setup"));
        assert_eq!(fs::read_to_string(&files.cert).expect("test setup"), theirs);
        fs::remove_dir_all(&data).ok();
    }
}
