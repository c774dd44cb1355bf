//! S03: an output routed to another module's input arrives with its body and every
//! property intact, including the connection device and module ids the hub adds.

mod common;

use common::{within, TestHub, DEVICE};
use edgemodule::Message;

#[tokio::test]
async fn s03_output_reaches_the_routed_input_with_every_property() {
    let hub = TestHub::start().await;
    let receiver = hub.client("receiver").await;
    let mut input = receiver.input("input1");
    let sender = hub.client("sender").await;

    let mut sent = Message::json(&serde_json::json!({"temperature": 31.5, "note": "ünïcødé"}))
        .with_property("plain", "value")
        .with_property("with space", "a b")
        .with_property("symbols", "x=y&z/w?%+")
        .with_property("température", "élevée")
        .with_property("empty", "");
    sent.message_id = Some("msg-0001".into());
    sent.correlation_id = Some("corr-42".into());
    sent.user_id = Some("user-7".into());
    sent.creation_time = Some("2026-01-02T03:04:05.678Z".into());
    sent.expiry_time = Some("2099-01-01T00:00:00Z".into());
    sent.message_schema = Some("reading/v1".into());
    sent.component_name = Some("thermostat1".into());
    within(
        10,
        "send_output",
        sender.send_output("output1", sent.clone()),
    )
    .await
    .unwrap();

    let got = within(10, "input1 message", input.next())
        .await
        .expect("a message");
    assert_eq!(got.input_name(), "input1");
    assert_eq!(got.body, sent.body);
    assert_eq!(got.properties, sent.properties, "custom properties intact");
    assert_eq!(got.message_id, sent.message_id);
    assert_eq!(got.correlation_id, sent.correlation_id);
    assert_eq!(got.user_id, sent.user_id);
    assert_eq!(got.content_type.as_deref(), Some("application/json"));
    assert_eq!(got.content_encoding.as_deref(), Some("utf-8"));
    assert_eq!(got.creation_time, sent.creation_time);
    assert_eq!(got.expiry_time, sent.expiry_time);
    assert_eq!(got.message_schema, sent.message_schema);
    assert_eq!(got.component_name, sent.component_name);
    assert_eq!(got.connection_device_id.as_deref(), Some(DEVICE));
    assert_eq!(got.connection_module_id.as_deref(), Some("sender"));
    assert_eq!(got.output_name, None, "the output name is not forwarded");
    got.ack().unwrap();

    sender.close().await.unwrap();
    receiver.close().await.unwrap();
}

#[tokio::test]
async fn s03_forwarding_a_received_message_does_not_spoof_the_sender() {
    let hub = TestHub::start().await;
    let receiver = hub.client("receiver").await;
    let mut input = receiver.input("input1");
    let sender = hub.client("sender").await;

    // A message that still carries another module's connection ids (e.g. forwarded).
    let mut forwarded = Message::new("forwarded");
    forwarded.connection_device_id = Some("other-device".into());
    forwarded.connection_module_id = Some("impostor".into());
    within(10, "send", sender.send_output("output1", forwarded))
        .await
        .unwrap();
    let got = within(10, "message", input.next()).await.unwrap();
    assert_eq!(got.connection_device_id.as_deref(), Some(DEVICE));
    assert_eq!(got.connection_module_id.as_deref(), Some("sender"));
    got.ack().unwrap();
}

#[tokio::test]
async fn s03_send_to_routes_an_output_or_telemetry_and_refuses_an_empty_output() {
    let hub = TestHub::start().await;
    let receiver = hub.client("receiver").await;
    let mut input = receiver.input("input1");
    let sender = hub.client("sender").await;

    within(
        10,
        "send_to output1",
        sender.send_to(Some("output1"), Message::new("to-output")),
    )
    .await
    .unwrap();
    let got = within(10, "input1 message", input.next())
        .await
        .expect("a message");
    assert_eq!(got.body, b"to-output");
    got.ack().unwrap();

    // No output: telemetry (route source without `/outputs/`), which the deployment's
    // `telemetry` route sends to $upstream.
    within(
        10,
        "send_to telemetry",
        sender.send_to(None, Message::new("as-telemetry")),
    )
    .await
    .unwrap();
    common::wait_until(5, "the telemetry reaches $upstream", || {
        hub.hub()
            .upstream_messages()
            .iter()
            .any(|m| m.body == b"as-telemetry" && m.source == "/messages/modules/sender")
    })
    .await;

    let refused = sender
        .send_to(Some(""), Message::new("never"))
        .await
        .expect_err("an empty output name is refused");
    assert_eq!(refused.kind(), edgemodule::ErrorKind::InvalidArgument);

    sender.close().await.unwrap();
    receiver.close().await.unwrap();
}
