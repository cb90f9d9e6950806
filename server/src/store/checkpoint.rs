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
mod tests {
    use std::{
        collections::HashSet,
        sync::{Arc, atomic::Ordering},
    };

    use rand::{RngExt, seq::SliceRandom};

    use super::{KioskCache, Log, copy_back_if_long};
    use sqlx::{
        Connection, SqliteConnection,
        sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions},
    };

    /// A fresh directory named for `test` and the options of a WAL database `t.db` in it.
    fn wal_db(test: &str) -> (std::path::PathBuf, SqliteConnectOptions) {
        let dir = std::env::temp_dir().join(format!("vestibule-{test}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let options = SqliteConnectOptions::new()
            .filename(dir.join("t.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        (dir, options)
    }

    /// A long log is left to the writer only once the checkpoint task copied all but a few
    /// frames; a log all copied with nothing written meanwhile is no longer long.
    #[test]
    fn the_writer_copies_only_what_the_task_could_not() {
        let log = Log::default();
        let state = |log: &Log| {
            (
                log.long.load(Ordering::SeqCst),
                log.staged.load(Ordering::SeqCst),
            )
        };
        log.checkpointed(super::LONG - 1, 0, false);
        assert_eq!(state(&log), (false, false), "short");
        log.checkpointed(super::LONG + 5000, 100, false);
        assert_eq!(state(&log), (true, false), "long, a reader in the way");
        log.checkpointed(super::LONG + 5000, super::LONG + 5000 - super::FEW, false);
        assert_eq!(state(&log), (true, true), "long, all but a few copied");
        log.checkpointed(super::LONG + 6000, super::LONG + 6000, false);
        assert_eq!(
            state(&log),
            (true, true),
            "all copied, but written meanwhile"
        );
        log.checkpointed(super::LONG + 6000, super::LONG + 6000, true);
        assert_eq!(state(&log), (false, false), "all copied");
    }

    /// While a page of a long reading job is open the writer does not copy the log back; once
    /// it is closed the writer does, and its next write starts the log again from its beginning
    /// (the file does not grow: it would by a frame at least if the write went past the end).
    #[tokio::test]
    async fn the_log_starts_again_between_two_pages() {
        let (dir, options) = wal_db("log");
        let options = options.pragma("wal_autocheckpoint", "0");
        let mut writer = SqliteConnection::connect_with(&options)
            .await
            .expect("writer");
        let mut reader = SqliteConnection::connect_with(&options)
            .await
            .expect("reader");
        let write = async |conn: &mut SqliteConnection, n: i64| {
            let rows = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
                        INSERT INTO t (v) SELECT zeroblob(3000) FROM n";
            sqlx::query(rows)
                .bind(n)
                .execute(conn)
                .await
                .expect("insert");
        };
        sqlx::query("CREATE TABLE t (v BLOB)")
            .execute(&mut writer)
            .await
            .expect("table");
        let log = Arc::new(Log::default());
        let wal = || {
            std::fs::metadata(dir.join("t.db-wal"))
                .expect("the log")
                .len()
        };
        write(&mut writer, 200).await;
        let page = Log::open_page(&log).await;
        let mut read = reader.begin().await.expect("begin");
        let _: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(&mut *read)
            .await
            .expect("read");
        write(&mut writer, 200).await;
        log.long.store(true, Ordering::SeqCst);
        log.staged.store(true, Ordering::SeqCst);
        copy_back_if_long(&mut writer, &log).await;
        assert!(
            log.long.load(Ordering::SeqCst),
            "copied while a page was open"
        );

        read.commit().await.expect("commit");
        drop(page);
        let long = wal();
        copy_back_if_long(&mut writer, &log).await;
        assert!(
            !log.long.load(Ordering::SeqCst),
            "not copied with no page open"
        );
        write(&mut writer, 1).await;
        assert_eq!(wal(), long, "the log went on past its end");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Rows deleted in a random order leave copies `secure_delete` does not reach (a row moved
    /// off a page while its neighbours went, deleted later where it moved to); after the scrub
    /// none of them is in the file, and every kept row still is.
    #[tokio::test]
    async fn the_scrub_leaves_no_removed_row_in_the_file() {
        let (dir, options) = wal_db("scrub");
        let options = options
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
