//! S13: close with work in flight: every operation completes or fails with CLOSED exactly
//! once, nothing is delivered after close, and dropping the last handle disconnects.

mod common;

use std::time::Duration;

use common::{wait_until, within, TestHub};
use edgemodule::{ConnectionState, ErrorKind, Message, StatusReason};

#[tokio::test]
async fn s13_pending_operations_fail_closed_when_closing_while_disconnected() {
    let mut hub = TestHub::start().await;
    let sender = hub.client("sender").await;
    let mut status = sender.status();
    let _config = hub.stop().await;
    common::wait_status(&mut status, 10, |s| s.state != ConnectionState::Connected).await;

    let mut ops = Vec::new();
    for i in 0..5 {
        let sender = sender.clone();
        ops.push(tokio::spawn(async move {
            sender
                .send_output("output1", Message::new(format!("{i}")))
                .await
        }));
    }
    let twin = {
        let sender = sender.clone();
        tokio::spawn(async move { sender.get_twin().await.map(|_| ()) })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    within(10, "close", sender.close()).await.unwrap();

    for op in ops.into_iter().chain([twin]) {
        let e = within(5, "operation result", op)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    }
    let now = *sender.status().borrow();
    assert_eq!(now.state, ConnectionState::Closed);
    assert_eq!(now.reason, StatusReason::ClientClose);
    let e = sender.send_event(Message::new("late")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed);
}

#[tokio::test]
async fn s13_close_during_a_busy_batch_answers_each_operation_once() {
    let hub = TestHub::start().await;
    let sender = hub.client("sender").await;
    let batch: Vec<Message> = (0..400)
        .map(|i| Message::new(vec![i as u8; 2048]))
        .collect();
    let mut ops = Vec::new();
    for _ in 0..4 {
        let sender = sender.clone();
        let batch = batch.clone();
        ops.push(tokio::spawn(async move {
            sender.send_output_batch("output1", batch).await
        }));
    }
    for i in 0..50 {
        let sender = sender.clone();
        ops.push(tokio::spawn(async move {
            sender
                .send_output("output2", Message::new(format!("{i}")))
                .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    within(10, "close", sender.close()).await.unwrap();
    let mut closed = 0;
    for op in ops {
        match within(10, "operation result", op).await.unwrap() {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Closed => closed += 1,
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    // 1 650 messages cannot all be acknowledged within 20 ms.
    assert!(closed > 0);
}

#[tokio::test]
async fn s13_nothing_is_delivered_after_close() {
    let hub = TestHub::start().await;
    let receiver = hub.client("receiver").await;
    let mut input = receiver.input("input1");
    let mut methods = receiver.default_methods();
    let mut patches = receiver.desired_patches();
    let sender = hub.client("sender").await;
    within(10, "close", receiver.close()).await.unwrap();

    within(
        10,
        "send",
        sender.send_output("output1", Message::new("after close")),
    )
    .await
    .unwrap();
    let _ = hub
        .hub()
        .update_desired("receiver", serde_json::json!({"threshold": 1}))
        .await;
    assert!(within(5, "input ends", input.next()).await.is_none());
    assert!(within(5, "methods end", methods.next()).await.is_none());
    assert!(within(5, "patches end", patches.next()).await.is_none());
    // A stream opened after close ends at once too.
    assert!(within(5, "late stream", receiver.default_inputs().next())
        .await
        .is_none());
    wait_until(10, "receiver disconnected", || {
        !hub.hub().is_connected("receiver")
    })
    .await;
}

#[tokio::test]
async fn s13_dropping_the_last_handle_disconnects() {
    let hub = TestHub::start().await;
    let client = hub.client("caller").await;
    let clone = client.clone();
    drop(client);
    assert!(hub.hub().is_connected("caller"), "a clone keeps it alive");
    drop(clone);
    wait_until(10, "caller disconnected", || {
        !hub.hub().is_connected("caller")
    })
    .await;
}
