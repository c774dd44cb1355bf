//! S07: direct method round trip (status + JSON payload), per-method and default streams.

mod common;

use std::time::Duration;

use common::{within, TestHub};
use serde_json::json;

#[tokio::test]
async fn s07_method_round_trip() {
    let hub = TestHub::start().await;
    let client = hub.client("receiver").await;
    let mut reset = client.method("reset");
    let mut others = client.default_methods();
    // Registered after the first connect: wait until the hub knows (methods are subscribed
    // only once something handles them).
    within(10, "subscribed", client.connect()).await.unwrap();

    let handler = tokio::spawn(async move {
        let request = reset.next().await.expect("a reset request");
        assert_eq!(request.name, "reset");
        let payload = request.payload.clone();
        request
            .respond(200, json!({"reset": true, "echo": payload}))
            .await
            .unwrap();
        let other = others.next().await.expect("a default request");
        assert_eq!(other.name, "reboot");
        other.respond(202, json!(null)).await.unwrap();
    });

    let (status, payload) = within(
        15,
        "invoke reset",
        hub.hub().invoke_method(
            "receiver",
            "reset",
            json!({"hard": 1}),
            Duration::from_secs(10),
        ),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(payload, json!({"reset": true, "echo": {"hard": 1}}));

    let (status, payload) = within(
        15,
        "invoke reboot",
        hub.hub()
            .invoke_method("receiver", "reboot", json!(null), Duration::from_secs(10)),
    )
    .await
    .unwrap();
    assert_eq!(status, 202);
    assert_eq!(payload, json!(null));
    within(5, "handler", handler).await.unwrap();
}
