//! `Message`: body, custom properties and system properties, with the 256 KiB limit checked
//! before anything is sent.

use std::collections::BTreeMap;

use crate::error::Result;

/// A telemetry/output message sent by a module, or an input message it receives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The payload bytes.
    pub body: Vec<u8>,
    /// Application (custom) properties.
    pub properties: BTreeMap<String, String>,
    /// `$.mid`.
    pub message_id: Option<String>,
    /// `$.cid`.
    pub correlation_id: Option<String>,
    /// `$.uid`.
    pub user_id: Option<String>,
    /// `$.ct`, e.g. `application/json` (needed for `$body` route queries).
    pub content_type: Option<String>,
    /// `$.ce`, e.g. `utf-8`.
    pub content_encoding: Option<String>,
    /// `$.ctime`, ISO 8601 UTC.
    pub creation_time: Option<String>,
    /// `$.exp`, absolute expiry time, ISO 8601 UTC.
    pub expiry_time: Option<String>,
    /// `$.schema`.
    pub message_schema: Option<String>,
    /// `$.sub`, the PnP component name.
    pub component_name: Option<String>,
    /// `$.ifid`.
    pub interface_id: Option<String>,
    /// `$.to` (received only).
    pub to: Option<String>,
    /// `ack` (received only).
    pub ack: Option<String>,
    /// `iothub-operation`.
    pub operation: Option<String>,
    /// The input the message arrived on (received only; from the topic).
    pub input_name: Option<String>,
    /// The output it was sent to (`$.on`; set by `send_output`).
    pub output_name: Option<String>,
    /// `$.cdid`: the device that sent it (received only).
    pub connection_device_id: Option<String>,
    /// `$.cmid`: the module that sent it (received only).
    pub connection_module_id: Option<String>,
}

impl Message {
    /// A message with `body` and nothing else.
    pub fn new(body: impl Into<Vec<u8>>) -> Self {
        Message {
            body: body.into(),
            ..Message::default()
        }
    }

    /// A JSON message: sets `content_type` `application/json` and `content_encoding` `utf-8`
    /// so routes can query `$body`.
    pub fn json(value: &serde_json::Value) -> Self {
        let mut m = Message::new(value.to_string());
        m.content_type = Some("application/json".into());
        m.content_encoding = Some("utf-8".into());
        m
    }

    /// Builder-style custom property.
    pub fn with_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.insert(key.into(), value.into());
        self
    }

    /// Body as UTF-8 text, if it is.
    pub fn body_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// Encodes the property bag for a publish: system properties first (`$.on`, `$.mid`,
    /// `$.cid`, `$.uid`, `$.ct`, `$.ce`, `$.ctime`, `$.exp`, `$.schema`, `$.sub`, `$.ifid`),
    /// then custom properties sorted by key. `output_name` overrides `self.output_name`.
    pub fn encode_bag(&self, output_name: Option<&str>) -> String {
        let _ = output_name;
        todo!()
    }

    /// Rebuilds a received message from its decoded bag pairs and payload: known system
    /// keys (`$.mid`, `$.cid`, …, `$.cdid`, `$.cmid`) fill fields, everything else is a
    /// custom property (a `None` value becomes `""`).
    pub fn from_bag(pairs: Vec<(String, Option<String>)>, body: Vec<u8>) -> Self {
        let _ = (pairs, body);
        todo!()
    }

    /// Body length plus every property key and value (system and custom), in bytes.
    pub fn size(&self) -> usize {
        todo!()
    }

    /// `MESSAGE_TOO_LARGE` when [`Message::size`] exceeds
    /// [`MAX_MESSAGE_SIZE`](crate::protocol::MAX_MESSAGE_SIZE); `INVALID_ARGUMENT` for an
    /// empty property key.
    pub fn validate(&self) -> Result<()> {
        todo!()
    }
}
