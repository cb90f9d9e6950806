//! `cargo xtask bench --kiosk`: the kiosk's release figures (cold start to the first screen,
//! tap → confirmation p50/p95 over 50 walk-ins, the resident memory of the kiosk and its WebKit
//! processes after them). The kiosk is built in release with the `webdriver` feature (the only
//! difference from what ships: its web view is not incognito under WebDriver, which cannot drive
//! an incognito one) and driven by the harness's `kiosk-bench` through tauri-driver, against the
//! release server on SQLite. WebDriver's own round trips are inside every figure.

use std::{path::Path, process::Command};

use anyhow::{Context, bail};
use serde_json::Value;

use crate::workspace;

pub fn measure(server: &Path) -> anyhow::Result<Value> {
    workspace::cargo(
        &[
            "build",
            "--release",
            "-p",
            "vestibule-kiosk",
            "--features",
            "webdriver",
        ],
        &[],
    )?;
    workspace::cargo(
        &["build", "-p", "vestibule-tests", "--bin", "kiosk-bench"],
        &[],
    )?;
    let target = workspace::target_dir()?;
    let out = Command::new(target.join("debug/kiosk-bench"))
        .env("VESTIBULE_SERVER_BIN", server)
        .env(
            "VESTIBULE_KIOSK_BIN",
            target.join("release/vestibule-kiosk"),
        )
        .output()
        .context("running kiosk-bench")?;
    if !out.status.success() {
        bail!(
            "kiosk-bench failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("kiosk-bench printed no figures")?;
    let figures: Value = serde_json::from_str(line)?;
    println!("{}", serde_json::to_string_pretty(&figures)?);
    Ok(figures)
}
