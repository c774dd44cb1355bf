//! The message model inside the hub (protocol.md §4.2, §8.2, §8.3): body, application
//! properties, system properties by edgeHub internal name, and the route source path.

use std::collections::BTreeMap;

use edgemodule::protocol::property_bag;

/// Wire key → edgeHub internal system property name, for inbound telemetry (§4.2).
/// `$.cdid`/`$.cmid` are listed so a client cannot smuggle them in as application
/// properties; they are overwritten with the authenticated sender anyway.
const INBOUND_SYSTEM_KEYS: &[(&str, &str)] = &[
    ("$.mid", "messageId"),
    ("$.cid", "cid"),
    ("$.uid", "userId"),
    ("$.ct", "contentType"),
    ("$.ce", "contentEncoding"),
    ("$.on", "outputName"),
    ("$.to", "to"),
    ("$.exp", "absolute-expiry-time"),
    ("$.ctime", "creationTime"),
    ("$.schema", "messageSchema"),
    ("$.ifid", "iothub-interface-id"),
    ("$.sub", "dt-subject"),
    ("$.cdid", "connectionDeviceId"),
    ("$.cmid", "connectionModuleId"),
    ("iothub-operation", "operation"),
    ("ack", "ack"),
];

/// System properties forwarded to a module input, in emission order: (internal name, wire key).
/// `$.on` is deliberately absent: the input name travels in the topic (§4.3).
const DELIVERY_SYSTEM_KEYS: &[(&str, &str)] = &[
    ("messageId", "$.mid"),
    ("cid", "$.cid"),
    ("userId", "$.uid"),
    ("contentType", "$.ct"),
    ("contentEncoding", "$.ce"),
    ("absolute-expiry-time", "$.exp"),
    ("to", "$.to"),
    ("messageSchema", "$.schema"),
    ("creationTime", "$.ctime"),
    ("operation", "iothub-operation"),
    ("dt-subject", "$.sub"),
    ("connectionDeviceId", "$.cdid"),
    ("connectionModuleId", "$.cmid"),
    ("ack", "ack"),
];

/// Source path of twin change notifications (§8.2).
pub const TWIN_CHANGE_SOURCE: &str = "/twinChangeNotifications";

/// A message inside the hub, as edgeHub models it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HubMessage {
    /// The payload, opaque bytes.
    pub body: Vec<u8>,
    /// Application properties (original key case preserved).
    pub properties: BTreeMap<String, String>,
    /// System properties by edgeHub internal name: messageId, cid, userId, to, contentType,
    /// contentEncoding, outputName, messageSchema, creationTime, absolute-expiry-time,
    /// operation, iothub-interface-id, dt-subject, ack, connectionDeviceId,
    /// connectionModuleId, edgeMessageId, edgeHubOriginInterface, enqueuedTime.
    pub system_properties: BTreeMap<String, String>,
    /// Route source path: /messages/modules/{m}/outputs/{o}, /messages/modules/{m}, /messages,
    /// /twinChangeNotifications.
    pub source: String,
}

impl HubMessage {
    /// From an inbound telemetry publish: decoded bag pairs (wire keys like "$.mid") → fields.
    ///
    /// `device_id`/`module_id` are the authenticated sender; they become
    /// `connectionDeviceId`/`connectionModuleId` whatever the bag said. A key without a value
    /// becomes an empty string. When a key repeats, the last occurrence wins.
    pub fn from_wire(
        device_id: &str,
        module_id: Option<&str>,
        pairs: Vec<(String, Option<String>)>,
        body: Vec<u8>,
    ) -> Self {
        let mut properties = BTreeMap::new();
        let mut system_properties = BTreeMap::new();
        for (key, value) in pairs {
            let value = value.unwrap_or_default();
            match INBOUND_SYSTEM_KEYS.iter().find(|(wire, _)| *wire == key) {
                Some((_, internal)) => {
                    system_properties.insert((*internal).to_string(), value);
                }
                None => {
                    properties.insert(key, value);
                }
            }
        }
        system_properties.insert("connectionDeviceId".into(), device_id.to_string());
        match module_id {
            Some(m) => {
                system_properties.insert("connectionModuleId".into(), m.to_string());
            }
            None => {
                system_properties.remove("connectionModuleId");
            }
        }
        // Modules run on the edge device; a bare device is a downstream (leaf) device (§8.3).
        let origin = if module_id.is_some() {
            "internal"
        } else {
            "downstream"
        };
        system_properties.insert("edgeHubOriginInterface".into(), origin.into());
        system_properties.insert("edgeMessageId".into(), uuid::Uuid::new_v4().to_string());
        system_properties.insert("enqueuedTime".into(), now_rfc3339());

        let source = match (module_id, system_properties.get("outputName")) {
            (Some(m), Some(o)) => format!("/messages/modules/{m}/outputs/{o}"),
            (Some(m), None) => format!("/messages/modules/{m}"),
            (None, _) => "/messages".to_string(),
        };
        HubMessage {
            body,
            properties,
            system_properties,
            source,
        }
    }

    /// A twin change notification (§8.2/§8.3) emitted when a module patched its reported
    /// properties: source `/twinChangeNotifications`, sent by `$edgeHub` on `device_id`.
    pub fn twin_change_notification(device_id: &str, body: Vec<u8>) -> Self {
        let mut system_properties = BTreeMap::new();
        for (k, v) in [
            ("messageType", "twinChangeNotification"),
            ("messageSchema", "twinChangeNotification"),
            ("connectionDeviceId", device_id),
            ("connectionModuleId", "$edgeHub"),
            ("contentType", "application/json"),
            ("contentEncoding", "utf-8"),
            ("edgeHubOriginInterface", "internal"),
        ] {
            system_properties.insert(k.to_string(), v.to_string());
        }
        system_properties.insert("edgeMessageId".into(), uuid::Uuid::new_v4().to_string());
        system_properties.insert("enqueuedTime".into(), now_rfc3339());
        HubMessage {
            body,
            properties: BTreeMap::new(),
            system_properties,
            source: TWIN_CHANGE_SOURCE.to_string(),
        }
    }

    /// The bag to deliver to a module input: app properties + mapped system properties
    /// ($.mid,$.cid,$.uid,$.ct,$.ce,$.exp,$.to,$.schema,$.ctime,iothub-operation,$.sub,
    /// $.cdid,$.cmid,ack), percent-encoded via edgemodule::protocol::property_bag::encode.
    ///
    /// System properties come first (in the order above), then application properties
    /// sorted by key. Never contains a `/` (it is encoded as `%2F`).
    pub fn to_delivery_bag(&self) -> String {
        let system = DELIVERY_SYSTEM_KEYS.iter().filter_map(|(internal, wire)| {
            self.system_properties
                .get(*internal)
                .map(|v| (*wire, Some(v.as_str())))
        });
        let app = self
            .properties
            .iter()
            .map(|(k, v)| (k.as_str(), Some(v.as_str())));
        property_bag::encode(system.chain(app))
    }

    /// Size for the 256 KiB limit (§10): body plus every property key and value.
    pub fn size_bytes(&self) -> usize {
        let props = |m: &BTreeMap<String, String>| -> usize {
            m.iter().map(|(k, v)| k.len() + v.len()).sum()
        };
        self.body.len() + props(&self.properties) + props(&self.system_properties)
    }

    /// Application property, case-insensitive lookup (exact match first).
    pub fn app_property_ci(&self, name: &str) -> Option<&str> {
        lookup_ci(&self.properties, name)
    }

    /// System property by internal name, case-insensitive lookup (exact match first).
    pub fn system_property_ci(&self, name: &str) -> Option<&str> {
        lookup_ci(&self.system_properties, name)
    }
}

impl crate::routes::RouteInput for HubMessage {
    fn source(&self) -> &str {
        &self.source
    }

    fn app_property(&self, name: &str) -> Option<&str> {
        self.app_property_ci(name)
    }

    fn system_property(&self, name: &str) -> Option<&str> {
        self.system_property_ci(name)
    }

    fn body(&self) -> &[u8] {
        &self.body
    }
}

fn lookup_ci<'a>(map: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    if let Some(v) = map.get(name) {
        return Some(v.as_str());
    }
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Current UTC time as RFC 3339 (the `enqueuedTime` format).
fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect()
    }

    #[test]
    fn maps_wire_keys_and_sets_sender() {
        let m = HubMessage::from_wire(
            "edge1",
            Some("filter"),
            pairs(&[
                ("$.mid", Some("m1")),
                ("$.cid", Some("c1")),
                ("$.on", Some("output1")),
                ("$.ct", Some("application/json")),
                ("$.cmid", Some("spoofed")),
                ("iothub-operation", Some("op")),
                ("Temp", Some("21")),
                ("flag", None),
            ]),
            b"{}".to_vec(),
        );
        assert_eq!(m.source, "/messages/modules/filter/outputs/output1");
        assert_eq!(m.system_properties["messageId"], "m1");
        assert_eq!(m.system_properties["cid"], "c1");
        assert_eq!(m.system_properties["outputName"], "output1");
        assert_eq!(m.system_properties["operation"], "op");
        assert_eq!(m.system_properties["connectionDeviceId"], "edge1");
        assert_eq!(m.system_properties["connectionModuleId"], "filter");
        assert_eq!(m.system_properties["edgeHubOriginInterface"], "internal");
        assert!(uuid::Uuid::parse_str(&m.system_properties["edgeMessageId"]).is_ok());
        assert!(m.system_properties.contains_key("enqueuedTime"));
        assert_eq!(m.properties["Temp"], "21");
        assert_eq!(m.properties["flag"], "");
        assert_eq!(m.properties.len(), 2);
        assert_eq!(m.app_property_ci("temp"), Some("21"));
        assert_eq!(m.system_property_ci("MESSAGEID"), Some("m1"));
    }

    #[test]
    fn source_without_output_and_for_devices() {
        let m = HubMessage::from_wire("edge1", Some("sensor"), vec![], vec![]);
        assert_eq!(m.source, "/messages/modules/sensor");
        let d = HubMessage::from_wire("leaf", None, pairs(&[("$.on", Some("x"))]), vec![]);
        assert_eq!(d.source, "/messages");
        assert!(!d.system_properties.contains_key("connectionModuleId"));
        assert_eq!(d.system_properties["edgeHubOriginInterface"], "downstream");
    }

    #[test]
    fn delivery_bag_maps_system_keys_and_drops_output_name() {
        let m = HubMessage::from_wire(
            "edge1",
            Some("sensor"),
            pairs(&[
                ("$.mid", Some("m 1")),
                ("$.on", Some("output1")),
                ("$.ct", Some("application/json")),
                ("$.ifid", Some("urn:x")),
                ("a/b", Some("x&y=z")),
            ]),
            vec![],
        );
        let bag = m.to_delivery_bag();
        assert_eq!(
            bag,
            "%24.mid=m%201&%24.ct=application%2Fjson&%24.cdid=edge1&%24.cmid=sensor&a%2Fb=x%26y%3Dz"
        );
        let decoded = property_bag::decode(&bag).unwrap();
        assert!(decoded.contains(&("a/b".to_string(), Some("x&y=z".to_string()))));
    }

    #[test]
    fn routes_see_the_message_through_route_input() {
        use crate::routes::{evaluate, parse_route, Sink};
        let m = HubMessage::from_wire(
            "edge1",
            Some("sensor"),
            pairs(&[("$.on", Some("output1")), ("Level", Some("high"))]),
            b"{}".to_vec(),
        );
        let route = parse_route(
            "r",
            "FROM /messages/modules/sensor/outputs/output1 WHERE level = 'high' AND $connectionModuleId = 'sensor' INTO BrokeredEndpoint(\"/modules/filter/inputs/in1\")",
            0,
            0,
        )
        .unwrap();
        let other =
            parse_route("o", "FROM /messages/modules/other/* INTO $upstream", 1, 0).unwrap();
        assert!(route.matches(&m));
        assert!(!other.matches(&m));
        let sinks = evaluate(&[route, other], &m);
        assert_eq!(
            sinks,
            vec![(
                Sink::Module {
                    module_id: "filter".into(),
                    input: "in1".into()
                },
                0,
                0
            )]
        );
    }

    #[test]
    fn twin_change_notification_shape() {
        let m = HubMessage::twin_change_notification("edge1", b"{}".to_vec());
        assert_eq!(m.source, TWIN_CHANGE_SOURCE);
        assert_eq!(m.system_properties["connectionModuleId"], "$edgeHub");
        assert_eq!(m.system_properties["messageType"], "twinChangeNotification");
    }
}
