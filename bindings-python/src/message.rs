//! Messages across the boundary. Outgoing: the tuple `Message._to_native()` builds
//! (`body, properties, message_id, correlation_id, user_id, content_type, content_encoding,
//! creation_time, expiry_time_utc, message_schema, component_name`). Incoming: `(body,
//! properties, system)` where `system` maps Python attribute names to values.

use std::collections::{BTreeMap, HashMap};

use edgemodule::Message;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

/// Number of items in an outgoing message tuple.
const PARTS: usize = 11;

/// A Rust message from the tuple built by `Message._to_native()`.
pub fn from_parts(parts: &Bound<'_, PyAny>) -> PyResult<Message> {
    let tuple = parts.cast::<PyTuple>().map_err(|_| {
        PyTypeError::new_err("expected the tuple built by edgemodule.Message._to_native()")
    })?;
    if tuple.len() != PARTS {
        return Err(PyTypeError::new_err(format!(
            "a message tuple has {PARTS} items, not {}",
            tuple.len()
        )));
    }
    let text = |i: usize| -> PyResult<Option<String>> { tuple.get_item(i)?.extract() };
    let properties: Option<HashMap<String, String>> = tuple.get_item(1)?.extract()?;
    Ok(Message {
        body: tuple.get_item(0)?.extract::<Vec<u8>>()?,
        properties: properties
            .map(|p| p.into_iter().collect::<BTreeMap<_, _>>())
            .unwrap_or_default(),
        message_id: text(2)?,
        correlation_id: text(3)?,
        user_id: text(4)?,
        content_type: text(5)?,
        content_encoding: text(6)?,
        creation_time: text(7)?,
        expiry_time: text(8)?,
        message_schema: text(9)?,
        component_name: text(10)?,
        ..Message::default()
    })
}

/// `(body, properties, system)` for a received message.
pub fn to_parts<'py>(py: Python<'py>, message: &Message) -> PyResult<Bound<'py, PyTuple>> {
    let body = PyBytes::new(py, &message.body);
    let properties = PyDict::new(py);
    for (k, v) in &message.properties {
        properties.set_item(k, v)?;
    }
    let system = PyDict::new(py);
    let fields: [(&str, &Option<String>); 17] = [
        ("message_id", &message.message_id),
        ("correlation_id", &message.correlation_id),
        ("user_id", &message.user_id),
        ("content_type", &message.content_type),
        ("content_encoding", &message.content_encoding),
        ("creation_time", &message.creation_time),
        ("expiry_time_utc", &message.expiry_time),
        ("message_schema", &message.message_schema),
        ("component_name", &message.component_name),
        ("interface_id", &message.interface_id),
        ("to", &message.to),
        ("ack", &message.ack),
        ("operation", &message.operation),
        ("input_name", &message.input_name),
        ("output_name", &message.output_name),
        ("connection_device_id", &message.connection_device_id),
        ("connection_module_id", &message.connection_module_id),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            system.set_item(name, value)?;
        }
    }
    PyTuple::new(
        py,
        [body.into_any(), properties.into_any(), system.into_any()],
    )
}
