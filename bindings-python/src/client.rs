//! `Client`: one core `ModuleClient`, its event queue and its registrations.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use edgemodule::{ClientBuilder, Error, MethodInvokeRequest, ModuleClient, Qos};
use futures_util::{Stream, StreamExt};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::errors::{self, IntoPyResult};
use crate::events::{self, Event, EventReceiver};
use crate::message;
use crate::ops::{Op, OpValue};
use crate::options;
use crate::wait;

struct Registrations {
    /// The sending end forwarders clone; `None` once closed.
    tx: Option<mpsc::Sender<Event>>,
    /// The receiving end until the delivery thread takes it.
    rx: Option<mpsc::Receiver<Event>>,
    tasks: HashMap<u64, AbortHandle>,
}

/// A module client (see `edgemodule.ModuleClient` for the documented API).
#[pyclass(frozen, module = "edgemodule._native")]
pub struct Client {
    core: ModuleClient,
    regs: Mutex<Registrations>,
    next_reg: AtomicU64,
}

/// Runs `future` on the runtime and waits for it with the GIL released (Ctrl-C aborts it).
fn block_on<T, F>(py: Python<'_>, future: F) -> PyResult<edgemodule::Result<T>>
where
    T: Send + 'static,
    F: Future<Output = edgemodule::Result<T>> + Send + 'static,
{
    let handle = match edgemodule_ffi::runtime::handle() {
        Ok(h) => h,
        Err(e) => return Ok(Err(e)),
    };
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let task = handle.spawn(async move {
        let _ = tx.send(edgemodule_ffi::panic::guard_future(future).await);
    });
    // In mutexes only so the waiting closure is `Send` (the GIL is released around it).
    let rx = Mutex::new(rx);
    let slot = Mutex::new(None);
    let waited = wait::until(py, || {
        let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
        let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
        match rx.recv_timeout(wait::SLICE) {
            Ok(result) => {
                *slot = Some(result);
                true
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => false,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                *slot = Some(Err(Error::closed()));
                true
            }
        }
    });
    if let Err(interrupted) = waited {
        task.abort();
        return Err(interrupted);
    }
    let result = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    Ok(result.unwrap_or_else(|| Err(Error::closed())))
}

fn build(
    py: Python<'_>,
    builder: ClientBuilder,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Client> {
    let builder = options::apply(builder, options)?.into_py_result(py)?;
    let core = block_on(py, builder.build())?.into_py_result(py)?;
    let (tx, rx) = mpsc::channel(events::CAPACITY);
    Ok(Client {
        core,
        regs: Mutex::new(Registrations {
            tx: Some(tx),
            rx: Some(rx),
            tasks: HashMap::new(),
        }),
        next_reg: AtomicU64::new(1),
    })
}

fn seconds(value: f64) -> Duration {
    Duration::from_secs_f64(if value.is_finite() {
        value.clamp(0.0, 1.0e6)
    } else {
        0.0
    })
}

impl Client {
    fn regs(&self) -> MutexGuard<'_, Registrations> {
        self.regs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forwards every item of `stream` as an event for a new registration; its id.
    fn forward<S, F>(&self, py: Python<'_>, stream: S, wrap: F) -> PyResult<u64>
    where
        S: Stream + Send + Unpin + 'static,
        S::Item: Send,
        F: Fn(u64, S::Item) -> Event + Send + 'static,
    {
        let handle = edgemodule_ffi::runtime::handle().into_py_result(py)?;
        let id = self.next_reg.fetch_add(1, Ordering::Relaxed);
        let mut regs = self.regs();
        let Some(tx) = regs.tx.clone() else {
            return Err(errors::to_py(py, &Error::closed()));
        };
        let mut stream = stream;
        let task = handle.spawn(async move {
            while let Some(item) = stream.next().await {
                if tx.send(wrap(id, item)).await.is_err() {
                    break;
                }
            }
        });
        regs.tasks.insert(id, task.abort_handle());
        Ok(id)
    }

    fn op<F>(&self, future: F) -> Op
    where
        F: Future<Output = edgemodule::Result<()>> + Send + 'static,
    {
        Op::start(async move {
            future.await?;
            Ok(OpValue::Unit)
        })
    }
}

#[pymethods]
impl Client {
    /// A client from the IoT Edge environment (`IOTEDGE_*` or `EdgeHubConnectionString`).
    #[staticmethod]
    #[pyo3(signature = (options=None))]
    fn from_environment(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Client> {
        build(py, ModuleClient::builder(), options)
    }

    /// A client from a module connection string (`trust_bundle_pem` option required).
    #[staticmethod]
    #[pyo3(signature = (connection_string, options=None))]
    fn from_connection_string(
        py: Python<'_>,
        connection_string: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Client> {
        build(
            py,
            ModuleClient::builder().connection_string(connection_string),
            options,
        )
    }

    /// The device id.
    #[getter]
    fn device_id(&self) -> String {
        self.core.device_id().to_string()
    }

    /// The module id.
    #[getter]
    fn module_id(&self) -> String {
        self.core.module_id().to_string()
    }

    /// `(state, reason)` names of the current connection status.
    fn status(&self) -> (&'static str, &'static str) {
        let status = *self.core.status().borrow();
        let state = edgemodule_ffi::codes::state_code(status.state);
        let reason = edgemodule_ffi::codes::reason_code(status.reason);
        let name = |table: &[(i32, &'static str)], code| {
            table
                .iter()
                .find(|(c, _)| *c == code)
                .map_or("UNKNOWN", |(_, n)| *n)
        };
        (
            name(&edgemodule_ffi::codes::STATES, state),
            name(&edgemodule_ffi::codes::REASONS, reason),
        )
    }

    /// Takes the event receiver (once) for the delivery thread.
    fn events(&self, py: Python<'_>) -> PyResult<EventReceiver> {
        self.regs()
            .rx
            .take()
            .map(EventReceiver::new)
            .ok_or_else(|| events::unavailable(py))
    }

    /// Registers for messages on input `name` (`None`: inputs without their own).
    #[pyo3(signature = (name=None))]
    fn listen_input(&self, py: Python<'_>, name: Option<&str>) -> PyResult<u64> {
        let stream = match name {
            Some(n) => self.core.input(n),
            None => self.core.default_inputs(),
        };
        self.forward(py, stream, |id, m| Event::Input(id, Box::new(m)))
    }

    /// Registers for calls of method `name` (`None`: methods without their own).
    #[pyo3(signature = (name=None))]
    fn listen_method(&self, py: Python<'_>, name: Option<&str>) -> PyResult<u64> {
        let stream = match name {
            Some(n) => self.core.method(n),
            None => self.core.default_methods(),
        };
        self.forward(py, stream, Event::Method)
    }

    /// Registers for desired-property patches (including catch-up after reconnects).
    fn listen_desired(&self, py: Python<'_>) -> PyResult<u64> {
        self.forward(py, self.core.desired_patches(), Event::Desired)
    }

    /// Registers for connection status changes.
    fn listen_status(&self, py: Python<'_>) -> PyResult<u64> {
        let stream = self.core.status_changes();
        self.forward(py, stream, Event::Status)
    }

    /// Ends registration `id`; False if it did not exist.
    fn unlisten(&self, id: u64) -> bool {
        match self.regs().tasks.remove(&id) {
            Some(task) => {
                task.abort();
                true
            }
            None => false,
        }
    }

    /// Connects (resolves once connected and subscribed).
    fn connect(&self) -> Op {
        let core = self.core.clone();
        self.op(async move { core.connect().await })
    }

    /// Sends a message (tuple from `Message._to_native()`) to `output`.
    fn send_output(&self, output: String, message: &Bound<'_, PyAny>) -> PyResult<Op> {
        let message = message::from_parts(message)?;
        let core = self.core.clone();
        Ok(self.op(async move { core.send_output(&output, message).await }))
    }

    /// Sends a message as module telemetry (no output name).
    fn send_event(&self, message: &Bound<'_, PyAny>) -> PyResult<Op> {
        let message = message::from_parts(message)?;
        let core = self.core.clone();
        Ok(self.op(async move { core.send_event(message).await }))
    }

    /// Sends several messages to `output`, pipelined.
    fn send_output_batch(&self, output: String, messages: &Bound<'_, PyList>) -> PyResult<Op> {
        let messages = messages
            .iter()
            .map(|m| message::from_parts(&m))
            .collect::<PyResult<Vec<_>>>()?;
        let core = self.core.clone();
        Ok(self.op(async move { core.send_output_batch(&output, messages).await }))
    }

    /// Reads the twin; the op's value is JSON text.
    fn get_twin(&self) -> Op {
        let core = self.core.clone();
        Op::start(async move { Ok(OpValue::Twin(core.get_twin().await?)) })
    }

    /// Patches the reported properties with the JSON text `patch`.
    fn patch_reported(&self, patch: &str) -> Op {
        let patch = match serde_json::from_str(patch) {
            Ok(p) => p,
            Err(e) => {
                return Op::failed(Error::invalid_argument(format!(
                    "the reported patch is not JSON: {e}"
                )))
            }
        };
        let core = self.core.clone();
        self.op(async move { core.patch_reported(patch).await })
    }

    /// Calls a method on another module (or device); the op's value is JSON text.
    #[pyo3(signature = (device_id, module_id, method_name, payload, response_timeout=30.0, connect_timeout=0.0))]
    fn invoke_method(
        &self,
        device_id: String,
        module_id: Option<String>,
        method_name: String,
        payload: &str,
        response_timeout: f64,
        connect_timeout: f64,
    ) -> Op {
        let payload = match serde_json::from_str(payload) {
            Ok(p) => p,
            Err(e) => {
                return Op::failed(Error::invalid_argument(format!(
                    "the method payload is not JSON: {e}"
                )))
            }
        };
        let request = MethodInvokeRequest::new(method_name, payload)
            .with_response_timeout(seconds(response_timeout))
            .with_connect_timeout(seconds(connect_timeout));
        let core = self.core.clone();
        Op::start(async move {
            let answer = core
                .invoke_method(&device_id, module_id.as_deref(), request)
                .await?;
            Ok(OpValue::Invoke(answer))
        })
    }

    /// Publishes `payload` to a user topic with QoS 0 or 1.
    #[pyo3(signature = (topic, payload, qos=1))]
    fn publish(&self, topic: String, payload: Vec<u8>, qos: u8) -> Op {
        let qos = match qos {
            0 => Qos::AtMostOnce,
            1 => Qos::AtLeastOnce,
            other => {
                return Op::failed(Error::invalid_argument(format!(
                    "qos must be 0 or 1, not {other}"
                )))
            }
        };
        let core = self.core.clone();
        self.op(async move { core.publish(&topic, payload, qos).await })
    }

    /// Subscribes to a user-topic filter: `(registration, op)`; the registration id is
    /// known at once (so its handler can be in place before the first message), the op ends
    /// when the hub accepted the subscription.
    fn subscribe(&self, py: Python<'_>, filter: String) -> PyResult<(u64, Op)> {
        let handle = edgemodule_ffi::runtime::handle().into_py_result(py)?;
        let id = self.next_reg.fetch_add(1, Ordering::Relaxed);
        let Some(tx) = self.regs().tx.clone() else {
            return Ok((id, Op::failed(Error::closed())));
        };
        let core = self.core.clone();
        // The forwarding runs in its own task, registered like any other so that
        // `unlisten`/`close` stop it; the op only reports the SUBACK.
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<edgemodule::Result<()>>();
        let task = handle.spawn(async move {
            let mut subscription = match core.subscribe(&filter).await {
                Ok(s) => {
                    let _ = ready_tx.send(Ok(()));
                    s
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            while let Some(m) = subscription.next().await {
                if tx.send(Event::Topic(id, m)).await.is_err() {
                    break;
                }
            }
        });
        self.regs().tasks.insert(id, task.abort_handle());
        let op = Op::start(async move {
            ready_rx.await.map_err(|_| Error::closed())??;
            Ok(OpValue::Unit)
        });
        Ok((id, op))
    }

    /// Closes the client: in-flight operations fail with `ClosedError`, registrations end
    /// and the event queue closes once drained.
    fn close(&self) -> Op {
        {
            let mut regs = self.regs();
            regs.tx = None;
            for (_, task) in regs.tasks.drain() {
                task.abort();
            }
        }
        let core = self.core.clone();
        self.op(async move { core.close().await })
    }
}
