//! Keyed rate limiters (GCRA, from `governor`) whose memory stays bounded: keys whose bucket has
//! refilled are forgotten by [`Limiter::sweep`], which a background task runs every few seconds
//! and which also runs at once when the number of keys passes a hard cap.

use std::{hash::Hash, num::NonZeroU32, time::Duration};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

/// At most this many keys are kept between sweeps.
const MAX_KEYS: usize = 100_000;

pub struct Limiter<K: Hash + Eq + Clone> {
    inner: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// `per_second` requests a second on average, bursts of up to `burst`.
    pub fn new(per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        Limiter {
            inner: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// `n` requests a minute, all of them at once if need be.
    pub fn per_minute(n: NonZeroU32) -> Self {
        Limiter {
            inner: RateLimiter::keyed(Quota::per_minute(n)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request for `key`; `Err(wait)` says how long until the next one is allowed.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        if self.inner.len() > MAX_KEYS {
            self.sweep();
        }
        self.inner
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets every key whose bucket is full again (it would behave the same as a new one).
    pub fn sweep(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }

    /// The number of keys held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).expect("non-zero")
    }

    #[test]
    fn refuses_past_the_burst_and_says_how_long_to_wait() {
        let l = Limiter::new(nz(1), nz(3));
        for _ in 0..3 {
            assert!(l.check(&"a").is_ok());
        }
        let wait = l
            .check(&"a")
            .expect_err("the 4th within a second is refused");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(l.check(&"b").is_ok(), "other keys are not affected");
    }

    #[test]
    fn ten_thousand_keys_do_not_stay_in_memory() {
        let l = Limiter::new(nz(20), nz(1));
        for i in 0..10_000u32 {
            assert!(l.check(&i).is_ok());
        }
        assert_eq!(l.len(), 10_000);
        std::thread::sleep(Duration::from_millis(150)); // every bucket refills (1 / 20 s)
        l.sweep();
        assert_eq!(l.len(), 0, "refilled keys are forgotten");
    }
}
