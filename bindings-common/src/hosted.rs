//! [`HostedClient`]: a core `ModuleClient` made safe to drive from a host language.
//!
//! - **Callbacks** ([`register`](HostedClient::register)): a pump task reads a core stream
//!   and posts one job per item to the client's delivery thread, where the host callback
//!   runs. A registration lives in a named *slot* (`"input:input1"`, `"status"`, …);
//!   registering the same slot again replaces it. The callback closure is kept in a
//!   [`DeliveryArc`], so it (and the host context it owns) is released on the delivery
//!   thread after its last call.
//! - **Async operations** ([`start`](HostedClient::start)): the future runs on the
//!   runtime; its completion runs on the delivery thread exactly once — with the result, or
//!   with `CLOSED` if the runtime drops the future (shutdown).
//! - **Close** ([`close`](HostedClient::close)): no event callback runs once it has begun;
//!   the core client is closed (in-flight operations fail with `CLOSED`), every completion
//!   runs, every registration is released, then the delivery thread exits. From a host
//!   thread it waits for all of that; from the client's own delivery thread (inside a
//!   callback) it returns at once and the rest happens right after that callback returns.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use edgemodule::{Error, ErrorKind, ModuleClient, Result};
use futures_util::{Stream, StreamExt};
use tokio::task::JoinHandle;

use crate::delivery::{Delivery, DeliveryArc, DeliveryConfig};
use crate::driver::{Driver, Operation};
use crate::ops::{OpToken, OpTracker};
use crate::panic::guard_future;
use crate::runtime;

/// Default bound of a close: core close, completions, delivery thread exit.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an unregistration waits for a running callback of the slot to return.
pub const UNREGISTER_WAIT: Duration = Duration::from_secs(5);

struct Slot {
    active: Arc<AtomicBool>,
    pump: JoinHandle<()>,
}

impl Slot {
    /// Stops calls and the pump; the pump's task, to wait for.
    fn retire(self) -> JoinHandle<()> {
        self.active.store(false, Ordering::SeqCst);
        self.pump.abort();
        self.pump
    }
}

struct State {
    closing: bool,
    slots: HashMap<String, Slot>,
}

struct Inner {
    client: ModuleClient,
    delivery: Delivery,
    ops: OpTracker,
    /// Finishes the operations that [`HostedClient::start`] could not finish at once.
    driver: Arc<Driver<()>>,
    /// Set once close began: queued event jobs skip their callback.
    closed: Arc<AtomicBool>,
    state: Mutex<State>,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks the client closed and retires every slot; the parts to finish the close with,
    /// the first time only.
    fn begin_close(&self) -> Option<Teardown> {
        let slots = {
            let mut state = self.state();
            if state.closing {
                return None;
            }
            state.closing = true;
            self.closed.store(true, Ordering::SeqCst);
            std::mem::take(&mut state.slots)
        };
        for slot in slots.into_values() {
            drop(slot.retire());
        }
        self.delivery.stop_events();
        Some(Teardown {
            client: self.client.clone(),
            ops: self.ops.clone(),
            delivery: self.delivery.clone(),
        })
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropped without close (a binding's GC path): finish in the background.
        if let Some(teardown) = self.begin_close() {
            teardown.finish_in_background();
        }
        // The driver ends once what it still runs has finished.
        self.driver.wake();
    }
}

/// What is left to do after [`Inner::begin_close`].
struct Teardown {
    client: ModuleClient,
    ops: OpTracker,
    delivery: Delivery,
}

impl Teardown {
    async fn run(self, deadline: Instant) {
        let _ = tokio::time::timeout(runtime::remaining(deadline), self.client.close()).await;
        if !self.ops.wait_idle_async(runtime::remaining(deadline)).await {
            tracing::warn!(
                in_flight = self.ops.in_flight(),
                "closing: some completions did not run in time (a callback is blocked?)"
            );
        }
        self.delivery.close();
    }

    fn finish_in_background(self) {
        let delivery = self.delivery.clone();
        let deadline = Instant::now() + CLOSE_TIMEOUT;
        if runtime::spawn(self.run(deadline)).is_err() {
            delivery.close();
        }
    }
}

/// The slot names every binding uses for its registrations, so that replacing and
/// clearing mean the same everywhere.
pub mod slots {
    /// The per-input handler of `input`, or the default input handler for `None`.
    pub fn input(input: Option<&str>) -> String {
        input.map_or_else(|| "default_input".to_string(), |n| format!("input:{n}"))
    }

    /// The handler of `method`, or the default method handler for `None`.
    pub fn method(method: Option<&str>) -> String {
        method.map_or_else(|| "default_method".to_string(), |n| format!("method:{n}"))
    }

    /// The desired-properties patch handler.
    pub const DESIRED: &str = "desired";

    /// The connection-status handler.
    pub const STATUS: &str = "status";
}

/// Every hosted client still alive (for `runtime::shutdown`).
static LIVE: Mutex<Vec<Weak<Inner>>> = Mutex::new(Vec::new());

/// Closes every live hosted client by `deadline` (used by `runtime::shutdown`).
pub(crate) fn close_all(deadline: Instant) {
    let live: Vec<Arc<Inner>> = {
        let mut list = LIVE.lock().unwrap_or_else(|p| p.into_inner());
        list.retain(|w| w.strong_count() > 0);
        list.iter().filter_map(Weak::upgrade).collect()
    };
    for inner in live {
        HostedClient { inner }.close_within(runtime::remaining(deadline));
    }
}

/// A module client with a delivery thread, callback slots and tracked async operations.
/// Cheap to clone; see the [module documentation](self).
#[derive(Clone)]
pub struct HostedClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for HostedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostedClient")
            .field("client", &self.inner.client)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Holds a pump's callback and its in-flight token; fields drop in order, so the callback
/// is handed to the delivery thread before the close sees the pump finished.
struct Pump<H: Send + Sync + 'static> {
    handler: DeliveryArc<H>,
    _token: OpToken,
}

/// Runs the completion of an async operation exactly once on the delivery thread; if the
/// operation's future is dropped unfinished, completes it with `CLOSED`.
struct Completion<T: Send + 'static> {
    complete: Option<Box<dyn FnOnce(Result<T>) + Send>>,
    delivery: Delivery,
    token: Option<OpToken>,
}

impl<T: Send + 'static> Completion<T> {
    fn finish(&mut self, result: Result<T>) {
        let Some(complete) = self.complete.take() else {
            return;
        };
        let token = self.token.take();
        let job = Box::new(move || {
            complete(result);
            drop(token);
        });
        if let Err(job) = self.delivery.try_post(job) {
            // Only after a close that timed out: never run host code on a runtime thread.
            if runtime::in_async_context() {
                let _ = std::thread::Builder::new()
                    .name("edgemodule-late-completion".into())
                    .spawn(job);
            } else {
                job();
            }
        }
    }
}

impl<T: Send + 'static> Drop for Completion<T> {
    fn drop(&mut self) {
        self.finish(Err(Error::new(
            ErrorKind::Closed,
            "the operation was dropped because edgemodule shut down",
        )));
    }
}

impl HostedClient {
    /// Hosts `client`: starts its delivery thread (the runtime must be available).
    pub fn new(client: ModuleClient, config: DeliveryConfig) -> Result<HostedClient> {
        runtime::handle()?;
        let delivery = Delivery::spawn(config).map_err(|e| {
            Error::new(
                ErrorKind::Internal,
                format!("cannot start the callback delivery thread: {e}"),
            )
        })?;
        let inner = Arc::new(Inner {
            client,
            delivery,
            ops: OpTracker::new(),
            driver: Arc::new(Driver::new()),
            closed: Arc::new(AtomicBool::new(false)),
            state: Mutex::new(State {
                closing: false,
                slots: HashMap::new(),
            }),
        });
        let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|w| w.strong_count() > 0);
        live.push(Arc::downgrade(&inner));
        Ok(HostedClient { inner })
    }

    /// The core client (for operations and for opening streams).
    pub fn client(&self) -> &ModuleClient {
        &self.inner.client
    }

    /// The delivery thread.
    pub fn delivery(&self) -> &Delivery {
        &self.inner.delivery
    }

    /// True once [`close`](HostedClient::close) has begun.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::SeqCst)
    }

    fn check_open(&self) -> Result<()> {
        if self.is_closed() {
            Err(Error::closed())
        } else {
            Ok(())
        }
    }

    /// Runs `future` and waits for it on the calling thread (see [`runtime::block_on`]);
    /// `CLOSED` once the client is closed.
    pub fn block_on<T, F>(&self, future: F) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        self.check_open()?;
        runtime::block_on(future)
    }

    /// Starts an async operation: the future `make` returns runs on the runtime and
    /// `complete` runs exactly once on the delivery thread with its result (or `CLOSED` if
    /// the runtime drops it). `Err` (and `complete` dropped without running) when the client
    /// is closed or there is no runtime.
    ///
    /// `make` is called inside the operation's own (boxed) state: core futures are hundreds
    /// of bytes (a send's was 2 KiB), and handing one over by value cost a copy of it at
    /// every step (measured: 6 % of a Java send's CPU in `memcpy`).
    pub fn start<T, M, F, C>(&self, make: M, complete: C) -> Result<()>
    where
        T: Send + 'static,
        M: FnOnce() -> F + Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
        C: FnOnce(Result<T>) + Send + 'static,
    {
        let handle = runtime::handle()?;
        let token = {
            let state = self.inner.state();
            if state.closing {
                return Err(Error::closed());
            }
            self.inner.ops.start()
        };
        let mut completion = Completion {
            complete: Some(Box::new(complete)),
            delivery: self.inner.delivery.clone(),
            token: Some(token),
        };
        let operation: Operation<()> = Box::pin(async move {
            // Inside the guard, so that a panic in `make` is caught like one in the future.
            let result = guard_future(async move { make().await }).await;
            completion.finish(result);
        });
        // The first poll runs here, on the caller's thread (a send is queued for the
        // connection task at once); what is left runs on the client's driver task, not on a
        // task spawned per operation (driver.rs says why).
        let _inside = handle.enter();
        let owner = Arc::downgrade(&self.inner);
        self.inner.driver.submit(
            operation,
            |()| {},
            |driver| {
                let idle = Arc::clone(&driver);
                handle.spawn(
                    driver.run(|()| {}, move || owner.strong_count() == 0 && idle.is_idle()),
                );
            },
        );
        Ok(())
    }

    /// Registers `handler` for every item of `stream` in `slot`, replacing what the slot
    /// held. `handler` runs on the delivery thread, one item at a time, never after the
    /// slot was unregistered or the client closed (items not handed to it are dropped —
    /// input messages are then redelivered, method calls answered 500). It is released on
    /// the delivery thread after its last call.
    ///
    /// Replacing waits as [`unregister`](HostedClient::unregister) does for the previous
    /// handler.
    pub fn register<S, H>(&self, slot: &str, stream: S, handler: H) -> Result<()>
    where
        S: Stream + Send + Unpin + 'static,
        S::Item: Send + 'static,
        H: Fn(S::Item) + Send + Sync + 'static,
    {
        let handle = runtime::handle()?;
        let delivery = self.inner.delivery.clone();
        let previous = {
            let mut state = self.inner.state();
            if state.closing {
                return Err(Error::closed());
            }
            let active = Arc::new(AtomicBool::new(true));
            let pump = Pump {
                handler: DeliveryArc::new(handler, &delivery),
                _token: self.inner.ops.start(),
            };
            let task = handle.spawn(run_pump(
                stream,
                pump,
                delivery,
                Arc::clone(&active),
                Arc::clone(&self.inner.closed),
            ));
            state
                .slots
                .insert(slot.to_string(), Slot { active, pump: task })
        };
        if let Some(previous) = previous {
            self.wait_released(previous.retire());
        }
        Ok(())
    }

    /// After a slot was retired: waits (up to [`UNREGISTER_WAIT`]) until its pump has
    /// stopped and every call and the release of its handler have run on the delivery
    /// thread. Returns at once on the delivery thread itself (the release then follows the
    /// current callback).
    fn wait_released(&self, pump: JoinHandle<()>) {
        let delivery = &self.inner.delivery;
        if delivery.is_current() || runtime::in_async_context() {
            return;
        }
        let deadline = Instant::now() + UNREGISTER_WAIT;
        let _ = runtime::block_on(async move {
            let _ = tokio::time::timeout(UNREGISTER_WAIT, pump).await;
            Ok(())
        });
        delivery.fence(runtime::remaining(deadline));
    }

    /// Registers `handler` in `slot` (opening its stream with `stream`), or, with `None`,
    /// empties the slot: the one place that decides what a host's "set callback to null"
    /// means (C's `cb = NULL`, Java's `on = false`, a Python `None`). `stream` is called
    /// only when registering, so no core stream (and no subscription) is opened to clear
    /// a slot.
    pub fn set_or_clear<S, H>(
        &self,
        slot: &str,
        handler: Option<H>,
        stream: impl FnOnce() -> S,
    ) -> Result<()>
    where
        S: Stream + Send + Unpin + 'static,
        S::Item: Send + 'static,
        H: Fn(S::Item) + Send + Sync + 'static,
    {
        match handler {
            Some(handler) => self.register(slot, stream(), handler),
            None => {
                self.unregister(slot);
                Ok(())
            }
        }
    }

    /// Empties `slot`: its handler is not called again. From a host thread, returns once a
    /// running call has returned and the handler was released (up to [`UNREGISTER_WAIT`]);
    /// on the delivery thread, at once (the release follows the current callback). True
    /// when the slot held a registration.
    pub fn unregister(&self, slot: &str) -> bool {
        let previous = self.inner.state().slots.remove(slot);
        match previous {
            Some(previous) => {
                self.wait_released(previous.retire());
                true
            }
            None => false,
        }
    }

    /// Closes within [`CLOSE_TIMEOUT`]; see [`close_within`](HostedClient::close_within).
    pub fn close(&self) -> bool {
        self.close_within(CLOSE_TIMEOUT)
    }

    /// Closes the client (idempotent). From a host thread: returns once the core client is
    /// closed, every completion and release has run and the delivery thread has exited (or
    /// `timeout` passed: false). From this client's delivery thread: starts the close and
    /// returns false at once; the rest runs after the current callback returns.
    pub fn close_within(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let on_delivery = self.inner.delivery.is_current();
        if let Some(teardown) = self.inner.begin_close() {
            if on_delivery || !runtime::is_available() || runtime::in_async_context() {
                teardown.finish_in_background();
            } else {
                let _ = runtime::block_on(async move {
                    teardown.run(deadline).await;
                    Ok(())
                });
                // If the runtime went away meanwhile the teardown may not have closed it.
                self.inner.delivery.close();
            }
        }
        if on_delivery {
            return false;
        }
        self.inner.delivery.join(runtime::remaining(deadline))
    }
}

async fn run_pump<S, H>(
    mut stream: S,
    pump: Pump<H>,
    delivery: Delivery,
    active: Arc<AtomicBool>,
    closed: Arc<AtomicBool>,
) where
    S: Stream + Send + Unpin + 'static,
    S::Item: Send + 'static,
    H: Fn(S::Item) + Send + Sync + 'static,
{
    while let Some(item) = stream.next().await {
        let handler = pump.handler.clone();
        let (active, closed) = (Arc::clone(&active), Arc::clone(&closed));
        let job = Box::new(move || {
            if active.load(Ordering::SeqCst) && !closed.load(Ordering::SeqCst) {
                (*handler)(item);
            } else {
                drop(item);
            }
            drop(handler);
        });
        if !delivery.post_event(job).await {
            break;
        }
    }
    drop(pump);
}
