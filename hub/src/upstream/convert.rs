//! A stored message as the device telemetry the parent receives: the body, the application
//! properties and the system properties a sender may set (IoT Hub's device-to-cloud set,
//! protocol.md §4.2). What the parent assigns itself — `connectionDeviceId` (this hub's
//! device), `connectionModuleId`, `edgeMessageId`, `enqueuedTime`,
//! `edgeHubOriginInterface` — and the output name (device telemetry has none) are not sent.

use edgemodule::Message;

use crate::message::HubMessage;

/// The message to send upstream for `stored`.
pub fn to_upstream(stored: &HubMessage) -> Message {
    let system = |name: &str| stored.system_properties.get(name).cloned();
    let mut message = Message::new(stored.body.clone());
    message.properties = stored.properties.clone();
    message.message_id = system("messageId");
    message.correlation_id = system("cid");
    message.user_id = system("userId");
    message.content_type = system("contentType");
    message.content_encoding = system("contentEncoding");
    message.creation_time = system("creationTime");
    message.expiry_time = system("absolute-expiry-time");
    message.message_schema = system("messageSchema");
    message.component_name = system("dt-subject");
    message.interface_id = system("iothub-interface-id");
    message.operation = system("operation");
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::HubMessage;

    #[test]
    fn carries_what_a_sender_sets_and_nothing_the_hub_assigns() {
        let pairs = [
            ("$.mid", "m-1"),
            ("$.cid", "c-1"),
            ("$.ct", "application/json"),
            ("$.ce", "utf-8"),
            ("$.on", "out1"),
            ("$.schema", "s"),
            ("level", "high"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect();
        let stored = HubMessage::from_wire("leaf", Some("sensor"), pairs, b"{}".to_vec());
        let m = to_upstream(&stored);
        assert_eq!(m.message_id.as_deref(), Some("m-1"));
        assert_eq!(m.correlation_id.as_deref(), Some("c-1"));
        assert_eq!(m.content_type.as_deref(), Some("application/json"));
        assert_eq!(m.content_encoding.as_deref(), Some("utf-8"));
        assert_eq!(m.message_schema.as_deref(), Some("s"));
        assert_eq!(m.properties.get("level").map(String::as_str), Some("high"));
        assert_eq!(m.properties.len(), 1);
        assert_eq!(m.output_name, None);
        assert_eq!(m.connection_device_id, None);
        assert_eq!(m.connection_module_id, None);
        assert_eq!(m.body, b"{}");
    }
}
