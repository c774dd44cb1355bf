//! Runs every language-neutral vector in `tests/vectors/*.json` through the real protocol
//! functions. A file without cases, a case with an unknown shape or op, or a vector file
//! without a runner fails the suite, so no vector can be skipped silently.

mod policy_runners;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use edgemodule::protocol::environment::EdgeEnvironment;
use edgemodule::protocol::topics::TwinRequest;
use edgemodule::protocol::{
    connection_string, environment, mqtt_identity, property_bag, sas, topics,
};
use edgemodule::{Error, Message};
use serde_json::{json, Map, Value};

/// What a case produced: a value to compare with `expected`, or an error for `error`.
type Outcome = Result<Value, Error>;
/// A runner maps `(op, input)` to an outcome; `Err(String)` means the case itself is malformed.
type Runner = fn(&str, &Value) -> Result<Outcome, String>;

const RUNNERS: [(&str, Runner); 13] = [
    ("errors.json", policy_runners::errors::errors),
    ("status.json", policy_runners::errors::status),
    (
        "system_properties.json",
        policy_runners::errors::system_properties,
    ),
    ("options.json", policy_runners::options::options),
    ("twin.json", policy_runners::twin::twin),
    ("json.json", policy_runners::json::json),
    ("connection_strings.json", connection_strings),
    ("edge_environment.json", edge_environment),
    ("sas_tokens.json", sas_tokens),
    ("property_bag.json", property_bag),
    ("usernames.json", usernames),
    ("topics.json", topics),
    ("messages.json", messages),
];

fn vectors_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors"))
}

#[test]
fn every_vector_file_has_a_runner_and_every_runner_a_file() {
    let mut on_disk: Vec<String> = std::fs::read_dir(vectors_dir())
        .expect("tests/vectors exists")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".json"))
        .collect();
    on_disk.sort();
    let mut known: Vec<String> = RUNNERS.iter().map(|(f, _)| f.to_string()).collect();
    known.sort();
    assert_eq!(
        on_disk, known,
        "vector files and runners must match one to one"
    );
}

#[test]
fn connection_strings_vectors() {
    run_file("connection_strings.json");
}

#[test]
fn edge_environment_vectors() {
    run_file("edge_environment.json");
}

#[test]
fn sas_token_vectors() {
    run_file("sas_tokens.json");
}

#[test]
fn property_bag_vectors() {
    run_file("property_bag.json");
}

#[test]
fn username_vectors() {
    run_file("usernames.json");
}

#[test]
fn topic_vectors() {
    run_file("topics.json");
}

#[test]
fn message_vectors() {
    run_file("messages.json");
}

#[test]
fn error_code_vectors() {
    run_file("errors.json");
}

#[test]
fn status_vectors() {
    run_file("status.json");
}

#[test]
fn system_property_vectors() {
    run_file("system_properties.json");
}

#[test]
fn option_vectors() {
    run_file("options.json");
}

#[test]
fn twin_vectors() {
    run_file("twin.json");
}

#[test]
fn json_vectors() {
    run_file("json.json");
}

fn run_file(file: &str) {
    let runner = RUNNERS
        .iter()
        .find(|(f, _)| *f == file)
        .map(|(_, r)| *r)
        .expect("runner registered");
    let text = std::fs::read_to_string(vectors_dir().join(file)).expect("vector file readable");
    let doc: Value = serde_json::from_str(&text).expect("vector file is JSON");
    let top = doc.as_object().expect("top level is an object");
    let keys: HashSet<&str> = top.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        HashSet::from(["description", "cases"]),
        "{file}: top-level keys"
    );
    assert!(
        top["description"].as_str().is_some_and(|d| !d.is_empty()),
        "{file}: description must be a non-empty string"
    );
    let cases = top["cases"].as_array().expect("cases is an array");
    assert!(!cases.is_empty(), "{file}: has zero cases");

    let mut names = HashSet::new();
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("<unnamed>").to_string();
        if !names.insert(name.clone()) {
            failures.push(format!("{name}: duplicate case name"));
        }
        if let Err(why) = run_case(runner, case) {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{file}: {} of {} cases failed:\n  {}",
        failures.len(),
        cases.len(),
        failures.join("\n  ")
    );
}

fn run_case(runner: Runner, case: &Value) -> Result<(), String> {
    let obj = case.as_object().ok_or("case is not an object")?;
    const ALLOWED: [&str; 6] = ["name", "op", "input", "expected", "error", "error_contains"];
    if let Some(extra) = obj.keys().find(|k| !ALLOWED.contains(&k.as_str())) {
        return Err(format!("unknown case key {extra:?}"));
    }
    if obj
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err("case has no name".into());
    }
    let op = obj
        .get("op")
        .and_then(Value::as_str)
        .ok_or("case has no op")?;
    let input = obj.get("input").ok_or("case has no input")?;
    let outcome = runner(op, input)?;
    match (obj.get("expected"), obj.get("error")) {
        (Some(expected), None) => {
            if obj.contains_key("error_contains") {
                return Err("error_contains without error".into());
            }
            match outcome {
                Ok(actual) if &actual == expected => Ok(()),
                Ok(actual) => Err(format!("expected {expected}, got {actual}")),
                Err(e) => Err(format!("expected {expected}, got error {e}")),
            }
        }
        (None, Some(kind)) => {
            let kind = kind.as_str().ok_or("error must be a string")?;
            if !edgemodule::ErrorKind::ALL.iter().any(|k| k.name() == kind) {
                return Err(format!("unknown error kind {kind:?}"));
            }
            let contains = match obj.get("error_contains") {
                None => None,
                Some(v) => Some(v.as_str().ok_or("error_contains must be a string")?),
            };
            match outcome {
                Ok(actual) => Err(format!("expected error {kind}, got {actual}")),
                Err(e) if e.kind().name() != kind => Err(format!("expected {kind}, got {e}")),
                Err(e) if contains.is_some_and(|c| !e.message().contains(c)) => Err(format!(
                    "error message {:?} does not contain {:?}",
                    e.message(),
                    contains.unwrap_or_default()
                )),
                Err(_) => Ok(()),
            }
        }
        _ => Err("case needs exactly one of expected / error".into()),
    }
}

// ---------- input helpers ----------

fn field<'a>(input: &'a Value, key: &str) -> Result<&'a Value, String> {
    input
        .get(key)
        .ok_or_else(|| format!("input has no {key:?}"))
}

fn text<'a>(input: &'a Value, key: &str) -> Result<&'a str, String> {
    field(input, key)?
        .as_str()
        .ok_or_else(|| format!("input {key:?} is not a string"))
}

fn opt_text<'a>(input: &'a Value, key: &str) -> Result<Option<&'a str>, String> {
    match field(input, key)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(format!("input {key:?} is not a string or null")),
    }
}

fn int(input: &Value, key: &str) -> Result<i64, String> {
    field(input, key)?
        .as_i64()
        .ok_or_else(|| format!("input {key:?} is not an integer"))
}

fn whole_text(input: &Value) -> Result<&str, String> {
    input.as_str().ok_or_else(|| "input is not a string".into())
}

fn unknown(op: &str) -> Result<Outcome, String> {
    Err(format!("unknown op {op:?}"))
}

fn cast<T: TryFrom<i64>>(value: i64, key: &str) -> Result<T, String> {
    T::try_from(value).map_err(|_| format!("input {key:?} is out of range"))
}

// ---------- runners ----------

fn cs_json(cs: &connection_string::ConnectionString) -> Value {
    json!({
        "host_name": cs.host_name,
        "device_id": cs.device_id,
        "module_id": cs.module_id,
        "shared_access_key": cs.shared_access_key,
        "shared_access_key_name": cs.shared_access_key_name,
        "shared_access_signature": cs.shared_access_signature,
        "gateway_host_name": cs.gateway_host_name,
        "x509": cs.x509,
    })
}

fn connection_strings(op: &str, input: &Value) -> Result<Outcome, String> {
    match op {
        "parse" => Ok(connection_string::parse(whole_text(input)?).map(|cs| cs_json(&cs))),
        _ => unknown(op),
    }
}

fn edge_environment(op: &str, input: &Value) -> Result<Outcome, String> {
    if op != "from_env" {
        return unknown(op);
    }
    let vars: HashMap<String, String> = input
        .as_object()
        .ok_or("input is not an object of variables")?
        .iter()
        .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
        .collect::<Option<_>>()
        .ok_or("every variable value must be a string")?;
    let env = environment::from_lookup(&|name| vars.get(name).cloned());
    Ok(env.map(|env| match env {
        EdgeEnvironment::Workload(w) => json!({
            "kind": "workload",
            "iothub_host_name": w.iothub_host_name,
            "gateway_host_name": w.gateway_host_name,
            "device_id": w.device_id,
            "module_id": w.module_id,
            "generation_id": w.generation_id,
            "workload_uri": w.workload_uri,
            "api_version": w.api_version,
        }),
        EdgeEnvironment::ConnectionString {
            connection_string,
            ca_certificate_file,
        } => json!({
            "kind": "connection_string",
            "connection_string": cs_json(&connection_string),
            "ca_certificate_file": ca_certificate_file,
        }),
    }))
}

fn sas_tokens(op: &str, input: &Value) -> Result<Outcome, String> {
    use base64::Engine as _;
    Ok(match op {
        "build" => {
            let key = text(input, "key")?;
            let expiry = cast::<u64>(int(input, "expiry")?, "expiry")?;
            let uri = sas::resource_uri(
                text(input, "host_name")?,
                text(input, "device_id")?,
                opt_text(input, "module_id")?,
            );
            let to_sign = sas::string_to_sign(&uri, expiry);
            sas::sign(key, to_sign.as_bytes()).map(|signature| {
                json!({
                    "resource_uri": uri,
                    "string_to_sign": to_sign,
                    "data_base64": base64::engine::general_purpose::STANDARD.encode(&to_sign),
                    "token": sas::format_token(&uri, &signature, expiry),
                    "signature": signature,
                })
            })
        }
        "sign" => sas::sign(text(input, "key")?, text(input, "data")?.as_bytes()).map(Value::from),
        "format" => Ok(Value::from(sas::format_token(
            text(input, "resource_uri")?,
            text(input, "signature")?,
            cast::<u64>(int(input, "expiry")?, "expiry")?,
        ))),
        "parse" => sas::parse_token(whole_text(input)?).map(|t| {
            json!({
                "resource_raw": t.resource_raw,
                "resource": t.resource,
                "signature": t.signature,
                "expiry": t.expiry,
                "key_name": t.key_name,
            })
        }),
        "verify" => {
            let key = text(input, "key")?;
            let now = cast::<u64>(int(input, "now")?, "now")?;
            let skew = cast::<u64>(int(input, "skew_secs")?, "skew_secs")?;
            sas::parse_token(text(input, "token")?).map(|t| {
                json!({
                    "signature_valid": sas::verify_signature(&t, key),
                    "expired": sas::is_expired(&t, now, skew),
                })
            })
        }
        _ => return unknown(op),
    })
}

fn pairs_from_json(input: &Value) -> Result<Vec<(String, Option<String>)>, String> {
    let list = input.as_array().ok_or("pairs must be an array")?;
    list.iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([Value::String(k), Value::String(v)]) => Ok((k.clone(), Some(v.clone()))),
            Some([Value::String(k), Value::Null]) => Ok((k.clone(), None)),
            _ => Err(format!("pair {pair} is not [key, value|null]")),
        })
        .collect()
}

fn pairs_to_json(pairs: Vec<(String, Option<String>)>) -> Value {
    Value::Array(pairs.into_iter().map(|(k, v)| json!([k, v])).collect())
}

fn property_bag(op: &str, input: &Value) -> Result<Outcome, String> {
    Ok(match op {
        "encode_component" => Ok(Value::from(property_bag::encode_component(whole_text(
            input,
        )?))),
        "encode" => {
            let pairs = pairs_from_json(input)?;
            Ok(Value::from(property_bag::encode(
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_deref())),
            )))
        }
        "decode" => property_bag::decode(whole_text(input)?).map(pairs_to_json),
        _ => return unknown(op),
    })
}

fn usernames(op: &str, input: &Value) -> Result<Outcome, String> {
    Ok(match op {
        "client_id" => Ok(Value::from(mqtt_identity::client_id(
            text(input, "device_id")?,
            opt_text(input, "module_id")?,
        ))),
        "build" => Ok(Value::from(mqtt_identity::username(
            text(input, "host_name")?,
            text(input, "device_id")?,
            opt_text(input, "module_id")?,
            text(input, "client_type")?,
            opt_text(input, "model_id")?,
        ))),
        "parse" => mqtt_identity::parse_username(whole_text(input)?).map(|u| {
            json!({
                "host_name": u.host_name,
                "device_id": u.device_id,
                "module_id": u.module_id,
                "api_version": u.api_version,
                "client_type": u.client_type,
                "model_id": u.model_id,
            })
        }),
        _ => return unknown(op),
    })
}

fn topics(op: &str, input: &Value) -> Result<Outcome, String> {
    let value = match op {
        "constant" => Value::from(match whole_text(input)? {
            "TWIN_RESPONSE_FILTER" => topics::TWIN_RESPONSE_FILTER,
            "TWIN_DESIRED_FILTER" => topics::TWIN_DESIRED_FILTER,
            "METHODS_FILTER" => topics::METHODS_FILTER,
            other => return Err(format!("unknown constant {other:?}")),
        }),
        "telemetry_build" => Value::from(topics::telemetry_topic(
            text(input, "device_id")?,
            opt_text(input, "module_id")?,
            text(input, "bag")?,
        )),
        "telemetry_parse" => json!(topics::parse_telemetry_topic(whole_text(input)?).map(|t| {
            json!({"device_id": t.device_id, "module_id": t.module_id, "bag": t.bag})
        })),
        "inputs_filter" => Value::from(topics::inputs_filter(
            text(input, "device_id")?,
            text(input, "module_id")?,
        )),
        "input_build" => Value::from(topics::input_topic(
            text(input, "device_id")?,
            text(input, "module_id")?,
            text(input, "input_name")?,
            text(input, "bag")?,
        )),
        "input_parse" => json!(topics::parse_input_topic(whole_text(input)?).map(|t| {
            json!({
                "device_id": t.device_id,
                "module_id": t.module_id,
                "input_name": t.input_name,
                "bag": t.bag,
            })
        })),
        "twin_get_build" => Value::from(topics::twin_get_topic(whole_text(input)?)),
        "twin_patch_reported_build" => {
            Value::from(topics::twin_patch_reported_topic(whole_text(input)?))
        }
        "twin_request_parse" => json!(topics::parse_twin_request(whole_text(input)?).map(|r| {
            match r {
                TwinRequest::Get { rid } => json!({"type": "get", "rid": rid}),
                TwinRequest::PatchReported { rid } => json!({"type": "patch_reported", "rid": rid}),
            }
        })),
        "twin_response_build" => Value::from(topics::twin_response_topic(
            cast::<u16>(int(input, "status")?, "status")?,
            text(input, "rid")?,
            field(input, "version")?.as_i64(),
        )),
        "twin_response_parse" => json!(topics::parse_twin_response(whole_text(input)?)
            .map(|r| { json!({"status": r.status, "rid": r.rid, "version": r.version}) })),
        "desired_patch_build" => Value::from(topics::desired_patch_topic(
            input.as_i64().ok_or("input is not an integer")?,
        )),
        "desired_patch_parse" => json!(topics::parse_desired_patch_topic(whole_text(input)?)
            .map(|version| json!({ "version": version }))),
        "method_request_build" => Value::from(topics::method_request_topic(
            text(input, "method_name")?,
            text(input, "rid")?,
        )),
        "method_request_parse" => json!(topics::parse_method_request(whole_text(input)?)
            .map(|r| json!({"method_name": r.method_name, "rid": r.rid}))),
        "method_response_build" => Value::from(topics::method_response_topic(
            cast::<i32>(int(input, "status")?, "status")?,
            text(input, "rid")?,
        )),
        "method_response_parse" => json!(topics::parse_method_response(whole_text(input)?)
            .map(|(status, rid)| json!({"status": status, "rid": rid}))),
        _ => return unknown(op),
    };
    Ok(Ok(value))
}

/// The optional text fields of a [`Message`], by their vector names.
fn message_fields(m: &mut Message) -> [(&'static str, &mut Option<String>); 17] {
    [
        ("output_name", &mut m.output_name),
        ("message_id", &mut m.message_id),
        ("correlation_id", &mut m.correlation_id),
        ("user_id", &mut m.user_id),
        ("content_type", &mut m.content_type),
        ("content_encoding", &mut m.content_encoding),
        ("creation_time", &mut m.creation_time),
        ("expiry_time", &mut m.expiry_time),
        ("message_schema", &mut m.message_schema),
        ("component_name", &mut m.component_name),
        ("interface_id", &mut m.interface_id),
        ("to", &mut m.to),
        ("operation", &mut m.operation),
        ("ack", &mut m.ack),
        ("connection_device_id", &mut m.connection_device_id),
        ("connection_module_id", &mut m.connection_module_id),
        ("input_name", &mut m.input_name),
    ]
}

fn message_from_json(v: &Value) -> Result<Message, String> {
    let obj = v.as_object().ok_or("message is not an object")?;
    let mut m = Message::new(obj.get("body").and_then(Value::as_str).unwrap_or_default());
    for (key, value) in obj {
        match key.as_str() {
            "body" => {}
            "properties" => {
                let props = value.as_object().ok_or("properties is not an object")?;
                for (k, v) in props {
                    let v = v.as_str().ok_or("property values must be strings")?;
                    m.properties.insert(k.clone(), v.to_string());
                }
            }
            name => {
                let value = value.as_str().ok_or(format!("{name} is not a string"))?;
                let (_, slot) = message_fields(&mut m)
                    .into_iter()
                    .find(|(n, _)| *n == name)
                    .ok_or(format!("unknown message field {name:?}"))?;
                *slot = Some(value.to_string());
            }
        }
    }
    Ok(m)
}

fn message_to_json(m: &Message) -> Value {
    let mut obj = Map::new();
    obj.insert(
        "body".into(),
        Value::from(String::from_utf8_lossy(&m.body).into_owned()),
    );
    if !m.properties.is_empty() {
        let props: BTreeMap<&String, &String> = m.properties.iter().collect();
        obj.insert("properties".into(), json!(props));
    }
    let mut copy = m.clone();
    for (name, slot) in message_fields(&mut copy) {
        if let Some(value) = slot.take() {
            obj.insert(name.into(), Value::from(value));
        }
    }
    Value::Object(obj)
}

fn messages(op: &str, input: &Value) -> Result<Outcome, String> {
    Ok(match op {
        "encode" => {
            let m = message_from_json(field(input, "message")?)?;
            Ok(Value::from(m.encode_bag(opt_text(input, "output_name")?)))
        }
        "from_bag" => property_bag::decode(text(input, "bag")?).map(|pairs| {
            let body = text(input, "body").unwrap_or_default().as_bytes().to_vec();
            message_to_json(&Message::from_bag(pairs, body))
        }),
        "validate" => {
            let mut m = message_from_json(field(input, "message")?)?;
            if let Some(repeat) = input.get("body_repeat") {
                let unit = text(repeat, "char")?;
                let count = cast::<usize>(int(repeat, "count")?, "count")?;
                m.body = unit.repeat(count).into_bytes();
            }
            m.validate().map(|()| json!({ "size": m.size() }))
        }
        _ => return unknown(op),
    })
}

#[test]
fn malformed_cases_are_rejected_not_skipped() {
    let bad = [
        json!({"name": "n", "op": "parse", "input": "HostName=h;DeviceId=d;x509=true"}),
        json!({"name": "n", "op": "parse", "input": "x", "expected": 1, "error": "CONFIG"}),
        json!({"name": "n", "op": "nope", "input": "x", "expected": 1}),
        json!({"name": "n", "op": "parse", "input": "x", "error": "NO_SUCH_KIND"}),
        json!({"name": "n", "op": "parse", "input": "x", "error": "CONFIG", "extra": 1}),
        json!({"op": "parse", "input": "x", "error": "CONFIG"}),
        json!({"name": "n", "op": "parse", "error": "CONFIG"}),
        json!({"name": "n", "op": "parse", "input": "", "error": "CONFIG", "error_contains": "zzz"}),
        json!({"name": "n", "op": "parse", "input": "", "error": "UNAUTHORIZED"}),
    ];
    for case in bad {
        assert!(run_case(connection_strings, &case).is_err(), "{case}");
    }
    let good = json!({"name": "n", "op": "parse", "input": "", "error": "CONFIG", "error_contains": "HostName"});
    assert_eq!(run_case(connection_strings, &good), Ok(()));
}
