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

/// Classifies a publish from module `{device_id}/{module_id}`, or from child device
/// `{device_id}` when `module_id` is `None` (device telemetry `devices/{d}/messages/events/…`;
/// twins and methods of child devices are not implemented, so those topics are refused).
pub fn classify_publish<'a>(
    topic: &'a str,
    device_id: &str,
    module_id: Option<&str>,
) -> PublishTarget<'a> {
    if topic.is_empty() || topic.contains(['+', '#', '\0']) {
        return PublishTarget::Refused("invalid topic name");
    }
    if topic.starts_with("devices/") {
        return match topics::parse_telemetry_topic(topic) {
            Some(t) if t.device_id == device_id && t.module_id == module_id => {
                PublishTarget::Telemetry { bag: t.bag }
            }
            Some(_) => PublishTarget::Refused("telemetry topic of another identity"),
            None => PublishTarget::Refused("not a telemetry topic"),
        };
    }
    if module_id.is_none() && topic.starts_with("$iothub/") {
        return PublishTarget::Refused("twins and methods of child devices are not implemented");
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

/// Classifies a subscription filter from module `{device_id}/{module_id}` (child device
/// `{device_id}` when `module_id` is `None`: user topics only); `None` means refused outright
/// (another identity's or a reserved topic, or a malformed filter). `Some(User)` still needs
/// the policy's consent.
pub fn classify_subscribe(
    filter: &str,
    device_id: &str,
    module_id: Option<&str>,
) -> Option<SubscriptionKind> {
    let Some(module_id) = module_id else {
        let reserved = filter.starts_with("devices/") || filter.starts_with('$');
        return (!reserved && is_valid_filter(filter)).then_some(SubscriptionKind::User);
    };
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
        let c = |f| classify_subscribe(f, "dev", Some("a"));
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
            classify_publish("$iothub/twin/GET/?$rid=1", "d", Some("m")),
            PublishTarget::Twin
        );
        assert_eq!(
            classify_publish("$iothub/methods/res/200/?$rid=1", "d", Some("m")),
            PublishTarget::MethodResponse
        );
        assert!(matches!(
            classify_publish("$edgehub/x", "d", Some("m")),
            PublishTarget::Refused(_)
        ));
        assert!(matches!(
            classify_publish("a/#", "d", Some("m")),
            PublishTarget::Refused(_)
        ));
        assert_eq!(
            classify_publish("alerts/1", "d", Some("m")),
            PublishTarget::User
        );
    }

    #[test]
    fn child_device_topics() {
        let p = |t| classify_publish(t, "leaf", None);
        assert_eq!(
            p("devices/leaf/messages/events/a=1"),
            PublishTarget::Telemetry { bag: "a=1" }
        );
        assert_eq!(
            p("devices/leaf/messages/events/"),
            PublishTarget::Telemetry { bag: "" }
        );
        assert!(matches!(
            p("devices/leaf/modules/m/messages/events/"),
            PublishTarget::Refused(_)
        ));
        assert!(matches!(
            p("devices/other/messages/events/"),
            PublishTarget::Refused(_)
        ));
        assert!(matches!(
            p("$iothub/twin/GET/?$rid=1"),
            PublishTarget::Refused(_)
        ));
        assert_eq!(p("alerts/1"), PublishTarget::User);
        // A module may not use a device's telemetry topic either.
        assert!(matches!(
            classify_publish("devices/leaf/messages/events/", "leaf", Some("m")),
            PublishTarget::Refused(_)
        ));
        let s = |f| classify_subscribe(f, "leaf", None);
        assert_eq!(s("commands/#"), Some(SubscriptionKind::User));
        assert_eq!(s("$iothub/methods/POST/#"), None);
        assert_eq!(s("devices/leaf/messages/devicebound/#"), None);
        assert_eq!(s("a/#/b"), None);
    }
}
