//! IoT Hub MQTT topic names: telemetry/outputs, inputs, twin and direct methods
//! (protocol.md §4–§6). Functions for both directions: the client builds what the hub parses
//! and vice versa.

/// Twin responses subscription.
pub const TWIN_RESPONSE_FILTER: &str = "$iothub/twin/res/#";
/// Desired-property patches subscription.
pub const TWIN_DESIRED_FILTER: &str = "$iothub/twin/PATCH/properties/desired/#";
/// Direct-method requests subscription.
pub const METHODS_FILTER: &str = "$iothub/methods/POST/#";

/// `devices/{d}[/modules/{m}]/messages/events/` + bag (no trailing slash after the bag).
pub fn telemetry_topic(device_id: &str, module_id: Option<&str>, bag: &str) -> String {
    let _ = (device_id, module_id, bag);
    todo!()
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
    let _ = topic;
    todo!()
}

/// `devices/{d}/modules/{m}/inputs/#`.
pub fn inputs_filter(device_id: &str, module_id: &str) -> String {
    let _ = (device_id, module_id);
    todo!()
}

/// `devices/{d}/modules/{m}/inputs/{input}/` + bag — always the slash after the input name.
pub fn input_topic(device_id: &str, module_id: &str, input_name: &str, bag: &str) -> String {
    let _ = (device_id, module_id, input_name, bag);
    todo!()
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
    let _ = topic;
    todo!()
}

/// `$iothub/twin/GET/?$rid={rid}`.
pub fn twin_get_topic(rid: &str) -> String {
    let _ = rid;
    todo!()
}

/// `$iothub/twin/PATCH/properties/reported/?$rid={rid}`.
pub fn twin_patch_reported_topic(rid: &str) -> String {
    let _ = rid;
    todo!()
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
    let _ = topic;
    todo!()
}

/// `$iothub/twin/res/{status}/?$rid={rid}[&$version={v}]`.
pub fn twin_response_topic(status: u16, rid: &str, version: Option<i64>) -> String {
    let _ = (status, rid, version);
    todo!()
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
pub fn parse_twin_response(topic: &str) -> Option<TwinResponse> {
    let _ = topic;
    todo!()
}

/// `$iothub/twin/PATCH/properties/desired/?$version={v}`.
pub fn desired_patch_topic(version: i64) -> String {
    let _ = version;
    todo!()
}

/// Parses a desired-patch topic; `Some(version)` (the version may be absent → `Some(None)`).
pub fn parse_desired_patch_topic(topic: &str) -> Option<Option<i64>> {
    let _ = topic;
    todo!()
}

/// `$iothub/methods/POST/{name}/?$rid={rid}`.
pub fn method_request_topic(method_name: &str, rid: &str) -> String {
    let _ = (method_name, rid);
    todo!()
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
    let _ = topic;
    todo!()
}

/// `$iothub/methods/res/{status}/?$rid={rid}`.
pub fn method_response_topic(status: i32, rid: &str) -> String {
    let _ = (status, rid);
    todo!()
}

/// Parses `$iothub/methods/res/{status}/?$rid={rid}` → `(status, rid)`; a non-integer status
/// → `None`.
pub fn parse_method_response(topic: &str) -> Option<(i32, String)> {
    let _ = topic;
    todo!()
}
