//! A minimal HTTP/1.1 client for the hub's admin API.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

use super::args::{AdminAddr, STATE_ENV};
use crate::admin::{AdminToken, TOKEN_FILE};

/// How long connecting to the admin API may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A failed CLI operation, already phrased for the user.
#[derive(Debug)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The admin API of a running hub.
pub struct AdminClient {
    addr: String,
    /// The bearer token, or why it could not be read (reported once the hub is reachable,
    /// so that a hub that is not running is reported as such).
    token: Result<AdminToken, String>,
}

impl AdminClient {
    /// A client for the admin API at `admin.addr`, with the token from
    /// `{admin.state}/admin.token`.
    pub fn new(admin: &AdminAddr) -> AdminClient {
        let path = admin.state.join(TOKEN_FILE);
        let token = match std::fs::read_to_string(&path) {
            Ok(text) => AdminToken::from_text(&text)
                .ok_or_else(|| format!("{} does not hold an admin token", path.display())),
            Err(e) => Err(format!(
                "cannot read the hub's admin token {}: {e}; pass the hub's state directory with --state DIR or {STATE_ENV}=DIR",
                path.display()
            )),
        };
        AdminClient {
            addr: admin.addr.clone(),
            token,
        }
    }

    /// Sends a request and returns the response with its body still streaming.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Response<Incoming>, CliError> {
        let unreachable = |e: &dyn std::fmt::Display| {
            CliError(format!(
                "cannot reach the hub's admin API at {}: is `edgemodule-hub serve` running? ({e})",
                self.addr
            ))
        };
        let stream =
            match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&self.addr)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => return Err(unreachable(&e)),
                Err(_) => return Err(unreachable(&"connection timed out")),
            };
        let token = self.token.as_ref().map_err(|e| CliError(e.clone()))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| unreachable(&e))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "admin API connection ended");
            }
        });
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.addr.as_str())
            .header(AUTHORIZATION, format!("Bearer {}", token.as_str()));
        if body.is_some() {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| CliError(format!("cannot build the request for {path}: {e}")))?;
        sender
            .send_request(request)
            .await
            .map_err(|e| CliError(format!("admin API request {path} failed: {e}")))
    }

    /// Sends a request and returns the JSON answer; a non-2xx answer becomes an error
    /// carrying the hub's `message`.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, CliError> {
        let body = body.map(|v| serde_json::to_vec(v).unwrap_or_default());
        let response = self.send(method, path, body).await?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| CliError(format!("admin API answer to {path} broke off: {e}")))?
            .to_bytes();
        let value: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        if status.is_success() {
            return Ok(value);
        }
        let message = value
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| value.to_string());
        Err(CliError(format!(
            "hub answered {}: {message}",
            status.as_u16()
        )))
    }
}

/// Percent-encodes one path segment.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_segments() {
        assert_eq!(encode_segment("a b/c+$"), "a%20b%2Fc%2B%24");
        assert_eq!(encode_segment("filter-1.x_~"), "filter-1.x_~");
    }
}
