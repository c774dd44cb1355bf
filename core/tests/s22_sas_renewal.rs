//! S22: with a token lifetime of a few seconds the client renews several times while sending;
//! nothing is lost and the status never shows a failure.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{counter, inspect, wait_until, within, TestHub};
use edgemodule::{ConnectionState, Message};

#[tokio::test]
async fn s22_sending_across_token_renewals_loses_nothing() {
    const TOTAL: usize = 40;
    let hub = TestHub::start().await;
    let receiver = hub.client("receiver").await;
    let mut input = receiver.input("input1");
    let received = Arc::new(Mutex::new(BTreeSet::new()));
    let seen = Arc::clone(&received);
    tokio::spawn(async move {
        while let Some(message) = input.next().await {
            if let Some(id) = message.message_id.clone() {
                seen.lock().unwrap().insert(id);
            }
            message.ack().expect("ack");
        }
    });

    let sender = within(
        10,
        "build",
        hub.builder("sender").sas_ttl(Duration::from_secs(2)).build(),
    )
    .await
    .unwrap();
    within(10, "connect", sender.connect()).await.unwrap();
    let connections_before = counter(&inspect(&hub, "sender"), "connections");
    let mut status = sender.status();
    let states = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&states);
    tokio::spawn(async move {
        while status.changed().await.is_ok() {
            let current = *status.borrow_and_update();
            record.lock().unwrap().push(current);
        }
    });

    // A renewal (a reconnect with a fresh token) every 1.6 s; sending takes about 5 s.
    for i in 0..TOTAL {
        let mut message = Message::new(format!("r{i:03}"));
        message.message_id = Some(format!("r{i:03}"));
        within(20, "send", sender.send_output("output1", message))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(125)).await;
    }
    wait_until(30, "every message received", || {
        received.lock().unwrap().len() == TOTAL
    })
    .await;

    let renewals = counter(&inspect(&hub, "sender"), "connections") - connections_before;
    assert!(renewals >= 2, "renewed {renewals} times in 5 s with a 2 s token");
    let states = states.lock().unwrap().clone();
    assert!(
        states.iter().all(|s| s.state == ConnectionState::Connected),
        "a renewal shows no failure: {states:?}"
    );
    assert_eq!(sender.status().borrow().state, ConnectionState::Connected);
}
