//! Delivery of a module's stored input messages over its connection: catch up from the store
//! first (endpoint by endpoint, oldest first), then take freshly stored messages from the
//! module's mailbox. At most `policy.window()` deliveries are unacknowledged (one in strict
//! mode, as edgeHub); a PUBACK removes the message from the store. In strict mode a message
//! not acknowledged within the ack timeout is sent again with the same packet id and DUP=1.
//! Unacknowledged messages stay stored and are sent again (DUP) on the next connection.
//!
//! A store read returns the rows still in flight too (reading from the oldest keeps route
//! priorities right), and the removal of a just-acknowledged row may not be committed when
//! a read runs: rows in flight, and rows acknowledged while a read was running, are skipped
//! so nothing is sent twice without DUP.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::BytesMut;
use edgemodule::protocol::topics;
use rumqttc::QoS;
use tokio::time::Instant;

use super::codec::write_publish;
use super::inflight::{Inflight, InflightEntry};
use super::inspect::ModuleCounters;
use super::mailbox::{Mailbox, Take};
use super::policy::DeliveryPolicy;
use crate::message::HubMessage;
use crate::metrics::{HubMetrics, InputMetrics, SentHandles};

/// The handles of a delivery, when metrics are on.
fn sent_handles(
    inputs: &[InputMetrics],
    endpoint: usize,
    index: Option<usize>,
) -> Option<&SentHandles> {
    inputs.get(endpoint)?.get(index?)
}

/// Rows a catch-up read asks for beyond those in flight, at least (with a window of one,
/// reading one row per message would make a backlog cost one store read per message).
const PREFETCH: usize = 100;

/// A store read the connection should run (through the store worker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// Endpoint index.
    pub endpoint: usize,
    /// Store endpoint id.
    pub endpoint_id: String,
    /// Most rows wanted.
    pub limit: usize,
    /// Which read this is (acknowledgements are tagged with the read they may race).
    pub generation: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Reading the store, currently this endpoint.
    CatchUp(usize),
    /// Taking from the mailbox.
    Live,
}

/// An unacknowledged delivery.
struct Sent {
    pkid: u16,
    /// Strict mode: when it is sent again.
    due: Option<Instant>,
    message: Arc<HubMessage>,
    /// When this attempt was written (for `edgehub_message_send_duration_seconds`).
    sent_at: Instant,
    /// Its metric handles in `input_metrics[endpoint]` (`None` when metrics are off).
    metrics: Option<usize>,
}

/// Delivery state of one connection with an inputs subscription.
pub struct Delivery {
    mailbox: Arc<Mailbox>,
    conn_id: u64,
    device_id: String,
    qos: QoS,
    policy: DeliveryPolicy,
    counters: Arc<ModuleCounters>,
    metrics: Arc<HubMetrics>,
    /// Metric handles per endpoint (same indexes as the mailbox's inputs).
    input_metrics: Vec<InputMetrics>,
    mode: Mode,
    fetching: bool,
    generation: u64,
    /// Rows read from the store and not sent yet, in store order: (endpoint, seq, priority,
    /// message).
    buffer: VecDeque<(usize, i64, u32, Arc<HubMessage>)>,
    sent: HashMap<(usize, i64), Sent>,
    sent_per_endpoint: Vec<usize>,
    max_seen: Vec<i64>,
    /// Sent on an earlier connection without an acknowledgement → its packet id.
    redeliver: HashMap<(usize, i64), u16>,
    acked: Vec<(usize, i64)>,
    /// Acknowledged while a read was running → that read's generation.
    acked_during_read: HashMap<(usize, i64), u64>,
}

impl Delivery {
    /// Starts delivering to connection `conn_id` at the granted `qos`.
    pub fn start(
        mailbox: Arc<Mailbox>,
        conn_id: u64,
        device_id: &str,
        qos: QoS,
        policy: DeliveryPolicy,
        counters: Arc<ModuleCounters>,
        metrics: Arc<HubMetrics>,
    ) -> Delivery {
        let redeliver = mailbox.attach(conn_id);
        let n = mailbox.endpoints.len();
        counters.in_flight.store(0, Ordering::Relaxed);
        let input_metrics = mailbox
            .inputs
            .iter()
            .map(|input| InputMetrics::new(&metrics, &mailbox.module_id, input))
            .collect();
        Delivery {
            mailbox,
            conn_id,
            device_id: device_id.to_string(),
            qos,
            policy,
            counters,
            metrics,
            input_metrics,
            mode: if n == 0 { Mode::Live } else { Mode::CatchUp(0) },
            fetching: false,
            generation: 0,
            buffer: VecDeque::new(),
            sent: HashMap::new(),
            sent_per_endpoint: vec![0; n],
            max_seen: vec![i64::MIN; n],
            redeliver,
            acked: Vec::new(),
            acked_during_read: HashMap::new(),
        }
    }

    /// Changes the QoS for future deliveries (re-subscription).
    pub fn set_qos(&mut self, qos: QoS) {
        self.qos = qos;
    }

    /// True while reading the store (the mailbox is not consulted yet).
    pub fn is_catching_up(&self) -> bool {
        matches!(self.mode, Mode::CatchUp(_))
    }

    /// Sends what the window allows. Returns a store read to run when catching up.
    pub fn pump(&mut self, inflight: &mut Inflight, wbuf: &mut BytesMut) -> Option<FetchRequest> {
        let window = self.policy.window();
        loop {
            let space = window.saturating_sub(inflight.deliveries());
            if space == 0 {
                return None;
            }
            if let Some((endpoint, seq, priority, message)) = self.buffer.pop_front() {
                self.send(endpoint, seq, priority, message, inflight, wbuf);
                continue;
            }
            match self.mode {
                Mode::Live => match self.mailbox.take(self.conn_id, space) {
                    Take::Items(items) => {
                        let taken = items.len();
                        for item in items {
                            let key = (item.endpoint, item.seq);
                            if item.seq <= self.max_seen[item.endpoint]
                                || self.sent.contains_key(&key)
                            {
                                continue;
                            }
                            self.send(
                                item.endpoint,
                                item.seq,
                                item.priority,
                                item.message,
                                inflight,
                                wbuf,
                            );
                        }
                        if taken < space {
                            return None;
                        }
                    }
                    Take::Overflowed => {
                        tracing::debug!(module = %self.mailbox.module_id, "live queue overflowed, reading the store");
                        self.max_seen.iter_mut().for_each(|m| *m = i64::MIN);
                        self.mode = Mode::CatchUp(0);
                    }
                },
                Mode::CatchUp(endpoint) => {
                    // Each read returns the rows in flight too: with a large window, read
                    // again only once half of it is free (reading per PUBACK is quadratic).
                    if self.fetching || (space < window / 2 && inflight.deliveries() > 0) {
                        return None;
                    }
                    self.fetching = true;
                    self.generation += 1;
                    return Some(FetchRequest {
                        endpoint,
                        endpoint_id: self.mailbox.endpoints[endpoint].clone(),
                        limit: self.sent_per_endpoint[endpoint]
                            + self.acked_during_read.len()
                            + space.max(PREFETCH),
                        generation: self.generation,
                    });
                }
            }
        }
    }

    /// Handles the rows of a store read issued by `pump`.
    pub fn on_fetched(&mut self, request: &FetchRequest, rows: Vec<(i64, u32, HubMessage)>) {
        self.fetching = false;
        // Acknowledged before this read was issued: their removal was committed before it ran.
        self.acked_during_read
            .retain(|_, generation| *generation >= request.generation);
        let e = request.endpoint;
        if self.mode != Mode::CatchUp(e) {
            return;
        }
        let returned = rows.len();
        for (seq, priority, message) in rows {
            self.max_seen[e] = self.max_seen[e].max(seq);
            let key = (e, seq);
            if self.sent.contains_key(&key) || self.acked_during_read.contains_key(&key) {
                continue;
            }
            self.buffer.push_back((e, seq, priority, Arc::new(message)));
        }
        if returned < request.limit {
            self.mode = if e + 1 < self.max_seen.len() {
                Mode::CatchUp(e + 1)
            } else {
                Mode::Live
            };
        }
    }

    /// A read failed: try again on the next pump.
    pub fn on_fetch_failed(&mut self) {
        self.fetching = false;
    }

    /// A PUBACK for a delivery.
    pub fn on_puback(&mut self, endpoint: usize, seq: i64) {
        let key = (endpoint, seq);
        if let Some(sent) = self.sent.remove(&key) {
            if let Some(m) = sent_handles(&self.input_metrics, endpoint, sent.metrics) {
                m.finished(sent.sent_at.elapsed());
            }
            self.sent_per_endpoint[endpoint] -= 1;
            self.counters
                .in_flight
                .store(self.sent.len() as u64, Ordering::Relaxed);
        }
        if self.fetching {
            // The running read may still return this row.
            self.acked_during_read.insert(key, self.generation);
        }
        self.acked.push(key);
    }

    /// Strict mode: when the oldest unacknowledged delivery is due to be sent again.
    pub fn next_due(&self) -> Option<Instant> {
        self.sent.values().filter_map(|s| s.due).min()
    }

    /// Strict mode: sends every delivery whose ack timeout passed again, with its packet id
    /// and DUP=1 (MQTT 3.1.1 §4.4), and restarts its timeout.
    pub fn redeliver_due(&mut self, now: Instant, wbuf: &mut BytesMut) {
        let Delivery {
            sent,
            mailbox,
            device_id,
            policy,
            counters,
            input_metrics,
            ..
        } = self;
        for (&(endpoint, seq), s) in sent.iter_mut() {
            if s.due.is_none_or(|due| due > now) {
                continue;
            }
            tracing::warn!(
                module = %mailbox.module_id,
                input = %mailbox.inputs[endpoint],
                seq,
                pkid = s.pkid,
                timeout_secs = policy.ack_timeout.as_secs_f64(),
                "no PUBACK within the ack timeout: sending the message again with DUP"
            );
            let topic = input_topic(device_id, mailbox, endpoint, &s.message);
            write_publish(
                wbuf,
                &topic,
                QoS::AtLeastOnce,
                s.pkid,
                true,
                &s.message.body,
            );
            ModuleCounters::bump(&counters.redelivered);
            // edgeHub's timer of the attempt that timed out ends, and the new attempt counts
            // as a message sent.
            if let Some(m) = sent_handles(input_metrics, endpoint, s.metrics) {
                m.finished(now.saturating_duration_since(s.sent_at));
                m.sent();
            }
            s.sent_at = now;
            s.due = Some(now + policy.ack_timeout);
        }
    }

    /// Acknowledged messages to remove from the store since the last call.
    pub fn take_acks(&mut self) -> Vec<(String, i64)> {
        if self.acked.is_empty() {
            return Vec::new();
        }
        if !self.redeliver.is_empty() {
            let done: Vec<(usize, i64)> = self
                .acked
                .iter()
                .copied()
                .filter(|k| self.redeliver.remove(k).is_some())
                .collect();
            self.mailbox.forget_sent(done);
        }
        let endpoints = &self.mailbox.endpoints;
        self.acked
            .drain(..)
            .map(|(e, seq)| (endpoints[e].clone(), seq))
            .collect()
    }

    /// Stops delivering; what is unacknowledged is redelivered with DUP next time.
    pub fn stop(self) {
        self.counters.in_flight.store(0, Ordering::Relaxed);
        self.mailbox.detach(
            self.conn_id,
            self.sent.into_iter().map(|(key, s)| (key, s.pkid)),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn send(
        &mut self,
        endpoint: usize,
        seq: i64,
        priority: u32,
        message: Arc<HubMessage>,
        inflight: &mut Inflight,
        wbuf: &mut BytesMut,
    ) {
        let topic = input_topic(&self.device_id, &self.mailbox, endpoint, &message);
        let metrics = self
            .input_metrics
            .get_mut(endpoint)
            .and_then(|m| m.resolve(&self.metrics, &message, priority));
        if self.qos == QoS::AtMostOnce {
            write_publish(wbuf, &topic, QoS::AtMostOnce, 0, false, &message.body);
            ModuleCounters::bump(&self.counters.delivered);
            if let Some(m) = sent_handles(&self.input_metrics, endpoint, metrics) {
                m.sent();
                m.finished(std::time::Duration::ZERO);
            }
            self.on_puback(endpoint, seq);
            return;
        }
        let key = (endpoint, seq);
        let entry = InflightEntry::Delivery { endpoint, seq };
        let earlier = self.redeliver.get(&key).copied();
        let pkid = match earlier {
            // MQTT 3.1.1 §4.4: the same packet id again, when it is free.
            Some(id) if inflight.allocate_exact(id, entry) => id,
            _ => match inflight.allocate(entry) {
                Some(id) => id,
                None => return,
            },
        };
        let dup = earlier.is_some();
        if write_publish(wbuf, &topic, QoS::AtLeastOnce, pkid, dup, &message.body) {
            ModuleCounters::bump(if dup {
                &self.counters.redelivered
            } else {
                &self.counters.delivered
            });
            let now = Instant::now();
            let due = self
                .policy
                .is_strict()
                .then(|| now + self.policy.ack_timeout);
            if let Some(m) = sent_handles(&self.input_metrics, endpoint, metrics) {
                m.sent();
            }
            self.sent.insert(
                key,
                Sent {
                    pkid,
                    due,
                    message,
                    sent_at: now,
                    metrics,
                },
            );
            self.sent_per_endpoint[endpoint] += 1;
            self.counters
                .in_flight
                .store(self.sent.len() as u64, Ordering::Relaxed);
        } else {
            tracing::warn!(module = %self.mailbox.module_id, seq, "input message topic too long, dropped");
            inflight.complete(pkid);
            self.acked.push(key);
        }
    }
}

/// `devices/{d}/modules/{m}/inputs/{input}/{bag}` for one message.
fn input_topic(
    device_id: &str,
    mailbox: &Mailbox,
    endpoint: usize,
    message: &HubMessage,
) -> String {
    topics::input_topic(
        device_id,
        &mailbox.module_id,
        &mailbox.inputs[endpoint],
        &message.to_delivery_bag(),
    )
}
