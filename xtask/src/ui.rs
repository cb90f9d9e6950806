//! The kiosk's web UI: `npm ci` from the committed lockfile, its vitest tests, and the build the
//! kiosk crate embeds (`kiosk/ui/dist`, which must exist before the kiosk compiles).

use std::process::Command;

use anyhow::{Context, bail};

fn npm(args: &[&str]) -> anyhow::Result<()> {
    let dir = super::workspace::root().join("kiosk/ui");
    let status = Command::new("npm").args(args).current_dir(&dir).status().with_context(|| format!("running npm {}", args.join(" ")))?;
    if !status.success() {
        bail!("npm {} failed in {}", args.join(" "), dir.display());
    }
    Ok(())
}

/// Installs the UI's locked dependencies, runs its unit tests and builds it.
pub fn build_and_test() -> anyhow::Result<()> {
    npm(&["ci", "--no-audit", "--no-fund"])?;
    npm(&["test"])?;
    npm(&["run", "build"])
}

/// Installs the UI's locked dependencies and builds it.
pub fn build() -> anyhow::Result<()> {
    npm(&["ci", "--no-audit", "--no-fund"])?;
    npm(&["run", "build"])
}
