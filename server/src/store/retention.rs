//! Retention: what a tenant holds about visits older than its `retention_days` is removed, one
//! small batch of visits per transaction (the oldest first, with everything that hangs on them:
//! roll call marks, signatures, answers and photo, pass, invitation), then the rest that has no
//! visit left (visitors, expired passes, unused invitations, old notifications and roll calls).
//! Each tenant runs once per UTC day, whichever process claims the day's row first, and again
//! the same day when it lowered its `retention_days` ([`TenantTx::reopen_retention`]).

use chrono::{DateTime, NaiveDate, Utc};

use super::{Actor, TenantTx};
use crate::error::Error;

/// What a retention run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    pub visits: u64,
    pub visitors: u64,
    pub invites: u64,
    pub passes: u64,
    pub notifications: u64,
}

impl std::ops::AddAssign for Removed {
    fn add_assign(&mut self, o: Removed) {
        self.visits += o.visits;
        self.visitors += o.visitors;
        self.invites += o.invites;
        self.passes += o.passes;
        self.notifications += o.notifications;
    }
}

impl TenantTx {
    /// Claims the retention run of `day` for this process; false when it already ran (here or on
    /// another replica).
    pub async fn claim_retention(&mut self, day: NaiveDate) -> Result<bool, Error> {
        const SQL: &str = "INSERT INTO retention_runs (tenant_id, day, ran_at) VALUES ($1, $2, $3) \
                           ON CONFLICT DO NOTHING";
        Ok(self.execute(SQL, (day, self.now())).await? == 1)
    }

    /// Lets today's retention run happen again, at the next look for due runs: after the tenant
    /// lowered its `retention_days`, the visits now too old go then, not the next day.
    pub async fn reopen_retention(&mut self) -> Result<(), Error> {
        const SQL: &str = "DELETE FROM retention_runs WHERE tenant_id = $1 AND day = $2";
        self.execute(SQL, (self.now().date_naive(),)).await?;
        Ok(())
    }

    /// Removes the oldest visits checked in before `cutoff`, about `most` of them (all those of
    /// the last one's instant), with what hangs on them; `visits == 0` once none is left.
    pub async fn remove_old_visits(
        &mut self,
        cutoff: DateTime<Utc>,
        most: i64,
    ) -> Result<Removed, Error> {
        const NTH: &str = "SELECT checked_in_at FROM visits WHERE tenant_id = $1 AND checked_in_at < $2 \
                           ORDER BY checked_in_at LIMIT 1 OFFSET $3";
        const LAST: &str = "SELECT checked_in_at FROM visits WHERE tenant_id = $1 AND checked_in_at < $2 \
                            ORDER BY checked_in_at DESC LIMIT 1";
        let nth: Option<(DateTime<Utc>,)> = self.fetch_optional(NTH, (cutoff, most - 1)).await?;
        let upto = match nth {
            Some(n) => Some(n),
            None => self.fetch_optional(LAST, (cutoff,)).await?,
        };
        let Some((upto,)) = upto else {
            return Ok(Removed::default());
        };
        // Each statement names the batch's visits by the same subquery: visits at or before `$2`.
        const MARKS: &str = "DELETE FROM evacuation_people WHERE tenant_id = $1 AND visit_id IN \
                             (SELECT id FROM visits WHERE tenant_id = $1 AND checked_in_at <= $2)";
        const SIGNED: &str = "DELETE FROM visit_agreements WHERE tenant_id = $1 AND visit_id IN \
                              (SELECT id FROM visits WHERE tenant_id = $1 AND checked_in_at <= $2)";
        const RECORDS: &str = "DELETE FROM visit_records WHERE tenant_id = $1 AND id IN \
                               (SELECT id FROM visits WHERE tenant_id = $1 AND checked_in_at <= $2)";
        const PASSES: &str = "DELETE FROM visitor_passes WHERE tenant_id = $1 AND visit_id IN \
                              (SELECT id FROM visits WHERE tenant_id = $1 AND checked_in_at <= $2)";
        const INVITES: &str = "DELETE FROM invites WHERE tenant_id = $1 AND visit_id IN \
                               (SELECT id FROM visits WHERE tenant_id = $1 AND checked_in_at <= $2)";
        self.execute(MARKS, (upto,)).await?;
        self.execute(SIGNED, (upto,)).await?;
        self.execute(RECORDS, (upto,)).await?;
        let passes = self.execute(PASSES, (upto,)).await?;
        let invites = self.execute(INVITES, (upto,)).await?;
        const VISITS: &str = "DELETE FROM visits WHERE tenant_id = $1 AND checked_in_at <= $2";
        let visits = self.execute(VISITS, (upto,)).await?;
        Ok(Removed {
            visits,
            passes,
            invites,
            ..Removed::default()
        })
    }

    /// Removes what is older than `cutoff` and has no visit left: visitors, expired passes,
    /// invitations never used, notifications, roll calls.
    pub async fn remove_old_rest(&mut self, cutoff: DateTime<Utc>) -> Result<Removed, Error> {
        const PASSES: &str = "DELETE FROM visitor_passes WHERE tenant_id = $1 AND created_at < $2 \
                              AND (expires_at IS NULL OR expires_at < $2)";
        const INVITES: &str =
            "DELETE FROM invites WHERE tenant_id = $1 AND expected_at < $2 AND visit_id IS NULL";
        const VISITORS: &str = "DELETE FROM visitors WHERE tenant_id = $1 AND created_at < $2 \
                                AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.tenant_id = $1 AND v.visitor_id = visitors.id) \
                                AND NOT EXISTS (SELECT 1 FROM visitor_passes p WHERE p.tenant_id = $1 AND p.visitor_id = visitors.id)";
        const OUTBOX: &str = "DELETE FROM outbox WHERE tenant_id = $1 AND created_at < $2";
        const ROLL_CALLS: &str = "DELETE FROM evacuations WHERE tenant_id = $1 AND started_at < $2 \
                                  AND NOT EXISTS (SELECT 1 FROM evacuation_people p \
                                  WHERE p.tenant_id = $1 AND p.evacuation_id = evacuations.id)";
        let passes = self.execute(PASSES, (cutoff,)).await?;
        let invites = self.execute(INVITES, (cutoff,)).await?;
        let visitors = self.execute(VISITORS, (cutoff,)).await?;
        let notifications = self.execute(OUTBOX, (cutoff,)).await?;
        self.execute(ROLL_CALLS, (cutoff,)).await?;
        Ok(Removed {
            visits: 0,
            visitors,
            invites,
            passes,
            notifications,
        })
    }

    /// Records what the run of `day` removed, in its row and in the audit log (counts only).
    pub async fn finish_retention(&mut self, day: NaiveDate, r: &Removed) -> Result<(), Error> {
        const SQL: &str = "UPDATE retention_runs SET visits = $3 WHERE tenant_id = $1 AND day = $2";
        let visits = i32::try_from(r.visits).unwrap_or(i32::MAX);
        self.execute(SQL, (day, visits)).await?;
        self.audit(
            Actor::System,
            "retention.run",
            format!(
                "retention:{day}:visits={},visitors={},invites={},passes={},notifications={}",
                r.visits, r.visitors, r.invites, r.passes, r.notifications
            ),
        )
        .await
    }
}
