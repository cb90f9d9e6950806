//! Waiting for another process (a server, a mail server, a replica, a killed child) to do
//! something: the tests poll for the condition itself, bounded by a timeout, instead of sleeping
//! for a time that is too long on a fast machine and too short on a loaded one; [`run_ok`] waits
//! for a command to end and fails the test if it failed.

use std::time::Duration;

use tokio::time::Instant;

/// How often a condition is checked again.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Checks `check` until it returns `Some`, and returns what it returned; a check that is still
/// running at the deadline is cut short. Fails the test, naming `what` was awaited, if `timeout`
/// passes first.
///
/// ```text
/// let status = wait_until("the server is ready", Duration::from_secs(30), async || {
///     let r = api.get("/readyz", &Auth::None).await;
///     (r.status == 200).then_some(r)
/// })
/// .await;
/// ```
pub async fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(found)) = tokio::time::timeout_at(deadline, check()).await {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Runs a command to its end; returns its stdout, and fails the test (with its stderr) if it fails.
pub async fn run_ok(cmd: &mut tokio::process::Command) -> Vec<u8> {
    let out = cmd.output().await.expect("run a command");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
