//! IoT Edge 1.2 MQTT broker authorization policy (protocol.md §9), plus MQTT topic-filter
//! matching shared with the broker's subscriptions.
//!
//! Evaluation follows the 1.2 broker: edgeHub turns each statement into its deny rules
//! followed by its allow rules, keeping statement order; the first rule that matches the
//! identity, the operation and the resource decides; nothing matching means deny. So within
//! a statement deny beats allow, and an earlier statement beats a later one.
//!
//! Matching details: identities are compared exactly after variable substitution; a rule
//! with `mqtt:connect` matches a CONNECT whatever its resources; a PUBLISH topic must match
//! one of the rule's filters; a SUBSCRIBE filter must be covered by one of them
//! ([`filter_covers`]), so `alerts/#` allows subscribing to `alerts/+` but `alerts/+` does
//! not allow `alerts/#`.

mod parse;
mod topic;
mod variables;

pub use topic::{filter_covers, is_valid_filter, is_valid_topic, topic_matches};

use variables::Bindings;

/// An MQTT operation subject to authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `mqtt:connect`
    Connect,
    /// `mqtt:publish`
    Publish,
    /// `mqtt:subscribe`
    Subscribe,
}

impl Operation {
    /// The policy name, e.g. `mqtt:publish`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Connect => "mqtt:connect",
            Operation::Publish => "mqtt:publish",
            Operation::Subscribe => "mqtt:subscribe",
        }
    }

    /// Parses a policy name (exact, as the broker does).
    pub fn from_name(name: &str) -> Option<Operation> {
        [Operation::Connect, Operation::Publish, Operation::Subscribe]
            .into_iter()
            .find(|op| op.name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

/// One allow or deny rule of a statement.
#[derive(Debug, Clone)]
struct Rule {
    effect: Effect,
    identities: Vec<String>,
    operations: Vec<Operation>,
    resources: Vec<String>,
}

/// An authorization policy. The default (empty) policy denies everything.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    rules: Vec<Rule>,
    this_device_id: Option<String>,
}

impl Policy {
    /// From `$edgeHub.properties.desired.mqttBroker.authorizations` (a JSON array). Errors
    /// name the JSON path, e.g. `authorizations[1].allow[0].resources: required`; several
    /// problems are joined with `; `.
    pub fn from_json(v: &serde_json::Value) -> Result<Policy, String> {
        Ok(Policy {
            rules: parse::parse_rules(v)?,
            this_device_id: None,
        })
    }

    /// Sets the edge device id used for `{{iot:this_device_id}}`. Without it, the
    /// requesting client's device id is used (right for every module on this device).
    pub fn with_this_device_id(mut self, device_id: impl Into<String>) -> Policy {
        self.this_device_id = Some(device_id.into());
        self
    }

    /// True if the policy has no rules (everything is denied).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// identity = "{hub}/{d}/{m}", client_id = "{d}/{m}"; resource = topic (publish) or
    /// topic filter (subscribe), "" for connect. Default deny; see the module docs for the
    /// order in which rules apply.
    pub fn is_allowed(
        &self,
        identity: &str,
        client_id: &str,
        device_id: &str,
        module_id: &str,
        op: Operation,
        resource: &str,
    ) -> bool {
        let bindings = Bindings {
            identity,
            device_id,
            module_id,
            client_id,
            this_device_id: self.this_device_id.as_deref().unwrap_or(device_id),
        };
        let decision = self.rules.iter().find(|rule| {
            rule.operations.contains(&op)
                && rule
                    .identities
                    .iter()
                    .any(|i| bindings.substitute(i) == identity)
                && resource_matches(rule, op, resource, &bindings)
        });
        decision.is_some_and(|rule| rule.effect == Effect::Allow)
    }
}

fn resource_matches(rule: &Rule, op: Operation, resource: &str, bindings: &Bindings<'_>) -> bool {
    op == Operation::Connect
        || rule.resources.iter().any(|r| {
            let filter = bindings.substitute(r);
            if op == Operation::Publish {
                topic_matches(&filter, resource)
            } else {
                filter_covers(&filter, resource)
            }
        })
}
