//! Waiting for another process (a server, a mail server, a replica, a killed child) to do
//! something: the tests poll for the condition itself, bounded by a timeout, instead of sleeping
//! for a time that is too long on a fast machine and too short on a loaded one.

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
