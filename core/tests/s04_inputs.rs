//! S04: per-input and default input streams; messages for inputs without a consumer are
//! held until one registers.

mod common;

use std::time::Duration;

use common::{within, TestHub};
use edgemodule::Message;

#[tokio::test]
async fn s04_per_input_stream_first_then_default() {
    let hub = TestHub::start().await;
    let receiver = hub.client("receiver").await;
    let mut one = receiver.input("input1");
    let mut other = receiver.default_inputs();
    let sender = hub.client("sender").await;

    within(
        10,
        "send 1",
        sender.send_output("output1", Message::new("to-one")),
    )
    .await
    .unwrap();
    within(
        10,
        "send 2",
        sender.send_output("output2", Message::new("to-two")),
    )
    .await
    .unwrap();

    let a = within(10, "input1", one.next()).await.unwrap();
    assert_eq!(a.body, b"to-one");
    assert_eq!(a.input_name(), "input1");
    a.ack().unwrap();
    let b = within(10, "default", other.next()).await.unwrap();
    assert_eq!(b.body, b"to-two");
    assert_eq!(b.input_name(), "input2");
    b.ack().unwrap();

    // Nothing else arrives on either stream.
    assert!(tokio::time::timeout(Duration::from_millis(300), one.next())
        .await
        .is_err());
    assert!(
        tokio::time::timeout(Duration::from_millis(300), other.next())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn s04_messages_wait_unacknowledged_until_a_consumer_registers() {
    let hub = TestHub::start().await;
    let receiver = hub.client("receiver").await;
    let sender = hub.client("sender").await;
    within(
        10,
        "send",
        sender.send_output("output3", Message::new("early")),
    )
    .await
    .unwrap();
    // Delivered to the client while nobody listens.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut late = receiver.input("input3");
    let got = within(10, "held message", late.next()).await.unwrap();
    assert_eq!(got.body, b"early");
    got.ack().unwrap();
}

#[tokio::test]
async fn s04_a_replaced_stream_ends_and_the_new_one_receives() {
    let hub = TestHub::start().await;
    let receiver = hub.client("receiver").await;
    let mut first = receiver.input("input1");
    let mut second = receiver.input("input1");
    assert!(within(5, "first ends", first.next()).await.is_none());
    let sender = hub.client("sender").await;
    within(10, "send", sender.send_output("output1", Message::new("x")))
        .await
        .unwrap();
    let got = within(10, "second", second.next()).await.unwrap();
    assert_eq!(got.body, b"x");
    got.ack().unwrap();
}
