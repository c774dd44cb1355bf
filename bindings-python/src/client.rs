//! `Client`: one core `ModuleClient`, its event queue and its handler registrations.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use edgemodule::{Error, MethodInvokeRequest, ModuleClient, Qos, Subscribed, Subscription};
use edgemodule_ffi::options::{self as ffi_options, Source};
use futures_util::{Stream, StreamExt};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tokio::task::AbortHandle;

use crate::errors::IntoPyResult;
use crate::events::{self, Event, EventReceiver, EventSink};
use crate::handlers;
use crate::message;
use crate::ops::{Op, OpValue};
use crate::options;
use crate::wait;

type Subscriptions = Arc<Mutex<HashMap<u64, Subscription>>>;

fn relock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// A module client (see `edgemodule.ModuleClient` for the documented API).
#[pyclass(frozen, module = "edgemodule._native")]
pub struct Client {
    core: ModuleClient,
    sink: Arc<EventSink>,
    /// The receiving end until the delivery thread takes it.
    receiver: Mutex<Option<EventReceiver>>,
    next_reg: AtomicU64,
    subscriptions: Subscriptions,
    /// The status and background-error forwarders.
    forwarders: Mutex<Vec<AbortHandle>>,
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
        let mut slot = relock(&slot);
        let rx = relock(&rx);
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
    let result = relock(&slot).take();
    Ok(result.unwrap_or_else(|| Err(Error::closed())))
}

fn build(py: Python<'_>, source: Source, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Client> {
    let options = options::from_kwargs(kwargs)?.into_py_result(py)?;
    let builder = ffi_options::builder(source, options);
    let core = block_on(py, builder.build())?.into_py_result(py)?;
    let (sink, receiver) = EventSink::new();
    let client = Client {
        core,
        sink: Arc::new(sink),
        receiver: Mutex::new(Some(receiver)),
        next_reg: AtomicU64::new(1),
        subscriptions: Arc::default(),
        forwarders: Mutex::new(Vec::new()),
    };
    // Opened now: errors and changes from creation on reach the delivery thread.
    client.forward(py, client.core.status_changes(), Event::Status)?;
    client.forward(py, client.core.background_errors(), Event::Background)?;
    Ok(client)
}

fn seconds(value: f64) -> Duration {
    Duration::from_secs_f64(if value.is_finite() {
        value.clamp(0.0, 1.0e6)
    } else {
        0.0
    })
}

impl Client {
    /// Forwards every item of `stream` to the event queue until it ends or the client closes.
    fn forward<S>(&self, py: Python<'_>, stream: S, wrap: fn(S::Item) -> Event) -> PyResult<()>
    where
        S: Stream + Send + Unpin + 'static,
        S::Item: Send,
    {
        let handle = edgemodule_ffi::runtime::handle().into_py_result(py)?;
        let sink = Arc::clone(&self.sink);
        let mut stream = stream;
        let task = handle.spawn(async move {
            while let Some(item) = stream.next().await {
                if !sink.send(wrap(item)) {
                    break;
                }
            }
        });
        relock(&self.forwarders).push(task.abort_handle());
        Ok(())
    }

    /// A new registration id, or `CLOSED`.
    fn registration(&self, py: Python<'_>) -> PyResult<u64> {
        if self.sink.is_closed() {
            return Err(Error::closed()).into_py_result(py);
        }
        Ok(self.next_reg.fetch_add(1, Ordering::Relaxed))
    }

    /// Calls `register` inside the runtime (the core may start tasks) and returns the
    /// registration id with an op for the hub's confirmation.
    fn register<F>(&self, py: Python<'_>, register: F) -> PyResult<(u64, Op)>
    where
        F: FnOnce(&ModuleClient, Arc<EventSink>, u64) -> Subscribed,
    {
        let reg = self.registration(py)?;
        let handle = edgemodule_ffi::runtime::handle().into_py_result(py)?;
        let subscribed = {
            let _runtime = handle.enter();
            register(&self.core, Arc::clone(&self.sink), reg)
        };
        Ok((reg, self.op(subscribed)))
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
    /// A client from the IoT Edge environment (`IOTEDGE_*` or `EdgeHubConnectionString`);
    /// `options` are the keyword arguments (`edgemodule._native.option_keywords`).
    #[staticmethod]
    #[pyo3(signature = (options=None))]
    fn from_environment(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Client> {
        build(py, Source::Environment, options)
    }

    /// A client from a module connection string (the trust bundle from `trust_bundle_pem`,
    /// `trust_bundle_file` or `EdgeModuleCACertificateFile`).
    #[staticmethod]
    #[pyo3(signature = (connection_string, options=None))]
    fn from_connection_string(
        py: Python<'_>,
        connection_string: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Client> {
        build(
            py,
            Source::ConnectionString(connection_string.to_string()),
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
        events::status_names(&self.core.status().borrow())
    }

    /// Takes the event receiver (once) for the delivery thread.
    fn events(&self, py: Python<'_>) -> PyResult<EventReceiver> {
        relock(&self.receiver).take().ok_or_else(|| {
            crate::errors::to_py(
                py,
                &Error::invalid_argument("the event receiver of this client was already taken"),
            )
        })
    }

    /// Handles input `name` (`None`: inputs without their own handler) through the core:
    /// `(registration, op)`, the op ending when the hub confirmed the subscription.
    #[pyo3(signature = (name=None))]
    fn set_input_handler(&self, py: Python<'_>, name: Option<&str>) -> PyResult<(u64, Op)> {
        self.register(py, |core, sink, reg| {
            core.set_input_handler(name, handlers::input(sink, reg))
        })
    }

    /// Removes the handler of input `name` (`None`: the default one).
    #[pyo3(signature = (name=None))]
    fn clear_input_handler(&self, name: Option<&str>) {
        self.core.clear_input_handler(name);
    }

    /// Answers method `name` (`None`: methods without their own handler) through the core.
    #[pyo3(signature = (name=None))]
    fn set_method_handler(&self, py: Python<'_>, name: Option<&str>) -> PyResult<(u64, Op)> {
        self.register(py, |core, sink, reg| {
            core.set_method_handler(name, handlers::method(sink, reg))
        })
    }

    /// Removes the handler of method `name` (`None`: the default one).
    #[pyo3(signature = (name=None))]
    fn clear_method_handler(&self, name: Option<&str>) {
        self.core.clear_method_handler(name);
    }

    /// Handles desired-property patches (including catch-up patches) through the core.
    fn set_desired_handler(&self, py: Python<'_>) -> PyResult<(u64, Op)> {
        self.register(py, |core, sink, reg| {
            core.set_desired_handler(handlers::desired(sink, reg))
        })
    }

    /// Removes the desired-properties handler.
    fn clear_desired_handler(&self) {
        self.core.clear_desired_handler();
    }

    /// Connects (resolves once connected and every registration's subscription confirmed).
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

    /// Subscribes to a user-topic filter with a handler through the core:
    /// `(registration, op)`; the op ends when the hub accepted the subscription.
    fn subscribe(&self, py: Python<'_>, filter: String) -> PyResult<(u64, Op)> {
        let reg = self.registration(py)?;
        let core = self.core.clone();
        let sink = Arc::clone(&self.sink);
        let subscriptions = Arc::clone(&self.subscriptions);
        let op = self.op(async move {
            let subscription = core
                .subscribe_with_handler(&filter, handlers::topic(sink, reg))
                .await?;
            relock(&subscriptions).insert(reg, subscription);
            Ok(())
        });
        Ok((reg, op))
    }

    /// Ends subscription `registration` (UNSUBSCRIBE when no other one uses its filter);
    /// the op ends on the hub's answer.
    fn unsubscribe(&self, registration: u64) -> Op {
        let subscription = relock(&self.subscriptions).remove(&registration);
        self.op(async move {
            match subscription {
                Some(subscription) => subscription.unsubscribe().await,
                None => Ok(()),
            }
        })
    }

    /// Closes the client: in-flight operations fail with `ClosedError`, and the event queue
    /// ends once what is queued was delivered.
    fn close(&self) -> Op {
        self.sink.close();
        for task in relock(&self.forwarders).drain(..) {
            task.abort();
        }
        let core = self.core.clone();
        let subscriptions = std::mem::take(&mut *relock(&self.subscriptions));
        self.op(async move {
            let closed = core.close().await;
            drop(subscriptions);
            closed
        })
    }
}
