//! SQLite's write-ahead log made durable beside the writer rather than on its path. With
//! `synchronous=FULL` the writer's thread `fsync`s the log inside every commit and writes
//! nothing meanwhile: under load the next batch of check-ins waits for the disk as well as for
//! the batch before it. The writer runs with `synchronous=NORMAL` instead (`connect.rs`), which
//! keeps the database consistent after a power loss (SQLite's frames carry checksums: a torn
//! tail is dropped, never half applied) but may lose the last commits; and no write is
//! answered before [`LogSync`] has `fdatasync`ed the log after its commit, on a thread of its
//! own, while the writer goes on with the next batch. One `fdatasync` covers every commit made
//! before it began, so the requests waiting when one ends share the next.
//!
//! What a power loss can take is then only what no one was told was written. A reader on
//! another connection may see a commit before its `fdatasync` ends (as it may not with `FULL`):
//! such a row can vanish in a power loss, with everything committed after it (the log is kept
//! in order), so the audit chain never forks.

use std::{
    path::{Path, PathBuf},
    sync::mpsc,
};

use tokio::sync::oneshot;

use crate::error::Error;

/// What runs once the log has been synced: `true` if it was.
type Then = Box<dyn FnOnce(bool) + Send>;

/// The handle to the log's sync thread; the thread ends when every handle is dropped.
pub struct LogSync {
    requests: mpsc::Sender<Then>,
}

impl LogSync {
    /// Starts syncing the log of the database at `db` (its `-wal` file).
    pub fn start(db: &Path) -> std::io::Result<LogSync> {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let (requests, waiting) = mpsc::channel::<Then>();
        std::thread::Builder::new()
            .name("log-sync".into())
            .spawn(move || {
                while let Ok(first) = waiting.recv() {
                    let mut all = vec![first];
                    all.extend(waiting.try_iter());
                    let synced = sync(&wal);
                    if let Err(e) = &synced {
                        tracing::error!(error = %e, "syncing SQLite's log failed: writes are answered with an error");
                    }
                    for then in all {
                        then(synced.is_ok());
                    }
                }
            })?;
        Ok(LogSync { requests })
    }

    /// Runs `then` on the sync thread once everything committed before this call is on the
    /// disk (`true`), or the sync failed (`false`).
    pub fn then(&self, then: impl FnOnce(bool) + Send + 'static) {
        if let Err(mpsc::SendError(then)) = self.requests.send(Box::new(then)) {
            then(false);
        }
    }

    /// Returns once everything committed before this call is on the disk.
    pub async fn synced(&self) -> Result<(), Error> {
        let (done, synced) = oneshot::channel();
        self.then(move |ok| {
            let _ = done.send(ok);
        });
        match synced.await {
            Ok(true) => Ok(()),
            _ => Err(not_synced()),
        }
    }
}

/// The error a write is answered with when its commit may not be on the disk.
pub(super) fn not_synced() -> Error {
    Error::Internal(anyhow::anyhow!("SQLite's log could not be synced"))
}

/// Syncs the log's file as it is now: opened anew each time, so that a log SQLite removed and
/// made again (when every connection had closed) is never missed.
fn sync(wal: &Path) -> std::io::Result<()> {
    std::fs::File::open(wal)?.sync_data()
}

#[cfg(test)]
mod tests {
    use super::LogSync;

    /// A write waiting for a log that cannot be synced (here: none) is answered with an error;
    /// writes waiting together for one that can are each answered.
    #[tokio::test]
    async fn writes_wait_for_the_log_to_be_synced() {
        let dir = std::env::temp_dir().join(format!("vestibule-sync-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let sync = LogSync::start(&dir.join("t.db")).expect("start");
        assert!(
            sync.synced().await.is_err(),
            "synced a log that is not there"
        );
        std::fs::write(dir.join("t.db-wal"), b"frames").expect("the log");
        let all = futures::future::join_all((0..100).map(|_| sync.synced())).await;
        assert!(all.iter().all(Result::is_ok), "{all:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
