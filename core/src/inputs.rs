//! Input messages: per-input and default consumers (handlers or streams), acknowledgement in
//! arrival order once processed (at-least-once), the retry policy, and what happens to a
//! message nothing handles. The rules are in [`crate::delivery`].

use std::collections::VecDeque;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::connection::families::{self, Family, Subscribed};
use crate::connection::shared::{lock, Shared};
use crate::delivery::acks::Ticket;
use crate::delivery::lane::Runner;
use crate::delivery::router::{Keyed, Router};
use crate::delivery::{
    attempts, retry_delay, BackgroundErrorKind, HandlerFamily, HandlerFuture, Outcome,
    UNHANDLED_INPUT_GRACE,
};
use crate::error::{Error, Result};
use crate::message::Message;

/// Most messages waiting for a first input handler; beyond that the oldest is dropped (and
/// acknowledged, reported) at once.
const MAX_HELD: usize = 1_000;

/// A user's input handler.
pub(crate) type InputHandler = Arc<dyn Fn(InputMessage) -> HandlerFuture<()> + Send + Sync>;

/// What is needed to settle a message.
#[derive(Debug, Clone, Copy)]
struct Receipt {
    /// `None` for a QoS 0 message (nothing to acknowledge).
    ticket: Option<Ticket>,
    /// 1 for the first delivery.
    attempt: u32,
}

/// A message received on an input. Dereferences to [`Message`].
///
/// From a stream ([`ModuleClient::input`](crate::ModuleClient::input)): call
/// [`ack`](InputMessage::ack) once it is processed. [`abandon`](InputMessage::abandon)ing or
/// dropping it un-acknowledged counts as a failed attempt: it comes back after the retry
/// delay, and after `handler_attempts` (default
/// [`HANDLER_ATTEMPTS`](crate::delivery::HANDLER_ATTEMPTS)) attempts it is
/// acknowledged, dropped and reported. If the process dies first, the hub delivers it again
/// after the module reconnects.
///
/// In a handler ([`ModuleClient::set_input_handler`](crate::ModuleClient::set_input_handler))
/// the handler's result settles the message; `ack` and `abandon` do nothing there.
pub struct InputMessage {
    message: Arc<Message>,
    /// Present (stream API) until acknowledged, abandoned or discarded.
    receipt: Option<Receipt>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for InputMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputMessage")
            .field("input", &self.input_name())
            .field("message", &self.message)
            .finish()
    }
}

impl Keyed for InputMessage {
    fn key(&self) -> &str {
        self.input_name()
    }
}

impl InputMessage {
    /// A newly received message (`ticket` is `None` at QoS 0).
    pub(crate) fn received(
        mut message: Message,
        input: String,
        ticket: Option<Ticket>,
        shared: Arc<Shared>,
    ) -> Self {
        message.input_name = Some(input);
        InputMessage {
            message: Arc::new(message),
            receipt: Some(Receipt { ticket, attempt: 1 }),
            shared,
        }
    }

    /// The input the message arrived on.
    pub fn input_name(&self) -> &str {
        self.message.input_name.as_deref().unwrap_or_default()
    }

    /// The message.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// Acknowledges the message: the hub forgets it once every message that arrived before it
    /// is acknowledged too (PUBACKs leave in arrival order). After a reconnect the hub has
    /// already re-queued it, so nothing is sent and it will be delivered again. `CLOSED`
    /// after the client is closed. Does nothing on a handler's message.
    pub fn ack(mut self) -> Result<()> {
        if self.shared.is_closed() && self.receipt.is_some() {
            self.receipt = None;
            return Err(Error::closed());
        }
        if let Some(Receipt {
            ticket: Some(ticket),
            ..
        }) = self.receipt.take()
        {
            self.shared.acknowledge(ticket);
        }
        Ok(())
    }

    /// Gives the message back: one failed attempt (same as dropping it without `ack`). It is
    /// delivered again after the retry delay, or acknowledged, dropped and reported after the
    /// last attempt. Does nothing on a handler's message.
    pub fn abandon(self) {}

    /// Takes the settlement out: nothing happens when `self` is dropped.
    fn defuse(mut self) -> Option<Receipt> {
        self.receipt.take()
    }

    /// True when the message arrived on a connection that is gone (the hub sends it again).
    fn is_stale(&self) -> bool {
        matches!(
            self.receipt,
            Some(Receipt { ticket: Some(t), .. }) if t.epoch() != self.shared.current_epoch()
        )
    }

    /// The same message without the right to settle it (what a handler receives).
    fn view(&self) -> InputMessage {
        InputMessage {
            message: Arc::clone(&self.message),
            receipt: None,
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Deref for InputMessage {
    type Target = Message;
    fn deref(&self) -> &Message {
        &self.message
    }
}

impl Drop for InputMessage {
    fn drop(&mut self) {
        let Some(receipt) = self.receipt.take() else {
            return;
        };
        if self.shared.is_closed() {
            return;
        }
        if matches!(receipt.ticket, Some(t) if t.epoch() != self.shared.current_epoch()) {
            // The hub re-queued it when the connection dropped.
            return;
        }
        retry_later(&self.shared, Arc::clone(&self.message), receipt);
    }
}

/// A stream consumer gave a message back: deliver it again after the retry delay, or give up.
fn retry_later(shared: &Arc<Shared>, message: Arc<Message>, receipt: Receipt) {
    let input = message.input_name.clone().unwrap_or_default();
    if receipt.attempt >= shared.options.handler_attempts.max(1) {
        settle(shared, receipt.ticket);
        shared.report(
            BackgroundErrorKind::HandlerFailed,
            HandlerFamily::Input,
            &input,
            format!(
                "the message was given back {} times; it was acknowledged and dropped",
                receipt.attempt
            ),
        );
        return;
    }
    let Some(runtime) = shared.runtime() else {
        return;
    };
    let attempt = receipt.attempt + 1;
    let wait = retry_delay(shared.options.redelivery_delay, attempt);
    let weak = Arc::downgrade(shared);
    runtime.spawn(async move {
        tokio::time::sleep(wait).await;
        let Some(shared) = weak.upgrade() else {
            return;
        };
        let again = InputMessage {
            message,
            receipt: Some(Receipt {
                ticket: receipt.ticket,
                attempt,
            }),
            shared: Arc::clone(&shared),
        };
        if again.is_stale() || shared.is_closed() {
            again.defuse();
            return;
        }
        deliver(&shared, again);
    });
}

/// Acknowledges (in order) a message that is done with.
fn settle(shared: &Shared, ticket: Option<Ticket>) {
    if let Some(ticket) = ticket {
        shared.acknowledge(ticket);
    }
}

/// Runs a user's input handler on one lane (one message at a time).
pub(crate) struct InputRunner {
    handler: InputHandler,
}

impl Runner for InputRunner {
    type Item = InputMessage;

    async fn run(&self, mut item: InputMessage) {
        let Some(receipt) = item.receipt.take() else {
            return;
        };
        let shared = Arc::clone(&item.shared);
        let input = item.input_name().to_string();
        let outcome = attempts(
            &shared,
            HandlerFamily::Input,
            &input,
            receipt.attempt,
            || (self.handler)(item.view()),
            || !matches!(receipt.ticket, Some(t) if t.epoch() != shared.current_epoch()),
        )
        .await;
        if outcome != Outcome::Abandoned {
            settle(&shared, receipt.ticket);
        }
    }
}

/// Who consumes which input, and the messages waiting for a first consumer (guarded by its
/// own lock).
#[derive(Default)]
pub(crate) struct InputRouter {
    router: Router<InputRunner>,
    held: VecDeque<(InputMessage, Instant)>,
    expiring: bool,
}

impl InputRouter {
    /// Stops delivering; returns what was queued or held, to be dropped outside the lock.
    pub(crate) fn close(&mut self) -> Vec<InputMessage> {
        let mut all = self.router.close();
        all.extend(self.held.drain(..).map(|(m, _)| m));
        all
    }
}

/// Routes a received (or redelivered) message to its consumer, or applies the no-handler
/// policy.
pub(crate) fn deliver(shared: &Arc<Shared>, message: InputMessage) {
    let Some(runtime) = shared.runtime() else {
        message.defuse();
        return;
    };
    let mut inputs = lock(&shared.inputs);
    let Err(message) = inputs.router.route(message, runtime) else {
        return;
    };
    if inputs.router.is_closed() {
        message.defuse();
    } else if inputs.router.has_consumers() {
        drop(inputs);
        drop_unhandled(shared, message);
    } else {
        hold(shared, &mut inputs, message, runtime);
    }
}

/// No handler for this input and no default handler: acknowledge, drop, report.
fn drop_unhandled(shared: &Shared, message: InputMessage) {
    let stale = message.is_stale();
    let input = message.input_name().to_string();
    let Some(receipt) = message.defuse() else {
        return;
    };
    if stale {
        return;
    }
    settle(shared, receipt.ticket);
    shared.report(
        BackgroundErrorKind::NoHandler,
        HandlerFamily::Input,
        &input,
        "no handler for this input and no default handler: the message was acknowledged and \
         dropped"
            .to_string(),
    );
}

/// No input consumer at all yet: keep the message (un-acknowledged) for a while.
fn hold(
    shared: &Arc<Shared>,
    inputs: &mut InputRouter,
    message: InputMessage,
    runtime: &tokio::runtime::Handle,
) {
    inputs.held.retain(|(m, _)| !m.is_stale());
    inputs
        .held
        .push_back((message, Instant::now() + UNHANDLED_INPUT_GRACE));
    if inputs.held.len() > MAX_HELD {
        if let Some((oldest, _)) = inputs.held.pop_front() {
            drop_unhandled(shared, oldest);
        }
    }
    if !std::mem::replace(&mut inputs.expiring, true) {
        runtime.spawn(expire_held(Arc::downgrade(shared)));
    }
}

/// Drops held messages whose grace period ended; stops when none is held.
async fn expire_held(shared: Weak<Shared>) {
    loop {
        let next = {
            let Some(shared) = shared.upgrade() else {
                return;
            };
            let mut inputs = lock(&shared.inputs);
            let now = Instant::now();
            while inputs.held.front().is_some_and(|(_, due)| *due <= now) {
                if let Some((message, _)) = inputs.held.pop_front() {
                    drop_unhandled(&shared, message);
                }
            }
            match inputs.held.front() {
                Some((_, due)) => *due,
                None => {
                    inputs.expiring = false;
                    return;
                }
            }
        };
        tokio::time::sleep_until(next).await;
    }
}

/// Hands held messages to the consumers registered now.
fn release_held(shared: &Arc<Shared>, inputs: &mut InputRouter) -> Vec<InputMessage> {
    let Some(runtime) = shared.runtime() else {
        return Vec::new();
    };
    let held = std::mem::take(&mut inputs.held);
    let mut unhandled = Vec::new();
    for (message, due) in held {
        match inputs.router.route(message, runtime) {
            Ok(()) => {}
            Err(message) if inputs.router.has_consumers() => unhandled.push(message),
            Err(message) => inputs.held.push_back((message, due)),
        }
    }
    unhandled
}

/// Registers a consumer, hands it what was held, and subscribes to inputs.
fn register(shared: &Arc<Shared>, put: impl FnOnce(&mut Router<InputRunner>)) -> Subscribed {
    let unhandled = {
        let mut inputs = lock(&shared.inputs);
        if inputs.router.is_closed() {
            return Subscribed::ready(Err(Error::closed()));
        }
        put(&mut inputs.router);
        release_held(shared, &mut inputs)
    };
    for message in unhandled {
        drop_unhandled(shared, message);
    }
    families::activate(shared, &[Family::Inputs])
}

/// Makes `handler` the handler of `input` (`None`: the default handler).
pub(crate) fn set_handler(
    shared: &Arc<Shared>,
    input: Option<&str>,
    handler: InputHandler,
) -> Subscribed {
    register(shared, |router| {
        router.set_handler(input, InputRunner { handler })
    })
}

/// Removes the handler or stream of `input` (`None`: the default one).
pub(crate) fn clear(shared: &Shared, input: Option<&str>) {
    lock(&shared.inputs).router.remove(input);
}

/// Registers a stream for `input` (or the default stream) and hands it what was held.
pub(crate) fn open_stream(shared: &Arc<Shared>, input: Option<&str>) -> InputStream {
    let (tx, rx) = mpsc::unbounded_channel();
    // The stream API has no way to wait for the SUBACK; `connect()` covers the usual case.
    drop(register(shared, |router| router.set_stream(input, tx)));
    InputStream {
        rx,
        shared: Arc::clone(shared),
    }
}

/// A stream of [`InputMessage`]s for one input (`ModuleClient::input`) or for every input
/// without its own consumer (`ModuleClient::default_inputs`). Ends when the client closes or
/// another stream or handler takes over the same input. Messages are handed out as they
/// arrive; settle each one promptly — later messages' acknowledgements wait for it.
pub struct InputStream {
    rx: mpsc::UnboundedReceiver<InputMessage>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for InputStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputStream").finish_non_exhaustive()
    }
}

impl InputStream {
    /// The next message, or `None` once the stream has ended.
    pub async fn next(&mut self) -> Option<InputMessage> {
        std::future::poll_fn(|cx| self.poll_message(cx)).await
    }

    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<InputMessage>> {
        loop {
            let Some(message) = std::task::ready!(self.rx.poll_recv(cx)) else {
                return Poll::Ready(None);
            };
            if self.shared.is_closed() {
                message.defuse();
                self.rx.close();
                return Poll::Ready(None);
            }
            if message.is_stale() {
                // Delivered on a connection that is gone: the hub sends it again.
                message.defuse();
                continue;
            }
            return Poll::Ready(Some(message));
        }
    }
}

impl futures_util::Stream for InputStream {
    type Item = InputMessage;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<InputMessage>> {
        self.get_mut().poll_message(cx)
    }
}
