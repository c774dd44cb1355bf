//! A module that reconnects with a large backlog queued for its inputs gets every message
//! exactly once, and a copy only with DUP set (issue 13, item 4: with ≥ 1,000 queued the
//! hub used to send many twice without DUP, because a catch-up store read could run before
//! the removal of just-acknowledged messages was committed). The receiver is a raw MQTT
//! client (rumqttc's codec over TLS) acknowledging every PUBLISH at once, in order.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bytes::BytesMut;
use common::{output_topic, Event, Raw, TestHub, QUIET};
use edgemodule_hub::mqtt::{DeliveryMode, DeliveryPolicy};
use rumqttc::{Packet, Publish, QoS};

/// Publishes `count` messages `msg-{i}` (padded to `size` bytes) pipelined, then waits for
/// every PUBACK (each one means the message is stored).
async fn queue(sender: &mut Raw, count: usize, size: usize) {
    let topic = output_topic("sender", "out1", &[]);
    let mut pending = 0usize;
    let mut buf = BytesMut::new();
    for i in 0..count {
        let mut body = format!("msg-{i}").into_bytes();
        body.resize(size.max(body.len()), b'.');
        let mut p = Publish::new(&topic, QoS::AtLeastOnce, body);
        p.pkid = sender.pkid();
        Packet::Publish(p)
            .write(&mut buf, usize::MAX)
            .expect("encode");
        pending += 1;
        // Keep the hub's inbound queue short: drain PUBACKs every 500 messages.
        let drain = pending >= 500 || i + 1 == count;
        if buf.len() > 256 * 1024 || drain {
            sender.send_bytes(&buf).await;
            buf.clear();
        }
        if drain {
            while pending > 0 {
                match sender.recv(Duration::from_secs(60)).await {
                    Event::Packet(Packet::PubAck(_)) => pending -= 1,
                    Event::Packet(_) => {}
                    other => panic!("waiting for PUBACKs: {other:?}"),
                }
            }
        }
    }
}

/// What the receiver saw: PUBLISHes in arrival order as (index, dup).
async fn receive_all(receiver: &mut Raw, expected: usize) -> Vec<(usize, bool)> {
    let mut seen = Vec::with_capacity(expected);
    let mut distinct = 0usize;
    let mut first_time = HashSet::new();
    loop {
        // Everything must arrive in time; after that, nothing more.
        let within = if distinct < expected {
            Duration::from_secs(60)
        } else {
            QUIET * 2
        };
        match receiver.recv(within).await {
            Event::Packet(Packet::Publish(p)) => {
                receiver.puback(p.pkid).await;
                let index = std::str::from_utf8(&p.payload[..p.payload.len().min(16)])
                    .ok()
                    .and_then(|s| s.strip_prefix("msg-"))
                    .and_then(|s| s.split('.').next())
                    .and_then(|n| n.parse().ok())
                    .expect("payload msg-N");
                if first_time.insert(index) {
                    distinct += 1;
                }
                seen.push((index, p.dup));
            }
            Event::Packet(_) => {}
            Event::Timeout if distinct >= expected => return seen,
            other => panic!("after {distinct} of {expected} messages: {other:?}"),
        }
    }
}

async fn reconnect_with_backlog(mode: DeliveryMode, count: usize, size: usize) {
    let hub = TestHub::start_with(&common::routed_deployment(), |c| {
        c.delivery = DeliveryPolicy {
            mode,
            ..DeliveryPolicy::default()
        }
    })
    .await;
    // The receiver subscribes once (persistent session) and goes away.
    let (mut receiver, _) = hub.connect("receiver", false).await;
    receiver.subscribe_inputs("receiver").await;
    receiver.disconnect().await;

    let (mut sender, _) = hub.connect("sender", false).await;
    queue(&mut sender, count, size).await;

    let (mut receiver, ack) = hub.connect("receiver", false).await;
    assert!(ack.session_present);
    let seen = receive_all(&mut receiver, count).await;

    let mut copies: HashMap<usize, usize> = HashMap::new();
    let mut copies_without_dup = 0;
    for (index, dup) in &seen {
        let n = copies.entry(*index).or_default();
        *n += 1;
        if *n > 1 && !dup {
            copies_without_dup += 1;
        }
    }
    assert_eq!(copies.len(), count, "every message arrived");
    assert_eq!(
        copies_without_dup,
        0,
        "copies without DUP ({} PUBLISHes for {count} messages)",
        seen.len()
    );
    assert_eq!(seen.len(), count, "exactly one delivery per message");
    // In order, too (one input, one priority).
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "out of order");
    let r = hub.hub.inspect("receiver").unwrap();
    assert_eq!(r.delivered, count as u64);
    assert_eq!((r.redelivered, r.acks_out_of_order), (0, 0));
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_five_thousand_queued_messages_arrive_exactly_once() {
    reconnect_with_backlog(DeliveryMode::Strict, 5_000, 64).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissive_five_thousand_queued_messages_arrive_exactly_once() {
    reconnect_with_backlog(DeliveryMode::Permissive, 5_000, 64).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissive_a_thousand_large_queued_messages_arrive_exactly_once() {
    reconnect_with_backlog(DeliveryMode::Permissive, 1_000, 200 * 1024).await;
}
