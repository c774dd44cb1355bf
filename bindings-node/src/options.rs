//! Client options from JavaScript: each camelCase field is translated to the core's option
//! name (`operationTimeoutMs` → `operation_timeout_ms`, `retry.maxDelayMs` →
//! `retry_max_delay_ms`, `caFile` → `trust_bundle_file`) and handed to
//! `ClientOptions::set`. Every check, range, default and environment fallback is the core's;
//! an error names the JavaScript field and the core option.

use std::collections::HashMap;

use edgemodule::{ClientBuilder, ClientOptions, Error, OptionValue, OPTIONS};
use napi_derive::napi;
use serde_json::Value;

use crate::error::to_napi;
use crate::names::{camel, snake};

/// Node's names that are not the camelCase of a core name (azure-iot-device's `ca`).
const ALIASES: [(&str, &str); 2] = [("ca", "trust_bundle_pem"), ("caFile", "trust_bundle_file")];

/// The nested `retry: { initialDelayMs, … }` object: its fields are `retry_…` options.
const RETRY_GROUP: &str = "retry";

/// The core option a JavaScript field names (an unknown field becomes its snake_case form,
/// which the core refuses as an unknown option).
fn core_name(field: &str) -> String {
    if let Some((_, name)) = ALIASES.iter().find(|(js, _)| *js == field) {
        return (*name).to_string();
    }
    OPTIONS
        .iter()
        .find(|spec| camel(spec.name) == field)
        .map_or_else(|| snake(field), |spec| spec.name.to_string())
}

fn set(options: &mut ClientOptions, field: &str, value: &Value) -> edgemodule::Result<()> {
    let name = core_name(field);
    let named = |e: Error| {
        if field == name {
            e
        } else {
            Error::new(e.kind(), format!("{field}: {}", e.message()))
        }
    };
    let value = OptionValue::from_json(&name, value).map_err(named)?;
    options.set(&name, value).map_err(named)
}

/// The core's options for the JavaScript options object (`null`: the defaults).
pub fn client_options(js: Option<&Value>) -> edgemodule::Result<ClientOptions> {
    let mut options = ClientOptions::default();
    let map = match js {
        None | Some(Value::Null) => return Ok(options),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(Error::invalid_argument(format!(
                "options must be an object, not {other}"
            )))
        }
    };
    for (field, value) in map {
        match (field.as_str(), value) {
            (RETRY_GROUP, Value::Null) => {}
            (RETRY_GROUP, Value::Object(retry)) => {
                for (inner, value) in retry {
                    set(
                        &mut options,
                        &format!("{RETRY_GROUP}{}", upper_first(inner)),
                        value,
                    )?;
                }
            }
            (RETRY_GROUP, other) => {
                return Err(Error::invalid_argument(format!(
                    "option retry must be an object, not {other}"
                )))
            }
            _ => set(&mut options, field, value)?,
        }
    }
    options.validate()?;
    Ok(options)
}

fn upper_first(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A builder with `options`, reading variables from `env` (`IOTEDGE_*`,
/// `EdgeHubConnectionString`, `EDGEMODULE_*`, `EdgeModuleCACertificateFile`).
pub fn builder(options: ClientOptions, env: HashMap<String, String>) -> ClientBuilder {
    ClientBuilder::new()
        .options(options)
        .env_lookup(move |name| env.get(name).cloned())
}

/// Every option after applying the JavaScript options object to the defaults, as
/// `{core_name: value}` (`ClientOptions::to_json`): how the tests check the translation
/// against `tests/vectors/options.json`.
#[napi(catch_unwind)]
pub fn resolve_options(options: Option<Value>) -> napi::Result<Value> {
    client_options(options.as_ref())
        .map(|o| o.to_json())
        .map_err(to_napi)
}
