//! The daily automatic sign-out: at a site's `auto_checkout_at` (its own time, DST included)
//! everyone still on site is checked out, marked automatic and audited as `system`, the ordinary
//! check-out's work following (the host's email if the tenant wants it, a pass asked for). Every
//! replica looks every `poll`; for each site it works out the last time the sign-out fell due and
//! tries that day's run, which the store records once per site and day
//! ([`TenantTx::auto_check_out`](crate::store::TenantTx::auto_check_out)): one replica does it,
//! the others find it done, and a replica back from downtime finds a missed day still to do.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::watch;
use vestibule_shared::dto::visits::{VisitEvent, VisitStatus};

use crate::{days, error::Error, ids::TenantId, store::Store};

/// When the sign-out at `hh_mm` in `tz` last fell due, at or before `now`: the site's day and the
/// instant.
pub fn last_due(now: DateTime<Utc>, hh_mm: &str, tz: &str) -> Option<(NaiveDate, DateTime<Utc>)> {
    let today = days::local_date(now, tz).ok()?;
    [Some(today), today.pred_opt()]
        .into_iter()
        .flatten()
        .find_map(|day| {
            let due = days::at_time_of_day(day, hh_mm, tz)?;
            (due <= now).then_some((day, due))
        })
}

/// Runs every sign-out due and not yet done; returns how many visits it checked out.
pub async fn run_once(store: &Store) -> Result<usize, Error> {
    let mut g = store.global(false).await?;
    let sites = g.auto_checkout_sites().await?;
    g.commit().await?;
    let now = store.clock().now();
    let mut total = 0;
    for (tenant, site, hh_mm, tz) in sites {
        let Some((day, due)) = last_due(now, &hh_mm, &tz) else {
            continue;
        };
        let tenant = TenantId(tenant);
        let mut tx = store.write(tenant).await?;
        let out = tx.auto_check_out(site, day, due).await?;
        tx.commit().await?;
        let Some(out) = out else { continue };
        store.kick_sealer(tenant);
        tracing::info!(site = %site, %day, visits = out.len(), "automatic sign-out");
        total += out.len();
        for (visit_id, host) in out {
            let event = VisitEvent {
                visit_id,
                site_id: site,
                status: VisitStatus::CheckedOut,
                at: now,
            };
            store.publish(tenant, host, event).await;
        }
    }
    Ok(total)
}

/// Looks for due sign-outs every `poll` until `stop` turns true.
pub async fn run(store: Store, poll: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = run_once(&store).await {
            tracing::warn!(error = %e, "the automatic sign-out failed; trying again");
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("a time")
    }

    #[test]
    fn the_sign_out_falls_due_at_the_sites_own_time_across_dst() {
        // Berlin, spring forward on 29 March 2026 (02:00 → 03:00): 02:30 does not exist that day
        // and falls due just after the gap (01:30 UTC); 18:00 is 17:00 UTC before, 16:00 after.
        let berlin = "Europe/Berlin";
        let day = |d: &str| d.parse::<NaiveDate>().expect("a day");
        let due = |now: &str, at: &str, tz: &str| last_due(utc(now), at, tz);
        let is = |d: &str, at: &str| Some((day(d), utc(at)));
        assert_eq!(
            due("2026-03-29T01:40:00Z", "02:30", berlin),
            is("2026-03-29", "2026-03-29T01:30:00Z")
        );
        assert_eq!(
            due("2026-03-29T01:20:00Z", "02:30", berlin),
            is("2026-03-28", "2026-03-28T01:30:00Z")
        );
        assert_eq!(
            due("2026-03-28T17:00:00Z", "18:00", berlin),
            is("2026-03-28", "2026-03-28T17:00:00Z")
        );
        assert_eq!(
            due("2026-03-29T15:59:00Z", "18:00", berlin),
            is("2026-03-28", "2026-03-28T17:00:00Z")
        );
        assert_eq!(
            due("2026-03-29T16:00:00Z", "18:00", berlin),
            is("2026-03-29", "2026-03-29T16:00:00Z")
        );
        // Autumn, 25 October 2026 (03:00 → 02:00): 02:30 happens twice; the first one counts.
        assert_eq!(
            due("2026-10-25T02:00:00Z", "02:30", berlin),
            is("2026-10-25", "2026-10-25T00:30:00Z")
        );
        assert_eq!(
            due("2026-10-25T01:31:00Z", "02:30", berlin),
            is("2026-10-25", "2026-10-25T00:30:00Z"),
            "at the second 02:30, still the first"
        );
        // New York, 8 March and 1 November 2026: 20:00 is 01:00 UTC in winter, 00:00 in summer.
        let ny = "America/New_York";
        assert_eq!(
            due("2026-03-08T12:00:00Z", "20:00", ny),
            is("2026-03-07", "2026-03-08T01:00:00Z")
        );
        assert_eq!(
            due("2026-03-09T00:00:00Z", "20:00", ny),
            is("2026-03-08", "2026-03-09T00:00:00Z")
        );
        assert_eq!(
            due("2026-11-01T12:00:00Z", "20:00", ny),
            is("2026-10-31", "2026-11-01T00:00:00Z")
        );
        assert_eq!(
            due("2026-11-02T00:59:00Z", "20:00", ny),
            is("2026-10-31", "2026-11-01T00:00:00Z")
        );
        assert_eq!(
            due("2026-11-02T01:00:00Z", "20:00", ny),
            is("2026-11-01", "2026-11-02T01:00:00Z")
        );
    }
}
