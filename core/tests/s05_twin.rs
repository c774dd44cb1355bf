//! S05: read the twin (desired from the manifest), patch reported properties, versions move.

mod common;

use common::{within, TestHub};
use edgemodule::ErrorKind;
use serde_json::json;

#[tokio::test]
async fn s05_get_patch_and_versions() {
    let hub = TestHub::start().await;
    let client = hub.client("receiver").await;

    let before = within(10, "get_twin", client.get_twin()).await.unwrap();
    assert_eq!(
        before.desired,
        json!({"threshold": 30, "nested": {"unit": "C"}})
    );
    assert!(before.desired_version >= 1);
    assert!(before.desired.get("$version").is_none());

    within(
        10,
        "patch",
        client.patch_reported(json!({"temperature": 21.5, "status": {"ok": true}})),
    )
    .await
    .unwrap();
    let after = within(10, "get_twin", client.get_twin()).await.unwrap();
    assert_eq!(after.reported["temperature"], 21.5);
    assert_eq!(after.reported["status"], json!({"ok": true}));
    assert!(after.reported_version > before.reported_version);
    assert_eq!(after.desired_version, before.desired_version);

    // null removes a member; the version moves again.
    within(
        10,
        "patch",
        client.patch_reported(json!({"temperature": null})),
    )
    .await
    .unwrap();
    let last = within(10, "get_twin", client.get_twin()).await.unwrap();
    assert!(last.reported.get("temperature").is_none());
    assert!(last.reported_version > after.reported_version);

    // The hub's view agrees.
    let hub_twin = hub.hub().twin("receiver").await.unwrap();
    assert_eq!(hub_twin["reported"]["status"], json!({"ok": true}));
}

#[tokio::test]
async fn s05_invalid_patches_are_refused_and_the_client_stays_usable() {
    let hub = TestHub::start().await;
    let client = hub.client("receiver").await;

    let e = client.patch_reported(json!([1, 2])).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);

    let e = within(
        10,
        "bad patch",
        client.patch_reported(json!({"bad.key": 1})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Service, "{e}");
    assert_eq!(e.status(), Some(400));

    within(10, "good patch", client.patch_reported(json!({"fine": 1})))
        .await
        .unwrap();
}
