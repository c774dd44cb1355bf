//! `edgemodule._native`: the private extension module behind the `edgemodule` Python
//! package. It adapts the core's async API and nothing more (design.md §4):
//!
//! - `client`: `Client`, one core `ModuleClient`; every operation returns an `ops::Op`;
//! - `handlers`, `calls`: the handlers registered with the core's handler API; each call
//!   reaches Python as an event carrying a `HandlerCall` that Python completes with the
//!   handler's result (the core decides acknowledgement, retries and replies);
//! - `ops`: an operation in flight, awaited either by a blocking, Ctrl-C-interruptible
//!   wait (GIL released) or through a `ops::CompletionPort` read by the user's asyncio loop;
//! - `events`: one unbounded queue per client, drained by a Python-owned delivery thread
//!   (`threading.Thread`) with the GIL released while it waits;
//! - `logs`: the core's log records handed to Python's `logging` on the log thread;
//! - `message`, `options`, `errors`: conversions, from the core's tables.
//!
//! No tokio task ever takes the GIL: Python objects are only made on Python threads (the
//! delivery threads, the user's threads and the `edgemodule-log` thread).

mod calls;
mod client;
mod errors;
mod events;
mod handlers;
mod logs;
mod message;
mod ops;
mod options;
mod wait;

use std::time::Duration;

use edgemodule::delivery::{
    METHOD_FAILURE_PAYLOAD, METHOD_FAILURE_STATUS, METHOD_NO_HANDLER_PAYLOAD,
    METHOD_NO_HANDLER_STATUS,
};
use pyo3::prelude::*;

/// Shuts the native runtime down within `timeout` seconds (called from `atexit`, after every
/// client was closed): joins the runtime, delivery and log threads. Idempotent; afterwards
/// every call fails with `ClosedError`.
#[pyfunction]
fn shutdown(py: Python<'_>, timeout: f64) -> PyResult<()> {
    let timeout = Duration::from_secs_f64(timeout.clamp(0.0, 3600.0));
    py.detach(|| edgemodule_ffi::runtime::shutdown(timeout))
        .map_err(|e| errors::to_py(py, &e))
}

/// `(code, name, description, transient)` of every result code, `OK` first: the core's
/// table `edgemodule.errors` takes its classes' names, descriptions and transience from.
#[pyfunction]
fn error_table() -> Vec<(i32, &'static str, &'static str, bool)> {
    edgemodule_ffi::codes::error_infos()
        .iter()
        .map(|c| (c.code, c.name, c.description, c.transient))
        .collect()
}

/// A native error of `code` carrying `message` (for tests of the error mapping).
#[pyfunction]
fn make_error(py: Python<'_>, code: i32, message: &str) -> PyResult<Py<PyAny>> {
    let kind = edgemodule::ErrorKind::from_code(code).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!("{code} is not an error code"))
    })?;
    Ok(errors::to_py(py, &edgemodule::Error::new(kind, message))
        .into_value(py)
        .into_any())
}

/// The native error for a hub answer with `status` (`Error::from_status`; for tests).
#[pyfunction]
fn make_status_error(py: Python<'_>, status: u16, message: &str) -> Py<PyAny> {
    errors::to_py(py, &edgemodule::Error::from_status(status, message))
        .into_value(py)
        .into_any()
}

/// `(status, payload)` the core answers a method with when its handler failed, and when
/// nothing handles it (docs/delivery.md): the same bytes in every language.
#[pyfunction]
fn method_replies() -> ((i32, &'static str), (i32, &'static str)) {
    (
        (METHOD_FAILURE_STATUS, METHOD_FAILURE_PAYLOAD),
        (METHOD_NO_HANDLER_STATUS, METHOD_NO_HANDLER_PAYLOAD),
    )
}

/// `(states, reasons)`: the connection-state and status-reason names in code order (the
/// core's tables; `edgemodule.ConnectionState` / `StatusReason` are checked against them).
#[pyfunction]
fn status_names() -> (Vec<&'static str>, Vec<&'static str>) {
    (
        edgemodule_ffi::codes::STATES
            .iter()
            .map(|(_, n)| *n)
            .collect(),
        edgemodule_ffi::codes::REASONS
            .iter()
            .map(|(_, n)| *n)
            .collect(),
    )
}

/// The package version (the workspace version).
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(error_table, m)?)?;
    m.add_function(wrap_pyfunction!(make_error, m)?)?;
    m.add_function(wrap_pyfunction!(make_status_error, m)?)?;
    m.add_function(wrap_pyfunction!(method_replies, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(status_names, m)?)?;
    m.add_function(wrap_pyfunction!(message::system_properties, m)?)?;
    m.add_function(wrap_pyfunction!(options::option_keywords, m)?)?;
    m.add_function(wrap_pyfunction!(options::option_names, m)?)?;
    logs::register(m)?;
    m.add_class::<client::Client>()?;
    m.add_class::<ops::Op>()?;
    m.add_class::<ops::CompletionPort>()?;
    m.add_class::<events::EventReceiver>()?;
    m.add_class::<calls::HandlerCall>()?;
    Ok(())
}
