//! Client for the IoT Edge workload API (protocol.md §2): `sign` and `trust-bundle`, HTTP/1.1
//! over the module's Unix socket (or TCP for `http://` URIs).

use std::time::Duration;

use base64::Engine as _;
use tokio::net::{TcpStream, UnixStream};

use crate::error::{Error, ErrorKind, Result};
use crate::http::{self, Endpoint, HttpRequest, HttpResponse};
use crate::protocol::property_bag::encode_component;

/// How long one workload API call may take.
const WORKLOAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Talks to the workload API on behalf of one module identity.
#[derive(Debug, Clone)]
pub(crate) struct WorkloadClient {
    uri: String,
    endpoint: Endpoint,
    module_id: String,
    generation_id: String,
    api_version: String,
}

impl WorkloadClient {
    /// A client for `uri` (`unix:///path` or `http://host:port`); a bad URI → `CONFIG`.
    pub(crate) fn new(
        uri: &str,
        module_id: &str,
        generation_id: &str,
        api_version: &str,
    ) -> Result<Self> {
        let endpoint = Endpoint::from_uri(uri).ok_or_else(|| {
            Error::config(format!(
                "IOTEDGE_WORKLOADURI {uri:?} must be unix:///path.sock or http://host:port"
            ))
        })?;
        Ok(WorkloadClient {
            uri: uri.to_string(),
            endpoint,
            module_id: module_id.to_string(),
            generation_id: generation_id.to_string(),
            api_version: api_version.to_string(),
        })
    }

    /// `POST /modules/{m}/genid/{g}/sign`: base64 HMAC-SHA256 of `data` with the module key.
    pub(crate) async fn sign(&self, data: &[u8]) -> Result<String> {
        let body = serde_json::json!({
            "keyId": "primary",
            "algo": "HMACSHA256",
            "data": base64::engine::general_purpose::STANDARD.encode(data),
        });
        let path = format!(
            "/modules/{}/genid/{}/sign?api-version={}",
            encode_component(&self.module_id),
            encode_component(&self.generation_id),
            encode_component(&self.api_version)
        );
        let response = self
            .call(
                hyper::Method::POST,
                path,
                Some(body.to_string().into_bytes()),
            )
            .await?;
        let value: serde_json::Value = serde_json::from_slice(&response.body)
            .map_err(|e| Error::protocol(format!("workload API sign: invalid JSON: {e}")))?;
        match value.get("digest").and_then(|d| d.as_str()) {
            Some(digest) if !digest.is_empty() => Ok(digest.to_string()),
            _ => Err(Error::protocol(
                "workload API sign: the response has no \"digest\"",
            )),
        }
    }

    /// `GET /trust-bundle`: the PEM certificates that sign the hub's server certificate.
    pub(crate) async fn trust_bundle(&self) -> Result<String> {
        let path = format!(
            "/trust-bundle?api-version={}",
            encode_component(&self.api_version)
        );
        let response = self.call(hyper::Method::GET, path, None).await?;
        let value: serde_json::Value = serde_json::from_slice(&response.body).map_err(|e| {
            Error::protocol(format!("workload API trust-bundle: invalid JSON: {e}"))
        })?;
        match value.get("certificate").and_then(|c| c.as_str()) {
            Some(pem) if !pem.trim().is_empty() => Ok(pem.to_string()),
            _ => Err(Error::protocol(
                "workload API trust-bundle: the response has no \"certificate\"",
            )),
        }
    }

    async fn call(
        &self,
        method: hyper::Method,
        path_and_query: String,
        body: Option<Vec<u8>>,
    ) -> Result<HttpResponse> {
        let mut headers = vec![("user-agent", user_agent())];
        if body.is_some() {
            headers.push(("content-type", "application/json".to_string()));
        }
        let request = HttpRequest {
            method,
            path_and_query: path_and_query.clone(),
            host: "workload".to_string(),
            headers,
            body,
        };
        let exchange = async {
            match &self.endpoint {
                Endpoint::Unix(path) => {
                    let stream = UnixStream::connect(path)
                        .await
                        .map_err(|e| self.unreachable(e))?;
                    http::send(stream, request)
                        .await
                        .map_err(|e| self.failed(e))
                }
                Endpoint::Tcp(addr) => {
                    let stream = TcpStream::connect(addr.as_str())
                        .await
                        .map_err(|e| self.unreachable(e))?;
                    http::send(stream, request)
                        .await
                        .map_err(|e| self.failed(e))
                }
            }
        };
        let response = tokio::time::timeout(WORKLOAD_TIMEOUT, exchange)
            .await
            .map_err(|_| {
                Error::new(
                    ErrorKind::Timeout,
                    format!("workload API at {} did not answer in time", self.uri),
                )
            })??;
        if !(200..300).contains(&response.status) {
            let route = path_and_query.split('?').next().unwrap_or_default();
            return Err(Error::from_status(
                response.status,
                format!(
                    "workload API {route}: {}",
                    http::error_message(&response.body)
                ),
            ));
        }
        Ok(response)
    }

    fn unreachable(&self, e: std::io::Error) -> Error {
        Error::new(
            ErrorKind::Connection,
            format!("workload API at {} is unreachable: {e}", self.uri),
        )
    }

    fn failed(&self, e: String) -> Error {
        Error::new(
            ErrorKind::Connection,
            format!("workload API at {}: {e}", self.uri),
        )
    }
}

/// `edgemodule-rust/<version>`, our SDK identifier.
pub(crate) fn user_agent() -> String {
    format!("edgemodule-rust/{}", env!("CARGO_PKG_VERSION"))
}
