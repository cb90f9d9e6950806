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
//!
//! [`scrub`] makes sure that what was removed (destroyed keys, the rows a retention run removed)
//! leaves no copy in the files: `secure_delete` zeroes a deleted row where it lies, but not the
//! copy a row leaves behind on a page it was moved off when its neighbours were rebalanced (a
//! row moved and deleted later stays readable there). `VACUUM` writes every page anew, then a
//! truncating checkpoint copies the log back and empties it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use sqlx::{Connection, SqliteConnection, SqlitePool, sqlite::SqliteConnectOptions};
use tokio::sync::oneshot;

use super::kiosk_cache::KioskCache;
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

/// How long the scrub's checkpoint is tried again while another one holds the log (a passive
/// checkpoint copies at most a few thousand pages), and the pause between two tries.
const SCRUB_RETRIES: Duration = Duration::from_secs(5);
const SCRUB_PAUSE: Duration = Duration::from_millis(10);

/// Rewrites the database file and empties the log, on the `writer` (see the module's header).
/// The rewrite's temporary copy goes to a file rather than memory, which it would otherwise
/// take as much of as the database is large. The rewrite may number a table's rows anew, and
/// `kiosks` names rows by number: it forgets them all while the writer is still held.
pub(super) async fn scrub(writer: &SqlitePool, kiosks: &KioskCache) -> Result<(), Error> {
    let mut conn = writer.acquire().await?;
    sqlx::query("PRAGMA temp_store = FILE")
        .execute(&mut *conn)
        .await?;
    let rewritten = sqlx::query("VACUUM").execute(&mut *conn).await;
    kiosks.forget_all();
    sqlx::query("PRAGMA temp_store = MEMORY")
        .execute(&mut *conn)
        .await?;
    rewritten?;
    // The checkpoint answers `busy` instead of waiting while this module's connection
    // checkpoints: the log is then not all copied and an old frame may still hold a removed
    // row's page. It is tried again.
    let until = tokio::time::Instant::now() + SCRUB_RETRIES;
    while sqlx::query_scalar::<_, i64>("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_one(&mut *conn)
        .await?
        != 0
    {
        if tokio::time::Instant::now() >= until {
            let busy = anyhow::anyhow!("the WAL stayed busy; the scrub did not finish");
            return Err(busy.into());
        }
        tokio::time::sleep(SCRUB_PAUSE).await;
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::{RngExt, seq::SliceRandom};

    use super::KioskCache;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

    /// Rows deleted in a random order leave copies `secure_delete` does not reach (a row moved
    /// off a page while its neighbours went, deleted later where it moved to); after the scrub
    /// none of them is in the file, and every kept row still is.
    #[tokio::test]
    async fn the_scrub_leaves_no_removed_row_in_the_file() {
        let dir = std::env::temp_dir().join(format!("vestibule-scrub-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let options = SqliteConnectOptions::new()
            .filename(dir.join("t.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("secure_delete", "ON")
            .pragma("temp_store", "MEMORY");
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .expect("open");
        sqlx::query("CREATE TABLE t (k BLOB NOT NULL UNIQUE, v BLOB NOT NULL)")
            .execute(&pool)
            .await
            .expect("table");
        let mut rng = rand::rng();
        let mut rows: Vec<(Vec<u8>, Vec<u8>)> = (0..10_000)
            .map(|_| {
                let k: [u8; 16] = rng.random();
                let v: Vec<u8> = (0..rng.random_range(40..80))
                    .map(|_| rng.random())
                    .collect();
                (k.to_vec(), v)
            })
            .collect();
        let mut tx = pool.begin().await.expect("begin");
        for (k, v) in &rows {
            sqlx::query("INSERT INTO t (k, v) VALUES ($1, $2)")
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await
                .expect("insert");
        }
        tx.commit().await.expect("commit");
        let kept = rows.split_off(7_800);
        rows.shuffle(&mut rng);
        let mut tx = pool.begin().await.expect("begin");
        for (k, _) in &rows {
            sqlx::query("DELETE FROM t WHERE k = $1")
                .bind(k)
                .execute(&mut *tx)
                .await
                .expect("delete");
        }
        tx.commit().await.expect("commit");
        super::scrub(&pool, &KioskCache::default())
            .await
            .expect("scrub");
        pool.close().await;

        let file = std::fs::read(dir.join("t.db")).expect("read");
        let windows: HashSet<&[u8]> = file.windows(16).collect();
        let found = |rows: &[(Vec<u8>, Vec<u8>)]| {
            rows.iter()
                .filter(|(_, v)| v.get(8..24).is_some_and(|w| windows.contains(w)))
                .count()
        };
        assert_eq!(found(&kept), kept.len(), "the scan finds the kept rows");
        assert_eq!(found(&rows), 0, "a removed row is still in the file");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
