//! S12: a stream consumer that fails (drops, abandons, panics): the method gets the core's
//! failure reply, the message is delivered again, and the client keeps running. (Handlers
//! that fail: S15 and S20.)

mod common;

use std::time::Duration;

use common::{within, TestHub};
use edgemodule::delivery::{METHOD_FAILURE_PAYLOAD, METHOD_FAILURE_STATUS};
use edgemodule::Message;
use serde_json::json;

#[tokio::test]
async fn s12_dropped_method_request_gets_the_failure_reply_and_the_next_call_works() {
    let hub = TestHub::start().await;
    let client = hub.client("receiver").await;
    let mut requests = client.method("flaky");
    within(10, "subscribed", client.connect()).await.unwrap();
    tokio::spawn(async move {
        let first = requests.next().await.unwrap();
        // The handler panics while holding the request.
        let failed = tokio::spawn(async move {
            let _request = first;
            panic!("handler failed");
        })
        .await;
        assert!(failed.is_err());
        let second = requests.next().await.unwrap();
        second.respond(200, json!({"ok": true})).await.unwrap();
    });

    let (status, payload) = within(
        15,
        "first call",
        hub.hub()
            .invoke_method("receiver", "flaky", json!(null), Duration::from_secs(10)),
    )
    .await
    .unwrap();
    assert_eq!(status, METHOD_FAILURE_STATUS);
    assert_eq!(payload.to_string(), METHOD_FAILURE_PAYLOAD);

    let (status, payload) = within(
        15,
        "second call",
        hub.hub()
            .invoke_method("receiver", "flaky", json!(null), Duration::from_secs(10)),
    )
    .await
    .unwrap();
    assert_eq!((status, payload), (200, json!({"ok": true})));
}

#[tokio::test]
async fn s12_abandoned_or_dropped_messages_come_back_until_acked() {
    let hub = TestHub::start().await;
    let receiver = within(
        10,
        "build",
        hub.builder("receiver")
            .redelivery_delay(Duration::from_millis(200))
            .build(),
    )
    .await
    .unwrap();
    within(10, "connect", receiver.connect()).await.unwrap();
    let mut input = receiver.input("input1");
    let sender = hub.client("sender").await;
    let mut sent = Message::new("retry me");
    sent.message_id = Some("only-one".into());
    within(10, "send", sender.send_output("output1", sent))
        .await
        .unwrap();

    let first = within(10, "first delivery", input.next()).await.unwrap();
    assert_eq!(first.message_id.as_deref(), Some("only-one"));
    first.abandon();

    let second = within(10, "after abandon", input.next()).await.unwrap();
    assert_eq!(second.message_id.as_deref(), Some("only-one"));
    // A handler that panics mid-processing drops the message un-acked.
    let crashed = tokio::spawn(async move {
        let _message = second;
        panic!("handler crashed");
    })
    .await;
    assert!(crashed.is_err());

    let third = within(10, "after crash", input.next()).await.unwrap();
    assert_eq!(third.message_id.as_deref(), Some("only-one"));
    third.ack().unwrap();

    // Acknowledged: it does not come back, and the client still works.
    assert!(
        tokio::time::timeout(Duration::from_millis(800), input.next())
            .await
            .is_err()
    );
    within(
        10,
        "send again",
        sender.send_output("output1", Message::new("next")),
    )
    .await
    .unwrap();
    let next = within(10, "next message", input.next()).await.unwrap();
    assert_eq!(next.body, b"next");
    next.ack().unwrap();
}

#[tokio::test]
async fn s12_a_crash_before_ack_means_redelivery_by_the_hub() {
    let hub = TestHub::start().await;
    let sender = hub.client("sender").await;
    let first = hub.client("receiver").await;
    let mut input = first.input("input1");
    let mut sent = Message::new("process me once");
    sent.message_id = Some("crash-1".into());
    within(10, "send", sender.send_output("output1", sent))
        .await
        .unwrap();
    let got = within(10, "first delivery", input.next()).await.unwrap();
    assert_eq!(got.message_id.as_deref(), Some("crash-1"));
    // The module "crashes" mid-handler: its connection goes away without the PUBACK.
    std::mem::forget(got);
    within(10, "close", first.close()).await.unwrap();
    drop(input);
    drop(first);

    // The restarted module gets the message again from the hub.
    let second = hub.client("receiver").await;
    let mut input = second.input("input1");
    let again = within(15, "redelivery", input.next()).await.unwrap();
    assert_eq!(again.message_id.as_deref(), Some("crash-1"));
    again.ack().unwrap();
}
