//! How messages, method calls and patches reach the application — the one delivery policy
//! every language binding inherits (bindings translate it, never re-decide it).
//!
//! # Acknowledgement order
//! Every QoS 1 PUBLISH the hub sends is acknowledged (PUBACK) strictly in the order it arrived
//! on its connection (MQTT 3.1.1 §4.6, [MQTT-4.6.0-2]; edgeHub drops a PUBACK that is not for
//! its oldest outstanding PUBLISH). An input message is acknowledged when its handler
//! returns (at-least-once: a crash before that means the hub delivers it again); a user-topic
//! message when its subscriber is done with it; twin responses, desired patches and method
//! calls on arrival. A message's PUBACK also waits for every earlier one, so a slow handler
//! delays the acknowledgements — not the processing — of messages behind it.
//!
//! # Concurrency
//! Each handler registration handles **one item at a time, in arrival order**: a per-input
//! handler sees its input's messages one after another, the default input handler sees the
//! messages of every input without its own handler one after another, and different
//! registrations run concurrently. The same rule holds for method handlers (per method, and
//! the default one), the desired-properties handler and each topic-subscription handler.
//! Replacing a handler keeps the order: what was queued goes to the new handler. Handlers run
//! on tasks of the client's tokio runtime, never on the connection task. A handler holding a
//! clone of the client keeps it alive until `close()`.
//!
//! # A handler that fails
//! An input, desired-properties or topic handler that returns an error or panics is called
//! again with the same item after `ClientOptions::redelivery_delay` (option
//! `redelivery_delay_ms`, 500 ms by default), then after twice that, and so on:
//! **`handler_attempts` calls in all, [`HANDLER_ATTEMPTS`] = 4 by default** (0.5 s, 1 s and
//! 2 s apart by default). After the last failure the item is acknowledged and dropped, and a
//! [`BackgroundErrorKind::HandlerFailed`] error is reported. Later items of the same handler
//! wait meanwhile. With the stream API, [`InputMessage::abandon`](crate::InputMessage::abandon)
//! or dropping a message unacknowledged counts as one failed attempt, with the same numbers.
//! Retries stop when the connection drops: the hub delivers the message again.
//!
//! # A handler slower than edgeHub's acknowledgement timeout
//! edgeHub waits [`SLOW_HANDLER_WARNING`] (30 s, its `MessageAckTimeoutSecs`) for a PUBACK, then
//! treats the delivery as failed and sends the message again later. A handler call running
//! longer than that is reported once as [`BackgroundErrorKind::SlowHandler`] (and logged); it
//! is not cancelled and its result still counts. A copy the hub sends meanwhile is handled
//! after it, as a separate message. Keep handlers well under 30 s; hand long work to a task.
//! (With the stream API the application settles each message itself; no warning is given.)
//!
//! # No handler
//! - **Input**: a message for an input with neither its own handler nor a default handler is
//!   acknowledged and dropped, with a [`BackgroundErrorKind::NoHandler`] error (the C# SDK
//!   also completes such a message; Python and Node acknowledge on receipt). When no input
//!   handler exists at all yet — the hub restored an earlier session's subscription before the
//!   application registered one — the message first waits, unacknowledged, up to
//!   [`UNHANDLED_INPUT_GRACE`] (10 s) for a handler to be registered.
//! - **Method**: a module that never registered a method handler is not subscribed to methods,
//!   so edgeHub answers the caller 404 at once. A call to a method with neither its own nor a
//!   default handler (while others exist) is answered [`METHOD_NO_HANDLER_STATUS`] (501, as
//!   the C# SDK does) with [`METHOD_NO_HANDLER_PAYLOAD`], and reported as `NoHandler`.
//!
//! # The method failure reply
//! A method handler that returns an error or panics — or, with the stream API, a request
//! dropped unanswered — is answered **[`METHOD_FAILURE_STATUS`] (500)** with exactly the bytes
//! of [`METHOD_FAILURE_PAYLOAD`], in every language. The handler's own error message goes to
//! the log and the background-error stream ([`BackgroundErrorKind::HandlerFailed`]), never to
//! the caller (it may carry internals, and would differ per language). Method handlers are not
//! retried: the caller is waiting.
//!
//! # Subscriptions
//! The client subscribes to a topic family only once something handles it: inputs at the
//! first input handler or stream, methods at the first method handler or stream, desired
//! patches (and twin responses, for the catch-up read) at the first desired handler or stream,
//! twin responses before the first twin operation. Families stay subscribed for the client's
//! life and are subscribed again on every connection.

mod background;
mod handler;
mod retry;

pub(crate) mod acks;
pub(crate) mod lane;
pub(crate) mod router;

use std::time::Duration;

pub use background::{BackgroundError, BackgroundErrorKind, BackgroundErrors, HandlerFamily};
pub use handler::{HandlerError, HandlerFuture};

pub(crate) use background::{report, BACKGROUND_BUFFER};
pub(crate) use handler::call;
pub(crate) use retry::{attempts, Outcome};

/// The default of option `handler_attempts`: calls of an input, desired or topic handler per
/// item before it is acknowledged and dropped (one call and three retries).
pub const HANDLER_ATTEMPTS: u32 = 4;

/// A handler call running longer than this is reported as slow: edgeHub's default
/// `MessageAckTimeoutSecs`.
pub const SLOW_HANDLER_WARNING: Duration = Duration::from_secs(30);

/// How long an input message waits for a handler when no input handler is registered at all.
pub const UNHANDLED_INPUT_GRACE: Duration = Duration::from_secs(10);

/// Status of the reply to a method whose handler failed.
pub const METHOD_FAILURE_STATUS: i32 = 500;

/// Payload of the reply to a method whose handler failed (these exact bytes).
pub const METHOD_FAILURE_PAYLOAD: &str =
    r#"{"error":"HANDLER_FAILED","message":"the method handler failed"}"#;

/// Status of the reply to a method nothing handles.
pub const METHOD_NO_HANDLER_STATUS: i32 = 501;

/// Payload of the reply to a method nothing handles (these exact bytes).
pub const METHOD_NO_HANDLER_PAYLOAD: &str =
    r#"{"error":"NO_HANDLER","message":"the module has no handler for this method"}"#;

/// Longest wait between two attempts, whatever `redelivery_delay` is.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// The wait before attempt `attempt` (2 for the first retry): `base × 2^(attempt − 2)`.
pub(crate) fn retry_delay(base: Duration, attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(2).min(16);
    base.saturating_mul(1 << doublings).min(MAX_RETRY_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_by_doubling() {
        let base = Duration::from_millis(500);
        let delays: Vec<u128> = (2..=HANDLER_ATTEMPTS)
            .map(|a| retry_delay(base, a).as_millis())
            .collect();
        assert_eq!(delays, vec![500, 1000, 2000]);
        assert_eq!(retry_delay(Duration::from_secs(60), 3), MAX_RETRY_DELAY);
    }

    #[test]
    fn replies_are_json() {
        for payload in [METHOD_FAILURE_PAYLOAD, METHOD_NO_HANDLER_PAYLOAD] {
            let v: serde_json::Value = serde_json::from_str(payload).unwrap();
            assert!(v["error"].is_string() && v["message"].is_string());
        }
    }
}
