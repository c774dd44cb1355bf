//! MQTT CONNECT identity fields: client id and username (protocol.md §3.2).

use crate::error::Result;

/// API version our client puts in the username.
pub const CLIENT_API_VERSION: &str = "2021-04-12";

/// The parsed username `{hub}/{d}/{m}/?api-version=…&DeviceClientType=…[&model-id=…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    /// The host name segment (ignored by edgeHub for authentication).
    pub host_name: String,
    /// Device id.
    pub device_id: String,
    /// Module id (None for a device username).
    pub module_id: Option<String>,
    /// `api-version` (required, non-empty).
    pub api_version: String,
    /// `DeviceClientType`, decoded.
    pub client_type: Option<String>,
    /// `model-id`, decoded.
    pub model_id: Option<String>,
}

/// `{d}/{m}` (or `{d}` for a device).
pub fn client_id(device_id: &str, module_id: Option<&str>) -> String {
    let _ = (device_id, module_id);
    todo!()
}

/// Builds the username; query values are percent-encoded, ids are not.
pub fn username(
    host_name: &str,
    device_id: &str,
    module_id: Option<&str>,
    client_type: &str,
    model_id: Option<&str>,
) -> String {
    let _ = (host_name, device_id, module_id, client_type, model_id);
    todo!()
}

/// Parses both username forms edgeHub accepts (`…/?api-version=` and legacy `…/api-version=`);
/// unknown keys ignored, first occurrence wins. Error (`UNAUTHORIZED`) when malformed.
pub fn parse_username(username: &str) -> Result<Username> {
    let _ = username;
    todo!()
}
