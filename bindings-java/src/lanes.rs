//! Handler lanes: the threads Java handlers run on.
//!
//! The core runs each handler registration one item at a time, in arrival order, and
//! different registrations concurrently (`edgemodule::delivery`). To keep that rule in
//! Java, every registration (an input, the default input, a method, the default method,
//! desired properties, a topic subscription) gets its own lane: a delivery thread attached
//! to the JVM as a daemon. The core's handler future posts the Java call to its lane and
//! waits for the answer, so a slow input callback never holds up a method callback. Status
//! changes, background errors and future completions stay on the client's own callback
//! thread (`HostedClient`'s delivery).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use edgemodule::{Error, ErrorKind, HandlerError};
use edgemodule_ffi::delivery::Job;
use edgemodule_ffi::{Delivery, DeliveryConfig};
use tokio::sync::oneshot;

use crate::jvm;

/// Calls queued on one lane before the core's handler task waits (the core hands a lane at
/// most one item at a time; a little room covers a replaced handler's last call).
const LANE_CAPACITY: usize = 4;

/// The lanes of one client.
pub(crate) struct Lanes {
    module: String,
    /// Set when the client starts closing: queued calls skip the Java callback.
    closed: Arc<AtomicBool>,
    lanes: Mutex<HashMap<String, Delivery>>,
}

/// One lane: where the calls of one handler registration run.
#[derive(Clone)]
pub(crate) struct Lane {
    delivery: Delivery,
    closed: Arc<AtomicBool>,
}

impl Lanes {
    /// No lanes yet; they start on first use.
    pub(crate) fn new(module: &str) -> Lanes {
        Lanes {
            module: module.to_string(),
            closed: Arc::new(AtomicBool::new(false)),
            lanes: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Delivery>> {
        self.lanes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The lane of registration `slot` (the hosted slot names: `input:NAME`, `default_input`,
    /// …), started on first use and kept for the client's life, so a replaced handler's
    /// calls stay in order. `CLOSED` once the client is closing.
    pub(crate) fn lane(&self, slot: &str) -> edgemodule::Result<Lane> {
        let mut lanes = self.map();
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::closed());
        }
        if let Some(delivery) = lanes.get(slot) {
            return Ok(self.wrap(delivery.clone()));
        }
        let name = format!("edgemodule-{}-{slot}", self.module);
        let attach_name = name.clone();
        let delivery = Delivery::spawn(DeliveryConfig {
            name,
            capacity: LANE_CAPACITY,
            on_start: Some(Box::new(move || jvm::attach_daemon(&attach_name))),
            on_exit: Some(Box::new(jvm::detach_daemon)),
        })
        .map_err(|e| {
            Error::new(
                ErrorKind::Internal,
                format!("cannot start a handler thread: {e}"),
            )
        })?;
        lanes.insert(slot.to_string(), delivery.clone());
        Ok(self.wrap(delivery))
    }

    fn wrap(&self, delivery: Delivery) -> Lane {
        Lane {
            delivery,
            closed: Arc::clone(&self.closed),
        }
    }

    /// Ends the lane of `slot` (a topic subscription that ended): it finishes what is queued.
    pub(crate) fn retire(&self, slot: &str) {
        if let Some(delivery) = self.map().remove(slot) {
            delivery.close();
        }
    }

    /// True on one of these lanes (inside a handler callback of this client).
    pub(crate) fn is_current(&self) -> bool {
        self.map().values().any(Delivery::is_current)
    }

    /// Marks the client closing: calls still queued skip their callback.
    pub(crate) fn begin_close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// Ends every lane and waits up to `timeout` for their threads (not for the calling
    /// thread's own lane). True when all have exited.
    pub(crate) fn close(&self, timeout: Duration) -> bool {
        self.begin_close();
        let deadline = Instant::now() + timeout;
        let lanes: Vec<Delivery> = self.map().drain().map(|(_, d)| d).collect();
        for delivery in &lanes {
            delivery.close();
        }
        let mut all = true;
        for delivery in &lanes {
            if !delivery.is_current() {
                all &= delivery.join(deadline.saturating_duration_since(Instant::now()));
            }
        }
        all
    }
}

impl Drop for Lanes {
    fn drop(&mut self) {
        // The garbage-collected path: the threads finish what is queued and exit.
        self.begin_close();
        for (_, delivery) in self.map().drain() {
            delivery.close();
        }
    }
}

impl Lane {
    /// The lane's delivery thread.
    pub(crate) fn delivery(&self) -> &Delivery {
        &self.delivery
    }

    /// Runs `work` (the Java callback) on this lane and returns its result: what the core's
    /// handler future resolves to. A client that is closing, or a lane that ended, gives a
    /// failure without calling Java.
    ///
    /// `work` is boxed into a job before the future starts, so the future holds no JNI type
    /// (whose `'static` lifetimes the compiler cannot see through across an `.await`).
    pub(crate) fn call<T, F>(
        &self,
        work: F,
    ) -> impl Future<Output = Result<T, HandlerError>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, HandlerError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let closed = Arc::clone(&self.closed);
        let job: Job = Box::new(move || {
            let result = if closed.load(Ordering::SeqCst) {
                Err(closing())
            } else {
                work()
            };
            let _ = tx.send(result);
        });
        let delivery = self.delivery.clone();
        async move {
            if !delivery.post_event(job).await {
                return Err(closing());
            }
            // The sender is dropped unsent only when the job panicked or was discarded.
            rx.await.unwrap_or_else(|_| Err(closing()))
        }
    }
}

fn closing() -> HandlerError {
    HandlerError::new("the client is closing; the Java callback was not called")
}
