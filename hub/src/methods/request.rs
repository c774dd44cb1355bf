//! The JSON body of `POST /twins/{d}/modules/{m}/methods` and edgeHub's checks on it
//! (protocol.md §6.2, §10).

use std::time::Duration;

use serde_json::Value;

use super::dispatcher::MAX_PAYLOAD_BYTES;

/// Longest method name.
pub const MAX_METHOD_NAME_CHARS: usize = 100;
/// Default and range of `responseTimeoutInSeconds`.
pub const RESPONSE_TIMEOUT_SECS: (u64, u64, u64) = (30, 5, 300);
/// Default and range of `connectTimeoutInSeconds`.
pub const CONNECT_TIMEOUT_SECS: (u64, u64, u64) = (0, 0, 300);

/// A validated method invocation request.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodRequest {
    /// Method to call.
    pub method_name: String,
    /// Payload to send (null when absent).
    pub payload: Value,
    /// How long the target may take to answer.
    pub response_timeout: Duration,
    /// How long to wait for the target to connect and subscribe.
    pub connect_timeout: Duration,
}

/// Parses and validates the request body; the error is the plain-text 400 message.
pub fn parse_method_request(body: &[u8]) -> Result<MethodRequest, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("Invalid request body: {e}"))?;
    let Value::Object(mut fields) = value else {
        return Err("Invalid request body: expected a JSON object".to_string());
    };
    let method_name = match fields.remove("methodName") {
        Some(Value::String(name)) if !name.trim().is_empty() => name,
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err("methodName is required".to_string())
        }
        Some(_) => return Err("methodName must be a string".to_string()),
    };
    if method_name.chars().count() > MAX_METHOD_NAME_CHARS {
        return Err(format!(
            "methodName is longer than {MAX_METHOD_NAME_CHARS} characters"
        ));
    }
    // The name becomes an MQTT topic level: wildcards and separators cannot travel there.
    if method_name
        .chars()
        .any(|c| matches!(c, '/' | '+' | '#') || c.is_control())
    {
        return Err("methodName may not contain '/', '+', '#' or control characters".to_string());
    }
    let response_timeout = timeout_field(
        fields.get("responseTimeoutInSeconds"),
        "responseTimeoutInSeconds",
        RESPONSE_TIMEOUT_SECS,
    )?;
    let connect_timeout = timeout_field(
        fields.get("connectTimeoutInSeconds"),
        "connectTimeoutInSeconds",
        CONNECT_TIMEOUT_SECS,
    )?;
    let payload = fields.remove("payload").unwrap_or(Value::Null);
    let size = serde_json::to_vec(&payload).map(|v| v.len()).unwrap_or(0);
    if size > MAX_PAYLOAD_BYTES {
        return Err(format!(
            "payload is {size} bytes, more than the {MAX_PAYLOAD_BYTES} allowed"
        ));
    }
    Ok(MethodRequest {
        method_name,
        payload,
        response_timeout,
        connect_timeout,
    })
}

fn timeout_field(
    value: Option<&Value>,
    name: &str,
    (default, min, max): (u64, u64, u64),
) -> Result<Duration, String> {
    let secs = match value {
        None | Some(Value::Null) => default,
        Some(v) => v
            .as_u64()
            .filter(|s| (min..=max).contains(s))
            .ok_or_else(|| format!("{name} must be an integer between {min} and {max}"))?,
    };
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<MethodRequest, String> {
        parse_method_request(&serde_json::to_vec(&v).unwrap())
    }

    #[test]
    fn defaults_apply() {
        let r = parse(json!({"methodName": "reboot"})).unwrap();
        assert_eq!(r.method_name, "reboot");
        assert_eq!(r.payload, Value::Null);
        assert_eq!(r.response_timeout, Duration::from_secs(30));
        assert_eq!(r.connect_timeout, Duration::ZERO);
        // The C SDK's `timeout` member is ignored.
        let r = parse(json!({"methodName": "m", "timeout": 1, "payload": {"a": 1}})).unwrap();
        assert_eq!(r.response_timeout, Duration::from_secs(30));
        assert_eq!(r.payload, json!({"a": 1}));
    }

    #[test]
    fn ranges_are_checked() {
        assert!(parse(json!({"methodName": "m", "responseTimeoutInSeconds": 4})).is_err());
        assert!(parse(json!({"methodName": "m", "responseTimeoutInSeconds": 5})).is_ok());
        assert!(parse(json!({"methodName": "m", "responseTimeoutInSeconds": 301})).is_err());
        assert!(parse(json!({"methodName": "m", "connectTimeoutInSeconds": 300})).is_ok());
        assert!(parse(json!({"methodName": "m", "connectTimeoutInSeconds": -1})).is_err());
        assert!(parse(json!({"methodName": "m", "connectTimeoutInSeconds": "5"})).is_err());
    }

    #[test]
    fn names_and_payloads() {
        assert!(parse(json!({})).is_err());
        assert!(parse(json!({"methodName": ""})).is_err());
        assert!(parse(json!({"methodName": 5})).is_err());
        assert!(parse(json!({"methodName": "a".repeat(100)})).is_ok());
        assert!(parse(json!({"methodName": "a".repeat(101)})).is_err());
        assert!(parse(json!({"methodName": "a/b"})).is_err());
        let big = "x".repeat(MAX_PAYLOAD_BYTES);
        assert!(parse(json!({"methodName": "m", "payload": big})).is_err());
        assert!(parse_method_request(b"not json").is_err());
        assert!(parse_method_request(b"[1]").is_err());
    }
}
