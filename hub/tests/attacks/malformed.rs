//! Malformed and non-conforming MQTT packets after a valid CONNECT: each closes the
//! connection without the packet's answer. Plus the one property-bag rule (docs/security.md):
//! bad escapes never close a connection; they are kept as written.

use std::time::Duration;

use rumqttc::Packet;

use crate::common::{output_topic, DEVICE};
use crate::harness::{closed_within, delivery_properties, next_matching, Tally};
use crate::hubproc::HubProc;

const GROUP: &str = "malformed";

/// Remaining-length encoding.
fn remaining(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            return out;
        }
    }
}

fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![first];
    p.extend(remaining(body.len()));
    p.extend_from_slice(body);
    p
}

fn string(s: &str) -> Vec<u8> {
    let mut out = (s.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(s.as_bytes());
    out
}

fn publish(first: u8, topic: &str, pkid: Option<u16>, payload: &[u8]) -> Vec<u8> {
    let mut body = string(topic);
    if let Some(id) = pkid {
        body.extend(id.to_be_bytes());
    }
    body.extend_from_slice(payload);
    packet(first, &body)
}

pub async fn run(hub: &HubProc, t: &mut Tally) {
    let telemetry = format!("devices/{DEVICE}/modules/mallory/messages/events/");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("PINGREQ with a payload", vec![0xC0, 0x01, 0x00]),
        ("PINGREQ with flags", vec![0xC1, 0x00]),
        ("DISCONNECT with a payload", vec![0xE0, 0x02, 0x00, 0x00]),
        (
            "SUBSCRIBE with fixed-header flags 0",
            packet(0x80, &[&[0u8, 1][..], &string("alerts/#"), &[1]].concat()),
        ),
        (
            "SUBSCRIBE with fixed-header flags 0b0011",
            packet(0x83, &[&[0u8, 1][..], &string("alerts/#"), &[1]].concat()),
        ),
        (
            "SUBSCRIBE with reserved option bits",
            packet(
                0x82,
                &[&[0u8, 1][..], &string("alerts/#"), &[0x41]].concat(),
            ),
        ),
        (
            "SUBSCRIBE with QoS 3",
            packet(0x82, &[&[0u8, 1][..], &string("alerts/#"), &[3]].concat()),
        ),
        ("SUBSCRIBE without filters", vec![0x82, 0x02, 0x00, 0x01]),
        (
            "SUBSCRIBE with a truncated filter",
            packet(0x82, &[0, 1, 0, 9, b'a']),
        ),
        (
            "UNSUBSCRIBE with fixed-header flags 0",
            packet(0xA0, &[&[0u8, 1][..], &string("alerts/#")].concat()),
        ),
        ("PUBACK with flags", vec![0x41, 0x02, 0x00, 0x01]),
        ("PUBACK of 3 bytes", vec![0x40, 0x03, 0x00, 0x01, 0x00]),
        ("PUBREL with flags 0", vec![0x60, 0x02, 0x00, 0x01]),
        ("reserved packet type 0", vec![0x00, 0x00]),
        ("reserved packet type 15", vec![0xF0, 0x00]),
        ("CONNACK from a client", vec![0x20, 0x02, 0x00, 0x00]),
        (
            "PUBLISH with QoS 3",
            publish(0x36, &telemetry, Some(1), b"x"),
        ),
        (
            "PUBLISH with QoS 0 and DUP",
            publish(0x38, &telemetry, None, b"x"),
        ),
        (
            "PUBLISH with QoS 2",
            publish(0x34, &telemetry, Some(1), b"x"),
        ),
        (
            "PUBLISH with QoS 1 and packet id 0",
            publish(0x32, &telemetry, Some(0), b"x"),
        ),
        (
            "PUBLISH with an empty topic",
            publish(0x32, "", Some(1), b"x"),
        ),
        (
            "PUBLISH with a topic that is not UTF-8",
            packet(0x32, &[0, 2, 0xFF, 0xFE, 0, 1, b'x']),
        ),
        (
            "PUBLISH with a topic containing U+0000",
            publish(0x32, &format!("{telemetry}a\0b"), Some(1), b"x"),
        ),
        (
            "PUBLISH with a topic longer than the packet",
            packet(0x32, &[0xFF, 0xFF, b'a', b'b']),
        ),
        (
            "PUBLISH announcing 300 MB",
            vec![0x32, 0xFF, 0xFF, 0xFF, 0x7F],
        ),
        (
            "PUBLISH with a 5-byte remaining length",
            vec![0x32, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
        ),
        (
            "message over 256 KiB",
            publish(0x32, &telemetry, Some(1), &vec![b'x'; 256 * 1024 + 1]),
        ),
        (
            "property bag with a second '='",
            publish(0x32, &format!("{telemetry}a=b=c"), Some(1), b"x"),
        ),
        (
            "property bag value without a key",
            publish(0x32, &format!("{telemetry}=v"), Some(1), b"x"),
        ),
        (
            "properties over 256 KiB",
            publish(
                0x32,
                &format!("{telemetry}k={}", "v".repeat(40_000)),
                Some(1),
                &vec![b'x'; 230 * 1024],
            ),
        ),
    ];
    for (name, bytes) in cases {
        let mut mallory = hub.connect("mallory", true).await;
        mallory.send_bytes(&bytes).await;
        let seen = closed_within(&mut mallory, Duration::from_secs(10)).await;
        let refused = seen.as_ref().is_some_and(|s| {
            !s.iter().any(|p| {
                matches!(
                    p,
                    Packet::PubAck(_) | Packet::SubAck(_) | Packet::UnsubAck(_) | Packet::PingResp
                )
            })
        });
        t.attack(GROUP, name, refused, format!("{seen:?}"));
    }
    property_bag_rule(hub, t).await;
}

/// `%ZZ`, `%00`, `%FF` and a lone `%` are kept as written (`%00` decodes to U+0000) and the
/// message is delivered: one rule, edgeHub's.
async fn property_bag_rule(hub: &HubProc, t: &mut Tally) {
    let mut receiver = hub.connect("receiver", true).await;
    receiver.subscribe_inputs("receiver").await;
    let mut sender = hub.connect("sender", true).await;
    let topic = format!(
        "{}&zz=%ZZ&nul=a%00b&ff=%FF&lone=%&ok=%C3%A9",
        output_topic("sender", "out1", &[])
    );
    sender.publish_acked(&topic, b"escapes").await;
    let delivered = next_matching(&mut receiver, Duration::from_secs(10), |p| {
        p.payload.as_ref() == b"escapes"
    })
    .await;
    let props = delivered
        .as_ref()
        .map(|p| delivery_properties(&p.topic, "receiver", "in1"))
        .unwrap_or_default();
    let get = |k: &str| {
        props
            .iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| v.clone())
    };
    let ok = get("zz").as_deref() == Some("%ZZ")
        && get("nul").as_deref() == Some("a\0b")
        && get("ff").as_deref() == Some("%FF")
        && get("lone").as_deref() == Some("%")
        && get("ok").as_deref() == Some("é");
    t.check(
        GROUP,
        "property-bag escapes follow the documented rule",
        ok,
        format!("{props:?}"),
    );
    sender.disconnect().await;
    receiver.disconnect().await;
}
