//! `mqttBroker.bridges` across three levels (top ← middle ← leaf, in-process hubs, every
//! link the core's `DeviceClient` over MQTT/TLS): a user topic a leaf module publishes climbs
//! leaf → middle → top with the prefixes rewritten, a command topic published at the top
//! comes down to a leaf module, the policy of every hop decides, and bad bridge settings are
//! refused with the JSON path.

mod common;

use std::time::Duration;

use common::TestHub;
use edgemodule::{ModuleClient, Qos};
use edgemodule_hub::upstream::ParentConfig;
use serde_json::{json, Value};

const HUB: &str = "localhub.azure-devices.net";
const MIDDLE_KEY: &str = "bWlkZGxlLWtleS0wMTIzNDU2Nzg5YWJjZGVmMDEyMzQ=";
const LEAF_KEY: &str = "bGVhZjEta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2";
const WAIT: Duration = Duration::from_secs(15);

/// A 1.2 deployment with `modules`, the policy `rules` (plus connect for everyone), the
/// `$upstream` bridge `settings` (none when empty) and `children` (device id, key).
fn deployment(
    modules: &[&str],
    rules: Value,
    settings: Value,
    children: &[(&str, &str)],
) -> String {
    let mut authorizations = vec![json!({
        "identities": ["{{iot:identity}}"],
        "allow": [{ "operations": ["mqtt:connect"] }]
    })];
    authorizations.extend(rules.as_array().cloned().unwrap_or_default());
    let mut d: Value = serde_json::from_str(&common::deployment(
        modules,
        &[],
        Some(Value::Array(authorizations)),
    ))
    .expect("json");
    if settings.as_array().is_some_and(|s| !s.is_empty()) {
        d["modulesContent"]["$edgeHub"]["properties.desired"]["mqttBroker"]["bridges"] =
            json!([{ "endpoint": "$upstream", "settings": settings }]);
    }
    let children: serde_json::Map<String, Value> = children
        .iter()
        .map(|(id, key)| (id.to_string(), json!({ "primaryKey": key })))
        .collect();
    d["edgemodule"] = json!({ "childDevices": children });
    d.to_string()
}

fn allow(identity: String, op: &str, resources: &[&str]) -> Value {
    json!({
        "identities": [identity],
        "allow": [{ "operations": [op], "resources": resources }]
    })
}

async fn child(device: &str, key: &str, parent: &TestHub, deployment: &str) -> TestHub {
    let config = ParentConfig::from_key(
        &format!("localhost:{}", parent.addr().port()),
        device,
        key,
        parent.hub.trust_bundle_pem().to_string(),
    )
    .expect("parent");
    TestHub::start_with(deployment, |c| {
        c.device_id = device.to_string();
        c.parent = Some(config);
    })
    .await
}

async fn module(hub: &TestHub, name: &str) -> ModuleClient {
    let client = ModuleClient::builder()
        .connection_string(hub.hub.connection_string(name).expect("module"))
        .trust_bundle_pem(hub.hub.trust_bundle_pem())
        .mqtt_port(hub.addr().port())
        .operation_timeout(Duration::from_secs(10))
        .build()
        .await
        .expect("client");
    client.connect().await.expect("connect");
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_topic_climbs_and_a_command_topic_comes_down() {
    let top = TestHub::start(&deployment(
        &["collector", "commander"],
        json!([
            allow(format!("{HUB}/middle"), "mqtt:publish", &["telemetry/#"]),
            allow(format!("{HUB}/middle"), "mqtt:subscribe", &["commands/#"]),
            allow(
                format!("{HUB}/edge-device/collector"),
                "mqtt:subscribe",
                &["telemetry/#"]
            ),
            allow(
                format!("{HUB}/edge-device/commander"),
                "mqtt:publish",
                &["commands/#"]
            ),
        ]),
        json!([]),
        &[("middle", MIDDLE_KEY)],
    ))
    .await;
    // The middle passes telemetry up and commands down unchanged.
    let middle = child(
        "middle",
        MIDDLE_KEY,
        &top,
        &deployment(
            &[],
            json!([
                allow(format!("{HUB}/leaf1"), "mqtt:publish", &["telemetry/#"]),
                allow(
                    format!("{HUB}/leaf1"),
                    "mqtt:subscribe",
                    &["commands/leaf1/#"]
                ),
            ]),
            json!([
                { "direction": "out", "topic": "telemetry/#" },
                { "direction": "in", "topic": "commands/#" }
            ]),
            &[("leaf1", LEAF_KEY)],
        ),
    )
    .await;
    // The leaf renames: local/# goes up as telemetry/leaf1/#, commands/leaf1/# comes down as
    // cmd/#.
    let leaf = child(
        "leaf1",
        LEAF_KEY,
        &middle,
        &deployment(
            &["sensor"],
            json!([
                allow(format!("{HUB}/leaf1/sensor"), "mqtt:publish", &["local/#"]),
                allow(format!("{HUB}/leaf1/sensor"), "mqtt:subscribe", &["cmd/#"]),
            ]),
            json!([
                { "direction": "out", "topic": "#", "inPrefix": "local/", "outPrefix": "telemetry/leaf1/" },
                { "direction": "in", "topic": "#", "inPrefix": "commands/leaf1/", "outPrefix": "cmd/" }
            ]),
            &[],
        ),
    )
    .await;

    let collector = module(&top, "collector").await;
    let mut up = collector.subscribe("telemetry/#").await.expect("subscribe");
    let sensor = module(&leaf, "sensor").await;
    let mut down = sensor.subscribe("cmd/#").await.expect("subscribe");
    let commander = module(&top, "commander").await;

    // Up: the bridges start in the background; publish until the first copy arrives, then
    // check that the rest arrive in order.
    let first = async {
        loop {
            sensor
                .publish("local/temp", "probe", Qos::AtLeastOnce)
                .await
                .expect("publish");
            if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(300), up.next()).await {
                return m;
            }
        }
    };
    let m = tokio::time::timeout(WAIT, first).await.expect("bridged up");
    assert_eq!(m.topic, "telemetry/leaf1/temp");
    for i in 0..20 {
        sensor
            .publish("local/temp", format!("t{i}"), Qos::AtLeastOnce)
            .await
            .expect("publish");
    }
    let mut seen = Vec::new();
    while seen.len() < 20 {
        let m = tokio::time::timeout(WAIT, up.next())
            .await
            .expect("bridged up in time")
            .expect("stream open");
        assert_eq!(m.topic, "telemetry/leaf1/temp");
        if m.payload != "probe" {
            seen.push(String::from_utf8_lossy(&m.payload).to_string());
        }
    }
    let expected: Vec<String> = (0..20).map(|i| format!("t{i}")).collect();
    assert_eq!(seen, expected, "in order, each once");

    // Down: commands/leaf1/reboot at the top → cmd/reboot on the leaf.
    let command = async {
        loop {
            commander
                .publish("commands/leaf1/reboot", "now", Qos::AtLeastOnce)
                .await
                .expect("publish");
            if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(300), down.next()).await
            {
                return m;
            }
        }
    };
    let m = tokio::time::timeout(WAIT, command)
        .await
        .expect("bridged down");
    assert_eq!(m.topic, "cmd/reboot");
    assert_eq!(m.payload, "now");
    // Another leaf's command is not the leaf's to see: the middle's policy refuses the
    // wider subscription, and the leaf's rule does not match it.
    commander
        .publish("commands/leaf2/reboot", "no", Qos::AtLeastOnce)
        .await
        .expect("publish");
    commander
        .publish("commands/leaf1/stop", "yes", Qos::AtLeastOnce)
        .await
        .expect("publish");
    let next = loop {
        let m = tokio::time::timeout(WAIT, down.next())
            .await
            .expect("in time")
            .expect("open");
        if m.payload != "now" {
            break m;
        }
    };
    assert_eq!(
        (next.topic.as_str(), &next.payload[..]),
        ("cmd/stop", &b"yes"[..])
    );

    let (up_count, _, dropped) = leaf.hub.bridge_counts().expect("leaf bridge");
    assert!(
        up_count >= 21 && dropped == 0,
        "leaf bridge: {up_count} up, {dropped} dropped"
    );
    let (_, down_count, _) = middle.hub.bridge_counts().expect("middle bridge");
    assert!(down_count >= 2, "middle bridge: {down_count} down");
    for c in [collector, sensor, commander] {
        c.close().await.ok();
    }
    leaf.stop().await;
    middle.stop().await;
    top.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_parents_policy_decides_for_bridged_topics() {
    // The top allows the middle nothing but connect: bridged messages go nowhere.
    let top = TestHub::start(&deployment(
        &["collector"],
        json!([allow(
            format!("{HUB}/edge-device/collector"),
            "mqtt:subscribe",
            &["#"]
        )]),
        json!([]),
        &[("middle", MIDDLE_KEY)],
    ))
    .await;
    let middle = child(
        "middle",
        MIDDLE_KEY,
        &top,
        &deployment(
            &["sensor"],
            json!([allow(
                format!("{HUB}/middle/sensor"),
                "mqtt:publish",
                &["up/#"]
            )]),
            json!([{ "direction": "out", "topic": "up/#" }]),
            &[],
        ),
    )
    .await;
    let collector = module(&top, "collector").await;
    let mut seen = collector.subscribe("up/#").await.expect("subscribe");
    let sensor = module(&middle, "sensor").await;
    sensor
        .publish("up/x", "refused at the top", Qos::AtLeastOnce)
        .await
        .expect("the local hub allows it");
    let got = tokio::time::timeout(Duration::from_secs(3), seen.next()).await;
    assert!(got.is_err(), "the top's policy must keep it out: {got:?}");
    // The top refused it with its denial notice, so the bridge's client failed the publish
    // with UNAUTHORIZED and the bridge dropped it (no endless re-send).
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (up, _, dropped) = middle.hub.bridge_counts().expect("middle bridge");
        if dropped == 1 {
            assert_eq!(up, 0);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "dropped {dropped}, up {up}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for c in [collector, sensor] {
        c.close().await.ok();
    }
    middle.stop().await;
    top.stop().await;
}

#[test]
fn refused_bridge_settings_name_the_json_path() {
    let base = "modulesContent.$edgeHub.properties.desired.mqttBroker.bridges";
    for (bridges, path) in [
        (json!({}), base.to_string()),
        (
            json!([{ "endpoint": "$cloud", "settings": [] }]),
            format!("{base}[0].endpoint"),
        ),
        (
            json!([{ "endpoint": "$upstream", "settings": [{ "direction": "sideways", "topic": "a" }] }]),
            format!("{base}[0].settings[0].direction"),
        ),
        (
            json!([{ "endpoint": "$upstream", "settings": [{ "direction": "out", "topic": "a/#/b" }] }]),
            format!("{base}[0].settings[0].topic"),
        ),
        (
            json!([{ "endpoint": "$upstream", "settings": [{ "direction": "in", "topic": "#" }] }]),
            format!("{base}[0].settings[0].topic"),
        ),
        (
            json!([{ "endpoint": "$upstream", "settings": [{ "direction": "out", "topic": "a", "outPrefix": "x/+/" }] }]),
            format!("{base}[0].settings[0].outPrefix"),
        ),
        (
            json!([{ "endpoint": "$upstream", "settings": [{ "direction": "out", "topic": "#", "inPrefix": "$iothub/" }] }]),
            format!("{base}[0].settings[0].inPrefix"),
        ),
        (
            json!([{ "endpoint": "$upstream", "settings": [{ "direction": "out" }] }]),
            format!("{base}[0].settings[0].topic"),
        ),
    ] {
        let mut d: Value =
            serde_json::from_str(&deployment(&[], json!([]), json!([]), &[])).expect("json");
        d["modulesContent"]["$edgeHub"]["properties.desired"]["mqttBroker"]["bridges"] = bridges;
        let err = edgemodule_hub::manifest::parse(&d.to_string())
            .expect_err("refused")
            .to_string();
        assert!(err.starts_with(&path), "{err} should start with {path}");
    }
}
