//! Error conversion. napi-rs can only attach its own fixed `Status` to a rejected Promise,
//! so the stable edgemodule error kind travels in the message as JSON
//! (`{"edgemodule":{"kind":"TIMEOUT","code":5,"status":null,"message":"…"}}`); the
//! JavaScript wrapper (`lib/errors.js`) turns it into an `EdgeModuleError` subclass whose
//! `code`, `description` and `transient` come from the core's table ([`crate::tables`]).

use edgemodule::{Error, ErrorKind};

/// The JavaScript-facing error for a core error.
pub fn to_napi(error: Error) -> napi::Error {
    let payload = serde_json::json!({
        "edgemodule": {
            "kind": error.kind().name(),
            "code": error.kind().code(),
            "status": error.status(),
            "message": error.message(),
        }
    });
    napi::Error::new(napi::Status::GenericFailure, payload.to_string())
}

/// An `INVALID_ARGUMENT` error with `message`.
pub fn invalid_argument(message: impl Into<String>) -> napi::Error {
    to_napi(Error::invalid_argument(message))
}

/// Throws the error the binding produces for kind `kind` (by its table name), for tests of
/// the JavaScript mapping.
#[napi_derive::napi(catch_unwind)]
pub fn make_error(kind: String, message: String) -> napi::Result<()> {
    let kind = ErrorKind::from_name(&kind)
        .ok_or_else(|| invalid_argument(format!("unknown error kind {kind:?}")))?;
    Err(to_napi(Error::new(kind, message)))
}

/// Throws the error the core makes of a hub answer with `status` (`Error::from_status`), for
/// tests of the JavaScript mapping against `tests/vectors/errors.json`.
#[napi_derive::napi(catch_unwind)]
pub fn make_status_error(status: u16, message: String) -> napi::Result<()> {
    Err(to_napi(Error::from_status(status, message)))
}
