//! Deployment manifest parsing (protocol.md §8.4, §9): the shipped fixtures and every
//! error path.

use std::path::PathBuf;

use edgemodule_hub::authz::Operation;
use edgemodule_hub::manifest::{self, ManifestError};
use edgemodule_hub::routes::{Sink, DEFAULT_PRIORITY};
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn good() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("deployment.json")).unwrap()).unwrap()
}

const HUB_DESIRED: &str = "modulesContent.$edgeHub.properties.desired";
const AGENT_MODULES: &str = "modulesContent.$edgeAgent.properties.desired.modules";

/// Applies `edit` to the good fixture and returns the parse error.
fn error_after(edit: impl FnOnce(&mut Value)) -> ManifestError {
    let mut v = good();
    edit(&mut v);
    manifest::parse(&v.to_string()).expect_err("the edited manifest must be rejected")
}

fn hub_desired(v: &mut Value) -> &mut Value {
    &mut v["modulesContent"]["$edgeHub"]["properties.desired"]
}

fn routes(v: &mut Value) -> &mut Value {
    &mut hub_desired(v)["routes"]
}

#[test]
fn the_example_deployment_parses() {
    let m = manifest::load(&fixture("deployment.json")).unwrap();
    assert_eq!(m.schema_version, "1.1");
    assert_eq!(m.module_names(), ["filter", "tempSensor"]);
    let sensor = m.module("tempSensor").unwrap();
    assert_eq!(sensor.env["MessageCount"], "500");
    assert_eq!(sensor.env["SendInterval"], "1");
    assert_eq!(sensor.desired, json!({}));
    assert_eq!(
        m.module("filter").unwrap().desired,
        json!({"TemperatureThreshold": 25})
    );
    assert!(
        m.module("edgeHub").is_none(),
        "system modules are not custom modules"
    );

    assert_eq!(m.routes.len(), 2);
    let to_filter = m
        .routes
        .iter()
        .find(|r| r.name == "sensorToFilter")
        .unwrap();
    assert_eq!(
        to_filter.sink,
        Sink::Module {
            module_id: "filter".into(),
            input: "input1".into()
        }
    );
    assert_eq!(
        (to_filter.priority, to_filter.ttl_secs),
        (DEFAULT_PRIORITY, 0)
    );
    let upstream = m
        .routes
        .iter()
        .find(|r| r.name == "filterToIoTHub")
        .unwrap();
    assert_eq!(upstream.sink, Sink::Upstream);
    assert_eq!((upstream.priority, upstream.ttl_secs), (0, 86400));
    assert_eq!(m.store_ttl_secs, 7200);
    assert_eq!(m.store_max_size_bytes, None);
    assert!(m.authorization.is_empty());
}

#[test]
fn the_broker_deployment_parses_with_its_policy() {
    let m = manifest::load(&fixture("deployment-broker.json")).unwrap();
    assert_eq!(m.schema_version, "1.2");
    assert_eq!(m.store_ttl_secs, -1);
    assert_eq!(m.store_max_size_bytes, Some(104_857_600));
    let policy = &m.authorization;
    let id = "localhub.azure-devices.net/edge-device/publisher";
    let allowed = |op, topic| {
        policy.is_allowed(
            id,
            "edge-device/publisher",
            "edge-device",
            "publisher",
            op,
            topic,
        )
    };
    assert!(allowed(Operation::Connect, ""));
    assert!(allowed(Operation::Publish, "alerts/low"));
    assert!(!allowed(Operation::Publish, "alerts/critical"));
    assert!(!allowed(Operation::Subscribe, "alerts/#"));
}

#[test]
fn the_interop_and_cli_forms_are_accepted() {
    // `az iot edge deployment` files wrap modulesContent in "content".
    let wrapped = json!({ "content": { "modulesContent": good()["modulesContent"].clone() } });
    let m = manifest::parse(&wrapped.to_string()).unwrap();
    assert_eq!(m.modules.len(), 2);
    let mut broken = wrapped.clone();
    broken["content"]["modulesContent"]["$edgeHub"]["properties.desired"]["schemaVersion"] =
        json!("9");
    let err = manifest::parse(&broken.to_string()).unwrap_err();
    assert_eq!(
        err.path,
        "content.modulesContent.$edgeHub.properties.desired.schemaVersion"
    );

    // The interop suite's manifest.
    let interop =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/deployment.json");
    if interop.exists() {
        let m = manifest::load(&interop).unwrap();
        assert_eq!(m.routes.len(), 3);
    }

    // Defaults: no routes, no store config, no modules.
    let minimal = json!({"modulesContent": {
        "$edgeAgent": {"properties.desired": {}},
        "$edgeHub": {"properties.desired": {"schemaVersion": "1.0"}}
    }});
    let m = manifest::parse(&minimal.to_string()).unwrap();
    assert!(m.modules.is_empty() && m.routes.is_empty());
    assert_eq!(m.store_ttl_secs, manifest::DEFAULT_STORE_TTL_SECS);

    let empty = manifest::Manifest::empty();
    assert_eq!(empty.routes.len(), 1);
    assert_eq!(empty.routes[0].sink, Sink::Upstream);
}

#[test]
fn module_desired_properties_drop_version() {
    let mut v = good();
    v["modulesContent"]["filter"]["properties.desired"]["$version"] = json!(4);
    let m = manifest::parse(&v.to_string()).unwrap();
    assert_eq!(
        m.module("filter").unwrap().desired,
        json!({"TemperatureThreshold": 25})
    );
}

fn desired(v: &mut Value) -> &mut Value {
    &mut v["modulesContent"]["filter"]["properties.desired"]
}

#[test]
fn module_desired_properties_obey_the_twin_limits() {
    // Issue 14, defect 6: the admin API refuses a desired section over 32 KiB; so does the
    // manifest.
    let e = error_after(
        |v| *desired(v) = json!({"big": "x".repeat(4000), "more": (0..9).map(|i| (format!("k{i}"), Value::from("y".repeat(4000)))).collect::<serde_json::Map<String, Value>>()}),
    );
    assert_eq!(e.path, "modulesContent.filter.properties.desired");
    assert!(e.message.contains("32768"), "{e}");
    let e = error_after(|v| *desired(v) = json!({"bad.name": 1}));
    assert!(e.message.contains("forbidden character"), "{e}");
    let e = error_after(|v| *desired(v) = json!({"s": "z".repeat(5000)}));
    assert!(e.message.contains("4096"), "{e}");
    // Just under the limit is fine.
    let mut v = good();
    *desired(&mut v) = json!({"a": "x".repeat(4000), "b": "x".repeat(4000), "c": "x".repeat(4000), "d": "x".repeat(4000), "e": "x".repeat(4000), "f": "x".repeat(4000), "g": "x".repeat(4000), "h": "x".repeat(4000)});
    assert!(manifest::parse(&v.to_string()).is_ok());
}

#[test]
fn shipped_bad_fixtures_are_rejected_with_their_path() {
    let cases = [
        (
            "bad-schema-version.json",
            format!("{HUB_DESIRED}.schemaVersion"),
            "2.0",
        ),
        (
            "bad-unknown-module.json",
            format!("{HUB_DESIRED}.routes.toFilter"),
            "module 'filter'",
        ),
        (
            "bad-route-syntax.json",
            format!("{HUB_DESIRED}.routes.r1"),
            "invalid route",
        ),
    ];
    for (file, path, needle) in cases {
        let err = manifest::load(&fixture(file)).unwrap_err();
        assert_eq!(err.path, path, "{file}: {err}");
        assert!(err.message.contains(needle), "{file}: {err}");
        assert!(err.to_string().starts_with(&format!("{path}: ")));
    }
}

#[test]
fn missing_file_and_invalid_json() {
    let err = manifest::load(&fixture("nope.json")).unwrap_err();
    assert!(err.path.ends_with("nope.json"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{\"modulesContent\": ").unwrap();
    let err = manifest::load(&path).unwrap_err();
    assert!(err.path.ends_with("broken.json"), "{err}");
    assert!(err.message.contains("not valid JSON"), "{err}");
}

#[test]
fn every_error_names_its_json_path() {
    type Edit = Box<dyn FnOnce(&mut Value)>;
    let cases: Vec<(&str, String, &str, Edit)> = vec![
        (
            "no modulesContent",
            "modulesContent".into(),
            "required",
            Box::new(|v| *v = json!({"other": 1})),
        ),
        (
            "modulesContent not an object",
            "modulesContent".into(),
            "object",
            Box::new(|v| v["modulesContent"] = json!([])),
        ),
        (
            "no $edgeAgent",
            "modulesContent.$edgeAgent".into(),
            "required",
            Box::new(|v| {
                v["modulesContent"]
                    .as_object_mut()
                    .unwrap()
                    .remove("$edgeAgent");
            }),
        ),
        (
            "no $edgeHub",
            "modulesContent.$edgeHub".into(),
            "required",
            Box::new(|v| {
                v["modulesContent"]
                    .as_object_mut()
                    .unwrap()
                    .remove("$edgeHub");
            }),
        ),
        (
            "no $edgeHub desired",
            "modulesContent.$edgeHub.properties.desired".into(),
            "required",
            Box::new(|v| v["modulesContent"]["$edgeHub"] = json!({})),
        ),
        (
            "modules not an object",
            AGENT_MODULES.into(),
            "object",
            Box::new(|v| {
                v["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"] = json!("x")
            }),
        ),
        (
            "module name with a slash",
            format!("{AGENT_MODULES}.a/b"),
            "must not contain",
            Box::new(|v| {
                v["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["a/b"] =
                    json!({})
            }),
        ),
        (
            "module name with $",
            format!("{AGENT_MODULES}.$custom"),
            "reserved",
            Box::new(|v| {
                v["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["$custom"] =
                    json!({})
            }),
        ),
        (
            "env entry without value",
            format!("{AGENT_MODULES}.tempSensor.env.MessageCount.value"),
            "required",
            Box::new(|v| {
                v["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["tempSensor"]
                    ["env"]["MessageCount"] = json!({"v": 1})
            }),
        ),
        (
            "env value is an object",
            format!("{AGENT_MODULES}.tempSensor.env.SendInterval.value"),
            "string, number or boolean",
            Box::new(|v| {
                v["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["tempSensor"]
                    ["env"]["SendInterval"] = json!({"value": {}})
            }),
        ),
        (
            "module desired not an object",
            "modulesContent.filter.properties.desired".into(),
            "object",
            Box::new(|v| v["modulesContent"]["filter"]["properties.desired"] = json!(5)),
        ),
        (
            "no schemaVersion",
            format!("{HUB_DESIRED}.schemaVersion"),
            "required",
            Box::new(|v| {
                hub_desired(v)
                    .as_object_mut()
                    .unwrap()
                    .remove("schemaVersion");
            }),
        ),
        (
            "schemaVersion a number",
            format!("{HUB_DESIRED}.schemaVersion"),
            "string",
            Box::new(|v| hub_desired(v)["schemaVersion"] = json!(1.1)),
        ),
        (
            "schemaVersion 1.4",
            format!("{HUB_DESIRED}.schemaVersion"),
            "unsupported schemaVersion '1.4'",
            Box::new(|v| hub_desired(v)["schemaVersion"] = json!("1.4")),
        ),
        (
            "routes not an object",
            format!("{HUB_DESIRED}.routes"),
            "object",
            Box::new(|v| *routes(v) = json!(["FROM /* INTO $upstream"])),
        ),
        (
            "object route in 1.0",
            format!("{HUB_DESIRED}.routes.filterToIoTHub"),
            "1.0 allows only string routes",
            Box::new(|v| hub_desired(v)["schemaVersion"] = json!("1.0")),
        ),
        (
            "route a number",
            format!("{HUB_DESIRED}.routes.r9"),
            "string or an object",
            Box::new(|v| routes(v)["r9"] = json!(9)),
        ),
        (
            "route syntax",
            format!("{HUB_DESIRED}.routes.bad"),
            "invalid route",
            Box::new(|v| routes(v)["bad"] = json!("FROM /messages/* INTO")),
        ),
        (
            "route name with a dot",
            format!("{HUB_DESIRED}.routes.a.b"),
            "invalid route name",
            Box::new(|v| routes(v)["a.b"] = json!("FROM /* INTO $upstream")),
        ),
        (
            "object route without route",
            format!("{HUB_DESIRED}.routes.filterToIoTHub.route"),
            "required",
            Box::new(|v| {
                routes(v)["filterToIoTHub"]
                    .as_object_mut()
                    .unwrap()
                    .remove("route");
            }),
        ),
        (
            "priority 10",
            format!("{HUB_DESIRED}.routes.filterToIoTHub.priority"),
            "0 to 9",
            Box::new(|v| routes(v)["filterToIoTHub"]["priority"] = json!(10)),
        ),
        (
            "priority a string",
            format!("{HUB_DESIRED}.routes.filterToIoTHub.priority"),
            "integer",
            Box::new(|v| routes(v)["filterToIoTHub"]["priority"] = json!("0")),
        ),
        (
            "negative route ttl",
            format!("{HUB_DESIRED}.routes.filterToIoTHub.timeToLiveSecs"),
            "found -1",
            Box::new(|v| routes(v)["filterToIoTHub"]["timeToLiveSecs"] = json!(-1)),
        ),
        (
            "route to an unknown module",
            format!("{HUB_DESIRED}.routes.sensorToFilter"),
            "module 'ghost'",
            Box::new(|v| {
                routes(v)["sensorToFilter"] = json!(
                    "FROM /messages/* INTO BrokeredEndpoint(\"/modules/ghost/inputs/input1\")"
                )
            }),
        ),
        (
            "store ttl not an integer",
            format!("{HUB_DESIRED}.storeAndForwardConfiguration.timeToLiveSecs"),
            "integer",
            Box::new(|v| {
                hub_desired(v)["storeAndForwardConfiguration"]["timeToLiveSecs"] = json!("7200")
            }),
        ),
        (
            "storeAndForward not an object",
            format!("{HUB_DESIRED}.storeAndForwardConfiguration"),
            "object",
            Box::new(|v| hub_desired(v)["storeAndForwardConfiguration"] = json!(true)),
        ),
        (
            "maxSizeBytes zero",
            format!("{HUB_DESIRED}.storeAndForwardConfiguration.storeLimits.maxSizeBytes"),
            "positive",
            Box::new(|v| {
                hub_desired(v)["storeAndForwardConfiguration"]["storeLimits"] =
                    json!({"maxSizeBytes": 0})
            }),
        ),
        (
            "mqttBroker in 1.1",
            format!("{HUB_DESIRED}.mqttBroker"),
            "1.2 or later",
            Box::new(|v| hub_desired(v)["mqttBroker"] = json!({"authorizations": []})),
        ),
        (
            "bad authorization",
            format!("{HUB_DESIRED}.mqttBroker"),
            "authorizations[0]",
            Box::new(|v| {
                hub_desired(v)["schemaVersion"] = json!("1.2");
                hub_desired(v)["mqttBroker"] = json!({"authorizations": [{"identities": [], "allow": [{"operations": ["mqtt:publish"]}]}]});
            }),
        ),
    ];
    for (what, path, needle, edit) in cases {
        let err = error_after(edit);
        assert_eq!(err.path, path, "{what}: {err}");
        assert!(
            err.message.contains(needle),
            "{what}: '{}' lacks '{needle}'",
            err.message
        );
    }
}

#[test]
fn schema_versions_1_2_and_1_3_accept_the_broker_section() {
    for version in ["1.2", "1.3"] {
        let mut v = good();
        hub_desired(&mut v)["schemaVersion"] = json!(version);
        hub_desired(&mut v)["mqttBroker"] = json!({"authorizations": [
            {"identities": ["{{iot:identity}}"], "allow": [{"operations": ["mqtt:connect"]}]}
        ]});
        let m = manifest::parse(&v.to_string()).unwrap();
        assert_eq!(m.schema_version, version);
        assert!(!m.authorization.is_empty());
    }
}
