//! The dashboard's figures: who is on site, who is still expected today (invitations), today's
//! check-ins and check-outs, and check-ins per day and per hour over the last 30 days, counted
//! from the visits' and invitations' times and states alone (no sealed field is opened). Days
//! and hours are the viewer's, by a fixed UTC offset.

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Timelike, Utc};
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
        const SQL: &str = "SELECT v.checked_in_at, v.checked_out_at, v.status FROM visits v \
                           WHERE v.tenant_id = $1 AND ($2 IS NULL OR v.site_id = $2) \
                           AND (v.checked_in_at >= $3 OR v.status = 'on_site') \
                           AND ($4 IS NULL OR v.host_id IN (SELECT id FROM hosts WHERE tenant_id = $1 AND email_idx = $4))";
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
        let rows: Vec<(DateTime<Utc>, Option<DateTime<Utc>>, String)> =
            self.fetch_all(SQL, (site, first_day, host_idx)).await?;

        let mut per_day = vec![0i64; STATS_DAYS as usize];
        let mut per_hour = [0i64; 24];
        let mut stats = VisitStats {
            on_site: 0,
            checked_in_today: 0,
            checked_out_today: 0,
            expected_today: 0,
            per_day: Vec::new(),
            per_hour: Vec::new(),
        };
        for (checked_in, checked_out, status) in rows {
            stats.on_site += i64::from(status == "on_site");
            stats.checked_out_today += i64::from(checked_out.is_some_and(|t| t >= today_start));
            if checked_in < first_day {
                continue;
            }
            stats.checked_in_today += i64::from(checked_in >= today_start);
            let local = checked_in.with_timezone(&offset);
            let day =
                (local.date_naive() - first_day.with_timezone(&offset).date_naive()).num_days();
            if let Some(n) = usize::try_from(day).ok().and_then(|d| per_day.get_mut(d)) {
                *n += 1;
            }
            per_hour[local.hour() as usize] += 1;
        }
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
        let host_idx = host_email.map(|e| self.keys.email_index(e));
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
