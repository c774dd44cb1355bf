//! What a handler is, and how one call of it runs: panics are failures, and a call slower
//! than edgeHub's acknowledgement timeout is reported once while it keeps running.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::time::Duration;

use futures_util::FutureExt;

use super::SLOW_HANDLER_WARNING;

/// What a handler returns: a boxed future (bindings complete it from their delivery thread).
pub type HandlerFuture<T> = Pin<Box<dyn Future<Output = Result<T, HandlerError>> + Send + 'static>>;

/// A handler's failure. Its message goes to the log and the background-error stream; it never
/// reaches a method's caller (who gets the one documented failure reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    message: String,
}

impl HandlerError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        HandlerError {
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HandlerError {}

impl From<String> for HandlerError {
    fn from(message: String) -> Self {
        HandlerError::new(message)
    }
}

impl From<&str> for HandlerError {
    fn from(message: &str) -> Self {
        HandlerError::new(message)
    }
}

impl From<crate::Error> for HandlerError {
    fn from(error: crate::Error) -> Self {
        HandlerError::new(error.to_string())
    }
}

/// Calls a handler once. A panic (while creating or polling its future) is a failure. If the
/// call is still running after `SLOW_HANDLER_WARNING`, `on_slow` runs once and the call goes
/// on.
pub(crate) async fn call<T>(
    start: impl FnOnce() -> HandlerFuture<T>,
    on_slow: impl FnOnce(Duration),
) -> Result<T, HandlerError> {
    let future = match std::panic::catch_unwind(AssertUnwindSafe(start)) {
        Ok(future) => future,
        Err(panic) => return Err(panicked(panic.as_ref())),
    };
    let mut guarded = AssertUnwindSafe(future).catch_unwind();
    let outcome = match tokio::time::timeout(SLOW_HANDLER_WARNING, &mut guarded).await {
        Ok(outcome) => outcome,
        Err(_) => {
            on_slow(SLOW_HANDLER_WARNING);
            guarded.await
        }
    };
    outcome.unwrap_or_else(|panic| Err(panicked(panic.as_ref())))
}

fn panicked(panic: &(dyn std::any::Any + Send)) -> HandlerError {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    HandlerError::new(format!("the handler panicked: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn panics_become_failures() {
        let r: Result<(), HandlerError> = call(|| panic!("at once"), |_| {}).await;
        assert_eq!(r.unwrap_err().message(), "the handler panicked: at once");
        let r: Result<(), HandlerError> =
            call(|| Box::pin(async { panic!("later {}", 1) }), |_| {}).await;
        assert_eq!(r.unwrap_err().message(), "the handler panicked: later 1");
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_call_is_reported_once_and_completes() {
        let mut slow = 0;
        let r = call(
            || {
                Box::pin(async {
                    tokio::time::sleep(SLOW_HANDLER_WARNING * 2).await;
                    Ok(7)
                })
            },
            |_| slow += 1,
        )
        .await;
        assert_eq!((r, slow), (Ok(7), 1));
    }
}
