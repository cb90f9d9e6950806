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
//! more than [`LONG`] frames in the log and has copied all but [`FEW`], it raises [`Log::long`]
//! and [`Log::staged`], and the group committer checkpoints once between two batches, when
//! nothing is being written: the few frames this connection has not copied yet. Its next batch
//! then starts the log again.
//!
//! No checkpoint copies a frame a reader may still need, nor any frame at all while a reader
//! reads the database file alone (as one does that began when the log was all copied); and the
//! log only starts again when all of it was copied. A long job that reads page after page (the
//! export) always has a page open: under it the log grew for as long as the job lasted (by 390
//! MB in the scale bench's export of 300,000 visits while a kiosk checked in), each commit's
//! `fsync` slower for it. Such a job opens each page with [`Log::open_page`]: while the log is
//! long it waits, and has this connection copy the log at once (off the writer's path); the
//! writer copies the rest while none of the job's pages is open.
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
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use sqlx::{Connection, SqliteConnection, SqlitePool, sqlite::SqliteConnectOptions};
use tokio::sync::{Notify, oneshot};

use super::kiosk_cache::KioskCache;
use crate::error::Error;

/// What the checkpoints know of the log's length, shared with the group committer and readers.
#[derive(Default)]
pub(super) struct Log {
    /// Raised when a checkpoint found the log long; lowered when it has been copied back.
    long: AtomicBool,
    /// The checkpoint task's last copy left at most [`FEW`] frames: the group committer copies
    /// the rest.
    staged: AtomicBool,
    /// Pages of long reading jobs open now ([`OpenPage`]): the group committer does not copy
    /// the log back while one is.
    pages: AtomicUsize,
    /// The group committer's batches so far.
    batches: AtomicU64,
    /// Told when the log has been copied back.
    copied: Notify,
    /// Told when a page waits for the copy: the checkpoint task copies at once.
    wanted: Notify,
}

/// A page of a long reading job (the export) being read; see [`Log::open_page`].
pub struct OpenPage(Option<Arc<Log>>);

impl Drop for OpenPage {
    fn drop(&mut self) {
        if let Some(log) = &self.0 {
            log.pages.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Log {
    /// Opens a page of a long reading job: first, while the log is long, has the checkpoint
    /// task copy it back and waits until the group committer has copied the rest (at most
    /// [`PAGE_WAIT`]: no batch, no copy, and then nothing is written past the log's end
    /// either). Hold it while the page is read.
    pub(super) async fn open_page(log: &Arc<Log>) -> OpenPage {
        let copied = log.copied.notified();
        if log.long.load(Ordering::SeqCst) {
            log.wanted.notify_one();
            let _ = tokio::time::timeout(PAGE_WAIT, copied).await;
        }
        log.pages.fetch_add(1, Ordering::SeqCst);
        OpenPage(Some(log.clone()))
    }

    /// Takes in the checkpoint task's result: `frames` in the log, `copied` of them, and
    /// whether the group committer wrote nothing meanwhile (`quiet`).
    fn checkpointed(&self, frames: i64, copied: i64, quiet: bool) {
        if quiet && frames >= 0 && copied >= frames {
            self.copied_back();
        } else if frames > LONG {
            self.staged.store(frames - copied <= FEW, Ordering::SeqCst);
            self.long.store(true, Ordering::SeqCst);
        }
    }

    /// The log is all copied back and nothing written since: the next write starts it again.
    fn copied_back(&self) {
        self.long.store(false, Ordering::SeqCst);
        self.staged.store(false, Ordering::SeqCst);
        self.copied.notify_waiters();
    }
}

impl OpenPage {
    /// A page where no copy waits for it (PostgreSQL).
    pub(super) fn none() -> OpenPage {
        OpenPage(None)
    }
}

/// How long a page of a long reading job waits for the log to be copied back.
const PAGE_WAIT: Duration = Duration::from_millis(100);

/// How often the log is copied back into the database file.
const EVERY: Duration = Duration::from_millis(250);

/// A log this long (frames of a page each: 16 MiB of 4 KiB pages) is copied back by the writer.
const LONG: i64 = 4096;

/// What the checkpoint task may leave to the writer's copy (4 MiB): it copies these with the
/// check-ins of the next batch waiting.
const FEW: i64 = 1024;

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
    let started = std::time::Instant::now();
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
    let took = started.elapsed();
    crate::metrics::sqlite_rewrite(took);
    tracing::info!(
        seconds = took.as_secs_f64(),
        "the database file was rewritten"
    );
    Ok(())
}

/// After each of the group committer's batches (counted): its checkpoint on the writer, while
/// nothing is written, if the checkpoint task found the log long and copied all but a few frames, and no
/// page of a long reading job is open: the next batch then starts the log again from its
/// beginning.
pub(super) async fn copy_back_if_long(conn: &mut SqliteConnection, log: &Log) {
    log.batches.fetch_add(1, Ordering::SeqCst);
    if !log.staged.load(Ordering::SeqCst) || log.pages.load(Ordering::SeqCst) > 0 {
        return;
    }
    let started = std::time::Instant::now();
    if let Err(e) = sqlx::query(PASSIVE).execute(conn).await {
        tracing::warn!(error = %e, "the writer's WAL checkpoint failed; the next one tries again");
    }
    crate::metrics::log_copy_back(started.elapsed());
    log.copied_back();
}

/// Keeps the checkpoints going while it lives.
pub(super) struct Checkpoints {
    _running: oneshot::Sender<()>,
}

/// A passive checkpoint on the task's `conn`, its result told to `log`.
async fn checkpoint(conn: &mut SqliteConnection, log: &Log) {
    let batches = log.batches.load(Ordering::SeqCst);
    // (busy, frames in the log, frames copied back)
    match sqlx::query_as::<_, (i64, i64, i64)>(PASSIVE)
        .fetch_one(conn)
        .await
    {
        Ok((_, frames, copied)) => {
            let quiet = log.batches.load(Ordering::SeqCst) == batches;
            log.checkpointed(frames, copied, quiet);
        }
        Err(e) => tracing::warn!(error = %e, "a WAL checkpoint failed; the next one tries again"),
    }
}

/// Starts checkpointing the database `options` opens, every [`EVERY`] and when a page asks.
pub(super) async fn start(
    options: &SqliteConnectOptions,
    log: Arc<Log>,
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
                _ = tick.tick() => checkpoint(&mut conn, &log).await,
                () = log.wanted.notified() => checkpoint(&mut conn, &log).await,
            }
        }
        let _ = conn.close().await;
    });
    Ok(Checkpoints { _running: running })
}

#[cfg(test)]
mod tests;
