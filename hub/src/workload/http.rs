//! Small HTTP helpers for the workload API: JSON responses, query and path decoding.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};

/// The response type of every handler.
pub(crate) type Reply = Response<Full<Bytes>>;

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Reply {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// An error response `{"message": …}`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Reply {
    json(status, &serde_json::json!({ "message": message.into() }))
}

/// The value of query parameter `name` (percent-decoded), if present.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k)? == name).then(|| percent_decode(v))?
    })
}

/// Percent-decodes a path segment or query component (`+` is kept: RFC 3986 rules).
/// `None` on a malformed escape or invalid UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("%24edgeHub").as_deref(), Some("$edgeHub"));
        assert_eq!(percent_decode("a+b").as_deref(), Some("a+b"));
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn finds_query_params() {
        let q = Some("x=1&api-version=2019-01-30&y");
        assert_eq!(query_param(q, "api-version").as_deref(), Some("2019-01-30"));
        assert_eq!(query_param(q, "y").as_deref(), Some(""));
        assert_eq!(query_param(q, "z"), None);
        assert_eq!(query_param(None, "api-version"), None);
    }
}
