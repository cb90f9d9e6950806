//! The dashboard's figures: who is on site, who is still expected today (invitations), today's
//! check-ins and check-outs, and check-ins per day and per hour over the last 30 days, counted
//! from the visits' and invitations' times and states alone (no sealed field is opened). Days
//! and hours are the viewer's, by a fixed UTC offset. The engine counts, from indexes: the
//! check-ins per hour from the log's (`visits_log`), those on site from the partial
//! `visits_on_site`, today's check-outs from `visits_checked_out` (migration 0031), so that a
//! tenant of a million visits answers as fast as a new one.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};
use uuid::Uuid;
use vestibule_shared::{
    dto::visits::{DayCount, HourCount, VisitStats},
    types::Email,
};

use super::TenantTx;
use crate::error::Error;

/// How many days the charts cover, today included.
pub const STATS_DAYS: i64 = 30;

impl TenantTx {
    /// The figures for one site (or all), only of the hosts with `host_email` if given (a
    /// signed-in host's own), with days starting at midnight in `offset`.
    pub async fn visit_stats(
        &mut self,
        site: Option<Uuid>,
        host_email: Option<&Email>,
        offset: FixedOffset,
    ) -> Result<VisitStats, Error> {
        /// Which visits count: of the site (if given), of the hosts with the email index (if given).
        macro_rules! of {
            ($site:literal, $host:literal) => {
                concat!(
                    " AND (", $site, " IS NULL OR v.site_id = ", $site, ") AND (", $host,
                    " IS NULL OR v.host_id IN (SELECT id FROM hosts WHERE tenant_id = $1 AND email_idx = ",
                    $host, "))"
                )
            };
        }
        const ON_SITE: &str = concat!(
            "SELECT COUNT(*) FROM visits v WHERE v.tenant_id = $1 AND v.status = 'on_site'",
            of!("$2", "$3")
        );
        const OUT_SINCE: &str = concat!(
            "SELECT COUNT(*) FROM visits v WHERE v.tenant_id = $1 AND v.checked_out_at >= $4",
            of!("$2", "$3")
        );
        let host_idx = host_email.map(|e| self.keys.email_index(e));
        let now = self.now().with_timezone(&offset);
        let today = now.date_naive();
        let midnight = |days_ago: i64| -> DateTime<Utc> {
            (today - Duration::days(days_ago))
                .and_time(NaiveTime::MIN)
                .and_local_timezone(offset)
                .single()
                .map_or_else(|| self.now(), |t| t.with_timezone(&Utc))
        };
        let first_day = midnight(STATS_DAYS - 1);
        let today_start = midnight(0);
        let shift = i64::from(offset.local_minus_utc());
        // Check-ins per hour of the viewer's clock since the first day, counted by the engine
        // from the log's index (`visits_log` holds each visit's time).
        let hours: Vec<(i64, i64)> = self
            .fetch_all(
                self.tx.dialect().visits_per_hour(),
                (site, host_idx.clone(), shift, first_day),
            )
            .await?;
        let mut stats = VisitStats {
            on_site: self.scalar(ON_SITE, (site, host_idx.clone())).await?,
            checked_in_today: 0,
            checked_out_today: self
                .scalar(OUT_SINCE, (site, host_idx.clone(), today_start))
                .await?,
            expected_today: 0,
            per_day: Vec::new(),
            per_hour: Vec::new(),
        };
        let epoch = NaiveDate::default(); // 1970-01-01
        let first = (today - Duration::days(STATS_DAYS - 1) - epoch).num_days();
        let mut per_day = vec![0i64; STATS_DAYS as usize];
        let mut per_hour = [0i64; 24];
        for (hour, count) in hours {
            let day = hour.div_euclid(24) - first;
            if let Some(n) = usize::try_from(day).ok().and_then(|d| per_day.get_mut(d)) {
                *n += count;
            }
            if let Some(n) = usize::try_from(hour.rem_euclid(24))
                .ok()
                .and_then(|h| per_hour.get_mut(h))
            {
                *n += count;
            }
        }
        stats.checked_in_today = per_day.last().copied().unwrap_or(0);
        stats.per_day = per_day
            .into_iter()
            .enumerate()
            .map(|(i, count)| DayCount {
                date: (today - Duration::days(STATS_DAYS - 1 - i as i64)).to_string(),
                count,
            })
            .collect();
        stats.per_hour = (0u32..)
            .zip(per_hour)
            .map(|(hour, count)| HourCount { hour, count })
            .collect();
        const EXPECTED: &str = "SELECT COUNT(*) FROM invites i WHERE i.tenant_id = $1 AND ($2 IS NULL OR i.site_id = $2) \
             AND i.state = 'expected' AND i.expires_at > $3 AND i.expected_at >= $4 AND i.expected_at < $5 \
             AND ($6 IS NULL OR i.host_id IN (SELECT id FROM hosts WHERE tenant_id = $1 AND email_idx = $6))";
        let tomorrow = today_start + Duration::days(1);
        stats.expected_today = self
            .scalar(
                EXPECTED,
                (site, self.now(), today_start, tomorrow, host_idx),
            )
            .await?;
        Ok(stats)
    }
}
