//! User-defined topics through the hub's broker policy (IoT Edge 1.2 `mqttBroker`; in the
//! shared deployment `sender` publishes to alerts/#, `receiver` subscribes to it):
//! publish, subscribe, refusal, and re-subscription after a hub restart.

mod common;

use std::time::Duration;

use common::{within, TestHub};
use edgemodule::{ErrorKind, Qos};

#[tokio::test]
async fn publish_and_subscribe_follow_the_policy() {
    let mut hub = TestHub::start().await;
    let subscriber = hub.client("receiver").await;
    let publisher = hub.client("sender").await;

    let mut alerts = within(10, "subscribe", subscriber.subscribe("alerts/#"))
        .await
        .unwrap();
    within(
        10,
        "publish",
        publisher.publish("alerts/high", &b"too hot"[..], Qos::AtLeastOnce),
    )
    .await
    .unwrap();
    let got = within(10, "alert", alerts.next()).await.unwrap();
    assert_eq!(got.topic, "alerts/high");
    assert_eq!(&got.payload[..], b"too hot");

    within(
        10,
        "publish qos0",
        publisher.publish("alerts/low", &b"fine"[..], Qos::AtMostOnce),
    )
    .await
    .unwrap();
    let got = within(10, "alert qos0", alerts.next()).await.unwrap();
    assert_eq!(got.topic, "alerts/low");

    // Not allowed by the policy: the hub refuses it in the SUBACK.
    let e = within(10, "refused subscribe", publisher.subscribe("alerts/#"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");

    // Reserved or malformed topics never reach the wire.
    let e = publisher
        .publish("$iothub/twin/GET/?$rid=1", &b""[..], Qos::AtMostOnce)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        subscriber.subscribe("a/#/b").await.unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );

    // The subscription survives a hub restart (re-subscribed on reconnect).
    let mut status = subscriber.status();
    let config = hub.stop().await;
    common::wait_status(&mut status, 20, |s| !common::connected(s)).await;
    hub.start_again(config).await;
    common::wait_status(&mut status, 20, common::connected).await;
    within(10, "publisher reconnects", publisher.connect())
        .await
        .unwrap();
    within(
        10,
        "publish after restart",
        publisher.publish("alerts/again", &b"x"[..], Qos::AtLeastOnce),
    )
    .await
    .unwrap();
    let got = within(10, "alert after restart", alerts.next())
        .await
        .unwrap();
    assert_eq!(got.topic, "alerts/again");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), alerts.next())
            .await
            .is_err()
    );
}
