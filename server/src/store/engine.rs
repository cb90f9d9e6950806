//! The two engines under the [`Store`](super::Store): which pools an [`Engine`] holds, the
//! transactions ([`Tx`]) it begins, on SQLite the writer's waiting list (the group committer
//! keeps the writer only while nobody else waits for it), and on PostgreSQL how a statement on a
//! connection broken by a database restart runs again on another ([`on_live`]).

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool};

use super::{checkpoint, dialect, kiosk_cache, log_sync};
use crate::{error::Error, ids::TenantId};
use dialect::Dialect;

/// The pools of one engine.
#[derive(Clone)]
pub(super) enum Engine {
    /// One writer connection (SQLite has one writer anyway; this avoids busy waits) and readers.
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
        /// How many are waiting for the writer other than the group committer, which keeps it
        /// from one batch to the next only while this is 0 (`commit.rs`).
        wanted: Arc<AtomicUsize>,
        /// The live kiosks by device token (`kiosk_cache.rs`).
        kiosks: Arc<kiosk_cache::KioskCache>,
        /// The write-ahead log's length: the group committer copies it back between two
        /// batches when it has grown long (`checkpoint.rs`).
        log: Arc<checkpoint::Log>,
        /// Syncs the log after the writer's commits (`log_sync.rs`).
        sync: Arc<log_sync::LogSync>,
    },
    Postgres(PgPool),
}

/// An open transaction on either engine.
pub enum Tx {
    /// A SQLite transaction; a writer's carries the kiosk cache it must empty if it changed
    /// `kiosks` (`kiosk_cache.rs`) and the log's sync its commit waits for (`log_sync.rs`).
    Sqlite(
        sqlx::Transaction<'static, Sqlite>,
        Option<(Arc<kiosk_cache::KioskCache>, Arc<log_sync::LogSync>)>,
    ),
    /// SQLite's writer, held by the group committer, which begins and commits its transactions
    /// in the statements of a batch (`commit.rs`).
    SqliteBatch(sqlx::pool::PoolConnection<Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub(super) async fn commit(self) -> Result<(), Error> {
        match self {
            Tx::Sqlite(t, None) => t.commit().await?,
            Tx::Sqlite(t, Some((kiosks, sync))) => {
                let touched = kiosks.take_touched();
                t.commit().await?;
                kiosks.settle(&touched);
                sync.synced().await?;
            }
            // Its batch commits in its own statements and is answered after the log's sync
            // (`commit.rs`): a `COMMIT` here would answer before the log reached the disk.
            Tx::SqliteBatch(_) => {
                let held = anyhow::anyhow!("the group committer's writer commits in its batch");
                return Err(Error::Internal(held));
            }
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// The statements that differ on this transaction's engine.
    pub(crate) fn dialect(&self) -> &'static dyn Dialect {
        match self {
            Tx::Sqlite(..) | Tx::SqliteBatch(_) => &dialect::Sqlite,
            Tx::Postgres(_) => &dialect::Postgres,
        }
    }

    /// Points the transaction's row-level security at `tenant` (PostgreSQL; SQLite binds the tenant
    /// in every query instead).
    pub(crate) async fn set_tenant(&mut self, tenant: TenantId) -> Result<(), Error> {
        if let Some(sql) = self.dialect().set_tenant() {
            self.execute(sql, (tenant.0.to_string(),)).await?;
        }
        Ok(())
    }
}

impl Engine {
    pub(super) fn dialect(&self) -> &'static dyn Dialect {
        match self {
            Engine::Sqlite { .. } => &dialect::Sqlite,
            Engine::Postgres(_) => &dialect::Postgres,
        }
    }

    pub(super) async fn begin(&self, write: bool) -> Result<Tx, Error> {
        self.begin_as(write, None).await
    }

    /// Begins a transaction already in `tenant` (see [`Dialect::begin_in_tenant`]); a tenant
    /// transaction that began otherwise sets the tenant itself ([`Tx::set_tenant`]).
    pub(super) async fn begin_in(&self, write: bool, tenant: TenantId) -> Result<Tx, Error> {
        match self.dialect().begin_in_tenant(write, tenant.0) {
            Some(sql) => self.begin_as(write, Some(sql)).await,
            None => {
                let mut tx = self.begin(write).await?;
                tx.set_tenant(tenant).await?;
                Ok(tx)
            }
        }
    }

    /// Begins with the dialect's statement, or `sql` if given.
    async fn begin_as(&self, write: bool, sql: Option<String>) -> Result<Tx, Error> {
        async fn begin<DB: sqlx::Database>(
            pool: &sqlx::Pool<DB>,
            sql: Option<sqlx::AssertSqlSafe<String>>,
        ) -> Result<sqlx::Transaction<'static, DB>, sqlx::Error> {
            match sql {
                Some(sql) => pool.begin_with(sql).await,
                None => pool.begin().await,
            }
        }
        let d = self.dialect();
        let given = if write {
            d.begin_write()
        } else {
            d.begin_read()
        };
        let sql = sql.or_else(|| given.map(str::to_owned));
        let safe = || sql.clone().map(sqlx::AssertSqlSafe);
        Ok(match self {
            Engine::Sqlite {
                writer,
                wanted,
                kiosks,
                sync,
                ..
            } if write => {
                let _waiting = Wanting::new(wanted);
                let writing = Some((kiosks.clone(), sync.clone()));
                Tx::Sqlite(begin(writer, safe()).await?, writing)
            }
            Engine::Sqlite { reader, .. } => Tx::Sqlite(begin(reader, safe()).await?, None),
            Engine::Postgres(pool) => {
                // sqlx counts a transaction only once its `BEGIN` has answered, so a begin
                // cancelled in between (a client that went away) leaves its connection inside
                // the transaction, and the pool hands it on. The begin runs on a task of its
                // own: a cancelled request drops the finished transaction, which rolls back.
                let pool = pool.clone();
                let begun = tokio::spawn(async move {
                    on_live(&pool, || begin(&pool, sql.clone().map(sqlx::AssertSqlSafe))).await
                });
                Tx::Postgres(begun.await.map_err(anyhow::Error::from)??)
            }
        })
    }

    /// Makes sure destroyed keys and removed rows leave no copy in the engine's files, on the
    /// writer: SQLite's file is rewritten and its log emptied ([`checkpoint::scrub`]); on
    /// PostgreSQL dead tuples go with autovacuum.
    pub(super) async fn scrub(&self) -> Result<(), Error> {
        match self {
            Engine::Sqlite {
                writer,
                wanted,
                kiosks,
                ..
            } => {
                let _waiting = Wanting::new(wanted);
                checkpoint::scrub(writer, kiosks).await
            }
            Engine::Postgres(_) => Ok(()),
        }
    }
}

/// Counts one more waiting for SQLite's writer while it lives.
struct Wanting<'a>(&'a AtomicUsize);

impl<'a> Wanting<'a> {
    fn new(wanted: &'a AtomicUsize) -> Wanting<'a> {
        wanted.fetch_add(1, Ordering::SeqCst);
        Wanting(wanted)
    }
}

impl Drop for Wanting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs `op` again, on another of the pool's connections, while it fails because the connection
/// it was given is broken: PostgreSQL's pool does not test a connection before handing it out
/// (a round trip per transaction), so after the database restarted each idle connection fails
/// once, at its first statement; every connection failing means the database is down.
pub(super) async fn on_live<T, F: Future<Output = Result<T, sqlx::Error>>>(
    pool: &PgPool,
    mut op: impl FnMut() -> F,
) -> Result<T, sqlx::Error> {
    let mut left = pool.options().get_max_connections();
    loop {
        match op().await {
            Err(e) if left > 0 && is_broken_connection(&e) => left -= 1,
            out => return out,
        }
    }
}

/// Whether `e` says the connection is closed under the statement (SQLSTATE class 08, or 57P:
/// the database was shut down), not that the database refused the statement.
fn is_broken_connection(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}
