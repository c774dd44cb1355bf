//! Input messages: per-input and default consumers, acknowledgement after processing
//! (at-least-once), and redelivery of abandoned messages.
//!
//! A message goes to the stream registered for its input, else to the default stream, else
//! it is held (un-acknowledged) until a consumer registers. It is PUBACKed only when the
//! application calls [`InputMessage::ack`]; abandoning or dropping it hands it to its
//! consumer again after `ClientOptions::redelivery_delay`.

use std::collections::{HashMap, VecDeque};
use std::ops::Deref;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::connection::shared::{lock, Shared};
use crate::error::Result;
use crate::message::Message;

/// Most messages held while no consumer exists; beyond that the oldest are left to the
/// hub, which delivers them again after the next reconnect (they were never acknowledged).
const MAX_HELD: usize = 10_000;

/// A received message with what is needed to acknowledge it.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub message: Message,
    pub input: String,
    pub pkid: u16,
    pub qos1: bool,
    pub epoch: u64,
}

/// A message received on an input. Dereferences to [`Message`].
///
/// Call [`ack`](InputMessage::ack) once it is processed. Until then the hub keeps it; if it
/// is [`abandon`](InputMessage::abandon)ed or dropped un-acknowledged it is delivered to
/// its consumer again. If the process dies first, the hub delivers it again after the
/// module reconnects.
pub struct InputMessage {
    message: Message,
    /// Present until acknowledged, abandoned or discarded.
    receipt: Option<Receipt>,
    shared: Arc<Shared>,
}

/// How to acknowledge a message.
#[derive(Debug, Clone, Copy)]
struct Receipt {
    pkid: u16,
    qos1: bool,
    epoch: u64,
}

impl std::fmt::Debug for InputMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputMessage")
            .field("input", &self.input_name())
            .field("message", &self.message)
            .finish()
    }
}

impl InputMessage {
    fn new(delivery: Delivery, shared: Arc<Shared>) -> Self {
        let mut message = delivery.message;
        message.input_name = Some(delivery.input);
        InputMessage {
            message,
            receipt: Some(Receipt {
                pkid: delivery.pkid,
                qos1: delivery.qos1,
                epoch: delivery.epoch,
            }),
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

    /// Acknowledges the message (PUBACK): the hub forgets it. After a reconnect the hub has
    /// already re-queued it, so acknowledging is skipped and it will be delivered again.
    /// `CLOSED` after the client is closed.
    pub fn ack(mut self) -> Result<()> {
        match self.receipt.take() {
            Some(r) if r.qos1 => self.shared.send_puback(r.pkid, r.epoch),
            _ => Ok(()),
        }
    }

    /// Gives the message back: it is delivered to its consumer again after the redelivery
    /// delay (same as dropping it without `ack`).
    pub fn abandon(self) {}

    /// Takes the message out without acknowledging or redelivering it.
    fn defuse(mut self) -> Option<Delivery> {
        self.take_delivery()
    }

    fn take_delivery(&mut self) -> Option<Delivery> {
        let receipt = self.receipt.take()?;
        let mut message = std::mem::take(&mut self.message);
        let input = message.input_name.take().unwrap_or_default();
        Some(Delivery {
            message,
            input,
            pkid: receipt.pkid,
            qos1: receipt.qos1,
            epoch: receipt.epoch,
        })
    }

    fn receipt(&self) -> Option<Receipt> {
        self.receipt
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
        if self.shared.is_closed() {
            return;
        }
        let Some(delivery) = self.take_delivery() else {
            return;
        };
        if delivery.qos1 && delivery.epoch != self.shared.current_epoch() {
            // The hub re-queued it when the connection dropped.
            return;
        }
        let due = Instant::now() + self.shared.options.redelivery_delay;
        let _ = self.shared.redeliver.send(Redelivery { due, delivery });
    }
}

/// A message waiting to be delivered again.
#[derive(Debug)]
pub(crate) struct Redelivery {
    due: Instant,
    delivery: Delivery,
}

/// Redelivers abandoned messages when they are due (one task per client).
pub(crate) async fn run_redelivery(
    shared: Weak<Shared>,
    mut queue: mpsc::UnboundedReceiver<Redelivery>,
) {
    while let Some(item) = queue.recv().await {
        tokio::time::sleep_until(item.due).await;
        let Some(shared) = shared.upgrade() else {
            break;
        };
        if shared.is_closed() {
            break;
        }
        deliver(&shared, item.delivery);
    }
}

/// Routes a received (or redelivered) message to its consumer.
pub(crate) fn deliver(shared: &Arc<Shared>, delivery: Delivery) {
    let message = InputMessage::new(delivery, Arc::clone(shared));
    lock(&shared.inputs).route(message);
}

type Consumer = (u64, mpsc::UnboundedSender<InputMessage>);

/// Who consumes which input (guarded by its own lock).
#[derive(Default)]
pub(crate) struct InputRouter {
    named: HashMap<String, Consumer>,
    default: Option<Consumer>,
    held: VecDeque<Delivery>,
    next_id: u64,
    closed: bool,
}

impl InputRouter {
    fn route(&mut self, message: InputMessage) {
        if self.closed {
            message.defuse();
            return;
        }
        let input = message.input_name().to_string();
        let mut message = message;
        if let Some((_, tx)) = self.named.get(&input) {
            match tx.send(message) {
                Ok(()) => return,
                Err(mpsc::error::SendError(back)) => {
                    self.named.remove(&input);
                    message = back;
                }
            }
        }
        if let Some((_, tx)) = &self.default {
            match tx.send(message) {
                Ok(()) => return,
                Err(mpsc::error::SendError(back)) => {
                    self.default = None;
                    message = back;
                }
            }
        }
        if let Some(delivery) = message.defuse() {
            // Held messages of an older connection are delivered again by the hub.
            self.held
                .retain(|held| !held.qos1 || held.epoch >= delivery.epoch);
            if self.held.len() >= MAX_HELD {
                tracing::warn!(
                    "too many input messages without a consumer; leaving the oldest to the hub"
                );
                self.held.pop_front();
            }
            self.held.push_back(delivery);
        }
    }

    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.named.clear();
        self.default = None;
        self.held.clear();
    }
}

/// Registers a consumer for `input` (or the default consumer) and hands it what was held.
pub(crate) fn open_stream(shared: &Arc<Shared>, input: Option<&str>) -> InputStream {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut router = lock(&shared.inputs);
    if !router.closed {
        let id = router.next_id;
        router.next_id += 1;
        match input {
            Some(name) => {
                router.named.insert(name.to_string(), (id, tx.clone()));
            }
            None => router.default = Some((id, tx.clone())),
        }
        let held = std::mem::take(&mut router.held);
        for delivery in held {
            if input.is_none_or(|name| name == delivery.input) {
                let _ = tx.send(InputMessage::new(delivery, Arc::clone(shared)));
            } else {
                router.held.push_back(delivery);
            }
        }
    }
    drop(router);
    InputStream {
        rx,
        shared: Arc::clone(shared),
    }
}

/// A stream of [`InputMessage`]s for one input (`ModuleClient::input`) or for every input
/// without its own stream (`ModuleClient::default_inputs`). Ends when the client closes or
/// another stream takes over the same input.
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
            match message.receipt() {
                // Delivered on a connection that is gone: the hub sends it again.
                Some(r) if r.qos1 && r.epoch != self.shared.current_epoch() => {
                    message.defuse();
                }
                _ => return Poll::Ready(Some(message)),
            }
        }
    }
}

impl futures_util::Stream for InputStream {
    type Item = InputMessage;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<InputMessage>> {
        self.get_mut().poll_message(cx)
    }
}
