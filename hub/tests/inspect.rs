//! Delivery inspection (contract 5): `RunningHub::inspect` counts what the hub saw on the
//! wire, and `edgemodule-hub inspect MODULE` prints it through the admin API.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{output_topic, TestHub, QUIET};
use edgemodule::protocol::topics::{self, METHODS_FILTER};
use rumqttc::{Packet, Publish, QoS};
use serde_json::Value;

#[tokio::test]
async fn inspect_counts_connections_subscriptions_deliveries_acks_and_publishes() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let fresh = hub.hub.inspect("receiver").expect("known module");
    assert!(!fresh.connected);
    assert_eq!((fresh.connections, fresh.delivered), (0, 0));
    assert!(fresh.subscriptions.is_empty());
    assert_eq!(fresh.delivery, "strict");
    assert_eq!(fresh.ack_timeout_secs, 30);

    let (mut receiver, _) = hub.connect("receiver", false).await;
    let inputs = topics::inputs_filter(common::DEVICE, "receiver");
    receiver
        .subscribe(&[
            (&inputs, QoS::AtLeastOnce),
            (METHODS_FILTER, QoS::AtMostOnce),
        ])
        .await;
    let (mut sender, _) = hub.connect("sender", false).await;
    let topic = output_topic("sender", "out1", &[]);
    for body in [&b"one"[..], b"two", b"three"] {
        sender.publish_acked(&topic, body).await;
    }
    // A PUBLISH the sender marks as a re-send.
    let mut again = Publish::new(&topic, QoS::AtLeastOnce, b"three".to_vec());
    again.pkid = sender.pkid();
    again.dup = true;
    sender.send(Packet::Publish(again)).await;
    sender.publish(&topic, b"four", QoS::AtMostOnce).await;

    for _ in 0..5 {
        receiver.receive_acked().await;
    }
    assert!(receiver.next_publish(QUIET).await.is_none());

    let r = hub.hub.inspect("receiver").unwrap();
    assert!(r.connected);
    assert_eq!(r.connections, 1);
    let mut subs = r.subscriptions.clone();
    subs.sort();
    assert_eq!(subs, vec![METHODS_FILTER.to_string(), inputs.clone()]);
    assert_eq!((r.delivered, r.redelivered), (5, 0));
    assert_eq!(
        (r.acks_in_order, r.acks_out_of_order, r.acks_unexpected),
        (5, 0, 0)
    );
    assert_eq!(r.in_flight, 0);
    assert_eq!((r.publishes_received, r.dup_publishes_received), (0, 0));

    let s = hub.hub.inspect("sender").unwrap();
    assert_eq!((s.publishes_received, s.dup_publishes_received), (5, 1));
    assert_eq!(s.delivered, 0);

    // Disconnected: no subscriptions, counters kept; a reconnect counts.
    receiver.disconnect().await;
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while hub.hub.inspect("receiver").unwrap().connected {
        assert!(tokio::time::Instant::now() < deadline, "still connected");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let r = hub.hub.inspect("receiver").unwrap();
    assert!(r.subscriptions.is_empty());
    assert_eq!((r.connections, r.delivered, r.acks_in_order), (1, 5, 5));
    let (_receiver, ack) = hub.connect("receiver", false).await;
    assert!(ack.session_present);
    let r = hub.hub.inspect("receiver").unwrap();
    assert_eq!(r.connections, 2);
    assert_eq!(r.subscriptions.len(), 2, "restored with the session");

    assert!(matches!(
        hub.hub.inspect("nosuch"),
        Err(edgemodule_hub::hub::HubError::NotFound(_))
    ));
    hub.stop().await;
}

#[test]
fn the_cli_prints_the_inspection_from_the_admin_api() {
    let bin = env!("CARGO_BIN_EXE_edgemodule-hub");
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("deployment.json");
    std::fs::write(&manifest, common::routed_deployment()).unwrap();
    let state = dir.path().join("state");
    let mut child = Command::new(bin)
        .args(["serve", "--manifest"])
        .arg(&manifest)
        .arg("--state")
        .arg(&state)
        .args(["--bind-address", "127.0.0.1", "--mqtt-port", "0"])
        .args([
            "--https-port",
            "0",
            "--admin-port",
            "0",
            "--log-level",
            "warn",
        ])
        .args(["--delivery", "permissive", "--ack-timeout-secs", "7"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let read = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
    let admin = line
        .split_whitespace()
        .find_map(|pair| pair.strip_prefix("admin="))
        .map(str::to_string);
    let inspect = |module: &str| {
        Command::new(bin)
            .args(["inspect", module, "--admin", admin.as_deref().unwrap_or("")])
            .env("EDGEMODULE_HUB_STATE", &state)
            .output()
            .unwrap()
    };
    let (known, unknown) = (inspect("receiver"), inspect("nosuch"));
    let help = Command::new(bin)
        .args(["inspect", "--help"])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();

    assert!(
        read.is_ok() && line.starts_with("edgemodule-hub ready:"),
        "{line}"
    );
    assert!(line.contains(" delivery=permissive"), "{line}");
    assert!(
        known.status.success(),
        "{}",
        String::from_utf8_lossy(&known.stderr)
    );
    let json: Value = serde_json::from_slice(&known.stdout).expect("one JSON object");
    assert_eq!(json["module"], "receiver");
    assert_eq!(json["connected"], false);
    assert_eq!(json["connections"], 0);
    assert_eq!(json["subscriptions"], Value::Array(vec![]));
    assert_eq!(json["delivery"], "permissive");
    assert_eq!(json["ack_timeout_secs"], 7);
    for key in [
        "delivered",
        "redelivered",
        "acks_in_order",
        "acks_out_of_order",
        "publishes_received",
        "dup_publishes_received",
    ] {
        assert_eq!(json[key], 0, "{key}");
    }
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("404"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
    assert!(help.status.success());
}
