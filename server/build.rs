//! Builds the admin console (`ui/console`, the npm workspace under `ui/`) into
//! `ui/console/dist`, which `src/http/console.rs` embeds in the binary, so that a fresh clone's
//! `cargo build -p vestibule-server` gives one binary that serves the console. The build runs
//! only when the built `index.html` is missing or older than a source file; the workspace's
//! locked packages are installed (`npm ci`) first when they are missing. Node.js 20.19+ and npm
//! must be installed.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
    time::SystemTime,
};

/// What the console's build reads, relative to `ui/`.
const SOURCES: &[&str] = &[
    "package.json",
    "package-lock.json",
    "common/src",
    "common/package.json",
    "console/src",
    "console/index.html",
    "console/package.json",
    "console/vite.config.ts",
    "console/scripts",
];

/// The newest modification time of `path` (a file, or a folder's files at any depth).
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| newest(&e.path()))
        .max()
}

fn npm(ui: &Path, args: &[&str]) {
    let status = Command::new("npm")
        .args(args)
        .current_dir(ui)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "running npm {} (Node.js and npm are needed to build the console): {e}",
                args.join(" ")
            )
        });
    assert!(
        status.success(),
        "npm {} failed in {}",
        args.join(" "),
        ui.display()
    );
}

fn main() {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let ui: PathBuf = Path::new(&manifest).join("../ui");
    for source in SOURCES {
        println!("cargo::rerun-if-changed=../ui/{source}");
    }
    println!("cargo::rerun-if-changed=../ui/console/dist/index.html");
    let index = ui.join("console/dist/index.html");
    let built = fs::metadata(&index).and_then(|m| m.modified()).ok();
    let sources = SOURCES.iter().filter_map(|s| newest(&ui.join(s))).max();
    if built.is_some_and(|b| sources.is_none_or(|s| b >= s)) {
        return;
    }
    if !ui.join("node_modules").exists() {
        npm(&ui, &["ci", "--no-audit", "--no-fund"]);
    }
    npm(&ui, &["run", "build", "--workspace", "@vestibule/console"]);
}
