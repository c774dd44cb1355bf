//! Error conversion. napi-rs can only attach its own fixed `Status` to a rejected Promise,
//! so the stable edgemodule error kind travels in the message as JSON
//! (`{"edgemodule":{"kind":"TIMEOUT","code":5,"status":null,"message":"…"}}`); the
//! JavaScript wrapper (`lib/errors.js`) turns it into an `EdgeModuleError` subclass whose
//! `code` is the kind name.

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

/// An `INTERNAL` error with `message` (a bug in the binding).
pub fn internal(message: impl Into<String>) -> napi::Error {
    to_napi(Error::new(ErrorKind::Internal, message))
}

/// One stable error kind.
#[napi_derive::napi(object)]
pub struct ErrorKindInfo {
    /// The stable name, e.g. `MESSAGE_TOO_LARGE` (the JavaScript `err.code`).
    pub name: String,
    /// The stable number, e.g. 7.
    pub code: i32,
}

/// Every error kind of the core, so the JavaScript tests can prove each has a class.
#[napi_derive::napi]
pub fn error_kinds() -> Vec<ErrorKindInfo> {
    ErrorKind::ALL
        .iter()
        .map(|kind| ErrorKindInfo {
            name: kind.name().to_string(),
            code: kind.code(),
        })
        .collect()
}

/// Builds the error the binding produces for `kind` (by name), for tests of the mapping.
#[napi_derive::napi(catch_unwind)]
pub fn make_error(kind: String, message: String, status: Option<u16>) -> napi::Result<()> {
    let kind = ErrorKind::ALL
        .iter()
        .copied()
        .find(|k| k.name() == kind)
        .ok_or_else(|| invalid_argument(format!("unknown error kind {kind:?}")))?;
    let error = match status {
        Some(status) => {
            let from_status = Error::from_status(status, message.clone());
            if from_status.kind() == kind {
                from_status
            } else {
                Error::new(kind, message)
            }
        }
        None => Error::new(kind, message),
    };
    Err(to_napi(error))
}
