//! The third-party code check that `cargo xtask test` runs before its long test run, so that CI
//! fails fast: `cargo audit` of `Cargo.lock` against the RustSec advisory snapshot that ships
//! beside the project (`<repo>/../shared/advisory-db`, read offline), then `npm audit` of the
//! runtime dependencies of the web front ends (the `ui/` workspace) wherever the npm registry
//! answers it. A known vulnerability fails the command. cargo-audit's unmaintained and unsound
//! warnings do not; each one is listed, with what replaces it or why it stays, in the README's
//! security section. An exception goes in `.cargo/audit.toml`, with the reason it cannot reach
//! any binary.

use std::{ffi::OsString, path::PathBuf, process::Command};

use anyhow::{Context, bail};
use serde_json::Value;

use crate::workspace;

/// The cargo-audit release the project is checked with, installed from the Rust package registry when missing.
const CARGO_AUDIT_VERSION: &str = "0.22.2";

/// Audits the Rust lockfile, then the UI's npm lockfile; fails on any known vulnerability.
pub fn check() -> anyhow::Result<()> {
    cargo_audit()?;
    npm_audit()
}

fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The advisory snapshot, resolved from the workspace root (not the current directory).
fn advisory_db() -> anyhow::Result<PathBuf> {
    let path = workspace::root().join("../shared/advisory-db");
    std::fs::canonicalize(&path).with_context(|| {
        format!(
            "the RustSec advisory snapshot is missing: expected it at {}",
            path.display()
        )
    })
}

fn ensure_cargo_audit() -> anyhow::Result<()> {
    let installed = Command::new(cargo()).args(["audit", "--version"]).output();
    let version_ok = installed.is_ok_and(|o| {
        o.status.success()
            && String::from_utf8_lossy(&o.stdout).split_whitespace().last()
                == Some(CARGO_AUDIT_VERSION)
    });
    if version_ok {
        return Ok(());
    }
    println!("xtask: installing cargo-audit {CARGO_AUDIT_VERSION}");
    let spec = format!("cargo-audit@{CARGO_AUDIT_VERSION}");
    if !Command::new(cargo())
        .args(["install", &spec, "--locked"])
        .status()?
        .success()
    {
        bail!("cargo install {spec} failed");
    }
    Ok(())
}

/// `cargo audit --db <snapshot> --no-fetch`. With `--no-fetch` the snapshot (a plain directory, not
/// a git clone) is opened as it is, with no staleness check (that applies to fetched databases
/// only, so `--stale` is not needed), and the yanked-crate check reads cargo's local copy of the
/// Rust package registry's index instead of updating it. `cargo fetch` first puts every crate of the lockfile
/// in that copy (the build needs them anyway); after it, the audit itself needs no network.
fn cargo_audit() -> anyhow::Result<()> {
    let db = advisory_db()?;
    ensure_cargo_audit()?;
    workspace::cargo(&["fetch"], &[])?;
    println!("xtask: cargo audit of Cargo.lock against {}", db.display());
    // From the root, so that cargo-audit reads the project's `.cargo/audit.toml` and `Cargo.lock`.
    let status = Command::new(cargo())
        .arg("audit")
        .arg("--db")
        .arg(&db)
        .arg("--no-fetch")
        .current_dir(workspace::root())
        .status()
        .context("running cargo audit")?;
    if !status.success() {
        bail!(
            "cargo audit failed (see above): upgrade the crate (`cargo update -p CRATE --precise VERSION`), or, only if \
             it is compiled into no binary, add its id to .cargo/audit.toml with the reason"
        );
    }
    Ok(())
}

/// What `npm audit --json` said.
#[derive(Debug, PartialEq)]
enum NpmVerdict {
    /// A report with no vulnerability in it.
    Clean,
    /// A report with this many vulnerable packages.
    Vulnerable(u64),
    /// No report: the registry did not answer the audit endpoint (why, as npm put it).
    NoAnswer(String),
}

fn npm_verdict(stdout: &[u8]) -> anyhow::Result<NpmVerdict> {
    let Ok(json) = serde_json::from_slice::<Value>(stdout) else {
        return Ok(NpmVerdict::NoAnswer("npm printed no audit report".into()));
    };
    if json.get("auditReportVersion").is_none() {
        let why = json["message"]
            .as_str()
            .or(json["error"]["summary"].as_str())
            .filter(|s| !s.is_empty());
        return Ok(NpmVerdict::NoAnswer(
            why.unwrap_or("npm printed no audit report").to_owned(),
        ));
    }
    let total = json["metadata"]["vulnerabilities"]["total"]
        .as_u64()
        .context("npm audit's report has no vulnerability count")?;
    Ok(if total == 0 {
        NpmVerdict::Clean
    } else {
        NpmVerdict::Vulnerable(total)
    })
}

/// `npm audit --omit=dev` of the `ui/` workspace (only the runtime dependencies reach the kiosk;
/// the dev ones build and test it). It reads the committed lockfile and asks the registry's audit
/// endpoint; a registry that does not answer it gets a loud warning, not a failure.
fn npm_audit() -> anyhow::Result<()> {
    let dir = workspace::root().join("ui");
    let npm = |extra: &[&str]| {
        Command::new("npm")
            .args(["audit", "--omit=dev"])
            .args(extra)
            .current_dir(&dir)
            .output()
    };
    let out = npm(&["--json"]).context("running npm audit")?;
    match npm_verdict(&out.stdout)? {
        NpmVerdict::Clean => {
            println!(
                "xtask: npm audit --omit=dev: no known vulnerability in the UI's runtime dependencies"
            );
            Ok(())
        }
        NpmVerdict::Vulnerable(n) => {
            if let Ok(report) = npm(&[]) {
                println!("{}", String::from_utf8_lossy(&report.stdout));
            }
            bail!(
                "npm audit --omit=dev: {n} vulnerable package(s) in the UI's runtime dependencies (see above)"
            )
        }
        NpmVerdict::NoAnswer(why) => {
            eprintln!(
                "xtask: WARNING: the npm registry did not answer npm audit ({why}); the UI's runtime \
                 dependencies were NOT checked for known vulnerabilities"
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_report_passes_and_a_finding_fails() {
        let clean = br#"{"auditReportVersion": 2, "vulnerabilities": {},
            "metadata": {"vulnerabilities": {"info": 0, "low": 0, "moderate": 0, "high": 0, "critical": 0, "total": 0}}}"#;
        assert_eq!(npm_verdict(clean).expect("verdict"), NpmVerdict::Clean);
        let found = br#"{"auditReportVersion": 2, "vulnerabilities": {"qrcode-generator": {"severity": "high"}},
            "metadata": {"vulnerabilities": {"info": 0, "low": 0, "moderate": 0, "high": 1, "critical": 0, "total": 1}}}"#;
        assert_eq!(
            npm_verdict(found).expect("verdict"),
            NpmVerdict::Vulnerable(1)
        );
    }

    #[test]
    fn a_registry_without_the_audit_endpoint_is_no_answer() {
        let refused = br#"{"message": "405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk",
            "statusCode": 405, "body": "", "error": {"summary": "", "detail": ""}}"#;
        assert!(
            matches!(npm_verdict(refused).expect("verdict"), NpmVerdict::NoAnswer(why) if why.starts_with("405"))
        );
        assert!(matches!(
            npm_verdict(b"").expect("verdict"),
            NpmVerdict::NoAnswer(_)
        ));
    }

    #[test]
    fn a_report_without_counts_is_an_error() {
        assert!(npm_verdict(br#"{"auditReportVersion": 2, "metadata": {}}"#).is_err());
    }
}
