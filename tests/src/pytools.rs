//! The Python tools some tests drive (sslyze, schemathesis, aiosmtpd), found in `VESTIBULE_PY_BIN`
//! (the virtualenv `cargo xtask test` installs them into, at pinned versions) or else on `PATH`.
//! Missing, a test is skipped with a note, except under `CI=true`, where it fails.

use std::path::{Path, PathBuf};

/// The path of the Python tool `name`, or `None` (with a note on stderr) to skip the test.
///
/// # Panics
/// When the tool is missing and `CI` is `true`: CI must never pass by skipping.
pub fn python_tool(name: &str) -> Option<PathBuf> {
    let from_env = std::env::var_os("VESTIBULE_PY_BIN")
        .map(|dir| Path::new(&dir).join(name))
        .filter(|p| p.is_file());
    let found = from_env.or_else(|| {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    });
    if found.is_none() {
        let why = format!(
            "`{name}` is neither in VESTIBULE_PY_BIN nor on PATH (cargo xtask test installs it)"
        );
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("skipped: {why}");
    }
    found
}
