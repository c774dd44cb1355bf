//! One error type for the whole client, carrying a stable [`ErrorKind`] code that every
//! language binding maps to its own idiom (design.md §4).

use std::fmt;

/// Stable error codes shared by every binding. The numeric values are part of the ABI:
/// never renumber, only append. Name, description and transience of each code live in
/// [`CODES`], the one table every binding maps from (`tests/vectors/errors.json` holds
/// the same data for the bindings' own tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ErrorKind {
    /// See [`CODES`]: `INVALID_ARGUMENT`.
    InvalidArgument = 1,
    /// See [`CODES`]: `CONFIG`.
    Config = 2,
    /// See [`CODES`]: `UNAUTHORIZED`.
    Unauthorized = 3,
    /// See [`CODES`]: `CONNECTION` (transient).
    Connection = 4,
    /// See [`CODES`]: `TIMEOUT` (transient).
    Timeout = 5,
    /// See [`CODES`]: `CLOSED`.
    Closed = 6,
    /// See [`CODES`]: `MESSAGE_TOO_LARGE`.
    MessageTooLarge = 7,
    /// See [`CODES`]: `PROTOCOL`.
    Protocol = 8,
    /// See [`CODES`]: `SERVICE` (the hub's status is in [`Error::status`]).
    Service = 9,
    /// See [`CODES`]: `CANCELLED`.
    Cancelled = 10,
    /// See [`CODES`]: `NOT_FOUND`.
    NotFound = 11,
    /// See [`CODES`]: `THROTTLED` (transient).
    Throttled = 12,
    /// See [`CODES`]: `INTERNAL`.
    Internal = 13,
}

/// One row of the error-code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodeInfo {
    /// The stable number (`OK` is 0).
    pub code: i32,
    /// The stable upper-case name, e.g. `MESSAGE_TOO_LARGE`.
    pub name: &'static str,
    /// The one description every binding shows for this code.
    pub description: &'static str,
    /// True when retrying the same operation later may succeed without changing anything
    /// (the network came back, the hub has capacity again).
    pub transient: bool,
}

const fn row(
    code: i32,
    name: &'static str,
    transient: bool,
    description: &'static str,
) -> CodeInfo {
    CodeInfo {
        code,
        name,
        description,
        transient,
    }
}

/// Every stable result code, `OK` first, indexed by code: the single source of names,
/// descriptions and transience for all bindings.
pub const CODES: [CodeInfo; 14] = [
    row(0, "OK", false, "Success."),
    row(
        1,
        "INVALID_ARGUMENT",
        false,
        "An argument or option value the API cannot accept (null, not UTF-8, empty name, \
         bad JSON, unknown option, out of range).",
    ),
    row(
        2,
        "CONFIG",
        false,
        "The environment, connection string, key, trust bundle or an EDGEMODULE_* override is \
         missing or malformed (also: edgemodule used in a fork()ed child).",
    ),
    row(
        3,
        "UNAUTHORIZED",
        false,
        "The hub refused the credentials or the operation (CONNACK 4/5, status 401/403); \
         an expired SAS token is reported with status reason EXPIRED_SAS_TOKEN.",
    ),
    row(
        4,
        "CONNECTION",
        true,
        "The network or TLS layer failed, or reconnecting gave up.",
    ),
    row(
        5,
        "TIMEOUT",
        true,
        "The operation did not complete within its timeout.",
    ),
    row(
        6,
        "CLOSED",
        false,
        "The client (or the library, after shutdown) is closed; the operation did not \
         complete.",
    ),
    row(
        7,
        "MESSAGE_TOO_LARGE",
        false,
        "A message exceeds 256 KiB (body + properties); nothing was sent.",
    ),
    row(
        8,
        "PROTOCOL",
        false,
        "The hub sent something that does not follow the protocol.",
    ),
    row(
        9,
        "SERVICE",
        false,
        "The hub answered with an error status (the error carries the status).",
    ),
    row(
        10,
        "CANCELLED",
        false,
        "The operation was cancelled before it completed (by the caller or the host \
         runtime).",
    ),
    row(
        11,
        "NOT_FOUND",
        false,
        "The target (module, method, input) does not exist or is not connected.",
    ),
    row(
        12,
        "THROTTLED",
        true,
        "The hub asked the client to slow down (status 429).",
    ),
    row(
        13,
        "INTERNAL",
        false,
        "A bug in edgemodule (including a caught panic); please report it.",
    ),
];

/// The table row of a numeric code (`OK` included), or `None` for an unknown code.
pub fn code_info(code: i32) -> Option<&'static CodeInfo> {
    usize::try_from(code).ok().and_then(|i| CODES.get(i))
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

    /// This kind's row of [`CODES`].
    pub fn info(self) -> &'static CodeInfo {
        &CODES[self as usize]
    }

    /// The stable numeric code (`OK` is 0 and is not an error).
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The stable upper-case name, e.g. `MESSAGE_TOO_LARGE`.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The one description of this kind (the same text in every language).
    pub fn description(self) -> &'static str {
        self.info().description
    }

    /// True when retrying the same operation later may succeed (`CONNECTION`, `TIMEOUT`,
    /// `THROTTLED`).
    pub fn is_transient(self) -> bool {
        self.info().transient
    }

    /// The kind for a numeric code, if it is one.
    pub fn from_code(code: i32) -> Option<ErrorKind> {
        ErrorKind::ALL.iter().copied().find(|k| k.code() == code)
    }

    /// The kind for a stable name (`"TIMEOUT"`), if it is one.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.iter().copied().find(|k| k.name() == name)
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

    /// True when retrying the same operation later may succeed: the kind's
    /// [`ErrorKind::is_transient`].
    pub fn is_transient(&self) -> bool {
        self.kind.is_transient()
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
    fn the_table_is_indexed_by_code_and_matches_the_kinds() {
        for (i, info) in CODES.iter().enumerate() {
            assert_eq!(info.code, i as i32);
            assert!(!info.description.is_empty());
            assert_eq!(code_info(info.code), Some(info));
        }
        assert_eq!(CODES[0].name, "OK");
        for kind in ErrorKind::ALL {
            assert_eq!(kind.info().code, kind.code());
            assert_eq!(ErrorKind::from_name(kind.name()), Some(kind));
        }
        let transient: Vec<&str> = CODES
            .iter()
            .filter(|c| c.transient)
            .map(|c| c.name)
            .collect();
        assert_eq!(transient, ["CONNECTION", "TIMEOUT", "THROTTLED"]);
        assert_eq!(code_info(-1), None);
        assert_eq!(code_info(14), None);
        assert!(Error::from_status(429, "slow down").is_transient());
        assert!(!Error::closed().is_transient());
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
