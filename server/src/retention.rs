//! The daily retention run: every tenant's visits older than its `retention_days` are removed with
//! everything that hangs on them, in batches of [`BATCH`] visits, each its own short transaction
//! (no long lock; check-ins go on between them), from the UTC hour of the day the operator chose
//! (on SQLite the run ends by rewriting the file, and writes wait for that). Every replica looks
//! every `poll`; a tenant's run of a UTC day is claimed by one row
//! ([`TenantTx::claim_retention`](crate::store::TenantTx)), so one replica does it and the others
//! find it done. A run cut short (a crash) leaves the rest to the next day's. Progress goes to the
//! log, the counts to the metrics and to one audit entry.

use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};

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
        if !due(store.clock().now(), from_hour) {
            return Ok(Removed::default());
        }
        run_once(store).await
    })
    .await;
}

/// Whether a look at `now` may start the day's runs: from the UTC hour `from_hour` on.
fn due(now: DateTime<Utc>, from_hour: u32) -> bool {
    now.hour() >= from_hour
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    #[test]
    fn runs_start_from_the_hour_chosen() {
        let at = |h, m| {
            Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0)
                .single()
                .expect("a time")
        };
        assert!(!super::due(at(1, 59), 2));
        assert!(super::due(at(2, 0), 2));
        assert!(super::due(at(23, 59), 2));
        assert!(
            super::due(at(0, 0), 0),
            "0: from the day's start, as before"
        );
    }
}
