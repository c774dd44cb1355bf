//! One operation in flight. The future runs on the runtime; its result is parked in the
//! [`Op`] and, when the asyncio side asked for it, announced on a [`CompletionPort`]. Either
//! way the result becomes a Python object only on a Python thread.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use edgemodule::{Error, ErrorKind, MethodInvokeResponse, Twin};
use pyo3::prelude::*;
use serde_json::json;
use tokio::task::AbortHandle;

use crate::errors;
use crate::wait;

/// What a finished operation produced.
pub enum OpValue {
    /// Nothing (`None` in Python).
    Unit,
    /// A twin, as the JSON text azure-iot-device users know (`$version` inside each part).
    Twin(Twin),
    /// A method call's answer, as JSON text `{"status": …, "payload": …}`.
    Invoke(MethodInvokeResponse),
}

impl OpValue {
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(match self {
            OpValue::Unit => py.None(),
            OpValue::Twin(twin) => twin
                .to_json_string()
                .map_err(|e| crate::errors::to_py(py, &e))?
                .into_pyobject(py)?
                .into_any()
                .unbind(),
            OpValue::Invoke(r) => json!({"status": r.status, "payload": r.payload})
                .to_string()
                .into_pyobject(py)?
                .into_any()
                .unbind(),
        })
    }
}

type Outcome = edgemodule::Result<OpValue>;

#[derive(Default)]
struct State {
    /// Set by the first `finish`; later ones (cancel after the end, the drop guard) are no-ops.
    finished: bool,
    outcome: Option<Outcome>,
    sink: Option<(Arc<PortInner>, u64)>,
}

#[derive(Default)]
struct OpShared {
    state: Mutex<State>,
    done: Condvar,
    abort: Mutex<Option<AbortHandle>>,
}

impl OpShared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn finish(&self, outcome: Outcome) {
        let mut state = self.state();
        if state.finished {
            return;
        }
        state.finished = true;
        match state.sink.take() {
            Some((port, token)) => port.push(token, outcome),
            None => state.outcome = Some(outcome),
        }
        drop(state);
        self.done.notify_all();
    }
}

/// Completes its op with `CLOSED` if the runtime drops the future unfinished.
struct Finisher(Arc<OpShared>);

impl Drop for Finisher {
    fn drop(&mut self) {
        self.0.finish(Err(Error::new(
            ErrorKind::Closed,
            "the operation was dropped because edgemodule shut down",
        )));
    }
}

/// An operation in flight: `wait()` blocks for it (the GIL released, Ctrl-C honoured);
/// `bind(port, token)` announces its end on an asyncio completion port instead.
#[pyclass(frozen, module = "edgemodule._native")]
pub struct Op {
    shared: Arc<OpShared>,
}

impl Op {
    /// Starts `future` on the runtime. A panic in it becomes `INTERNAL`; no runtime (shut
    /// down, forked child) completes the op at once with that error.
    pub fn start<F>(future: F) -> Op
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let shared = Arc::new(OpShared::default());
        let finisher = Finisher(Arc::clone(&shared));
        match edgemodule_ffi::runtime::handle() {
            Ok(handle) => {
                let task = handle.spawn(async move {
                    let outcome = edgemodule_ffi::panic::guard_future(future).await;
                    finisher.0.finish(outcome);
                });
                *shared.abort.lock().unwrap_or_else(|p| p.into_inner()) = Some(task.abort_handle());
            }
            Err(e) => finisher.0.finish(Err(e)),
        }
        Op { shared }
    }

    /// An op that already failed with `error`.
    pub fn failed(error: Error) -> Op {
        let shared = Arc::new(OpShared::default());
        shared.finish(Err(error));
        Op { shared }
    }

    fn take(&self) -> Option<Outcome> {
        self.shared.state().outcome.take()
    }
}

#[pymethods]
impl Op {
    /// Waits for the result (GIL released; Ctrl-C cancels the operation and raises
    /// `KeyboardInterrupt`). Raises the operation's `EdgeModuleError`.
    fn wait(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let shared = Arc::clone(&self.shared);
        let ready = wait::until(py, || {
            let state = shared.state();
            if state.outcome.is_some() {
                return true;
            }
            let (state, _) = shared
                .done
                .wait_timeout(state, wait::SLICE)
                .unwrap_or_else(|p| p.into_inner());
            state.outcome.is_some()
        });
        if let Err(interrupted) = ready {
            self.cancel();
            return Err(interrupted);
        }
        match self.take() {
            Some(outcome) => convert(py, outcome),
            None => Err(errors::to_py(
                py,
                &Error::new(
                    ErrorKind::Internal,
                    "the operation result was already taken",
                ),
            )),
        }
    }

    /// Announces the end on `port` with `token` (at once if it has already ended).
    fn bind(&self, port: &CompletionPort, token: u64) {
        let mut state = self.shared.state();
        match state.outcome.take() {
            Some(outcome) => port.inner.push(token, outcome),
            None => state.sink = Some((Arc::clone(&port.inner), token)),
        }
    }

    /// Cancels the operation (its future is dropped; a bound port gets `CancelledError`).
    fn cancel(&self) {
        if let Some(task) = self
            .shared
            .abort
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            task.abort();
        }
        self.shared.finish(Err(Error::new(
            ErrorKind::Cancelled,
            "the operation was cancelled",
        )));
    }

    /// True once the operation has ended (and its result was not yet taken or announced).
    fn done(&self) -> bool {
        self.shared.state().outcome.is_some()
    }
}

fn convert(py: Python<'_>, outcome: Outcome) -> PyResult<Py<PyAny>> {
    match outcome {
        Ok(value) => value.into_py(py),
        Err(e) => Err(errors::to_py(py, &e)),
    }
}

struct PortInner {
    queue: Mutex<VecDeque<(u64, Outcome)>>,
    armed: AtomicBool,
    reader: UnixStream,
    writer: UnixStream,
}

impl PortInner {
    /// Queues a result and wakes the reader once per batch (never blocks, no GIL).
    fn push(&self, token: u64, outcome: Outcome) {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back((token, outcome));
        if !self.armed.swap(true, Ordering::AcqRel) {
            let _ = (&self.writer).write(&[1]);
        }
    }
}

/// Where operations started from asyncio report their end: a socket the event loop
/// watches (`loop.add_reader(port.fileno(), …)`) plus a queue that `drain()` empties on
/// the loop's own thread. No other thread touches Python for it.
#[pyclass(frozen, module = "edgemodule._native")]
pub struct CompletionPort {
    inner: Arc<PortInner>,
}

#[pymethods]
impl CompletionPort {
    #[new]
    fn new() -> PyResult<Self> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        writer.set_nonblocking(true)?;
        Ok(CompletionPort {
            inner: Arc::new(PortInner {
                queue: Mutex::new(VecDeque::new()),
                armed: AtomicBool::new(false),
                reader,
                writer,
            }),
        })
    }

    /// The file descriptor that becomes readable when results are waiting.
    fn fileno(&self) -> i32 {
        self.inner.reader.as_raw_fd()
    }

    /// Every waiting result as `(token, ok, value_or_exception)`.
    fn drain(&self, py: Python<'_>) -> PyResult<Vec<(u64, bool, Py<PyAny>)>> {
        let mut sink = [0u8; 64];
        while matches!((&self.inner.reader).read(&mut sink), Ok(n) if n > 0) {}
        self.inner.armed.store(false, Ordering::Release);
        let batch: Vec<(u64, Outcome)> = self
            .inner
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .collect();
        let mut out = Vec::with_capacity(batch.len());
        for (token, outcome) in batch {
            match convert(py, outcome) {
                Ok(value) => out.push((token, true, value)),
                Err(e) => out.push((token, false, e.into_value(py).into_any())),
            }
        }
        Ok(out)
    }
}
