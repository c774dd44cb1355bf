//! S11: the hub restarts mid-stream: the client reconnects by itself, no QoS 1 message is
//! lost, and a desired change made while the module was offline arrives as a catch-up
//! patch.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use common::{within, TestHub};
use edgemodule::{ConnectionState, Message};
use serde_json::json;
use tokio::sync::{watch, Notify};

/// Collects distinct message ids from `input1` (acking each) until `expected` are seen.
fn collect_ids(
    receiver: &edgemodule::ModuleClient,
    expected: usize,
) -> tokio::task::JoinHandle<BTreeSet<String>> {
    let mut input = receiver.input("input1");
    tokio::spawn(async move {
        let mut seen = BTreeSet::new();
        while seen.len() < expected {
            let Some(message) = input.next().await else {
                break;
            };
            if let Some(id) = message.message_id.clone() {
                seen.insert(id);
            }
            message.ack().expect("ack");
        }
        seen
    })
}

/// Follows a status receiver, recording every state.
fn record_states(
    mut status: watch::Receiver<edgemodule::ConnectionStatus>,
) -> Arc<std::sync::Mutex<Vec<ConnectionState>>> {
    let states = Arc::new(std::sync::Mutex::new(vec![status.borrow().state]));
    let out = Arc::clone(&states);
    tokio::spawn(async move {
        while status.changed().await.is_ok() {
            let state = status.borrow_and_update().state;
            out.lock().unwrap().push(state);
        }
    });
    states
}

#[tokio::test]
async fn s11_no_qos1_message_is_lost_across_a_restart() {
    const TOTAL: usize = 60;
    let mut hub = TestHub::start().await;
    let receiver = hub.client("receiver").await;
    let received = collect_ids(&receiver, TOTAL);
    let sender = hub.client("sender").await;
    let states = record_states(sender.status());

    let halfway = Arc::new(Notify::new());
    let signal = Arc::clone(&halfway);
    let producer = {
        let sender = sender.clone();
        tokio::spawn(async move {
            let mut pending = Vec::new();
            for i in 0..TOTAL {
                let mut message = Message::new(format!("reading {i}"));
                message.message_id = Some(format!("m{i:03}"));
                if i == TOTAL / 3 {
                    signal.notify_one();
                }
                if i < TOTAL / 3 {
                    sender.send_output("output1", message).await?;
                } else {
                    // Pipelined while the hub goes away and comes back.
                    let sender = sender.clone();
                    pending.push(tokio::spawn(async move {
                        sender.send_output("output1", message).await
                    }));
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            for p in pending {
                p.await.expect("send task")?;
            }
            Ok::<(), edgemodule::Error>(())
        })
    };

    within(20, "first third sent", halfway.notified()).await;
    hub.restart().await;

    within(60, "every send acknowledged", producer)
        .await
        .unwrap()
        .expect("no send failed");
    let seen = within(60, "every message received", received)
        .await
        .unwrap();
    let expected: BTreeSet<String> = (0..TOTAL).map(|i| format!("m{i:03}")).collect();
    assert_eq!(seen, expected);

    let states = states.lock().unwrap().clone();
    assert!(
        states.contains(&ConnectionState::DisconnectedRetrying),
        "the outage was reported: {states:?}"
    );
    assert_eq!(
        states.last(),
        Some(&ConnectionState::Connected),
        "{states:?}"
    );
}

#[tokio::test]
async fn s11_desired_change_while_offline_arrives_as_catch_up_patch() {
    let mut hub = TestHub::start().await;
    let receiver = hub.client("receiver").await;
    let mut patches = receiver.desired_patches();
    let mut status = receiver.status();

    let config = hub.stop().await;
    common::wait_status(&mut status, 10, |s| {
        s.state == ConnectionState::DisconnectedRetrying
    })
    .await;
    // The same hub state served on other ports: the module keeps failing to reach its
    // gateway while the operator changes the desired properties.
    let elsewhere = hub.start_elsewhere(&config).await;
    let version = elsewhere
        .update_desired("receiver", json!({"threshold": 55}))
        .await
        .unwrap();
    within(20, "second hub shutdown", elsewhere.shutdown()).await;

    hub.start_again(config).await;
    common::wait_status(&mut status, 20, common::connected).await;
    let patch = within(15, "catch-up patch", patches.next()).await.unwrap();
    assert_eq!(patch.version, version);
    assert_eq!(patch.patch["threshold"], 55);
    assert_eq!(
        patch.patch["nested"]["unit"], "C",
        "the whole desired section"
    );
    assert_eq!(patch.patch["$version"], version);

    // Not repeated after a reconnect without changes.
    let config = hub.stop().await;
    common::wait_status(&mut status, 20, |s| s.state != ConnectionState::Connected).await;
    hub.start_again(config).await;
    common::wait_status(&mut status, 20, common::connected).await;
    assert!(tokio::time::timeout(Duration::from_secs(1), patches.next())
        .await
        .is_err());
}

#[tokio::test]
async fn s11_sending_across_token_renewals_loses_nothing() {
    const TOTAL: usize = 40;
    let hub = TestHub::start().await;
    let receiver = hub.client("receiver").await;
    let received = collect_ids(&receiver, TOTAL);
    // Renewal (a reconnect with a fresh token) every 1.6 s.
    let sender = within(
        10,
        "build",
        hub.builder("sender")
            .sas_ttl(Duration::from_secs(2))
            .build(),
    )
    .await
    .unwrap();
    within(10, "connect", sender.connect()).await.unwrap();
    let states = record_states(sender.status());

    for i in 0..TOTAL {
        let mut message = Message::new(format!("r{i}"));
        message.message_id = Some(format!("r{i:03}"));
        within(20, "send", sender.send_output("output1", message))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(125)).await;
    }
    let seen = within(30, "all received", received).await.unwrap();
    assert_eq!(seen.len(), TOTAL);
    let states = states.lock().unwrap().clone();
    assert!(
        states.iter().all(|s| *s == ConnectionState::Connected),
        "renewal is invisible: {states:?}"
    );
}

#[tokio::test]
async fn s11_a_module_started_before_its_hub_connects_when_the_hub_comes_up() {
    let mut hub = TestHub::start().await;
    let cs = hub.hub().connection_string("sender").unwrap();
    let trust = hub.hub().trust_bundle_pem().to_string();
    let port = hub.hub().mqtt_addr().port();
    let config = hub.stop().await;

    let client = edgemodule::ModuleClient::builder()
        .connection_string(cs)
        .trust_bundle_pem(trust)
        .mqtt_port(port)
        .operation_timeout(Duration::from_secs(2))
        .retry_policy(common::fast_retry())
        .build()
        .await
        .unwrap();
    let e = within(10, "connect without hub", client.connect())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), edgemodule::ErrorKind::Connection, "{e}");
    let status = *client.status().borrow();
    assert_eq!(status.state, ConnectionState::DisconnectedRetrying);
    assert_eq!(status.reason, edgemodule::StatusReason::NoNetwork);

    // Still retrying in the background: the hub appears and the same client connects.
    hub.start_again(config).await;
    let mut status = client.status();
    common::wait_status(&mut status, 10, common::connected).await;
    within(10, "connect", client.connect()).await.unwrap();
    within(
        10,
        "send",
        client.send_output("up", Message::new("late start")),
    )
    .await
    .unwrap();
}
