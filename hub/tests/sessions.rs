//! Persistent sessions: clean session 0 keeps subscriptions and queued input messages across
//! reconnects (unacknowledged ones come back with DUP), a second connection with the same
//! client id takes over, clean session 1 starts from nothing.

mod common;

use common::{output_topic, Event, TestHub, QUIET};
use edgemodule::protocol::topics;
use rumqttc::QoS;

#[tokio::test]
async fn clean_session_0_keeps_subscriptions_and_queued_messages() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (mut receiver, ack) = hub.connect("receiver", false).await;
    assert!(!ack.session_present);
    receiver.subscribe_inputs("receiver").await;
    // Extra IoT Hub subscriptions are kept too.
    receiver
        .subscribe(&[(topics::METHODS_FILTER, QoS::AtLeastOnce)])
        .await;
    receiver.disconnect().await;

    let (mut sender, _) = hub.connect("sender", false).await;
    for i in 0..5 {
        sender
            .publish_acked(
                &output_topic("sender", "out1", &[]),
                format!("queued {i}").as_bytes(),
            )
            .await;
    }

    // Reconnect without subscribing: the session brings the subscription back.
    let (mut receiver, ack) = hub.connect("receiver", false).await;
    assert!(ack.session_present);
    for i in 0..5 {
        let p = receiver.receive_acked().await;
        assert_eq!(&p.payload[..], format!("queued {i}").as_bytes());
    }
    assert!(receiver.next_publish(QUIET).await.is_none());
    let methods_topic = topics::method_request_topic("ping", "1");
    assert!(hub
        .hub
        .broker()
        .is_subscribed(&format!("{}/receiver", common::DEVICE), &methods_topic));

    // Re-subscribing the same filter is harmless and delivers nothing twice.
    receiver.subscribe_inputs("receiver").await;
    sender
        .publish_acked(&output_topic("sender", "out1", &[]), b"live")
        .await;
    assert_eq!(&receiver.receive_acked().await.payload[..], b"live");
    assert!(receiver.next_publish(QUIET).await.is_none());
    hub.stop().await;
}

#[tokio::test]
async fn unacknowledged_deliveries_come_back_with_dup_after_reconnect() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (mut receiver, _) = hub.connect("receiver", false).await;
    receiver.subscribe_inputs("receiver").await;
    let (mut sender, _) = hub.connect("sender", false).await;
    sender
        .publish_acked(&output_topic("sender", "out1", &[]), b"first")
        .await;
    sender
        .publish_acked(&output_topic("sender", "out1", &[]), b"second")
        .await;

    // Acknowledge the first (the strict hub sends the second only then), take the second
    // without acknowledging it, drop the connection.
    let first = receiver.next_publish(common::WAIT).await.expect("first");
    receiver.puback(first.pkid).await;
    let second = receiver.next_publish(common::WAIT).await.expect("second");
    assert!(!first.dup && !second.dup);
    assert_eq!(&second.payload[..], b"second");
    drop(receiver);

    let (mut receiver, ack) = hub.connect("receiver", false).await;
    assert!(ack.session_present);
    let again = receiver.receive_acked().await;
    assert_eq!(&again.payload[..], b"second");
    assert!(again.dup, "a redelivery carries DUP");
    assert_eq!(again.pkid, second.pkid, "a redelivery keeps its packet id");
    assert!(receiver.next_publish(QUIET).await.is_none());
    hub.stop().await;
}

#[tokio::test]
async fn a_second_connection_with_the_same_client_id_takes_over() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (mut old, _) = hub.connect("receiver", false).await;
    old.subscribe_inputs("receiver").await;

    let (mut new, ack) = hub.connect("receiver", false).await;
    assert!(ack.session_present);
    assert!(old.expect_closed().await.is_empty());
    assert!(hub.hub.is_connected("receiver"));

    let (mut sender, _) = hub.connect("sender", false).await;
    sender
        .publish_acked(&output_topic("sender", "out1", &[]), b"to the new one")
        .await;
    assert_eq!(&new.receive_acked().await.payload[..], b"to the new one");
    hub.stop().await;
}

/// A clean session drops the MQTT session (subscriptions) but not store-and-forward: the
/// module's endpoint queue is the hub's, kept until TTL as edgeHub does, and is delivered
/// once the module subscribes again.
#[tokio::test]
async fn clean_session_1_clears_subscriptions_but_keeps_stored_messages() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (mut receiver, _) = hub.connect("receiver", false).await;
    receiver.subscribe_inputs("receiver").await;
    receiver.disconnect().await;

    let (mut sender, _) = hub.connect("sender", false).await;
    sender
        .publish_acked(&output_topic("sender", "out1", &[]), b"stored")
        .await;

    let (mut receiver, ack) = hub.connect("receiver", true).await;
    assert!(!ack.session_present);
    assert!(
        receiver.next_publish(QUIET).await.is_none(),
        "no subscription survived"
    );
    receiver.subscribe_inputs("receiver").await;
    assert_eq!(&receiver.receive_acked().await.payload[..], b"stored");
    sender
        .publish_acked(&output_topic("sender", "out1", &[]), b"fresh")
        .await;
    assert_eq!(&receiver.receive_acked().await.payload[..], b"fresh");
    receiver.disconnect().await;

    // The clean session left no subscriptions behind for the next clean-session-0 connect.
    let (mut receiver, ack) = hub.connect("receiver", false).await;
    assert!(!ack.session_present);
    assert!(matches!(receiver.recv(QUIET).await, Event::Timeout));
    hub.stop().await;
}

#[tokio::test]
async fn unsubscribe_stops_deliveries() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (mut receiver, _) = hub.connect("receiver", false).await;
    receiver.subscribe_inputs("receiver").await;
    let filter = topics::inputs_filter(common::DEVICE, "receiver");
    let mut unsub = rumqttc::Unsubscribe::new(filter);
    unsub.pkid = receiver.pkid();
    receiver.send(rumqttc::Packet::Unsubscribe(unsub)).await;
    assert!(matches!(
        receiver.recv(common::WAIT).await,
        Event::Packet(rumqttc::Packet::UnsubAck(_))
    ));

    let (mut sender, _) = hub.connect("sender", false).await;
    sender
        .publish_acked(&output_topic("sender", "out1", &[]), b"kept for later")
        .await;
    assert!(receiver.next_publish(QUIET).await.is_none());
    receiver.subscribe_inputs("receiver").await;
    assert_eq!(
        &receiver.receive_acked().await.payload[..],
        b"kept for later"
    );
    hub.stop().await;
}

#[tokio::test]
async fn connections_whose_token_expired_are_closed_by_reauthentication() {
    let hub = TestHub::start_with(&common::routed_deployment(), |c| {
        c.reauth_interval = std::time::Duration::from_millis(300);
    })
    .await;
    // Expired 298 s ago: still inside the 5-minute skew for about two seconds.
    let nearly = common::Creds::for_module(&hub.hub, "sender", -298);
    let (mut short, ack) =
        common::Raw::connect(hub.addr(), hub.hub.trust_bundle_pem(), &nearly, false, 60).await;
    assert_eq!(ack.code, rumqttc::ConnectReturnCode::Success);
    let (mut long, _) = hub.connect("receiver", false).await;

    assert!(short.expect_closed().await.is_empty());
    assert!(!hub.hub.is_connected("sender"));
    // The valid connection survived the same re-authentication rounds.
    long.send(rumqttc::Packet::PingReq).await;
    assert!(matches!(
        long.recv(common::WAIT).await,
        Event::Packet(rumqttc::Packet::PingResp)
    ));
    assert!(hub.hub.is_connected("receiver"));
    hub.stop().await;
}
