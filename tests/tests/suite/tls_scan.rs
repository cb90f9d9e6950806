//! TLS as an outside scanner sees it: sslyze scans the running server and must find only TLS 1.2
//! and 1.3, only ECDHE suites with AEAD ciphers on TLS 1.2, and a certificate whose SPKI pin is
//! the one `tls-pin` prints; and the server must meet Mozilla's "intermediate" configuration in all
//! but what it says of the self-signed certificate (trusted by its pin, not by a public root).
//! The verdict lines, and the check against Mozilla's "modern" configuration, are printed.
//! A second scanner, testssl.sh, must find nothing of MEDIUM severity or above but what a
//! self-signed certificate cannot avoid ([`SELF_SIGNED_FINDINGS`]); its findings are printed.

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use serde_json::Value;
use vestibule_tests::{Engine, TestServer, pytools::python_tool, server::server_bin};

/// sslyze's scan commands for the protocol versions, with their names.
const PROTOCOLS: [(&str, &str, bool); 6] = [
    ("ssl_2_0_cipher_suites", "SSL 2.0", false),
    ("ssl_3_0_cipher_suites", "SSL 3.0", false),
    ("tls_1_0_cipher_suites", "TLS 1.0", false),
    ("tls_1_1_cipher_suites", "TLS 1.1", false),
    ("tls_1_2_cipher_suites", "TLS 1.2", true),
    ("tls_1_3_cipher_suites", "TLS 1.3", true),
];

/// Runs sslyze against the server with a Mozilla configuration to check; returns its report (its
/// stdout) and, when `json` is given, leaves its JSON result there. sslyze exits 1 when the server
/// does not comply with that configuration, which is not an error here.
fn sslyze(tool: &Path, port: u16, mozilla: &str, json: Option<&Path>) -> String {
    let mut cmd = Command::new(tool);
    cmd.arg(format!("--mozilla_config={mozilla}"))
        .arg(format!("localhost:{port}{{127.0.0.1}}"));
    if let Some(path) = json {
        cmd.arg(format!("--json_out={}", path.display()));
    }
    let out = cmd.output().expect("run sslyze");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let complete = matches!(out.status.code(), Some(0 | 1));
    assert!(
        complete,
        "sslyze failed ({}):\n{report}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    report
}

/// The lines of sslyze's report that say whether the server complies with a Mozilla configuration.
fn compliance(report: &str) -> Vec<&str> {
    let section = report
        .split_once("COMPLIANCE AGAINST")
        .map_or("", |(_, rest)| rest);
    section
        .lines()
        .skip(2)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// What Mozilla's configurations say of the self-signed certificate itself: it has no path to a
/// public root (kiosks trust it as their root and pin its key), and it is valid five years where
/// Mozilla's limits are meant for certificates of public CAs.
fn about_the_self_signed_certificate(issue: &str) -> bool {
    issue.starts_with("* certificate_path_validation:")
        || issue.starts_with("* maximum_certificate_lifespan:")
}

/// A TLS 1.2 suite the server may offer: ECDHE key exchange and an AEAD cipher, never CBC.
fn modern_tls12_suite(name: &str) -> bool {
    name.starts_with("TLS_ECDHE_")
        && !name.contains("_CBC_")
        && (name.contains("_GCM_") || name.contains("_CHACHA20_POLY1305_"))
}

fn suite_names(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["cipher_suite"]["name"].as_str())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn sslyze_finds_only_tls_1_2_and_1_3_with_ecdhe_aead_suites_and_the_pinned_key() {
    let Some(tool) = python_tool("sslyze") else {
        return;
    };
    let server = TestServer::start(Engine::Sqlite).await;
    let json_path = server.data_dir.path().join("sslyze.json");
    let intermediate = sslyze(&tool, server.port, "intermediate", Some(&json_path));
    let report: Value = serde_json::from_slice(&std::fs::read(&json_path).expect("sslyze's JSON"))
        .expect("sslyze's JSON parses");
    let scan = &report["server_scan_results"][0];
    assert_eq!(
        scan["connectivity_status"], "COMPLETED",
        "sslyze could not connect:\n{intermediate}"
    );
    assert_eq!(scan["scan_status"], "COMPLETED", "{intermediate}");
    let result = &scan["scan_result"];

    let version = report["sslyze_version"].as_str().unwrap_or("?");
    println!(
        "sslyze {version} against localhost:{} (127.0.0.1):",
        server.port
    );
    let mut problems = Vec::new();
    for (command, name, allowed) in PROTOCOLS {
        let r = &result[command];
        assert_eq!(
            r["status"], "COMPLETED",
            "sslyze's {command} did not complete: {}",
            r["error_trace"]
        );
        let accepted = suite_names(&r["result"]["accepted_cipher_suites"]);
        let rejected = r["result"]["rejected_cipher_suites"]
            .as_array()
            .map_or(0, Vec::len);
        if accepted.is_empty() {
            println!("  {name}: rejected (all {rejected} cipher suites tried were refused)");
        } else {
            println!(
                "  {name}: accepted {} of {} suites: {}",
                accepted.len(),
                accepted.len() + rejected,
                accepted.join(", ")
            );
        }
        if !allowed && !accepted.is_empty() {
            problems.push(format!("{name} is accepted: {}", accepted.join(", ")));
        }
        if allowed && accepted.is_empty() {
            problems.push(format!("{name} is refused; the server must speak it"));
        }
        if command == "tls_1_2_cipher_suites" {
            for weak in accepted.iter().filter(|s| !modern_tls12_suite(s)) {
                problems.push(format!("TLS 1.2 suite {weak} is accepted: only ECDHE with AES-GCM or ChaCha20-Poly1305 may be"));
            }
        }
    }

    let out = Command::new(server_bin())
        .args(["tls-pin", "--data-dir"])
        .arg(server.data_dir.path())
        .output()
        .expect("tls-pin");
    assert!(out.status.success(), "tls-pin failed");
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let deployments = result["certificate_info"]["result"]["certificate_deployments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !deployments.is_empty(),
        "sslyze saw no certificate:\n{intermediate}"
    );
    for d in &deployments {
        let leaf = &d["received_certificate_chain"][0];
        let seen = format!(
            "sha256/{}",
            leaf["hpkp_pin"]
                .as_str()
                .expect("sslyze's hpkp_pin of the leaf")
        );
        println!(
            "  certificate: {}, SPKI pin {seen} (tls-pin: {printed})",
            leaf["subject"]["rfc4514_string"].as_str().unwrap_or("?")
        );
        if seen != printed {
            problems.push(format!(
                "the served certificate's pin {seen} is not the one tls-pin prints, {printed}"
            ));
        }
    }

    // Mozilla's intermediate configuration is what the server must meet, but for its certificate.
    let verdict = compliance(&intermediate);
    println!(
        "sslyze --mozilla_config=intermediate:\n  {}",
        verdict.join("\n  ")
    );
    assert!(
        !verdict.is_empty(),
        "sslyze printed no compliance check:\n{intermediate}"
    );
    for issue in verdict
        .iter()
        .filter(|l| l.starts_with("* ") && !about_the_self_signed_certificate(l))
    {
        problems.push(format!("Mozilla intermediate: {issue}"));
    }
    // Modern (TLS 1.3 only) is printed for the record: the design keeps TLS 1.2 (ECDHE + AEAD) on.
    let modern = sslyze(&tool, server.port, "modern", None);
    println!(
        "sslyze --mozilla_config=modern:\n  {}",
        compliance(&modern).join("\n  ")
    );

    assert!(
        problems.is_empty(),
        "sslyze found:\n  {}\n\nits output:\n{intermediate}",
        problems.join("\n  ")
    );
}

/// What testssl.sh finds of any self-signed certificate, whatever the server does: no chain to a
/// public root (`cert_chain_of_trust`, CRITICAL: kiosks trust the certificate itself and pin its
/// key) and no CRL or OCSP URL (`cert_revocation`, HIGH: there is no CA to revoke it).
const SELF_SIGNED_FINDINGS: [&str; 2] = ["cert_chain_of_trust", "cert_revocation"];

/// testssl.sh's severities that fail the test (FATAL: the scan itself failed).
const SERIOUS: [&str; 4] = ["MEDIUM", "HIGH", "CRITICAL", "FATAL"];

/// testssl.sh's checks run: protocols, cipher categories, forward secrecy, the server's
/// preferences, its defaults and certificate, HTTP headers and the vulnerabilities; all it does by
/// default but its client simulations (sslyze and the openssl tests cover clients) and the list
/// of RC4 suites (the cipher categories and the vulnerabilities already look for RC4).
const TESTSSL_CHECKS: [&str; 7] = ["-p", "-s", "-f", "-P", "-S", "-h", "-U"];

#[tokio::test]
async fn testssl_finds_nothing_of_medium_severity_but_the_self_signed_certificate() {
    let available = Command::new("testssl").arg("--version").output().is_ok();
    if !available {
        let why = "`testssl` is not installed (cargo xtask test installs Debian's testssl.sh)";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("skipped: {why}");
        return;
    }
    let server = TestServer::start(Engine::Sqlite).await;
    let json_path = server.data_dir.path().join("testssl.json");
    let started = Instant::now();
    let out = Command::new("testssl")
        .args([
            "--quiet",
            "--warnings",
            "off",
            "--color",
            "0",
            "--ip",
            "127.0.0.1",
        ])
        .arg("--jsonfile")
        .arg(&json_path)
        .args(TESTSSL_CHECKS)
        .arg(format!("https://localhost:{}", server.port))
        .output()
        .expect("run testssl");
    let took = started.elapsed();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    let findings: Vec<Value> = std::fs::read(&json_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_else(|| {
            panic!(
                "testssl wrote no JSON ({}):\n{report}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let field = |f: &Value, name: &str| f[name].as_str().unwrap_or("").to_owned();
    let ids: Vec<String> = findings.iter().map(|f| field(f, "id")).collect();
    // One finding of each section: the scan ran through (`HSTS`, or `HSTS_time` when it is sent).
    for expected in [
        "scanTime",
        "cipher_order",
        "cert_validityPeriod",
        "HSTS",
        "heartbleed",
    ] {
        assert!(
            ids.iter().any(|id| id.starts_with(expected)),
            "testssl's scan is incomplete, no {expected}:\n{report}"
        );
    }

    println!(
        "testssl.sh {} against localhost:{} in {:.0?}; findings above OK and INFO:",
        TESTSSL_CHECKS.join(" "),
        server.port,
        Duration::from_secs(took.as_secs())
    );
    let mut problems = Vec::new();
    for f in &findings {
        let (id, severity, finding) = (field(f, "id"), field(f, "severity"), field(f, "finding"));
        if matches!(severity.as_str(), "OK" | "INFO") {
            continue;
        }
        let allowed = SELF_SIGNED_FINDINGS.contains(&id.as_str());
        println!(
            "  {severity} {id}: {finding}{}",
            if allowed {
                " (a self-signed certificate's)"
            } else {
                ""
            }
        );
        if SERIOUS.contains(&severity.as_str()) && !allowed {
            problems.push(format!("{severity} {id}: {finding}"));
        }
    }
    assert!(
        problems.is_empty(),
        "testssl found:\n  {}\n\nits output:\n{report}",
        problems.join("\n  ")
    );
}
