//! The one clock. Everything that reads the time (sessions, lockouts, code expiry, reminders,
//! retries, key windows, SAML validity, certificates) asks a [`Clock`] that the server was built
//! with, so a test can move time forward instead of sleeping.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use chrono::{DateTime, Duration, SubsecRound, Utc};

/// The system's time plus an offset that only tests move. Clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    /// The system's time.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// The current time, truncated to microseconds (what both engines store exactly).
    pub fn now(&self) -> DateTime<Utc> {
        let offset = Duration::microseconds(self.offset_micros.load(Ordering::Relaxed));
        (Utc::now() + offset).trunc_subsecs(6)
    }

    /// Moves this clock (and every clone of it) forward by `by`: for tests, which let time pass
    /// this way instead of sleeping.
    pub fn advance(&self, by: Duration) {
        let micros = by.num_microseconds().unwrap_or(i64::MAX);
        self.offset_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advanced_clock_runs_ahead_and_its_clones_follow() {
        let clock = Clock::system();
        let copy = clock.clone();
        let before = copy.now();
        clock.advance(Duration::hours(2));
        let after = copy.now();
        assert!(after - before >= Duration::hours(2), "{before} → {after}");
        assert!(after - before < Duration::hours(2) + Duration::seconds(5));
        assert_eq!(
            after.timestamp_subsec_nanos() % 1_000,
            0,
            "microsecond precision"
        );
    }
}
