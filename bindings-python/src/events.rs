//! Events (input messages, method calls, desired patches, status changes, user-topic
//! messages) travel from forwarding tasks on the runtime through one bounded queue per
//! client to the client's Python delivery thread, which calls [`EventReceiver::next_batch`]
//! with the GIL released while it waits. Python objects are made there, never on the
//! runtime.

use std::sync::Mutex;

use edgemodule::{
    ConnectionStatus, DesiredPatch, Error, ErrorKind, InputMessage, MethodRequest, UserMessage,
};
use edgemodule_ffi::codes;
use pyo3::prelude::*;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::errors::{self, IntoPyResult};
use crate::message;
use crate::ops::{Op, OpValue};

/// Events queued per client before the forwarding tasks wait (back-pressure on the core's
/// streams, never on a runtime thread).
pub const CAPACITY: usize = 256;

/// Event kinds as the Python dispatcher sees them (second item of every event tuple).
pub const INPUT: u8 = 0;
/// A direct-method call.
pub const METHOD: u8 = 1;
/// A desired-properties patch.
pub const DESIRED: u8 = 2;
/// A connection status change.
pub const STATUS: u8 = 3;
/// A message on a user topic.
pub const TOPIC: u8 = 4;

/// One event for registration `.0`.
pub enum Event {
    /// A message on an input.
    Input(u64, Box<InputMessage>),
    /// A method call.
    Method(u64, MethodRequest),
    /// A desired patch.
    Desired(u64, DesiredPatch),
    /// A status change.
    Status(u64, ConnectionStatus),
    /// A user-topic message.
    Topic(u64, UserMessage),
}

fn name_of(table: &[(i32, &'static str)], code: i32) -> &'static str {
    table
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("UNKNOWN", |(_, n)| *n)
}

impl Event {
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let tuple = match self {
            Event::Input(reg, input) => {
                let parts = message::to_parts(py, input.message())?;
                let receipt = Py::new(py, InputReceipt::new(*input))?;
                (reg, INPUT, parts, receipt).into_pyobject(py)?.into_any()
            }
            Event::Method(reg, request) => {
                let payload = request.payload.to_string();
                let name = request.name.clone();
                let rid = request.request_id().to_string();
                let call = Py::new(py, MethodCall::new(request))?;
                (reg, METHOD, name, payload, rid, call)
                    .into_pyobject(py)?
                    .into_any()
            }
            Event::Desired(reg, patch) => (reg, DESIRED, patch.to_json_string(), patch.version)
                .into_pyobject(py)?
                .into_any(),
            Event::Status(reg, status) => {
                let state = name_of(&codes::STATES, codes::state_code(status.state));
                let reason = name_of(&codes::REASONS, codes::reason_code(status.reason));
                (reg, STATUS, state, reason).into_pyobject(py)?.into_any()
            }
            Event::Topic(reg, m) => {
                let payload = pyo3::types::PyBytes::new(py, &m.payload);
                (reg, TOPIC, m.topic, payload).into_pyobject(py)?.into_any()
            }
        };
        Ok(tuple.unbind())
    }
}

/// The receiving end of a client's event queue, read by its Python delivery thread.
#[pyclass(frozen, module = "edgemodule._native")]
pub struct EventReceiver {
    rx: Mutex<mpsc::Receiver<Event>>,
}

impl EventReceiver {
    /// Wraps the receiving end.
    pub fn new(rx: mpsc::Receiver<Event>) -> Self {
        EventReceiver { rx: Mutex::new(rx) }
    }
}

#[pymethods]
impl EventReceiver {
    /// Waits (GIL released) for the next events and returns up to `max` of them as tuples
    /// `(registration, kind, …)`; `None` once the client is closed and the queue is empty.
    fn next_batch(&self, py: Python<'_>, max: usize) -> PyResult<Option<Vec<Py<PyAny>>>> {
        let batch = py.detach(|| {
            let mut rx = self.rx.lock().unwrap_or_else(|p| p.into_inner());
            let first = rx.blocking_recv()?;
            let mut batch = vec![first];
            while batch.len() < max.max(1) {
                match rx.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(_) => break,
                }
            }
            Some(batch)
        });
        let Some(batch) = batch else {
            return Ok(None);
        };
        batch
            .into_iter()
            .map(|e| e.into_py(py))
            .collect::<PyResult<Vec<_>>>()
            .map(Some)
    }
}

/// The acknowledgement of a received input message: `ack()` once processed (PUBACK),
/// `abandon()` (or dropping it) to have it delivered again.
#[pyclass(frozen, module = "edgemodule._native")]
pub struct InputReceipt {
    message: Mutex<Option<InputMessage>>,
}

impl InputReceipt {
    fn new(message: InputMessage) -> Self {
        InputReceipt {
            message: Mutex::new(Some(message)),
        }
    }

    fn take(&self) -> Option<InputMessage> {
        self.message
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

#[pymethods]
impl InputReceipt {
    /// Acknowledges the message; False if it was already settled. Raises `ClosedError`
    /// after the client closed.
    fn ack(&self, py: Python<'_>) -> PyResult<bool> {
        match self.take() {
            Some(message) => message.ack().into_py_result(py).map(|()| true),
            None => Ok(false),
        }
    }

    /// Gives the message back for redelivery; False if it was already settled.
    fn abandon(&self) -> bool {
        match self.take() {
            Some(message) => {
                message.abandon();
                true
            }
            None => false,
        }
    }
}

/// A direct-method call waiting for its answer. Dropped unanswered, it is answered 500.
#[pyclass(frozen, module = "edgemodule._native")]
pub struct MethodCall {
    request: Mutex<Option<MethodRequest>>,
}

impl MethodCall {
    fn new(request: MethodRequest) -> Self {
        MethodCall {
            request: Mutex::new(Some(request)),
        }
    }
}

#[pymethods]
impl MethodCall {
    /// Answers with `status` and the JSON text `payload` (`None`: JSON null).
    #[pyo3(signature = (status, payload=None))]
    fn respond(&self, status: i32, payload: Option<&str>) -> Op {
        let payload = match payload.map(serde_json::from_str::<Value>) {
            None => Value::Null,
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                return Op::failed(Error::invalid_argument(format!(
                    "the method response payload is not JSON: {e}"
                )))
            }
        };
        let Some(request) = self
            .request
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        else {
            return Op::failed(Error::invalid_argument(
                "this method call was already answered",
            ));
        };
        Op::start(async move {
            request.respond(status, payload).await?;
            Ok(OpValue::Unit)
        })
    }

    /// True until the call is answered.
    fn pending(&self) -> bool {
        self.request
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }
}

/// The error for using events after the queue was handed out or closed.
pub fn unavailable(py: Python<'_>) -> PyErr {
    errors::to_py(
        py,
        &Error::new(
            ErrorKind::InvalidArgument,
            "the event receiver of this client was already taken",
        ),
    )
}
