//! Workload API routes and handlers (protocol.md §2.2–§2.4).

use std::convert::Infallible;
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::{Method, Request, StatusCode};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::http::{self, Reply};
use super::{Caller, State};
use crate::certs::IssuedCertificate;
use crate::methods::http_util::read_body;

/// Largest request body accepted (sign data is a short string).
const MAX_BODY: usize = 64 * 1024;

/// Entry point for every request. The body is read before anything is decided, so a client
/// that writes its body after the headers always gets the answer, errors included.
pub(crate) async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Reply, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match read_body(body, MAX_BODY).await {
        Ok(body) => body,
        Err(e) => return Ok(http::error(e.status(), e.to_string())),
    };
    Ok(route(&state, &parts, &body).unwrap_or_else(|e| http::error(e.status, e.message)))
}

/// A failed request: becomes `{"message": …}` with `status`.
struct ApiError {
    status: StatusCode,
    message: String,
}

fn error(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        message: message.into(),
    }
}

/// Which endpoint a path names.
enum Endpoint {
    TrustBundle,
    ManifestTrustBundle,
    Sign { module: String, genid: String },
    IdentityCert { module: String },
    ServerCert { module: String, genid: String },
}

fn route(state: &State, req: &Parts, body: &Bytes) -> Result<Reply, ApiError> {
    let endpoint = parse_path(req.uri.path())?;
    let api_version = http::query_param(req.uri.query(), "api-version").unwrap_or_default();
    if api_version.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "the api-version query parameter is required",
        ));
    }
    let expected = match endpoint {
        Endpoint::TrustBundle | Endpoint::ManifestTrustBundle => Method::GET,
        _ => Method::POST,
    };
    if req.method != expected {
        return Err(error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{} is not allowed here; use {expected}", req.method),
        ));
    }
    match endpoint {
        Endpoint::TrustBundle => Ok(http::json(
            StatusCode::OK,
            &json!({ "certificate": state.certs.ca_pem }),
        )),
        Endpoint::ManifestTrustBundle => {
            Ok(http::json(StatusCode::OK, &json!({ "certificate": "" })))
        }
        Endpoint::Sign { module, genid } => {
            check_caller(state, &module)?;
            check_module(state, &module, Some(&genid))?;
            let body = parse_json(body, true)?;
            sign(state, &module, &body)
        }
        Endpoint::IdentityCert { module } => {
            check_caller(state, &module)?;
            check_module(state, &module, None)?;
            let body = parse_json(body, false)?;
            let expiration = expiration(&body)?;
            let ids = &state.identities;
            let issued = state
                .certs
                .issue_identity_certificate_until(
                    ids.iothub_host_name(),
                    ids.device_id(),
                    &module,
                    expiration,
                )
                .map_err(cert_error)?;
            Ok(certificate_reply(&issued))
        }
        Endpoint::ServerCert { module, genid } => {
            check_caller(state, &module)?;
            check_module(state, &module, Some(&genid))?;
            let body = parse_json(body, true)?;
            let Some(common_name) = body.get("commonName").and_then(Value::as_str) else {
                return Err(error(StatusCode::BAD_REQUEST, "commonName is required"));
            };
            let expiration = expiration(&body)?;
            let issued = state
                .certs
                .issue_server_certificate(common_name, &module, expiration)
                .map_err(cert_error)?;
            Ok(certificate_reply(&issued))
        }
    }
}

fn parse_path(path: &str) -> Result<Endpoint, ApiError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let decode = |s: &str| {
        http::percent_decode(s).ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                format!("malformed path segment '{s}'"),
            )
        })
    };
    match segments.as_slice() {
        ["trust-bundle"] => Ok(Endpoint::TrustBundle),
        ["manifest-trust-bundle"] => Ok(Endpoint::ManifestTrustBundle),
        ["modules", name, "genid", genid, "sign"] => Ok(Endpoint::Sign {
            module: decode(name)?,
            genid: decode(genid)?,
        }),
        ["modules", name, "certificate", "identity"] => Ok(Endpoint::IdentityCert {
            module: decode(name)?,
        }),
        ["modules", name, "genid", genid, "certificate", "server"] => Ok(Endpoint::ServerCert {
            module: decode(name)?,
            genid: decode(genid)?,
        }),
        _ => Err(error(
            StatusCode::NOT_FOUND,
            format!("no such workload API path: {path}"),
        )),
    }
}

/// 403 when the socket belongs to another module than the one the request names (checked
/// before anything else, so a module cannot even learn which other modules exist).
fn check_caller(state: &State, module: &str) -> Result<(), ApiError> {
    match &state.caller {
        Caller::AnyModule => Ok(()),
        Caller::Module(own) if own == module => Ok(()),
        Caller::Module(own) => Err(error(
            StatusCode::FORBIDDEN,
            format!("this workload socket belongs to module '{own}'; it cannot act for module '{module}'"),
        )),
    }
}

/// 404 for an unknown module or a generation id that is not the module's.
fn check_module(state: &State, module: &str, genid: Option<&str>) -> Result<(), ApiError> {
    let Some(actual) = state.identities.generation_id(module) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            format!("module '{module}' not found"),
        ));
    };
    match genid {
        Some(genid) if genid != actual => Err(error(
            StatusCode::NOT_FOUND,
            format!("module '{module}' has no generation '{genid}'"),
        )),
        _ => Ok(()),
    }
}

/// The request body as JSON; an empty body is `{}` unless `required`.
fn parse_json(bytes: &Bytes, required: bool) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return if required {
            Err(error(
                StatusCode::BAD_REQUEST,
                "a JSON request body is required",
            ))
        } else {
            Ok(json!({}))
        };
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "the body must be a JSON object",
        ));
    }
    Ok(value)
}

/// `{"keyId","algo","data"}` → `{"digest"}` (HMAC-SHA256 of the decoded data, module key).
fn sign(state: &State, module: &str, body: &Value) -> Result<Reply, ApiError> {
    let ids = &state.identities;
    let key = match body.get("keyId").and_then(Value::as_str) {
        None | Some("primary") => ids.primary_key(module),
        Some("secondary") => ids.secondary_key(module),
        Some(other) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!("unknown keyId '{other}'"),
            ));
        }
    };
    if let Some(algo) = body.get("algo").and_then(Value::as_str) {
        if !algo.eq_ignore_ascii_case("HMACSHA256") {
            return Err(error(
                StatusCode::BAD_REQUEST,
                format!("unsupported algo '{algo}'"),
            ));
        }
    }
    let Some(data) = body.get("data").and_then(Value::as_str) else {
        return Err(error(StatusCode::BAD_REQUEST, "data (base64) is required"));
    };
    let data = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| {
            error(
                StatusCode::BAD_REQUEST,
                format!("data is not valid base64: {e}"),
            )
        })?;
    let Some(key) = key else {
        return Err(error(
            StatusCode::NOT_FOUND,
            format!("module '{module}' not found"),
        ));
    };
    let digest = edgemodule::protocol::sas::sign(key, &data).map_err(|e| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("signing failed: {e}"),
        )
    })?;
    Ok(http::json(StatusCode::OK, &json!({ "digest": digest })))
}

/// Optional `expiration` (RFC 3339 / ISO 8601).
fn expiration(body: &Value) -> Result<Option<OffsetDateTime>, ApiError> {
    match body.get("expiration") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => OffsetDateTime::parse(s, &Rfc3339).map(Some).map_err(|e| {
            error(
                StatusCode::BAD_REQUEST,
                format!("expiration '{s}' is not an RFC 3339 time: {e}"),
            )
        }),
        Some(_) => Err(error(
            StatusCode::BAD_REQUEST,
            "expiration must be a string",
        )),
    }
}

fn cert_error(e: std::io::Error) -> ApiError {
    let status = if e.kind() == std::io::ErrorKind::InvalidInput {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    error(status, format!("could not issue the certificate: {e}"))
}

fn certificate_reply(issued: &IssuedCertificate) -> Reply {
    let expiration = issued.expiration.format(&Rfc3339).unwrap_or_default();
    http::json(
        StatusCode::CREATED,
        &json!({
            "privateKey": { "type": "key", "bytes": issued.key_pem },
            "certificate": issued.chain_pem,
            "expiration": expiration,
        }),
    )
}
