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
//! Opening a store (`connect.rs`: pools, migrations, which are per engine), the engines' pools
//! and transactions (`engine.rs`) and SQLite's group commit (`commit.rs`) are the only other
//! engine-specific code.
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
mod engine;
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
mod visit_changes;
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
pub use engine::Tx;
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

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::{
    clock::Clock,
    crypto::{Crypto, TenantKeys},
    error::Error,
    ids::TenantId,
};
use engine::{Engine, on_live};
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

/// Whether a database error is a unique-constraint violation.
pub fn is_unique_violation(e: &Error) -> bool {
    matches!(e, Error::Database(sqlx::Error::Database(d)) if d.is_unique_violation())
}
