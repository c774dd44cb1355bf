//! S24: user-defined topics through the hub's broker policy (IoT Edge 1.2 `mqttBroker`; in
//! the shared deployment `sender` publishes to alerts/# but not alerts/denied/#, `receiver`
//! subscribes to alerts/#): publish, subscribe (acknowledged after the subscriber is done),
//! unsubscribe (UNSUBSCRIBE sent), a denied publish (UNAUTHORIZED), a refused subscription,
//! and re-subscription after a restart.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{assert_acks_in_order, inspect, wait_inspect, within, TestHub};
use edgemodule::{ErrorKind, HandlerError, Qos};
use tokio::sync::{mpsc, Semaphore};

#[tokio::test]
async fn s24_publish_and_subscribe_follow_the_policy() {
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

fn subscribed_to(hub: &TestHub, module: &str, filter: &str) -> bool {
    inspect(hub, module)["subscriptions"]
        .as_array()
        .is_some_and(|subs| subs.iter().any(|s| s == filter))
}

#[tokio::test]
async fn s24_handler_acknowledges_after_it_returns_and_unsubscribe_stops_delivery() {
    let hub = TestHub::start().await;
    let subscriber = hub.client("receiver").await;
    let publisher = hub.client("sender").await;

    let (tx, mut seen) = mpsc::unbounded_channel::<String>();
    let gate = Arc::new(Semaphore::new(0));
    let handler_gate = Arc::clone(&gate);
    let subscription = within(
        10,
        "subscribe with a handler",
        subscriber.subscribe_with_handler("alerts/#", move |message| {
            let seen = tx.clone();
            let gate = Arc::clone(&handler_gate);
            async move {
                let _ = seen.send(message.topic);
                // Returns only when the test lets it.
                gate.acquire().await.expect("gate open").forget();
                Ok::<(), HandlerError>(())
            }
        }),
    )
    .await
    .unwrap();
    assert!(subscribed_to(&hub, "receiver", "alerts/#"));
    let acks = common::acks_total(&inspect(&hub, "receiver"));
    for i in 0..3 {
        within(
            10,
            "publish",
            publisher.publish(&format!("alerts/{i}"), &b"x"[..], Qos::AtLeastOnce),
        )
        .await
        .unwrap();
    }
    for i in 0..3 {
        assert_eq!(
            within(10, "handled", seen.recv()).await.unwrap(),
            format!("alerts/{i}")
        );
        // The handler has the message but has not returned: not acknowledged yet.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            common::acks_total(&inspect(&hub, "receiver")),
            acks + i,
            "acknowledged only after the handler returns"
        );
        gate.add_permits(1);
        wait_inspect(&hub, "receiver", 10, "acknowledged", |v| {
            common::acks_total(v) == acks + i + 1
        })
        .await;
    }
    assert_acks_in_order(&inspect(&hub, "receiver"));

    // Unsubscribing sends UNSUBSCRIBE: the hub forgets the filter, nothing more arrives.
    within(10, "unsubscribe", subscription.unsubscribe())
        .await
        .unwrap();
    assert!(!subscribed_to(&hub, "receiver", "alerts/#"));
    within(
        10,
        "publish after unsubscribe",
        publisher.publish("alerts/late", &b"x"[..], Qos::AtLeastOnce),
    )
    .await
    .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), seen.recv())
            .await
            .map_or(true, |m| m.is_none()),
        "nothing after unsubscribe"
    );

    // Dropping a stream subscription unsubscribes too.
    let stream = within(10, "subscribe", subscriber.subscribe("alerts/+"))
        .await
        .unwrap();
    assert!(subscribed_to(&hub, "receiver", "alerts/+"));
    drop(stream);
    common::wait_until(10, "UNSUBSCRIBE after drop", || {
        !subscribed_to(&hub, "receiver", "alerts/+")
    })
    .await;
}

#[tokio::test]
async fn s24_a_publish_the_policy_denies_fails_unauthorized() {
    let hub = TestHub::start().await;
    let publisher = hub.client("sender").await;
    let started = Instant::now();
    let e = within(
        10,
        "denied publish",
        publisher.publish("alerts/denied/x", &b"x"[..], Qos::AtLeastOnce),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "told at once, not after the operation timeout"
    );
    // The hub closed the connection (as the 1.2 broker does); the client reconnects and the
    // denied publish is not sent again.
    within(15, "reconnects", publisher.connect()).await.unwrap();
    within(
        10,
        "allowed publish",
        publisher.publish("alerts/fine", &b"x"[..], Qos::AtLeastOnce),
    )
    .await
    .unwrap();
}
