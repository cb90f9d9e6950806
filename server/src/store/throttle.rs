//! Failed sign-in attempts, counted by what was typed (`auth_throttle`, a global table: the typed
//! tenant may not exist). The key is [`Crypto::throttle_key`](crate::crypto::Crypto::throttle_key)'s
//! keyed hash; no email or tenant is stored. From the 5th failure in a row an identity is locked
//! for 30 s, doubling up to an hour; a count older than a day starts over, and such rows are swept
//! by the next failure anywhere.

use chrono::{DateTime, Duration, Utc};
use vestibule_shared::types::Email;

use super::{GlobalTx, Store};
use crate::{crypto::Door, error::Error};

/// Failures from which an identity is locked.
const LOCK_FROM: i64 = 5;
/// How long a count is remembered after its last failure.
const REMEMBER: Duration = Duration::days(1);

/// Where failures of one typed identity are counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleKey(Vec<u8>);

/// The count of one identity's failures in a row.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Throttle {
    pub failures: i64,
    pub locked_until: Option<DateTime<Utc>>,
}

impl Throttle {
    /// The seconds until the lock ends, if it is locked at `now`.
    pub fn locked_for(&self, now: DateTime<Utc>) -> Option<u64> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| (until - now).num_seconds().max(1) as u64)
    }
}

impl Store {
    /// The counter of `email` typed at `door` in `scope` (the tenant slug as typed, or the id of
    /// the tenant the device belongs to).
    pub fn throttle_key(&self, door: Door, scope: &str, email: &Email) -> ThrottleKey {
        ThrottleKey(self.crypto.throttle_key(door, scope, email.as_str()))
    }
}

impl GlobalTx {
    /// The identity's current count (zero when it never failed, or not within a day).
    pub async fn throttle(&mut self, key: &ThrottleKey) -> Result<Throttle, Error> {
        const SQL: &str =
            "SELECT failures, locked_until FROM auth_throttle WHERE key = $1 AND updated_at >= $2";
        let since = self.now() - REMEMBER;
        Ok(self
            .tx
            .fetch_optional(SQL, (&key.0[..], since))
            .await?
            .unwrap_or_default())
    }

    /// Counts a failure; the 5th in a row and each after it locks the identity (30 s, doubling
    /// up to an hour). Returns the new count.
    pub async fn record_failure(&mut self, key: &ThrottleKey) -> Result<Throttle, Error> {
        const COUNT: &str = "INSERT INTO auth_throttle (key, failures, locked_until, updated_at) \
            VALUES ($1, 1, NULL, $2) ON CONFLICT (key) DO UPDATE SET \
            failures = CASE WHEN auth_throttle.updated_at < $3 THEN 1 ELSE auth_throttle.failures + 1 END, \
            updated_at = $2 RETURNING failures";
        const LOCK: &str = "UPDATE auth_throttle SET locked_until = $2 WHERE key = $1";
        const SWEEP: &str = "DELETE FROM auth_throttle WHERE updated_at < $1";
        let now = self.now();
        let failures: i64 = self
            .tx
            .scalar(COUNT, (&key.0[..], now, now - REMEMBER))
            .await?;
        let locked_until = (failures >= LOCK_FROM).then(|| {
            let secs = 30i64
                .saturating_mul(1 << (failures - LOCK_FROM).min(7))
                .min(3600);
            now + Duration::seconds(secs)
        });
        self.tx.execute(LOCK, (&key.0[..], locked_until)).await?;
        self.tx.execute(SWEEP, (now - REMEMBER,)).await?;
        Ok(Throttle {
            failures,
            locked_until,
        })
    }

    /// Forgets the identity's failures (after it typed the right secret).
    pub async fn clear_throttle(&mut self, key: &ThrottleKey) -> Result<(), Error> {
        self.tx
            .execute("DELETE FROM auth_throttle WHERE key = $1", (&key.0[..],))
            .await?;
        Ok(())
    }
}
