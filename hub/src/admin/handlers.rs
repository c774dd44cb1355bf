//! Request handlers of the admin API (see the table in the module docs).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::upstream::message_json;
use super::AdminState;
use crate::error::HubError;
use crate::methods::http_util::{
    drain_body, json_response, message_response, path_segments, query_param, read_body, BodyError,
    ChannelBody, ResponseBody,
};

/// Largest accepted request body (twin patches are ≤ 32 KiB, method payloads ≤ 128 KiB).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Checks the bearer token, then dispatches the request. Every endpoint, present and
/// future, is behind this check.
pub(super) async fn handle(state: &AdminState, req: Request<Incoming>) -> Response<ResponseBody> {
    let authorization = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
    if !state.token.accepts(authorization) {
        tracing::warn!(path = %req.uri().path(), "admin request without a valid token refused");
        // Read what the client sends before answering, so it sees the 401 and not a reset.
        drain_body(req.into_body(), MAX_BODY_BYTES).await;
        let mut response = message_response(
            StatusCode::UNAUTHORIZED,
            "the admin API needs 'Authorization: Bearer <token>' with the token in the hub's \
             state directory (admin.token); the CLI reads it from --state DIR or \
             EDGEMODULE_HUB_STATE",
        );
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"edgemodule-hub\""),
        );
        return response;
    }
    route(state, req).await
}

/// Dispatches one authenticated admin request.
async fn route(state: &AdminState, req: Request<Incoming>) -> Response<ResponseBody> {
    let segments = path_segments(req.uri());
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = req.method().clone();
    match (&method, &segments[..]) {
        (&Method::GET, ["health"]) => health(state),
        (&Method::GET, ["modules"]) => modules(state),
        (&Method::GET, ["modules", m, "env"]) => module_env(state, m),
        (&Method::GET, ["modules", m, "twin"]) => result(state.twins.twin_json(m)),
        (&Method::GET, ["modules", m, "inspect"]) => inspect(state, m),
        (&Method::PATCH, ["modules", m, "twin", "desired"]) => {
            let module = m.to_string();
            match read_json(req.into_body(), Value::Null).await {
                Ok(patch) => result(
                    state
                        .twins
                        .update_desired(&module, patch)
                        .map(|version| json!({ "version": version })),
                ),
                Err((status, e)) => message_response(status, &e),
            }
        }
        (&Method::POST, ["modules", m, "methods", name]) => {
            let (module, name) = (m.to_string(), name.to_string());
            invoke(state, req, &module, &name).await
        }
        (&Method::GET, ["runtime"]) => crate::runtime::admin::runtime(&state.runtime),
        (&Method::GET, ["modules", m, "logs"]) => crate::runtime::admin::module_logs(
            &state.runtime,
            m,
            query_param(req.uri(), "tail").as_deref(),
            query_param(req.uri(), "follow").is_some_and(|v| v != "false"),
        ),
        (&Method::GET, ["upstream"]) => {
            let flag = |name: &str| query_param(req.uri(), name).map(|v| v != "false");
            upstream(
                state,
                flag("follow").unwrap_or(false),
                flag("history").unwrap_or(true),
            )
        }
        (_, ["health"] | ["modules"] | ["upstream"] | ["runtime"])
        | (_, ["modules", _, "env" | "twin" | "inspect" | "logs"])
        | (_, ["modules", _, "twin", "desired"])
        | (_, ["modules", _, "methods", _]) => {
            message_response(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        _ => message_response(StatusCode::NOT_FOUND, "no such resource"),
    }
}

fn health(state: &AdminState) -> Response<ResponseBody> {
    let mut body = json!({
        "status": "ok",
        "deviceId": state.identities.device_id(),
        "iothubHostName": state.identities.iothub_host_name(),
        "gatewayHostName": state.identities.gateway_host_name(),
    });
    if let (Value::Object(body), Value::Object(info)) = (&mut body, &state.info) {
        body.extend(info.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    if let (Value::Object(body), Value::Object(counters)) = (&mut body, (state.counters)()) {
        body.extend(counters);
    }
    json_response(StatusCode::OK, &body)
}

fn modules(state: &AdminState) -> Response<ResponseBody> {
    let device = state.identities.device_id();
    let modules: Vec<Value> = state
        .identities
        .modules()
        .into_iter()
        .map(|m| {
            let connected = state.broker.is_connected(&format!("{device}/{m}"));
            json!({ "moduleId": m, "connected": connected })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({ "deviceId": device, "modules": modules }),
    )
}

fn module_env(state: &AdminState, module: &str) -> Response<ResponseBody> {
    let (Some(env), Some(connection_string)) = (
        (state.module_env)(module),
        state.identities.connection_string(module),
    ) else {
        return not_found(module);
    };
    let pair = |name: &str, value: &str| json!({ "name": name, "value": value });
    let workload: Vec<Value> = env.iter().map(|(k, v)| pair(k, v)).collect();
    let mut simulator = vec![
        pair("EdgeHubConnectionString", &connection_string),
        pair(
            "EdgeModuleCACertificateFile",
            &state.ca_certificate_file.to_string_lossy(),
        ),
    ];
    // Port overrides matter to both forms.
    simulator.extend(
        env.iter()
            .filter(|(k, _)| k.starts_with("EDGEMODULE_"))
            .map(|(k, v)| pair(k, v)),
    );
    json_response(
        StatusCode::OK,
        &json!({ "moduleId": module, "workload": workload, "connectionString": simulator }),
    )
}

fn inspect(state: &AdminState, module: &str) -> Response<ResponseBody> {
    match (state.inspect)(module) {
        Some(snapshot) => match serde_json::to_value(&snapshot) {
            Ok(value) => json_response(StatusCode::OK, &value),
            Err(e) => message_response(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        },
        None => not_found(module),
    }
}

async fn invoke(
    state: &AdminState,
    req: Request<Incoming>,
    module: &str,
    method: &str,
) -> Response<ResponseBody> {
    let seconds = |name: &str, default: u64| -> Result<Duration, String> {
        match query_param(req.uri(), name) {
            None => Ok(Duration::from_secs(default)),
            Some(v) => v
                .parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|_| format!("{name} must be a number of seconds")),
        }
    };
    let timeouts = seconds("timeout", 30).and_then(|r| Ok((r, seconds("connectTimeout", 0)?)));
    let (response_timeout, connect_timeout) = match timeouts {
        Ok(t) => t,
        Err(e) => return message_response(StatusCode::BAD_REQUEST, &e),
    };
    let payload = match read_json(req.into_body(), Value::Null).await {
        Ok(payload) => payload,
        Err((status, e)) => return message_response(status, &e),
    };
    let outcome = state
        .methods
        .invoke(module, method, payload, connect_timeout, response_timeout)
        .await;
    result(outcome.map(|(status, payload)| json!({ "status": status, "payload": payload })))
}

fn upstream(state: &AdminState, follow: bool, with_history: bool) -> Response<ResponseBody> {
    let (mut history, mut live) = state.upstream.subscribe();
    if !with_history {
        history.clear();
    }
    let (tx, body) = ChannelBody::new(64);
    tokio::spawn(async move {
        for message in &history {
            if tx.send(json_line(&message_json(message))).await.is_err() {
                return;
            }
        }
        if !follow {
            return;
        }
        loop {
            let received = tokio::select! {
                received = live.recv() => received,
                () = tx.closed() => return, // the client went away
            };
            let message = match received {
                Ok(message) => message,
                Err(RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, "upstream monitor fell behind");
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            if tx.send(json_line(&message_json(&message))).await.is_err() {
                return; // the client went away
            }
        }
    });
    let mut response = Response::new(body.boxed());
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    response
}

fn json_line(value: &Value) -> Bytes {
    let mut line = serde_json::to_vec(value).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

/// Reads a JSON request body; an empty body gives `empty`. The error carries its status
/// (400, 408 or 413) and message.
async fn read_json(body: Incoming, empty: Value) -> Result<Value, (StatusCode, String)> {
    let bytes = read_body(body, MAX_BODY_BYTES)
        .await
        .map_err(|e: BodyError| (e.status(), e.to_string()))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(empty);
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            format!("request body is not JSON: {e}"),
        )
    })
}

fn result(outcome: Result<Value, HubError>) -> Response<ResponseBody> {
    match outcome {
        Ok(value) => json_response(StatusCode::OK, &value),
        Err(HubError::NotFound(m)) => message_response(StatusCode::NOT_FOUND, &m),
        Err(HubError::BadRequest(m)) => message_response(StatusCode::BAD_REQUEST, &m),
        Err(HubError::Timeout(m)) => message_response(StatusCode::GATEWAY_TIMEOUT, &m),
        Err(e) => message_response(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

fn not_found(module: &str) -> Response<ResponseBody> {
    message_response(
        StatusCode::NOT_FOUND,
        &format!("not found: module '{module}'"),
    )
}
