//! MQTT CONNECT identity fields: client id and username (protocol.md §3.2).

use percent_encoding::percent_decode_str;

use crate::error::{Error, ErrorKind, Result};
use crate::protocol::property_bag::encode_component;

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
    match module_id {
        Some(m) => format!("{device_id}/{m}"),
        None => device_id.to_string(),
    }
}

/// Builds the username; query values are percent-encoded, ids are not.
pub fn username(
    host_name: &str,
    device_id: &str,
    module_id: Option<&str>,
    client_type: &str,
    model_id: Option<&str>,
) -> String {
    let mut out = format!("{host_name}/{}/", client_id(device_id, module_id));
    out.push_str("?api-version=");
    out.push_str(CLIENT_API_VERSION);
    out.push_str("&DeviceClientType=");
    out.push_str(&encode_component(client_type));
    if let Some(model_id) = model_id {
        out.push_str("&model-id=");
        out.push_str(&encode_component(model_id));
    }
    out
}

/// Parses both username forms edgeHub accepts (`…/?api-version=` and legacy `…/api-version=`);
/// unknown keys ignored, first occurrence wins. Error (`UNAUTHORIZED`) when malformed.
///
/// Like edgeHub: 3 segments = device, 4 = module; ids are trimmed and must be non-empty;
/// query values are percent-decoded (`+` stays `+`).
pub fn parse_username(username: &str) -> Result<Username> {
    let segments: Vec<&str> = username.split('/').collect();
    let last = segments.last().copied().unwrap_or_default();
    let query = match last.strip_prefix('?') {
        Some(query) => query,
        None if last.contains("api-version=") => last,
        None => return Err(unauthorized(username, "it has no '?api-version=' part")),
    };
    let (host_name, device_id, module_id) = match segments.as_slice() {
        [hub, d, _] => (*hub, non_empty_id(d, username)?, None),
        [hub, d, m, _] => (
            *hub,
            non_empty_id(d, username)?,
            Some(non_empty_id(m, username)?),
        ),
        _ => {
            return Err(unauthorized(
                username,
                "expected {hub}/{device}[/{module}]/?api-version=…",
            ))
        }
    };
    let (mut api_version, mut client_type, mut model_id) = (None, None, None);
    for (key, value) in query.split('&').filter_map(|pair| pair.split_once('=')) {
        let slot = match key {
            "api-version" => &mut api_version,
            "DeviceClientType" => &mut client_type,
            "model-id" => &mut model_id,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(percent_decode_str(value).decode_utf8_lossy().into_owned());
        }
    }
    let api_version = api_version
        .filter(|v| !v.is_empty())
        .ok_or_else(|| unauthorized(username, "api-version is missing or empty"))?;
    Ok(Username {
        host_name: host_name.to_string(),
        device_id,
        module_id,
        api_version,
        client_type,
        model_id,
    })
}

fn non_empty_id(segment: &str, username: &str) -> Result<String> {
    let id = segment.trim();
    if id.is_empty() {
        return Err(unauthorized(username, "a device or module id is empty"));
    }
    Ok(id.to_string())
}

fn unauthorized(username: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::Unauthorized,
        format!("MQTT username {username:?} is malformed: {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_module_and_device_usernames() {
        assert_eq!(client_id("edge1", Some("filter")), "edge1/filter");
        assert_eq!(client_id("leaf", None), "leaf");
        assert_eq!(
            username("h", "edge1", Some("filter"), "edgemodule/0.1 (rust)", None),
            "h/edge1/filter/?api-version=2021-04-12&DeviceClientType=edgemodule%2F0.1%20%28rust%29"
        );
        assert_eq!(
            username("h", "leaf", None, "x", Some("dtmi:a:b;1")),
            "h/leaf/?api-version=2021-04-12&DeviceClientType=x&model-id=dtmi%3Aa%3Ab%3B1"
        );
    }

    #[test]
    fn round_trips_through_the_parser() {
        let built = username("h", "edge1", Some("filter"), "a/b c+d", Some("dtmi:x;1"));
        let parsed = parse_username(&built).unwrap();
        assert_eq!(parsed.host_name, "h");
        assert_eq!(parsed.device_id, "edge1");
        assert_eq!(parsed.module_id.as_deref(), Some("filter"));
        assert_eq!(parsed.api_version, CLIENT_API_VERSION);
        assert_eq!(parsed.client_type.as_deref(), Some("a/b c+d"));
        assert_eq!(parsed.model_id.as_deref(), Some("dtmi:x;1"));
    }

    #[test]
    fn legacy_form_and_first_occurrence_wins() {
        let parsed = parse_username("h/d/m/api-version=1&api-version=2&x").unwrap();
        assert_eq!(parsed.api_version, "1");
        assert_eq!(parsed.module_id.as_deref(), Some("m"));
        let device = parse_username("h/d/api-version=1").unwrap();
        assert_eq!(device.module_id, None);
    }

    #[test]
    fn rejects_malformed_usernames() {
        for bad in [
            "",
            "h/d/m",
            "h/d/m/?DeviceClientType=x",
            "h/d/m/?api-version=",
            "h/?api-version=1",
            "h/d/m/x/?api-version=1",
            "h//m/?api-version=1",
            "h/d/ /?api-version=1",
        ] {
            assert_eq!(
                parse_username(bad).unwrap_err().kind(),
                ErrorKind::Unauthorized,
                "{bad}"
            );
        }
    }
}
