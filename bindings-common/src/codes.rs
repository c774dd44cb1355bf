//! Stable numeric codes shared by every binding: error kinds (design.md §4), connection
//! states and status reasons. Bindings switch on these numbers, never on Rust enums, and
//! take names, descriptions and transience from here — the core's tables
//! ([`edgemodule::CODES`], [`edgemodule::STATES`], [`edgemodule::REASONS`]) — instead of
//! keeping their own copies. NUL-terminated variants serve C and JNI.

use std::ffi::{CStr, CString};
use std::sync::OnceLock;

use edgemodule::{CodeInfo, ConnectionState, Error, StatusReason};

/// The code of success; not an [`edgemodule::ErrorKind`].
pub const OK: i32 = 0;

/// The stable code of an error.
pub fn error_code(error: &Error) -> i32 {
    error.kind().code()
}

/// Every result code with its name, description and transience, `OK` first, indexed by
/// code.
pub fn error_infos() -> &'static [CodeInfo] {
    &edgemodule::CODES
}

/// The row of `code`, or `None` for an unknown code.
pub fn error_info(code: i32) -> Option<&'static CodeInfo> {
    edgemodule::code_info(code)
}

/// `(code, name)` of every error kind, `OK` first; the table each binding checks its own
/// mapping against.
pub fn error_table() -> Vec<(i32, &'static str)> {
    error_infos().iter().map(|c| (c.code, c.name)).collect()
}

/// The upper-case name of an error code (`"OK"` for 0), or `None` for an unknown code.
pub fn error_name(code: i32) -> Option<&'static str> {
    error_info(code).map(|c| c.name)
}

/// The one description of an error code, or `None` for an unknown code.
pub fn error_description(code: i32) -> Option<&'static str> {
    error_info(code).map(|c| c.description)
}

/// True when retrying after an error with `code` may succeed (`CONNECTION`, `TIMEOUT`,
/// `THROTTLED`); false for unknown codes.
pub fn error_is_transient(code: i32) -> bool {
    error_info(code).is_some_and(|c| c.transient)
}

/// NUL-terminated copies of the code table's strings, built once.
struct CTable {
    names: Vec<CString>,
    descriptions: Vec<CString>,
}

fn c_table() -> &'static CTable {
    static TABLE: OnceLock<CTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The table's strings are literals without NUL bytes; an empty string would only
        // stand in for one that had.
        let c = |s: &str| CString::new(s).unwrap_or_default();
        CTable {
            names: error_infos().iter().map(|i| c(i.name)).collect(),
            descriptions: error_infos().iter().map(|i| c(i.description)).collect(),
        }
    })
}

/// [`error_name`] as a static NUL-terminated string (for C and JNI).
pub fn error_name_cstr(code: i32) -> Option<&'static CStr> {
    let i = usize::try_from(code).ok()?;
    c_table().names.get(i).map(CString::as_c_str)
}

/// [`error_description`] as a static NUL-terminated string (for C and JNI).
pub fn error_description_cstr(code: i32) -> Option<&'static CStr> {
    let i = usize::try_from(code).ok()?;
    c_table().descriptions.get(i).map(CString::as_c_str)
}

/// Code of a connection state: `DISCONNECTED 0, CONNECTED 1, DISCONNECTED_RETRYING 2,
/// CLOSED 3`.
pub fn state_code(state: ConnectionState) -> i32 {
    state.code()
}

/// Code of a status reason: `OK 0, EXPIRED_SAS_TOKEN 1, BAD_CREDENTIAL 2, NO_NETWORK 3,
/// RETRY_EXPIRED 4, COMMUNICATION_ERROR 5, CLIENT_CLOSE 6`.
pub fn reason_code(reason: StatusReason) -> i32 {
    reason.code()
}

/// The name of a state code, or `None`.
pub fn state_name(code: i32) -> Option<&'static str> {
    ConnectionState::from_code(code).map(ConnectionState::name)
}

/// The name of a reason code, or `None`.
pub fn reason_name(code: i32) -> Option<&'static str> {
    StatusReason::from_code(code).map(StatusReason::name)
}

/// The description of a reason code, or `None`.
pub fn reason_description(code: i32) -> Option<&'static str> {
    StatusReason::from_code(code).map(|r| r.info().description)
}

/// NUL-terminated names and descriptions of the states and reasons, indexed by code.
struct StatusCTable {
    state_names: Vec<CString>,
    reason_names: Vec<CString>,
    reason_descriptions: Vec<CString>,
}

fn status_c_table() -> &'static StatusCTable {
    static TABLE: OnceLock<StatusCTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Literals without NUL bytes, as in `c_table`.
        let c = |s: &str| CString::new(s).unwrap_or_default();
        StatusCTable {
            state_names: edgemodule::STATES.iter().map(|i| c(i.name)).collect(),
            reason_names: edgemodule::REASONS.iter().map(|i| c(i.name)).collect(),
            reason_descriptions: edgemodule::REASONS
                .iter()
                .map(|i| c(i.description))
                .collect(),
        }
    })
}

fn by_code(table: &'static [CString], code: i32) -> Option<&'static CStr> {
    let i = usize::try_from(code).ok()?;
    table.get(i).map(CString::as_c_str)
}

/// [`state_name`] as a static NUL-terminated string (for C and JNI).
pub fn state_name_cstr(code: i32) -> Option<&'static CStr> {
    by_code(&status_c_table().state_names, code)
}

/// [`reason_name`] as a static NUL-terminated string (for C and JNI).
pub fn reason_name_cstr(code: i32) -> Option<&'static CStr> {
    by_code(&status_c_table().reason_names, code)
}

/// [`reason_description`] as a static NUL-terminated string (for C and JNI).
pub fn reason_description_cstr(code: i32) -> Option<&'static CStr> {
    by_code(&status_c_table().reason_descriptions, code)
}

const fn pair(info: &edgemodule::StatusInfo) -> (i32, &'static str) {
    (info.code, info.name)
}

/// `(code, name)` of every connection state.
pub const STATES: [(i32, &str); 4] = [
    pair(&edgemodule::STATES[0]),
    pair(&edgemodule::STATES[1]),
    pair(&edgemodule::STATES[2]),
    pair(&edgemodule::STATES[3]),
];

/// `(code, name)` of every status reason.
pub const REASONS: [(i32, &str); 7] = [
    pair(&edgemodule::REASONS[0]),
    pair(&edgemodule::REASONS[1]),
    pair(&edgemodule::REASONS[2]),
    pair(&edgemodule::REASONS[3]),
    pair(&edgemodule::REASONS[4]),
    pair(&edgemodule::REASONS[5]),
    pair(&edgemodule::REASONS[6]),
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
            assert_eq!(
                error_name_cstr(*code).and_then(|c| c.to_str().ok()),
                Some(*name)
            );
            assert_eq!(
                error_description_cstr(*code).and_then(|c| c.to_str().ok()),
                error_description(*code)
            );
        }
        assert_eq!(error_name(14), None);
        assert_eq!(error_name(-1), None);
        assert_eq!(error_name_cstr(14), None);
        assert_eq!(error_code(&Error::closed()), 6);
        assert!(error_is_transient(5) && !error_is_transient(6) && !error_is_transient(99));
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
            assert_eq!(state_name(state_code(state)), Some(name));
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
            assert_eq!(reason_name(reason_code(reason)), Some(name));
            assert!(reason_description(reason_code(reason)).is_some());
        }
    }

    #[test]
    fn nul_terminated_status_strings_match_the_tables() {
        for info in &edgemodule::STATES {
            let c = state_name_cstr(info.code).unwrap();
            assert_eq!(c.to_str().unwrap(), info.name);
        }
        for info in &edgemodule::REASONS {
            assert_eq!(
                reason_name_cstr(info.code).unwrap().to_str().unwrap(),
                info.name
            );
            assert_eq!(
                reason_description_cstr(info.code)
                    .unwrap()
                    .to_str()
                    .unwrap(),
                info.description
            );
        }
        assert!(state_name_cstr(-1).is_none() && reason_name_cstr(7).is_none());
        assert!(reason_description_cstr(99).is_none());
    }
}
