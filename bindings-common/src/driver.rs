//! One task drives every operation of a client (or Node environment) that is still waiting
//! (a send waiting for its PUBACK, …), instead of one task spawned per operation.
//!
//! Spawning from a host thread (Node's main thread, a Java or .NET thread, a C caller) puts
//! the task in tokio's shared queue and wakes a parked worker for each send. On a small
//! machine that extra wake-up competes for a core with the connection task at the very moment
//! the message leaves, and costs CPU per message. Here an operation is polled once on the
//! calling thread; if it is still pending it joins a `FuturesUnordered`, whose wake-ups (the
//! acknowledgement, a timeout) wake the driver task on the thread that caused them, usually
//! the connection task's own worker. When the runtime drops the driver task (shutdown), the
//! operations still pending are dropped with it, as spawned tasks would be.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::task::AtomicWaker;

/// An operation the driver runs to its end.
pub type Operation<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Wakes the driver task (whichever thread completed an operation).
struct DriverWaker {
    task: AtomicWaker,
}

impl Wake for DriverWaker {
    fn wake(self: Arc<Self>) {
        self.task.wake();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.task.wake();
    }
}

/// The pending operations of one environment and the handle that wakes their driver.
pub struct Driver<T> {
    pending: Mutex<FuturesUnordered<Operation<T>>>,
    waker: Arc<DriverWaker>,
    started: AtomicBool,
}

impl<T: Send + 'static> Default for Driver<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> Driver<T> {
    /// An empty driver; its task starts with the first operation.
    pub fn new() -> Self {
        Driver {
            pending: Mutex::new(FuturesUnordered::new()),
            waker: Arc::new(DriverWaker {
                task: AtomicWaker::new(),
            }),
            started: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, FuturesUnordered<Operation<T>>> {
        match self.pending.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Adds `operation` and polls it at once, on the calling thread (which must be inside
    /// the tokio runtime); `finished` gets every outcome that is ready now. Whatever is left
    /// finishes on the driver task, which `spawn` starts the first time.
    pub fn submit(
        self: &Arc<Self>,
        operation: Operation<T>,
        finished: impl FnMut(T),
        spawn: impl FnOnce(Arc<Self>),
    ) {
        if !self.started.swap(true, Ordering::AcqRel) {
            spawn(Arc::clone(self));
        }
        let mut pending = self.lock();
        pending.push(operation);
        self.poll_ready(&mut pending, finished);
    }

    /// Polls the operations that were woken; `finished` gets the outcomes.
    fn poll_ready(
        &self,
        pending: &mut FuturesUnordered<Operation<T>>,
        mut finished: impl FnMut(T),
    ) {
        let waker = Waker::from(Arc::clone(&self.waker));
        let mut cx = Context::from_waker(&waker);
        // Pending: nothing else is ready (or the set yielded and woke the driver); None: empty.
        while let Poll::Ready(Some(outcome)) = pending.poll_next_unpin(&mut cx) {
            finished(outcome);
        }
    }

    /// The driver task's body: runs until `stop()` says its owner is gone.
    pub async fn run(self: Arc<Self>, mut finished: impl FnMut(T), stop: impl Fn() -> bool) {
        let _clear = ClearOnDrop(&self);
        std::future::poll_fn(|cx| {
            if stop() {
                // The environment is gone: what is still pending is dropped with the driver.
                return Poll::Ready(());
            }
            // Registered before polling, so a completion in between is not missed.
            self.waker.task.register(cx.waker());
            {
                let mut pending = self.lock();
                self.poll_ready(&mut pending, &mut finished);
            }
            // Asked again: the owner may be waiting for this last completion to be gone.
            if stop() {
                return Poll::Ready(());
            }
            Poll::Pending
        })
        .await;
    }

    /// True when no operation is pending.
    pub fn is_idle(&self) -> bool {
        self.lock().is_empty()
    }

    /// Wakes the driver (to notice that it should stop).
    pub fn wake(&self) {
        self.waker.task.wake();
    }
}

/// Drops what is pending when the driver task ends or is dropped (runtime shutdown), and lets
/// the next operation start a new task.
struct ClearOnDrop<'a, T: Send + 'static>(&'a Driver<T>);

impl<T: Send + 'static> Drop for ClearOnDrop<'_, T> {
    fn drop(&mut self) {
        self.0.started.store(false, Ordering::Release);
        let pending = std::mem::take(&mut *self.0.lock());
        // Outside the lock: dropping an operation may run its owner's clean-up.
        drop(pending);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use tokio::sync::oneshot;

    #[tokio::test]
    async fn a_ready_operation_finishes_on_the_calling_thread() {
        let driver = Arc::new(Driver::new());
        let mut got = Vec::new();
        driver.submit(Box::pin(async { 7 }), |v| got.push(v), |_| {});
        assert_eq!(got, vec![7]);
    }

    #[tokio::test]
    async fn a_pending_operation_finishes_on_the_driver_task() {
        let driver = Arc::new(Driver::<u32>::new());
        let done = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = oneshot::channel::<u32>();
        let (finished_tx, finished_rx) = oneshot::channel::<u32>();
        let finished_tx = Mutex::new(Some(finished_tx));
        let spawned = {
            let done = Arc::clone(&done);
            let stop = Arc::clone(&stop);
            move |d: Arc<Driver<u32>>| {
                tokio::spawn(d.run(
                    move |v| {
                        done.fetch_add(1, Ordering::SeqCst);
                        if let Some(tx) = finished_tx.lock().ok().and_then(|mut g| g.take()) {
                            let _ = tx.send(v);
                        }
                    },
                    move || stop.load(Ordering::SeqCst),
                ));
            }
        };
        let mut now = Vec::new();
        driver.submit(
            Box::pin(async move { rx.await.unwrap_or(0) + 1 }),
            |v| now.push(v),
            spawned,
        );
        assert!(now.is_empty(), "it waits for the channel");
        tx.send(41).expect("the operation still waits");
        let value = tokio::time::timeout(std::time::Duration::from_secs(5), finished_rx)
            .await
            .expect("the driver finished the operation")
            .expect("the driver reported it");
        assert_eq!(value, 42);
        assert_eq!(done.load(Ordering::SeqCst), 1);
        stop.store(true, Ordering::SeqCst);
        driver.wake();
    }

    #[test]
    fn a_runtime_shutdown_drops_what_is_pending() {
        struct Dropped(Arc<AtomicBool>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .expect("a runtime");
        let driver = Arc::new(Driver::<()>::new());
        let dropped = Arc::new(AtomicBool::new(false));
        let marker = Dropped(Arc::clone(&dropped));
        let (_keep, rx) = oneshot::channel::<()>();
        {
            let _inside = runtime.enter();
            let handle = runtime.handle().clone();
            driver.submit(
                Box::pin(async move {
                    let _marker = marker;
                    let _ = rx.await;
                }),
                |()| {},
                |d| {
                    handle.spawn(d.run(|()| {}, || false));
                },
            );
        }
        assert!(!dropped.load(Ordering::SeqCst), "still waiting");
        runtime.shutdown_timeout(std::time::Duration::from_secs(5));
        assert!(
            dropped.load(Ordering::SeqCst),
            "dropped with the driver task"
        );
        assert!(
            !driver.started.load(Ordering::SeqCst),
            "a new task may start"
        );
    }
}
