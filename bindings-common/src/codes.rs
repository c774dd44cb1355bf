//! Stable numeric codes shared by every binding: error kinds (design.md §4), connection
//! states and status reasons. Bindings switch on these numbers, never on Rust enums.

use edgemodule::{ConnectionState, Error, ErrorKind, StatusReason};

/// The code of success; not an [`ErrorKind`].
pub const OK: i32 = 0;

/// The stable code of an error.
pub fn error_code(error: &Error) -> i32 {
    error.kind().code()
}

/// `(code, name)` of every error kind, `OK` first; the table each binding checks its own
/// mapping against.
pub fn error_table() -> Vec<(i32, &'static str)> {
    std::iter::once((OK, "OK"))
        .chain(ErrorKind::ALL.iter().map(|k| (k.code(), k.name())))
        .collect()
}

/// The upper-case name of an error code (`"OK"` for 0), or `None` for an unknown code.
pub fn error_name(code: i32) -> Option<&'static str> {
    if code == OK {
        return Some("OK");
    }
    ErrorKind::from_code(code).map(ErrorKind::name)
}

/// Code of a connection state: `DISCONNECTED 0, CONNECTED 1, DISCONNECTED_RETRYING 2,
/// CLOSED 3`.
pub fn state_code(state: ConnectionState) -> i32 {
    match state {
        ConnectionState::Disconnected => 0,
        ConnectionState::Connected => 1,
        ConnectionState::DisconnectedRetrying => 2,
        ConnectionState::Closed => 3,
    }
}

/// Code of a status reason: `OK 0, EXPIRED_SAS_TOKEN 1, BAD_CREDENTIAL 2, NO_NETWORK 3,
/// RETRY_EXPIRED 4, COMMUNICATION_ERROR 5, CLIENT_CLOSE 6`.
pub fn reason_code(reason: StatusReason) -> i32 {
    match reason {
        StatusReason::Ok => 0,
        StatusReason::ExpiredSasToken => 1,
        StatusReason::BadCredential => 2,
        StatusReason::NoNetwork => 3,
        StatusReason::RetryExpired => 4,
        StatusReason::CommunicationError => 5,
        StatusReason::ClientClose => 6,
    }
}

/// `(code, name)` of every connection state.
pub const STATES: [(i32, &str); 4] = [
    (0, "DISCONNECTED"),
    (1, "CONNECTED"),
    (2, "DISCONNECTED_RETRYING"),
    (3, "CLOSED"),
];

/// `(code, name)` of every status reason.
pub const REASONS: [(i32, &str); 7] = [
    (0, "OK"),
    (1, "EXPIRED_SAS_TOKEN"),
    (2, "BAD_CREDENTIAL"),
    (3, "NO_NETWORK"),
    (4, "RETRY_EXPIRED"),
    (5, "COMMUNICATION_ERROR"),
    (6, "CLIENT_CLOSE"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_table_is_ok_then_every_kind_in_order() {
        let table = error_table();
        assert_eq!(table.len(), 14);
        for (i, (code, name)) in table.iter().enumerate() {
            assert_eq!(*code, i as i32);
            assert_eq!(error_name(*code), Some(*name));
        }
        assert_eq!(error_name(14), None);
        assert_eq!(error_name(-1), None);
        assert_eq!(error_code(&Error::closed()), 6);
    }

    #[test]
    fn states_and_reasons_have_distinct_documented_codes() {
        use ConnectionState::*;
        for (state, name) in [
            (Disconnected, "DISCONNECTED"),
            (Connected, "CONNECTED"),
            (DisconnectedRetrying, "DISCONNECTED_RETRYING"),
            (Closed, "CLOSED"),
        ] {
            assert_eq!(STATES[state_code(state) as usize].1, name);
        }
        use StatusReason::*;
        for (reason, name) in [
            (Ok, "OK"),
            (ExpiredSasToken, "EXPIRED_SAS_TOKEN"),
            (BadCredential, "BAD_CREDENTIAL"),
            (NoNetwork, "NO_NETWORK"),
            (RetryExpired, "RETRY_EXPIRED"),
            (CommunicationError, "COMMUNICATION_ERROR"),
            (ClientClose, "CLIENT_CLOSE"),
        ] {
            assert_eq!(REASONS[reason_code(reason) as usize].1, name);
        }
    }
}
