//! The HTTPS module-to-module methods API (protocol.md §6.2):
//! `POST /twins/{d}/modules/{m}/methods` and `POST /twins/{d}/methods`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::body::Incoming;
use hyper::header::AUTHORIZATION;
use hyper::http::request::Parts;
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use serde_json::json;
use tokio::task::JoinHandle;

use super::http_util::{
    drain_body, message_response, path_segments, read_body, spawn_server, text_response,
    ResponseBody, ServerLimits,
};
use super::request::parse_method_request;
use super::MethodDispatcher;
use crate::error::HubError;
use crate::identity::Identities;

/// Header naming the calling module as `{deviceId}/{moduleId}`.
const MODULE_ID_HEADER: &str = "x-ms-edge-moduleId";
/// Request bodies longer than this are refused before parsing (the payload limit is 128 KiB).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the methods API needs: who may call, and how to reach modules.
#[derive(Clone)]
pub struct HttpsState {
    /// Module identities, to check callers' SAS tokens.
    pub identities: Arc<Identities>,
    /// Delivers the calls to the target modules.
    pub dispatcher: MethodDispatcher,
}

/// Serves the methods API over TLS on `bind` until the returned task is aborted. Returns the
/// bound address (useful when `bind` has port 0).
pub async fn serve_https(
    bind: SocketAddr,
    tls: Arc<rustls::ServerConfig>,
    state: HttpsState,
) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let state = Arc::new(state);
    spawn_server(bind, Some(tls), ServerLimits::HTTPS, move |req| {
        let state = state.clone();
        async move { handle(&state, req).await }
    })
    .await
}

/// One request of the methods API. A request refused before its body was needed still has
/// its body read (and discarded), so the client sees the answer rather than a reset.
async fn handle(state: &HttpsState, req: Request<Incoming>) -> Response<ResponseBody> {
    let (parts, body) = req.into_parts();
    let mut body = Some(body);
    let response = respond(state, &parts, &mut body).await;
    if let Some(unread) = body {
        drain_body(unread, MAX_BODY_BYTES).await;
    }
    response
}

/// Answers one request; takes the body out of `body` when it reads it.
async fn respond(
    state: &HttpsState,
    req: &Parts,
    body: &mut Option<Incoming>,
) -> Response<ResponseBody> {
    let segments = path_segments(&req.uri);
    let target = match segments.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["twins", device, "modules", module, "methods"] => {
            (device.to_string(), Some(module.to_string()))
        }
        ["twins", device, "methods"] => (device.to_string(), None),
        _ => return message_response(StatusCode::NOT_FOUND, "No such resource"),
    };
    if req.method != Method::POST {
        return message_response(StatusCode::METHOD_NOT_ALLOWED, "Only POST is supported");
    }
    let (caller_device, caller_module) = match caller(&req.headers) {
        Some(caller) => caller,
        None => {
            return message_response(
                StatusCode::BAD_REQUEST,
                "Invalid header value for x-ms-edge-moduleId",
            )
        }
    };
    let edge_device = state.identities.device_id();
    if caller_device != edge_device {
        return message_response(
            StatusCode::UNAUTHORIZED,
            "Only modules on the same device can invoke DirectMethods",
        );
    }
    let token = req
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if let Err(e) =
        state
            .identities
            .authenticate_token(&caller_device, &caller_module, &token, unix_now())
    {
        return message_response(StatusCode::UNAUTHORIZED, &e.0);
    }

    let Some(unread) = body.take() else {
        return text_response(StatusCode::BAD_REQUEST, "the request body was already read");
    };
    let body = match read_body(unread, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(e) => return text_response(e.status(), &e.to_string()),
    };
    let request = match parse_method_request(&body) {
        Ok(request) => request,
        Err(e) => return text_response(StatusCode::BAD_REQUEST, &e),
    };

    let (target_device, Some(target_module)) = target else {
        // Only modules live on this hub; there are no leaf devices to call.
        return message_response(
            StatusCode::NOT_FOUND,
            &format!("Client {} not found", target.0),
        );
    };
    if target_device != edge_device {
        return message_response(
            StatusCode::NOT_FOUND,
            &format!("Client {target_device}/{target_module} not found"),
        );
    }
    let caller = format!("{caller_device}/{caller_module}");
    tracing::debug!(
        %caller,
        target = %target_module,
        method = %request.method_name,
        "direct method call over HTTPS"
    );
    let result = state
        .dispatcher
        .invoke_from(
            &caller,
            &target_module,
            &request.method_name,
            request.payload,
            request.connect_timeout,
            request.response_timeout,
        )
        .await;
    match result {
        Ok((status, payload)) => super::http_util::json_response(
            StatusCode::OK,
            &json!({ "status": status, "payload": payload }),
        ),
        Err(e) => error_response(&e),
    }
}

/// Maps a dispatcher error to edgeHub's status codes.
fn error_response(e: &HubError) -> Response<ResponseBody> {
    match e {
        HubError::NotFound(m) => message_response(StatusCode::NOT_FOUND, m),
        HubError::Timeout(m) => message_response(StatusCode::GATEWAY_TIMEOUT, m),
        HubError::BadRequest(m) => text_response(StatusCode::BAD_REQUEST, m),
        other => message_response(StatusCode::INTERNAL_SERVER_ERROR, &other.to_string()),
    }
}

/// `x-ms-edge-moduleId: {device}/{module}` → (device, module).
fn caller(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(MODULE_ID_HEADER)?.to_str().ok()?;
    let (device, module) = value.split_once('/')?;
    if device.is_empty() || module.is_empty() || module.contains('/') {
        return None;
    }
    Some((device.to_string(), module.to_string()))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
