//! User-defined MQTT topics (IoT Edge 1.2 broker style): publish anywhere the hub's policy
//! allows, subscribe with filters. Received messages are acknowledged once their subscribers
//! are done with them, in arrival order (at-least-once, like inputs); dropping the last
//! subscription of a filter unsubscribes it.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::connection::shared::{lock, Shared};
use crate::delivery::acks::Ticket;
use crate::delivery::lane::{Lane, Runner};
use crate::delivery::{attempts, HandlerFamily, HandlerFuture};
use crate::error::{Error, Result};
use crate::options::Qos;
/// A message received on a user topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMessage {
    /// The topic it was published to.
    pub topic: String,
    /// The payload.
    pub payload: Bytes,
}

/// The rumqttc QoS for ours.
pub(crate) fn mqtt_qos(qos: Qos) -> rumqttc::QoS {
    match qos {
        Qos::AtMostOnce => rumqttc::QoS::AtMostOnce,
        Qos::AtLeastOnce => rumqttc::QoS::AtLeastOnce,
    }
}

/// Topics reserved for the IoT Hub protocol; user topics may not use them.
fn is_reserved(topic: &str) -> bool {
    topic.starts_with("$iothub/") || topic.starts_with("devices/") || topic.starts_with('$')
}

/// Checks a topic to publish to.
pub(crate) fn validate_topic(topic: &str) -> Result<()> {
    if topic.is_empty() || !rumqttc::valid_topic(topic) || topic.contains('\0') {
        return Err(Error::invalid_argument(format!(
            "{topic:?} is not a valid topic (no wildcards, not empty)"
        )));
    }
    if is_reserved(topic) {
        return Err(Error::invalid_argument(format!(
            "{topic:?} is reserved for the IoT Hub protocol; use the typed operations"
        )));
    }
    Ok(())
}

/// Checks a filter to subscribe to.
pub(crate) fn validate_filter(filter: &str) -> Result<()> {
    if !rumqttc::valid_filter(filter) || filter.contains('\0') {
        return Err(Error::invalid_argument(format!(
            "{filter:?} is not a valid topic filter"
        )));
    }
    if is_reserved(filter) || filter.starts_with('#') || filter.starts_with('+') {
        return Err(Error::invalid_argument(format!(
            "{filter:?} would cover topics reserved for the IoT Hub protocol"
        )));
    }
    Ok(())
}

/// A user's topic handler.
pub(crate) type TopicHandler = Arc<dyn Fn(UserMessage) -> HandlerFuture<()> + Send + Sync>;

/// Acknowledges a received message when the last subscriber holding it lets go.
pub(crate) struct AckOnDrop {
    shared: Arc<Shared>,
    ticket: Ticket,
}

impl Drop for AckOnDrop {
    fn drop(&mut self) {
        if !self.shared.is_closed() {
            self.shared.acknowledge(self.ticket);
        }
    }
}

/// A message with the acknowledgement it holds up (`None` at QoS 0).
type Delivery = (UserMessage, Option<Arc<AckOnDrop>>);

/// Runs a subscription's handler (one message at a time, with the retry policy).
pub(crate) struct TopicRunner {
    handler: TopicHandler,
    shared: std::sync::Weak<Shared>,
}

impl Runner for TopicRunner {
    type Item = Delivery;

    async fn run(&self, (message, ack): Delivery) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let epoch = ack.as_ref().map(|a| a.ticket.epoch());
        attempts(
            &shared,
            HandlerFamily::Topic,
            &message.topic,
            1,
            || (self.handler)(message.clone()),
            || epoch.is_none_or(|e| e == shared.current_epoch()),
        )
        .await;
        // Handled or given up: this subscriber is done with it.
        drop(ack);
    }
}

enum Sink {
    Stream(mpsc::UnboundedSender<Delivery>),
    Handler(Arc<Lane<TopicRunner>>),
}

struct Subscriber {
    id: u64,
    filter: String,
    qos: Qos,
    sink: Sink,
}

/// The user subscriptions (guarded by their own lock).
#[derive(Default)]
pub(crate) struct TopicRouter {
    subscribers: Vec<Subscriber>,
    next_id: u64,
    closed: bool,
}

impl TopicRouter {
    /// Distinct filters with the highest QoS asked for.
    pub(crate) fn filters(&self) -> Vec<(String, rumqttc::QoS)> {
        let mut out: Vec<(String, Qos)> = Vec::new();
        for s in &self.subscribers {
            match out.iter_mut().find(|(f, _)| *f == s.filter) {
                Some(entry) if s.qos == Qos::AtLeastOnce => entry.1 = Qos::AtLeastOnce,
                Some(_) => {}
                None => out.push((s.filter.clone(), s.qos)),
            }
        }
        out.into_iter().map(|(f, q)| (f, mqtt_qos(q))).collect()
    }

    /// Hands `message` to every matching subscriber; true when there was one.
    fn route(
        &mut self,
        message: &UserMessage,
        ack: Option<Arc<AckOnDrop>>,
        shared: &Shared,
    ) -> bool {
        let mut matched = false;
        let runtime = shared.runtime();
        self.subscribers.retain(|s| {
            if !rumqttc::matches(&message.topic, &s.filter) {
                return true;
            }
            matched = true;
            let delivery = (message.clone(), ack.clone());
            match (&s.sink, runtime) {
                (Sink::Stream(tx), _) => tx.send(delivery).is_ok(),
                (Sink::Handler(lane), Some(runtime)) => {
                    lane.push(delivery, runtime);
                    true
                }
                (Sink::Handler(_), None) => true,
            }
        });
        matched
    }

    /// Removes subscriber `id`; returns its filter if no other subscriber uses it.
    fn remove(&mut self, id: u64) -> Option<String> {
        let index = self.subscribers.iter().position(|s| s.id == id)?;
        let gone = self.subscribers.remove(index);
        (!self.closed && !self.subscribers.iter().any(|s| s.filter == gone.filter))
            .then_some(gone.filter)
    }

    pub(crate) fn close(&mut self) {
        self.closed = true;
        for s in self.subscribers.drain(..) {
            if let Sink::Handler(lane) = s.sink {
                lane.take_queued();
            }
        }
    }
}

/// A message on a topic that is not part of the IoT Hub protocol; `ticket` is its place in
/// the acknowledgement order (`None` at QoS 0).
pub(crate) fn on_message(
    shared: &Arc<Shared>,
    topic: String,
    payload: Bytes,
    ticket: Option<Ticket>,
) {
    let message = UserMessage { topic, payload };
    let ack = ticket.map(|ticket| {
        Arc::new(AckOnDrop {
            shared: Arc::clone(shared),
            ticket,
        })
    });
    // When nobody matches, `ack` drops here: acknowledged at once.
    if !lock(&shared.topics).route(&message, ack, shared) {
        tracing::debug!(
            topic = message.topic,
            "message on a topic nobody subscribed to"
        );
    }
}

/// `subscribe`: registers the filter (so every reconnect re-subscribes it), then waits for
/// the hub's SUBACK.
pub(crate) async fn subscribe(
    shared: &Arc<Shared>,
    filter: &str,
    qos: Qos,
    handler: Option<TopicHandler>,
) -> Result<Subscription> {
    validate_filter(filter)?;
    let (tx, rx) = mpsc::unbounded_channel();
    let sink = match handler {
        Some(handler) => {
            drop(tx);
            Sink::Handler(Lane::new(TopicRunner {
                handler,
                shared: Arc::downgrade(shared),
            }))
        }
        None => Sink::Stream(tx),
    };
    let id = {
        let mut router = lock(&shared.topics);
        if router.closed {
            return Err(Error::closed());
        }
        let id = router.next_id;
        router.next_id += 1;
        router.subscribers.push(Subscriber {
            id,
            filter: filter.to_string(),
            qos,
            sink,
        });
        id
    };
    let subscription = Subscription {
        id,
        rx,
        current: None,
        shared: Arc::clone(shared),
    };
    let work = async {
        let answer = shared.submit_subscribe(filter.to_string(), mqtt_qos(qos))?;
        answer.await.map_err(|_| Error::closed())?
    };
    // On failure `subscription` is dropped, which unregisters the filter.
    shared.with_timeout("subscribe", work).await?;
    Ok(subscription)
}

/// One subscription to a user topic filter: a stream of [`UserMessage`]s
/// (`ModuleClient::subscribe`), or the handle of a handler
/// (`ModuleClient::subscribe_with_handler`, whose stream yields nothing). A message is
/// acknowledged once every subscriber is done with it: a stream is done with a message when it
/// asks for the next one (or is dropped), a handler when it returns (or gave up after the
/// retries). Dropping the last subscription of a filter sends UNSUBSCRIBE; so does
/// [`unsubscribe`](Subscription::unsubscribe), which waits for the hub's answer. Ends when the
/// client closes.
pub struct Subscription {
    id: u64,
    rx: mpsc::UnboundedReceiver<Delivery>,
    /// The acknowledgement of the message handed out last.
    current: Option<Arc<AckOnDrop>>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// The next message, or `None` once the stream has ended. Asking for the next message
    /// releases the acknowledgement of the previous one.
    pub async fn next(&mut self) -> Option<UserMessage> {
        std::future::poll_fn(|cx| self.poll_message(cx)).await
    }

    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<UserMessage>> {
        self.current = None;
        match std::task::ready!(self.rx.poll_recv(cx)) {
            Some(_) if self.shared.is_closed() => {
                self.rx.close();
                Poll::Ready(None)
            }
            Some((message, ack)) => {
                self.current = ack;
                Poll::Ready(Some(message))
            }
            None => Poll::Ready(None),
        }
    }

    /// Stops delivery and, if no other subscription uses the filter, unsubscribes it:
    /// resolves on the hub's UNSUBACK (at once if another subscription keeps the filter).
    pub async fn unsubscribe(mut self) -> Result<()> {
        let shared = Arc::clone(&self.shared);
        let answer = self.release(true);
        let Some(answer) = answer else {
            return Ok(());
        };
        shared
            .with_timeout("unsubscribe", async {
                answer.await.map_err(|_| Error::closed())?
            })
            .await
    }

    /// Unregisters; sends UNSUBSCRIBE if the filter is no longer used.
    fn release(&mut self, wait: bool) -> Option<tokio::sync::oneshot::Receiver<Result<()>>> {
        self.current = None;
        self.rx.close();
        let filter = lock(&self.shared.topics).remove(self.id)?;
        self.shared.submit_unsubscribe(filter, wait)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop(self.release(false));
    }
}

impl futures_util::Stream for Subscription {
    type Item = UserMessage;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<UserMessage>> {
        self.get_mut().poll_message(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_and_invalid_topics_are_rejected() {
        assert!(validate_topic("alerts/critical").is_ok());
        assert!(validate_topic("a/+").is_err());
        assert!(validate_topic("").is_err());
        assert!(validate_topic("$iothub/twin/GET/").is_err());
        assert!(validate_topic("devices/d/messages/events/").is_err());
        assert!(validate_filter("alerts/#").is_ok());
        assert!(validate_filter("#").is_err());
        assert!(validate_filter("a/#/b").is_err());
        assert!(validate_filter("$iothub/#").is_err());
    }

    #[test]
    fn filters_are_distinct_with_the_highest_qos() {
        let mut r = TopicRouter::default();
        let (tx, _rx) = mpsc::unbounded_channel();
        for (id, filter, qos) in [
            (1, "a/#", Qos::AtMostOnce),
            (2, "a/#", Qos::AtLeastOnce),
            (3, "b", Qos::AtMostOnce),
        ] {
            r.subscribers.push(Subscriber {
                id,
                filter: filter.into(),
                qos,
                sink: Sink::Stream(tx.clone()),
            });
        }
        assert_eq!(r.remove(1), None, "a/# is still used by 2");
        r.subscribers.insert(
            0,
            Subscriber {
                id: 1,
                filter: "a/#".into(),
                qos: Qos::AtMostOnce,
                sink: Sink::Stream(tx),
            },
        );
        assert_eq!(
            r.filters(),
            vec![
                ("a/#".to_string(), rumqttc::QoS::AtLeastOnce),
                ("b".to_string(), rumqttc::QoS::AtMostOnce)
            ]
        );
    }
}
