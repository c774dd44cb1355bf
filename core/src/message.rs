//! `Message`: body, custom properties and system properties, with the 256 KiB limit checked
//! before anything is sent.

use std::collections::BTreeMap;

use crate::error::{Error, ErrorKind, Result};
use crate::protocol::{property_bag, MAX_MESSAGE_SIZE};
use crate::system_property::{SystemProperty, WIRE_KEYS};

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
    ///
    /// The received-only fields (`$.to`, `iothub-operation`, `ack`, `$.cdid`, `$.cmid`)
    /// follow `$.ifid` when they are set, so a hub can deliver with the same function and
    /// [`Message::from_bag`] round-trips.
    pub fn encode_bag(&self, output_name: Option<&str>) -> String {
        let system = self.system_properties(output_name);
        let custom = self
            .properties
            .iter()
            .map(|(k, v)| (k.as_str(), Some(v.as_str())));
        property_bag::encode(
            system
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, Some(v))))
                .chain(custom),
        )
    }

    /// Rebuilds a received message from its decoded bag pairs and payload: known system
    /// keys (`$.mid`, `$.cid`, …, `$.cdid`, `$.cmid`) fill fields, everything else is a
    /// custom property (a `None` value becomes `""`).
    ///
    /// `$.on` fills `output_name`; when a key repeats, the last value wins.
    pub fn from_bag(pairs: Vec<(String, Option<String>)>, body: Vec<u8>) -> Self {
        let mut message = Message::new(body);
        for (key, value) in pairs {
            let value = value.unwrap_or_default();
            match SystemProperty::from_wire_key(&key) {
                Some(property) => *message.system_mut(property) = Some(value),
                None => {
                    message.properties.insert(key, value);
                }
            }
        }
        message
    }

    /// Body length plus every property key and value (system and custom), in bytes.
    ///
    /// Keys count with their wire names (`$.mid`, …); the input name is not a property.
    pub fn size(&self) -> usize {
        let system: usize = self
            .system_properties(None)
            .iter()
            .filter_map(|(k, v)| v.map(|v| k.len() + v.len()))
            .sum();
        let custom: usize = self.properties.iter().map(|(k, v)| k.len() + v.len()).sum();
        self.body.len() + system + custom
    }

    /// `MESSAGE_TOO_LARGE` when [`Message::size`] exceeds
    /// [`MAX_MESSAGE_SIZE`]; `INVALID_ARGUMENT` for an
    /// empty property key.
    pub fn validate(&self) -> Result<()> {
        if self.properties.contains_key("") {
            return Err(Error::invalid_argument(
                "a message property has an empty key; give every property a name",
            ));
        }
        let size = self.size();
        if size > MAX_MESSAGE_SIZE {
            return Err(Error::new(
                ErrorKind::MessageTooLarge,
                format!(
                    "the message is {size} bytes (body + properties); the limit is \
                     {MAX_MESSAGE_SIZE} bytes"
                ),
            ));
        }
        Ok(())
    }

    /// System properties in wire order
    /// ([`WIRE_ORDER`](crate::system_property::WIRE_ORDER)), with their wire keys
    /// ([`WIRE_KEYS`]). The values are read field by field, in that order, because this runs
    /// for every message sent (a test checks the order against the table).
    fn system_properties<'a>(
        &'a self,
        output_name: Option<&'a str>,
    ) -> [(&'static str, Option<&'a str>); 16] {
        let values = [
            output_name.or(self.output_name.as_deref()),
            self.message_id.as_deref(),
            self.correlation_id.as_deref(),
            self.user_id.as_deref(),
            self.content_type.as_deref(),
            self.content_encoding.as_deref(),
            self.creation_time.as_deref(),
            self.expiry_time.as_deref(),
            self.message_schema.as_deref(),
            self.component_name.as_deref(),
            self.interface_id.as_deref(),
            self.to.as_deref(),
            self.operation.as_deref(),
            self.ack.as_deref(),
            self.connection_device_id.as_deref(),
            self.connection_module_id.as_deref(),
        ];
        let mut pairs = [("", None); 16];
        for (pair, (key, value)) in pairs.iter_mut().zip(WIRE_KEYS.into_iter().zip(values)) {
            *pair = (key, value);
        }
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::property_bag::decode;
    use crate::system_property::WIRE_ORDER;

    #[test]
    fn encodes_system_first_then_sorted_custom() {
        let mut m = Message::json(&serde_json::json!({"t": 1}))
            .with_property("zeta", "1")
            .with_property("alpha", "a b");
        m.message_id = Some("id/1".into());
        assert_eq!(
            m.encode_bag(Some("out")),
            "%24.on=out&%24.mid=id%2F1&%24.ct=application%2Fjson&%24.ce=utf-8&alpha=a%20b&zeta=1"
        );
        m.output_name = Some("mine".into());
        assert!(m.encode_bag(None).starts_with("%24.on=mine&"));
        assert_eq!(Message::new("x").encode_bag(None), "");
    }

    #[test]
    fn from_bag_fills_fields_and_round_trips() {
        let bag = "%24.cdid=edge1&%24.cmid=sensor&%24.mid=7&iothub-operation=op&ack=full&%24.to=%2Fx&flag&temp=21";
        let m = Message::from_bag(decode(bag).unwrap(), b"{}".to_vec());
        assert_eq!(m.connection_device_id.as_deref(), Some("edge1"));
        assert_eq!(m.connection_module_id.as_deref(), Some("sensor"));
        assert_eq!(m.operation.as_deref(), Some("op"));
        assert_eq!(m.ack.as_deref(), Some("full"));
        assert_eq!(m.to.as_deref(), Some("/x"));
        assert_eq!(m.properties.get("flag").map(String::as_str), Some(""));
        assert_eq!(m.properties.len(), 2);
        let again = Message::from_bag(decode(&m.encode_bag(None)).unwrap(), b"{}".to_vec());
        assert_eq!(again, m);
    }

    #[test]
    fn system_properties_follow_the_wire_order_of_the_table() {
        let mut m = Message::new("x");
        for p in SystemProperty::ALL {
            *m.system_mut(p) = Some(p.name().to_string());
        }
        let pairs = m.system_properties(None);
        for (i, (key, value)) in pairs.iter().enumerate() {
            assert_eq!(Some(*key), WIRE_ORDER[i].wire_key());
            assert_eq!(*value, m.system(WIRE_ORDER[i]));
        }
    }

    #[test]
    fn size_counts_body_keys_and_values() {
        let mut m = Message::new("abcd").with_property("k", "vv");
        m.message_id = Some("12".into());
        assert_eq!(m.size(), 4 + (1 + 2) + ("$.mid".len() + 2));
    }

    #[test]
    fn validate_enforces_limit_and_keys() {
        let at_limit = Message::new(vec![0u8; MAX_MESSAGE_SIZE]);
        assert!(at_limit.validate().is_ok());
        let over = Message::new(vec![0u8; MAX_MESSAGE_SIZE - 1]).with_property("a", "b");
        let err = over.validate().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MessageTooLarge);
        assert!(err.message().contains("262145") && err.message().contains("262144"));
        let empty_key = Message::new("x").with_property("", "v");
        assert_eq!(
            empty_key.validate().unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }
}
