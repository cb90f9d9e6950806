//! The checkpoints' tests: when the writer copies the log, that the log starts again (and is cut
//! back) between two pages of a long job, and that the scrub leaves no removed row.

use std::{
    collections::HashSet,
    sync::{Arc, atomic::Ordering},
};

use rand::{RngExt, seq::SliceRandom};

use super::{KioskCache, Log, copy_back_if_long};
use crate::store::connect::{LOG_KEPT, writer_options};
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

/// Inserts `n` rows of `bytes` zeroes each into `t` in one transaction.
async fn fill(conn: &mut SqliteConnection, n: i64, bytes: i64) {
    let rows = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
                INSERT INTO t (v) SELECT zeroblob($2) FROM n";
    sqlx::query(rows)
        .bind(n)
        .bind(bytes)
        .execute(conn)
        .await
        .expect("insert");
}

/// A database `t.db` with a table `t` in a fresh directory named for `test`: its writer (with
/// the store writer's options), a reader, and the length of its log now.
async fn writer_and_reader(
    test: &str,
) -> (
    std::path::PathBuf,
    SqliteConnection,
    SqliteConnection,
    impl Fn() -> u64,
) {
    let (dir, options) = wal_db(test);
    let mut writer = SqliteConnection::connect_with(&writer_options(options.clone()))
        .await
        .expect("writer");
    let reader = SqliteConnection::connect_with(&options)
        .await
        .expect("reader");
    sqlx::query("CREATE TABLE t (v BLOB)")
        .execute(&mut writer)
        .await
        .expect("table");
    let wal = dir.join("t.db-wal");
    let len = move || std::fs::metadata(&wal).expect("the log").len();
    (dir, writer, reader, len)
}

/// While a page of a long reading job is open the writer does not copy the log back; once
/// it is closed the writer does, and its next write starts the log again from its beginning
/// (the file does not grow: it would by a frame at least if the write went past the end).
#[tokio::test]
async fn the_log_starts_again_between_two_pages() {
    let (dir, mut writer, mut reader, wal) = writer_and_reader("log").await;
    let log = Arc::new(Log::default());
    fill(&mut writer, 200, 3000).await;
    let page = Log::open_page(&log).await;
    let mut read = reader.begin().await.expect("begin");
    let _: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
        .fetch_one(&mut *read)
        .await
        .expect("read");
    fill(&mut writer, 200, 3000).await;
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
    fill(&mut writer, 1, 3000).await;
    assert_eq!(wal(), long, "the log went on past its end");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A log that grew past [`LOG_KEPT`] under a long reader is cut back to it by the write that
/// starts it again, once it was copied back.
#[tokio::test]
async fn a_log_that_grew_is_cut_back() {
    let (dir, mut writer, mut reader, wal) = writer_and_reader("cut").await;
    let mut read = reader.begin().await.expect("begin");
    let _: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
        .fetch_one(&mut *read)
        .await
        .expect("read");
    let pages = i64::try_from(LOG_KEPT / 4096).expect("pages");
    fill(&mut writer, pages + 1000, 4000).await;
    assert!(wal() > LOG_KEPT, "the log grew to {}", wal());
    read.commit().await.expect("commit");
    let log = Log::default();
    log.staged.store(true, Ordering::SeqCst);
    copy_back_if_long(&mut writer, &log).await;
    fill(&mut writer, 1, 4000).await;
    assert!(wal() <= LOG_KEPT, "the log stayed at {}", wal());
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
