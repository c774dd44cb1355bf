//! `$edgeHub.properties.desired.mqttBroker.bridges` (IoT Edge 1.2 broker, schema ≥ 1.2):
//! which user topics travel between this hub and its parent, and how their names change.
//!
//! Semantics of Azure/iotedge tag `1.2.10`, `mqtt/mqtt-bridge` (`settings.rs`: `TopicRule`,
//! `subscribe_to`; `messages.rs`: `StoreMqttEventHandler::transform`; `bridge.rs`: forwards =
//! `out`+`both` rules on the local broker, subscriptions = `in`+`both` rules on the parent):
//! a rule subscribes to `inPrefix + topic` on the side the messages come **from** (this hub
//! for `out`, the parent for `in`), strips `inPrefix` from a received topic and publishes it
//! with `outPrefix` in front on the side they go **to**. The IoT Edge docs describe
//! `inPrefix` as the local and `outPrefix` as the remote prefix, which is what the code does
//! for `out`; for `in` the code applies them the other way round, and so does this hub.
//! Validation follows edgeHub's `BrokerPropertiesValidator.ValidateBridgeConfig` (tag 1.2.10,
//! `Hub.Core/config/BrokerConfigValidator.cs`) plus what the edgemodule client refuses.

use serde_json::Value;

use super::json::{join, At};
use super::ManifestError;
use crate::authz::is_valid_filter;

/// The only endpoint the 1.2 broker bridges to: the parent device (edgeHub's validator
/// compares it case-insensitively).
pub const UPSTREAM: &str = "$upstream";

/// Which way a bridge rule carries messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BridgeDirection {
    /// From the parent to this hub.
    In,
    /// From this hub to the parent.
    Out,
    /// Both ways (the same rule applied as `in` and as `out`).
    Both,
}

/// One `settings` entry of the `$upstream` bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeRule {
    /// `direction`.
    pub direction: BridgeDirection,
    /// `topic`: the topic filter, without prefixes.
    pub topic: String,
    /// `inPrefix` ("" when absent): in front of `topic` where the rule subscribes.
    pub in_prefix: String,
    /// `outPrefix` ("" when absent): in front of the stripped topic where it publishes.
    pub out_prefix: String,
}

impl BridgeRule {
    /// True when the rule forwards this hub's messages to the parent.
    pub fn is_out(&self) -> bool {
        matches!(self.direction, BridgeDirection::Out | BridgeDirection::Both)
    }

    /// True when the rule brings the parent's messages to this hub.
    pub fn is_in(&self) -> bool {
        matches!(self.direction, BridgeDirection::In | BridgeDirection::Both)
    }

    /// `inPrefix + topic`: the filter the rule subscribes to (on this hub for `out`, on the
    /// parent for `in`).
    pub fn source_filter(&self) -> String {
        format!("{}{}", self.in_prefix, self.topic)
    }

    /// The topic a message received on `topic` is published on at the other side:
    /// `outPrefix` + `topic` without `inPrefix`. `None` when `topic` does not match the rule,
    /// or the result would be empty (the 1.2 bridge drops such messages with a warning).
    pub fn map(&self, topic: &str) -> Option<String> {
        if !crate::authz::topic_matches(&self.source_filter(), topic) {
            return None;
        }
        let rest = topic.strip_prefix(self.in_prefix.as_str())?;
        let mapped = format!("{}{rest}", self.out_prefix);
        (!mapped.is_empty()).then_some(mapped)
    }
}

/// `mqttBroker.bridges` (absent or null: none). Only `$upstream`, at most once.
pub(crate) fn parse(broker: At<'_, '_>) -> Result<Vec<BridgeRule>, ManifestError> {
    let value = match broker.object()?.get("bridges") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(v) => v,
    };
    let path = join(broker.path, "bridges");
    let Value::Array(bridges) = value else {
        return Err(ManifestError::new(
            &path,
            format!("must be an array, found {}", super::json::kind(value)),
        ));
    };
    let mut rules = Vec::new();
    let mut seen_upstream = false;
    for (i, bridge) in bridges.iter().enumerate() {
        let bridge_path = format!("{path}[{i}]");
        let at = At {
            value: bridge,
            path: &bridge_path,
        };
        let obj = at.object()?;
        let endpoint_path = join(&bridge_path, "endpoint");
        let endpoint = match obj.get("endpoint") {
            Some(v) => At {
                value: v,
                path: &endpoint_path,
            }
            .str()?,
            None => return Err(ManifestError::new(endpoint_path, "is required but missing")),
        };
        if !endpoint.eq_ignore_ascii_case(UPSTREAM) {
            return Err(ManifestError::new(
                endpoint_path,
                format!("bridge endpoint '{endpoint}' is not supported: IoT Edge bridges only to the parent device, '$upstream'"),
            ));
        }
        if seen_upstream {
            return Err(ManifestError::new(
                endpoint_path,
                "a second $upstream bridge; put all its rules in one settings list",
            ));
        }
        seen_upstream = true;
        let settings_path = join(&bridge_path, "settings");
        let settings = match obj.get("settings") {
            Some(Value::Array(list)) => list,
            Some(other) => {
                return Err(ManifestError::new(
                    settings_path,
                    format!("must be an array, found {}", super::json::kind(other)),
                ))
            }
            None => return Err(ManifestError::new(settings_path, "is required but missing")),
        };
        for (j, setting) in settings.iter().enumerate() {
            let rule_path = format!("{settings_path}[{j}]");
            rules.push(parse_rule(At {
                value: setting,
                path: &rule_path,
            })?);
        }
    }
    Ok(rules)
}

fn parse_rule(at: At<'_, '_>) -> Result<BridgeRule, ManifestError> {
    let obj = at.object()?;
    let text = |key: &str, required: bool| -> Result<Option<String>, ManifestError> {
        let path = join(at.path, key);
        match obj.get(key) {
            None | Some(Value::Null) if required => {
                Err(ManifestError::new(path, "is required but missing"))
            }
            None | Some(Value::Null) => Ok(None),
            Some(v) => At {
                value: v,
                path: &path,
            }
            .str()
            .map(|s| Some(s.to_string())),
        }
    };
    let direction_path = join(at.path, "direction");
    let direction = match text("direction", true)?.as_deref() {
        Some("in") => BridgeDirection::In,
        Some("out") => BridgeDirection::Out,
        Some("both") => BridgeDirection::Both,
        other => {
            return Err(ManifestError::new(
                direction_path,
                format!(
                    "'{}' is not a direction (in, out or both)",
                    other.unwrap_or_default()
                ),
            ))
        }
    };
    let rule = BridgeRule {
        direction,
        topic: text("topic", true)?.unwrap_or_default(),
        in_prefix: text("inPrefix", false)?.unwrap_or_default(),
        out_prefix: text("outPrefix", false)?.unwrap_or_default(),
    };
    for (key, prefix) in [
        ("inPrefix", &rule.in_prefix),
        ("outPrefix", &rule.out_prefix),
    ] {
        if prefix.contains(['+', '#']) {
            return Err(ManifestError::new(
                join(at.path, key),
                format!("'{prefix}' must not contain wildcards (+, #)"),
            ));
        }
        if is_reserved(prefix) {
            return Err(ManifestError::new(
                join(at.path, key),
                format!(
                    "'{prefix}' starts a reserved topic ($…, devices/…); bridges carry user topics"
                ),
            ));
        }
    }
    let filter = rule.source_filter();
    let topic_path = join(at.path, "topic");
    if !is_valid_filter(&filter) {
        return Err(ManifestError::new(
            topic_path,
            format!("'{filter}' (inPrefix + topic) is not a valid MQTT topic filter"),
        ));
    }
    if is_reserved(&filter) {
        return Err(ManifestError::new(
            topic_path,
            format!("'{filter}' covers reserved topics ($…, devices/…); bridges carry user topics"),
        ));
    }
    if rule.is_in() && (filter.starts_with('#') || filter.starts_with('+')) {
        // The subscription on the parent would cover the IoT Hub topics of the link.
        return Err(ManifestError::new(
            topic_path,
            format!("'{filter}' is subscribed on the parent and would cover the IoT Hub topics (devices/…) there; start it with a topic level"),
        ));
    }
    Ok(rule)
}

fn is_reserved(topic: &str) -> bool {
    topic.starts_with('$') || topic.starts_with("devices/") || topic == "devices"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(direction: BridgeDirection, topic: &str, inp: &str, outp: &str) -> BridgeRule {
        BridgeRule {
            direction,
            topic: topic.into(),
            in_prefix: inp.into(),
            out_prefix: outp.into(),
        }
    }

    #[test]
    fn mapping_follows_the_1_2_bridge() {
        // tests/integration.rs of mqtt-bridge at 1.2.10: out temp/# to/ -> upstream/.
        let out = rule(BridgeDirection::Out, "temp/#", "to/", "upstream/");
        assert_eq!(out.source_filter(), "to/temp/#");
        assert_eq!(out.map("to/temp/1").as_deref(), Some("upstream/temp/1"));
        assert_eq!(out.map("temp/1"), None);
        // in filter/#: subscribed on the parent as to/filter/#, published here as downstream/….
        let inward = rule(BridgeDirection::In, "filter/#", "to/", "downstream/");
        assert_eq!(inward.source_filter(), "to/filter/#");
        assert_eq!(
            inward.map("to/filter/1").as_deref(),
            Some("downstream/filter/1")
        );
        // The docs' example: out # /local/telemetry/ -> /remote/messages/.
        let docs = rule(
            BridgeDirection::Out,
            "#",
            "/local/telemetry/",
            "/remote/messages/",
        );
        assert_eq!(
            docs.map("/local/telemetry/t1").as_deref(),
            Some("/remote/messages/t1")
        );
        // No prefixes: the same topic on both sides.
        let plain = rule(BridgeDirection::Both, "alerts/#", "", "");
        assert_eq!(plain.map("alerts/fire").as_deref(), Some("alerts/fire"));
        assert!(plain.is_in() && plain.is_out());
    }

    #[test]
    fn an_empty_mapped_topic_is_dropped() {
        // `local/messages/#` also matches `local/messages` itself, which has no `inPrefix`.
        let r = rule(BridgeDirection::Out, "#", "local/messages/", "");
        assert_eq!(r.map("local/messages"), None);
        let r = rule(BridgeDirection::Out, "+", "a/", "");
        assert_eq!(r.map("a/"), None);
    }
}
