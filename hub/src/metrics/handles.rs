//! Handles the hot paths keep, so that counting a message is an atomic add: a sender's
//! (per connection and output name), a receiving module's (per input, sender, output and
//! priority) and `$upstream`'s. Each is resolved on the first message with that label set
//! and looked up afterwards by comparing a few strings, without allocating.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use metrics::{Counter, Histogram};

use super::names::{self, MS_TELEMETRY, MS_TELEMETRY_VALUE};
use super::HubMetrics;
use crate::message::HubMessage;

/// System property names the labels come from (edgeHub's `MessageHelper`).
const CONNECTION_DEVICE_ID: &str = "connectionDeviceId";
const CONNECTION_MODULE_ID: &str = "connectionModuleId";
const OUTPUT_NAME: &str = "outputName";

/// `from` (edgeHub's `GetSenderId`: `{device}/{module}`, `{device}`, or empty) and
/// `from_route_output` (`GetOutput`: the output name or empty) of a message, borrowed.
struct Origin<'a> {
    device: &'a str,
    module: Option<&'a str>,
    output: &'a str,
}

impl<'a> Origin<'a> {
    fn of(message: &'a HubMessage) -> Origin<'a> {
        let get = |name: &str| message.system_properties.get(name).map(String::as_str);
        let device = get(CONNECTION_DEVICE_ID);
        Origin {
            device: device.unwrap_or(""),
            module: device.and(get(CONNECTION_MODULE_ID)),
            output: get(OUTPUT_NAME).unwrap_or(""),
        }
    }

    fn sender_id(&self) -> String {
        match self.module {
            Some(m) => format!("{}/{m}", self.device),
            None => self.device.to_string(),
        }
    }
}

/// What a label set was resolved for, owned.
#[derive(Debug)]
struct OriginKey {
    device: String,
    module: Option<String>,
    output: String,
    priority: u32,
}

impl OriginKey {
    fn new(origin: &Origin<'_>, priority: u32) -> OriginKey {
        OriginKey {
            device: origin.device.to_string(),
            module: origin.module.map(str::to_string),
            output: origin.output.to_string(),
            priority,
        }
    }

    fn matches(&self, origin: &Origin<'_>, priority: u32) -> bool {
        self.priority == priority
            && self.output == origin.output
            && self.module.as_deref() == origin.module
            && self.device == origin.device
    }
}

/// Counters of the messages one connection sends, per output name.
#[derive(Debug, Default)]
pub struct SenderMetrics {
    outputs: Vec<SenderOutput>,
}

#[derive(Debug)]
struct SenderOutput {
    output: String,
    received: Counter,
    size: Histogram,
    dropped: Option<Counter>,
    unack: Option<Counter>,
}

impl SenderMetrics {
    /// The handles for `message` of `client_id` (`{device}/{module}`), by its output name;
    /// `None` when metrics are off. Resolve before routing takes the message.
    pub fn resolve(
        &mut self,
        metrics: &HubMetrics,
        client_id: &str,
        message: &HubMessage,
    ) -> Option<usize> {
        if !metrics.is_enabled() {
            return None;
        }
        let output = Origin::of(message).output;
        if let Some(i) = self.outputs.iter().position(|o| o.output == output) {
            return Some(i);
        }
        self.outputs.push(SenderOutput {
            output: output.to_string(),
            received: metrics.counter(
                names::MESSAGES_RECEIVED,
                &[
                    ("id", client_id),
                    ("route_output", output),
                    (MS_TELEMETRY, MS_TELEMETRY_VALUE),
                ],
            ),
            size: metrics.summary(names::MESSAGE_SIZE, &[("id", client_id)]),
            dropped: None,
            unack: None,
        });
        Some(self.outputs.len() - 1)
    }

    /// A telemetry message of `size` bytes (edgeHub's `Size()`: body plus every property
    /// key and value): `edgehub_messages_received_total` and `edgehub_message_size_bytes`,
    /// and `edgehub_messages_dropped_total{reason="no_route"}` when no route took it.
    pub fn received(
        &mut self,
        metrics: &HubMetrics,
        client_id: &str,
        handles: usize,
        size: usize,
        routed: bool,
    ) {
        let Some(entry) = self.outputs.get_mut(handles) else {
            return;
        };
        entry.received.increment(1);
        entry.size.record(size as f64);
        if !routed {
            let output = entry.output.as_str();
            entry
                .dropped
                .get_or_insert_with(|| {
                    from_counter(
                        metrics,
                        names::MESSAGES_DROPPED,
                        names::REASON_NO_ROUTE,
                        client_id,
                        output,
                    )
                })
                .increment(1);
        }
    }

    /// A message of `client_id` the store did not take:
    /// `edgehub_messages_unack_total{reason="storage_failure"}`.
    pub fn unacknowledged(&mut self, metrics: &HubMetrics, client_id: &str, message: &HubMessage) {
        let Some(i) = self.resolve(metrics, client_id, message) else {
            return;
        };
        let entry = &mut self.outputs[i];
        let output = entry.output.as_str();
        entry
            .unack
            .get_or_insert_with(|| {
                from_counter(
                    metrics,
                    names::MESSAGES_UNACK,
                    names::REASON_STORAGE_FAILURE,
                    client_id,
                    output,
                )
            })
            .increment(1);
    }
}

fn from_counter(
    metrics: &HubMetrics,
    family: names::Family,
    reason: &str,
    from: &str,
    output: &str,
) -> Counter {
    metrics.counter(
        family,
        &[
            ("reason", reason),
            ("from", from),
            ("from_route_output", output),
            (MS_TELEMETRY, MS_TELEMETRY_VALUE),
        ],
    )
}

/// The series of messages sent to one module input, by sender, output and priority.
#[derive(Debug)]
pub struct InputMetrics {
    /// `{device}/{module}` of the receiving module.
    to: String,
    input: String,
    senders: Vec<(OriginKey, SentHandles)>,
}

/// `edgehub_messages_sent_total` and `edgehub_message_send_duration_seconds` of one label set.
#[derive(Debug)]
pub struct SentHandles {
    sent: Counter,
    duration: Histogram,
}

impl SentHandles {
    /// One more PUBLISH of such a message (first attempt or a re-send: edgeHub counts every
    /// `SendMessageAsync`).
    pub fn sent(&self) {
        self.sent.increment(1);
    }

    /// One send finished after `elapsed` (acknowledged, or given up at the ack timeout).
    pub fn finished(&self, elapsed: Duration) {
        self.duration.record(elapsed.as_secs_f64());
    }
}

impl InputMetrics {
    /// The series for input `input` of module `module` (`to` = `{device}/{module}`).
    pub fn new(metrics: &HubMetrics, module: &str, input: &str) -> InputMetrics {
        InputMetrics {
            to: format!("{}/{module}", metrics.device_id()),
            input: input.to_string(),
            senders: Vec::new(),
        }
    }

    /// The handles of a resolved label set.
    pub fn get(&self, index: usize) -> Option<&SentHandles> {
        self.senders.get(index).map(|(_, h)| h)
    }

    /// Resolves the handles for `message` sent at `priority` (see [`InputMetrics::get`]);
    /// `None` when metrics are off.
    pub fn resolve(
        &mut self,
        metrics: &HubMetrics,
        message: &HubMessage,
        priority: u32,
    ) -> Option<usize> {
        if !metrics.is_enabled() {
            return None;
        }
        let origin = Origin::of(message);
        let index = match self
            .senders
            .iter()
            .position(|(key, _)| key.matches(&origin, priority))
        {
            Some(i) => i,
            None => {
                let from = origin.sender_id();
                let priority_text = priority.to_string();
                let labels = [
                    ("from", from.as_str()),
                    ("to", self.to.as_str()),
                    ("from_route_output", origin.output),
                    ("to_route_input", self.input.as_str()),
                ];
                let handles = SentHandles {
                    sent: metrics.counter(
                        names::MESSAGES_SENT,
                        &[
                            labels[0],
                            labels[1],
                            labels[2],
                            labels[3],
                            ("priority", &priority_text),
                            (MS_TELEMETRY, MS_TELEMETRY_VALUE),
                        ],
                    ),
                    duration: metrics.summary(names::MESSAGE_SEND_DURATION, &labels),
                };
                self.senders
                    .push((OriginKey::new(&origin, priority), handles));
                self.senders.len() - 1
            }
        };
        Some(index)
    }
}

/// `edgehub_messages_sent_total{to="upstream", to_route_input=""}`: messages handed to
/// `$upstream` (the hub keeps them for `monitor`; there is no IoT Hub to wait for).
#[derive(Debug, Default)]
pub struct UpstreamMetrics {
    senders: Mutex<Vec<(OriginKey, Counter)>>,
}

impl UpstreamMetrics {
    /// One message stored for `$upstream` at `priority`.
    pub fn sent(&self, metrics: &HubMetrics, message: &HubMessage, priority: u32) {
        if !metrics.is_enabled() {
            return;
        }
        let origin = Origin::of(message);
        let mut senders = self.senders.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, counter)) = senders
            .iter()
            .find(|(key, _)| key.matches(&origin, priority))
        {
            counter.increment(1);
            return;
        }
        let from = origin.sender_id();
        let counter = metrics.counter(
            names::MESSAGES_SENT,
            &[
                ("from", &from),
                ("to", names::UPSTREAM),
                ("from_route_output", origin.output),
                ("to_route_input", ""),
                ("priority", &priority.to_string()),
                (MS_TELEMETRY, MS_TELEMETRY_VALUE),
            ],
        );
        counter.increment(1);
        senders.push((OriginKey::new(&origin, priority), counter));
    }
}
