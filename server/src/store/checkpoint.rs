//! SQLite's WAL checkpoints, off the write path. By default the connection whose commit grows the
//! write-ahead log past 1,000 pages copies the log back into the database file, `fsync`s
//! included, before that commit returns: on the group committer's path, every check-in of the
//! batch would wait for it (the tail of the check-in latency). The writer runs with
//! `wal_autocheckpoint=0` instead (`connect.rs`), and a connection of its own checkpoints
//! `PASSIVE` (it neither waits for nor holds up the writer or the readers) every [`EVERY`],
//! until the store is dropped.

use std::time::Duration;

use sqlx::{Connection, SqliteConnection, sqlite::SqliteConnectOptions};
use tokio::sync::oneshot;

use crate::error::Error;

/// How often the log is copied back into the database file.
const EVERY: Duration = Duration::from_millis(250);

/// Keeps the checkpoints going while it lives.
pub(super) struct Checkpoints {
    _running: oneshot::Sender<()>,
}

/// Starts checkpointing the database `options` opens.
pub(super) async fn start(options: &SqliteConnectOptions) -> Result<Checkpoints, Error> {
    let mut conn = SqliteConnection::connect_with(options).await?;
    let (running, mut dropped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut dropped => break,
                _ = tick.tick() => {
                    let done = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut conn).await;
                    if let Err(e) = done {
                        tracing::warn!(error = %e, "a WAL checkpoint failed; the next one tries again");
                    }
                }
            }
        }
        let _ = conn.close().await;
    });
    Ok(Checkpoints { _running: running })
}
