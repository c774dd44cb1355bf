//! `invoke_method`: call a direct method on another module (or a device) through the
//! gateway's HTTPS API (protocol.md §6.2).

use std::time::Duration;

use rustls::pki_types::ServerName;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::auth::workload::user_agent;
use crate::connection::shared::Shared;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{self, HttpRequest};
use crate::protocol::property_bag::encode_component;

/// API version sent with the request (edgeHub ignores it).
const API_VERSION: &str = "2020-09-30";
/// Added to connect + response timeout for the HTTP exchange itself.
const HTTP_MARGIN: Duration = Duration::from_secs(10);

/// A method call to make.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodInvokeRequest {
    /// The method name (1–100 characters).
    pub method_name: String,
    /// JSON payload (at most 128 KiB).
    pub payload: Value,
    /// How long the target may take to answer (5–300 s, default 30 s).
    pub response_timeout: Duration,
    /// How long to wait for the target to connect (0–300 s, default 0).
    pub connect_timeout: Duration,
}

impl MethodInvokeRequest {
    /// A request with the default timeouts.
    pub fn new(method_name: impl Into<String>, payload: Value) -> Self {
        MethodInvokeRequest {
            method_name: method_name.into(),
            payload,
            response_timeout: Duration::from_secs(30),
            connect_timeout: Duration::ZERO,
        }
    }

    /// Sets the response timeout.
    pub fn with_response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    fn validate(&self) -> Result<(u64, u64)> {
        let name_len = self.method_name.chars().count();
        if name_len == 0 || name_len > 100 {
            return Err(Error::invalid_argument(
                "the method name must have 1 to 100 characters",
            ));
        }
        let response = seconds_up(self.response_timeout);
        if !(5..=300).contains(&response) {
            return Err(Error::invalid_argument(
                "response_timeout must be between 5 and 300 seconds",
            ));
        }
        let connect = seconds_up(self.connect_timeout);
        if connect > 300 {
            return Err(Error::invalid_argument(
                "connect_timeout must be at most 300 seconds",
            ));
        }
        if self.payload.to_string().len() > 128 * 1024 {
            return Err(Error::new(
                ErrorKind::MessageTooLarge,
                "the method payload exceeds 128 KiB",
            ));
        }
        Ok((response, connect))
    }
}

/// The target's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodInvokeResponse {
    /// The status the target module responded with.
    pub status: i32,
    /// The JSON payload it responded with (`null` if none).
    pub payload: Value,
}

fn seconds_up(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Calls `request.method_name` on `device_id` / `module_id`.
pub(crate) async fn invoke(
    shared: &Shared,
    device_id: &str,
    module_id: Option<&str>,
    request: MethodInvokeRequest,
) -> Result<MethodInvokeResponse> {
    if device_id.is_empty() || module_id.is_some_and(str::is_empty) {
        return Err(Error::invalid_argument(
            "device and module ids must not be empty",
        ));
    }
    let (response_secs, connect_secs) = request.validate()?;
    let target = match module_id {
        Some(m) => format!("{device_id}/{m}"),
        None => device_id.to_string(),
    };
    let path = match module_id {
        Some(m) => format!(
            "/twins/{}/modules/{}/methods?api-version={API_VERSION}",
            encode_component(device_id),
            encode_component(m)
        ),
        None => format!(
            "/twins/{}/methods?api-version={API_VERSION}",
            encode_component(device_id)
        ),
    };
    let body = serde_json::json!({
        "methodName": request.method_name,
        "payload": request.payload,
        "responseTimeoutInSeconds": response_secs,
        "connectTimeoutInSeconds": connect_secs,
    });
    let limit = Duration::from_secs(response_secs + connect_secs) + HTTP_MARGIN;
    let exchange = async {
        let credential = shared.tokens.credential().await?;
        let id = &shared.identity;
        let http_request = HttpRequest {
            method: hyper::Method::POST,
            path_and_query: path,
            host: format!("{}:{}", id.gateway_host, id.https_port),
            headers: vec![
                ("authorization", credential.token),
                (
                    "x-ms-edge-moduleid",
                    format!("{}/{}", id.device_id, id.module_label()),
                ),
                ("content-type", "application/json".to_string()),
                ("user-agent", user_agent()),
            ],
            body: Some(body.to_string().into_bytes()),
        };
        let unreachable = |e: String| {
            Error::new(
                ErrorKind::Connection,
                format!(
                    "gateway {}:{} for invoke_method: {e}",
                    id.gateway_host, id.https_port
                ),
            )
        };
        let tcp = TcpStream::connect((id.gateway_host.as_str(), id.https_port))
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let server_name = ServerName::try_from(id.gateway_host.clone())
            .map_err(|e| Error::config(format!("gateway host name: {e}")))?;
        let tls = TlsConnector::from(std::sync::Arc::clone(&shared.tls))
            .connect(server_name, tcp)
            .await
            .map_err(|e| unreachable(format!("TLS failed: {e}")))?;
        http::send(tls, http_request).await.map_err(unreachable)
    };
    let response = tokio::time::timeout(limit, exchange).await.map_err(|_| {
        Error::new(
            ErrorKind::Timeout,
            format!(
                "invoking {:?} on {target} took longer than {limit:?}",
                request.method_name
            ),
        )
    })??;
    if response.status != 200 {
        return Err(Error::from_status(
            response.status,
            format!(
                "invoking {:?} on {target}: {}",
                request.method_name,
                http::error_message(&response.body)
            ),
        ));
    }
    let value: Value = serde_json::from_slice(&response.body)
        .map_err(|e| Error::protocol(format!("invoke_method response is not JSON: {e}")))?;
    let status = value
        .get("status")
        .and_then(Value::as_i64)
        .and_then(|s| i32::try_from(s).ok())
        .ok_or_else(|| Error::protocol("invoke_method response has no integer \"status\""))?;
    Ok(MethodInvokeResponse {
        status,
        payload: value.get("payload").cloned().unwrap_or(Value::Null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_are_validated_before_sending() {
        let ok = MethodInvokeRequest::new("reset", json!({}));
        assert_eq!(ok.validate().unwrap(), (30, 0));
        let e = MethodInvokeRequest::new("", json!(null))
            .validate()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = MethodInvokeRequest::new("m", json!(null))
            .with_response_timeout(Duration::from_secs(2))
            .validate()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let big = MethodInvokeRequest::new("m", json!("x".repeat(130 * 1024)));
        assert_eq!(
            big.validate().unwrap_err().kind(),
            ErrorKind::MessageTooLarge
        );
        let sub = MethodInvokeRequest::new("m", json!(1))
            .with_response_timeout(Duration::from_millis(5_500))
            .with_connect_timeout(Duration::from_millis(1));
        assert_eq!(sub.validate().unwrap(), (6, 1));
    }
}
