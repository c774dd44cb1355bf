//! S09: an oversized message fails with MESSAGE_TOO_LARGE before anything is sent; the
//! client stays usable and a message exactly at the limit goes through intact.

mod common;

use common::{within, TestHub};
use edgemodule::protocol::MAX_MESSAGE_SIZE;
use edgemodule::{ErrorKind, Message};

#[tokio::test]
async fn s09_oversized_is_refused_locally_and_the_limit_itself_passes() {
    let hub = TestHub::start().await;
    let receiver = hub.client("receiver").await;
    let mut input = receiver.input("input1");
    let sender = hub.client("sender").await;

    let too_big = Message::new(vec![b'x'; MAX_MESSAGE_SIZE + 1]);
    let e = sender.send_output("output1", too_big).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MessageTooLarge);

    // Properties count too.
    let body_at_limit = Message::new(vec![b'y'; MAX_MESSAGE_SIZE - 4]).with_property("key", "vv");
    let e = sender
        .send_output("output1", body_at_limit)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MessageTooLarge);

    // Properties travel in the topic, whose length MQTT limits to 65 535 bytes.
    let big_property = Message::new("small body").with_property("blob", "x".repeat(70_000));
    let e = sender
        .send_output("output1", big_property)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MessageTooLarge);
    assert!(e.message().contains("65535"), "{e}");

    // A batch is checked as a whole before anything is sent.
    let batch = vec![
        Message::new("fine"),
        Message::new(vec![0u8; MAX_MESSAGE_SIZE + 10]),
    ];
    let e = sender
        .send_output_batch("output1", batch)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MessageTooLarge);

    // Exactly at the limit (body + property keys and values, the output name included):
    // accepted and delivered.
    let mut exact = Message::new(Vec::new()).with_property("abc", "def");
    exact.output_name = Some("output1".into());
    exact.body = vec![b'z'; MAX_MESSAGE_SIZE - exact.size()];
    assert_eq!(exact.size(), MAX_MESSAGE_SIZE);
    within(
        15,
        "send at limit",
        sender.send_output("output1", exact.clone()),
    )
    .await
    .unwrap();
    let got = within(15, "receive at limit", input.next()).await.unwrap();
    assert_eq!(got.body, exact.body);
    assert_eq!(got.properties, exact.properties);
    got.ack().unwrap();

    // Nothing of the refused messages arrived: the next message is the small one.
    within(
        10,
        "small send",
        sender.send_output("output1", Message::new("after")),
    )
    .await
    .unwrap();
    let next = within(10, "receive small", input.next()).await.unwrap();
    assert_eq!(next.body, b"after");
    next.ack().unwrap();
}
