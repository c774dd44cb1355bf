//! IoT Edge 1.2 broker user topics: plain pub/sub between modules as the
//! `mqttBroker.authorizations` policy allows, deny rules winning over allow rules.

mod common;

use common::{TestHub, QUIET};
use rumqttc::{Packet, QoS, SubscribeReasonCode};
use serde_json::json;

fn policy_deployment() -> String {
    common::deployment(
        &["publisher", "subscriber", "bystander"],
        &[("upstream", "FROM /messages/* INTO $upstream")],
        Some(json!([
            {
                "identities": ["{{iot:identity}}"],
                "allow": [{ "operations": ["mqtt:connect"] }]
            },
            {
                "identities": ["localhub.azure-devices.net/edge-device/publisher"],
                "allow": [{ "operations": ["mqtt:publish"], "resources": ["alerts/#"] }],
                "deny": [{ "operations": ["mqtt:publish"], "resources": ["alerts/critical"] }]
            },
            {
                "identities": ["localhub.azure-devices.net/edge-device/subscriber"],
                "allow": [{ "operations": ["mqtt:subscribe"], "resources": ["alerts/#"] }],
                "deny": [{ "operations": ["mqtt:subscribe"], "resources": ["alerts/secret/#"] }]
            }
        ])),
    )
}

#[tokio::test]
async fn allowed_modules_exchange_messages_on_user_topics() {
    let hub = TestHub::start(&policy_deployment()).await;
    let (mut subscriber, _) = hub.connect("subscriber", false).await;
    let codes = subscriber
        .subscribe(&[
            ("alerts/#", QoS::AtLeastOnce),
            ("alerts/+/zero", QoS::AtMostOnce),
        ])
        .await;
    assert_eq!(
        codes,
        vec![
            SubscribeReasonCode::Success(QoS::AtLeastOnce),
            SubscribeReasonCode::Success(QoS::AtMostOnce)
        ]
    );
    let (mut publisher, _) = hub.connect("publisher", false).await;

    publisher.publish_acked("alerts/temperature", b"hot").await;
    let p = subscriber.receive_acked().await;
    assert_eq!(p.topic, "alerts/temperature");
    assert_eq!(&p.payload[..], b"hot");
    assert_eq!(p.qos, QoS::AtLeastOnce);

    // QoS 0 publish arrives at QoS 0; the retained flag is ignored.
    let mut retained = rumqttc::Publish::new("alerts/door", QoS::AtMostOnce, b"open".to_vec());
    retained.retain = true;
    publisher.send(Packet::Publish(retained)).await;
    let p = subscriber.receive_acked().await;
    assert_eq!(
        (p.topic.as_str(), &p.payload[..], p.qos, p.retain),
        ("alerts/door", &b"open"[..], QoS::AtMostOnce, false)
    );

    // User topics are not routed: nothing reaches $upstream.
    assert!(hub.hub.upstream_messages().is_empty());

    // A module the policy does not mention gets nothing and may not publish.
    let (mut bystander, _) = hub.connect("bystander", false).await;
    assert_eq!(
        bystander.subscribe(&[("alerts/#", QoS::AtLeastOnce)]).await,
        vec![SubscribeReasonCode::Failure]
    );
    publisher
        .publish_acked("alerts/temperature", b"again")
        .await;
    assert_eq!(&subscriber.receive_acked().await.payload[..], b"again");
    assert!(bystander.next_publish(QUIET).await.is_none());
    hub.stop().await;
}

#[tokio::test]
async fn deny_beats_allow() {
    let hub = TestHub::start(&policy_deployment()).await;
    let (mut subscriber, _) = hub.connect("subscriber", false).await;
    let codes = subscriber
        .subscribe(&[
            ("alerts/secret/#", QoS::AtLeastOnce),
            ("alerts/#", QoS::AtLeastOnce),
        ])
        .await;
    assert_eq!(
        codes,
        vec![
            SubscribeReasonCode::Failure,
            SubscribeReasonCode::Success(QoS::AtLeastOnce)
        ]
    );

    let (mut publisher, _) = hub.connect("publisher", false).await;
    publisher
        .publish("alerts/critical", b"denied", QoS::AtLeastOnce)
        .await;
    let seen = publisher.expect_closed().await;
    assert!(
        !seen.iter().any(|p| matches!(p, Packet::PubAck(_))),
        "no PUBACK: {seen:?}"
    );
    assert!(subscriber.next_publish(QUIET).await.is_none());

    // The subscriber may not publish at all (it only has subscribe rights).
    subscriber
        .publish("alerts/x", b"nope", QoS::AtMostOnce)
        .await;
    assert!(subscriber.expect_closed().await.is_empty());
    hub.stop().await;
}
