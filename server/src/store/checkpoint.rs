//! SQLite's WAL checkpoints, off the write path. By default the connection whose commit grows the
//! write-ahead log past 1,000 pages copies the log back into the database file, `fsync`s
//! included, before that commit returns: on the group committer's path, every check-in of the
//! batch would wait for it (the tail of the check-in latency). The writer runs with
//! `wal_autocheckpoint=0` instead (`connect.rs`), and a connection of its own checkpoints
//! `PASSIVE` (it neither waits for nor holds up the writer or the readers) every [`EVERY`],
//! until the store is dropped.
//!
//! A passive checkpoint copies the frames that were there when it began; under a steady load the
//! writer has always added more, so the log is never all copied when a write begins, and SQLite
//! only starts the log again from its beginning then. It would grow for as long as the load
//! lasts, every frame written past the file's end, where the kernel first zeroes the new
//! blocks (half the writer's CPU under load, in the bench's profile). So when a checkpoint finds
//! more than [`LONG`] frames in the log it raises [`Checkpoints::long`], and the group committer
//! checkpoints once between two batches, when nothing is being written: the few frames this
//! connection has not copied yet. Its next batch then starts the log again.
//!
//! The same connection keeps the query planner's statistics fresh: SQLite has none until
//! `ANALYZE`, and without them it may answer an exact-email search of a large visit log by
//! walking the whole log. [`STATISTICS`] runs when the store opens and every [`REFRESH`] after.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use sqlx::{Connection, SqliteConnection, sqlite::SqliteConnectOptions};
use tokio::sync::oneshot;

use crate::error::Error;

/// How often the log is copied back into the database file.
const EVERY: Duration = Duration::from_millis(250);

/// A log this long (frames of a page each: 16 MiB of 4 KiB pages) is copied back by the writer.
const LONG: i64 = 4096;

/// A checkpoint that neither waits for nor holds up the writer or the readers.
const PASSIVE: &str = "PRAGMA wal_checkpoint(PASSIVE)";

/// Analyses the tables whose statistics are missing or stale (SQLite's advice for long-lived
/// connections), reading at most about 1,000 rows of each index.
const STATISTICS: &str = "PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002";

/// How often the statistics are looked at again.
const REFRESH: Duration = Duration::from_secs(3600);

/// The group committer's checkpoint on the writer, between two batches while nothing is
/// written, if the checkpoint task found the log long (`long`, cleared here): the next batch then
/// starts the log again from its beginning.
pub(super) async fn copy_back_if_long(conn: &mut SqliteConnection, long: &AtomicBool) {
    if !long.swap(false, Ordering::SeqCst) {
        return;
    }
    if let Err(e) = sqlx::query(PASSIVE).execute(conn).await {
        tracing::warn!(error = %e, "the writer's WAL checkpoint failed; the next one tries again");
    }
}

/// Keeps the checkpoints going while it lives.
pub(super) struct Checkpoints {
    _running: oneshot::Sender<()>,
}

/// Starts checkpointing the database `options` opens; raises `long` when the log is long.
pub(super) async fn start(
    options: &SqliteConnectOptions,
    long: Arc<AtomicBool>,
) -> Result<Checkpoints, Error> {
    let mut conn = SqliteConnection::connect_with(options).await?;
    let (running, mut dropped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut refresh = tokio::time::interval(REFRESH);
        refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut dropped => break,
                _ = refresh.tick() => {
                    if let Err(e) = sqlx::raw_sql(STATISTICS).execute(&mut conn).await {
                        tracing::warn!(error = %e, "refreshing the planner's statistics failed; the next refresh tries again");
                    }
                }
                _ = tick.tick() => {
                    // (busy, frames in the log, frames copied back)
                    let done: Result<(i64, i64, i64), _> =
                        sqlx::query_as(PASSIVE).fetch_one(&mut conn).await;
                    match done {
                        Ok((_, log, _)) if log > LONG => long.store(true, Ordering::SeqCst),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "a WAL checkpoint failed; the next one tries again"),
                    }
                }
            }
        }
        let _ = conn.close().await;
    });
    Ok(Checkpoints { _running: running })
}
