//! Host callbacks behind the core's handler API (`ModuleClient::set_input_handler`,
//! `set_method_handler`, `set_desired_handler`, `subscribe_with_handler`).
//!
//! The core decides everything about delivery — one item at a time per registration, order,
//! retries, acknowledgements, the method failure reply. A binding only has to run the host's
//! callback somewhere it may run and tell the core how it ended. This module does that once:
//!
//! - [`HostHandlers::set`] puts a host handler in a named slot and, the first time, hands the
//!   binding a [`Forwarder`] to register with the core. The forwarder is what the core calls:
//!   it posts the item to the client's delivery thread, where the slot's *current* host
//!   handler runs with the item and a [`HostCall`], and waits for that call to be completed.
//!   Replacing a host handler therefore only swaps the slot's content: items the core already
//!   queued (and retries) go to the new handler, in order.
//! - A [`HostCall`] completes the core's future exactly once: now (a synchronous callback) or
//!   later from any thread (a host that finishes on its own thread or event loop). Dropped
//!   without completing, it fails the call — a failed attempt for inputs, desired patches
//!   and topics, the core's failure reply for a method.
//! - Host handlers live in a [`DeliveryArc`], so the host context is released on the delivery
//!   thread after the last call. [`HostHandlers::clear`] and [`HostHandlers::close`] wait for
//!   that release (except on the delivery thread itself).
//!
//! The forwarder never holds the [`HostedClient`](crate::HostedClient) (the core holds the
//! forwarder: that would be a cycle), only the delivery thread and the slot.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use edgemodule::delivery::{HandlerError, HandlerFuture};
use tokio::sync::oneshot;

use crate::delivery::{Delivery, DeliveryArc};
use crate::hosted::UNREGISTER_WAIT;

/// The message of a call that nothing completed.
const NOT_COMPLETED: &str = "the callback's call was released without being completed";
/// The message of a call made while no host handler is in the slot.
const NO_CALLBACK: &str = "no callback is registered for it any more";
/// The message of a call refused because the client is closing.
const CLOSING: &str = "the client is closing";

/// One call of a host handler, to complete exactly once (see the [module documentation](self)).
/// `Send`: it may be completed from any thread.
pub struct HostCall<T: Send + 'static> {
    tx: Option<oneshot::Sender<Result<T, HandlerError>>>,
}

impl<T: Send + 'static> std::fmt::Debug for HostCall<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostCall")
            .field("completed", &self.tx.is_none())
            .finish()
    }
}

impl<T: Send + 'static> HostCall<T> {
    fn new() -> (HostCall<T>, oneshot::Receiver<Result<T, HandlerError>>) {
        let (tx, rx) = oneshot::channel();
        (HostCall { tx: Some(tx) }, rx)
    }

    /// Completes the call with the host's outcome. False when the core no longer waits for it
    /// (the client closed meanwhile); the outcome is then dropped.
    pub fn complete(mut self, outcome: Result<T, HandlerError>) -> bool {
        self.tx.take().is_some_and(|tx| tx.send(outcome).is_ok())
    }

    /// Completes the call as failed with `message`.
    pub fn fail(self, message: impl Into<String>) -> bool {
        self.complete(Err(HandlerError::new(message)))
    }
}

impl<T: Send + 'static> Drop for HostCall<T> {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Err(HandlerError::new(NOT_COMPLETED)));
        }
    }
}

/// A host handler: called on the delivery thread with an item and the call to complete.
pub type HostHandler<I, T> = Box<dyn Fn(I, HostCall<T>) + Send + Sync>;

/// One slot: the host handler the core's calls go to now.
struct Slot<I: 'static, T: Send + 'static> {
    handler: Mutex<Option<DeliveryArc<HostHandler<I, T>>>>,
}

impl<I: 'static, T: Send + 'static> Slot<I, T> {
    fn handler(&self) -> MutexGuard<'_, Option<DeliveryArc<HostHandler<I, T>>>> {
        self.handler.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What [`HostHandlers`] needs of a slot whatever its item type.
trait AnySlot: Send + Sync {
    /// Takes the host handler out (released when the returned value is dropped).
    fn take(&self) -> Option<Box<dyn Any + Send>>;
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

impl<I: Send + 'static, T: Send + 'static> AnySlot for Slot<I, T> {
    fn take(&self) -> Option<Box<dyn Any + Send>> {
        self.handler()
            .take()
            .map(|h| Box::new(h) as Box<dyn Any + Send>)
    }

    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// What the core calls: forwards each item to the slot's host handler on the delivery thread.
pub struct Forwarder<I: 'static, T: Send + 'static> {
    slot: Arc<Slot<I, T>>,
    delivery: Delivery,
    closed: Arc<AtomicBool>,
}

impl<I: 'static, T: Send + 'static> Clone for Forwarder<I, T> {
    fn clone(&self) -> Self {
        Forwarder {
            slot: Arc::clone(&self.slot),
            delivery: self.delivery.clone(),
            closed: Arc::clone(&self.closed),
        }
    }
}

impl<I: Send + 'static, T: Send + 'static> Forwarder<I, T> {
    /// One call of the slot's host handler with `item`, as the core's handler future.
    pub fn call(&self, item: I) -> HandlerFuture<T> {
        let (call, outcome) = HostCall::new();
        let slot = Arc::clone(&self.slot);
        let closed = Arc::clone(&self.closed);
        let job = Box::new(move || {
            let handler = if closed.load(Ordering::SeqCst) {
                None
            } else {
                slot.handler().clone()
            };
            match handler {
                Some(handler) => (*handler)(item, call),
                None => {
                    call.fail(if closed.load(Ordering::SeqCst) {
                        CLOSING
                    } else {
                        NO_CALLBACK
                    });
                }
            }
        });
        let delivery = self.delivery.clone();
        Box::pin(async move {
            // Refused (closing): the job and its call are dropped, which fails the call.
            delivery.post_event(job).await;
            outcome
                .await
                .unwrap_or_else(|_| Err(HandlerError::new(CLOSING)))
        })
    }

    /// The forwarder as the closure the core's `set_*_handler` takes.
    pub fn into_handler(self) -> impl Fn(I) -> HandlerFuture<T> + Send + Sync + 'static {
        move |item| self.call(item)
    }
}

/// The host handler slots of one client. See the [module documentation](self).
pub struct HostHandlers {
    delivery: Delivery,
    closed: Arc<AtomicBool>,
    slots: Mutex<HashMap<String, Arc<dyn AnySlot>>>,
}

impl std::fmt::Debug for HostHandlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostHandlers")
            .field("closed", &self.closed.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl HostHandlers {
    /// Slots whose host handlers run on `delivery` (the client's delivery thread).
    pub fn new(delivery: &Delivery) -> Self {
        HostHandlers {
            delivery: delivery.clone(),
            closed: Arc::new(AtomicBool::new(false)),
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<String, Arc<dyn AnySlot>>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Puts `handler` in `slot`, then runs `register` with the new slot's forwarder when the
    /// slot was empty (the binding registers it with the core there; its result is returned).
    /// When the slot held a handler of the same types, the new one takes over its calls and
    /// `register` is not run; the old one is released as in [`clear`](HostHandlers::clear).
    /// `CLOSED` once [`close`](HostHandlers::close) ran (the handler is released).
    pub fn set<I, T, R>(
        &self,
        slot: &str,
        handler: HostHandler<I, T>,
        register: impl FnOnce(Forwarder<I, T>) -> edgemodule::Result<R>,
    ) -> edgemodule::Result<Option<R>>
    where
        I: Send + 'static,
        T: Send + 'static,
    {
        let handler = DeliveryArc::new(handler, &self.delivery);
        let (previous, registered) = {
            let mut slots = self.slots();
            if self.closed.load(Ordering::SeqCst) {
                drop(slots);
                drop(handler);
                self.wait_released();
                return Err(edgemodule::Error::closed());
            }
            let existing = slots
                .get(slot)
                .and_then(|s| Arc::clone(s).as_any().downcast::<Slot<I, T>>().ok());
            match existing {
                Some(existing) => (
                    existing
                        .handler()
                        .replace(handler)
                        .map(|p| Box::new(p) as Box<dyn Any + Send>),
                    None,
                ),
                None => {
                    let new = Arc::new(Slot {
                        handler: Mutex::new(Some(handler)),
                    });
                    let forwarder = Forwarder {
                        slot: Arc::clone(&new),
                        delivery: self.delivery.clone(),
                        closed: Arc::clone(&self.closed),
                    };
                    let result = register(forwarder);
                    let previous = match result {
                        Ok(_) => slots
                            .insert(slot.to_string(), new as Arc<dyn AnySlot>)
                            .and_then(|old| old.take()),
                        // Not registered: release the handler.
                        Err(_) => new.take(),
                    };
                    (previous, Some(result))
                }
            }
        };
        let had_previous = previous.is_some();
        drop(previous);
        let failed = matches!(registered, Some(Err(_)));
        if had_previous || failed {
            self.wait_released();
        }
        registered.transpose()
    }

    /// Empties `slot`: its host handler is not called again (calls the core still makes fail
    /// with "no callback"). From a host thread, returns once a running call has returned and
    /// the handler was released (up to [`UNREGISTER_WAIT`]); on the delivery thread, at once.
    /// True when the slot held a handler.
    pub fn clear(&self, slot: &str) -> bool {
        let taken = self.slots().remove(slot).and_then(|s| s.take());
        let had = taken.is_some();
        drop(taken);
        if had {
            self.wait_released();
        }
        had
    }

    /// True when `slot` holds a handler.
    pub fn contains(&self, slot: &str) -> bool {
        self.slots().contains_key(slot)
    }

    /// Refuses further registrations and empties every slot (call before closing the
    /// client, so that the releases run on the delivery thread before it exits). Waits for
    /// the releases as [`clear`](HostHandlers::clear) does.
    pub fn close(&self) {
        let taken: Vec<Box<dyn Any + Send>> = {
            let mut slots = self.slots();
            self.closed.store(true, Ordering::SeqCst);
            slots.drain().filter_map(|(_, s)| s.take()).collect()
        };
        let had = !taken.is_empty();
        drop(taken);
        if had {
            self.wait_released();
        }
    }

    /// True once [`close`](HostHandlers::close) ran.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Waits until what was posted to the delivery thread (a release) has run.
    fn wait_released(&self) {
        if !self.delivery.is_current() && !crate::runtime::in_async_context() {
            self.delivery.fence(UNREGISTER_WAIT);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::DeliveryConfig;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    fn delivery() -> Delivery {
        Delivery::spawn(DeliveryConfig::default()).unwrap()
    }

    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A host handler that answers `n * factor` and counts its release.
    fn times(factor: u32, released: &Arc<AtomicUsize>) -> HostHandler<u32, u32> {
        let guard = Counted(Arc::clone(released));
        Box::new(move |n, call: HostCall<u32>| {
            let _ = &guard;
            call.complete(Ok(n * factor));
        })
    }

    fn run<T>(f: impl std::future::Future<Output = T> + Send + 'static) -> T
    where
        T: Send + 'static,
    {
        crate::runtime::block_on(async move { Ok(f.await) }).unwrap()
    }

    #[test]
    fn calls_reach_the_current_handler_and_replacing_keeps_the_forwarder() {
        let delivery = delivery();
        let handlers = HostHandlers::new(&delivery);
        let released = Arc::new(AtomicUsize::new(0));
        let mut forwarders = Vec::new();
        let first = handlers
            .set("input:a", times(2, &released), |f| {
                forwarders.push(f.clone());
                Ok(1)
            })
            .unwrap();
        assert_eq!(first, Some(1));
        let forwarder = forwarders.pop().unwrap();
        assert_eq!(run(forwarder.call(21)).unwrap(), 42);
        // Replacing: no new registration, the old handler released before returning.
        let again = handlers
            .set(
                "input:a",
                times(3, &released),
                |_| -> edgemodule::Result<()> { panic!("not registered twice") },
            )
            .unwrap();
        assert_eq!(again, None);
        assert_eq!(released.load(Ordering::SeqCst), 1);
        assert_eq!(run(forwarder.call(5)).unwrap(), 15);
        assert!(handlers.clear("input:a"));
        assert_eq!(released.load(Ordering::SeqCst), 2);
        let e = run(forwarder.call(5)).unwrap_err();
        assert!(e.message().contains("no callback"), "{e}");
        assert!(!handlers.clear("input:a"));
        delivery.close();
    }

    #[test]
    fn a_call_dropped_or_completed_later_settles_the_future() {
        let delivery = delivery();
        let handlers = HostHandlers::new(&delivery);
        let parked: Arc<Mutex<Vec<HostCall<u32>>>> = Arc::default();
        let park = Arc::clone(&parked);
        let mut forwarder = None;
        handlers
            .set(
                "topic",
                Box::new(move |n: u32, call: HostCall<u32>| {
                    if n == 0 {
                        drop(call);
                    } else {
                        park.lock().unwrap().push(call);
                    }
                }),
                |f| {
                    forwarder = Some(f);
                    Ok(())
                },
            )
            .unwrap();
        let forwarder = forwarder.unwrap();
        let e = run(forwarder.call(0)).unwrap_err();
        assert_eq!(e.message(), NOT_COMPLETED);
        let pending = forwarder.call(7);
        let completer = std::thread::spawn(move || loop {
            if let Some(call) = parked.lock().unwrap().pop() {
                return call.complete(Ok(70));
            }
            std::thread::sleep(Duration::from_millis(2));
        });
        assert_eq!(run(pending).unwrap(), 70);
        assert!(completer.join().unwrap());
        handlers.close();
        assert!(handlers.is_closed());
        let e = run(forwarder.call(1)).unwrap_err();
        assert_eq!(e.message(), CLOSING);
        let refused = handlers.set("topic", times(1, &Arc::default()), |_| Ok(()));
        assert_eq!(refused.unwrap_err().kind(), edgemodule::ErrorKind::Closed);
        delivery.close();
    }

    #[test]
    fn a_failed_registration_releases_the_handler() {
        let delivery = delivery();
        let handlers = HostHandlers::new(&delivery);
        let released = Arc::new(AtomicUsize::new(0));
        let e = handlers
            .set(
                "sub:1",
                times(1, &released),
                |_| -> edgemodule::Result<()> {
                    Err(edgemodule::Error::invalid_argument("refused"))
                },
            )
            .unwrap_err();
        assert_eq!(e.kind(), edgemodule::ErrorKind::InvalidArgument);
        assert_eq!(released.load(Ordering::SeqCst), 1);
        assert!(!handlers.contains("sub:1"));
        delivery.close();
    }
}
