//! A minimal HTTP/1.1 client (hyper's connection API) for one request per connection:
//! the workload API over a Unix socket or TCP, and the gateway's HTTPS methods API.

use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

/// Where an HTTP server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// HTTP over a Unix domain socket at this path.
    Unix(PathBuf),
    /// Plain HTTP over TCP to `host:port`.
    Tcp(String),
}

impl Endpoint {
    /// From a workload URI: `unix:///abs/path.sock` or `http://host:port[/]`.
    pub(crate) fn from_uri(uri: &str) -> Option<Endpoint> {
        if let Some(path) = uri.strip_prefix("unix://") {
            return (!path.is_empty()).then(|| Endpoint::Unix(PathBuf::from(path)));
        }
        let authority = uri.strip_prefix("http://")?.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return None;
        }
        let with_port = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        Some(Endpoint::Tcp(with_port))
    }
}

/// A status and a fully read body.
#[derive(Debug, Clone)]
pub(crate) struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response body.
    pub body: Bytes,
}

/// A request to send: method, path with query, headers, body.
#[derive(Debug, Clone)]
pub(crate) struct HttpRequest {
    pub method: hyper::Method,
    pub path_and_query: String,
    pub host: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

/// Sends `request` over `stream` (one request, then the connection is dropped).
/// Errors are human-readable strings; callers map them to an `ErrorKind`.
pub(crate) async fn send<S>(stream: S, request: HttpRequest) -> Result<HttpResponse, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    // The connection future must be polled for the request to make progress.
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut builder = Request::builder()
        .method(request.method)
        .uri(request.path_and_query.as_str())
        .header(hyper::header::HOST, request.host.as_str());
    for (name, value) in &request.headers {
        builder = builder.header(*name, value.as_str());
    }
    let body = Full::new(Bytes::from(request.body.unwrap_or_default()));
    let outcome = async {
        let req = builder
            .body(body)
            .map_err(|e| format!("invalid HTTP request: {e}"))?;
        let response = sender
            .send_request(req)
            .await
            .map_err(|e| format!("HTTP request failed: {e}"))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("reading the HTTP response failed: {e}"))?
            .to_bytes();
        Ok(HttpResponse { status, body })
    }
    .await;
    driver.abort();
    outcome
}

/// The `message` member of a JSON error body, else the body text (shortened).
pub(crate) fn error_message(body: &[u8]) -> String {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
        for key in ["message", "Message"] {
            if let Some(serde_json::Value::String(m)) = map.get(key) {
                return m.clone();
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "no details".to_string()
    } else {
        text.chars().take(300).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_uris() {
        assert_eq!(
            Endpoint::from_uri("unix:///var/run/iotedge/workload.sock"),
            Some(Endpoint::Unix(PathBuf::from(
                "/var/run/iotedge/workload.sock"
            )))
        );
        assert_eq!(
            Endpoint::from_uri("http://127.0.0.1:15580/"),
            Some(Endpoint::Tcp("127.0.0.1:15580".into()))
        );
        assert_eq!(
            Endpoint::from_uri("http://workload"),
            Some(Endpoint::Tcp("workload:80".into()))
        );
        assert_eq!(Endpoint::from_uri("https://x:1"), None);
        assert_eq!(Endpoint::from_uri("unix://"), None);
        assert_eq!(Endpoint::from_uri("http://a/b"), None);
    }

    #[test]
    fn error_messages() {
        assert_eq!(error_message(br#"{"message":"nope"}"#), "nope");
        assert_eq!(error_message(b"plain text\n"), "plain text");
        assert_eq!(error_message(b""), "no details");
    }
}
