//! Delivery of a module's stored input messages over its connection: catch up from the store
//! first (endpoint by endpoint, oldest first), then take freshly stored messages from the
//! module's mailbox. At most `WINDOW` deliveries are unacknowledged; a PUBACK removes the
//! message from the store. Unacknowledged messages stay stored and are sent again (DUP) on
//! the next connection.

use std::collections::HashSet;
use std::sync::Arc;

use bytes::BytesMut;
use edgemodule::protocol::topics;
use rumqttc::QoS;

use super::codec::write_publish;
use super::inflight::{Inflight, InflightEntry};
use super::mailbox::{Mailbox, Take};
use crate::message::HubMessage;

/// Unacknowledged deliveries allowed per connection.
pub const WINDOW: usize = 1000;
/// While catching up, the store is read again only once this much of the window is free
/// (each read returns the in-flight rows too, so reading per PUBACK would be quadratic).
const REFILL: usize = WINDOW / 2;

/// A store read the connection should run (through the store worker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// Endpoint index.
    pub endpoint: usize,
    /// Store endpoint id.
    pub endpoint_id: String,
    /// Most rows wanted.
    pub limit: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Reading the store, currently this endpoint.
    CatchUp(usize),
    /// Taking from the mailbox.
    Live,
}

/// Delivery state of one connection with an inputs subscription.
pub struct Delivery {
    mailbox: Arc<Mailbox>,
    conn_id: u64,
    device_id: String,
    qos: QoS,
    mode: Mode,
    fetching: bool,
    sent: HashSet<(usize, i64)>,
    sent_per_endpoint: Vec<usize>,
    max_seen: Vec<i64>,
    redeliver: HashSet<(usize, i64)>,
    acked: Vec<(usize, i64)>,
}

impl Delivery {
    /// Starts delivering to connection `conn_id` at the granted `qos`.
    pub fn start(mailbox: Arc<Mailbox>, conn_id: u64, device_id: &str, qos: QoS) -> Delivery {
        let redeliver = mailbox.attach(conn_id);
        let n = mailbox.endpoints.len();
        Delivery {
            mailbox,
            conn_id,
            device_id: device_id.to_string(),
            qos,
            mode: if n == 0 { Mode::Live } else { Mode::CatchUp(0) },
            fetching: false,
            sent: HashSet::new(),
            sent_per_endpoint: vec![0; n],
            max_seen: vec![i64::MIN; n],
            redeliver,
            acked: Vec::new(),
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
        loop {
            let space = WINDOW.saturating_sub(inflight.deliveries());
            if space == 0 {
                return None;
            }
            match self.mode {
                Mode::Live => match self.mailbox.take(self.conn_id, space) {
                    Take::Items(items) => {
                        let taken = items.len();
                        for item in items {
                            let key = (item.endpoint, item.seq);
                            if item.seq <= self.max_seen[item.endpoint] || self.sent.contains(&key)
                            {
                                continue;
                            }
                            self.send(item.endpoint, item.seq, &item.message, inflight, wbuf);
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
                    if self.fetching || (space < REFILL && inflight.deliveries() > 0) {
                        return None;
                    }
                    self.fetching = true;
                    return Some(FetchRequest {
                        endpoint,
                        endpoint_id: self.mailbox.endpoints[endpoint].clone(),
                        limit: self.sent_per_endpoint[endpoint] + space,
                    });
                }
            }
        }
    }

    /// Handles the rows of a store read issued by `pump`.
    pub fn on_fetched(
        &mut self,
        request: &FetchRequest,
        rows: Vec<(i64, HubMessage)>,
        inflight: &mut Inflight,
        wbuf: &mut BytesMut,
    ) {
        self.fetching = false;
        let e = request.endpoint;
        if self.mode != Mode::CatchUp(e) {
            return;
        }
        let returned = rows.len();
        let mut all_sent = true;
        for (seq, message) in rows {
            self.max_seen[e] = self.max_seen[e].max(seq);
            if self.sent.contains(&(e, seq)) {
                continue;
            }
            if inflight.deliveries() >= WINDOW {
                all_sent = false;
                continue;
            }
            self.send(e, seq, &message, inflight, wbuf);
        }
        if returned < request.limit && all_sent {
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
        if self.sent.remove(&(endpoint, seq)) {
            self.sent_per_endpoint[endpoint] -= 1;
        }
        self.acked.push((endpoint, seq));
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
                .filter(|k| self.redeliver.remove(k))
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
        self.mailbox.detach(self.conn_id, self.sent);
    }

    fn send(
        &mut self,
        endpoint: usize,
        seq: i64,
        message: &HubMessage,
        inflight: &mut Inflight,
        wbuf: &mut BytesMut,
    ) {
        let topic = topics::input_topic(
            &self.device_id,
            &self.mailbox.module_id,
            &self.mailbox.inputs[endpoint],
            &message.to_delivery_bag(),
        );
        if self.qos == QoS::AtMostOnce {
            write_publish(wbuf, &topic, QoS::AtMostOnce, 0, false, &message.body);
            self.acked.push((endpoint, seq));
            return;
        }
        let Some(pkid) = inflight.allocate(InflightEntry::Delivery { endpoint, seq }) else {
            return;
        };
        let dup = self.redeliver.contains(&(endpoint, seq));
        if write_publish(wbuf, &topic, QoS::AtLeastOnce, pkid, dup, &message.body) {
            self.sent.insert((endpoint, seq));
            self.sent_per_endpoint[endpoint] += 1;
        } else {
            tracing::warn!(module = %self.mailbox.module_id, seq, "input message topic too long, dropped");
            inflight.complete(pkid);
            self.acked.push((endpoint, seq));
        }
    }
}
