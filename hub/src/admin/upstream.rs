//! The record of messages routed to `$upstream` (there is no IoT Hub behind this hub): a
//! bounded history plus a live feed, and their JSON form for the admin API and the CLI.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::message::HubMessage;

/// Messages that reached `$upstream`, newest last. Cheap to clone; every clone shares the
/// same history and live feed.
#[derive(Clone)]
pub struct UpstreamFeed {
    inner: Arc<Inner>,
}

/// Messages a live reader (`monitor`, `RunningHub::subscribe_upstream`) may fall behind
/// before it misses some. A child hub's link delivers in bursts of a few rounds (up to
/// about 1,500 messages at once were seen with two leaves behind a middle hub); 1,024
/// lost messages for the reader of the 3-level test. About 1 MB per hub.
const LIVE_BACKLOG: usize = 8_192;

struct Inner {
    capacity: usize,
    history: Mutex<VecDeque<HubMessage>>,
    live: broadcast::Sender<HubMessage>,
}

impl UpstreamFeed {
    /// A feed keeping the last `capacity` messages.
    pub fn new(capacity: usize) -> UpstreamFeed {
        let (live, _) = broadcast::channel(LIVE_BACKLOG);
        UpstreamFeed {
            inner: Arc::new(Inner {
                capacity: capacity.max(1),
                history: Mutex::new(VecDeque::new()),
                live,
            }),
        }
    }

    /// Records a message delivered to `$upstream` and hands it to live subscribers.
    pub fn push(&self, message: HubMessage) {
        let mut history = self.lock();
        if history.len() == self.inner.capacity {
            history.pop_front();
        }
        history.push_back(message.clone());
        // No live subscriber is fine.
        let _ = self.inner.live.send(message);
    }

    /// Every recorded message, oldest first.
    pub fn snapshot(&self) -> Vec<HubMessage> {
        self.lock().iter().cloned().collect()
    }

    /// The history and a receiver for what comes after it, with no gap and no overlap.
    pub fn subscribe(&self) -> (Vec<HubMessage>, broadcast::Receiver<HubMessage>) {
        let history = self.lock();
        let receiver = self.inner.live.subscribe();
        (history.iter().cloned().collect(), receiver)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<HubMessage>> {
        self.inner
            .history
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The JSON form of one upstream message: `source`, `body` (UTF-8 text, or base64 with
/// `"bodyEncoding": "base64"` when the body is not UTF-8), `properties`, `systemProperties`.
pub fn message_json(message: &HubMessage) -> Value {
    let mut value = json!({
        "source": message.source,
        "properties": message.properties,
        "systemProperties": message.system_properties,
    });
    match std::str::from_utf8(&message.body) {
        Ok(text) => value["body"] = Value::from(text),
        Err(_) => {
            value["body"] =
                Value::from(base64::engine::general_purpose::STANDARD.encode(&message.body));
            value["bodyEncoding"] = Value::from("base64");
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body: &[u8]) -> HubMessage {
        HubMessage::from_wire("edge", Some("m"), vec![], body.to_vec())
    }

    #[test]
    fn history_is_bounded_and_subscription_continues_it() {
        let feed = UpstreamFeed::new(2);
        feed.push(message(b"1"));
        feed.push(message(b"2"));
        feed.push(message(b"3"));
        let bodies: Vec<_> = feed.snapshot().into_iter().map(|m| m.body).collect();
        assert_eq!(bodies, [b"2".to_vec(), b"3".to_vec()]);
        let (history, mut live) = feed.subscribe();
        assert_eq!(history.len(), 2);
        feed.push(message(b"4"));
        assert_eq!(live.try_recv().map(|m| m.body).ok(), Some(b"4".to_vec()));
    }

    #[test]
    fn json_shape() {
        let text = message_json(&message(b"{\"t\":1}"));
        assert_eq!(text["body"], "{\"t\":1}");
        assert_eq!(text["source"], "/messages/modules/m");
        assert_eq!(text["systemProperties"]["connectionModuleId"], "m");
        assert!(text.get("bodyEncoding").is_none());
        let binary = message_json(&message(&[0xff, 0x00]));
        assert_eq!(binary["body"], "/wA=");
        assert_eq!(binary["bodyEncoding"], "base64");
    }
}
