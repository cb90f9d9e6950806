//! Work that must not slow the front desk down (the visit log's export): a thread of its own at
//! the lowest scheduling priority, running a single-threaded runtime. An export keeps both cores
//! busy for as long as it lasts; at the same priority, a kiosk's check-in or any other request
//! that arrives meanwhile waits for a core to come free (the scale bench measured a no-op
//! request's p99 going from 0.3 to 3.3 ms during an export). At the lowest priority the kernel
//! gives the core to the request as soon as it is ready, and the export has whatever is left.
//!
//! The job's SQLite reads go through a connection opened from that thread
//! ([`Store::background`]): the connection's own thread, where SQLite does the reading, inherits
//! the priority. On PostgreSQL the reading is the database's; the job's own work (opening the
//! sealed fields, writing CSV) is still done at the lowest priority.

use std::future::Future;

use crate::{error::Error, store::Store};

/// Runs `job` on a new thread named `vestibule-{name}` at the lowest priority, with a copy of
/// `store` that reads from that thread (or `store` itself, logged, if that copy cannot be
/// opened). An error if the thread cannot be started; after that, the job reports its own.
pub fn spawn<F, Fut>(name: &str, store: Store, job: F) -> Result<(), Error>
where
    F: FnOnce(Store) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(e.into()))?;
    std::thread::Builder::new()
        .name(format!("vestibule-{name}"))
        .spawn(move || {
            lower_priority();
            runtime.block_on(async move {
                let store = match store.background().await {
                    Ok(own) => own,
                    Err(e) => {
                        tracing::warn!(error = %e, "a background job reads through the shared connections");
                        store
                    }
                };
                job(store).await;
            });
        })
        .map_err(|e| Error::Internal(e.into()))?;
    Ok(())
}

/// The calling thread's (and the threads it starts') priority, lowest: nice 19. Linux's nice
/// value is the thread's own; elsewhere it would be the whole process's, so it is left alone.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(None, 19) {
        tracing::warn!(error = %e, "a background job runs at the normal priority");
    }
}

#[cfg(test)]
mod tests {
    /// The job's thread runs at nice 19, and a thread it starts (as SQLite's connection thread
    /// is) inherits it; the caller's priority is untouched.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_job_and_its_threads_run_at_the_lowest_priority() {
        let nice = || rustix::process::getpriority_process(None).expect("getpriority");
        let before = nice();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            super::lower_priority();
            let inner = std::thread::spawn(|| {
                rustix::process::getpriority_process(None).expect("getpriority")
            });
            let own = rustix::process::getpriority_process(None).expect("getpriority");
            let _ = tx.send((own, inner.join().expect("join")));
        });
        let (own, inner) = rx.recv().expect("the thread's answer");
        assert_eq!((own, inner), (19, 19));
        assert_eq!(nice(), before, "the caller's priority changed");
    }
}
