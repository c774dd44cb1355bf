//! [`OpTracker`]: counts work in flight (async operations, callback pumps) so that a close
//! can wait until all of it has finished — from a host thread (blocking) or from async
//! code.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

#[derive(Default)]
struct Inner {
    count: Mutex<usize>,
    idle: Condvar,
    idle_async: Notify,
}

impl Inner {
    fn count(&self) -> MutexGuard<'_, usize> {
        self.count.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Counts in-flight work. Cheap to clone (shared counter).
#[derive(Clone, Default)]
pub struct OpTracker {
    inner: Arc<Inner>,
}

/// One unit of in-flight work; dropping it marks the work finished.
pub struct OpToken {
    inner: Arc<Inner>,
}

impl Drop for OpToken {
    fn drop(&mut self) {
        let mut count = self.inner.count();
        *count = count.saturating_sub(1);
        if *count == 0 {
            self.inner.idle.notify_all();
            self.inner.idle_async.notify_waiters();
        }
    }
}

impl OpTracker {
    /// A tracker with nothing in flight.
    pub fn new() -> Self {
        OpTracker::default()
    }

    /// Starts tracking one unit of work until the token is dropped.
    pub fn start(&self) -> OpToken {
        *self.inner.count() += 1;
        OpToken {
            inner: Arc::clone(&self.inner),
        }
    }

    /// Units of work in flight.
    pub fn in_flight(&self) -> usize {
        *self.inner.count()
    }

    /// Blocks until nothing is in flight or `timeout` passed; true when idle.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut count = self.inner.count();
        while *count > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            count = self
                .inner
                .idle
                .wait_timeout(count, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    /// Waits (async) until nothing is in flight or `timeout` passed; true when idle.
    pub async fn wait_idle_async(&self, timeout: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.inner.idle_async.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if self.in_flight() == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_until_every_token_is_dropped() {
        let tracker = OpTracker::new();
        assert!(tracker.wait_idle(Duration::ZERO));
        let a = tracker.start();
        let b = tracker.start();
        assert_eq!(tracker.in_flight(), 2);
        assert!(!tracker.wait_idle(Duration::from_millis(20)));
        drop(a);
        let waiter = {
            let tracker = tracker.clone();
            std::thread::spawn(move || tracker.wait_idle(Duration::from_secs(5)))
        };
        std::thread::sleep(Duration::from_millis(20));
        drop(b);
        assert!(waiter.join().unwrap());
    }

    #[test]
    fn async_wait_sees_the_last_drop() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let tracker = OpTracker::new();
        let token = tracker.start();
        rt.block_on(async {
            assert!(!tracker.wait_idle_async(Duration::from_millis(10)).await);
            let dropper = async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                drop(token);
            };
            let (idle, ()) = tokio::join!(tracker.wait_idle_async(Duration::from_secs(5)), dropper);
            assert!(idle);
        });
    }
}
