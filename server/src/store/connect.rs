//! Opening a store: the SQLite file in the data dir (WAL, `synchronous=FULL` but on the writer,
//! whose commits `log_sync.rs` syncs, foreign keys) or a PostgreSQL URL; embedded migrations run
//! before the pool is handed out. On PostgreSQL the URL's user (the schema owner) migrates and
//! records a fresh database's master key; the pool's queries then run as [`APP_ROLE`], which may
//! only read those (migration `0008_least_privilege.sql`).

use std::{path::Path, str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    Connection, Executor,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use super::{
    Engine, Store,
    kiosk_cache::{KioskCache, watch},
};
use crate::{
    clock::Clock,
    crypto::{Crypto, KeySource},
    error::Error,
};

/// The PostgreSQL role the server's queries run as: it owns no table and cannot bypass RLS.
pub const APP_ROLE: &str = "vestibule_app";

/// Rows a SQLite reader's thread may send ahead of the task reading them: a page of the visit
/// log's export (1,000) at once.
const ROWS_AHEAD: usize = 1_024;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A failed migration, said plainly; a database a newer build migrated is refused before
/// anything is written (sqlx checks what was applied before it applies anything).
fn migrate_error(
    engine: &str,
    known: &sqlx::migrate::Migrator,
    e: sqlx::migrate::MigrateError,
) -> Error {
    let latest = known.iter().map(|m| m.version).max().unwrap_or_default();
    match e {
        sqlx::migrate::MigrateError::VersionMissing(v) => Error::Config(format!(
            "this {engine} database was migrated by a newer vestibule-server (its schema has \
             migration {v}; this build knows up to {latest}): run that version or a later one, \
             or restore a backup made before the upgrade; nothing was changed"
        )),
        e => Error::Config(format!("migrating {engine}: {e}")),
    }
}

/// Longest the log's file stays once copied back (64 MiB, four times what the checkpoints let it
/// grow to under load): a log that grew under a long reader is cut back to it by the first
/// commit that starts it again, rather than kept at its largest.
pub(super) const LOG_KEPT: u64 = 64 << 20;

/// SQLite's writer: it leaves syncing its commits to `log_sync.rs` and checkpoints to
/// `checkpoint.rs`, and cuts the log back to [`LOG_KEPT`]. The group committer's queries are one
/// text per batch size (`commit.rs`): room for them.
pub(super) fn writer_options(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .synchronous(SqliteSynchronous::Normal)
        .statement_cache_capacity(512)
        .pragma("wal_autocheckpoint", "0")
        .pragma("journal_size_limit", LOG_KEPT.to_string())
}

impl Store {
    /// Opens `database_url` if given (PostgreSQL), else `<data_dir>/vestibule.db` (SQLite).
    pub async fn open(
        database_url: Option<&str>,
        data_dir: &Path,
        keys: &KeySource,
    ) -> Result<Store, Error> {
        Self::open_as(database_url, data_dir, keys, true).await
    }

    /// Opens like [`Store::open`], but on PostgreSQL the queries run as the URL's user (the schema
    /// owner) instead of [`APP_ROLE`]: for the `keys` commands, which walk every tenant and
    /// rewrite the master-key record, neither of which the app role may do.
    pub async fn open_as_owner(
        database_url: Option<&str>,
        data_dir: &Path,
        keys: &KeySource,
    ) -> Result<Store, Error> {
        Self::open_as(database_url, data_dir, keys, false).await
    }

    async fn open_as(
        database_url: Option<&str>,
        data_dir: &Path,
        keys: &KeySource,
        as_app: bool,
    ) -> Result<Store, Error> {
        match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Self::connect_postgres(url, 16, keys, as_app).await
            }
            Some(url) => Err(Error::Config(format!(
                "unsupported database URL scheme in {:?}: use postgres:// (or omit it for SQLite)",
                url.split(':').next().unwrap_or_default()
            ))),
            None => Self::open_sqlite(&data_dir.join("vestibule.db"), keys).await,
        }
    }

    /// Opens (creating if needed) the SQLite database at `path` and migrates it.
    pub async fn open_sqlite(path: &Path, keys: &KeySource) -> Result<Store, Error> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Deleted rows (destroyed keys above all) are overwritten, not just unlinked.
            .pragma("secure_delete", "ON")
            // Statement journals (a multi-row insert's) in memory, not in a file of their own.
            .pragma("temp_store", "MEMORY")
            .busy_timeout(Duration::from_secs(10));
        // A local file cannot hang up: no ping before each use (a round trip to the connection's
        // thread).
        let kiosks = Arc::new(KioskCache::default());
        let watched = kiosks.clone();
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                let cache = watched.clone();
                Box::pin(async move { watch(conn, cache).await })
            })
            .connect_with(writer_options(options.clone()))
            .await?;
        let sync = super::log_sync::LogSync::start(path).map_err(|e| Error::Internal(e.into()))?;
        let sync = Arc::new(sync);
        SQLITE_MIGRATIONS
            .run(&writer)
            .await
            .map_err(|e| migrate_error("SQLite", &SQLITE_MIGRATIONS, e))?;
        sync.synced().await?;
        let log = Arc::new(super::checkpoint::Log::default());
        let checkpoints = super::checkpoint::start(&options, log.clone()).await?;
        // A reader's thread hands its rows to the runtime through a channel of [`ROWS_AHEAD`]
        // (sqlx's default: 50): the export, which writes each row as it arrives, lets the thread
        // read a whole page ahead instead of stopping every 50 rows to be woken again.
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options.read_only(true).row_buffer_size(ROWS_AHEAD))
            .await?;
        let engine = Engine::Sqlite {
            writer,
            reader,
            wanted: Arc::default(),
            kiosks,
            log,
            sync,
        };
        let crypto = super::keys::kek_for(&engine, keys, &Clock::system()).await?;
        let mut store = Self::assemble(engine, crypto);
        store.checkpoints = Some(Arc::new(checkpoints));
        Ok(store)
    }

    /// Connects to PostgreSQL at `url`, migrates as the URL's user (the schema owner), then hands
    /// out a pool whose connections run as [`APP_ROLE`].
    pub async fn open_postgres(
        url: &str,
        max_connections: u32,
        keys: &KeySource,
    ) -> Result<Store, Error> {
        Self::connect_postgres(url, max_connections, keys, true).await
    }

    /// Migrates and proves the master key as the URL's user (the schema owner: it alone writes
    /// the migrations table and the master-key record), then hands out a pool whose connections
    /// run as [`APP_ROLE`] if `as_app`, else as that user.
    async fn connect_postgres(
        url: &str,
        max_connections: u32,
        keys: &KeySource,
        as_app: bool,
    ) -> Result<Store, Error> {
        let options = PgConnectOptions::from_str(url)?;
        let owner = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        let crypto = async {
            POSTGRES_MIGRATIONS
                .run(&owner)
                .await
                .map_err(|e| migrate_error("PostgreSQL", &POSTGRES_MIGRATIONS, e))?;
            let engine = Engine::Postgres(owner.clone());
            super::keys::kek_for(&engine, keys, &Clock::system()).await
        }
        .await;
        owner.close().await;
        let crypto = crypto?;
        // No test before each use (a round trip per transaction): a broken connection fails its
        // first statement, which runs again on another (`on_live`).
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(3));
        let pool = if as_app {
            pool.after_connect(|conn, _| {
                Box::pin(async move {
                    let user: String = sqlx::query_scalar("SELECT current_user::text")
                        .fetch_one(&mut *conn)
                        .await?;
                    if user != APP_ROLE {
                        conn.execute("SET ROLE vestibule_app").await?;
                    }
                    Ok(())
                })
            })
        } else {
            pool
        };
        let pool = pool.connect_with(options).await?;
        Ok(Self::assemble(Engine::Postgres(pool), crypto))
    }

    /// Writes a consistent copy of the SQLite database at `db` to `out` (`VACUUM INTO`), while the
    /// server may keep running. Personal fields stay sealed in the copy; the master key is not in it.
    pub async fn backup_sqlite(db: &Path, out: &Path) -> Result<(), Error> {
        if out.exists() {
            return Err(Error::Config(format!(
                "{} exists; choose a new file",
                out.display()
            )));
        }
        let options = SqliteConnectOptions::new()
            .filename(db)
            .read_only(true)
            .busy_timeout(Duration::from_secs(10));
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
        sqlx::query("VACUUM INTO $1")
            .bind(out.display().to_string())
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        Ok(())
    }

    /// Restores a copy made by [`Store::backup_sqlite`] as the database at `db`, which must not
    /// exist yet (stop the server and move the old database away first). The copy is checked
    /// (`PRAGMA integrity_check`) before it is put in place; the caller then opens it with its key
    /// source, which proves the master key is the one the copy was written under.
    pub async fn restore_sqlite(backup: &Path, db: &Path) -> Result<(), Error> {
        if db.exists() {
            return Err(Error::Config(format!(
                "{} exists: stop the server and move it away before restoring",
                db.display()
            )));
        }
        let options = SqliteConnectOptions::new().filename(backup).read_only(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
        let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await?;
        conn.close().await?;
        if verdict != "ok" {
            return Err(Error::Config(format!(
                "{} is damaged: {verdict}",
                backup.display()
            )));
        }
        let partial = db.with_extension("db.restoring");
        std::fs::copy(backup, &partial)
            .map_err(|e| Error::Config(format!("copying {}: {e}", backup.display())))?;
        std::fs::File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::Config(format!("syncing the copy: {e}")))?;
        std::fs::rename(&partial, db)
            .map_err(|e| Error::Config(format!("moving the copy into place: {e}")))?;
        Ok(())
    }

    /// Whether this process can serve: the database answers, its migrations are exactly the ones
    /// this build carries, and the master key the database names is at hand.
    pub async fn readiness(&self) -> Result<(), Error> {
        let latest = match &self.engine {
            Engine::Sqlite { .. } => &SQLITE_MIGRATIONS,
            Engine::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
        .iter()
        .map(|m| m.version)
        .max();
        let mut g = self.global(false).await?;
        let applied: Option<i64> =
            g.tx.scalar(
                "SELECT MAX(version) FROM _sqlx_migrations WHERE success",
                (),
            )
            .await?;
        g.commit().await?;
        if applied != latest {
            return Err(Error::NotReady(
                "the database schema is not the one this server expects",
            ));
        }
        let Some((kek_id, _)) = Self::kek_record(&self.engine).await? else {
            return Err(Error::NotReady("the database has no master key record"));
        };
        self.crypto
            .kek_named(&kek_id)
            .map_err(|_| Error::NotReady("the master key of the database is not loaded"))?;
        Ok(())
    }

    fn assemble(engine: Engine, crypto: Crypto) -> Store {
        let sealer = matches!(engine, Engine::Postgres(_))
            .then(|| super::seal::Sealer::start(engine.clone()));
        let events = super::events::Events::new();
        Store {
            engine,
            crypto: Arc::new(crypto),
            clock: Clock::system(),
            committer: None,
            sealer,
            checkpoints: None,
            events,
        }
    }

    /// Turns on group commit (SQLite only) with batches of at most `max_batch` writes; 1 (or
    /// PostgreSQL, which has its own commit path) keeps one transaction per write.
    /// Call it after [`Store::with_clock`]: the committer keeps the clock it starts with.
    pub fn with_group_commit(mut self, max_batch: usize) -> Result<Store, Error> {
        if matches!(self.engine, Engine::Sqlite { .. }) && max_batch > 1 {
            let committer = super::commit::Committer::start(
                self.engine.clone(),
                self.crypto.clone(),
                self.clock.clone(),
                max_batch,
            )
            .map_err(|e| Error::Config(format!("starting the group committer: {e}")))?;
            self.committer = Some(committer);
        }
        Ok(self)
    }

    /// This store with SQLite's reads going through a connection of its own, opened from the
    /// calling thread: SQLite reads on a thread the connection starts, which inherits the
    /// caller's scheduling priority (a background job's, `background.rs`). It closes with the
    /// copy. PostgreSQL's reading is the database's: the same store.
    pub async fn background(&self) -> Result<Store, Error> {
        let mut copy = self.clone();
        if let Engine::Sqlite { reader, .. } = &mut copy.engine {
            let options = (*reader.connect_options()).clone();
            *reader = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
        }
        Ok(copy)
    }

    /// This store with `clock` as its time source.
    pub fn with_clock(mut self, clock: Clock) -> Store {
        self.clock = clock;
        self
    }
}
