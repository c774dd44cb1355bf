//! S18: with a handler for input1 only (no default handler), a message for input2 is
//! acknowledged, dropped and reported on the background-error stream, and does not stall
//! later messages. While no input handler exists at all, a message waits (unacknowledged)
//! for one to be registered.

mod common;

use std::time::Duration;

use common::{
    assert_acks_in_order, call_repeatedly, counter, send_numbered, wait_inspect, within, TestHub,
};
use edgemodule::delivery::HandlerFamily;
use edgemodule::{BackgroundErrorKind, MethodResponse};
use tokio::sync::mpsc;

#[tokio::test]
async fn s18_a_message_for_an_unhandled_input_is_acknowledged_dropped_and_reported() {
    let hub = TestHub::start().await;
    let receiver = within(10, "build", hub.builder("receiver").build())
        .await
        .unwrap();
    let mut errors = receiver.background_errors();
    let (tx, mut seen) = mpsc::unbounded_channel::<String>();
    receiver
        .set_input_handler(Some("input1"), move |message| {
            let seen = tx.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let _ = seen.send(message.message_id.clone().unwrap_or_default());
                Ok(())
            }
        })
        .await
        .unwrap();
    receiver
        .set_method_handler(Some("ping"), |_request| async {
            Ok(MethodResponse::new(200, serde_json::Value::Null))
        })
        .await
        .unwrap();
    within(10, "connect", receiver.connect()).await.unwrap();

    let sender = hub.client("sender").await;
    send_numbered(&sender, "output1", "before", 2).await;
    send_numbered(&sender, "output2", "nobody", 1).await;
    send_numbered(&sender, "output1", "after", 3).await;
    assert_eq!(
        call_repeatedly(&hub, "receiver", "ping", 3).await,
        vec![200; 3]
    );

    let error = within(10, "background error", errors.next()).await.unwrap();
    assert_eq!(error.kind, BackgroundErrorKind::NoHandler, "{error}");
    assert_eq!(error.family, HandlerFamily::Input);
    assert_eq!(error.name, "input2");

    let mut handled = Vec::new();
    while handled.len() < 5 {
        handled.push(within(10, "handled", seen.recv()).await.unwrap());
    }
    assert_eq!(
        handled,
        vec!["before000", "before001", "after000", "after001", "after002"]
    );
    let seen_by_hub = wait_inspect(&hub, "receiver", 15, "every PUBACK", |v| {
        common::acks_total(v) >= 6 + 3
    })
    .await;
    assert_acks_in_order(&seen_by_hub);
    assert_eq!(
        counter(&seen_by_hub, "redelivered"),
        0,
        "the unhandled message was acknowledged, not left to the hub: {seen_by_hub}"
    );
}

#[tokio::test]
async fn s18_with_no_input_handler_yet_a_message_waits_for_the_first_one() {
    let hub = TestHub::start().await;
    let sender = hub.client("sender").await;
    // The hub keeps input subscriptions across connections (clean session off): a module that
    // handled inputs before is sent messages as soon as it reconnects.
    let first = within(10, "build", hub.builder("receiver").build())
        .await
        .unwrap();
    within(
        10,
        "subscribe",
        first.set_input_handler(None, |_message| async { Ok(()) }),
    )
    .await
    .unwrap();
    within(10, "connect", first.connect()).await.unwrap();
    within(10, "close", first.close()).await.unwrap();
    drop(first);
    send_numbered(&sender, "output1", "early", 1).await;

    let second = hub.client("receiver").await;
    // Delivered to the new connection before anything handles it: it waits, unacknowledged.
    let delivered = wait_inspect(&hub, "receiver", 10, "delivered", |v| {
        counter(v, "delivered") >= 1
    })
    .await;
    let acks = counter(&delivered, "acks_in_order");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        counter(&common::inspect(&hub, "receiver"), "acks_in_order"),
        acks
    );
    let (tx, mut seen) = mpsc::unbounded_channel::<String>();
    second
        .set_input_handler(Some("input1"), move |message| {
            let seen = tx.clone();
            async move {
                let _ = seen.send(message.message_id.clone().unwrap_or_default());
                Ok(())
            }
        })
        .await
        .unwrap();
    assert_eq!(
        within(10, "held message", seen.recv()).await.unwrap(),
        "early000"
    );
    wait_inspect(&hub, "receiver", 10, "acknowledged", |v| {
        counter(v, "acks_in_order") == acks + 1
    })
    .await;
}
