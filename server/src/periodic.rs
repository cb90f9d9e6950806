//! Work done every so often until the server stops (the automatic sign-out, retention): one loop
//! that runs it, logs a failure and tries again at the next turn.

use std::{fmt::Display, future::Future, time::Duration};

use tokio::sync::watch;

/// Runs `work` now and then every `poll` until `stop` turns true; a failure is logged with `what`
/// and the work runs again at the next turn.
pub async fn every<T, E: Display, F: Future<Output = Result<T, E>>>(
    what: &'static str,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
    mut work: impl FnMut() -> F,
) {
    loop {
        if let Err(e) = work().await {
            tracing::warn!(error = %e, job = what, "a periodic job failed; trying again");
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}
