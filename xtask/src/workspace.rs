//! Running cargo in the workspace, and where its build output goes.

use std::{ffi::OsStr, path::PathBuf, process::Command};

use anyhow::{Context, bail};

/// The workspace root (the parent of this crate).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `cargo <args>` in the workspace with extra environment variables; fails if cargo fails.
pub fn cargo(args: &[&str], env: &[(&str, &OsStr)]) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(args).current_dir(root());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let status = cmd
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed", args.join(" "));
    }
    Ok(())
}

/// The cargo target directory (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root())
        .output()
        .context("running cargo metadata")?;
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("reading cargo metadata")?;
    Ok(PathBuf::from(
        meta["target_directory"]
            .as_str()
            .context("no target_directory")?,
    ))
}

/// The debug build of `vestibule-server`.
pub fn server_bin() -> anyhow::Result<PathBuf> {
    Ok(target_dir()?.join("debug").join("vestibule-server"))
}

/// Builds `vestibule-server` in release (installing what its build needs first); its path.
pub fn release_server() -> anyhow::Result<PathBuf> {
    crate::prereqs::server_build()?;
    cargo(
        &["build", "--release", "--package", "vestibule-server"],
        &[],
    )?;
    Ok(target_dir()?.join("release/vestibule-server"))
}
