//! When to try again after a failed connection attempt: the regular backoff
//! ([`RetryPolicy`](crate::RetryPolicy)) plus quick retries while the hub is restarting.
//!
//! A hub that restarts on the same host refuses TCP connections until it listens again; a
//! refused connect costs that host nothing (the kernel answers at once), so for the first
//! [`FAST_WINDOW`] of an outage the client tries every [`FAST_GAP`] and is back within a
//! few tens of milliseconds of the hub. Failures that cost the hub work (TLS, CONNACK
//! refusals) or time (timeouts) wait for the regular backoff. After the window, an
//! operation the application submits while disconnected triggers an attempt at once,
//! at most one per [`WAKE_GAP`].

use std::time::Duration;

use tokio::time::Instant;

/// Gap between quick retries.
pub(crate) const FAST_GAP: Duration = Duration::from_millis(20);
/// How long, from the start of an outage, quick retries go on.
pub(crate) const FAST_WINDOW: Duration = Duration::from_secs(5);
/// Least gap between attempts triggered by the application's operations.
pub(crate) const WAKE_GAP: Duration = Duration::from_millis(100);

/// What the next wait looks at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryClock {
    /// Now.
    pub now: Instant,
    /// When the outage began.
    pub down_since: Instant,
    /// When the regular backoff tries next.
    pub regular: Instant,
    /// The failure was cheap for the hub to answer (refused connect, or the loss of a
    /// connection that was up).
    pub cheap: bool,
}

impl RetryClock {
    /// When to try next without news from the application.
    pub(crate) fn next_attempt(&self) -> Instant {
        if self.quick() {
            self.regular.min(self.now + FAST_GAP)
        } else {
            self.regular
        }
    }

    /// Whether quick retries apply.
    pub(crate) fn quick(&self) -> bool {
        self.cheap && self.now.saturating_duration_since(self.down_since) < FAST_WINDOW
    }

    /// Whether an operation submitted at `at` may start an attempt at once.
    pub(crate) fn wake_allowed(&self, at: Instant) -> bool {
        self.cheap && at.saturating_duration_since(self.now) >= WAKE_GAP
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(cheap: bool, down_for: Duration, regular_in: Duration) -> RetryClock {
        let now = Instant::now();
        RetryClock {
            now,
            down_since: now - down_for,
            regular: now + regular_in,
            cheap,
        }
    }

    #[test]
    fn a_refused_connect_early_in_an_outage_is_retried_quickly() {
        let c = clock(true, Duration::from_millis(300), Duration::from_millis(800));
        assert_eq!(c.next_attempt(), c.now + FAST_GAP);
    }

    #[test]
    fn the_regular_backoff_wins_when_it_is_sooner() {
        let c = clock(true, Duration::ZERO, Duration::from_millis(5));
        assert_eq!(c.next_attempt(), c.regular);
    }

    #[test]
    fn costly_failures_and_long_outages_wait_for_the_backoff() {
        let costly = clock(false, Duration::from_millis(300), Duration::from_secs(2));
        assert_eq!(costly.next_attempt(), costly.regular);
        let long = clock(true, FAST_WINDOW, Duration::from_secs(10));
        assert_eq!(long.next_attempt(), long.regular);
    }

    #[test]
    fn application_operations_wake_only_after_the_gap_and_only_when_cheap() {
        let c = clock(true, Duration::from_secs(60), Duration::from_secs(10));
        assert!(!c.wake_allowed(c.now + Duration::from_millis(10)));
        assert!(c.wake_allowed(c.now + WAKE_GAP));
        let costly = clock(false, Duration::from_secs(60), Duration::from_secs(10));
        assert!(!costly.wake_allowed(costly.now + Duration::from_secs(1)));
    }
}
