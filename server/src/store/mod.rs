//! Storage on two engines behind one seam. [`Store`] opens transactions; repository functions are
//! methods of [`TenantTx`] (which always carries its tenant and binds it into every query) or of
//! [`GlobalTx`] (the tenant registry, platform keys and the enrollment routing table).
//!
//! The SQL is written once in the dialect both engines accept (`$n` parameters, `RETURNING`,
//! `ON CONFLICT`). The helpers of `query.rs` (`execute`, `fetch_one`, `fetch_optional`,
//! `fetch_all`, `scalar`) bind a tuple of parameters (after the tenant, in a [`TenantTx`]) and run
//! the one text on whichever engine the transaction is on; the [`on_tx!`] macro under them expands
//! a query once per engine, so every query is type-checked against SQLite and PostgreSQL
//! separately with their native types (uuid, timestamptz, bytea on PostgreSQL). The few statements
//! that truly differ (how transactions begin, the tenant setting, row locks, the outbox claim, the
//! check-in's one-round-trip write) are in `dialect/sqlite.rs` and `dialect/postgres.rs`, behind
//! the one trait of `dialect/mod.rs` ([`Tx::dialect`]); no repository function names an engine.
//! Opening a store (`connect.rs`: pools, migrations, which are per engine) and SQLite's group
//! commit (`commit.rs`) are the only other engine-specific code.
//!
//! Tenancy on PostgreSQL is enforced by row-level security as well: a tenant transaction first sets
//! the dialect's tenant setting (transaction-local), and the pool's connections run as
//! `vestibule_app`, which sees no tenant row outside its tenant (a [`GlobalTx`] finds a tenant or
//! an enrollment code through the dialect's lookups) and cannot write the migrations or the
//! master-key record: the URL's user (the owner) migrates and records a fresh database's master
//! key, and the `keys` commands open their store with [`Store::open_as_owner`].
//!
//! Entering a tenant reads its key versions from the tenant row (a write transaction on
//! PostgreSQL locks that row, so a tenant's writers, on any replica, queue behind each other and
//! behind key rotation); cached keys are used only while those versions are unchanged, so every
//! process writes under the current data key as soon as a rotation commits. PostgreSQL reads run
//! as one read-only snapshot.

mod accounts;
mod api_keys;
mod audit;
mod badge_misses;
mod check_in;
mod checkpoint;
mod commit;
mod connect;
mod dialect;
mod directory;
mod evacuations;
mod events;
mod integrations;
mod invites;
mod keys;
mod kiosk_cache;
mod kiosks;
mod log_sync;
mod offline;
mod outbox;
mod passes;
mod printers;
mod privacy;
mod query;
mod retention;
mod rotation;
mod saml;
mod scim;
mod seal;
pub mod sealed;
mod sessions;
mod settings;
mod sign_out;
mod throttle;
mod visit_stats;
mod visitor_types;
mod visits;
mod watchlist;
mod webhook_deliveries;
mod webhook_facts;
mod webhooks;

pub use accounts::{TenantRoute, TenantRow, UserRow};
pub use api_keys::ApiKeyRow;
pub use audit::{Actor, AuditRow, ChainCheck};
pub use badge_misses::BadgeMisses;
pub use check_in::{CheckedInRow, Flow, NewVisit, Offline};
pub use checkpoint::OpenPage;
pub use connect::APP_ROLE;
pub use directory::{HostRow, NewHost, SiteRow};
pub use evacuations::{EvacuationRow, RollRow};
pub use events::{Change, Feed, GATHER_MS, VisitChange};
pub use integrations::{SmtpAccount, SmtpConfig};
pub use invites::{InviteRow, NewInvite};
pub use kiosks::{EnrollmentTarget, KioskRow};
pub use offline::OfflinePublic;
pub use outbox::{Backlog, Notification, OutboxItem, OutboxRow};
pub use passes::{PassHolder, PassRow};
pub use printers::{LogoRow, PrinterRow};
pub use retention::Removed;
pub use rotation::{KeyStatus, RekeyCursor};
pub use scim::{ScimFilter, ScimUserRow, ScimWrite};
pub use sessions::{SessionKind, SessionRow};
pub use throttle::{Throttle, ThrottleKey};
pub use visitor_types::{AgreementRow, NewRecord, SignedRow, TypeRow, VisitRecordRow};
pub use visits::{VisitFilterSql, VisitRow, status_of};
pub use watchlist::WatchRow;
pub use webhook_deliveries::{Attempt, DeliveryJob, DeliveryRow};
pub use webhook_facts::EventFacts;
pub use webhooks::{NewWebhook, Signing, WebhookRow};

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool};

use crate::{
    clock::Clock,
    crypto::{Crypto, TenantKeys},
    error::Error,
    ids::TenantId,
};
use dialect::Dialect;
use keys::{Hold, enter_keys};

/// The storage seam: a pool of one of the two engines.
#[derive(Clone)]
pub struct Store {
    engine: Engine,
    crypto: Arc<Crypto>,
    clock: Clock,
    /// SQLite's group committer (`None`: one transaction per write, as on PostgreSQL).
    committer: Option<commit::Committer>,
    /// PostgreSQL's audit sealer (`None` on SQLite, where check-ins chain their own entries).
    sealer: Option<seal::Sealer>,
    /// SQLite's WAL checkpoints, off the writer (`None` on PostgreSQL).
    checkpoints: Option<Arc<checkpoint::Checkpoints>>,
    /// Live visit changes, for the console.
    events: events::Events,
}

/// How many of a pool's connections are open and idle.
#[derive(Debug, Clone, Copy)]
pub struct PoolUse {
    pub name: &'static str,
    pub size: u32,
    pub idle: usize,
}

#[derive(Clone)]
enum Engine {
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

/// Runs `$body` with `$c` bound to the transaction's connection, once per engine (and `$db`, if
/// named, to the engine's `sqlx::Database` type).
macro_rules! on_tx {
    ($tx:expr, |$c:ident, $db:ident| $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t, _) => {
                type $db = ::sqlx::Sqlite;
                let $c = &mut **t;
                $body
            }
            $crate::store::Tx::SqliteBatch(t) => {
                type $db = ::sqlx::Sqlite;
                let $c = &mut **t;
                $body
            }
            $crate::store::Tx::Postgres(t) => {
                type $db = ::sqlx::Postgres;
                let $c = &mut **t;
                $body
            }
        }
    };
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t, _) => {
                let $c = &mut **t;
                $body
            }
            $crate::store::Tx::SqliteBatch(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::store::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

/// A transaction inside one tenant. Every repository method binds `self.tenant`.
pub struct TenantTx {
    pub(crate) tx: Tx,
    pub tenant: TenantId,
    pub(crate) keys: Arc<TenantKeys>,
    pub(crate) clock: Clock,
}

/// A transaction outside any tenant: on PostgreSQL no tenant row is visible in it.
pub struct GlobalTx {
    pub(crate) tx: Tx,
    pub(crate) clock: Clock,
}

impl Tx {
    async fn commit(self) -> Result<(), Error> {
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
    pub(super) async fn set_tenant(&mut self, tenant: TenantId) -> Result<(), Error> {
        if let Some(sql) = self.dialect().set_tenant() {
            self.execute(sql, (tenant.0.to_string(),)).await?;
        }
        Ok(())
    }
}

impl TenantTx {
    pub async fn commit(self) -> Result<(), Error> {
        self.tx.commit().await
    }

    /// The current time, from the store's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

impl GlobalTx {
    pub async fn commit(self) -> Result<(), Error> {
        self.tx.commit().await
    }

    /// The current time, from the store's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The tenant setting this transaction's connection carries (PostgreSQL; `None` on SQLite).
    /// Outside a tenant transaction it must be empty: the setting is transaction-local.
    pub async fn current_tenant_setting(&mut self) -> Result<Option<String>, Error> {
        match self.tx.dialect().tenant_setting() {
            Some(sql) => self.tx.scalar(sql, ()).await,
            None => Ok(None),
        }
    }
}

impl Store {
    /// Opens a read-write transaction in `tenant`.
    pub async fn write(&self, tenant: TenantId) -> Result<TenantTx, Error> {
        let tx = self.engine.begin_in(true, tenant).await?;
        self.enter(tx, tenant, Hold::Alone).await
    }

    /// Opens a read-write transaction in `tenant` that does not hold up the tenant's other writers
    /// that open theirs this way (check-ins, the mail sender), only key rotation (PostgreSQL;
    /// SQLite has one writer anyway). For work that never moves the audit chain head itself.
    pub async fn write_beside(&self, tenant: TenantId) -> Result<TenantTx, Error> {
        let tx = self.engine.begin_in(true, tenant).await?;
        self.enter(tx, tenant, Hold::Beside).await
    }

    /// Opens a page of a long reading job (the export), to hold while the page is read: between
    /// two pages, SQLite's write-ahead log is copied back and starts again (`checkpoint.rs`).
    pub async fn open_page(&self) -> OpenPage {
        match &self.engine {
            Engine::Sqlite { log, .. } => checkpoint::Log::open_page(log).await,
            Engine::Postgres(_) => OpenPage::none(),
        }
    }

    /// Opens a read-only transaction in `tenant` (on SQLite it does not wait for the writer).
    pub async fn read(&self, tenant: TenantId) -> Result<TenantTx, Error> {
        let tx = self.engine.begin_in(false, tenant).await?;
        self.enter(tx, tenant, Hold::Nothing).await
    }

    /// Opens a transaction outside any tenant.
    pub async fn global(&self, write: bool) -> Result<GlobalTx, Error> {
        Ok(GlobalTx {
            tx: self.begin(write).await?,
            clock: self.clock.clone(),
        })
    }

    /// Moves a global write transaction into `tenant` (once the tenant is known, as in enrollment).
    pub async fn switch(&self, tx: GlobalTx, tenant: TenantId) -> Result<TenantTx, Error> {
        let mut tx = tx.tx;
        tx.set_tenant(tenant).await?;
        self.enter(tx, tenant, Hold::Alone).await
    }

    async fn begin(&self, write: bool) -> Result<Tx, Error> {
        self.engine.begin(write).await
    }

    /// Enters `tenant` in `tx`, which is already pointed at it.
    async fn enter(&self, mut tx: Tx, tenant: TenantId, hold: Hold) -> Result<TenantTx, Error> {
        let keys = enter_keys(&mut tx, &self.crypto, tenant, hold).await?;
        Ok(TenantTx {
            tx,
            tenant,
            keys,
            clock: self.clock.clone(),
        })
    }

    /// Checks a visitor in (see `check_in.rs`) and commits; returns the visit and whether it
    /// replays an earlier request with the same idempotency key. On SQLite with group commit,
    /// concurrent check-ins share one transaction (`commit.rs`); this returns once it committed.
    pub async fn check_in(
        &self,
        tenant: TenantId,
        new: NewVisit,
    ) -> Result<(CheckedInRow, bool), Error> {
        if let Some(committer) = &self.committer {
            return committer.submit(tenant, new).await;
        }
        // Check-ins of a tenant run side by side on PostgreSQL: two of them may take the same
        // idempotency key (or badge code) at once, and the one that loses to the unique index
        // runs again, to find the winner's visit (or draw another code).
        let mut again = true;
        loop {
            let mut tx = self.engine.begin_in(true, tenant).await?;
            let keys = check_in::Keys::Read(&self.crypto);
            match check_in::check_in(&mut tx, keys, &self.clock, tenant, &new).await {
                Err(e) if again && is_unique_violation(&e) => again = false,
                out => {
                    let out = out?;
                    tx.commit().await?;
                    if let Some(sealer) = &self.sealer {
                        sealer.kick(tenant);
                    }
                    return Ok(out);
                }
            }
        }
    }

    /// Checks in several visitors as one batch: on SQLite in one transaction, in order, exactly
    /// as the group committer does (one statement reads them all, one writes them all); on
    /// PostgreSQL side by side. Each gets its own answer. For the storage conformance suite.
    pub async fn check_in_together(
        &self,
        batch: Vec<(TenantId, NewVisit)>,
    ) -> Result<Vec<Result<(CheckedInRow, bool), Error>>, Error> {
        if matches!(self.engine, Engine::Sqlite { .. }) {
            let work: Vec<_> = batch.iter().map(|(t, new)| (*t, new)).collect();
            return commit::together(&self.engine, &self.crypto, &self.clock, &work).await;
        }
        let each = batch.into_iter().map(|(t, new)| self.check_in(t, new));
        Ok(futures::future::join_all(each).await)
    }

    /// The clock every transaction of this store reads the time from.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// How the engine's connection pools are used (for the metrics).
    pub fn pool_use(&self) -> Vec<PoolUse> {
        match &self.engine {
            Engine::Sqlite { writer, reader, .. } => vec![
                PoolUse {
                    name: "sqlite_writer",
                    size: writer.size(),
                    idle: writer.num_idle(),
                },
                PoolUse {
                    name: "sqlite_reader",
                    size: reader.size(),
                    idle: reader.num_idle(),
                },
            ],
            Engine::Postgres(pool) => vec![PoolUse {
                name: "postgres",
                size: pool.size(),
                idle: pool.num_idle(),
            }],
        }
    }

    /// Whether this store runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.engine, Engine::Postgres(_))
    }

    /// Closes every connection.
    pub async fn close(&self) {
        match &self.engine {
            Engine::Sqlite { writer, reader, .. } => {
                writer.close().await;
                reader.close().await;
            }
            Engine::Postgres(pool) => pool.close().await,
        }
    }
}

impl Engine {
    fn dialect(&self) -> &'static dyn Dialect {
        match self {
            Engine::Sqlite { .. } => &dialect::Sqlite,
            Engine::Postgres(_) => &dialect::Postgres,
        }
    }

    async fn begin(&self, write: bool) -> Result<Tx, Error> {
        self.begin_as(write, None).await
    }

    /// Begins a transaction already in `tenant` (see [`Dialect::begin_in_tenant`]); a tenant
    /// transaction that began otherwise sets the tenant itself ([`Tx::set_tenant`]).
    async fn begin_in(&self, write: bool, tenant: TenantId) -> Result<Tx, Error> {
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
    async fn scrub(&self) -> Result<(), Error> {
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

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(e: &Error) -> bool {
    matches!(e, Error::Database(sqlx::Error::Database(d)) if d.is_unique_violation())
}
