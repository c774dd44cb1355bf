//! Panic guards: no panic may unwind across an FFI boundary (since Rust 1.81 that aborts
//! the process). Each guard turns a panic into an `INTERNAL` error and logs it.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};

use edgemodule::{Error, ErrorKind, Result};
use futures_util::FutureExt;

/// Runs `f`; a panic becomes an `INTERNAL` error naming the panic message.
pub fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(panic_error(payload)))
}

/// Runs `f` for its side effects (a host callback, a drop); a panic is logged and
/// swallowed. Returns false when `f` panicked.
pub fn guard_unit(f: impl FnOnce()) -> bool {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => true,
        Err(payload) => {
            let error = panic_error(payload);
            tracing::error!("{error}");
            false
        }
    }
}

/// Awaits `future`; a panic while polling it becomes an `INTERNAL` error.
pub async fn guard_future<T>(future: impl Future<Output = Result<T>>) -> Result<T> {
    AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .unwrap_or_else(|payload| Err(panic_error(payload)))
}

/// The `INTERNAL` error for a caught panic (and a log line).
pub fn panic_error(payload: Box<dyn Any + Send>) -> Error {
    let message = panic_message(payload.as_ref());
    tracing::error!("edgemodule panicked: {message}");
    Error::new(
        ErrorKind::Internal,
        format!("internal error (a bug in edgemodule, please report it): {message}"),
    )
}

/// The text of a panic payload (`&str` or `String`), or a placeholder.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_internal_errors() {
        let e = guard::<()>(|| panic!("boom {}", 7)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert!(e.message().contains("boom 7"), "{e}");
        assert_eq!(guard(|| Ok(3)).unwrap(), 3);
        assert!(!guard_unit(|| panic!("static")));
        assert!(guard_unit(|| ()));
    }

    #[test]
    fn future_panics_become_internal_errors() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let e = rt
            .block_on(guard_future(async { panic!("in a future") as Result<()> }))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert!(e.message().contains("in a future"));
    }
}
