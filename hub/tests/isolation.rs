//! Modules are isolated from each other: a module cannot publish as another module, read
//! another module's inputs, or use user topics the policy does not grant.

mod common;

use common::{output_topic, TestHub, DEVICE, QUIET};
use edgemodule::protocol::topics;
use rumqttc::{Packet, QoS, SubscribeReasonCode};

#[tokio::test]
async fn publishing_on_another_modules_telemetry_topic_is_refused() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (mut receiver, _) = hub.connect("receiver", false).await;
    receiver.subscribe_inputs("receiver").await;

    // "other" pretends to be "sender" (whose out1 is routed to the receiver).
    let (mut other, _) = hub.connect("other", false).await;
    other
        .publish(
            &output_topic("sender", "out1", &[]),
            b"spoofed",
            QoS::AtLeastOnce,
        )
        .await;
    let seen = other.expect_closed().await;
    assert!(
        !seen.iter().any(|p| matches!(p, Packet::PubAck(_))),
        "no PUBACK: {seen:?}"
    );
    assert!(receiver.next_publish(QUIET).await.is_none());

    // Same with a different case of the module id (ids are compared case-sensitively).
    let (mut other, _) = hub.connect("other", false).await;
    other
        .publish(
            &output_topic("Other", "out1", &[]),
            b"case",
            QoS::AtMostOnce,
        )
        .await;
    assert!(other.expect_closed().await.is_empty());

    // And publishing straight onto someone's input topic.
    let (mut other, _) = hub.connect("other", false).await;
    let input = topics::input_topic(DEVICE, "receiver", "in1", "");
    other.publish(&input, b"direct", QoS::AtLeastOnce).await;
    assert!(other.expect_closed().await.is_empty());
    assert!(receiver.next_publish(QUIET).await.is_none());
    hub.stop().await;
}

#[tokio::test]
async fn subscribing_to_another_modules_inputs_is_refused() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (mut other, _) = hub.connect("other", false).await;
    let codes = other
        .subscribe(&[
            (&topics::inputs_filter(DEVICE, "receiver"), QoS::AtLeastOnce),
            (
                &format!("devices/{DEVICE}/modules/receiver/#"),
                QoS::AtLeastOnce,
            ),
            ("devices/#", QoS::AtLeastOnce),
            ("#", QoS::AtLeastOnce),
            ("$edgehub/#", QoS::AtLeastOnce),
            (&topics::inputs_filter(DEVICE, "other"), QoS::AtLeastOnce),
            (topics::TWIN_RESPONSE_FILTER, QoS::AtMostOnce),
        ])
        .await;
    assert_eq!(
        codes,
        vec![
            SubscribeReasonCode::Failure,
            SubscribeReasonCode::Failure,
            SubscribeReasonCode::Failure,
            SubscribeReasonCode::Failure,
            SubscribeReasonCode::Failure,
            SubscribeReasonCode::Success(QoS::AtLeastOnce),
            SubscribeReasonCode::Success(QoS::AtMostOnce),
        ]
    );

    // The refused filters gave nothing away.
    let (mut sender, _) = hub.connect("sender", false).await;
    sender
        .publish_acked(&output_topic("sender", "out1", &[]), b"for the receiver")
        .await;
    assert!(other.next_publish(QUIET).await.is_none());
    hub.stop().await;
}

#[tokio::test]
async fn user_topics_without_a_policy_are_refused() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (mut other, _) = hub.connect("other", false).await;
    let codes = other.subscribe(&[("alerts/#", QoS::AtLeastOnce)]).await;
    assert_eq!(codes, vec![SubscribeReasonCode::Failure]);
    other.publish("alerts/fire", b"!", QoS::AtLeastOnce).await;
    let seen = other.expect_closed().await;
    assert!(
        !seen.iter().any(|p| matches!(p, Packet::PubAck(_))),
        "no PUBACK: {seen:?}"
    );
    hub.stop().await;
}
