//! Background errors (`ModuleClient::background_errors`) for bindings whose ABI passes
//! numbers: the stable codes of the core's [`BackgroundErrorKind`] and [`HandlerFamily`], with
//! the core's names (also NUL-terminated, for C and JNI). The numbers are ABI: never reuse or
//! renumber one; a new core variant gets the next number (the matches below do not compile
//! until it has one).

use std::ffi::{CStr, CString};
use std::sync::OnceLock;

use edgemodule::delivery::HandlerFamily;
use edgemodule::BackgroundErrorKind;

/// The slot name of a binding's background-error callback (`HostedClient::set_or_clear`).
pub const SLOT: &str = "background_errors";

/// Every kind with its code.
pub const KINDS: [(i32, BackgroundErrorKind); 3] = [
    (1, BackgroundErrorKind::HandlerFailed),
    (2, BackgroundErrorKind::NoHandler),
    (3, BackgroundErrorKind::SlowHandler),
];

/// Every handler family with its code.
pub const FAMILIES: [(i32, HandlerFamily); 4] = [
    (1, HandlerFamily::Input),
    (2, HandlerFamily::Method),
    (3, HandlerFamily::Desired),
    (4, HandlerFamily::Topic),
];

/// The code of a background-error kind.
pub fn kind_code(kind: BackgroundErrorKind) -> i32 {
    match kind {
        BackgroundErrorKind::HandlerFailed => 1,
        BackgroundErrorKind::NoHandler => 2,
        BackgroundErrorKind::SlowHandler => 3,
    }
}

/// The code of a handler family.
pub fn family_code(family: HandlerFamily) -> i32 {
    match family {
        HandlerFamily::Input => 1,
        HandlerFamily::Method => 2,
        HandlerFamily::Desired => 3,
        HandlerFamily::Topic => 4,
    }
}

fn c_names<T: Copy>(table: &[(i32, T)], name: fn(T) -> &'static str) -> Vec<(i32, CString)> {
    // The core's names are literals without NUL bytes.
    table
        .iter()
        .map(|(code, v)| (*code, CString::new(name(*v)).unwrap_or_default()))
        .collect()
}

fn find(table: &'static [(i32, CString)], code: i32) -> Option<&'static CStr> {
    table
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| name.as_c_str())
}

/// The core's name of a kind code (`"HANDLER_FAILED"`), NUL-terminated; `None` if unknown.
pub fn kind_name_cstr(code: i32) -> Option<&'static CStr> {
    static NAMES: OnceLock<Vec<(i32, CString)>> = OnceLock::new();
    find(
        NAMES.get_or_init(|| c_names(&KINDS, BackgroundErrorKind::name)),
        code,
    )
}

/// The core's name of a family code (`"input"`), NUL-terminated; `None` if unknown.
pub fn family_name_cstr(code: i32) -> Option<&'static CStr> {
    static NAMES: OnceLock<Vec<(i32, CString)>> = OnceLock::new();
    find(
        NAMES.get_or_init(|| c_names(&FAMILIES, HandlerFamily::name)),
        code,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_codes_agree_and_names_are_the_cores() {
        for (code, kind) in KINDS {
            assert_eq!(kind_code(kind), code);
            assert_eq!(kind_name_cstr(code).unwrap().to_str().unwrap(), kind.name());
        }
        for (code, family) in FAMILIES {
            assert_eq!(family_code(family), code);
            assert_eq!(
                family_name_cstr(code).unwrap().to_str().unwrap(),
                family.name()
            );
        }
        assert!(kind_name_cstr(0).is_none() && family_name_cstr(5).is_none());
        assert_eq!(
            kind_name_cstr(1).unwrap().to_str().unwrap(),
            "HANDLER_FAILED"
        );
        assert_eq!(family_name_cstr(4).unwrap().to_str().unwrap(), "topic");
    }
}
