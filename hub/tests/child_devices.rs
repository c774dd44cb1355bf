//! Child devices (nested edge, parent side): devices declared in the manifest's
//! `edgemodule.childDevices` connect with the edgemodule core's `DeviceClient` (device
//! identity: client id `{d}`, device SAS), their telemetry enters the routes with
//! `connectionDeviceId` set and no `connectionModuleId`, and anything else is refused.

mod common;

use std::time::Duration;

use common::{TestHub, WAIT};
use edgemodule::{DeviceClient, ErrorKind, Message};
use serde_json::json;

const LEAF_KEY: &str = "bGVhZi1rZXktMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY=";
const OTHER_KEY: &str = "b3RoZXIta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU=";

/// One module, a route from every device and module message to `$upstream`, and the child
/// device `leaf1`.
fn parent_deployment() -> String {
    let mut d: serde_json::Value = serde_json::from_str(&common::deployment(
        &["filter"],
        &[("up", "FROM /messages/* INTO $upstream")],
        None,
    ))
    .expect("json");
    d["edgemodule"] = json!({"childDevices": {"leaf1": {"primaryKey": LEAF_KEY}}});
    d.to_string()
}

fn device_client_builder(hub: &TestHub, device: &str, key: &str) -> edgemodule::ClientBuilder {
    let cs = format!(
        "HostName={};DeviceId={device};SharedAccessKey={key};GatewayHostName=localhost",
        hub.hub.config().iothub_host_name
    );
    DeviceClient::builder()
        .connection_string(cs)
        .trust_bundle_pem(hub.hub.trust_bundle_pem())
        .mqtt_port(hub.addr().port())
        .operation_timeout(Duration::from_secs(5))
}

#[tokio::test]
async fn a_child_device_sends_telemetry_that_enters_the_routes_with_its_device_id() {
    let hub = TestHub::start(&parent_deployment()).await;
    let client = device_client_builder(&hub, "leaf1", LEAF_KEY)
        .build_device()
        .await
        .expect("device client");
    client.connect().await.expect("connect as child device");
    let messages: Vec<Message> = (0..50)
        .map(|i| {
            let mut m = Message::new(format!("reading {i}")).with_property("seq", i.to_string());
            m.message_id = Some(format!("m-{i}"));
            m
        })
        .collect();
    client
        .send_event(Message::new("first").with_property("seq", "first"))
        .await
        .expect("send_event");
    client
        .send_event_batch(messages)
        .await
        .expect("send_event_batch");

    let deadline = tokio::time::Instant::now() + WAIT;
    let upstream = loop {
        let seen = hub.hub.upstream_messages();
        if seen.len() >= 51 || tokio::time::Instant::now() > deadline {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(upstream.len(), 51, "every message reached $upstream once");
    assert_eq!(upstream[0].properties["seq"], "first");
    for (i, m) in upstream[1..].iter().enumerate() {
        assert_eq!(m.properties["seq"], i.to_string(), "in order");
        assert_eq!(m.system_properties["messageId"], format!("m-{i}"));
        assert_eq!(m.system_properties["connectionDeviceId"], "leaf1");
        assert!(!m.system_properties.contains_key("connectionModuleId"));
        assert_eq!(m.system_properties["edgeHubOriginInterface"], "downstream");
        assert_eq!(m.source, "/messages");
        assert_eq!(m.body, format!("reading {i}").into_bytes());
    }
    client.close().await.expect("close");
    hub.stop().await;
}

#[tokio::test]
async fn unknown_devices_and_wrong_keys_are_refused() {
    let hub = TestHub::start(&parent_deployment()).await;
    for (device, key, why) in [
        ("stranger", LEAF_KEY, "not declared"),
        ("leaf1", OTHER_KEY, "wrong key"),
        ("edge-device", LEAF_KEY, "the hub's own device id"),
    ] {
        let client = device_client_builder(&hub, device, key)
            .build_device()
            .await
            .expect("device client");
        let err = client
            .connect()
            .await
            .expect_err(&format!("{device} ({why}) must be refused"));
        assert_eq!(
            err.kind(),
            ErrorKind::Unauthorized,
            "{device} ({why}): {err}"
        );
        client.close().await.ok();
    }
    assert!(hub.hub.upstream_messages().is_empty());
    hub.stop().await;
}

#[tokio::test]
async fn a_module_connection_string_is_refused_by_build_device() {
    let hub = TestHub::start(&parent_deployment()).await;
    let cs = hub.hub.connection_string("filter").expect("module exists");
    let err = DeviceClient::builder()
        .connection_string(cs)
        .trust_bundle_pem(hub.hub.trust_bundle_pem())
        .build_device()
        .await
        .expect_err("a module string is not a device string");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("ModuleId"), "{err}");
    hub.stop().await;
}

#[test]
fn child_device_manifest_errors_name_the_json_path() {
    let base: serde_json::Value =
        serde_json::from_str(&common::deployment(&["filter"], &[], None)).expect("json");
    for (children, path) in [
        (
            json!({"leaf": {}}),
            "edgemodule.childDevices.leaf.primaryKey",
        ),
        (
            json!({"leaf": {"primaryKey": "not base64!"}}),
            "edgemodule.childDevices.leaf.primaryKey",
        ),
        (
            json!({"filter": {"primaryKey": LEAF_KEY}}),
            "edgemodule.childDevices.filter",
        ),
        (
            json!({"a/b": {"primaryKey": LEAF_KEY}}),
            "edgemodule.childDevices.a/b",
        ),
        (
            json!({"leaf": {"primaryKey": LEAF_KEY, "key": 1}}),
            "edgemodule.childDevices.leaf.key",
        ),
    ] {
        let mut d = base.clone();
        d["edgemodule"] = json!({ "childDevices": children });
        let err = edgemodule_hub::manifest::parse(&d.to_string())
            .expect_err("refused")
            .to_string();
        assert!(err.starts_with(path), "{err} should start with {path}");
    }
}
