//! User-defined MQTT topics (IoT Edge 1.2 broker style): publish anywhere the hub's policy
//! allows, subscribe with filters.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::connection::shared::{lock, Shared};
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

/// The user subscriptions (guarded by their own lock).
#[derive(Default)]
pub(crate) struct TopicRouter {
    subscribers: Vec<(u64, String, Qos, mpsc::UnboundedSender<UserMessage>)>,
    next_id: u64,
    closed: bool,
}

impl TopicRouter {
    /// Distinct filters with the highest QoS asked for.
    pub(crate) fn filters(&self) -> Vec<(String, rumqttc::QoS)> {
        let mut out: Vec<(String, Qos)> = Vec::new();
        for (_, filter, qos, _) in &self.subscribers {
            match out.iter_mut().find(|(f, _)| f == filter) {
                Some(entry) if *qos == Qos::AtLeastOnce => entry.1 = Qos::AtLeastOnce,
                Some(_) => {}
                None => out.push((filter.clone(), *qos)),
            }
        }
        out.into_iter().map(|(f, q)| (f, mqtt_qos(q))).collect()
    }

    /// True when some subscription matches `topic`.
    fn route(&mut self, message: &UserMessage) -> bool {
        let mut matched = false;
        self.subscribers.retain(|(_, filter, _, tx)| {
            if !rumqttc::matches(&message.topic, filter) {
                return true;
            }
            matched = true;
            tx.send(message.clone()).is_ok()
        });
        matched
    }

    fn remove(&mut self, id: u64) {
        self.subscribers.retain(|(i, ..)| *i != id);
    }

    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.subscribers.clear();
    }
}

/// A message on a topic that is not part of the IoT Hub protocol.
pub(crate) fn on_message(shared: &Shared, topic: String, payload: Bytes) {
    let message = UserMessage { topic, payload };
    if !lock(&shared.topics).route(&message) {
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
) -> Result<Subscription> {
    validate_filter(filter)?;
    let (tx, rx) = mpsc::unbounded_channel();
    let id = {
        let mut router = lock(&shared.topics);
        if router.closed {
            return Err(Error::closed());
        }
        let id = router.next_id;
        router.next_id += 1;
        router.subscribers.push((id, filter.to_string(), qos, tx));
        id
    };
    let subscription = Subscription {
        id,
        rx,
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

/// A stream of [`UserMessage`]s matching one filter. Dropping it stops delivery (the hub
/// may keep the subscription until the next reconnect). Ends when the client closes.
pub struct Subscription {
    id: u64,
    rx: mpsc::UnboundedReceiver<UserMessage>,
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
    /// The next message, or `None` once the stream has ended.
    pub async fn next(&mut self) -> Option<UserMessage> {
        std::future::poll_fn(|cx| self.poll_message(cx)).await
    }

    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<UserMessage>> {
        match std::task::ready!(self.rx.poll_recv(cx)) {
            Some(_) if self.shared.is_closed() => {
                self.rx.close();
                Poll::Ready(None)
            }
            other => Poll::Ready(other),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        lock(&self.shared.topics).remove(self.id);
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
        r.subscribers
            .push((1, "a/#".into(), Qos::AtMostOnce, tx.clone()));
        r.subscribers
            .push((2, "a/#".into(), Qos::AtLeastOnce, tx.clone()));
        r.subscribers.push((3, "b".into(), Qos::AtMostOnce, tx));
        assert_eq!(
            r.filters(),
            vec![
                ("a/#".to_string(), rumqttc::QoS::AtLeastOnce),
                ("b".to_string(), rumqttc::QoS::AtMostOnce)
            ]
        );
    }
}
