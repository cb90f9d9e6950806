//! Group commit on SQLite: check-ins from concurrent requests are written by one committer task
//! that runs whatever is waiting (at most `max_batch` jobs) in one transaction, so one `fsync`
//! (`synchronous=FULL`) covers them all; each request is answered only after its batch commits.
//! Nothing waits for a batch to fill: a batch is what queued up while the previous one committed.
//!
//! A job runs inside the shared transaction after the jobs before it, so it sees their writes
//! (the audit chain and idempotency keys stay exact). If any job of a batch fails, the whole batch
//! is rolled back and its jobs run again one transaction each, so one bad request never fails its
//! neighbours; a job must therefore have no effect outside its transaction.

use std::{any::Any, sync::Arc};

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use super::{Engine, TenantTx, Tx, enter_keys};
use crate::{
    clock::Clock,
    crypto::{Crypto, TenantKeys},
    error::Error,
    ids::TenantId,
};

type Output = Result<Box<dyn Any + Send>, Error>;

/// A unit of work of one tenant, re-runnable.
pub(super) type Work =
    Arc<dyn Fn(TenantTx) -> BoxFuture<'static, (TenantTx, Output)> + Send + Sync>;

pub(super) struct Job {
    pub tenant: TenantId,
    pub clock: Clock,
    pub work: Work,
    pub reply: oneshot::Sender<Output>,
}

/// The handle requests send their jobs through.
#[derive(Clone)]
pub(super) struct Committer {
    jobs: mpsc::Sender<Job>,
}

impl Committer {
    /// Starts the committer task on the engine's writer; it ends when every handle is dropped.
    pub fn start(engine: Engine, crypto: Arc<Crypto>, max_batch: usize) -> Committer {
        let (jobs, rx) = mpsc::channel(max_batch.max(1) * 64);
        tokio::spawn(run(rx, engine, crypto, max_batch.max(1)));
        Committer { jobs }
    }

    pub async fn submit(&self, tenant: TenantId, clock: Clock, work: Work) -> Output {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                tenant,
                clock,
                work,
                reply,
            })
            .await
            .map_err(|_| Error::Database(sqlx::Error::PoolClosed))?;
        answer
            .await
            .map_err(|_| Error::Database(sqlx::Error::PoolClosed))?
    }
}

async fn run(mut rx: mpsc::Receiver<Job>, engine: Engine, crypto: Arc<Crypto>, max_batch: usize) {
    let mut batch = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        crate::metrics::commit_batch(batch.len());
        if batch.len() == 1 {
            let job = batch.pop().expect("one job");
            let out = one_transaction(&engine, &crypto, &job).await;
            let _ = job.reply.send(out);
            continue;
        }
        match shared_transaction(&engine, &crypto, &batch).await {
            Ok(outputs) => {
                for (job, out) in batch.drain(..).zip(outputs) {
                    let _ = job.reply.send(Ok(out));
                }
            }
            Err(()) => {
                for job in batch.drain(..) {
                    let out = one_transaction(&engine, &crypto, &job).await;
                    let _ = job.reply.send(out);
                }
            }
        }
    }
}

/// Runs `job` in a transaction of its own and commits it if it succeeds.
async fn one_transaction(engine: &Engine, crypto: &Crypto, job: &Job) -> Output {
    let mut tx = engine.begin(true).await?;
    let keys = enter_keys(&mut tx, crypto, job.tenant, true).await?;
    let (ttx, out) = (job.work)(TenantTx {
        tx,
        tenant: job.tenant,
        keys,
        clock: job.clock.clone(),
    })
    .await;
    if out.is_ok() {
        ttx.commit().await?;
    }
    out
}

/// Runs every job of `batch` in one transaction; `Err` (rolled back) if any of them, or the
/// commit, failed.
async fn shared_transaction(
    engine: &Engine,
    crypto: &Crypto,
    batch: &[Job],
) -> Result<Vec<Box<dyn Any + Send>>, ()> {
    let mut tx: Tx = engine.begin(true).await.map_err(drop)?;
    let mut outputs = Vec::with_capacity(batch.len());
    let mut entered: Option<(TenantId, Arc<TenantKeys>)> = None;
    for job in batch {
        // This transaction holds SQLite's write lock: a tenant's key versions cannot change in it.
        let keys = match &entered {
            Some((t, k)) if *t == job.tenant => k.clone(),
            _ => enter_keys(&mut tx, crypto, job.tenant, true)
                .await
                .map_err(drop)?,
        };
        entered = Some((job.tenant, keys.clone()));
        let (ttx, out) = (job.work)(TenantTx {
            tx,
            tenant: job.tenant,
            keys,
            clock: job.clock.clone(),
        })
        .await;
        tx = ttx.tx;
        outputs.push(out.map_err(drop)?);
    }
    tx.commit().await.map_err(drop)?;
    Ok(outputs)
}
