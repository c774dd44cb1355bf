//! The one table of client options: canonical names, types, units, valid ranges and
//! environment overrides. Every binding maps its host options onto these names; the
//! core validates with one set of messages (`tests/vectors/options.json` holds the same
//! data for the bindings' tests).

use crate::connection::mqtt_options::INFLIGHT_RESERVE;

/// The type and valid range of an option's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptionKind {
    /// A whole number between `min` and `max` (inclusive), in the option's unit.
    Integer {
        /// Smallest valid value.
        min: i64,
        /// Largest valid value.
        max: i64,
    },
    /// A number between `min` and `max` (inclusive).
    Number {
        /// Smallest valid value.
        min: f64,
        /// Largest valid value.
        max: f64,
    },
    /// Text; its specific rule is in the option's description.
    Text,
}

/// One option: everything a binding needs to map, document and test it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionSpec {
    /// The canonical name (`snake_case`, unit suffix where the value has one).
    pub name: &'static str,
    /// Type and range.
    pub kind: OptionKind,
    /// `"ms"`, `"s"`, `"%"`, or `None` for unit-less values.
    pub unit: Option<&'static str>,
    /// The environment variable used when the option is unset, if any.
    pub env: Option<&'static str>,
    /// What it does, its default and its rule, for documentation.
    pub description: &'static str,
}

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
const YEAR_S: i64 = 365 * 86_400;

const fn int(min: i64, max: i64) -> OptionKind {
    OptionKind::Integer { min, max }
}

/// Every option, in documentation order.
pub const OPTIONS: [OptionSpec; 18] = [
    OptionSpec {
        name: "mqtt_port",
        kind: int(1, 65_535),
        unit: None,
        env: Some(super::MQTT_PORT_VAR),
        description: "The gateway's MQTT-over-TLS port. Unset: EDGEMODULE_MQTT_PORT, else 8883.",
    },
    OptionSpec {
        name: "https_port",
        kind: int(1, 65_535),
        unit: None,
        env: Some(super::HTTPS_PORT_VAR),
        description: "The gateway's HTTPS port (invoke_method). Unset: EDGEMODULE_HTTPS_PORT, \
                      else 443.",
    },
    OptionSpec {
        name: "operation_timeout_ms",
        kind: int(1, DAY_MS),
        unit: Some("ms"),
        env: None,
        description: "Upper bound of every operation (connect, send, twin, method response, \
                      invoke). Default 30000.",
    },
    OptionSpec {
        name: "keep_alive_secs",
        kind: int(1, 1_767),
        unit: Some("s"),
        env: None,
        description: "MQTT keep-alive. Default 60; IoT Hub's maximum is 1767.",
    },
    OptionSpec {
        name: "sas_ttl_secs",
        kind: int(1, YEAR_S),
        unit: Some("s"),
        env: None,
        description: "Lifetime of each SAS token the client signs. Default 3600.",
    },
    OptionSpec {
        name: "sas_renewal_percent",
        kind: int(50, 95),
        unit: Some("%"),
        env: None,
        description: "When to reconnect with a fresh SAS token, in percent of its lifetime. \
                      Default 80.",
    },
    OptionSpec {
        name: "max_inflight",
        kind: int(1, (u16::MAX - INFLIGHT_RESERVE) as i64),
        unit: None,
        env: None,
        description: "Most QoS 1 publishes awaiting the hub's acknowledgement at once. \
                      Default 100.",
    },
    OptionSpec {
        name: "redelivery_delay_ms",
        kind: int(0, HOUR_MS),
        unit: Some("ms"),
        env: None,
        description: "The wait before a failed handler is called again with the same item \
                      (or an abandoned stream message is delivered again); doubles per \
                      retry. Default 500.",
    },
    OptionSpec {
        name: "handler_attempts",
        kind: int(1, 10),
        unit: None,
        env: None,
        description: "Calls of an input, desired-properties or topic handler per item before \
                      the item is acknowledged, dropped and reported (HANDLER_FAILED). \
                      Default 4.",
    },
    OptionSpec {
        name: "retry_initial_delay_ms",
        kind: int(1, HOUR_MS),
        unit: Some("ms"),
        env: None,
        description: "Reconnect backoff: delay before the first retry. Default 100.",
    },
    OptionSpec {
        name: "retry_max_delay_ms",
        kind: int(1, HOUR_MS),
        unit: Some("ms"),
        env: None,
        description: "Reconnect backoff: upper bound of any delay; not below \
                      retry_initial_delay_ms. Default 10000.",
    },
    OptionSpec {
        name: "retry_multiplier",
        kind: OptionKind::Number {
            min: 1.0,
            max: 10.0,
        },
        unit: None,
        env: None,
        description: "Reconnect backoff: growth factor per attempt. Default 2.",
    },
    OptionSpec {
        name: "retry_jitter",
        kind: OptionKind::Number { min: 0.0, max: 1.0 },
        unit: None,
        env: None,
        description: "Reconnect backoff: fraction of each delay that may be randomly taken \
                      off. Default 0.2.",
    },
    OptionSpec {
        name: "retry_give_up_after_ms",
        kind: int(1, YEAR_S * 1_000),
        unit: Some("ms"),
        env: None,
        description: "Stop reconnecting once disconnected this long (status DISCONNECTED / \
                      RETRY_EXPIRED, pending operations fail with CONNECTION). Unset (null): \
                      never give up.",
    },
    OptionSpec {
        name: "trust_bundle_pem",
        kind: OptionKind::Text,
        unit: None,
        env: None,
        description: "PEM certificates to trust for the gateway (parsed when the client is \
                      built: CONFIG if it holds no usable certificate). Unset: \
                      trust_bundle_file, else the workload API's bundle or the \
                      EdgeModuleCACertificateFile file.",
    },
    OptionSpec {
        name: "trust_bundle_file",
        kind: OptionKind::Text,
        unit: None,
        env: None,
        description: "Path of a PEM file to trust, read when the client is built (CONFIG if \
                      unreadable). Used when trust_bundle_pem is unset.",
    },
    OptionSpec {
        name: "product_info",
        kind: OptionKind::Text,
        unit: None,
        env: None,
        description: "Appended to the client type in the MQTT user name; no control \
                      characters. Unset: none.",
    },
    OptionSpec {
        name: "model_id",
        kind: OptionKind::Text,
        unit: None,
        env: None,
        description: "Digital-twin model id; must start with 'dtmi:' and hold no whitespace. \
                      Unset: none.",
    },
];

/// The option called `name`, if there is one.
pub fn spec(name: &str) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|s| s.name == name)
}
