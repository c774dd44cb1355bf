//! S16: a handler slower than the arrival of the next message: later messages wait for it
//! (one at a time, in order), every PUBACK is in order — also for the method calls and the
//! desired patch that arrive meanwhile and are answered at once — nothing is lost, and a
//! message for another input gets through too.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{
    assert_acks_in_order, call_repeatedly, counter, send_numbered, wait_inspect, within, TestHub,
};
use edgemodule::MethodResponse;
use tokio::sync::mpsc;

const SLOW: Duration = Duration::from_millis(250);
const COUNT: usize = 6;

#[tokio::test]
async fn s16_slow_handler_delays_later_messages_and_loses_nothing() {
    let hub = TestHub::start().await;
    let receiver = within(10, "build", hub.builder("receiver").build())
        .await
        .unwrap();
    let (tx, mut seen) = mpsc::unbounded_channel::<String>();
    let running = Arc::new(AtomicUsize::new(0));
    let slow_tx = tx.clone();
    receiver
        .set_input_handler(Some("input1"), move |message| {
            let seen = slow_tx.clone();
            let running = Arc::clone(&running);
            async move {
                assert_eq!(running.fetch_add(1, Ordering::SeqCst), 0, "one at a time");
                tokio::time::sleep(SLOW).await;
                running.fetch_sub(1, Ordering::SeqCst);
                let _ = seen.send(message.message_id.clone().unwrap_or_default());
                Ok(())
            }
        })
        .await
        .unwrap();
    receiver
        .set_input_handler(Some("input2"), move |message| {
            let seen = tx.clone();
            async move {
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
    let (patch_tx, mut patches) = mpsc::unbounded_channel();
    receiver
        .set_desired_handler(move |patch| {
            let patches = patch_tx.clone();
            async move {
                let _ = patches.send(patch.version);
                Ok(())
            }
        })
        .await
        .unwrap();
    within(10, "connect", receiver.connect()).await.unwrap();

    let sender = hub.client("sender").await;
    // Sent far faster than they are handled.
    send_numbered(&sender, "output1", "slow", COUNT).await;
    send_numbered(&sender, "output2", "fast", 1).await;
    // Answered while the slow handler works; acknowledged after the messages before them.
    let statuses = call_repeatedly(&hub, "receiver", "ping", 3).await;
    assert_eq!(statuses, vec![200, 200, 200]);
    let version = hub
        .hub()
        .update_desired("receiver", serde_json::json!({"threshold": 1}))
        .await
        .unwrap();
    assert_eq!(within(10, "patch", patches.recv()).await.unwrap(), version);

    let mut order = Vec::new();
    while order.len() < COUNT + 1 {
        order.push(within(20, "handled", seen.recv()).await.unwrap());
    }
    let slow: Vec<&String> = order.iter().filter(|id| id.starts_with("slow")).collect();
    let expected: Vec<String> = (0..COUNT).map(|i| format!("slow{i:03}")).collect();
    assert_eq!(
        slow,
        expected.iter().collect::<Vec<_>>(),
        "in order, each once"
    );
    assert!(order.iter().any(|id| id == "fast000"), "{order:?}");

    let seen_by_hub = wait_inspect(&hub, "receiver", 15, "every PUBACK", |v| {
        common::acks_total(v) >= (COUNT + 1 + 3 + 1) as u64
    })
    .await;
    assert_acks_in_order(&seen_by_hub);
    assert_eq!(counter(&seen_by_hub, "redelivered"), 0, "{seen_by_hub}");
}
