//! The audit sealer (PostgreSQL): check-ins leave their audit entries in `audit_pending`
//! (migration 0009) instead of queueing on their tenant's chain head from start to commit; this
//! moves a tenant's pending entries into the hash chain in one transaction of its own, in the
//! order of their ids (UUIDv7: the check-in's time). Only that transaction holds the chain head
//! (`FOR NO KEY UPDATE` of the tenant row, which check-ins' key share does not conflict with, and
//! which queues behind any other writer appending to the chain), so the chain never forks.
//!
//! Every process seals the tenants it just checked visitors in for (a task woken after each
//! commit), and the log is sealed before it is listed or verified, so an entry waits for its
//! place in the chain for about one transaction. One transaction seals whatever is pending: under
//! load a tenant's entries are chained in batches, much like SQLite's group commit. Every
//! [`SWEEP`] the task also seals every tenant that has entries waiting (migration 0010 lets that
//! one query see them all): what a process that died between a check-in's commit and its sealing
//! left behind waits no longer than that.

use std::{collections::HashSet, time::Duration};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::audit::{Entry, append};
use super::{Engine, Store, Tx};
use crate::{error::Error, ids::TenantId};

/// How often every tenant with entries waiting is sealed.
const SWEEP: Duration = Duration::from_secs(30);

#[derive(sqlx::FromRow)]
struct Pending {
    id: Uuid,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    target: String,
}

/// Wakes the sealing task for a tenant.
#[derive(Clone)]
pub(super) struct Sealer {
    tenants: mpsc::UnboundedSender<TenantId>,
}

impl Sealer {
    /// Starts the sealing task on `engine`; it ends when every handle is dropped.
    pub fn start(engine: Engine) -> Sealer {
        let (tenants, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(rx, engine));
        Sealer { tenants }
    }

    /// Asks for `tenant`'s pending entries to be sealed soon.
    pub fn kick(&self, tenant: TenantId) {
        let _ = self.tenants.send(tenant);
    }
}

async fn run(mut rx: mpsc::UnboundedReceiver<TenantId>, engine: Engine) {
    let mut woken = Vec::new();
    let mut sweep = tokio::time::interval_at(tokio::time::Instant::now() + SWEEP, SWEEP);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let tenants: HashSet<TenantId> = tokio::select! {
            n = rx.recv_many(&mut woken, 1024) => {
                if n == 0 {
                    return;
                }
                woken.drain(..).collect()
            }
            _ = sweep.tick() => match waiting(&engine).await {
                Ok(tenants) => tenants.into_iter().collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "finding audit entries to seal failed");
                    continue;
                }
            },
        };
        for tenant in tenants {
            if let Err(e) = seal(&engine, tenant).await {
                tracing::warn!(error = %e, "sealing audit entries failed; they are sealed on the next try");
            }
        }
    }
}

/// The tenants that have entries waiting to be sealed (at most 1,000 a sweep).
async fn waiting(engine: &Engine) -> Result<Vec<TenantId>, Error> {
    const SCOPE: &str = "SELECT set_config('app.audit_sweep', 'on', true)";
    const TENANTS: &str = "SELECT DISTINCT tenant_id FROM audit_pending LIMIT 1000";
    let mut tx: Tx = engine.begin(false).await?;
    tx.execute(SCOPE, ()).await?;
    let tenants: Vec<(Uuid,)> = tx.fetch_all(TENANTS, ()).await?;
    tx.commit().await?;
    Ok(tenants.into_iter().map(|(t,)| TenantId(t)).collect())
}

impl Store {
    /// Chains `tenant`'s pending audit entries now (PostgreSQL; see `seal.rs`): before the log is
    /// listed or verified. Returns how many there were.
    pub async fn seal_audit(&self, tenant: TenantId) -> Result<usize, Error> {
        match self.sealer {
            Some(_) => seal(&self.engine, tenant).await,
            None => Ok(0),
        }
    }

    /// Tells the sealer that `tenant` has entries waiting (after a check-in written in a
    /// transaction of its own rather than by [`Store::check_in`]); nothing on SQLite.
    pub fn kick_sealer(&self, tenant: TenantId) {
        if let Some(sealer) = &self.sealer {
            sealer.kick(tenant);
        }
    }

    /// Seals every tenant that has entries waiting, as the sealing task does every [`SWEEP`]
    /// (PostgreSQL). Returns how many entries were sealed.
    pub async fn sweep_audit(&self) -> Result<usize, Error> {
        if self.sealer.is_none() {
            return Ok(0);
        }
        let mut sealed = 0;
        for tenant in waiting(&self.engine).await? {
            sealed += seal(&self.engine, tenant).await?;
        }
        Ok(sealed)
    }
}

/// Chains `tenant`'s pending audit entries; returns how many.
pub(super) async fn seal(engine: &Engine, tenant: TenantId) -> Result<usize, Error> {
    const HEAD: &str = "SELECT audit_seq, audit_head FROM tenants WHERE id = $1 FOR NO KEY UPDATE";
    const TAKE: &str =
        "DELETE FROM audit_pending WHERE tenant_id = $1 RETURNING id, at, actor, action, target";
    let mut tx: Tx = engine.begin_in(true, tenant).await?;
    let Some(head) = tx
        .fetch_optional::<(i64, Vec<u8>)>(HEAD, (tenant.0,))
        .await?
    else {
        return Ok(0);
    };
    let mut pending: Vec<Pending> = tx.fetch_all(TAKE, (tenant.0,)).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    pending.sort_by_key(|p| p.id);
    let entries = pending.iter().map(|p| Entry {
        at: p.at,
        actor: &p.actor,
        action: &p.action,
        target: &p.target,
    });
    append(&mut tx, tenant.0, head, entries).await?;
    tx.commit().await?;
    Ok(pending.len())
}
