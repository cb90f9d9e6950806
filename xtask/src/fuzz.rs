//! The bounded fuzzing run of `cargo xtask test`: each libFuzzer target of `fuzz/` (the JSON
//! request bodies, the sealed-field decoder, the directory CSV import) runs for a few seconds
//! from its committed seeds (`fuzz/seeds/<target>`) with a fixed seed; a crash fails the command
//! and leaves its input in `fuzz/artifacts/<target>/`. cargo-fuzz is installed from the Rust package registry
//! when missing, and runs on rustup's nightly toolchain, as cargo-fuzz expects.
//!
//! The targets are built without AddressSanitizer (`--sanitizer none`; libFuzzer's coverage
//! instrumentation stays): the project's crates forbid `unsafe`, ASan does not see into the C
//! code of the dependencies (SQLite, ring) either, and on this project's 2-core machine the
//! sanitized cold build of the server's whole dependency tree took 17 minutes against 9, and
//! ran each target 3 to 6 times slower. What a run looks for is a panic: a broken invariant, an
//! index out of bounds or an arithmetic overflow (debug assertions are on).

use std::{path::Path, process::Command};

use anyhow::{Context, bail};

use crate::workspace;

/// The cargo-fuzz release the targets are run with.
const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// Every target of `fuzz/Cargo.toml`.
const TARGETS: [&str; 3] = ["json_requests", "ciphertext", "csv_import"];
/// How long each target runs here; the README gives the numbers of longer runs.
const SECONDS_PER_TARGET: u32 = 20;
/// libFuzzer's random seed, fixed so that a run can be repeated.
const SEED: u32 = 1;
/// Build flags shared by `build` and `run` (the same ones, or `run` builds again).
const BUILD_FLAGS: [&str; 2] = ["--sanitizer", "none"];

/// `cargo` of the nightly toolchain, through rustup.
fn nightly_cargo() -> Command {
    let mut cmd = Command::new("rustup");
    cmd.args(["run", "nightly", "cargo"]);
    cmd
}

fn ensure_cargo_fuzz() -> anyhow::Result<()> {
    if !nightly_cargo()
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        bail!(
            "the fuzz targets need rustup's nightly toolchain (rustup toolchain install nightly)"
        );
    }
    let installed = nightly_cargo()
        .args(["fuzz", "--version"])
        .output()
        .context("running cargo fuzz --version")?;
    if installed.status.success()
        && String::from_utf8_lossy(&installed.stdout)
            .split_whitespace()
            .last()
            == Some(CARGO_FUZZ_VERSION)
    {
        return Ok(());
    }
    println!("xtask: installing cargo-fuzz {CARGO_FUZZ_VERSION}");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let spec = format!("cargo-fuzz@{CARGO_FUZZ_VERSION}");
    if !Command::new(cargo)
        .args(["install", &spec, "--locked"])
        .status()?
        .success()
    {
        bail!("cargo install {spec} failed");
    }
    Ok(())
}

/// `cargo fuzz <args> --target-dir <target_dir> -- <fuzzer_args>` from the repository root.
fn cargo_fuzz(args: &[&str], target_dir: &Path, fuzzer_args: &[&str]) -> anyhow::Result<bool> {
    let mut cmd = nightly_cargo();
    cmd.arg("fuzz")
        .args(args)
        .args(BUILD_FLAGS)
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(workspace::root());
    if !fuzzer_args.is_empty() {
        cmd.arg("--").args(fuzzer_args);
    }
    let status = cmd
        .status()
        .with_context(|| format!("running cargo fuzz {}", args.join(" ")))?;
    Ok(status.success())
}

/// Builds every target, then runs each for [`SECONDS_PER_TARGET`]; fails on the first crash.
pub fn run() -> anyhow::Result<()> {
    ensure_cargo_fuzz()?;
    let target_dir = workspace::target_dir()?;
    println!("xtask: building the fuzz targets");
    if !cargo_fuzz(&["build"], &target_dir, &[])? {
        bail!("cargo fuzz build failed");
    }
    for target in TARGETS {
        // New inputs go to a scratch corpus, emptied each time; the committed seeds are read only.
        let corpus = target_dir.join("fuzz-corpus").join(target);
        let _ = std::fs::remove_dir_all(&corpus);
        std::fs::create_dir_all(&corpus)
            .with_context(|| format!("creating {}", corpus.display()))?;
        let seeds = workspace::root().join("fuzz/seeds").join(target);
        let (corpus, seeds) = (
            corpus.to_string_lossy().into_owned(),
            seeds.to_string_lossy().into_owned(),
        );
        println!("xtask: fuzzing {target} for {SECONDS_PER_TARGET} s");
        let fuzzer_args = [
            format!("-max_total_time={SECONDS_PER_TARGET}"),
            format!("-seed={SEED}"),
            "-print_final_stats=1".into(),
        ];
        let fuzzer_args: Vec<&str> = fuzzer_args.iter().map(String::as_str).collect();
        if !cargo_fuzz(&["run", target, &corpus, &seeds], &target_dir, &fuzzer_args)? {
            bail!(
                "the fuzz target {target} failed: its input is in fuzz/artifacts/{target}/ (replay: cargo +nightly fuzz run --sanitizer none {target} FILE)"
            );
        }
    }
    Ok(())
}
