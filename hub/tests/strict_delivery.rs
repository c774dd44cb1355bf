//! Strict delivery to module inputs, as edgeHub does it (docs/hub.md): one input message in
//! flight per module whatever the input, redelivery with the same packet id and DUP=1 after
//! the ack timeout, a PUBACK for an input message that is not for the oldest outstanding
//! PUBLISH ignored and counted. `permissive` mode relaxes all three. Raw MQTT over real TLS
//! against an in-process hub, so every flag and packet id is visible.

mod common;

use std::time::{Duration, Instant};

use common::{output_topic, Raw, TestHub, QUIET, WAIT};
use edgemodule::protocol::topics::{self, METHODS_FILTER};
use edgemodule_hub::mqtt::{DeliveryMode, DeliveryPolicy, ModuleInspection};
use rumqttc::{Publish, QoS};
use serde_json::json;

/// A short ack timeout so redeliveries happen within the test.
const ACK_TIMEOUT: Duration = Duration::from_millis(1000);

/// `sender` out1 → `receiver` in1, out2 → in2.
fn two_inputs() -> String {
    common::deployment(
        &["sender", "receiver"],
        &[
            (
                "one",
                "FROM /messages/modules/sender/outputs/out1 INTO BrokeredEndpoint(\"/modules/receiver/inputs/in1\")",
            ),
            (
                "two",
                "FROM /messages/modules/sender/outputs/out2 INTO BrokeredEndpoint(\"/modules/receiver/inputs/in2\")",
            ),
        ],
        None,
    )
}

async fn start(mode: DeliveryMode) -> TestHub {
    TestHub::start_with(&two_inputs(), |c| {
        c.delivery = DeliveryPolicy {
            mode,
            ack_timeout: ACK_TIMEOUT,
        }
    })
    .await
}

/// Connects the receiver (inputs at QoS 1, plus `extra` filters) and the sender.
async fn peers(hub: &TestHub, extra: &[(&str, QoS)]) -> (Raw, Raw) {
    let (mut receiver, _) = hub.connect("receiver", false).await;
    let inputs = topics::inputs_filter(common::DEVICE, "receiver");
    let mut filters = vec![(inputs.as_str(), QoS::AtLeastOnce)];
    filters.extend_from_slice(extra);
    receiver.subscribe(&filters).await;
    let (sender, _) = hub.connect("sender", false).await;
    (receiver, sender)
}

async fn send(sender: &mut Raw, output: &str, body: &str) {
    sender
        .publish_acked(&output_topic("sender", output, &[]), body.as_bytes())
        .await;
}

/// The receiver's inspection once `done` holds for it (panics after `WAIT`).
async fn inspect_when(hub: &TestHub, done: impl Fn(&ModuleInspection) -> bool) -> ModuleInspection {
    let deadline = Instant::now() + WAIT;
    loop {
        let r = hub.hub.inspect("receiver").expect("known module");
        if done(&r) {
            return r;
        }
        assert!(Instant::now() < deadline, "inspection never settled: {r:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn body(p: &Publish) -> String {
    String::from_utf8_lossy(&p.payload).into_owned()
}

#[tokio::test]
async fn strict_sends_the_next_input_message_only_after_the_previous_one_is_acknowledged() {
    let hub = start(DeliveryMode::Strict).await;
    let (mut receiver, mut sender) = peers(&hub, &[]).await;
    send(&mut sender, "out1", "a1").await;
    send(&mut sender, "out2", "b1").await;
    send(&mut sender, "out1", "a2").await;

    // One message in flight per module, whatever input the next one is for.
    let mut seen = Vec::new();
    for _ in 0..3 {
        let p = receiver.next_publish(WAIT).await.expect("a delivery");
        assert!(!p.dup);
        assert!(
            receiver.next_publish(QUIET).await.is_none(),
            "a second message arrived while {} was unacknowledged",
            body(&p)
        );
        assert_eq!(hub.hub.inspect("receiver").unwrap().in_flight, 1);
        seen.push(body(&p));
        receiver.puback(p.pkid).await;
    }
    seen.sort();
    assert_eq!(seen, ["a1", "a2", "b1"]);
    let r = inspect_when(&hub, |r| r.in_flight == 0).await;
    assert_eq!((r.delivered, r.redelivered, r.acks_in_order), (3, 0, 3));
    hub.stop().await;
}

#[tokio::test]
async fn permissive_sends_every_message_without_waiting_for_acknowledgements() {
    let hub = start(DeliveryMode::Permissive).await;
    let (mut receiver, mut sender) = peers(&hub, &[]).await;
    for (output, text) in [("out1", "a1"), ("out2", "b1"), ("out1", "a2")] {
        send(&mut sender, output, text).await;
    }
    let mut pkids = Vec::new();
    for _ in 0..3 {
        pkids.push(receiver.next_publish(WAIT).await.expect("delivery").pkid);
    }
    assert_eq!(hub.hub.inspect("receiver").unwrap().in_flight, 3);
    // Acknowledged newest first: accepted (and counted as out of order), nothing comes back.
    for pkid in pkids.iter().rev() {
        receiver.puback(*pkid).await;
    }
    assert!(receiver
        .next_publish(Duration::from_millis(1500))
        .await
        .is_none());
    let r = inspect_when(&hub, |r| r.in_flight == 0).await;
    assert_eq!((r.delivered, r.redelivered, r.in_flight), (3, 0, 0));
    assert_eq!((r.acks_in_order, r.acks_out_of_order), (1, 2));
    hub.stop().await;
}

#[tokio::test]
async fn strict_sends_an_unacknowledged_message_again_with_dup_after_the_ack_timeout() {
    let hub = start(DeliveryMode::Strict).await;
    let (mut receiver, mut sender) = peers(&hub, &[]).await;
    send(&mut sender, "out1", "first").await;
    send(&mut sender, "out1", "second").await;

    let first = receiver.next_publish(WAIT).await.expect("first");
    let sent_at = Instant::now();
    assert!(!first.dup);
    // Not acknowledged: the same message comes back, same packet id, DUP set, after the
    // timeout and not before.
    let again = receiver.next_publish(WAIT).await.expect("redelivery");
    let waited = sent_at.elapsed();
    assert!(
        waited >= ACK_TIMEOUT - Duration::from_millis(100),
        "redelivered after {waited:?}"
    );
    assert!(again.dup, "a redelivery carries DUP");
    assert_eq!(again.pkid, first.pkid, "a redelivery keeps its packet id");
    assert_eq!(body(&again), "first");
    assert_eq!(again.topic, first.topic);
    let r = hub.hub.inspect("receiver").unwrap();
    assert_eq!((r.delivered, r.redelivered), (1, 1));

    // Acknowledged now: the next message follows, as a first attempt.
    receiver.puback(again.pkid).await;
    let second = receiver.next_publish(WAIT).await.expect("second");
    assert_eq!(body(&second), "second");
    assert!(!second.dup);
    receiver.puback(second.pkid).await;
    assert!(receiver.next_publish(ACK_TIMEOUT + QUIET).await.is_none());
    let r = hub.hub.inspect("receiver").unwrap();
    assert_eq!((r.delivered, r.redelivered, r.acks_in_order), (2, 1, 2));
    assert_eq!((r.acks_out_of_order, r.in_flight), (0, 0));
    hub.stop().await;
}

#[tokio::test]
async fn permissive_does_not_redeliver_on_the_same_connection() {
    let hub = start(DeliveryMode::Permissive).await;
    let (mut receiver, mut sender) = peers(&hub, &[]).await;
    send(&mut sender, "out1", "only").await;
    let p = receiver.next_publish(WAIT).await.expect("delivery");
    assert!(receiver.next_publish(ACK_TIMEOUT * 2).await.is_none());
    receiver.puback(p.pkid).await;
    assert_eq!(hub.hub.inspect("receiver").unwrap().redelivered, 0);
    hub.stop().await;
}

/// The receiver gets a method request (QoS 1) and then an input message, and acknowledges
/// the input message first. Returns (method request, input message, the invoke task).
async fn input_acknowledged_before_an_older_method_request(
    hub: &TestHub,
) -> (Raw, Publish, Publish) {
    let (mut receiver, mut sender) = peers(hub, &[(METHODS_FILTER, QoS::AtLeastOnce)]).await;
    let client_id = format!("{}/receiver", common::DEVICE);
    let broker = hub.hub.broker().clone();
    assert!(broker.publish_to(
        &client_id,
        &topics::method_request_topic("ping", "rid-1"),
        bytes::Bytes::from_static(b"{}"),
        1
    ));
    let request = receiver.next_publish(WAIT).await.expect("method request");
    assert!(request.topic.starts_with("$iothub/methods/POST/ping/"));
    send(&mut sender, "out1", "routed").await;
    let input = receiver.next_publish(WAIT).await.expect("input message");
    assert_eq!(body(&input), "routed");
    receiver.puback(input.pkid).await;
    receiver.puback(request.pkid).await;
    (receiver, request, input)
}

#[tokio::test]
async fn strict_ignores_and_counts_a_puback_that_is_not_for_the_oldest_publish() {
    let hub = start(DeliveryMode::Strict).await;
    let (mut receiver, _request, input) =
        input_acknowledged_before_an_older_method_request(&hub).await;
    let r = inspect_when(&hub, |r| r.acks_out_of_order + r.acks_in_order == 2).await;
    assert_eq!(r.acks_out_of_order, 1, "{r:?}");
    assert_eq!(
        r.acks_in_order, 1,
        "the method request's PUBACK was in order"
    );
    assert_eq!(
        r.in_flight, 1,
        "the ignored PUBACK left the input message outstanding"
    );

    // So the input message comes back after the ack timeout; acknowledged in order now.
    let again = receiver.next_publish(WAIT).await.expect("redelivery");
    assert!(again.dup);
    assert_eq!((again.pkid, body(&again)), (input.pkid, "routed".into()));
    receiver.puback(again.pkid).await;
    assert!(receiver.next_publish(ACK_TIMEOUT + QUIET).await.is_none());
    let r = hub.hub.inspect("receiver").unwrap();
    assert_eq!((r.acks_in_order, r.acks_out_of_order), (2, 1));
    assert_eq!((r.delivered, r.redelivered, r.in_flight), (1, 1, 0));
    hub.stop().await;
}

#[tokio::test]
async fn permissive_accepts_and_counts_a_puback_that_is_not_for_the_oldest_publish() {
    let hub = start(DeliveryMode::Permissive).await;
    let (mut receiver, _request, _input) =
        input_acknowledged_before_an_older_method_request(&hub).await;
    assert!(receiver.next_publish(ACK_TIMEOUT + QUIET).await.is_none());
    let r = hub.hub.inspect("receiver").unwrap();
    assert_eq!((r.acks_in_order, r.acks_out_of_order), (1, 1));
    assert_eq!((r.redelivered, r.in_flight), (0, 0));
    hub.stop().await;
}

#[tokio::test]
async fn a_second_puback_for_a_redelivered_message_is_counted_as_unexpected() {
    let hub = start(DeliveryMode::Strict).await;
    let (mut receiver, mut sender) = peers(&hub, &[]).await;
    send(&mut sender, "out1", "late").await;
    let first = receiver.next_publish(WAIT).await.expect("delivery");
    let again = receiver.next_publish(WAIT).await.expect("redelivery");
    assert!(again.dup);
    // The client acknowledges both copies (the same packet id twice).
    receiver.puback(first.pkid).await;
    receiver.puback(again.pkid).await;
    assert!(receiver.next_publish(ACK_TIMEOUT + QUIET).await.is_none());
    let r = hub.hub.inspect("receiver").unwrap();
    assert_eq!(
        (r.acks_in_order, r.acks_out_of_order, r.acks_unexpected),
        (1, 0, 1)
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_method_response_still_completes_while_an_input_message_is_held() {
    // Holding an input message's PUBACK stalls inputs, not methods.
    let hub = start(DeliveryMode::Strict).await;
    let (mut receiver, mut sender) = peers(&hub, &[(METHODS_FILTER, QoS::AtMostOnce)]).await;
    send(&mut sender, "out1", "held").await;
    let held = receiver.next_publish(WAIT).await.expect("delivery");
    let call = hub.hub.invoke_method("receiver", "ping", json!(1), WAIT);
    let answer = async {
        // Redeliveries of the held message may arrive first.
        let request = loop {
            let p = receiver.next_publish(WAIT).await.expect("method request");
            if p.topic.starts_with("$iothub/methods/POST/") {
                break p;
            }
        };
        let parsed = topics::parse_method_request(&request.topic).expect("request topic");
        receiver
            .publish(
                &topics::method_response_topic(200, &parsed.rid),
                b"2",
                QoS::AtMostOnce,
            )
            .await;
    };
    let (result, ()) = tokio::join!(call, answer);
    assert_eq!(result.expect("answered"), (200, json!(2)));
    receiver.puback(held.pkid).await;
    hub.stop().await;
}
