//! IoT Hub MQTT topic names: telemetry/outputs, inputs, twin and direct methods
//! (protocol.md §4–§6). Functions for both directions: the client builds what the hub parses
//! and vice versa.
//!
//! Ids, input names, method names and `$rid`s are put into topics as given (the SDKs and
//! edgeHub never encode them); request ids come back verbatim.

use percent_encoding::percent_decode_str;

/// Twin responses subscription.
pub const TWIN_RESPONSE_FILTER: &str = "$iothub/twin/res/#";
/// Desired-property patches subscription.
pub const TWIN_DESIRED_FILTER: &str = "$iothub/twin/PATCH/properties/desired/#";
/// Direct-method requests subscription.
pub const METHODS_FILTER: &str = "$iothub/methods/POST/#";

const TWIN_GET_PREFIX: &str = "$iothub/twin/GET/";
const TWIN_PATCH_REPORTED_PREFIX: &str = "$iothub/twin/PATCH/properties/reported/";
const TWIN_DESIRED_PREFIX: &str = "$iothub/twin/PATCH/properties/desired/";
const TWIN_RESPONSE_PREFIX: &str = "$iothub/twin/res/";
const METHOD_REQUEST_PREFIX: &str = "$iothub/methods/POST/";
const METHOD_RESPONSE_PREFIX: &str = "$iothub/methods/res/";

/// `devices/{d}[/modules/{m}]/messages/events/` + bag (no trailing slash after the bag).
pub fn telemetry_topic(device_id: &str, module_id: Option<&str>, bag: &str) -> String {
    match module_id {
        Some(m) => format!("devices/{device_id}/modules/{m}/messages/events/{bag}"),
        None => format!("devices/{device_id}/messages/events/{bag}"),
    }
}

/// A telemetry topic as the hub receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetryTopic<'a> {
    /// Device id from the topic.
    pub device_id: &'a str,
    /// Module id from the topic, if any.
    pub module_id: Option<&'a str>,
    /// The raw (still encoded) property bag, possibly empty.
    pub bag: &'a str,
}

/// Accepts the four shapes edgeHub accepts (with/without trailing `/`, with/without bag),
/// for devices and modules. `None` for anything else.
pub fn parse_telemetry_topic(topic: &str) -> Option<TelemetryTopic<'_>> {
    let segments: Vec<&str> = topic.split('/').collect();
    let (device_id, module_id, rest) = match segments.as_slice() {
        ["devices", d, "messages", "events", rest @ ..] => (*d, None, rest),
        ["devices", d, "modules", m, "messages", "events", rest @ ..] => (*d, Some(*m), rest),
        _ => return None,
    };
    if device_id.is_empty() || module_id.is_some_and(str::is_empty) {
        return None;
    }
    let bag = match rest {
        [] => "",
        [bag] | [bag, ""] => *bag,
        _ => return None,
    };
    Some(TelemetryTopic {
        device_id,
        module_id,
        bag,
    })
}

/// `devices/{d}/messages/devicebound/#`: a device's cloud-to-device messages (IoT Hub MQTT
/// docs, "Receiving cloud-to-device messages").
pub fn device_bound_filter(device_id: &str) -> String {
    format!("devices/{device_id}/messages/devicebound/#")
}

/// `devices/{d}/modules/{m}/inputs/#`.
pub fn inputs_filter(device_id: &str, module_id: &str) -> String {
    format!("devices/{device_id}/modules/{module_id}/inputs/#")
}

/// `devices/{d}/modules/{m}/inputs/{input}/` + bag — always the slash after the input name.
pub fn input_topic(device_id: &str, module_id: &str, input_name: &str, bag: &str) -> String {
    format!("devices/{device_id}/modules/{module_id}/inputs/{input_name}/{bag}")
}

/// An input topic as the module receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputTopic<'a> {
    /// Device id.
    pub device_id: &'a str,
    /// Module id.
    pub module_id: &'a str,
    /// Input name (segment 5, percent-decoded).
    pub input_name: String,
    /// Raw bag (segment 6), empty when absent.
    pub bag: &'a str,
}

/// Parses `devices/{d}/modules/{m}/inputs/{input}[/{bag}]`.
pub fn parse_input_topic(topic: &str) -> Option<InputTopic<'_>> {
    let segments: Vec<&str> = topic.split('/').collect();
    let (device_id, module_id, input, bag) = match segments.as_slice() {
        ["devices", d, "modules", m, "inputs", input] => (*d, *m, *input, ""),
        ["devices", d, "modules", m, "inputs", input, bag] => (*d, *m, *input, *bag),
        _ => return None,
    };
    if device_id.is_empty() || module_id.is_empty() || input.is_empty() {
        return None;
    }
    Some(InputTopic {
        device_id,
        module_id,
        input_name: percent_decode_str(input).decode_utf8_lossy().into_owned(),
        bag,
    })
}

/// `$iothub/twin/GET/?$rid={rid}`.
pub fn twin_get_topic(rid: &str) -> String {
    format!("{TWIN_GET_PREFIX}?$rid={rid}")
}

/// `$iothub/twin/PATCH/properties/reported/?$rid={rid}`.
pub fn twin_patch_reported_topic(rid: &str) -> String {
    format!("{TWIN_PATCH_REPORTED_PREFIX}?$rid={rid}")
}

/// A twin request as the hub receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwinRequest {
    /// Full twin GET.
    Get {
        /// Request id, verbatim.
        rid: String,
    },
    /// Reported-properties patch.
    PatchReported {
        /// Request id, verbatim.
        rid: String,
    },
}

/// Parses `$iothub/twin/GET/?$rid=` and `$iothub/twin/PATCH/properties/reported/?$rid=`
/// (case-sensitive; empty rid → `None`).
pub fn parse_twin_request(topic: &str) -> Option<TwinRequest> {
    if let Some(query) = topic.strip_prefix(TWIN_GET_PREFIX) {
        return request_id(query).map(|rid| TwinRequest::Get { rid });
    }
    let query = topic.strip_prefix(TWIN_PATCH_REPORTED_PREFIX)?;
    request_id(query).map(|rid| TwinRequest::PatchReported { rid })
}

/// `$iothub/twin/res/{status}/?$rid={rid}[&$version={v}]`.
pub fn twin_response_topic(status: u16, rid: &str, version: Option<i64>) -> String {
    match version {
        Some(v) => format!("{TWIN_RESPONSE_PREFIX}{status}/?$rid={rid}&$version={v}"),
        None => format!("{TWIN_RESPONSE_PREFIX}{status}/?$rid={rid}"),
    }
}

/// A twin response as the module receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwinResponse {
    /// Status code from segment 3.
    pub status: u16,
    /// `$rid`.
    pub rid: String,
    /// `$version`, when present.
    pub version: Option<i64>,
}

/// Parses `$iothub/twin/res/{status}/?$rid=…[&$version=…]`.
///
/// The status must be decimal digits; a missing or empty `$rid` → `None`; a `$version`
/// that is not an integer is treated as absent.
pub fn parse_twin_response(topic: &str) -> Option<TwinResponse> {
    let (status, query) = topic.strip_prefix(TWIN_RESPONSE_PREFIX)?.split_once('/')?;
    if status.is_empty() || !status.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(TwinResponse {
        status: status.parse().ok()?,
        rid: request_id(query)?,
        version: query_value(query.strip_prefix('?')?, "$version").and_then(|v| v.parse().ok()),
    })
}

/// `$iothub/twin/PATCH/properties/desired/?$version={v}`.
pub fn desired_patch_topic(version: i64) -> String {
    format!("{TWIN_DESIRED_PREFIX}?$version={version}")
}

/// Parses a desired-patch topic; `Some(version)` (the version may be absent → `Some(None)`).
/// A `$version` that is not an integer also gives `Some(None)` (the body carries it too).
pub fn parse_desired_patch_topic(topic: &str) -> Option<Option<i64>> {
    let rest = topic.strip_prefix(TWIN_DESIRED_PREFIX)?;
    if rest.is_empty() {
        return Some(None);
    }
    let query = rest.strip_prefix('?')?;
    Some(query_value(query, "$version").and_then(|v| v.parse().ok()))
}

/// `$iothub/methods/POST/{name}/?$rid={rid}`.
pub fn method_request_topic(method_name: &str, rid: &str) -> String {
    format!("{METHOD_REQUEST_PREFIX}{method_name}/?$rid={rid}")
}

/// A method request as the module receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodRequestTopic {
    /// Method name (percent-decoded).
    pub method_name: String,
    /// `$rid`, verbatim.
    pub rid: String,
}

/// Parses `$iothub/methods/POST/{name}/?$rid={rid}`.
pub fn parse_method_request(topic: &str) -> Option<MethodRequestTopic> {
    let (name, query) = topic.strip_prefix(METHOD_REQUEST_PREFIX)?.split_once('/')?;
    if name.is_empty() {
        return None;
    }
    Some(MethodRequestTopic {
        method_name: percent_decode_str(name).decode_utf8_lossy().into_owned(),
        rid: request_id(query)?,
    })
}

/// `$iothub/methods/res/{status}/?$rid={rid}`.
pub fn method_response_topic(status: i32, rid: &str) -> String {
    format!("{METHOD_RESPONSE_PREFIX}{status}/?$rid={rid}")
}

/// Parses `$iothub/methods/res/{status}/?$rid={rid}` → `(status, rid)`; a non-integer status
/// → `None`. As in edgeHub's template, everything after `?$rid=` is the rid.
pub fn parse_method_response(topic: &str) -> Option<(i32, String)> {
    let (status, rest) = topic
        .strip_prefix(METHOD_RESPONSE_PREFIX)?
        .split_once('/')?;
    let rid = rest.strip_prefix("?$rid=")?;
    if rid.is_empty() {
        return None;
    }
    Some((status.parse().ok()?, rid.to_string()))
}

/// Prefix of `edgemodule-hub`'s notice that its broker policy denied a client's publish
/// (`$edgemodule/denied/{pkid}`, payload: the denied topic). Not part of edgeHub's protocol:
/// the IoT Edge 1.2 broker closes the connection without saying why; the hub sends this
/// notice first, then closes the same way, so the client can fail that publish with
/// `UNAUTHORIZED` instead of re-sending it until it times out.
pub const PUBLISH_DENIED_PREFIX: &str = "$edgemodule/denied/";

/// `$edgemodule/denied/{pkid}`.
pub fn publish_denied_topic(pkid: u16) -> String {
    format!("{PUBLISH_DENIED_PREFIX}{pkid}")
}

/// The packet id of a denial notice topic.
pub fn parse_publish_denied_topic(topic: &str) -> Option<u16> {
    topic.strip_prefix(PUBLISH_DENIED_PREFIX)?.parse().ok()
}

/// The non-empty `$rid` of a `?…` query (first occurrence, not decoded).
fn request_id(query_with_mark: &str) -> Option<String> {
    let query = query_with_mark.strip_prefix('?')?;
    query_value(query, "$rid")
        .filter(|rid| !rid.is_empty())
        .map(str::to_string)
}

/// The raw value of the first `name=` pair in an `a=1&b=2` query.
fn query_value<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telemetry_accepts_the_four_shapes() {
        for (topic, bag) in [
            ("devices/d/modules/m/messages/events", ""),
            ("devices/d/modules/m/messages/events/", ""),
            ("devices/d/modules/m/messages/events/a=1", "a=1"),
            ("devices/d/modules/m/messages/events/a=1/", "a=1"),
        ] {
            let t = parse_telemetry_topic(topic).unwrap();
            assert_eq!((t.device_id, t.module_id, t.bag), ("d", Some("m"), bag));
        }
        let t = parse_telemetry_topic("devices/leaf/messages/events/%24.ct=x").unwrap();
        assert_eq!(
            (t.device_id, t.module_id, t.bag),
            ("leaf", None, "%24.ct=x")
        );
        for bad in [
            "devices/d/modules/m/messages/events/a/b",
            "devices/d/modules/m/messages/events/a//",
            "devices//messages/events",
            "devices/d/modules//messages/events",
            "devices/d/messages/devicebound",
            "Devices/d/messages/events",
        ] {
            assert_eq!(parse_telemetry_topic(bad), None, "{bad}");
        }
    }

    #[test]
    fn input_topic_round_trip() {
        let topic = input_topic("d", "m", "input1", "");
        assert_eq!(topic, "devices/d/modules/m/inputs/input1/");
        let parsed = parse_input_topic(&topic).unwrap();
        assert_eq!(parsed.input_name, "input1");
        assert_eq!(parsed.bag, "");
        let no_slash = parse_input_topic("devices/d/modules/m/inputs/in%20put").unwrap();
        assert_eq!(no_slash.input_name, "in put");
        assert_eq!(parse_input_topic("devices/d/modules/m/inputs//a=1"), None);
        assert_eq!(parse_input_topic("devices/d/modules/m/inputs/i/a/b"), None);
    }

    #[test]
    fn twin_topics() {
        assert_eq!(
            parse_twin_request(&twin_get_topic("r 1")),
            Some(TwinRequest::Get { rid: "r 1".into() })
        );
        assert_eq!(
            parse_twin_request(&twin_patch_reported_topic("7")),
            Some(TwinRequest::PatchReported { rid: "7".into() })
        );
        assert_eq!(parse_twin_request("$iothub/twin/GET/?$rid="), None);
        assert_eq!(parse_twin_request("$iothub/twin/get/?$rid=1"), None);
        let res = parse_twin_response(&twin_response_topic(204, "9", Some(6))).unwrap();
        assert_eq!(
            (res.status, res.rid.as_str(), res.version),
            (204, "9", Some(6))
        );
        assert_eq!(parse_twin_response("$iothub/twin/res/x/?$rid=1"), None);
        assert_eq!(
            parse_desired_patch_topic(&desired_patch_topic(8)),
            Some(Some(8))
        );
        assert_eq!(
            parse_desired_patch_topic("$iothub/twin/PATCH/properties/desired/"),
            Some(None)
        );
        assert_eq!(
            parse_desired_patch_topic("$iothub/twin/res/200/?$rid=1"),
            None
        );
    }

    #[test]
    fn method_topics() {
        let req = parse_method_request(&method_request_topic("reboot", "ab-12")).unwrap();
        assert_eq!(
            (req.method_name.as_str(), req.rid.as_str()),
            ("reboot", "ab-12")
        );
        assert_eq!(
            parse_method_response(&method_response_topic(-1, "ab-12&x=y")),
            Some((-1, "ab-12&x=y".to_string()))
        );
        assert_eq!(
            parse_method_response("$iothub/methods/res/ok/?$rid=1"),
            None
        );
        assert_eq!(parse_method_request("$iothub/methods/POST//?$rid=1"), None);
    }
}
