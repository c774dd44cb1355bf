//! Table-driven tests of the IoT Edge 1.2 broker authorization policy (protocol.md §9) and
//! of MQTT topic-filter matching.

use edgemodule_hub::authz::{filter_covers, topic_matches, Operation, Policy};
use serde_json::json;

use Operation::{Connect, Publish, Subscribe};

const HUB: &str = "myhub.azure-devices.net";

/// A request from module `module` on edge device `device`.
struct Who {
    device: &'static str,
    module: &'static str,
}

impl Who {
    fn allowed(&self, policy: &Policy, op: Operation, resource: &str) -> bool {
        let identity = format!("{HUB}/{}/{}", self.device, self.module);
        let client_id = format!("{}/{}", self.device, self.module);
        policy.is_allowed(
            &identity,
            &client_id,
            self.device,
            self.module,
            op,
            resource,
        )
    }
}

const FILTER: Who = Who {
    device: "edge1",
    module: "filter",
};
const SENSOR: Who = Who {
    device: "edge1",
    module: "sensor",
};

type Case<'a> = (&'a Who, Operation, &'a str, bool);

fn run(policy: &Policy, cases: &[Case<'_>]) {
    let failures: Vec<String> = cases
        .iter()
        .filter(|(who, op, res, want)| who.allowed(policy, *op, res) != *want)
        .map(|(who, op, res, want)| {
            format!("{}/{} {op:?} {res:?}: want {want}", who.device, who.module)
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn policy(v: serde_json::Value) -> Policy {
    Policy::from_json(&v).unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// The example of protocol.md §9.
#[test]
fn documented_example() {
    let p = policy(json!([
        { "identities": ["{{iot:identity}}"],
          "allow": [ { "operations": ["mqtt:connect"] } ] },
        { "identities": ["myhub.azure-devices.net/edge1/filter"],
          "allow": [ { "operations": ["mqtt:publish", "mqtt:subscribe"], "resources": ["test_topic", "alerts/#"] } ],
          "deny":  [ { "operations": ["mqtt:publish"], "resources": ["alerts/critical"] } ] }
    ]));
    run(
        &p,
        &[
            (&FILTER, Connect, "", true),
            (&SENSOR, Connect, "", true),
            (&FILTER, Publish, "test_topic", true),
            (&FILTER, Publish, "alerts/high", true),
            (&FILTER, Publish, "alerts", true),
            (&FILTER, Publish, "alerts/a/b", true),
            (&FILTER, Publish, "alerts/critical", false),
            (&FILTER, Publish, "other", false),
            (&FILTER, Publish, "test_topic/x", false),
            (&FILTER, Subscribe, "alerts/critical", true),
            (&FILTER, Subscribe, "alerts/#", true),
            (&FILTER, Subscribe, "alerts/+", true),
            (&FILTER, Subscribe, "#", false),
            (&FILTER, Subscribe, "+", false),
            (&SENSOR, Publish, "test_topic", false),
            (&SENSOR, Subscribe, "alerts/#", false),
        ],
    );
}

#[test]
fn default_deny() {
    run(
        &Policy::default(),
        &[
            (&FILTER, Connect, "", false),
            (&FILTER, Publish, "a", false),
            (&FILTER, Subscribe, "#", false),
        ],
    );
    let empty = policy(json!([]));
    assert!(empty.is_empty());
    assert!(!FILTER.allowed(&empty, Connect, ""));
    // A statement for someone else does not help.
    let other =
        policy(json!([{ "identities": ["x/y/z"], "allow": [{ "operations": ["mqtt:connect"] }] }]));
    assert!(!FILTER.allowed(&other, Connect, ""));
}

#[test]
fn variables_in_identities_and_resources() {
    let p = policy(json!([
        { "identities": ["{{iot:identity}}"],
          "allow": [ { "operations": ["mqtt:publish", "mqtt:subscribe"],
                       "resources": ["devices/{{iot:device_id}}/{{iot:module_id}}/#",
                                     "clients/{{mqtt:client_id}}/x",
                                     "edge/{{iot:this_device_id}}/y"] } ] },
        { "identities": ["myhub.azure-devices.net/{{iot:device_id}}/reader"],
          "allow": [ { "operations": ["mqtt:subscribe"], "resources": ["shared/#"] } ] }
    ]));
    let reader = Who {
        device: "edge1",
        module: "reader",
    };
    run(
        &p,
        &[
            (&FILTER, Publish, "devices/edge1/filter/a", true),
            (&FILTER, Publish, "devices/edge1/filter", true),
            (&FILTER, Publish, "devices/edge1/sensor/a", false),
            (&FILTER, Subscribe, "devices/edge1/filter/+", true),
            (&FILTER, Publish, "clients/edge1/filter/x", true),
            (&FILTER, Publish, "clients/edge1/sensor/x", false),
            (&FILTER, Publish, "edge/edge1/y", true),
            (&FILTER, Subscribe, "shared/a", false),
            (&reader, Subscribe, "shared/a", true),
            (&reader, Subscribe, "shared/#", true),
            (&reader, Publish, "shared/a", false),
        ],
    );
    // {{iot:this_device_id}} is the edge device's id when the hub sets it.
    let gw = p.clone().with_this_device_id("gateway");
    run(
        &gw,
        &[
            (&FILTER, Publish, "edge/gateway/y", true),
            (&FILTER, Publish, "edge/edge1/y", false),
        ],
    );
}

/// edgeHub puts each statement's deny rules before its allow rules; the first matching rule
/// decides (1.2 broker), so deny wins inside a statement and earlier statements win overall.
#[test]
fn deny_beats_allow_and_statement_order() {
    let same_statement = policy(json!([
        { "identities": ["{{iot:identity}}"],
          "allow": [ { "operations": ["mqtt:connect", "mqtt:publish", "mqtt:subscribe"], "resources": ["#"] } ],
          "deny":  [ { "operations": ["mqtt:publish", "mqtt:subscribe"], "resources": ["secret/#"] } ] }
    ]));
    run(
        &same_statement,
        &[
            (&FILTER, Connect, "", true),
            (&FILTER, Publish, "public/a", true),
            (&FILTER, Publish, "secret/a", false),
            (&FILTER, Subscribe, "secret/+", false),
            (&FILTER, Subscribe, "public/#", true),
        ],
    );
    let deny_first = policy(json!([
        { "identities": ["{{iot:identity}}"], "deny": [ { "operations": ["mqtt:publish"], "resources": ["secret"] } ] },
        { "identities": ["{{iot:identity}}"], "allow": [ { "operations": ["mqtt:publish"], "resources": ["#"] } ] }
    ]));
    run(
        &deny_first,
        &[
            (&FILTER, Publish, "secret", false),
            (&FILTER, Publish, "open", true),
        ],
    );
    let allow_first = policy(json!([
        { "identities": ["{{iot:identity}}"], "allow": [ { "operations": ["mqtt:publish"], "resources": ["#"] } ] },
        { "identities": ["{{iot:identity}}"], "deny": [ { "operations": ["mqtt:publish"], "resources": ["secret"] } ] }
    ]));
    run(&allow_first, &[(&FILTER, Publish, "secret", true)]);
}

#[test]
fn operations_and_resources() {
    let p = policy(json!([
        { "identities": ["myhub.azure-devices.net/edge1/filter"],
          "allow": [ { "operations": ["mqtt:connect", "mqtt:publish"], "resources": ["a"] },
                     { "operations": ["mqtt:subscribe"], "resources": ["s/+"] } ] }
    ]));
    run(
        &p,
        &[
            // A connect rule matches whatever its resources.
            (&FILTER, Connect, "", true),
            (&FILTER, Publish, "a", true),
            (&FILTER, Subscribe, "a", false),
            (&FILTER, Subscribe, "s/x", true),
            (&FILTER, Subscribe, "s/+", true),
            (&FILTER, Subscribe, "s/#", false),
            (&FILTER, Subscribe, "s/x/y", false),
            (&FILTER, Publish, "s/x", false),
            // Invalid PUBLISH topics never match.
            (&FILTER, Publish, "a/+", false),
            (&FILTER, Publish, "", false),
        ],
    );
    // Identities are exact after substitution.
    let upper = Who {
        device: "EDGE1",
        module: "filter",
    };
    assert!(!upper.allowed(&p, Connect, ""));
    assert_eq!(Operation::from_name("mqtt:publish"), Some(Publish));
    assert_eq!(Operation::from_name("MQTT:PUBLISH"), None);
    assert_eq!(Subscribe.name(), "mqtt:subscribe");
}

/// Invalid policies, with a substring of the expected error (which names the JSON path).
#[test]
fn validation_errors() {
    let allow =
        |rule: serde_json::Value| json!([{ "identities": ["{{iot:identity}}"], "allow": [rule] }]);
    let table: Vec<(serde_json::Value, &str)> = vec![
        (json!({}), "authorizations: expected an array"),
        (json!([1]), "authorizations[0]: expected an object"),
        (json!([{ "allow": [] }]), "authorizations[0].identities: required"),
        (json!([{ "identities": [] }]), "authorizations[0].identities: must not be empty"),
        (json!([{ "identities": "x" }]), "authorizations[0].identities: expected an array of strings"),
        (json!([{ "identities": [""] }]), "authorizations[0].identities[0]: must not be empty"),
        (json!([{ "identities": [5] }]), "authorizations[0].identities[0]: expected a string"),
        (json!([{ "identities": ["{{iot:nope}}"] }]), "authorizations[0].identities[0]: unknown variable {{iot:nope}}"),
        (json!([{ "identities": ["a"], "allow": {} }]), "authorizations[0].allow: expected an array of rules"),
        (json!([{ "identities": ["a"], "deny": [3] }]), "authorizations[0].deny[0]: expected an object"),
        (allow(json!({ "resources": ["a"] })), "authorizations[0].allow[0].operations: required"),
        (allow(json!({ "operations": [], "resources": ["a"] })), "authorizations[0].allow[0].operations: must not be empty"),
        (allow(json!({ "operations": ["mqtt:unsubscribe"], "resources": ["a"] })), "authorizations[0].allow[0].operations[0]: unknown operation 'mqtt:unsubscribe'"),
        (allow(json!({ "operations": ["MQTT:CONNECT"] })), "operations[0]: unknown operation 'MQTT:CONNECT'"),
        (allow(json!({ "operations": ["mqtt:publish"] })), "authorizations[0].allow[0].resources: required"),
        (allow(json!({ "operations": ["mqtt:connect", "mqtt:publish"] })), "authorizations[0].allow[0].resources: required"),
        (allow(json!({ "operations": ["mqtt:subscribe"], "resources": [] })), "authorizations[0].allow[0].resources: must not be empty"),
        (allow(json!({ "operations": ["mqtt:publish"], "resources": "a" })), "resources: expected an array of strings"),
        (allow(json!({ "operations": ["mqtt:publish"], "resources": [""] })), "resources[0]: '' is not a valid MQTT topic filter"),
        (allow(json!({ "operations": ["mqtt:publish"], "resources": ["a/#/b"] })), "resources[0]: 'a/#/b' is not a valid MQTT topic filter"),
        (allow(json!({ "operations": ["mqtt:publish"], "resources": ["a", "b+"] })), "resources[1]: 'b+' is not a valid MQTT topic filter"),
        (allow(json!({ "operations": ["mqtt:publish"], "resources": ["a/b#"] })), "'a/b#' is not a valid"),
        (allow(json!({ "operations": ["mqtt:publish"], "resources": ["x/{{bad}}"] })), "resources[0]: unknown variable {{bad}}"),
        (
            json!([{ "identities": ["a"], "allow": [{ "operations": ["mqtt:connect"] }] },
                   { "identities": ["b"], "allow": [{ "operations": ["mqtt:publish"] }] }]),
            "authorizations[1].allow[0].resources: required",
        ),
        (
            json!([{ "identities": [], "deny": [{ "operations": ["x"], "resources": ["a"] }] }]),
            "authorizations[0].identities: must not be empty; authorizations[0].deny[0].operations[0]: unknown operation 'x'",
        ),
    ];
    let mut failures = Vec::new();
    for (v, want) in &table {
        match Policy::from_json(v) {
            Ok(_) => failures.push(format!("{v}: accepted, want {want:?}")),
            Err(e) if !e.contains(want) => failures.push(format!("{v}: got {e:?}, want {want:?}")),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Accepted: connect-only rules need no resources; wildcards used correctly; all variables.
    let ok = json!([
        { "identities": ["{{iot:identity}}", "{{mqtt:client_id}}", "{{iot:this_device_id}}/{{iot:device_id}}/{{iot:module_id}}"],
          "allow": [ { "operations": ["mqtt:connect"] },
                     { "operations": ["mqtt:subscribe"], "resources": ["#", "+/+", "a/+/b/#", "/x", "$SYS/#"] } ],
          "deny": [] },
        { "identities": ["x"] }
    ]);
    assert!(Policy::from_json(&ok).is_ok());
}

#[test]
fn topic_matching() {
    let table: &[(&str, &str, bool)] = &[
        ("a/b", "a/b", true),
        ("a/b", "a/c", false),
        ("a/b", "A/b", false),
        ("a/+", "a/b", true),
        ("a/+", "a/b/c", false),
        ("a/+", "a", false),
        ("a/+", "a/", true),
        ("a/#", "a", true),
        ("a/#", "a/b/c", true),
        ("a/#", "ab", false),
        ("#", "a/b", true),
        ("#", "/", true),
        ("+/+", "/x", true),
        ("/+", "/x", true),
        ("+", "/x", false),
        ("#", "$SYS/x", false),
        ("+/x", "$SYS/x", false),
        ("$SYS/#", "$SYS/x", true),
        ("$SYS/+", "$SYS/x", true),
        ("a/#/b", "a/x/b", false),
        ("a+", "a+", false),
        ("#", "a/+", false),
        ("#", "a/#", false),
        ("a", "", false),
        ("", "a", false),
    ];
    let failures: Vec<String> = table
        .iter()
        .filter(|(f, t, want)| topic_matches(f, t) != *want)
        .map(|(f, t, want)| format!("topic_matches({f:?}, {t:?}) want {want}"))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn filter_coverage() {
    let table: &[(&str, &str, bool)] = &[
        ("#", "a/b", true),
        ("#", "a/#", true),
        ("#", "#", true),
        ("#", "+/x", true),
        ("#", "$SYS/#", false),
        ("+/#", "$SYS/x", false),
        ("$SYS/#", "$SYS/+", true),
        ("a/#", "a/+", true),
        ("a/#", "a", true),
        ("a/#", "a/b/#", true),
        ("a/#", "b/#", false),
        ("a/+", "a/#", false),
        ("a/+", "a/b", true),
        ("a/+", "a/+", true),
        ("a/+", "a/b/c", false),
        ("a/+", "a", false),
        ("a/b", "a/+", false),
        ("a/b", "a/b", true),
        ("a/b", "a/b/c", false),
        ("+/b", "x/b", true),
        ("+/b", "$x/b", false),
        ("+/#", "a", true),
        ("+/+", "+/#", false),
        ("a/+/#", "a/#", false),
        ("a/+/#", "a/b", true),
        ("a/#/b", "a", false),
        ("a", "", false),
        ("a", "a/#/b", false),
    ];
    let failures: Vec<String> = table
        .iter()
        .filter(|(o, i, want)| filter_covers(o, i) != *want)
        .map(|(o, i, want)| format!("filter_covers({o:?}, {i:?}) want {want}"))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Coverage agrees with matching: if `outer` covers `inner`, every topic matching `inner`
/// matches `outer` (checked on a small universe of topics).
#[test]
fn coverage_is_consistent_with_matching() {
    let filters = [
        "#", "a/#", "a/+", "a/b", "+/b", "+/+", "+", "a/+/#", "+/#", "$s/#", "a", "b/#",
    ];
    let topics = [
        "a", "a/b", "a/c", "b", "b/b", "a/b/c", "$s", "$s/b", "/b", "a/", "c/b/a",
    ];
    for outer in filters {
        for inner in filters {
            if filter_covers(outer, inner) {
                for t in topics {
                    assert!(
                        !topic_matches(inner, t) || topic_matches(outer, t),
                        "{outer} covers {inner} but misses {t}"
                    );
                }
            }
        }
    }
}
