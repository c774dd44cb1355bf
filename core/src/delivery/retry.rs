//! The retry policy for input, desired-properties and topic handlers: up to
//! `ClientOptions::handler_attempts` calls (default `HANDLER_ATTEMPTS`) with doubling waits,
//! then give up and report.

use super::{call, report, retry_delay, BackgroundErrorKind, HandlerFamily, HandlerFuture};
use crate::connection::shared::{lock, Shared};

/// How a run of attempts ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A call succeeded: acknowledge.
    Handled,
    /// Every attempt failed (reported): acknowledge and drop.
    GaveUp,
    /// The client closed or the connection was lost (the hub delivers again): do nothing.
    Abandoned,
}

/// Calls `start()` until a call succeeds, `handler_attempts` calls in all counting from
/// `first_attempt` (1 for a new item), waiting `retry_delay` between calls. `current()` says
/// whether the item still counts (false once its connection is gone).
pub(crate) async fn attempts(
    shared: &Shared,
    family: HandlerFamily,
    name: &str,
    first_attempt: u32,
    mut start: impl FnMut() -> HandlerFuture<()>,
    current: impl Fn() -> bool,
) -> Outcome {
    let mut attempt = first_attempt.max(1);
    loop {
        if shared.is_closed() || !current() {
            return Outcome::Abandoned;
        }
        let result = call(&mut start, |waited| {
            shared.report(
                BackgroundErrorKind::SlowHandler,
                family,
                name,
                format!(
                    "the handler has been running for {waited:?}; edgeHub stops waiting for \
                     the acknowledgement after that and sends the message again"
                ),
            )
        })
        .await;
        let error = match result {
            Ok(()) => return Outcome::Handled,
            Err(e) => e,
        };
        if attempt >= shared.options.handler_attempts.max(1) {
            shared.report(
                BackgroundErrorKind::HandlerFailed,
                family,
                name,
                format!(
                    "the handler failed {attempt} times, the item was acknowledged and dropped; \
                     last error: {error}"
                ),
            );
            return Outcome::GaveUp;
        }
        attempt += 1;
        let wait = retry_delay(shared.options.redelivery_delay, attempt);
        tracing::debug!(
            family = family.name(),
            name,
            attempt,
            ?wait,
            "handler failed: {error}"
        );
        tokio::time::sleep(wait).await;
    }
}

impl Shared {
    /// Reports a background error (log + stream).
    pub(crate) fn report(
        &self,
        kind: BackgroundErrorKind,
        family: HandlerFamily,
        name: &str,
        message: String,
    ) {
        let channel = lock(&self.background);
        report(channel.as_ref(), kind, family, name, message);
    }
}
