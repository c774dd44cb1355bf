//! Twins: the service against a real store with a recording publisher (no broker needed),
//! and end to end over MQTT against a running hub.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use edgemodule_hub::identity::Identities;
use edgemodule_hub::message::HubMessage;
use edgemodule_hub::store::Store;
use edgemodule_hub::twins::{ClientPublisher, TwinService, WaitFuture};
use serde_json::{json, Value};

const DEVICE: &str = "edge1";

/// Records publishes; every client counts as connected and subscribed.
#[derive(Default, Clone)]
struct Recorder {
    published: Arc<Mutex<Vec<(String, String, Bytes)>>>,
}

impl ClientPublisher for Recorder {
    fn publish_to(&self, client_id: &str, topic: &str, payload: Bytes, _qos: u8) -> bool {
        let mut published = self.published.lock().unwrap();
        published.push((client_id.to_string(), topic.to_string(), payload));
        true
    }
    fn is_subscribed(&self, _client_id: &str, _topic: &str) -> bool {
        true
    }
    fn is_connected(&self, _client_id: &str) -> bool {
        true
    }
    fn wait_subscribed<'a>(&'a self, _: &'a str, _: &'a str, _: Duration) -> WaitFuture<'a> {
        Box::pin(async { true })
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    publisher: Recorder,
    notifications: Arc<Mutex<Vec<HubMessage>>>,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
            publisher: Recorder::default(),
            notifications: Arc::default(),
        }
    }

    /// A service over the fixture's state directory (call again to "restart").
    fn service(&self, manifest: &[(&str, Value)]) -> TwinService {
        let modules: Vec<String> = manifest.iter().map(|(m, _)| m.to_string()).collect();
        let identities = Identities::load_or_create(
            self.dir.path(),
            DEVICE,
            "hub.azure-devices.net",
            "localhost",
            &modules,
        )
        .unwrap();
        let store = Store::open(&self.dir.path().join("hub.db")).unwrap();
        let desired: Vec<(String, Value)> = manifest
            .iter()
            .map(|(m, d)| (m.to_string(), d.clone()))
            .collect();
        let notifications = self.notifications.clone();
        TwinService::new(
            store,
            self.publisher.clone(),
            Arc::new(identities),
            &desired,
            Arc::new(move |m| notifications.lock().unwrap().push(m)),
        )
        .unwrap()
    }

    fn published(&self) -> Vec<(String, String, Bytes)> {
        self.publisher.published.lock().unwrap().clone()
    }
}

fn json_of(payload: &Bytes) -> Value {
    serde_json::from_slice(payload).unwrap()
}

#[test]
fn get_returns_both_sections_with_versions() {
    let f = Fixture::new();
    let twins = f.service(&[("filter", json!({"threshold": 25}))]);
    let (topic, body) = twins
        .handle_request("filter", "$iothub/twin/GET/?$rid=r1", b" ")
        .unwrap();
    assert_eq!(topic, "$iothub/twin/res/200/?$rid=r1");
    assert_eq!(
        json_of(&body),
        json!({"desired": {"threshold": 25, "$version": 1}, "reported": {"$version": 1}})
    );
    // C and C# send an empty body.
    let (topic, _) = twins
        .handle_request("filter", "$iothub/twin/GET/?$rid=r2", b"")
        .unwrap();
    assert_eq!(topic, "$iothub/twin/res/200/?$rid=r2");
}

#[test]
fn reported_patch_merges_bumps_version_and_notifies() {
    let f = Fixture::new();
    let twins = f.service(&[("filter", json!({}))]);
    let topic = "$iothub/twin/PATCH/properties/reported/?$rid=7";
    let (res, body) = twins
        .handle_request(
            "filter",
            topic,
            br#"{"a": 1, "nested": {"x": true, "y": "s"}}"#,
        )
        .unwrap();
    assert_eq!(res, "$iothub/twin/res/204/?$rid=7");
    assert!(body.is_empty());
    twins
        .handle_request("filter", topic, br#"{"a": null, "nested": {"y": null}}"#)
        .unwrap();
    assert_eq!(
        twins.twin_json("filter").unwrap()["reported"],
        json!({"nested": {"x": true}, "$version": 3})
    );
    let notes = f.notifications.lock().unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0].source, "/twinChangeNotifications");
    assert_eq!(
        notes[0].system_properties["messageType"],
        "twinChangeNotification"
    );
    assert_eq!(notes[0].system_properties["connectionDeviceId"], DEVICE);
    assert_eq!(
        serde_json::from_slice::<Value>(&notes[1].body).unwrap(),
        json!({"a": null, "nested": {"y": null}})
    );
}

#[test]
fn invalid_reported_patches_get_400_and_change_nothing() {
    let f = Fixture::new();
    let twins = f.service(&[("filter", json!({}))]);
    let mut deep = json!({"leaf": 1});
    for _ in 0..11 {
        deep = json!({ "n": deep });
    }
    let many: serde_json::Map<String, Value> = (0..9)
        .map(|i| (format!("k{i}"), json!("v".repeat(4000))))
        .collect();
    let bad: Vec<Vec<u8>> = vec![
        b"not json".to_vec(),
        b"[1,2]".to_vec(),
        b"\"text\"".to_vec(),
        json!({ "a.b": 1 }).to_string().into_bytes(),
        json!({ "$a": 1 }).to_string().into_bytes(),
        json!({ "a b": 1 }).to_string().into_bytes(),
        json!({ "a#": 1 }).to_string().into_bytes(),
        json!({ "a\u{7}": 1 }).to_string().into_bytes(),
        json!({ "k".repeat(1025): 1 }).to_string().into_bytes(),
        json!({ "s": "v".repeat(4097) }).to_string().into_bytes(),
        json!({ "i": 4_503_599_627_370_496_i64 })
            .to_string()
            .into_bytes(),
        json!({ "i": -4_503_599_627_370_497_i64 })
            .to_string()
            .into_bytes(),
        json!({ "arr": [1, null] }).to_string().into_bytes(),
        deep.to_string().into_bytes(),
        Value::Object(many).to_string().into_bytes(),
    ];
    for (i, payload) in bad.iter().enumerate() {
        let topic = format!("$iothub/twin/PATCH/properties/reported/?$rid={i}");
        let (res, body) = twins.handle_request("filter", &topic, payload).unwrap();
        assert_eq!(
            res,
            format!("$iothub/twin/res/400/?$rid={i}"),
            "payload {}",
            String::from_utf8_lossy(payload)
        );
        assert!(body.is_empty());
    }
    // The whole reported document is capped too, not just one patch.
    for i in 0..8 {
        let patch = json!({ format!("k{i}"): "v".repeat(4000) }).to_string();
        let (res, _) = twins
            .handle_request(
                "filter",
                "$iothub/twin/PATCH/properties/reported/?$rid=ok",
                patch.as_bytes(),
            )
            .unwrap();
        assert_eq!(res, "$iothub/twin/res/204/?$rid=ok");
    }
    let patch = json!({ "k9": "v".repeat(4000) }).to_string();
    let (res, _) = twins
        .handle_request(
            "filter",
            "$iothub/twin/PATCH/properties/reported/?$rid=big",
            patch.as_bytes(),
        )
        .unwrap();
    assert_eq!(res, "$iothub/twin/res/400/?$rid=big");
    assert_eq!(
        twins.twin_json("filter").unwrap()["reported"]["$version"],
        9
    );
    assert_eq!(f.notifications.lock().unwrap().len(), 8);
}

#[test]
fn unsupported_twin_topics() {
    let f = Fixture::new();
    let twins = f.service(&[("filter", json!({}))]);
    let (res, body) = twins
        .handle_request(
            "filter",
            "$iothub/twin/PATCH/properties/desired/?$rid=9",
            b"{}",
        )
        .unwrap();
    assert_eq!(res, "$iothub/twin/res/400/?$rid=9");
    assert!(body.is_empty());
    // Method segments are case-sensitive.
    let (res, _) = twins
        .handle_request("filter", "$iothub/twin/get/?$rid=10", b"")
        .unwrap();
    assert_eq!(res, "$iothub/twin/res/400/?$rid=10");
    // Nothing to address an answer to.
    assert!(twins
        .handle_request("filter", "$iothub/twin/GET/?$rid=", b"")
        .is_none());
    assert!(twins
        .handle_request("filter", "$iothub/twin/whatever", b"")
        .is_none());
}

#[test]
fn desired_update_is_pushed_with_version() {
    let f = Fixture::new();
    let twins = f.service(&[("filter", json!({"threshold": 25, "mode": "a"}))]);
    let version = twins
        .update_desired("filter", json!({"threshold": 30, "mode": null}))
        .unwrap();
    assert_eq!(version, 2);
    let published = f.published();
    assert_eq!(published.len(), 1);
    let (client, topic, body) = &published[0];
    assert_eq!(client, "edge1/filter");
    assert_eq!(topic, "$iothub/twin/PATCH/properties/desired/?$version=2");
    assert_eq!(
        json_of(body),
        json!({"threshold": 30, "mode": null, "$version": 2})
    );
    assert_eq!(
        twins.twin_json("filter").unwrap()["desired"],
        json!({"threshold": 30, "$version": 2})
    );
    assert!(twins.update_desired("filter", json!([1])).is_err());
    assert!(twins.update_desired("filter", json!({"a.b": 1})).is_err());
    assert!(twins
        .update_desired("nosuchmodule", json!({"a": 1}))
        .is_err());
    assert_eq!(f.published().len(), 1);
}

#[test]
fn state_survives_restart_and_manifest_changes_keep_versions_monotonic() {
    let f = Fixture::new();
    let manifest = [("filter", json!({"threshold": 25}))];
    {
        let twins = f.service(&manifest);
        twins.update_desired("filter", json!({"extra": 1})).unwrap();
        twins
            .handle_request(
                "filter",
                "$iothub/twin/PATCH/properties/reported/?$rid=1",
                br#"{"seen": 1}"#,
            )
            .unwrap();
    }
    // Same manifest: the operator's update and the reported state are kept.
    let twins = f.service(&manifest);
    assert_eq!(
        twins.twin_json("filter").unwrap(),
        json!({
            "desired": {"threshold": 25, "extra": 1, "$version": 2},
            "reported": {"seen": 1, "$version": 2}
        })
    );
    drop(twins);
    // A new manifest section replaces desired with the next version.
    let twins = f.service(&[("filter", json!({"threshold": 40}))]);
    assert_eq!(
        twins.twin_json("filter").unwrap(),
        json!({
            "desired": {"threshold": 40, "$version": 3},
            "reported": {"seen": 1, "$version": 2}
        })
    );
}

// ---------------------------------------------------------------------------------------
// End to end: a module over MQTT (TLS, SAS) against a running hub.

use common::{Raw, TestHub};
use edgemodule_hub::config::HubConfig;
use edgemodule_hub::hub::Hub;
use rumqttc::QoS;

/// A deployment where `filter` has desired properties and twin change notifications go
/// upstream.
fn twin_deployment(threshold: i64) -> String {
    let text = common::deployment(
        &["filter", "other"],
        &[("notes", "FROM /twinChangeNotifications INTO $upstream")],
        None,
    );
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["modulesContent"]["filter"] = json!({"properties.desired": {"threshold": threshold}});
    v.to_string()
}

/// Subscribes to twin responses and desired patches.
async fn twin_client(hub: &TestHub, module: &str) -> Raw {
    let (mut raw, _) = hub.connect(module, true).await;
    raw.subscribe(&[
        ("$iothub/twin/res/#", QoS::AtMostOnce),
        ("$iothub/twin/PATCH/properties/desired/#", QoS::AtLeastOnce),
    ])
    .await;
    raw
}

/// Publishes a twin request and returns (response topic, body).
async fn request(raw: &mut Raw, topic: &str, body: &[u8]) -> (String, Vec<u8>) {
    raw.publish(topic, body, QoS::AtMostOnce).await;
    let p = raw.next_publish(common::WAIT).await.expect("twin response");
    (p.topic, p.payload.to_vec())
}

#[tokio::test]
async fn mqtt_get_patch_validate_and_desired_push() {
    let hub = TestHub::start(&twin_deployment(25)).await;
    let mut raw = twin_client(&hub, "filter").await;

    let (topic, body) = request(&mut raw, "$iothub/twin/GET/?$rid=g1", b" ").await;
    assert_eq!(topic, "$iothub/twin/res/200/?$rid=g1");
    let twin: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        twin,
        json!({"desired": {"threshold": 25, "$version": 1}, "reported": {"$version": 1}})
    );

    let patch = br#"{"status": "ok", "stats": {"n": 3}}"#;
    let (topic, body) = request(
        &mut raw,
        "$iothub/twin/PATCH/properties/reported/?$rid=p1",
        patch,
    )
    .await;
    assert_eq!(topic, "$iothub/twin/res/204/?$rid=p1");
    assert!(body.is_empty());
    let (_, body) = request(&mut raw, "$iothub/twin/GET/?$rid=g2", b"").await;
    let twin: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        twin["reported"],
        json!({"status": "ok", "stats": {"n": 3}, "$version": 2})
    );

    // Every §10 rule → 400 with an empty body, nothing stored.
    let mut deep = json!(1);
    for _ in 0..12 {
        deep = json!({ "n": deep });
    }
    let bad = [
        b"{oops".to_vec(),
        b"[]".to_vec(),
        json!({"a.b": 1}).to_string().into_bytes(),
        json!({"$x": 1}).to_string().into_bytes(),
        json!({"a b": 1}).to_string().into_bytes(),
        json!({"a#b": 1}).to_string().into_bytes(),
        json!({"ctl\u{1}": 1}).to_string().into_bytes(),
        json!({ "k".repeat(1025): 1 }).to_string().into_bytes(),
        json!({"s": "x".repeat(4097)}).to_string().into_bytes(),
        json!({"i": 4_503_599_627_370_496_i64})
            .to_string()
            .into_bytes(),
        json!({"arr": [1, null]}).to_string().into_bytes(),
        deep.to_string().into_bytes(),
        json!({"big": "x".repeat(4000), "b2": "x".repeat(4000), "b3": "x".repeat(4000),
               "b4": "x".repeat(4000), "b5": "x".repeat(4000), "b6": "x".repeat(4000),
               "b7": "x".repeat(4000), "b8": "x".repeat(4000), "b9": "x".repeat(4000)})
        .to_string()
        .into_bytes(),
    ];
    for (i, payload) in bad.iter().enumerate() {
        let topic = format!("$iothub/twin/PATCH/properties/reported/?$rid=bad{i}");
        let (res, body) = request(&mut raw, &topic, payload).await;
        assert_eq!(
            res,
            format!("$iothub/twin/res/400/?$rid=bad{i}"),
            "{}",
            String::from_utf8_lossy(payload)
        );
        assert!(body.is_empty());
    }
    let (res, _) = request(&mut raw, "$iothub/twin/DELETE/?$rid=u1", b"").await;
    assert_eq!(res, "$iothub/twin/res/400/?$rid=u1");
    assert_eq!(
        hub.hub.twin("filter").await.unwrap()["reported"]["$version"],
        2
    );

    // The operator changes desired properties: the module gets the patch with $version.
    let version = hub
        .hub
        .update_desired("filter", json!({"threshold": 30, "mode": "fast"}))
        .await
        .unwrap();
    assert_eq!(version, 2);
    let push = raw.next_publish(common::WAIT).await.expect("desired patch");
    assert_eq!(
        push.topic,
        "$iothub/twin/PATCH/properties/desired/?$version=2"
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&push.payload).unwrap(),
        json!({"threshold": 30, "mode": "fast", "$version": 2})
    );
    if push.qos == QoS::AtLeastOnce {
        raw.puback(push.pkid).await;
    }

    // The reported patch became a twin change notification routed upstream.
    let deadline = std::time::Instant::now() + common::WAIT;
    let note = loop {
        let found = hub
            .hub
            .upstream_messages()
            .into_iter()
            .find(|m| m.source == "/twinChangeNotifications");
        if let Some(m) = found {
            break m;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no twin change notification"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        note.system_properties["messageType"],
        "twinChangeNotification"
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&note.body).unwrap(),
        json!({"status": "ok", "stats": {"n": 3}})
    );
    hub.stop().await;
}

#[tokio::test]
async fn twin_state_persists_across_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = |threshold: i64| {
        let manifest = edgemodule_hub::manifest::parse(&twin_deployment(threshold)).unwrap();
        HubConfig::for_tests(manifest, dir.path().to_path_buf())
    };
    // The state lives in `dir`; TestHub's own directory is unused here.
    let hub = TestHub {
        hub: Hub::start(config(25)).await.unwrap(),
        dir: tempfile::tempdir().unwrap(),
    };
    let mut raw = twin_client(&hub, "filter").await;
    let (res, _) = request(
        &mut raw,
        "$iothub/twin/PATCH/properties/reported/?$rid=1",
        br#"{"boots": 1}"#,
    )
    .await;
    assert_eq!(res, "$iothub/twin/res/204/?$rid=1");
    assert_eq!(
        hub.hub
            .update_desired("filter", json!({"extra": true}))
            .await
            .unwrap(),
        2
    );
    raw.disconnect().await;
    hub.stop().await;

    // Same manifest: everything is back, versions included.
    let hub = TestHub {
        hub: Hub::start(config(25)).await.unwrap(),
        dir: tempfile::tempdir().unwrap(),
    };
    let mut raw = twin_client(&hub, "filter").await;
    let (_, body) = request(&mut raw, "$iothub/twin/GET/?$rid=2", b" ").await;
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({
            "desired": {"threshold": 25, "extra": true, "$version": 2},
            "reported": {"boots": 1, "$version": 2}
        })
    );
    raw.disconnect().await;
    hub.stop().await;

    // A changed manifest section replaces desired; the version keeps growing.
    let hub = Hub::start(config(50)).await.unwrap();
    assert_eq!(
        hub.twin("filter").await.unwrap()["desired"],
        json!({"threshold": 50, "$version": 3})
    );
    hub.shutdown().await;
}
