//! S14: messages on two inputs with per-input handlers that take different times, with
//! method calls arriving in between: each handler sees its input's messages one at a time,
//! in order, and the hub saw every PUBACK for its oldest outstanding PUBLISH (a method call's
//! acknowledgement waits for the input message that arrived before it).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{
    assert_acks_in_order, call_repeatedly, counter, send_numbered, wait_inspect, within, TestHub,
};
use edgemodule::delivery::HandlerFuture;
use edgemodule::{InputMessage, MethodResponse};
use tokio::sync::mpsc;

const PER_INPUT: usize = 30;

/// A handler that records `(input, message id)` and takes `pause` per message, checking
/// that it never runs twice at once.
fn recorder(
    pause: Duration,
    seen: mpsc::UnboundedSender<(String, String)>,
) -> impl Fn(InputMessage) -> HandlerFuture<()> + Send + Sync + 'static {
    let running = Arc::new(AtomicUsize::new(0));
    move |message: InputMessage| {
        let seen = seen.clone();
        let running = Arc::clone(&running);
        let work: HandlerFuture<()> = Box::pin(async move {
            assert_eq!(running.fetch_add(1, Ordering::SeqCst), 0, "one at a time");
            tokio::time::sleep(pause).await;
            running.fetch_sub(1, Ordering::SeqCst);
            let id = message.message_id.clone().unwrap_or_default();
            let _ = seen.send((message.input_name().to_string(), id));
            Ok(())
        });
        work
    }
}

#[tokio::test]
async fn s14_per_input_handlers_acknowledge_in_arrival_order() {
    let hub = TestHub::start().await;
    let receiver = within(10, "build", hub.builder("receiver").build())
        .await
        .unwrap();
    let (tx, mut seen) = mpsc::unbounded_channel();
    receiver
        .set_input_handler(
            Some("input1"),
            recorder(Duration::from_millis(15), tx.clone()),
        )
        .await
        .unwrap();
    receiver
        .set_input_handler(Some("input2"), recorder(Duration::from_millis(1), tx))
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
    let one = {
        let sender = sender.clone();
        tokio::spawn(async move { send_numbered(&sender, "output1", "a", PER_INPUT).await })
    };
    let two = {
        let sender = sender.clone();
        tokio::spawn(async move { send_numbered(&sender, "output2", "b", PER_INPUT).await })
    };
    let statuses = call_repeatedly(&hub, "receiver", "ping", 20).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    within(60, "sends", one).await.unwrap();
    within(60, "sends", two).await.unwrap();

    let mut per_input: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    while per_input.iter().map(Vec::len).sum::<usize>() < 2 * PER_INPUT {
        let (input, id) = within(30, "handled", seen.recv()).await.unwrap();
        match input.as_str() {
            "input1" => per_input[0].push(id),
            "input2" => per_input[1].push(id),
            other => panic!("unexpected input {other}"),
        }
    }
    let expected = |prefix: &str| -> Vec<String> {
        (0..PER_INPUT).map(|i| format!("{prefix}{i:03}")).collect()
    };
    assert_eq!(
        per_input[0],
        expected("a"),
        "input1 in send order, each once"
    );
    assert_eq!(
        per_input[1],
        expected("b"),
        "input2 in send order, each once"
    );

    let seen_by_hub = wait_inspect(&hub, "receiver", 15, "every PUBACK", |v| {
        common::acks_total(v) >= (2 * PER_INPUT + 20) as u64
    })
    .await;
    assert_acks_in_order(&seen_by_hub);
    assert_eq!(counter(&seen_by_hub, "redelivered"), 0, "{seen_by_hub}");
}
