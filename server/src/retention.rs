//! The daily retention run: every tenant's visits older than its `retention_days` are removed with
//! everything that hangs on them, in batches of [`BATCH`] visits, each its own short transaction
//! (no long lock; check-ins go on between them), from the UTC hour of the day the operator chose
//! (on SQLite the run ends by rewriting the file, and writes wait for that). Every replica looks
//! every `poll`; a tenant's run of a UTC day is claimed by one row
//! ([`TenantTx::claim_retention`](crate::store::TenantTx)), so one replica does it and the others
//! find it done. A run cut short (a crash) leaves the rest to the next day's. Progress goes to the
//! log, the counts to the metrics and to one audit entry.

use std::time::Duration;

use chrono::Timelike;

use tokio::sync::watch;

use crate::{
    error::Error,
    ids::TenantId,
    metrics,
    store::{Removed, Store},
};

/// Visits removed per transaction.
pub const BATCH: i64 = 500;

/// Runs every tenant's retention of today that has not run yet; returns what it removed.
pub async fn run_once(store: &Store) -> Result<Removed, Error> {
    let now = store.clock().now();
    let day = now.date_naive();
    let mut g = store.global(false).await?;
    let due = g.retention_due(day).await?;
    g.commit().await?;
    let mut all = Removed::default();
    for (tenant, days) in due {
        let tenant = TenantId(tenant);
        let mut tx = store.write(tenant).await?;
        let mine = tx.claim_retention(day).await?;
        tx.commit().await?;
        if !mine {
            continue;
        }
        let cutoff = now - chrono::Duration::days(days.into());
        let mut removed = Removed::default();
        loop {
            let mut tx = store.write(tenant).await?;
            let batch = tx.remove_old_visits(cutoff, BATCH).await?;
            tx.commit().await?;
            if batch.visits == 0 {
                break;
            }
            removed += batch;
            tracing::info!(tenant = %tenant.0, visits = removed.visits, "retention: visits removed so far");
        }
        let mut tx = store.write(tenant).await?;
        removed += tx.remove_old_rest(cutoff).await?;
        tx.finish_retention(day, &removed).await?;
        tx.commit().await?;
        store.kick_sealer(tenant);
        for (kind, n) in [
            ("visits", removed.visits),
            ("visitors", removed.visitors),
            ("invites", removed.invites),
            ("passes", removed.passes),
            ("notifications", removed.notifications),
        ] {
            metrics::retention_removed(kind, n);
        }
        tracing::info!(tenant = %tenant.0, visits = removed.visits, visitors = removed.visitors,
            invites = removed.invites, passes = removed.passes, notifications = removed.notifications,
            "retention run done");
        all += removed;
    }
    if all != Removed::default() {
        store.scrub().await?;
    }
    Ok(all)
}

/// Looks for retention runs due every `poll`, from the UTC hour `from_hour` of each day, until
/// `stop` turns true.
pub async fn run(store: Store, poll: Duration, from_hour: u32, stop: watch::Receiver<bool>) {
    let store = &store;
    crate::periodic::every("the retention run", poll, stop, move || async move {
        if store.clock().now().hour() < from_hour {
            return Ok(Removed::default());
        }
        run_once(store).await
    })
    .await;
}
