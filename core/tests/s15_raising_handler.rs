//! S15: an input handler that fails: bounded local retries with doubling waits, then the
//! message is acknowledged and reported on the background-error stream; later messages wait
//! for it and are then processed; the hub saw every PUBACK in order and sent nothing again.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{
    assert_acks_in_order, call_repeatedly, counter, send_numbered, wait_inspect, within, TestHub,
};
use edgemodule::delivery::{HandlerFamily, HANDLER_ATTEMPTS};
use edgemodule::{BackgroundErrorKind, HandlerError, Message, MethodResponse};
use tokio::sync::mpsc;

const BASE: Duration = Duration::from_millis(80);

#[tokio::test]
async fn s15_failing_handler_is_retried_then_acknowledged_and_reported() {
    let hub = TestHub::start().await;
    let receiver = within(
        10,
        "build",
        hub.builder("receiver").redelivery_delay(BASE).build(),
    )
    .await
    .unwrap();
    let mut errors = receiver.background_errors();
    // Calls per message id, with their times.
    let calls: Arc<Mutex<HashMap<String, Vec<Instant>>>> = Arc::default();
    let (done_tx, mut done) = mpsc::unbounded_channel::<String>();
    let record = Arc::clone(&calls);
    receiver
        .set_input_handler(Some("input1"), move |message| {
            let id = message.message_id.clone().unwrap_or_default();
            let attempt = {
                let mut calls = record.lock().unwrap();
                let times = calls.entry(id.clone()).or_default();
                times.push(Instant::now());
                times.len()
            };
            let done = done_tx.clone();
            async move {
                match (id.as_str(), attempt) {
                    // Fails on every attempt (an error, then a panic, then errors).
                    ("poison", 2) => panic!("the handler panicked on purpose"),
                    ("poison", _) => Err(HandlerError::new(format!(
                        "cannot process, attempt {attempt}"
                    ))),
                    // Fails twice, then succeeds: handled, nothing reported.
                    ("flaky", 1 | 2) => Err(HandlerError::new("not yet")),
                    _ => {
                        let _ = done.send(id);
                        Ok(())
                    }
                }
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
    for id in ["poison", "flaky"] {
        let mut message = Message::new(id);
        message.message_id = Some(id.to_string());
        within(10, "send", sender.send_output("output1", message))
            .await
            .unwrap();
    }
    send_numbered(&sender, "output1", "after", 3).await;
    // Calls arriving during the retries are answered; their PUBACKs wait their turn.
    assert_eq!(
        call_repeatedly(&hub, "receiver", "ping", 4).await,
        vec![200; 4]
    );

    let mut processed = Vec::new();
    while processed.len() < 4 {
        processed.push(within(20, "processed", done.recv()).await.unwrap());
    }
    assert_eq!(processed, vec!["flaky", "after000", "after001", "after002"]);

    let error = within(10, "background error", errors.next()).await.unwrap();
    assert_eq!(error.kind, BackgroundErrorKind::HandlerFailed, "{error}");
    assert_eq!(error.family, HandlerFamily::Input);
    assert_eq!(error.name, "input1");
    assert!(error.message.contains("attempt 4"), "{error}");

    let calls = calls.lock().unwrap().clone();
    let poison = &calls["poison"];
    assert_eq!(poison.len(), HANDLER_ATTEMPTS as usize, "bounded retries");
    // Waits of BASE, 2 BASE, 4 BASE between the calls.
    for (i, pair) in poison.windows(2).enumerate() {
        let waited = pair[1] - pair[0];
        assert!(waited >= BASE * (1 << i), "retry {i} after {waited:?}");
    }
    assert_eq!(calls["flaky"].len(), 3);
    assert!(
        calls["flaky"][0] >= poison[3],
        "later messages wait for the failing one"
    );

    let seen = wait_inspect(&hub, "receiver", 15, "every PUBACK", |v| {
        common::acks_total(v) >= 5 + 4
    })
    .await;
    assert_acks_in_order(&seen);
    assert_eq!(
        counter(&seen, "redelivered"),
        0,
        "the hub had no reason to resend: {seen}"
    );
    // The client keeps running: one more message goes through.
    send_numbered(&sender, "output1", "last", 1).await;
    assert_eq!(within(10, "last", done.recv()).await.unwrap(), "last000");
}

#[tokio::test]
async fn s15_handler_attempts_is_the_option_of_the_same_name() {
    let hub = TestHub::start().await;
    let receiver = within(
        10,
        "build",
        hub.builder("receiver")
            .redelivery_delay(Duration::from_millis(10))
            .handler_attempts(2)
            .build(),
    )
    .await
    .unwrap();
    let mut errors = receiver.background_errors();
    let (tx, mut calls) = mpsc::unbounded_channel::<()>();
    receiver
        .set_input_handler(Some("input1"), move |_message| {
            let _ = tx.send(());
            async { Err(HandlerError::new("always")) }
        })
        .await
        .unwrap();
    within(10, "connect", receiver.connect()).await.unwrap();
    let sender = hub.client("sender").await;
    send_numbered(&sender, "output1", "once", 1).await;
    let error = within(10, "background error", errors.next()).await.unwrap();
    assert_eq!(error.kind, BackgroundErrorKind::HandlerFailed);
    let mut count = 0;
    while calls.try_recv().is_ok() {
        count += 1;
    }
    assert_eq!(count, 2, "two calls, as configured");
}
