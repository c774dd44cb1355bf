//! Entry points of the `cargo fuzz` targets in `hub/fuzz/` (one per target), also run by the
//! regression test `hub/tests/fuzz_regressions.rs` on every saved input. Each must return
//! normally for any input; a panic is a bug.

use serde_json::Value;

/// `route_parser`: the first line is a route, the rest a message body it is evaluated on.
pub fn route_parser(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (route, body) = text.split_once('\n').unwrap_or((&text, ""));
    if let Ok(route) = crate::routes::parse_route("fuzz", route, 0, 0) {
        let mut message = crate::message::HubMessage::from_wire(
            "edge-device",
            Some("fuzz"),
            vec![
                ("$.on".into(), Some("out".into())),
                ("k".into(), Some("v".into())),
            ],
            body.as_bytes().to_vec(),
        );
        message
            .system_properties
            .insert("contentType".into(), "application/json".into());
        message
            .system_properties
            .insert("contentEncoding".into(), "utf-8".into());
        let _ = crate::routes::evaluate(std::slice::from_ref(&route), &message);
    }
}

/// `property_bag`: decoding any text; what decodes re-encodes to a bag that decodes to the
/// same pairs.
pub fn property_bag(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(pairs) = edgemodule::protocol::property_bag::decode(text) else {
        return;
    };
    let encoded = edgemodule::protocol::property_bag::encode(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_deref())),
    );
    let again = edgemodule::protocol::property_bag::decode(&encoded);
    assert_eq!(
        again.ok().as_ref(),
        Some(&pairs),
        "round trip of {text:?} via {encoded:?}"
    );
}

/// `manifest_parser`: any text as a deployment manifest, plain or inside `content`.
pub fn manifest_parser(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::manifest::parse(&text);
    if let Ok(value) = serde_json::from_str::<Value>(&text) {
        let wrapped = serde_json::json!({ "content": value });
        let _ = crate::manifest::parse(&wrapped.to_string());
    }
}

/// `mqtt_packets`: bytes a client sends after CONNECT (see `mqtt::fuzz::packet_path`).
pub fn mqtt_packets(data: &[u8]) {
    crate::mqtt::fuzz::packet_path(data);
}
