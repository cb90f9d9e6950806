//! Group commit on SQLite: check-ins from concurrent requests are written by one committer (a
//! task on a thread and runtime of its own) that takes whatever is waiting (at most `max_batch`)
//! into one transaction; each request is answered only after its batch commits and the log is
//! synced (`log_sync.rs`: one `fdatasync` covers the batches committed before it began, and
//! the committer writes the next batch meanwhile).
//! Nothing waits for a batch to fill: a batch is what queued up while the previous one committed.
//!
//! Every statement is a hand-off to sqlx's worker thread and back, so a batch costs two of them,
//! whatever its size: `BEGIN IMMEDIATE` with one statement reading every check-in's facts
//! (`check_in.rs`'s query over a `VALUES` list of their parameters), then one multi-statement
//! query writing every check-in's rows and `COMMIT` (`commit/sql.rs`). The committer keeps the
//! writer connection from one batch to the next (sqlx tests a connection as it goes back to the pool: one more
//! hand-off) while no other writer waits for it (the engine counts them), so that the mail sender
//! and the console get their turn under a steady load. Between the two statements, the batch is
//! decided in memory
//! in arrival order: a check-in sees the ones before it (the audit chain advances from one to the
//! next, a repeated idempotency key replays or conflicts, a drawn badge code is not reused). The
//! transaction holds SQLite's write lock, so the facts stay true until the commit. If anything
//! fails (a statement, the commit), the batch is rolled back and each check-in runs again in a
//! transaction of its own, so one bad request never fails its neighbours.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, atomic::Ordering},
};

use sqlx::{Database, Sqlite, error::BoxDynError, pool::PoolConnection};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::check_in::{
    Chained, CheckInFacts, CheckInRows, FACTS_PARAMS, WRITE_PARAMS, chained, decide, facts_params,
    free_badge_code, index_keys, plan,
};
use super::keys::keys_at;
use super::log_sync::not_synced;
use super::query::{InOrder, Nth};
use super::{CheckedInRow, Engine, NewVisit, Tx};
use crate::{
    clock::Clock,
    crypto::{Crypto, TenantKeys},
    error::Error,
    ids::TenantId,
};

mod sql;

use sql::{facts_sql, write_sql};

/// A check-in's answer: the visit, and whether it replays an earlier request.
pub(super) type Answer = Result<(CheckedInRow, bool), Error>;

/// The most check-ins in one batch: SQLite binds at most 32,766 parameters to a query.
const MOST: usize = 1024;

struct Job {
    tenant: TenantId,
    new: NewVisit,
    reply: oneshot::Sender<Answer>,
}

/// The handle requests send their check-ins through.
#[derive(Clone)]
pub(super) struct Committer {
    jobs: mpsc::Sender<Job>,
}

impl Committer {
    /// Starts the committer on the engine's writer; it ends when every handle is dropped.
    ///
    /// It runs on a thread and runtime of its own: every statement of a batch is an await, and
    /// on the server's runtime each wake-up would queue behind the requests' tasks, while every
    /// request waits for the batch.
    pub fn start(
        engine: Engine,
        crypto: Arc<Crypto>,
        clock: Clock,
        max_batch: usize,
    ) -> std::io::Result<Committer> {
        let max_batch = max_batch.clamp(1, MOST);
        let (jobs, rx) = mpsc::channel(max_batch * 64);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("group-commit".into())
            .spawn(move || runtime.block_on(run(rx, engine, crypto, clock, max_batch)))?;
        Ok(Committer { jobs })
    }

    pub async fn submit(&self, tenant: TenantId, new: NewVisit) -> Answer {
        let (reply, answer) = oneshot::channel();
        let closed = || Error::Database(sqlx::Error::PoolClosed);
        self.jobs
            .send(Job { tenant, new, reply })
            .await
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

async fn run(
    mut rx: mpsc::Receiver<Job>,
    engine: Engine,
    crypto: Arc<Crypto>,
    clock: Clock,
    max_batch: usize,
) {
    let Engine::Sqlite {
        writer,
        wanted,
        log,
        sync,
        ..
    } = &engine
    else {
        return;
    };
    let mut batch = Vec::with_capacity(max_batch);
    let mut held: Option<PoolConnection<Sqlite>> = None;
    loop {
        // Idle, or another writer waiting (the mail sender, the console): the writer goes back
        // to the pool, and the committer queues behind them.
        if rx.is_empty() || wanted.load(Ordering::SeqCst) > 0 {
            held = None;
        }
        if rx.recv_many(&mut batch, max_batch).await == 0 {
            break;
        }
        crate::metrics::commit_batch(batch.len());
        let conn = match held.take() {
            Some(c) => Ok(c),
            None => writer.acquire().await,
        };
        let work: Vec<_> = batch.iter().map(|j| (j.tenant, &j.new)).collect();
        let done = match conn {
            Ok(conn) => {
                let (conn, answers) = on(conn, &crypto, &clock, &work).await;
                held = conn;
                answers
            }
            Err(e) => Err(e.into()),
        };
        match done {
            Ok(answers) => {
                // Answered once the log is on the disk, while the next batch is written.
                let replies: Vec<_> = batch.drain(..).map(|j| j.reply).zip(answers).collect();
                sync.then(move |synced| {
                    for (reply, answer) in replies {
                        let _ = reply.send(if synced { answer } else { Err(not_synced()) });
                    }
                });
                if let Some(conn) = held.as_mut() {
                    super::checkpoint::copy_back_if_long(conn, log).await;
                }
            }
            Err(e) => {
                held = None;
                tracing::warn!(error = %e, jobs = batch.len(), "a check-in batch failed; running each alone");
                for job in batch.drain(..) {
                    let answer = one_transaction(&engine, &crypto, &clock, &job).await;
                    let _ = job.reply.send(answer);
                }
            }
        }
    }
}

/// Runs `job` in a transaction of its own and commits it if it succeeds.
async fn one_transaction(engine: &Engine, crypto: &Crypto, clock: &Clock, job: &Job) -> Answer {
    let mut tx = engine.begin_in(true, job.tenant).await?;
    let keys = super::check_in::Keys::Read(crypto);
    let answer = super::check_in::check_in(&mut tx, keys, clock, job.tenant, &job.new).await?;
    tx.commit().await?;
    Ok(answer)
}

/// Runs every check-in of `batch` in one transaction, in order, and commits it; `Err` (rolled
/// back) if a statement or the commit failed.
pub(super) async fn together(
    engine: &Engine,
    crypto: &Crypto,
    clock: &Clock,
    batch: &[(TenantId, &NewVisit)],
) -> Result<Vec<Answer>, Error> {
    let Engine::Sqlite {
        writer, log, sync, ..
    } = engine
    else {
        return Err(Error::Internal(anyhow::anyhow!("group commit is SQLite's")));
    };
    let (conn, answers) = on(writer.acquire().await?, crypto, clock, batch).await;
    // Batch after batch (the seed's), the log would grow as under the committer's load.
    if let Some(mut conn) = conn {
        super::checkpoint::copy_back_if_long(&mut conn, log).await;
    }
    let answers = answers?;
    sync.synced().await?;
    Ok(answers)
}

/// Runs `batch` on the writer `conn` (see [`check_in_all`]); gives the connection back if it is
/// still fit for the next batch: outside a transaction. After a failure it rolls back, and if
/// even that fails the connection is closed.
async fn on(
    conn: PoolConnection<Sqlite>,
    crypto: &Crypto,
    clock: &Clock,
    batch: &[(TenantId, &NewVisit)],
) -> (Option<PoolConnection<Sqlite>>, Result<Vec<Answer>, Error>) {
    let mut tx = Tx::SqliteBatch(conn);
    let answers = check_in_all(&mut tx, crypto, clock, batch).await;
    let Tx::SqliteBatch(mut conn) = tx else {
        return (None, answers);
    };
    if answers.is_err() && sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
        // Still in the failed transaction, or broken: not to be used again.
        conn.close_on_drop();
        return (None, answers);
    }
    (Some(conn), answers)
}

/// A row of the batch's facts: the check-in it belongs to, and its facts.
#[derive(sqlx::FromRow)]
struct Numbered {
    i: i64,
    #[sqlx(flatten)]
    facts: CheckInFacts,
}

/// One check-in's write: its rows (`$1` to `$26`), then its audit entry's place in the chain.
struct Written(CheckInRows, Chained);

impl<DB: Database> Nth<DB> for Written
where
    CheckInRows: Nth<DB>,
    Chained: Nth<DB>,
{
    fn nth(&self, k: usize, args: &mut DB::Arguments) -> Result<(), BoxDynError> {
        const ROWS: usize = WRITE_PARAMS - 3;
        match k.checked_sub(ROWS) {
            Some(c) if c > 0 => self.1.nth(c, args),
            _ => self.0.nth(k, args),
        }
    }
}

/// What the batch has decided so far for one tenant: its keys and its audit chain head.
type Tenant = (Arc<TenantKeys>, (i64, Vec<u8>));

/// An idempotency key in the batch: (tenant, kiosk, key) → (request hash, the visit).
type Keyed = HashMap<(TenantId, Option<Uuid>, String), (Vec<u8>, CheckedInRow)>;

async fn check_in_all(
    tx: &mut Tx,
    crypto: &Crypto,
    clock: &Clock,
    batch: &[(TenantId, &NewVisit)],
) -> Result<Vec<Answer>, Error> {
    let drawn: Vec<String> = batch.iter().map(|(_, new)| new.badge()).collect();
    // The blind indexes the facts look for, under each tenant's keys (read before the
    // transaction begins when a tenant's are not cached). A tenant that does not exist has no
    // keys, and no facts: its check-ins are `NotFound` below.
    let mut index: HashMap<TenantId, Option<Arc<TenantKeys>>> = HashMap::new();
    for (tenant, _) in batch {
        if !index.contains_key(tenant) {
            let keys = match index_keys(tx, crypto, *tenant).await {
                Err(Error::NotFound) => None,
                keys => Some(keys?),
            };
            index.insert(*tenant, keys);
        }
    }
    let now = clock.now();
    let mut params = Vec::with_capacity(batch.len());
    for ((tenant, new), badge) in batch.iter().zip(&drawn) {
        let keys = index.get(tenant).and_then(Option::as_deref);
        let (host, kiosk, key, badge, email_idx, name_idx, at) =
            facts_params(new, badge, keys, now);
        params.push((tenant.0, host, kiosk, key, badge, email_idx, name_idx, at));
    }
    // The transaction begins in the facts' statement and commits in the write's.
    let q = facts_sql(batch.len());
    let params = InOrder {
        rows: params,
        per: FACTS_PARAMS,
        refs: q.refs,
    };
    let rows: Vec<Numbered> = tx.fetch_all(q.sql, params).await?;
    let mut facts: Vec<Option<CheckInFacts>> = batch.iter().map(|_| None).collect();
    for r in rows {
        if let Some(slot) = usize::try_from(r.i).ok().and_then(|i| facts.get_mut(i)) {
            slot.get_or_insert(r.facts);
        }
    }
    let mut tenants: HashMap<TenantId, Tenant> = HashMap::new();
    let mut keyed = Keyed::new();
    let mut badges: HashSet<(TenantId, String)> = HashSet::new();
    let mut writes = Vec::new();
    let mut answers = Vec::with_capacity(batch.len());
    for ((&(tenant, new), facts), badge) in batch.iter().zip(facts).zip(drawn) {
        let key = new
            .idempotency
            .clone()
            .map(|(k, hash)| ((tenant, new.kiosk_id, k), hash));
        let earlier = key.as_ref().and_then(|(k, _)| keyed.get(k));
        // Answered from the facts and the batch so far, or to be written.
        let facts = match (facts, earlier) {
            (None, _) => Err(Err(Error::NotFound)),
            (Some(_), Some((hash, row))) => Err(match &key {
                Some((_, h)) if h == hash => Ok((row.clone(), true)),
                _ => Err(Error::IdempotencyMismatch),
            }),
            (Some(facts), None) => match decide(&facts, new) {
                Ok(None) => Ok(facts),
                Ok(Some(earlier)) => Err(Ok((earlier, true))),
                Err(refused) => Err(Err(refused)),
            },
        };
        let facts = match facts {
            Ok(facts) => facts,
            Err(answer) => {
                answers.push(answer);
                continue;
            }
        };
        let badge = if facts.badge_taken || badges.contains(&(tenant, badge.clone())) {
            free_badge_code(tx, tenant, &badges).await?
        } else {
            badge
        };
        let (keys, head) = match tenants.remove(&tenant) {
            Some(t) => t,
            None => {
                let versions = (
                    facts.key_version as u32,
                    facts.min_decryption_version as u32,
                );
                let keys = keys_at(tx, crypto, tenant, versions).await?;
                (keys, (facts.audit_seq, facts.audit_head.clone()))
            }
        };
        let p = plan(&keys, tenant, new, &facts, badge, new.at(now))?;
        let chain = chained(&p.rows, head);
        tenants.insert(tenant, (keys, (chain.0, chain.2.clone())));
        badges.insert((tenant, p.row.badge_code.clone()));
        if let Some((k, hash)) = key {
            keyed.insert(k, (hash, p.row.clone()));
        }
        writes.push(Written(p.rows, chain));
        answers.push(Ok((p.row, false)));
    }
    if writes.is_empty() {
        tx.execute("COMMIT", ()).await?;
    } else {
        let q = write_sql(writes.len());
        let writes = InOrder {
            rows: writes,
            per: WRITE_PARAMS,
            refs: q.refs,
        };
        tx.execute(q.sql, writes).await?;
    }
    Ok(answers)
}
