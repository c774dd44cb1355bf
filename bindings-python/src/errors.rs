//! Core errors → the `EdgeModuleError` hierarchy defined in Python (`edgemodule.errors`),
//! chosen by the stable code so the mapping lives in one place.

use edgemodule::Error;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

static FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `edgemodule.errors._from_native`, imported once.
fn factory(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    FACTORY
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("edgemodule.errors")?
                    .getattr("_from_native")?
                    .unbind(),
            )
        })
        .map(|f| f.bind(py))
}

/// The Python exception for `error`: the subclass of `EdgeModuleError` for its code, with
/// `.code`, `.name` and `.status` set.
pub fn to_py(py: Python<'_>, error: &Error) -> PyErr {
    let made =
        factory(py).and_then(|f| f.call1((error.kind().code(), error.message(), error.status())));
    match made {
        Ok(exception) => PyErr::from_value(exception),
        Err(import_failed) => {
            let err = PyRuntimeError::new_err(error.to_string());
            err.set_cause(py, Some(import_failed));
            err
        }
    }
}

/// Shorthand for `Result<T, edgemodule::Error>` → `PyResult<T>`.
pub trait IntoPyResult<T> {
    /// Maps the error with [`to_py`].
    fn into_py_result(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for edgemodule::Result<T> {
    fn into_py_result(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, &e))
    }
}
