//! The kiosks first: a visitor at a tablet waits on every kiosk request, an admin's bulk read (the
//! visit log's CSV export) does not need to finish this millisecond. The shield counts the kiosk
//! requests in flight ([`Foreground::enter`]); bulk work, row by row, waits while any is
//! ([`Background::give_way`]), so that on a busy machine a check-in does not queue for the CPU
//! behind an export. The wait is bounded: if the kiosks never go quiet, the bulk work still takes
//! [`TURN`] rows after every [`MAX_WAIT`], and so never stops.

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use tokio::{sync::Notify, time::Instant};

/// The longest bulk work waits for the kiosks at a time.
pub const MAX_WAIT: Duration = Duration::from_millis(20);
/// The rows bulk work takes without giving way after it waited [`MAX_WAIT`] in vain.
pub const TURN: u32 = 1_000;

/// The foreground requests in flight.
#[derive(Debug, Default)]
pub struct Foreground {
    in_flight: AtomicUsize,
    quiet: Notify,
}

/// One foreground request, counted for as long as this lives.
#[derive(Debug)]
pub struct InFlight<'a>(&'a Foreground);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.quiet.notify_waiters();
        }
    }
}

impl Foreground {
    /// Counts a foreground request until the guard is dropped.
    pub fn enter(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(self)
    }

    /// A piece of bulk work that gives way to this foreground.
    pub fn background(&self) -> Background<'_> {
        Background {
            foreground: self,
            free: 0,
        }
    }

    fn busy(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) > 0
    }
}

/// Bulk work's manners (see the module's header).
#[derive(Debug)]
pub struct Background<'a> {
    foreground: &'a Foreground,
    /// Rows left of a turn taken after a wait in vain.
    free: u32,
}

impl Background<'_> {
    /// Returns at once if no foreground request is in flight (or during a turn); otherwise when
    /// none is, or after [`MAX_WAIT`], which starts a turn.
    pub async fn give_way(&mut self) {
        if self.free > 0 {
            self.free -= 1;
            return;
        }
        if !self.foreground.busy() {
            return;
        }
        let deadline = Instant::now() + MAX_WAIT;
        loop {
            let quiet = self.foreground.quiet.notified();
            tokio::pin!(quiet);
            // Registered before the check, so a request ending in between still wakes it.
            quiet.as_mut().enable();
            if !self.foreground.busy() {
                return;
            }
            if tokio::time::timeout_at(deadline, quiet).await.is_err() {
                self.free = TURN;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;

    use futures::{FutureExt, poll};

    use super::*;

    #[tokio::test]
    async fn bulk_work_waits_for_the_foreground_but_not_forever() {
        let fg = Foreground::default();
        let mut bg = fg.background();
        assert!(
            bg.give_way().now_or_never().is_some(),
            "nothing in flight: no wait"
        );

        // A request in flight holds the bulk work until it ends.
        let request = fg.enter();
        {
            let mut wait = pin!(bg.give_way());
            assert!(poll!(wait.as_mut()).is_pending());
            drop(request);
            assert!(
                poll!(wait.as_mut()).is_ready(),
                "the request's end releases it"
            );
        }

        // One that never ends: the wait gives up after MAX_WAIT, then a turn goes without waits.
        let _stuck = fg.enter();
        let start = Instant::now();
        bg.give_way().await;
        assert!(start.elapsed() >= MAX_WAIT);
        for _ in 0..TURN {
            assert!(
                bg.give_way().now_or_never().is_some(),
                "a turn does not wait"
            );
        }
        assert!(
            poll!(pin!(bg.give_way())).is_pending(),
            "after the turn it waits again"
        );
    }
}
