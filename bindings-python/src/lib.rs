//! `edgemodule._native`: the private extension module behind the `edgemodule` Python
//! package. It adapts the core's async API and nothing more (design.md §4):
//!
//! - `client`: `Client`, one core `ModuleClient`; every operation returns an `ops::Op`;
//! - `ops`: an operation in flight, awaited either by a blocking, Ctrl-C-interruptible
//!   wait (GIL released) or through a `ops::CompletionPort` read by the user's asyncio loop;
//! - `events`: core streams forwarded into one bounded queue per client, drained by a
//!   Python-owned delivery thread (`threading.Thread`) with the GIL released while it waits;
//! - `message`, `options`, `errors`: conversions.
//!
//! No tokio task ever takes the GIL: Python objects are only made on Python threads.

mod client;
mod errors;
mod events;
mod message;
mod ops;
mod options;
mod wait;

use std::time::Duration;

use pyo3::prelude::*;

/// Shuts the native runtime down within `timeout` seconds (called from `atexit`, after every
/// client was closed). Idempotent; afterwards every call fails with `ClosedError`.
#[pyfunction]
fn shutdown(py: Python<'_>, timeout: f64) -> PyResult<()> {
    let timeout = Duration::from_secs_f64(timeout.clamp(0.0, 3600.0));
    py.detach(|| edgemodule_ffi::runtime::shutdown(timeout))
        .map_err(|e| errors::to_py(py, &e))
}

/// `(code, name)` of every error code, `OK` first (the table `edgemodule.errors` maps).
#[pyfunction]
fn error_codes() -> Vec<(i32, &'static str)> {
    edgemodule_ffi::codes::error_table()
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

/// The package version (the workspace version).
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(make_error, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_class::<client::Client>()?;
    m.add_class::<ops::Op>()?;
    m.add_class::<ops::CompletionPort>()?;
    m.add_class::<events::EventReceiver>()?;
    m.add_class::<events::InputReceipt>()?;
    m.add_class::<events::MethodCall>()?;
    Ok(())
}
