//! Bookkeeping of outgoing publishes: which request became which packet id, which are waiting
//! for PUBACK, and what must be sent again after a reconnect.
//!
//! rumqttc handles requests strictly in the order they were queued and reports each one as
//! `Outgoing::Publish(pkid)` (or `Outgoing::AwaitAck(pkid)` when the id is still taken, then
//! `Outgoing::Publish(pkid)` once it is free), so a FIFO of queued requests maps each report
//! to its operation. After a connection loss the connection task discards rumqttc's own
//! copies and re-queues everything unacknowledged from here, in the original order.
//!
//! Re-sending (MQTT 3.1.1 §4.4): when the hub resumed the session (CONNACK session present),
//! a publish that was written before keeps its packet id and goes out with DUP=1, as
//! [MQTT-4.4.0-1] requires. rumqttc 0.25 keeps a packet id set on a `Publish`
//! (`MqttState::outgoing_publish` only assigns one when it is 0), and its table is empty
//! after a connection loss, so the old ids are free. When the hub did not resume the session
//! it has no state for those ids: the publishes go out as new ones (fresh ids, DUP=0) — they
//! may still have reached the hub, which is why they are re-sent at all (at-least-once).
//! Every re-sent QoS 1 publish gets its id from here (never 0): rumqttc hands out ids for
//! queued-ahead requests even while one of them is parked on a collision, and a second
//! collision there would overwrite the first.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use rumqttc::{Publish, QoS};
use tokio::sync::{oneshot, OwnedSemaphorePermit};

use crate::error::{Error, ErrorKind, Result};

/// One publish the client owes an answer for.
#[derive(Debug)]
pub(crate) struct PendingPublish {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    /// The packet id it was last written with (QoS 1), for a DUP re-send.
    sent_pkid: Option<u16>,
    done: Option<oneshot::Sender<Result<()>>>,
    _permit: Option<OwnedSemaphorePermit>,
}

impl PendingPublish {
    pub(crate) fn new(
        topic: String,
        payload: Bytes,
        qos: QoS,
        done: Option<oneshot::Sender<Result<()>>>,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Self {
        PendingPublish {
            topic,
            payload,
            qos,
            sent_pkid: None,
            done,
            _permit: permit,
        }
    }

    /// Answers the operation (once; the permit is released with `self`).
    pub(crate) fn complete(mut self, result: Result<()>) {
        if let Some(done) = self.done.take() {
            let _ = done.send(result);
        }
    }
}

/// The publish bookkeeping (guarded by the connection's outbox lock).
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    /// Handed to rumqttc, no packet id yet, in request order.
    queued: VecDeque<PendingPublish>,
    /// A request rumqttc parked because its packet id was still in flight.
    collided: Option<(u16, PendingPublish)>,
    /// Sent at QoS 1, waiting for PUBACK; the sequence number keeps the send order.
    inflight: BTreeMap<u16, (u64, PendingPublish)>,
    /// Waiting for the next connection, in send order.
    parked: Vec<PendingPublish>,
    next_seq: u64,
}

impl Tracker {
    /// A request was just queued to rumqttc.
    pub(crate) fn push(&mut self, publish: PendingPublish) {
        self.queued.push_back(publish);
    }

    /// Takes back the request just pushed (rumqttc refused it).
    pub(crate) fn pop_last(&mut self) -> Option<PendingPublish> {
        self.queued.pop_back()
    }

    /// rumqttc reported `Outgoing::Publish(pkid)`.
    pub(crate) fn on_outgoing_publish(&mut self, pkid: u16) {
        let mut publish = match self.collided.take() {
            Some((id, publish)) if id == pkid => publish,
            other => {
                self.collided = other;
                match self.queued.pop_front() {
                    Some(publish) => publish,
                    None => {
                        tracing::warn!(pkid, "publish reported that the client did not queue");
                        return;
                    }
                }
            }
        };
        if pkid == 0 {
            // QoS 0: written, nothing more to wait for.
            publish.complete(Ok(()));
            return;
        }
        publish.sent_pkid = Some(pkid);
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some((_, old)) = self.inflight.insert(pkid, (seq, publish)) {
            old.complete(Err(Error::protocol(format!(
                "packet id {pkid} was reused before its PUBACK"
            ))));
        }
    }

    /// rumqttc reported `Outgoing::AwaitAck(pkid)`: the next request waits for that id.
    pub(crate) fn on_await_ack(&mut self, pkid: u16) {
        if let Some(publish) = self.queued.pop_front() {
            self.collided = Some((pkid, publish));
        }
    }

    /// The hub acknowledged `pkid`.
    pub(crate) fn on_puback(&mut self, pkid: u16) {
        match self.inflight.remove(&pkid) {
            Some((_, publish)) => publish.complete(Ok(())),
            None => tracing::debug!(pkid, "PUBACK for an unknown packet id"),
        }
    }

    /// The hub refused publish `pkid` to `topic` (its broker policy denies it): the operation
    /// fails with `UNAUTHORIZED` and is not sent again. False if no such publish is waiting.
    pub(crate) fn deny(&mut self, pkid: u16, topic: &str) -> bool {
        match self.inflight.get(&pkid) {
            Some((_, publish)) if publish.topic == topic => {}
            _ => return false,
        }
        if let Some((_, publish)) = self.inflight.remove(&pkid) {
            publish.complete(Err(Error::new(
                ErrorKind::Unauthorized,
                format!("the hub's policy does not allow publishing to {topic:?}"),
            )));
        }
        true
    }

    /// The connection is gone: everything unacknowledged waits for the next one, oldest
    /// first (sent ones before the collided one before the never-written ones).
    pub(crate) fn on_connection_lost(&mut self) {
        let mut sent: Vec<(u64, PendingPublish)> =
            std::mem::take(&mut self.inflight).into_values().collect();
        sent.sort_by_key(|(seq, _)| *seq);
        self.parked.extend(sent.into_iter().map(|(_, p)| p));
        if let Some((_, publish)) = self.collided.take() {
            self.parked.push(publish);
        }
        self.parked.extend(self.queued.drain(..));
    }

    /// A new connection is up: the parked publishes go first. Returns what to hand to
    /// rumqttc ahead of anything already queued, in order: with `session_present`, those
    /// written before keep their packet id and carry DUP=1; the others get free ids up to
    /// `max_pkid` (rumqttc's in-flight limit).
    pub(crate) fn resume(&mut self, session_present: bool, max_pkid: u16) -> Vec<Publish> {
        let mut parked = std::mem::take(&mut self.parked);
        let mut taken = vec![false; usize::from(max_pkid) + 1];
        taken[0] = true;
        for p in &mut parked {
            match p.sent_pkid {
                Some(id) if session_present && usize::from(id) < taken.len() => {
                    taken[usize::from(id)] = true;
                }
                _ => p.sent_pkid = None,
            }
        }
        let mut free = (1..=max_pkid).filter(|id| !taken[usize::from(*id)]);
        let resend = parked
            .iter()
            .map(|p| {
                let mut publish = Publish::from_bytes(p.topic.clone(), p.qos, p.payload.clone());
                if p.qos != QoS::AtMostOnce {
                    match p.sent_pkid {
                        Some(id) => {
                            publish.pkid = id;
                            publish.dup = true;
                        }
                        // More parked than ids (not expected: permits bound them): rumqttc
                        // picks the id.
                        None => publish.pkid = free.next().unwrap_or(0),
                    }
                }
                publish
            })
            .collect();
        for publish in parked.into_iter().rev() {
            self.queued.push_front(publish);
        }
        resend
    }

    /// Fails every operation (close, terminal connection failure).
    pub(crate) fn fail_all(&mut self, error: &Error) {
        let all = self
            .queued
            .drain(..)
            .chain(self.parked.drain(..))
            .chain(self.collided.take().map(|(_, p)| p))
            .chain(
                std::mem::take(&mut self.inflight)
                    .into_values()
                    .map(|(_, p)| p),
            );
        for publish in all {
            publish.complete(Err(error.clone()));
        }
    }

    /// QoS 1 publishes written and not yet acknowledged.
    pub(crate) fn inflight_len(&self) -> usize {
        self.inflight.len()
    }

    /// Everything not yet answered.
    #[cfg(test)]
    pub(crate) fn outstanding(&self) -> usize {
        self.queued.len()
            + self.parked.len()
            + self.inflight.len()
            + usize::from(self.collided.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(topic: &str, qos: QoS) -> (PendingPublish, oneshot::Receiver<Result<()>>) {
        let (tx, rx) = oneshot::channel();
        let p = PendingPublish::new(
            topic.to_string(),
            Bytes::from_static(b"x"),
            qos,
            Some(tx),
            None,
        );
        (p, rx)
    }

    fn result(rx: &mut oneshot::Receiver<Result<()>>) -> Option<Result<()>> {
        rx.try_recv().ok()
    }

    #[test]
    fn fifo_maps_packet_ids_in_request_order() {
        let mut t = Tracker::default();
        let (a, mut ra) = op("a", QoS::AtLeastOnce);
        let (b, mut rb) = op("b", QoS::AtMostOnce);
        let (c, mut rc) = op("c", QoS::AtLeastOnce);
        t.push(a);
        t.push(b);
        t.push(c);
        t.on_outgoing_publish(7);
        t.on_outgoing_publish(0);
        assert_eq!(
            result(&mut rb),
            Some(Ok(())),
            "QoS 0 completes when written"
        );
        t.on_outgoing_publish(8);
        assert!(result(&mut ra).is_none() && result(&mut rc).is_none());
        t.on_puback(8);
        assert_eq!(result(&mut rc), Some(Ok(())));
        assert!(result(&mut ra).is_none());
        t.on_puback(7);
        assert_eq!(result(&mut ra), Some(Ok(())));
        assert_eq!(t.outstanding(), 0);
    }

    #[test]
    fn collisions_wait_for_the_old_packet_id() {
        let mut t = Tracker::default();
        let (a, mut ra) = op("a", QoS::AtLeastOnce);
        let (b, mut rb) = op("b", QoS::AtLeastOnce);
        let (c, mut rc) = op("c", QoS::AtLeastOnce);
        t.push(a);
        t.push(b);
        t.on_outgoing_publish(1);
        t.on_await_ack(1);
        t.push(c);
        // PUBACK 1 completes a; rumqttc then sends b with id 1.
        t.on_puback(1);
        assert_eq!(result(&mut ra), Some(Ok(())));
        t.on_outgoing_publish(1);
        t.on_outgoing_publish(2);
        t.on_puback(2);
        assert_eq!(result(&mut rc), Some(Ok(())));
        assert!(result(&mut rb).is_none());
        t.on_puback(1);
        assert_eq!(result(&mut rb), Some(Ok(())));
    }

    #[test]
    fn connection_loss_parks_unacked_in_order_and_resumes_first() {
        let mut t = Tracker::default();
        let (a, mut ra) = op("a", QoS::AtLeastOnce);
        let (b, mut rb) = op("b", QoS::AtLeastOnce);
        let (c, mut rc) = op("c", QoS::AtLeastOnce);
        t.push(a);
        t.push(b);
        t.push(c);
        t.on_outgoing_publish(9); // a
        t.on_outgoing_publish(3); // b (ids need not be ascending)
        t.on_connection_lost();
        // queued while disconnected
        let (d, mut rd) = op("d", QoS::AtLeastOnce);
        t.push(d);
        let resend = t.resume(true, 10);
        let wire: Vec<(&str, u16, bool)> = resend
            .iter()
            .map(|p| (p.topic.as_str(), p.pkid, p.dup))
            .collect();
        // a and b keep their ids with DUP; c was never written: a free id, no DUP.
        assert_eq!(wire, vec![("a", 9, true), ("b", 3, true), ("c", 1, false)]);
        for pkid in [9, 3, 1, 2] {
            t.on_outgoing_publish(pkid);
        }
        for pkid in [2, 1, 3, 9] {
            t.on_puback(pkid);
        }
        for rx in [&mut ra, &mut rb, &mut rc, &mut rd] {
            assert_eq!(result(rx), Some(Ok(())));
        }
    }

    #[test]
    fn repeated_losses_keep_everything_once() {
        let mut t = Tracker::default();
        let (a, _ra) = op("a", QoS::AtLeastOnce);
        t.push(a);
        t.on_outgoing_publish(1);
        t.on_connection_lost();
        let (b, _rb) = op("b", QoS::AtLeastOnce);
        t.push(b);
        t.on_connection_lost(); // a reconnect attempt failed; b was queued meanwhile
        assert_eq!(t.outstanding(), 2);
        let resend: Vec<String> = t.resume(true, 10).into_iter().map(|p| p.topic).collect();
        assert_eq!(resend, vec!["a", "b"]);
    }

    #[test]
    fn a_new_session_gets_fresh_ids_without_dup() {
        let mut t = Tracker::default();
        let (a, _ra) = op("a", QoS::AtLeastOnce);
        let (b, _rb) = op("b", QoS::AtMostOnce);
        t.push(a);
        t.push(b);
        t.on_outgoing_publish(5);
        t.on_connection_lost();
        let wire: Vec<(u16, bool)> = t
            .resume(false, 10)
            .iter()
            .map(|p| (p.pkid, p.dup))
            .collect();
        assert_eq!(wire, vec![(1, false), (0, false)], "QoS 0 has no id");
    }

    #[test]
    fn a_denied_publish_fails_unauthorized_and_is_not_resent() {
        let mut t = Tracker::default();
        let (a, mut ra) = op("alerts/x", QoS::AtLeastOnce);
        t.push(a);
        t.on_outgoing_publish(4);
        assert!(!t.deny(4, "other"), "the topic must match");
        assert!(t.deny(4, "alerts/x"));
        assert_eq!(
            result(&mut ra).map(|r| r.unwrap_err().kind()),
            Some(ErrorKind::Unauthorized)
        );
        t.on_connection_lost();
        assert!(t.resume(true, 10).is_empty());
    }

    #[test]
    fn fail_all_answers_every_operation_once() {
        let mut t = Tracker::default();
        let (a, mut ra) = op("a", QoS::AtLeastOnce);
        let (b, mut rb) = op("b", QoS::AtLeastOnce);
        t.push(a);
        t.push(b);
        t.on_outgoing_publish(1);
        t.fail_all(&Error::closed());
        for rx in [&mut ra, &mut rb] {
            assert_eq!(
                result(rx).map(|r| r.unwrap_err().kind()),
                Some(ErrorKind::Closed)
            );
        }
        assert_eq!(t.outstanding(), 0);
        t.on_puback(1); // late PUBACK after close: ignored
    }
}
