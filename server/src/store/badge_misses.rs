//! Unknown badge codes typed at each kiosk's check-out (`badge_misses`), so that guessing codes
//! slows down beyond the per-device rate limit: from the 10th miss in a row the kiosk must wait
//! before its next check-out, 1 s doubling with each further miss up to 60 s, so a valid
//! check-out is never held up for long. A right code clears the count; a count is forgotten
//! 15 minutes after its last miss.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::TenantTx;
use crate::error::Error;

/// Misses in a row from which the kiosk must wait.
const WAIT_FROM: i64 = 10;
/// The longest wait.
const MAX_WAIT_SECS: i64 = 60;
/// How long a count is remembered after its last miss.
const REMEMBER: Duration = Duration::minutes(15);

/// A kiosk's unknown badge codes in a row.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct BadgeMisses {
    pub misses: i64,
    pub blocked_until: Option<DateTime<Utc>>,
}

impl BadgeMisses {
    /// The seconds the kiosk must still wait at `now`, if any.
    pub fn wait_at(&self, now: DateTime<Utc>) -> Option<u64> {
        self.blocked_until
            .filter(|until| *until > now)
            .map(|until| {
                ((until - now).num_milliseconds() as u64)
                    .div_ceil(1000)
                    .max(1)
            })
    }
}

impl TenantTx {
    /// The kiosk's current count (zero if it has none, or not within 15 minutes).
    pub async fn badge_misses(&mut self, kiosk: Uuid) -> Result<BadgeMisses, Error> {
        const SQL: &str = "SELECT misses, blocked_until FROM badge_misses \
                           WHERE tenant_id = $1 AND kiosk_id = $2 AND last_miss_at >= $3";
        let since = self.now() - REMEMBER;
        Ok(self
            .fetch_optional(SQL, (kiosk, since))
            .await?
            .unwrap_or_default())
    }

    /// Counts a miss; from the 10th in a row, the kiosk must wait. Returns the new count.
    pub async fn record_badge_miss(&mut self, kiosk: Uuid) -> Result<BadgeMisses, Error> {
        const COUNT: &str = "INSERT INTO badge_misses (tenant_id, kiosk_id, misses, last_miss_at) \
            VALUES ($1, $2, 1, $3) ON CONFLICT (tenant_id, kiosk_id) DO UPDATE SET \
            misses = CASE WHEN badge_misses.last_miss_at < $4 THEN 1 ELSE badge_misses.misses + 1 END, \
            last_miss_at = $3 RETURNING misses";
        const WAIT: &str =
            "UPDATE badge_misses SET blocked_until = $3 WHERE tenant_id = $1 AND kiosk_id = $2";
        let now = self.now();
        let misses: i64 = self.scalar(COUNT, (kiosk, now, now - REMEMBER)).await?;
        let blocked_until = (misses >= WAIT_FROM).then(|| {
            let secs = 1i64 << (misses - WAIT_FROM).min(6);
            now + Duration::seconds(secs.min(MAX_WAIT_SECS))
        });
        self.execute(WAIT, (kiosk, blocked_until)).await?;
        Ok(BadgeMisses {
            misses,
            blocked_until,
        })
    }

    /// Forgets the kiosk's misses (after a right code).
    pub async fn clear_badge_misses(&mut self, kiosk: Uuid) -> Result<(), Error> {
        self.execute(
            "DELETE FROM badge_misses WHERE tenant_id = $1 AND kiosk_id = $2",
            (kiosk,),
        )
        .await?;
        Ok(())
    }
}
