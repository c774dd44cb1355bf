//! Promises of operations (sends, …) settled in batches.
//!
//! A napi-rs `async fn` creates a ThreadsafeFunction (a libuv async handle, an env cleanup
//! hook) per call and wakes Node's event loop once per settled Promise; at thousands of sends
//! a second that hand-off was most of the binding's CPU per message. Here every operation of
//! one Node environment shares one ThreadsafeFunction: a finished operation queues its result
//! and wakes the event loop only when the queue was empty, and one event-loop turn settles
//! every result queued by then. The function keeps the event loop alive only while a Promise
//! is pending, as a per-call one would.

use std::cell::RefCell;
use std::ffi::c_void;
use std::future::Future;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::ToNapiValue;
use napi::{check_status, sys, Env, JsError};

use edgemodule_ffi::driver::{Driver, Operation};

/// A Promise's resolver; only used on the thread that created it (Node's main thread).
struct Deferred(sys::napi_deferred);

// SAFETY: the handle only travels through the queue; it is dereferenced by Node on the main
// thread, in `drain`.
unsafe impl Send for Deferred {}

#[derive(Default)]
struct Queue {
    done: Vec<(Deferred, napi::Result<()>)>,
    /// The ThreadsafeFunction was called and has not drained yet.
    scheduled: bool,
    /// The environment is being torn down: the function is released, nothing settles.
    closed: bool,
}

/// An operation's Promise and its outcome.
type Finished = (Deferred, napi::Result<()>);

/// One Node environment's queue of finished operations.
pub struct Completions {
    queue: Mutex<Queue>,
    /// Runs the operations that did not finish at their first poll.
    driver: Arc<Driver<Finished>>,
    tsfn: AtomicPtr<sys::napi_threadsafe_function__>,
    /// Promises not settled yet (changed on the main thread only).
    pending: AtomicUsize,
}

thread_local! {
    /// Per JavaScript thread, i.e. per Node environment (the main thread or a worker).
    static COMPLETIONS: RefCell<Option<Arc<Completions>>> = const { RefCell::new(None) };
}

/// A Promise created by [`start`], returned to JavaScript as it is.
pub struct PendingPromise(sys::napi_value);

impl ToNapiValue for PendingPromise {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        Ok(val.0)
    }
}

/// Runs `operation` on napi's tokio runtime and returns a Promise of its outcome, settled in
/// the next batch after it finishes. Called on Node's main thread.
pub fn start<F>(env: &Env, operation: F) -> napi::Result<PendingPromise>
where
    F: Future<Output = napi::Result<()>> + Send + 'static,
{
    let completions = completions(env)?;
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    check_status!(
        unsafe { sys::napi_create_promise(env.raw(), &mut deferred, &mut promise) },
        "cannot create a Promise"
    )?;
    if completions.pending.fetch_add(1, Ordering::Relaxed) == 0 {
        // A pending operation keeps the process alive, as napi-rs' per-call function does.
        unsafe { sys::napi_ref_threadsafe_function(env.raw(), completions.tsfn()) };
    }
    let deferred = Deferred(deferred);
    // The first poll runs here, inside the runtime: it hands the work to the core's
    // connection task at once (a send is queued for the socket) instead of after a hop to a
    // tokio worker. What is left (waiting for the acknowledgement) finishes on the
    // environment's driver task (`driver.rs`), not on a task spawned per operation.
    let operation: Operation<Finished> = Box::pin(async move { (deferred, operation.await) });
    crate::in_runtime(|| {
        completions.driver.submit(
            operation,
            |(deferred, outcome)| completions.push(deferred, outcome),
            |driver| {
                let sink = Arc::clone(&completions);
                let gone = Arc::clone(&completions);
                napi::bindgen_prelude::spawn(driver.run(
                    move |(deferred, outcome)| sink.push(deferred, outcome),
                    move || gone.lock().closed,
                ));
            },
        )
    });
    Ok(PendingPromise(promise))
}

fn completions(env: &Env) -> napi::Result<Arc<Completions>> {
    COMPLETIONS.with(|slot| {
        if let Some(existing) = slot.borrow().as_ref() {
            return Ok(Arc::clone(existing));
        }
        let created = Completions::create(env)?;
        *slot.borrow_mut() = Some(Arc::clone(&created));
        Ok(created)
    })
}

impl Completions {
    fn create(env: &Env) -> napi::Result<Arc<Self>> {
        let completions = Arc::new(Completions {
            queue: Mutex::new(Queue::default()),
            driver: Arc::new(Driver::new()),
            tsfn: AtomicPtr::new(ptr::null_mut()),
            pending: AtomicUsize::new(0),
        });
        let raw_env = env.raw();
        let name = "edgemodule completions";
        let mut js_name = ptr::null_mut();
        check_status!(
            unsafe {
                sys::napi_create_string_utf8(
                    raw_env,
                    name.as_ptr().cast(),
                    name.len() as isize,
                    &mut js_name,
                )
            },
            "cannot name the completion function"
        )?;
        // The function and the cleanup hook each own one reference, given back in
        // `finalized` and `teardown`.
        let context = Arc::into_raw(Arc::clone(&completions)) as *mut c_void;
        let mut tsfn = ptr::null_mut();
        let status = unsafe {
            sys::napi_create_threadsafe_function(
                raw_env,
                ptr::null_mut(),
                ptr::null_mut(),
                js_name,
                0,
                1,
                context,
                Some(finalized),
                context,
                Some(drain),
                &mut tsfn,
            )
        };
        if let Err(e) = check_status!(status, "cannot create the completion function") {
            drop(unsafe { Arc::from_raw(context as *const Completions) });
            return Err(e);
        }
        completions.tsfn.store(tsfn, Ordering::Release);
        // Idle until an operation is pending.
        unsafe { sys::napi_unref_threadsafe_function(raw_env, tsfn) };
        let hook = Arc::into_raw(Arc::clone(&completions)) as *mut c_void;
        unsafe { sys::napi_add_env_cleanup_hook(raw_env, Some(teardown), hook) };
        Ok(completions)
    }

    fn tsfn(&self) -> sys::napi_threadsafe_function {
        self.tsfn.load(Ordering::Acquire)
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        match self.queue.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Queues a finished operation; wakes the event loop unless a wake-up is on its way.
    fn push(&self, deferred: Deferred, outcome: napi::Result<()>) {
        let mut queue = self.lock();
        if queue.closed {
            return; // Node is gone: nobody is left to settle for.
        }
        queue.done.push((deferred, outcome));
        if !queue.scheduled {
            queue.scheduled = true;
            // Under the lock, so that `teardown` cannot release the function meanwhile.
            unsafe {
                sys::napi_call_threadsafe_function(
                    self.tsfn(),
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                )
            };
        }
    }
}

/// On Node's main thread: settles every queued result.
unsafe extern "C" fn drain(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    if env.is_null() || context.is_null() {
        return; // the function is being torn down
    }
    let completions = unsafe { &*(context as *const Completions) };
    let done = {
        let mut queue = completions.lock();
        queue.scheduled = false;
        std::mem::take(&mut queue.done)
    };
    let settled = done.len();
    for (Deferred(deferred), outcome) in done {
        let mut scope = ptr::null_mut();
        unsafe { sys::napi_open_handle_scope(env, &mut scope) };
        match outcome {
            Ok(()) => {
                let mut undefined = ptr::null_mut();
                unsafe {
                    sys::napi_get_undefined(env, &mut undefined);
                    sys::napi_resolve_deferred(env, deferred, undefined);
                }
            }
            Err(error) => unsafe {
                let value = JsError::from(error).into_value(env);
                sys::napi_reject_deferred(env, deferred, value);
            },
        }
        unsafe { sys::napi_close_handle_scope(env, scope) };
    }
    if settled > 0 && completions.pending.fetch_sub(settled, Ordering::Relaxed) == settled {
        unsafe { sys::napi_unref_threadsafe_function(env, completions.tsfn()) };
    }
}

/// The environment is being torn down: stop settling, release the function.
unsafe extern "C" fn teardown(arg: *mut c_void) {
    let completions = unsafe { Arc::from_raw(arg as *const Completions) };
    // Runs on the environment's thread: a later environment there starts afresh.
    let _ = COMPLETIONS.try_with(|slot| slot.borrow_mut().take());
    let mut queue = completions.lock();
    queue.closed = true;
    // The driver notices `closed` and drops what is still pending.
    completions.driver.wake();
    // The deferreds die with the environment.
    std::mem::forget(std::mem::take(&mut queue.done));
    unsafe {
        sys::napi_release_threadsafe_function(
            completions.tsfn(),
            sys::ThreadsafeFunctionReleaseMode::abort,
        )
    };
}

unsafe extern "C" fn finalized(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    drop(unsafe { Arc::from_raw(data as *const Completions) });
}
