//! `NativeMessage`: the plain object a message crosses the boundary as (the JavaScript
//! `Message` class is built from and turned into it).

use std::collections::HashMap;

use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

/// A message as a plain object: body bytes, custom properties, system properties.
#[napi(object)]
pub struct NativeMessage {
    /// The payload.
    pub body: Buffer,
    /// Custom (application) properties.
    pub properties: HashMap<String, String>,
    /// `$.mid`.
    pub message_id: Option<String>,
    /// `$.cid`.
    pub correlation_id: Option<String>,
    /// `$.uid`.
    pub user_id: Option<String>,
    /// `$.ct`.
    pub content_type: Option<String>,
    /// `$.ce`.
    pub content_encoding: Option<String>,
    /// `$.ctime` (ISO 8601).
    pub creation_time_utc: Option<String>,
    /// `$.exp` (ISO 8601).
    pub expiry_time_utc: Option<String>,
    /// `$.schema`.
    pub message_schema: Option<String>,
    /// `$.sub`.
    pub component_name: Option<String>,
    /// `$.ifid`.
    pub interface_id: Option<String>,
    /// `$.to` (received only).
    pub to: Option<String>,
    /// `ack` (received only).
    pub ack: Option<String>,
    /// `iothub-operation` (received only).
    pub operation: Option<String>,
    /// The input it arrived on (received only).
    pub input_name: Option<String>,
    /// The output it was sent to (`$.on`).
    pub output_name: Option<String>,
    /// `$.cdid`: the sending device (received only).
    pub connection_device_id: Option<String>,
    /// `$.cmid`: the sending module (received only).
    pub connection_module_id: Option<String>,
}

impl From<NativeMessage> for edgemodule::Message {
    fn from(m: NativeMessage) -> Self {
        edgemodule::Message {
            body: m.body.to_vec(),
            properties: m.properties.into_iter().collect(),
            message_id: m.message_id,
            correlation_id: m.correlation_id,
            user_id: m.user_id,
            content_type: m.content_type,
            content_encoding: m.content_encoding,
            creation_time: m.creation_time_utc,
            expiry_time: m.expiry_time_utc,
            message_schema: m.message_schema,
            component_name: m.component_name,
            interface_id: m.interface_id,
            to: m.to,
            ack: m.ack,
            operation: m.operation,
            input_name: m.input_name,
            output_name: m.output_name,
            connection_device_id: m.connection_device_id,
            connection_module_id: m.connection_module_id,
        }
    }
}

impl From<edgemodule::Message> for NativeMessage {
    fn from(m: edgemodule::Message) -> Self {
        NativeMessage {
            body: m.body.into(),
            properties: m.properties.into_iter().collect(),
            message_id: m.message_id,
            correlation_id: m.correlation_id,
            user_id: m.user_id,
            content_type: m.content_type,
            content_encoding: m.content_encoding,
            creation_time_utc: m.creation_time,
            expiry_time_utc: m.expiry_time,
            message_schema: m.message_schema,
            component_name: m.component_name,
            interface_id: m.interface_id,
            to: m.to,
            ack: m.ack,
            operation: m.operation,
            input_name: m.input_name,
            output_name: m.output_name,
            connection_device_id: m.connection_device_id,
            connection_module_id: m.connection_module_id,
        }
    }
}
