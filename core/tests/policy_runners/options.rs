//! `options.json`: the option table, `set`, `apply_json`, environment overrides, trust.

use std::collections::HashMap;

use edgemodule::options::{spec, TrustSource};
use edgemodule::{ClientOptions, OptionKind, OptionValue, CA_FILE_VAR, OPTIONS};
use serde_json::{json, Value};

use super::{unknown, Outcome};

fn field<'a>(input: &'a Value, key: &str) -> Result<&'a Value, String> {
    input
        .get(key)
        .ok_or_else(|| format!("input has no {key:?}"))
}

fn env_map(input: &Value) -> Result<HashMap<String, String>, String> {
    let obj = field(input, "env")?
        .as_object()
        .ok_or("env is not an object")?;
    obj.iter()
        .map(|(k, v)| {
            v.as_str()
                .map(|v| (k.clone(), v.to_string()))
                .ok_or_else(|| format!("env {k} is not a string"))
        })
        .collect()
}

/// Options from the case's `options` object (a malformed one is a malformed case).
fn options_of(input: &Value) -> Result<ClientOptions, String> {
    ClientOptions::from_json(field(input, "options")?).map_err(|e| format!("case options: {e}"))
}

fn spec_json(name: &str) -> Value {
    let Some(s) = spec(name) else {
        return Value::Null;
    };
    let (kind, min, max) = match s.kind {
        OptionKind::Integer { min, max } => ("integer", json!(min), json!(max)),
        OptionKind::Number { min, max } => ("number", json!(min), json!(max)),
        OptionKind::Text => ("text", Value::Null, Value::Null),
    };
    let default = ClientOptions::default()
        .get(s.name)
        .map_or(Value::Null, |v| v.to_json());
    json!({"name": s.name, "type": kind, "min": min, "max": max, "unit": s.unit, "env": s.env, "default": default})
}

/// `options.json`.
pub fn options(op: &str, input: &Value) -> Result<Outcome, String> {
    Ok(match op {
        "names" => Ok(json!(OPTIONS.map(|s| s.name))),
        "defaults" => Ok(ClientOptions::default().to_json()),
        "spec" => Ok(spec_json(input.as_str().ok_or("input is not a string")?)),
        "set" => {
            let name = field(input, "name")?
                .as_str()
                .ok_or("name is not a string")?;
            let mut o = ClientOptions::default();
            OptionValue::from_json(name, field(input, "value")?)
                .and_then(|v| o.set(name, v))
                .and_then(|()| o.get(name))
                .map(|v| v.to_json())
        }
        "apply_json" => ClientOptions::from_json(input).map(|o| o.to_json()),
        "resolve_ports" => {
            let env = env_map(input)?;
            options_of(input)?
                .with_environment(&move |k: &str| env.get(k).cloned())
                .map(|o| {
                    let (mqtt, https) = o.gateway_ports();
                    json!({"mqtt_port": mqtt, "https_port": https})
                })
        }
        "trust" => {
            let env = env_map(input)?;
            let workload = match field(input, "source")?.as_str() {
                Some("workload") => true,
                Some("connection_string") => false,
                _ => return Err("source must be workload or connection_string".into()),
            };
            options_of(input)?
                .trust_source(workload, env.get(CA_FILE_VAR).cloned())
                .map(|t| match t {
                    TrustSource::Pem(_) => json!({"from": "trust_bundle_pem", "path": null}),
                    TrustSource::Workload => json!({"from": "workload", "path": null}),
                    TrustSource::File { path, what } => {
                        let from = what.split(' ').next().unwrap_or_default().to_string();
                        json!({"from": from, "path": path})
                    }
                })
        }
        _ => return unknown(op),
    })
}
