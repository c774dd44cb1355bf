//! The core's log records into Python's `logging` (issue 16), through the shared bridge
//! (`edgemodule_ffi::logging`): records are formatted only at the level chosen here, queued,
//! and handed to the Python sink on the one `edgemodule-log` thread, which takes the GIL for
//! each record it passes on (never a runtime thread). `edgemodule._logging` decides the level from the `edgemodule`
//! logger and turns each record into a `LogRecord`.

use std::sync::Arc;

use edgemodule_ffi::logging::{self, LogLevel, LogRecord, LogSink, LogThreadHooks};
use pyo3::prelude::*;

use crate::errors::IntoPyResult;

/// Sends the core's records up to `level` (0 off, 1 error … 5 trace) to `sink`, called on
/// the log thread as `sink(level, area, target, message, fields, fields_text)` with
/// `fields` a list of `(name, value)` text pairs. Replaces an earlier sink.
#[pyfunction]
fn set_log_sink(py: Python<'_>, sink: Py<PyAny>, level: i64) -> PyResult<()> {
    let call: LogSink = Arc::new(move |record: &LogRecord| {
        Python::attach(|py| {
            let fields: Vec<(&str, &str)> = record
                .fields
                .iter()
                .map(|(name, value)| (*name, value.as_str()))
                .collect();
            let args = (
                record.level as u8,
                record.area(),
                record.target,
                record.message.as_str(),
                fields,
                record.fields_text(),
            );
            if let Err(e) = sink.call1(py, args) {
                e.write_unraisable(py, None);
            }
        });
    });
    let level = LogLevel::from_number(level);
    py.detach(|| logging::set_sink(level, call, LogThreadHooks::default()))
        .into_py_result(py)
}

/// Changes the most verbose level forwarded (0 off … 5 trace); costs one atomic store.
#[pyfunction]
fn set_log_level(level: i64) {
    logging::set_max_level(LogLevel::from_number(level));
}

/// The level forwarded now (0 off … 5 trace).
#[pyfunction]
fn log_level() -> i64 {
    logging::max_level().map_or(0, |l| i64::from(l as u8))
}

/// `(dropped, sink_failures)`: records dropped because the queue was full, and sink calls
/// that failed.
#[pyfunction]
fn log_counters() -> (u64, u64) {
    (logging::dropped(), logging::sink_failures())
}

/// Adds the logging functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(set_log_sink, m)?)?;
    m.add_function(wrap_pyfunction!(set_log_level, m)?)?;
    m.add_function(wrap_pyfunction!(log_level, m)?)?;
    m.add_function(wrap_pyfunction!(log_counters, m)?)?;
    Ok(())
}
