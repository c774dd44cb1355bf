//! One error type for the whole client, carrying a stable [`ErrorKind`] code that every
//! language binding maps to its own idiom (design.md §4).

use std::fmt;

/// Stable error codes shared by every binding. The numeric values are part of the ABI:
/// never renumber, only append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ErrorKind {
    /// A caller passed a value the API cannot accept (empty name, bad JSON, …).
    InvalidArgument = 1,
    /// The environment, connection string, key or options are missing or malformed.
    Config = 2,
    /// The hub refused the credentials (CONNACK 4/5, HTTP 401/403).
    Unauthorized = 3,
    /// The network or TLS layer failed.
    Connection = 4,
    /// An operation did not complete within its timeout.
    Timeout = 5,
    /// The client was closed before or while the operation ran.
    Closed = 6,
    /// A message exceeds 256 KiB (body + properties); nothing was sent.
    MessageTooLarge = 7,
    /// The peer sent something that does not follow the protocol.
    Protocol = 8,
    /// The hub answered with an error status (see [`Error::status`]).
    Service = 9,
    /// The caller cancelled the operation.
    Cancelled = 10,
    /// The target (module, method, input) does not exist or is not connected.
    NotFound = 11,
    /// The hub asked the client to slow down (HTTP/twin 429).
    Throttled = 12,
    /// A bug in edgemodule itself: please report it.
    Internal = 13,
}

impl ErrorKind {
    /// Every kind, in code order (used by bindings and tests to check their mappings).
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::InvalidArgument,
        ErrorKind::Config,
        ErrorKind::Unauthorized,
        ErrorKind::Connection,
        ErrorKind::Timeout,
        ErrorKind::Closed,
        ErrorKind::MessageTooLarge,
        ErrorKind::Protocol,
        ErrorKind::Service,
        ErrorKind::Cancelled,
        ErrorKind::NotFound,
        ErrorKind::Throttled,
        ErrorKind::Internal,
    ];

    /// The stable numeric code (`OK` is 0 and is not an error).
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The stable upper-case name, e.g. `MESSAGE_TOO_LARGE`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::Config => "CONFIG",
            ErrorKind::Unauthorized => "UNAUTHORIZED",
            ErrorKind::Connection => "CONNECTION",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Closed => "CLOSED",
            ErrorKind::MessageTooLarge => "MESSAGE_TOO_LARGE",
            ErrorKind::Protocol => "PROTOCOL",
            ErrorKind::Service => "SERVICE",
            ErrorKind::Cancelled => "CANCELLED",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::Throttled => "THROTTLED",
            ErrorKind::Internal => "INTERNAL",
        }
    }

    /// The kind for a numeric code, if it is one.
    pub fn from_code(code: i32) -> Option<ErrorKind> {
        ErrorKind::ALL.iter().copied().find(|k| k.code() == code)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error every fallible edgemodule operation returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
}

impl Error {
    /// A new error of `kind`; `message` says what was wrong and what to do about it.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            status: None,
        }
    }

    /// A `SERVICE` (or a status-specific kind) error for a hub answer with `status`.
    pub fn from_status(status: u16, message: impl Into<String>) -> Self {
        let kind = match status {
            401 | 403 => ErrorKind::Unauthorized,
            404 => ErrorKind::NotFound,
            429 => ErrorKind::Throttled,
            504 => ErrorKind::Timeout,
            _ => ErrorKind::Service,
        };
        Error {
            kind,
            message: message.into(),
            status: Some(status),
        }
    }

    /// Shorthand for a `CONFIG` error.
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    /// Shorthand for an `INVALID_ARGUMENT` error.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// Shorthand for a `PROTOCOL` error.
    pub fn protocol(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, message)
    }

    /// Shorthand for a `CLOSED` error.
    pub fn closed() -> Self {
        Error::new(
            ErrorKind::Closed,
            "the client is closed; create a new client to continue",
        )
    }

    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The status the hub answered with, for `SERVICE`-like errors.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "{} (status {}): {}", self.kind, status, self.message),
            None => write!(f, "{}: {}", self.kind, self.message),
        }
    }
}

impl std::error::Error for Error {}

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let codes: Vec<i32> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes, (1..=13).collect::<Vec<i32>>());
        assert_eq!(ErrorKind::from_code(7), Some(ErrorKind::MessageTooLarge));
        assert_eq!(ErrorKind::from_code(0), None);
        assert_eq!(ErrorKind::from_code(14), None);
    }

    #[test]
    fn status_maps_to_kind() {
        assert_eq!(Error::from_status(404, "x").kind(), ErrorKind::NotFound);
        assert_eq!(Error::from_status(400, "x").kind(), ErrorKind::Service);
        assert_eq!(Error::from_status(400, "x").status(), Some(400));
        assert_eq!(
            Error::from_status(500, "boom").to_string(),
            "SERVICE (status 500): boom"
        );
    }
}
