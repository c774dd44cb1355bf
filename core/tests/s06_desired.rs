//! S06: a desired-property change made by the operator reaches the stream with `$version`.

mod common;

use std::time::Duration;

use common::{within, TestHub};
use serde_json::json;

#[tokio::test]
async fn s06_operator_patch_reaches_every_stream_with_its_version() {
    let hub = TestHub::start().await;
    let client = hub.client("receiver").await;
    let mut first = client.desired_patches();
    let mut second = client.desired_patches();
    // Registered after the first connect: wait until the hub knows.
    within(10, "subscribed", client.connect()).await.unwrap();

    let version = hub
        .hub()
        .update_desired("receiver", json!({"threshold": 40}))
        .await
        .unwrap();

    for stream in [&mut first, &mut second] {
        let patch = within(10, "desired patch", stream.next()).await.unwrap();
        assert_eq!(patch.version, version);
        assert_eq!(patch.patch["threshold"], 40);
        assert_eq!(patch.patch["$version"], version);
    }

    let next = hub
        .hub()
        .update_desired("receiver", json!({"nested": null}))
        .await
        .unwrap();
    assert!(next > version);
    let patch = within(10, "second patch", first.next()).await.unwrap();
    assert_eq!(patch.version, next);
    assert!(patch.patch["nested"].is_null());

    let twin = within(10, "get_twin", client.get_twin()).await.unwrap();
    assert_eq!(twin.desired_version, next);
    assert_eq!(twin.desired, json!({"threshold": 40}));

    // No stale or duplicate patch follows.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), first.next())
            .await
            .is_err()
    );
}
