//! The daily automatic sign-out: at a site's `auto_checkout_at` (its own time, DST included)
//! everyone still on site is checked out, marked automatic and audited as `system`, the ordinary
//! check-out's work following (the host's email if the tenant wants it, a pass asked for); hosts
//! may be told beforehand that their visitor is still signed in (a tenant option). Every
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
        .find_map(|day| due_on(day, hh_mm, tz).filter(|(_, due)| *due <= now))
}

/// When the sign-out at `hh_mm` in `tz` falls due next, after `now`.
pub fn next_due(now: DateTime<Utc>, hh_mm: &str, tz: &str) -> Option<(NaiveDate, DateTime<Utc>)> {
    let today = days::local_date(now, tz).ok()?;
    [Some(today), today.succ_opt()]
        .into_iter()
        .flatten()
        .find_map(|day| due_on(day, hh_mm, tz).filter(|(_, due)| *due > now))
}

fn due_on(day: NaiveDate, hh_mm: &str, tz: &str) -> Option<(NaiveDate, DateTime<Utc>)> {
    days::at_time_of_day(day, hh_mm, tz).map(|due| (day, due))
}

/// Runs every sign-out due and not yet done, and every reminder to hosts before one (the tenant's
/// `sign_out_reminder_minutes`); returns how many visits it checked out.
pub async fn run_once(store: &Store) -> Result<usize, Error> {
    let mut g = store.global(false).await?;
    let sites = g.auto_checkout_sites().await?;
    g.commit().await?;
    let now = store.clock().now();
    let mut total = 0;
    for (tenant, site, hh_mm, tz) in sites {
        let tenant = TenantId(tenant);
        let mut tx = store.write(tenant).await?;
        let out = match last_due(now, &hh_mm, &tz) {
            Some((day, due)) => tx.auto_check_out(site, day, due).await?,
            None => None,
        };
        let before = tx.settings().await?.sign_out_reminder_minutes;
        let reminder = before.and_then(|m| {
            let (day, due) = next_due(now, &hh_mm, &tz)?;
            (now >= due - chrono::Duration::minutes(m.into())).then_some(day)
        });
        if let Some(day) = reminder
            && let Some(n) = tx.remind_before_sign_out(site, day).await?
        {
            tracing::info!(site = %site, %day, hosts = n, "reminded hosts before the sign-out");
        }
        tx.commit().await?;
        let Some(out) = out else { continue };
        store.kick_sealer(tenant);
        tracing::info!(site = %site, visits = out.len(), "automatic sign-out");
        total += out.len();
        for (visit_id, host) in out {
            let event = VisitEvent {
                visit_id,
                site_id: site,
                status: VisitStatus::CheckedOut,
                at: now,
                evacuation_id: None,
            };
            store.publish(tenant, host, event);
        }
    }
    Ok(total)
}

/// Looks for due sign-outs every `poll` until `stop` turns true.
pub async fn run(store: Store, poll: Duration, stop: watch::Receiver<bool>) {
    crate::periodic::every("the automatic sign-out", poll, stop, || run_once(&store)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_out_falls_due_at_the_sites_own_time_across_dst() {
        // (now, the site's time, its zone) → (the site's day, the instant it fell due).
        let cases = [
            // Berlin skips 02:00–03:00 on 29 March 2026: 02:30 falls due just after the gap.
            (
                "2026-03-29T01:40:00Z",
                "02:30",
                "Europe/Berlin",
                "2026-03-29",
                "2026-03-29T01:30:00Z",
            ),
            (
                "2026-03-29T01:20:00Z",
                "02:30",
                "Europe/Berlin",
                "2026-03-28",
                "2026-03-28T01:30:00Z",
            ),
            // 18:00 is 17:00 UTC before the change and 16:00 after; not yet today: yesterday's.
            (
                "2026-03-28T17:00:00Z",
                "18:00",
                "Europe/Berlin",
                "2026-03-28",
                "2026-03-28T17:00:00Z",
            ),
            (
                "2026-03-29T15:59:00Z",
                "18:00",
                "Europe/Berlin",
                "2026-03-28",
                "2026-03-28T17:00:00Z",
            ),
            (
                "2026-03-29T16:00:00Z",
                "18:00",
                "Europe/Berlin",
                "2026-03-29",
                "2026-03-29T16:00:00Z",
            ),
            // Berlin passes 02:00–03:00 twice on 25 October: the first 02:30 counts, even at the second.
            (
                "2026-10-25T01:00:00Z",
                "02:30",
                "Europe/Berlin",
                "2026-10-25",
                "2026-10-25T00:30:00Z",
            ),
            (
                "2026-10-25T01:31:00Z",
                "02:30",
                "Europe/Berlin",
                "2026-10-25",
                "2026-10-25T00:30:00Z",
            ),
            // New York, 8 March and 1 November 2026: 20:00 is 01:00 UTC in winter, 00:00 in summer.
            (
                "2026-03-08T12:00:00Z",
                "20:00",
                "America/New_York",
                "2026-03-07",
                "2026-03-08T01:00:00Z",
            ),
            (
                "2026-03-09T00:00:00Z",
                "20:00",
                "America/New_York",
                "2026-03-08",
                "2026-03-09T00:00:00Z",
            ),
            (
                "2026-11-01T12:00:00Z",
                "20:00",
                "America/New_York",
                "2026-10-31",
                "2026-11-01T00:00:00Z",
            ),
            (
                "2026-11-02T00:59:00Z",
                "20:00",
                "America/New_York",
                "2026-10-31",
                "2026-11-01T00:00:00Z",
            ),
            (
                "2026-11-02T01:00:00Z",
                "20:00",
                "America/New_York",
                "2026-11-01",
                "2026-11-02T01:00:00Z",
            ),
        ];
        for (now, at, tz, day, due) in cases {
            let want = (day.parse().expect("a day"), due.parse().expect("a time"));
            let now: DateTime<Utc> = now.parse().expect("a time");
            assert_eq!(last_due(now, at, tz), Some(want), "{now} {at} {tz}");
        }
    }
}
