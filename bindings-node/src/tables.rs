//! The core's tables, as JavaScript reads them: error codes (name, description,
//! transience), connection states and status reasons, system properties and client options.
//! The JavaScript wrapper builds its error classes, `ErrorCode`, status names, message fields
//! and option names from these instead of keeping copies.

use edgemodule::{
    ClientOptions, ConnectionState, OptionKind, StatusReason, SystemProperty, CODES, OPTIONS,
};
use napi_derive::napi;
use serde_json::Value;

use crate::names::camel;

/// One row of the error table.
#[napi(object)]
pub struct ErrorInfo {
    /// The stable number (`OK` is 0).
    pub code: i32,
    /// The stable name, e.g. `MESSAGE_TOO_LARGE` (the JavaScript `err.code`).
    pub name: String,
    /// The one description of the code.
    pub description: String,
    /// True when retrying the same operation later may succeed.
    pub transient: bool,
}

/// Every result code, `OK` first, indexed by code (`edgemodule::CODES`).
#[napi]
pub fn error_table() -> Vec<ErrorInfo> {
    CODES
        .iter()
        .map(|c| ErrorInfo {
            code: c.code,
            name: c.name.to_string(),
            description: c.description.to_string(),
            transient: c.transient,
        })
        .collect()
}

/// One connection state or status reason.
#[napi(object)]
pub struct StatusName {
    /// The stable number.
    pub code: i32,
    /// The core's name, e.g. `DISCONNECTED_RETRYING`.
    pub name: String,
    /// The JavaScript name, e.g. `disconnectedRetrying`.
    pub js_name: String,
    /// What it means.
    pub description: String,
}

fn status_name(info: &edgemodule::StatusInfo) -> StatusName {
    StatusName {
        code: info.code,
        name: info.name.to_string(),
        js_name: camel(info.name),
        description: info.description.to_string(),
    }
}

/// Every connection state, in code order (`edgemodule::STATES`).
#[napi]
pub fn connection_states() -> Vec<StatusName> {
    edgemodule::STATES.iter().map(status_name).collect()
}

/// Every status reason, in code order (`edgemodule::REASONS`).
#[napi]
pub fn status_reasons() -> Vec<StatusName> {
    edgemodule::REASONS.iter().map(status_name).collect()
}

/// The JavaScript name of a connection state.
pub fn state_js_name(state: ConnectionState) -> String {
    camel(state.name())
}

/// The JavaScript name of a status reason.
pub fn reason_js_name(reason: StatusReason) -> String {
    camel(reason.name())
}

/// One system property of a message.
#[napi(object)]
pub struct SystemPropertyInfo {
    /// The stable code.
    pub code: i32,
    /// The core's name, e.g. `message_id` (the key in `NativeMessage.system`).
    pub name: String,
    /// Its camelCase form, e.g. `messageId`.
    pub js_name: String,
    /// The property-bag key, e.g. `$.mid` (`null`: not in the bag).
    pub wire_key: Option<String>,
    /// `text` or `timestamp` (ISO 8601 UTC text).
    pub value_type: String,
    /// True when only the hub sets it.
    pub received_only: bool,
}

/// Every system property, in code order (`edgemodule::SYSTEM_PROPERTIES`).
#[napi]
pub fn system_properties() -> Vec<SystemPropertyInfo> {
    SystemProperty::ALL
        .iter()
        .map(|p| {
            let info = p.info();
            SystemPropertyInfo {
                code: p.code(),
                name: info.name.to_string(),
                js_name: camel(info.name),
                wire_key: info.wire_key.map(str::to_string),
                value_type: info.value_type.name().to_string(),
                received_only: info.received_only,
            }
        })
        .collect()
}

/// One client option.
#[napi(object)]
pub struct OptionInfo {
    /// The core's name, e.g. `operation_timeout_ms`.
    pub name: String,
    /// The JavaScript option name, e.g. `operationTimeoutMs`.
    pub js_name: String,
    /// `integer`, `number` or `text`.
    pub value_type: String,
    /// Smallest valid value (numbers only).
    pub min: Option<f64>,
    /// Largest valid value (numbers only).
    pub max: Option<f64>,
    /// `ms`, `s`, `%` or `null`.
    pub unit: Option<String>,
    /// The environment variable used when unset.
    pub env: Option<String>,
    /// The default (`null`: unset).
    pub default_value: Value,
    /// What it does.
    pub description: String,
}

/// Every client option, in table order (`edgemodule::OPTIONS`).
#[napi]
pub fn option_table() -> Vec<OptionInfo> {
    let defaults = ClientOptions::default();
    OPTIONS
        .iter()
        .map(|spec| {
            let (value_type, min, max) = match spec.kind {
                // The table's bounds are far below 2^53: exact as JavaScript numbers.
                OptionKind::Integer { min, max } => ("integer", Some(min as f64), Some(max as f64)),
                OptionKind::Number { min, max } => ("number", Some(min), Some(max)),
                OptionKind::Text => ("text", None, None),
            };
            OptionInfo {
                name: spec.name.to_string(),
                js_name: camel(spec.name),
                value_type: value_type.to_string(),
                min,
                max,
                unit: spec.unit.map(str::to_string),
                env: spec.env.map(str::to_string),
                default_value: defaults.get(spec.name).map_or(Value::Null, |v| v.to_json()),
                description: spec.description.to_string(),
            }
        })
        .collect()
}
