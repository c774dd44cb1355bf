//! The MQTT packet path without sockets, for the `mqtt_packets` fuzz target and its
//! regression tests: framing and the MQTT 3.1.1 checks of the codec, then what the broker
//! decides for each packet (topic classification, property-bag decoding, message building,
//! subscription filters).

use bytes::BytesMut;
use edgemodule::protocol::property_bag;
use rumqttc::Packet;

use super::access::{classify_publish, classify_subscribe, PublishTarget};
use super::codec::{read_packet, Frame};
use crate::message::HubMessage;

/// Feeds `data` to the codec in the chunk sizes a TCP stream might deliver and runs every
/// packet it yields through the broker's decisions. Must never panic.
pub fn packet_path(data: &[u8]) {
    let chunk = usize::from(data.first().copied().unwrap_or(1)).max(1);
    let mut buf = BytesMut::new();
    for piece in data.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match read_packet(&mut buf) {
                Ok(Frame::Packet(packet)) => decide(packet),
                Ok(Frame::Incomplete) => break,
                // The connection would be closed here.
                Err(_) => return,
            }
        }
    }
}

fn decide(packet: Packet) {
    match packet {
        Packet::Publish(p) => match classify_publish(&p.topic, "edge-device", Some("fuzz")) {
            PublishTarget::Telemetry { bag } => {
                if let Ok(pairs) = property_bag::decode(bag) {
                    let message = HubMessage::from_wire(
                        "edge-device",
                        Some("fuzz"),
                        pairs,
                        p.payload.to_vec(),
                    );
                    let bag = message.to_delivery_bag();
                    // What the hub sends must decode again.
                    assert!(
                        property_bag::decode(&bag).is_ok(),
                        "re-encoded bag {bag:?} does not decode"
                    );
                }
            }
            PublishTarget::Twin
            | PublishTarget::MethodResponse
            | PublishTarget::User
            | PublishTarget::Refused(_) => {}
        },
        Packet::Subscribe(s) => {
            for f in s.filters {
                let _ = classify_subscribe(&f.path, "edge-device", Some("fuzz"));
                let _ = crate::authz::topic_matches(
                    &f.path,
                    "devices/edge-device/modules/fuzz/inputs/x",
                );
            }
        }
        _ => {}
    }
}
