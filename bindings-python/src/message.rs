//! Messages across the boundary, as `(body, properties, system)` both ways: `system` maps
//! the core's system-property names (`edgemodule::SYSTEM_PROPERTIES`: `message_id`,
//! `expiry_time`, …) to text. The table is the core's; `edgemodule.models` maps its
//! attribute names onto it (`_native.system_properties()`).

use std::collections::BTreeMap;

use edgemodule::{Message, SystemProperty};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

/// A Rust message from the tuple built by `Message._to_native()`, or from plain `bytes`
/// for a message that is only a body (what a batch passes for most of its messages: no
/// tuple to build, free and collect).
pub fn from_parts(parts: &Bound<'_, PyAny>) -> PyResult<Message> {
    if let Ok(body) = parts.cast::<PyBytes>() {
        return Ok(Message::new(body.as_bytes().to_vec()));
    }
    let tuple = parts.cast::<PyTuple>().map_err(|_| {
        PyTypeError::new_err("expected the tuple built by edgemodule.Message._to_native()")
    })?;
    if tuple.len() != 3 {
        return Err(PyTypeError::new_err(format!(
            "a message tuple has 3 items (body, properties, system), not {}",
            tuple.len()
        )));
    }
    let mut message = Message::new(tuple.get_item(0)?.extract::<Vec<u8>>()?);
    let properties: Option<BTreeMap<String, String>> = tuple.get_item(1)?.extract()?;
    message.properties = properties.unwrap_or_default();
    let system: Option<BTreeMap<String, String>> = tuple.get_item(2)?.extract()?;
    for (name, value) in system.unwrap_or_default() {
        let property = SystemProperty::from_name(&name)
            .ok_or_else(|| PyValueError::new_err(format!("{name:?} is not a system property")))?;
        *message.system_mut(property) = Some(value);
    }
    Ok(message)
}

/// `(body, properties, system)` for a received message.
pub fn to_parts<'py>(py: Python<'py>, message: &Message) -> PyResult<Bound<'py, PyTuple>> {
    let body = PyBytes::new(py, &message.body);
    let properties = PyDict::new(py);
    for (k, v) in &message.properties {
        properties.set_item(k, v)?;
    }
    let system = PyDict::new(py);
    for property in SystemProperty::ALL {
        if let Some(value) = message.system(property) {
            system.set_item(property.name(), value)?;
        }
    }
    PyTuple::new(
        py,
        [body.into_any(), properties.into_any(), system.into_any()],
    )
}

/// The system-property table: `(code, name, wire_key, type, received_only)` per property.
#[pyfunction]
pub fn system_properties() -> Vec<(i32, &'static str, Option<&'static str>, &'static str, bool)> {
    SystemProperty::ALL
        .iter()
        .map(|p| {
            let info = p.info();
            (
                p.code(),
                info.name,
                info.wire_key,
                info.value_type.name(),
                info.received_only,
            )
        })
        .collect()
}
