//! Which topics a module may publish to and subscribe to (hub-interfaces "Authorization"):
//! its own IoT Hub topics always, anything else only through the broker policy.

use edgemodule::protocol::topics;

/// What a subscription filter is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionKind {
    /// The module's own inputs (`devices/{d}/modules/{m}/#` or `…/inputs/#`).
    Inputs,
    /// `$iothub/twin/res/#`.
    TwinResponses,
    /// `$iothub/twin/PATCH/properties/desired/#`.
    TwinDesired,
    /// `$iothub/methods/POST/#`.
    Methods,
    /// A user-defined topic filter (allowed by the policy).
    User,
}

/// Where a PUBLISH goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishTarget<'a> {
    /// The module's own telemetry/output topic; `bag` is the raw property bag.
    Telemetry {
        /// Still-encoded property bag (possibly empty).
        bag: &'a str,
    },
    /// `$iothub/twin/…` request.
    Twin,
    /// `$iothub/methods/res/…` response.
    MethodResponse,
    /// A user-defined topic; the caller asks the policy.
    User,
    /// Never allowed; the reason is logged.
    Refused(&'static str),
}

/// Classifies a publish from module `{device_id}/{module_id}`.
pub fn classify_publish<'a>(topic: &'a str, device_id: &str, module_id: &str) -> PublishTarget<'a> {
    if topic.is_empty() || topic.contains(['+', '#', '\0']) {
        return PublishTarget::Refused("invalid topic name");
    }
    if topic.starts_with("devices/") {
        return match topics::parse_telemetry_topic(topic) {
            Some(t) if t.device_id == device_id && t.module_id == Some(module_id) => {
                PublishTarget::Telemetry { bag: t.bag }
            }
            Some(_) => PublishTarget::Refused("telemetry topic of another identity"),
            None => PublishTarget::Refused("not a telemetry topic"),
        };
    }
    if topic.starts_with("$iothub/twin/") {
        return PublishTarget::Twin;
    }
    if topic.starts_with("$iothub/methods/res/") {
        return PublishTarget::MethodResponse;
    }
    if topic.starts_with('$') {
        return PublishTarget::Refused("reserved topic");
    }
    PublishTarget::User
}

/// Classifies a subscription filter from module `{device_id}/{module_id}`; `None` means
/// refused outright (another identity's or a reserved topic, or a malformed filter).
/// `Some(User)` still needs the policy's consent.
pub fn classify_subscribe(
    filter: &str,
    device_id: &str,
    module_id: &str,
) -> Option<SubscriptionKind> {
    match filter {
        topics::TWIN_RESPONSE_FILTER => return Some(SubscriptionKind::TwinResponses),
        topics::TWIN_DESIRED_FILTER => return Some(SubscriptionKind::TwinDesired),
        topics::METHODS_FILTER => return Some(SubscriptionKind::Methods),
        _ => {}
    }
    if is_own_inputs_filter(filter, device_id, module_id) {
        return Some(SubscriptionKind::Inputs);
    }
    if filter.starts_with("devices/") || filter.starts_with('$') || !is_valid_filter(filter) {
        return None;
    }
    Some(SubscriptionKind::User)
}

/// `devices/{d}/modules/{m}/#` or `devices/{d}/modules/{m}/inputs/#` (case-sensitive ids).
fn is_own_inputs_filter(filter: &str, device_id: &str, module_id: &str) -> bool {
    let rest = filter
        .strip_prefix("devices/")
        .and_then(|r| r.strip_prefix(device_id))
        .and_then(|r| r.strip_prefix("/modules/"))
        .and_then(|r| r.strip_prefix(module_id));
    matches!(rest, Some("/#") | Some("/inputs/#"))
}

/// MQTT filter syntax: `#` only as the whole last level, `+` only as a whole level.
pub fn is_valid_filter(filter: &str) -> bool {
    if filter.is_empty() || filter.contains('\0') {
        return false;
    }
    let levels: Vec<&str> = filter.split('/').collect();
    let last = levels.len() - 1;
    levels.iter().enumerate().all(|(i, level)| match *level {
        "#" => i == last,
        "+" => true,
        l => !l.contains(['+', '#']),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_classification() {
        let c = |f| classify_subscribe(f, "dev", "a");
        assert_eq!(c("devices/dev/modules/a/#"), Some(SubscriptionKind::Inputs));
        assert_eq!(
            c("devices/dev/modules/a/inputs/#"),
            Some(SubscriptionKind::Inputs)
        );
        assert_eq!(c("devices/dev/modules/b/inputs/#"), None);
        assert_eq!(c("devices/dev/modules/A/inputs/#"), None);
        assert_eq!(c("devices/dev/modules/a/inputs/x"), None);
        assert_eq!(
            c("$iothub/twin/res/#"),
            Some(SubscriptionKind::TwinResponses)
        );
        assert_eq!(
            c("$iothub/twin/PATCH/properties/desired/#"),
            Some(SubscriptionKind::TwinDesired)
        );
        assert_eq!(c("$iothub/methods/POST/#"), Some(SubscriptionKind::Methods));
        assert_eq!(c("$edgehub/x"), None);
        assert_eq!(c("alerts/#"), Some(SubscriptionKind::User));
        assert_eq!(c("alerts/#/x"), None);
        assert_eq!(c("a+/b"), None);
    }

    #[test]
    fn reserved_publish_topics() {
        assert_eq!(
            classify_publish("$iothub/twin/GET/?$rid=1", "d", "m"),
            PublishTarget::Twin
        );
        assert_eq!(
            classify_publish("$iothub/methods/res/200/?$rid=1", "d", "m"),
            PublishTarget::MethodResponse
        );
        assert!(matches!(
            classify_publish("$edgehub/x", "d", "m"),
            PublishTarget::Refused(_)
        ));
        assert!(matches!(
            classify_publish("a/#", "d", "m"),
            PublishTarget::Refused(_)
        ));
        assert_eq!(classify_publish("alerts/1", "d", "m"), PublishTarget::User);
    }
}
