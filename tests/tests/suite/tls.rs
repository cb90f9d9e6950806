//! TLS against a real scanner-grade peer (the `openssl` command line): TLS 1.0 and 1.1 are
//! refused, TLS 1.2 and 1.3 work, only ECDHE AEAD suites are offered, and `tls-pin` prints the
//! same pin openssl computes from the certificate the server actually serves. The server, not the
//! client, chooses the suite; and a self-signed certificate of earlier versions (five years) is
//! re-issued for a year from the same key, which a client that trusts the old one still accepts.

use std::{ffi::OsStr, path::Path, process::Command, sync::Arc};

use rustls::pki_types::pem::PemObject;
use vestibule_tests::{Engine, TestServer, server::server_bin};

/// Runs `openssl s_client` against the server with extra arguments; returns (success, output).
fn s_client(port: u16, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            "localhost",
            "-brief",
        ])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl is installed (cargo xtask test checks)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.success() && text.contains("CONNECTION ESTABLISHED"),
        text,
    )
}

#[tokio::test]
async fn old_protocols_are_refused_and_modern_ones_work() {
    let server = TestServer::start(Engine::Sqlite).await;
    // SECLEVEL=0 lets the client offer the old protocols at all: the refusal must come from the server.
    for old in ["-tls1", "-tls1_1"] {
        let (ok, text) = s_client(server.port, &[old, "-cipher", "DEFAULT:@SECLEVEL=0"]);
        assert!(!ok, "{old} was accepted:\n{text}");
        assert!(
            text.contains("alert"),
            "{old}: expected a TLS alert from the server:\n{text}"
        );
    }
    for (flag, name) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
        let (ok, text) = s_client(server.port, &[flag]);
        assert!(ok, "{flag} failed:\n{text}");
        assert!(
            text.contains(&format!("Protocol version: {name}")),
            "{text}"
        );
        assert!(text.contains("ECDHE") || name == "TLSv1.3", "{text}");
    }
    // A TLS 1.2 client with a non-ECDHE or non-AEAD suite gets nothing.
    for suite in ["AES128-SHA256", "ECDHE-RSA-AES128-SHA", "AES256-GCM-SHA384"] {
        let (ok, text) = s_client(server.port, &["-tls1_2", "-cipher", suite]);
        assert!(!ok, "{suite} was accepted:\n{text}");
    }
    // Our own client, limited to one version at a time.
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let api = server.api_with(&[version]).expect("client");
        api.get("/healthz", &vestibule_tests::Auth::None)
            .await
            .expect(200);
    }
}

/// `vestibule-server serve` on a free port with `data` and `flags`; returns it and its port.
async fn serve(data: &Path, flags: &[&OsStr]) -> (tokio::process::Child, u16) {
    let mut child = tokio::process::Command::new(server_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(flags)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let line = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line())
        .await
        .expect("started")
        .expect("read")
        .expect("a line");
    let port: u16 = line
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .expect("a port");
    (child, port)
}

/// The pin of the certificate openssl sees on the wire.
fn pin_on_the_wire(port: u16) -> String {
    let script = format!(
        "openssl s_client -connect 127.0.0.1:{port} -servername localhost </dev/null 2>/dev/null \
         | openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh");
    format!("sha256/{}", String::from_utf8_lossy(&out.stdout).trim())
}

#[tokio::test]
async fn tls_pin_matches_the_served_certificate() {
    let server = TestServer::start(Engine::Sqlite).await;
    let out = Command::new(server_bin())
        .args(["tls-pin", "--data-dir"])
        .arg(server.data_dir.path())
        .output()
        .expect("tls-pin");
    assert!(out.status.success());
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        printed.starts_with("sha256/") && printed.len() == 51,
        "{printed}"
    );
    assert_eq!(printed, pin_on_the_wire(server.port));
    assert!(
        server.log().contains(&printed),
        "the pin is logged at start"
    );
}

#[tokio::test]
async fn a_given_certificate_is_served_and_pinned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl req");
    assert!(status.success());
    let data = tempfile::tempdir().expect("tempdir");
    let (mut child, port) = serve(
        data.path(),
        &[
            "--tls-cert".as_ref(),
            cert.as_ref(),
            "--tls-key".as_ref(),
            key.as_ref(),
        ],
    )
    .await;
    let out = Command::new(server_bin())
        .args(["tls-pin", "--cert"])
        .arg(&cert)
        .output()
        .expect("tls-pin");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        pin_on_the_wire(port)
    );
    assert!(
        !data.path().join("tls").exists(),
        "no self-signed certificate is made when one is given"
    );
    child.kill().await.ok();
}

#[tokio::test]
async fn the_server_chooses_the_suite_by_its_own_order() {
    let server = TestServer::start(Engine::Sqlite).await;
    // The client prefers ChaCha20 then AES-128; the server's first choice is AES-256.
    let (ok, text) = s_client(
        server.port,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384",
        ],
    );
    assert!(ok, "{text}");
    assert!(
        text.contains("Ciphersuite: ECDHE-ECDSA-AES256-GCM-SHA384"),
        "the client's order won:\n{text}"
    );
}

#[tokio::test]
async fn a_five_year_certificate_is_re_issued_from_its_key_and_still_trusted() {
    let data = tempfile::tempdir().expect("tempdir");
    let dir = data.path().join("tls");
    std::fs::create_dir_all(&dir).expect("the tls dir");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    // What earlier versions left in the data dir: a P-256 key and its certificate for five years.
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args([
            "-nodes",
            "-days",
            "1825",
            "-subj",
            "/CN=Vestibule server (self-signed)",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl req");
    assert!(status.success());
    let old = std::fs::read(&cert).expect("the old certificate");
    let pin = |cert: &Path| {
        let out = Command::new(server_bin())
            .args(["tls-pin", "--cert"])
            .arg(cert)
            .output()
            .expect("tls-pin");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let old_pin = pin(&cert);

    let (mut child, port) = serve(data.path(), &[]).await;
    assert_ne!(
        std::fs::read(&cert).expect("the certificate"),
        old,
        "re-issued"
    );
    assert_eq!(pin_on_the_wire(port), old_pin, "the same key is served");
    let expires_within = |days: u32| {
        !Command::new("openssl")
            .args([
                "x509",
                "-noout",
                "-checkend",
                &(days * 86_400).to_string(),
                "-in",
            ])
            .arg(&cert)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("openssl x509")
            .success()
    };
    assert!(
        expires_within(398) && !expires_within(300),
        "valid about a year"
    );

    // A client whose one root is the old certificate (as a kiosk's CA file) still connects.
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(&old) {
        roots
            .add(c.expect("PEM"))
            .expect("the old certificate as a root");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("the re-issued certificate verifies against the old one");
    child.kill().await.ok();
}
