//! The web front ends (`ui/`, one npm workspace: `ui/common` and `ui/kiosk`): `npm ci` from the one
//! committed lockfile, every workspace's vitest tests, and the kiosk's build that the kiosk crate
//! embeds (`ui/kiosk/dist`, which must exist before the kiosk compiles).

use std::process::Command;

use anyhow::{Context, bail};

fn npm(args: &[&str]) -> anyhow::Result<()> {
    let dir = super::workspace::root().join("ui");
    let status = Command::new("npm")
        .args(args)
        .current_dir(&dir)
        .status()
        .with_context(|| format!("running npm {}", args.join(" ")))?;
    if !status.success() {
        bail!("npm {} failed in {}", args.join(" "), dir.display());
    }
    Ok(())
}

/// Installs the locked dependencies, runs every workspace's tests and builds the kiosk's UI.
pub fn build_and_test() -> anyhow::Result<()> {
    npm(&["ci", "--no-audit", "--no-fund"])?;
    npm(&["test"])?;
    npm(&["run", "build"])
}

/// Installs the workspace's locked dependencies and builds the kiosk's UI.
pub fn build() -> anyhow::Result<()> {
    npm(&["ci", "--no-audit", "--no-fund"])?;
    npm(&["run", "build"])
}
