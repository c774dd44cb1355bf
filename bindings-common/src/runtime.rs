//! The native library's one tokio runtime (design.md §4 rule 2).
//!
//! - Created lazily by the first call that needs it, with named worker threads
//!   (`edgemodule-rt`; `EDGEMODULE_WORKER_THREADS` sets how many, default 2).
//! - Records the process id it was created in: used in a `fork`ed child it fails with a
//!   `CONFIG` error that says so, instead of hanging on threads that do not exist there.
//! - [`shutdown`] closes every live [`HostedClient`](crate::HostedClient), stops the
//!   runtime (joining its threads) and joins every delivery thread, within one time bound.
//!   Afterwards every call fails with `CLOSED`; managed hosts (Mono, the JVM) call it before
//!   they exit, and leak checkers see no live threads.
//!
//! [`block_on`] is how a synchronous host call waits for core work: the future runs on the
//! runtime and the caller waits on a plain channel, so it works from any host thread —
//! including delivery threads — and refuses (instead of panicking) on a runtime thread.

use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use edgemodule::{Error, ErrorKind, Result};
use tokio::runtime::{Handle, Runtime};

use crate::panic::guard_future;

/// Environment variable choosing the number of runtime worker threads.
pub const WORKER_THREADS_VAR: &str = "EDGEMODULE_WORKER_THREADS";
const DEFAULT_WORKER_THREADS: usize = 2;

enum State {
    Idle,
    Running { runtime: Runtime, pid: u32 },
    ShutDown,
}

static STATE: Mutex<State> = Mutex::new(State::Idle);

/// Whether this process is a `fork`ed copy of the one that created the runtime.
///
/// On Unix a `pthread_atfork` child handler sets a flag: asking the kernel for the process
/// id (`getpid` is a system call) on every operation cost about 1 % of a send's CPU.
#[cfg(unix)]
mod fork {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Once;

    static FORKED: AtomicBool = AtomicBool::new(false);
    static WATCH: Once = Once::new();

    extern "C" fn in_child() {
        FORKED.store(true, Ordering::Relaxed);
    }

    /// Starts watching for forks (when the runtime is created).
    pub(super) fn watch() {
        // SAFETY: registers a handler that only stores to an atomic (async-signal-safe, as a
        // fork child handler must be). glibc's pthread_atfork records the calling library and
        // drops its handlers if that library is unloaded.
        WATCH.call_once(|| unsafe {
            libc::pthread_atfork(None, None, Some(in_child));
        });
    }

    /// True in a child `fork`ed after [`watch`] (`pid` is unused here).
    pub(super) fn is_child(_pid: u32) -> bool {
        FORKED.load(Ordering::Relaxed)
    }
}

/// Elsewhere: the process id is compared.
#[cfg(not(unix))]
mod fork {
    pub(super) fn watch() {}

    pub(super) fn is_child(pid: u32) -> bool {
        pid != std::process::id()
    }
}

fn state() -> MutexGuard<'static, State> {
    STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn forked_error(parent: u32) -> Error {
    Error::config(format!(
        "edgemodule was started in process {parent} and cannot be used in this fork()ed \
         child (process {}); create clients only after fork, or exec a new program",
        std::process::id()
    ))
}

fn shut_down_error() -> Error {
    Error::new(
        ErrorKind::Closed,
        "edgemodule was shut down (edgemodule_shutdown); no further calls are possible in \
         this process",
    )
}

fn worker_threads() -> usize {
    std::env::var(WORKER_THREADS_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| (1..=64).contains(n))
        .unwrap_or(DEFAULT_WORKER_THREADS)
}

/// A handle to the runtime, creating it on first use. `CONFIG` in a forked child, `CLOSED`
/// after [`shutdown`], `INTERNAL` if the runtime cannot be built.
pub fn handle() -> Result<Handle> {
    let mut state = state();
    match &*state {
        State::Running { runtime, pid } if !fork::is_child(*pid) => {
            return Ok(runtime.handle().clone())
        }
        State::Running { pid, .. } => return Err(forked_error(*pid)),
        State::ShutDown => return Err(shut_down_error()),
        State::Idle => {}
    }
    // Before the runtime exists: a fork from now on is seen in the child.
    fork::watch();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name("edgemodule-rt")
        .enable_all()
        .build()
        .map_err(|e| {
            Error::new(
                ErrorKind::Internal,
                format!("cannot start the edgemodule runtime: {e}"),
            )
        })?;
    let handle = runtime.handle().clone();
    *state = State::Running {
        runtime,
        pid: std::process::id(),
    };
    Ok(handle)
}

/// True when the calling thread runs async code (a tokio worker or `block_on`): blocking
/// there would stall or panic.
pub fn in_async_context() -> bool {
    Handle::try_current().is_ok()
}

/// Runs `future` on the runtime and waits for its result on the calling thread.
///
/// `INTERNAL` (without running anything) when called from async code; `CLOSED` when the
/// runtime stops before the future finished; a panic in the future becomes `INTERNAL`.
pub fn block_on<T, F>(future: F) -> Result<T>
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    if in_async_context() {
        return Err(Error::new(
            ErrorKind::Internal,
            "a blocking edgemodule call was made from async code (a runtime thread); use the \
             asynchronous variant there",
        ));
    }
    let handle = handle()?;
    let slot = Arc::new(Slot::default());
    let sender = SlotSender(Arc::clone(&slot));
    handle.spawn(async move {
        let result = guard_future(future).await;
        sender.send(result);
    });
    // The sender is dropped unsent only when the runtime drops the task (shutdown).
    slot.wait().unwrap_or_else(|| Err(shut_down_error()))
}

/// A one-shot result slot. (A plain Mutex + Condvar rather than `std::sync::mpsc`, whose
/// receiver allocates per-thread state on the host's thread that leak checkers then report
/// as possibly lost.)
struct Slot<T> {
    state: Mutex<(Option<T>, bool)>,
    ready: Condvar,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            state: Mutex::new((None, false)),
            ready: Condvar::new(),
        }
    }
}

impl<T> Slot<T> {
    /// The value, or `None` when the sender was dropped without sending.
    fn wait(&self) -> Option<T> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while !state.1 {
            state = self.ready.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        state.0.take()
    }
}

/// Fills a [`Slot`]; dropping it unsent wakes the waiter with nothing.
struct SlotSender<T>(Arc<Slot<T>>);

impl<T> SlotSender<T> {
    fn send(self, value: T) {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner()).0 = Some(value);
    }
}

impl<T> Drop for SlotSender<T> {
    fn drop(&mut self) {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner()).1 = true;
        self.0.ready.notify_all();
    }
}

/// Spawns `future` on the runtime (a panic in it is logged). `Err` when there is no runtime.
pub fn spawn<F>(future: F) -> Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let handle = handle()?;
    handle.spawn(async move {
        let _ = guard_future(async {
            future.await;
            Ok(())
        })
        .await;
    });
    Ok(())
}

/// True while the runtime can run work (created or not yet created, not shut down, not
/// inherited through fork).
pub fn is_available() -> bool {
    match &*state() {
        State::Idle => true,
        State::Running { pid, .. } => !fork::is_child(*pid),
        State::ShutDown => false,
    }
}

/// Shuts edgemodule down in this process, within `timeout` overall: closes every live
/// hosted client (their in-flight operations complete with `CLOSED`, their `ctx_free`s
/// run), stops the runtime and joins its threads, then joins every delivery thread and the
/// log thread.
/// Idempotent; afterwards every call fails with `CLOSED`.
///
/// `Err(TIMEOUT)` when some thread did not finish in time (it is left running), `INTERNAL`
/// when called from async code (nothing is shut down then). Threads of a runtime inherited
/// through `fork` do not exist in the child; that runtime is leaked, not joined.
pub fn shutdown(timeout: Duration) -> Result<()> {
    if in_async_context() {
        return Err(Error::new(
            ErrorKind::Internal,
            "edgemodule shutdown was called from async code (a runtime thread)",
        ));
    }
    let deadline = Instant::now() + timeout;
    crate::hosted::close_all(deadline);
    let previous = std::mem::replace(&mut *state(), State::ShutDown);
    let mut complete = true;
    if let State::Running { runtime, pid } = previous {
        if !fork::is_child(pid) {
            let started = Instant::now();
            let budget = remaining(deadline);
            runtime.shutdown_timeout(budget);
            complete &= started.elapsed() < budget || budget.is_zero();
        } else {
            std::mem::forget(runtime);
        }
    }
    complete &= crate::delivery::join_all(remaining(deadline));
    complete &= crate::logging::shutdown(deadline);
    if complete {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Timeout,
            format!("edgemodule threads did not all stop within {timeout:?}"),
        ))
    }
}

/// Time left until `deadline` (zero once it passed).
pub fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The runtime is process-global and `shutdown` is final, so these tests only use it
    // without shutting it down (shutdown is covered by the C tests, one process each).
    #[test]
    fn block_on_runs_on_the_runtime_and_reports_panics() {
        assert_eq!(block_on(async { Ok(41 + 1) }).unwrap(), 42);
        let on_worker = block_on(async { Ok(in_async_context()) }).unwrap();
        assert!(on_worker, "the future runs on a runtime thread");
        let e = block_on(async { panic!("bad") as Result<()> }).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert!(is_available());
    }

    #[test]
    fn block_on_refuses_inside_async_code() {
        let nested = block_on(async { Ok(block_on(async { Ok(()) })) }).unwrap();
        let e = nested.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert!(e.message().contains("async"), "{e}");
    }

    #[test]
    fn forked_and_shut_down_errors_explain_themselves() {
        let e = forked_error(1);
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("fork"));
        assert_eq!(shut_down_error().kind(), ErrorKind::Closed);
    }
}
