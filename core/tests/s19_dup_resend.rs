//! S19: publishes still unacknowledged when the connection drops are sent again after the
//! reconnect with the same packet id and DUP=1 (the hub resumed the session), and none is
//! lost.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::proxy::Proxy;
use common::{counter, inspect, wait_inspect, within, TestHub};
use edgemodule::{Message, MethodResponse};
use serde_json::json;
use tokio::sync::mpsc;

const COUNT: usize = 5;

#[tokio::test]
async fn s19_unacknowledged_publishes_are_resent_with_dup_after_a_reconnect() {
    let hub = TestHub::start().await;
    let (tx, mut seen) = mpsc::unbounded_channel::<String>();
    let receiver = within(10, "build", hub.builder("receiver").build())
        .await
        .unwrap();
    receiver
        .set_input_handler(Some("input1"), move |message| {
            let seen = tx.clone();
            async move {
                let _ = seen.send(message.message_id.clone().unwrap_or_default());
                Ok(())
            }
        })
        .await
        .unwrap();
    within(10, "connect", receiver.connect()).await.unwrap();

    let proxy = Proxy::start(hub.hub().mqtt_addr()).await;
    let sender = within(
        10,
        "build",
        hub.builder("sender").mqtt_port(proxy.port()).build(),
    )
    .await
    .unwrap();
    // Something subscribed, so the hub keeps a session to resume.
    sender
        .set_method_handler(Some("noop"), |_request| async {
            Ok(MethodResponse::new(200, json!(null)))
        })
        .await
        .unwrap();
    within(10, "connect", sender.connect()).await.unwrap();
    let before = inspect(&hub, "sender");

    // The hub gets the publishes, the client never sees the PUBACKs.
    proxy.hold_downstream(true);
    let mut sends = Vec::new();
    for i in 0..COUNT {
        let sender = sender.clone();
        sends.push(tokio::spawn(async move {
            let mut message = Message::new(format!("m{i}"));
            message.message_id = Some(format!("m{i}"));
            sender.send_output("output1", message).await
        }));
    }
    let received = counter(&before, "publishes_received");
    wait_inspect(&hub, "sender", 10, "publishes reached the hub", |v| {
        counter(v, "publishes_received") >= received + COUNT as u64
    })
    .await;
    proxy.cut();
    proxy.hold_downstream(false);

    for send in sends {
        within(30, "send completes after the reconnect", send)
            .await
            .unwrap()
            .expect("acknowledged after the re-send");
    }
    let after = wait_inspect(&hub, "sender", 10, "DUP re-sends", |v| {
        counter(v, "dup_publishes_received")
            >= counter(&before, "dup_publishes_received") + COUNT as u64
    })
    .await;
    assert!(counter(&after, "connections") > counter(&before, "connections"));

    let mut ids = BTreeSet::new();
    while ids.len() < COUNT {
        ids.insert(within(15, "delivered", seen.recv()).await.unwrap());
    }
    let expected: BTreeSet<String> = (0..COUNT).map(|i| format!("m{i}")).collect();
    assert_eq!(ids, expected, "none lost");
    // Duplicates are allowed (at-least-once); nothing else arrives.
    while let Ok(Some(id)) = tokio::time::timeout(Duration::from_millis(300), seen.recv()).await {
        assert!(expected.contains(&id), "unexpected {id}");
    }
}
