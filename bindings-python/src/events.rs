//! Events travel from the runtime (the core's handler calls, the status and background-error
//! streams) through one unbounded queue per client to the client's Python delivery thread,
//! which waits in [`EventReceiver::next_batch`] with the GIL released. Python objects are made
//! there, never on the runtime.
//!
//! The queue needs no bound of its own: the core calls each handler registration with one
//! item at a time and waits for its result, so at most one event per registration is in it,
//! plus status changes and background errors (bounded by the core's streams).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Mutex;
use std::time::Duration;

use edgemodule::{
    BackgroundError, ConnectionStatus, DesiredPatch, InputMessage, MethodRequest, UserMessage,
};
use edgemodule_ffi::codes;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::calls::HandlerCall;
use crate::message;

/// Event kinds as the Python dispatcher sees them (first item of every event tuple).
pub const INPUT: u8 = 0;
/// A direct-method call.
pub const METHOD: u8 = 1;
/// A desired-properties patch.
pub const DESIRED: u8 = 2;
/// A connection status change.
pub const STATUS: u8 = 3;
/// A message on a user topic.
pub const TOPIC: u8 = 4;
/// A background error from the core.
pub const BACKGROUND: u8 = 5;
/// The core let go of a handler registration: no event of it follows.
pub const RELEASED: u8 = 6;

/// One event.
pub enum Event {
    /// A handler call for a message on an input.
    Input(u64, InputMessage, HandlerCall),
    /// A handler call for a method call.
    Method(u64, MethodRequest, HandlerCall),
    /// A handler call for a desired-properties patch.
    Desired(u64, DesiredPatch, HandlerCall),
    /// A handler call for a user-topic message.
    Topic(u64, UserMessage, HandlerCall),
    /// A status change.
    Status(ConnectionStatus),
    /// A background error.
    Background(BackgroundError),
    /// Registration `.0` was released by the core.
    Released(u64),
    /// The client closed: the receiver stops here.
    Closed,
}

fn name_of(table: &[(i32, &'static str)], code: i32) -> &'static str {
    table
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("UNKNOWN", |(_, n)| *n)
}

/// `(state, reason)` names of a status.
pub fn status_names(status: &ConnectionStatus) -> (&'static str, &'static str) {
    (
        name_of(&codes::STATES, codes::state_code(status.state)),
        name_of(&codes::REASONS, codes::reason_code(status.reason)),
    )
}

impl Event {
    /// The tuple the Python dispatcher reads: `(kind, …)`.
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let tuple = match self {
            Event::Input(reg, input, call) => {
                let parts = message::to_parts(py, input.message())?;
                (INPUT, reg, parts, Py::new(py, call)?)
                    .into_pyobject(py)?
                    .into_any()
            }
            Event::Method(reg, request, call) => {
                let payload = request.payload.to_string();
                let rid = request.request_id().to_string();
                (
                    METHOD,
                    reg,
                    request.name.as_str(),
                    payload,
                    rid,
                    Py::new(py, call)?,
                )
                    .into_pyobject(py)?
                    .into_any()
            }
            Event::Desired(reg, patch, call) => (
                DESIRED,
                reg,
                patch.to_json_string(),
                patch.full,
                Py::new(py, call)?,
            )
                .into_pyobject(py)?
                .into_any(),
            Event::Topic(reg, m, call) => {
                let payload = PyBytes::new(py, &m.payload);
                (TOPIC, reg, m.topic, payload, Py::new(py, call)?)
                    .into_pyobject(py)?
                    .into_any()
            }
            Event::Status(status) => {
                let (state, reason) = status_names(&status);
                (STATUS, state, reason).into_pyobject(py)?.into_any()
            }
            Event::Background(e) => (
                BACKGROUND,
                e.kind.name(),
                e.family.name(),
                e.name,
                e.message,
            )
                .into_pyobject(py)?
                .into_any(),
            Event::Released(reg) => (RELEASED, reg).into_pyobject(py)?.into_any(),
            Event::Closed => py.None().into_bound(py),
        };
        Ok(tuple.unbind())
    }
}

/// The sending end of a client's queue (shared by every handler closure and forwarder).
pub struct EventSink {
    tx: Sender<Event>,
    closed: AtomicBool,
}

impl EventSink {
    /// A queue: its sending end, and the receiver for the delivery thread.
    pub fn new() -> (EventSink, EventReceiver) {
        let (tx, rx) = mpsc::channel();
        (
            EventSink {
                tx,
                closed: AtomicBool::new(false),
            },
            EventReceiver {
                rx: Mutex::new(rx),
                ended: AtomicBool::new(false),
            },
        )
    }

    /// Queues `event` (never waits). False, and the event dropped, once closed.
    pub fn send(&self, event: Event) -> bool {
        if self.closed.load(Ordering::Acquire) {
            return false;
        }
        self.tx.send(event).is_ok()
    }

    /// Ends the queue: the receiver stops after what is queued; later events are dropped.
    pub fn close(&self) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            let _ = self.tx.send(Event::Closed);
        }
    }

    /// True once [`close`](EventSink::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// The receiving end of a client's event queue, read by its Python delivery thread.
#[pyclass(frozen, module = "edgemodule._native")]
pub struct EventReceiver {
    rx: Mutex<Receiver<Event>>,
    ended: AtomicBool,
}

#[pymethods]
impl EventReceiver {
    /// Waits up to `timeout` seconds (GIL released) for events and returns up to `max` of
    /// them as tuples `(kind, …)`; an empty list when none came; `None` once the client is
    /// closed and everything before the close was returned.
    fn next_batch(
        &self,
        py: Python<'_>,
        max: usize,
        timeout: f64,
    ) -> PyResult<Option<Vec<Py<PyAny>>>> {
        if self.ended.load(Ordering::Acquire) {
            return Ok(None);
        }
        let wait = Duration::from_secs_f64(timeout.clamp(0.0, 3600.0));
        let (batch, ended) = py.detach(|| {
            let rx = self.rx.lock().unwrap_or_else(|p| p.into_inner());
            let first = match rx.recv_timeout(wait) {
                Ok(Event::Closed) | Err(RecvTimeoutError::Disconnected) => {
                    return (Vec::new(), true)
                }
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => return (Vec::new(), false),
            };
            let mut batch = vec![first];
            while batch.len() < max.max(1) {
                match rx.try_recv() {
                    Ok(Event::Closed) => return (batch, true),
                    Ok(event) => batch.push(event),
                    Err(_) => break,
                }
            }
            (batch, false)
        });
        if ended {
            self.ended.store(true, Ordering::Release);
            if batch.is_empty() {
                return Ok(None);
            }
        }
        batch
            .into_iter()
            .map(|e| e.into_py(py))
            .collect::<PyResult<Vec<_>>>()
            .map(Some)
    }
}
