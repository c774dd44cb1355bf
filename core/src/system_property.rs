//! The message system properties: one table of their stable codes, API names, wire keys
//! and value types, used by the core's encode/decode and iterated by every binding
//! (instead of listing the 17 properties by hand). `tests/vectors/system_properties.json`
//! holds the same data for the bindings' tests.

use crate::message::Message;

/// What a property's text holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropertyType {
    /// Free text.
    Text,
    /// An ISO 8601 UTC timestamp (`2024-01-02T03:04:05.000Z`); bindings may expose it as
    /// their date-time type.
    Timestamp,
}

impl PropertyType {
    /// `"text"` or `"timestamp"`.
    pub fn name(self) -> &'static str {
        match self {
            PropertyType::Text => "text",
            PropertyType::Timestamp => "timestamp",
        }
    }
}

/// A system property of a [`Message`]. The numeric codes are part of the ABI (the C
/// `EDGEMODULE_PROPERTY_*` constants, Java's slots): never renumber, only append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum SystemProperty {
    /// `message_id`, `$.mid`.
    MessageId = 0,
    /// `correlation_id`, `$.cid`.
    CorrelationId = 1,
    /// `user_id`, `$.uid`.
    UserId = 2,
    /// `content_type`, `$.ct`.
    ContentType = 3,
    /// `content_encoding`, `$.ce`.
    ContentEncoding = 4,
    /// `creation_time`, `$.ctime`.
    CreationTime = 5,
    /// `expiry_time`, `$.exp`.
    ExpiryTime = 6,
    /// `message_schema`, `$.schema`.
    MessageSchema = 7,
    /// `component_name`, `$.sub`.
    ComponentName = 8,
    /// `interface_id`, `$.ifid`.
    InterfaceId = 9,
    /// `to`, `$.to`.
    To = 10,
    /// `ack`, `ack`.
    Ack = 11,
    /// `operation`, `iothub-operation`.
    Operation = 12,
    /// `input_name` (from the topic, not a wire property).
    InputName = 13,
    /// `output_name`, `$.on`.
    OutputName = 14,
    /// `connection_device_id`, `$.cdid`.
    ConnectionDeviceId = 15,
    /// `connection_module_id`, `$.cmid`.
    ConnectionModuleId = 16,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PropertyInfo {
    /// The property.
    pub property: SystemProperty,
    /// The API name (`snake_case`; bindings derive their idiom's casing from it).
    pub name: &'static str,
    /// The key in the MQTT property bag, `None` for the input name (it is in the topic).
    pub wire_key: Option<&'static str>,
    /// What the text holds.
    pub value_type: PropertyType,
    /// Set by the hub on messages a module receives; a module does not set it to send.
    pub received_only: bool,
}

const fn p(
    property: SystemProperty,
    name: &'static str,
    wire_key: Option<&'static str>,
    value_type: PropertyType,
    received_only: bool,
) -> PropertyInfo {
    PropertyInfo {
        property,
        name,
        wire_key,
        value_type,
        received_only,
    }
}

use PropertyType::{Text, Timestamp};
use SystemProperty as S;

/// Every system property, indexed by code.
pub const SYSTEM_PROPERTIES: [PropertyInfo; 17] = [
    p(S::MessageId, "message_id", Some("$.mid"), Text, false),
    p(
        S::CorrelationId,
        "correlation_id",
        Some("$.cid"),
        Text,
        false,
    ),
    p(S::UserId, "user_id", Some("$.uid"), Text, false),
    p(S::ContentType, "content_type", Some("$.ct"), Text, false),
    p(
        S::ContentEncoding,
        "content_encoding",
        Some("$.ce"),
        Text,
        false,
    ),
    p(
        S::CreationTime,
        "creation_time",
        Some("$.ctime"),
        Timestamp,
        false,
    ),
    p(
        S::ExpiryTime,
        "expiry_time",
        Some("$.exp"),
        Timestamp,
        false,
    ),
    p(
        S::MessageSchema,
        "message_schema",
        Some("$.schema"),
        Text,
        false,
    ),
    p(
        S::ComponentName,
        "component_name",
        Some("$.sub"),
        Text,
        false,
    ),
    p(S::InterfaceId, "interface_id", Some("$.ifid"), Text, false),
    p(S::To, "to", Some("$.to"), Text, true),
    p(S::Ack, "ack", Some("ack"), Text, true),
    p(
        S::Operation,
        "operation",
        Some("iothub-operation"),
        Text,
        true,
    ),
    p(S::InputName, "input_name", None, Text, true),
    p(S::OutputName, "output_name", Some("$.on"), Text, false),
    p(
        S::ConnectionDeviceId,
        "connection_device_id",
        Some("$.cdid"),
        Text,
        true,
    ),
    p(
        S::ConnectionModuleId,
        "connection_module_id",
        Some("$.cmid"),
        Text,
        true,
    ),
];

/// The order system properties are written in a property bag (protocol.md §4.2): `$.on`
/// first, then the ones a sender sets, then the received-only ones.
pub const WIRE_ORDER: [SystemProperty; 16] = [
    S::OutputName,
    S::MessageId,
    S::CorrelationId,
    S::UserId,
    S::ContentType,
    S::ContentEncoding,
    S::CreationTime,
    S::ExpiryTime,
    S::MessageSchema,
    S::ComponentName,
    S::InterfaceId,
    S::To,
    S::Operation,
    S::Ack,
    S::ConnectionDeviceId,
    S::ConnectionModuleId,
];

/// The property-bag key of each entry of [`WIRE_ORDER`], resolved at compile time (the
/// encoder runs for every message sent).
pub(crate) const WIRE_KEYS: [&str; 16] = wire_keys();

const fn wire_keys() -> [&'static str; 16] {
    let mut keys = [""; 16];
    let mut i = 0;
    while i < WIRE_ORDER.len() {
        keys[i] = match SYSTEM_PROPERTIES[WIRE_ORDER[i] as usize].wire_key {
            Some(key) => key,
            None => "",
        };
        i += 1;
    }
    keys
}

impl SystemProperty {
    /// Every property, in code order.
    pub const ALL: [SystemProperty; 17] = [
        S::MessageId,
        S::CorrelationId,
        S::UserId,
        S::ContentType,
        S::ContentEncoding,
        S::CreationTime,
        S::ExpiryTime,
        S::MessageSchema,
        S::ComponentName,
        S::InterfaceId,
        S::To,
        S::Ack,
        S::Operation,
        S::InputName,
        S::OutputName,
        S::ConnectionDeviceId,
        S::ConnectionModuleId,
    ];

    /// This property's row of [`SYSTEM_PROPERTIES`].
    pub fn info(self) -> &'static PropertyInfo {
        &SYSTEM_PROPERTIES[self as usize]
    }

    /// The stable code.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The API name, e.g. `message_id`.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The property-bag key, e.g. `$.mid` (`None` for the input name).
    pub fn wire_key(self) -> Option<&'static str> {
        self.info().wire_key
    }

    /// The property for a code.
    pub fn from_code(code: i32) -> Option<SystemProperty> {
        usize::try_from(code)
            .ok()
            .and_then(|i| SYSTEM_PROPERTIES.get(i))
            .map(|info| info.property)
    }

    /// The property for an API name (`message_id`).
    pub fn from_name(name: &str) -> Option<SystemProperty> {
        SYSTEM_PROPERTIES
            .iter()
            .find(|info| info.name == name)
            .map(|info| info.property)
    }

    /// The property for a property-bag key (`$.mid`).
    #[inline]
    pub fn from_wire_key(key: &str) -> Option<SystemProperty> {
        // Custom properties are the common case: only `$.…` keys and two others are ours.
        if !key.starts_with("$.") && key != "ack" && key != "iothub-operation" {
            return None;
        }
        WIRE_ORDER
            .iter()
            .zip(WIRE_KEYS)
            .find(|(_, wire)| *wire == key)
            .map(|(property, _)| *property)
    }
}

impl Message {
    /// The value of system property `property`.
    #[inline]
    pub fn system(&self, property: SystemProperty) -> Option<&str> {
        let m = self;
        match property {
            S::MessageId => m.message_id.as_deref(),
            S::CorrelationId => m.correlation_id.as_deref(),
            S::UserId => m.user_id.as_deref(),
            S::ContentType => m.content_type.as_deref(),
            S::ContentEncoding => m.content_encoding.as_deref(),
            S::CreationTime => m.creation_time.as_deref(),
            S::ExpiryTime => m.expiry_time.as_deref(),
            S::MessageSchema => m.message_schema.as_deref(),
            S::ComponentName => m.component_name.as_deref(),
            S::InterfaceId => m.interface_id.as_deref(),
            S::To => m.to.as_deref(),
            S::Ack => m.ack.as_deref(),
            S::Operation => m.operation.as_deref(),
            S::InputName => m.input_name.as_deref(),
            S::OutputName => m.output_name.as_deref(),
            S::ConnectionDeviceId => m.connection_device_id.as_deref(),
            S::ConnectionModuleId => m.connection_module_id.as_deref(),
        }
    }

    /// The field of system property `property`, to set or clear.
    #[inline]
    pub fn system_mut(&mut self, property: SystemProperty) -> &mut Option<String> {
        let m = self;
        match property {
            S::MessageId => &mut m.message_id,
            S::CorrelationId => &mut m.correlation_id,
            S::UserId => &mut m.user_id,
            S::ContentType => &mut m.content_type,
            S::ContentEncoding => &mut m.content_encoding,
            S::CreationTime => &mut m.creation_time,
            S::ExpiryTime => &mut m.expiry_time,
            S::MessageSchema => &mut m.message_schema,
            S::ComponentName => &mut m.component_name,
            S::InterfaceId => &mut m.interface_id,
            S::To => &mut m.to,
            S::Ack => &mut m.ack,
            S::Operation => &mut m.operation,
            S::InputName => &mut m.input_name,
            S::OutputName => &mut m.output_name,
            S::ConnectionDeviceId => &mut m.connection_device_id,
            S::ConnectionModuleId => &mut m.connection_module_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_indexed_by_code_and_keys_are_unique() {
        for (i, info) in SYSTEM_PROPERTIES.iter().enumerate() {
            assert_eq!(info.property.code(), i as i32);
            assert_eq!(SystemProperty::ALL[i], info.property);
            assert_eq!(SystemProperty::from_name(info.name), Some(info.property));
            if let Some(key) = info.wire_key {
                assert_eq!(SystemProperty::from_wire_key(key), Some(info.property));
            }
        }
        let mut keys: Vec<&str> = SYSTEM_PROPERTIES
            .iter()
            .filter_map(|i| i.wire_key)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(
            keys.len(),
            WIRE_ORDER.len(),
            "every wire key once, all in WIRE_ORDER"
        );
        assert!(WIRE_ORDER.iter().all(|p| p.wire_key().is_some()));
        for (property, key) in WIRE_ORDER.iter().zip(WIRE_KEYS) {
            assert_eq!(property.wire_key(), Some(key));
        }
        assert_eq!(SystemProperty::from_code(17), None);
        assert_eq!(SystemProperty::from_wire_key("$.nope"), None);
    }

    #[test]
    fn every_property_has_its_own_field() {
        let mut m = Message::new("x");
        for p in SystemProperty::ALL {
            *m.system_mut(p) = Some(p.name().to_string());
        }
        for p in SystemProperty::ALL {
            assert_eq!(m.system(p), Some(p.name()));
        }
    }
}
