//! Bookkeeping of SUBSCRIBE and UNSUBSCRIBE packets: which request got which packet id, and
//! who waits for its SUBACK / UNSUBACK. Every connection starts with one SUBSCRIBE of every
//! filter in use (the "initial" one; its SUBACK makes the connection ready), followed by the
//! UNSUBSCRIBEs a lost connection did not deliver.

use std::collections::{HashMap, VecDeque};

use rumqttc::SubscribeReasonCode;
use tokio::sync::oneshot;

use crate::error::{Error, ErrorKind, Result};

/// A waiter for the hub's answer about one filter.
pub(crate) type FilterWaiter = (String, oneshot::Sender<Result<()>>);

/// One SUBSCRIBE (or UNSUBSCRIBE) request.
#[derive(Debug)]
pub(crate) struct SubscribeOp {
    /// The filters, in packet order.
    pub filters: Vec<String>,
    /// Who waits for which filter.
    pub waiters: Vec<FilterWaiter>,
    /// The connection's first SUBSCRIBE (its SUBACK means "ready").
    pub initial: bool,
    /// An UNSUBSCRIBE.
    pub unsubscribe: bool,
}

impl SubscribeOp {
    /// A SUBSCRIBE of `filter` that `waiter` waits for.
    pub(crate) fn subscribe(filters: Vec<String>, waiters: Vec<FilterWaiter>) -> Self {
        SubscribeOp {
            filters,
            waiters,
            initial: false,
            unsubscribe: false,
        }
    }

    /// An UNSUBSCRIBE of `filter`.
    pub(crate) fn unsubscribe(filter: String, waiter: Option<oneshot::Sender<Result<()>>>) -> Self {
        SubscribeOp {
            waiters: waiter.map(|w| (filter.clone(), w)).into_iter().collect(),
            filters: vec![filter],
            initial: false,
            unsubscribe: true,
        }
    }

    /// Answers every waiter of an UNSUBSCRIBE (the UNSUBACK has no codes).
    pub(crate) fn complete_unsubscribe(self) {
        for (_, waiter) in self.waiters {
            let _ = waiter.send(Ok(()));
        }
    }

    /// Answers every waiter from the SUBACK's return codes; returns the filters refused.
    pub(crate) fn complete(self, codes: &[SubscribeReasonCode]) -> Vec<String> {
        let refused: Vec<String> = self
            .filters
            .iter()
            .zip(codes)
            .filter(|(_, code)| matches!(code, SubscribeReasonCode::Failure))
            .map(|(filter, _)| filter.clone())
            .collect();
        for (filter, waiter) in self.waiters {
            let position = self.filters.iter().position(|f| *f == filter);
            let answer = match position.and_then(|i| codes.get(i)) {
                Some(SubscribeReasonCode::Success(_)) => Ok(()),
                Some(SubscribeReasonCode::Failure) => Err(Error::new(
                    ErrorKind::Unauthorized,
                    format!("the hub refused the subscription to {filter:?}"),
                )),
                None if position.is_none() => Ok(()),
                None => Err(Error::protocol(format!(
                    "the SUBACK has no return code for {filter:?}"
                ))),
            };
            let _ = waiter.send(answer);
        }
        refused
    }
}

/// The SUBSCRIBE bookkeeping (guarded by the outbox lock).
#[derive(Debug, Default)]
pub(crate) struct SubscribeQueue {
    queued: VecDeque<SubscribeOp>,
    sent: HashMap<u16, SubscribeOp>,
    /// Waiters whose request was lost with a connection; the next initial SUBSCRIBE (which
    /// carries every registered filter) answers them.
    carried: Vec<FilterWaiter>,
    /// UNSUBSCRIBEs lost with a connection (or asked for while disconnected): sent again
    /// right after the next initial SUBSCRIBE, unless the filter is in use again by then.
    carried_unsubscribes: Vec<(String, Option<oneshot::Sender<Result<()>>>)>,
}

/// What a new connection sends before anything else.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ConnectionStart {
    /// Filters of the initial SUBSCRIBE (empty: none is sent).
    pub subscribe: Vec<String>,
    /// Filters to UNSUBSCRIBE right after it (one packet).
    pub unsubscribe: Vec<String>,
}

impl SubscribeQueue {
    /// A SUBSCRIBE was queued to rumqttc behind everything already queued.
    pub(crate) fn push_back(&mut self, op: SubscribeOp) {
        self.queued.push_back(op);
    }

    /// Takes back the op just pushed (rumqttc refused it).
    pub(crate) fn pop_last(&mut self) -> Option<SubscribeOp> {
        self.queued.pop_back()
    }

    /// A new connection starts: its initial SUBSCRIBE of `filters` (every filter in use) and
    /// the UNSUBSCRIBE of what is no longer in use, handed to rumqttc ahead of everything
    /// queued, in this order.
    pub(crate) fn start_connection(&mut self, filters: Vec<String>) -> ConnectionStart {
        let mut waiters = std::mem::take(&mut self.carried);
        let mut unsubscribe = Vec::new();
        let mut unsubscribe_waiters = Vec::new();
        for (filter, waiter) in std::mem::take(&mut self.carried_unsubscribes) {
            if filters.contains(&filter) {
                // Subscribed again since: nothing to undo.
                if let Some(w) = waiter {
                    let _ = w.send(Ok(()));
                }
                continue;
            }
            if !unsubscribe.contains(&filter) {
                unsubscribe.push(filter.clone());
            }
            if let Some(w) = waiter {
                unsubscribe_waiters.push((filter, w));
            }
        }
        if !unsubscribe.is_empty() {
            self.queued.push_front(SubscribeOp {
                filters: unsubscribe.clone(),
                waiters: unsubscribe_waiters,
                initial: false,
                unsubscribe: true,
            });
        }
        if filters.is_empty() {
            // Nothing to subscribe: waiters of filters no longer in use have nothing to wait for.
            for (_, w) in waiters.drain(..) {
                let _ = w.send(Ok(()));
            }
        } else {
            self.queued.push_front(SubscribeOp {
                filters: filters.clone(),
                waiters,
                initial: true,
                unsubscribe: false,
            });
        }
        ConnectionStart {
            subscribe: filters,
            unsubscribe,
        }
    }

    /// Waits with the next initial SUBSCRIBE (the connection is down or not yet subscribed).
    pub(crate) fn carry(&mut self, waiter: FilterWaiter) {
        self.carried.push(waiter);
    }

    /// UNSUBSCRIBEs `filter` at the start of the next connection.
    pub(crate) fn carry_unsubscribe(
        &mut self,
        filter: String,
        waiter: Option<oneshot::Sender<Result<()>>>,
    ) {
        self.carried_unsubscribes.push((filter, waiter));
    }

    /// Adds `waiter` to a SUBSCRIBE of its filter that is queued or sent; gives it back if
    /// there is none (the filter is already confirmed).
    pub(crate) fn attach(&mut self, waiter: FilterWaiter) -> Option<FilterWaiter> {
        let op = self
            .queued
            .iter_mut()
            .chain(self.sent.values_mut())
            .find(|op| !op.unsubscribe && op.filters.contains(&waiter.0));
        match op {
            Some(op) => {
                op.waiters.push(waiter);
                None
            }
            None => Some(waiter),
        }
    }

    /// rumqttc reported `Outgoing::Subscribe(pkid)` or `Outgoing::Unsubscribe(pkid)`.
    pub(crate) fn on_outgoing(&mut self, pkid: u16) {
        match self.queued.pop_front() {
            Some(op) => {
                self.sent.insert(pkid, op);
            }
            None => tracing::warn!(pkid, "SUBSCRIBE reported that the client did not queue"),
        }
    }

    /// The SUBACK or UNSUBACK for `pkid` arrived.
    pub(crate) fn on_suback(&mut self, pkid: u16) -> Option<SubscribeOp> {
        self.sent.remove(&pkid)
    }

    /// The connection is gone: pending waiters move to the next initial SUBSCRIBE, pending
    /// UNSUBSCRIBEs to the start of the next connection.
    pub(crate) fn on_connection_lost(&mut self) {
        let ops: Vec<SubscribeOp> = self
            .queued
            .drain(..)
            .chain(self.sent.drain().map(|(_, op)| op))
            .collect();
        for op in ops {
            if op.unsubscribe {
                let mut waiters = op.waiters;
                for filter in op.filters {
                    let waiter = waiters
                        .iter()
                        .position(|(f, _)| *f == filter)
                        .map(|i| waiters.swap_remove(i).1);
                    self.carried_unsubscribes.push((filter, waiter));
                }
            } else {
                self.carried.extend(op.waiters);
            }
        }
    }

    /// Fails every waiter.
    pub(crate) fn fail_all(&mut self, error: &Error) {
        let ops: Vec<SubscribeOp> = self
            .queued
            .drain(..)
            .chain(self.sent.drain().map(|(_, op)| op))
            .collect();
        let waiters = ops
            .into_iter()
            .flat_map(|op| op.waiters)
            .chain(self.carried.drain(..))
            .map(|(_, w)| w)
            .chain(self.carried_unsubscribes.drain(..).filter_map(|(_, w)| w));
        for waiter in waiters {
            let _ = waiter.send(Err(error.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::QoS;

    fn waiter(filter: &str) -> (FilterWaiter, oneshot::Receiver<Result<()>>) {
        let (tx, rx) = oneshot::channel();
        ((filter.to_string(), tx), rx)
    }

    #[test]
    fn suback_codes_answer_each_filter() {
        let mut q = SubscribeQueue::default();
        let (w1, mut r1) = waiter("a/#");
        let (w2, mut r2) = waiter("b");
        q.push_back(SubscribeOp::subscribe(
            vec!["a/#".into(), "b".into()],
            vec![w1, w2],
        ));
        q.on_outgoing(5);
        let op = q.on_suback(5).unwrap();
        let refused = op.complete(&[
            SubscribeReasonCode::Success(QoS::AtLeastOnce),
            SubscribeReasonCode::Failure,
        ]);
        assert_eq!(refused, vec!["b".to_string()]);
        assert_eq!(r1.try_recv().unwrap(), Ok(()));
        assert_eq!(
            r2.try_recv().unwrap().unwrap_err().kind(),
            ErrorKind::Unauthorized
        );
    }

    #[test]
    fn lost_waiters_are_answered_by_the_next_initial_subscribe() {
        let mut q = SubscribeQueue::default();
        let (w, mut r) = waiter("t/+");
        q.push_back(SubscribeOp::subscribe(vec!["t/+".into()], vec![w]));
        q.on_outgoing(2);
        q.on_connection_lost();
        assert!(q.on_suback(2).is_none(), "old packet ids are forgotten");
        let start = q.start_connection(vec!["inputs/#".into(), "t/+".into()]);
        assert!(start.unsubscribe.is_empty());
        q.on_outgoing(1);
        let op = q.on_suback(1).unwrap();
        assert!(op.initial);
        op.complete(&[
            SubscribeReasonCode::Success(QoS::AtLeastOnce),
            SubscribeReasonCode::Success(QoS::AtMostOnce),
        ]);
        assert_eq!(r.try_recv().unwrap(), Ok(()));
    }

    #[test]
    fn lost_unsubscribes_follow_the_next_initial_subscribe_unless_in_use_again() {
        let mut q = SubscribeQueue::default();
        let (tx, mut gone) = oneshot::channel();
        q.push_back(SubscribeOp::unsubscribe("old/#".into(), Some(tx)));
        q.on_outgoing(3);
        q.on_connection_lost();
        let (tx, mut again) = oneshot::channel();
        q.carry_unsubscribe("back/#".into(), Some(tx));
        let start = q.start_connection(vec!["back/#".into()]);
        assert_eq!(
            start,
            ConnectionStart {
                subscribe: vec!["back/#".into()],
                unsubscribe: vec!["old/#".into()]
            }
        );
        assert_eq!(
            again.try_recv().unwrap(),
            Ok(()),
            "in use again: nothing sent"
        );
        q.on_outgoing(1); // the initial SUBSCRIBE
        q.on_outgoing(2); // the UNSUBSCRIBE
        let op = q.on_suback(2).unwrap();
        assert!(op.unsubscribe);
        op.complete_unsubscribe();
        assert_eq!(gone.try_recv().unwrap(), Ok(()));
    }

    #[test]
    fn a_second_waiter_joins_the_pending_subscribe() {
        let mut q = SubscribeQueue::default();
        let (w1, mut r1) = waiter("m");
        q.push_back(SubscribeOp::subscribe(vec!["m".into()], vec![w1]));
        let (w2, mut r2) = waiter("m");
        assert!(q.attach(w2).is_none());
        let (w3, _r3) = waiter("other");
        assert!(q.attach(w3).is_some(), "nothing pending for it");
        q.on_outgoing(9);
        q.on_suback(9)
            .unwrap()
            .complete(&[SubscribeReasonCode::Success(QoS::AtLeastOnce)]);
        assert_eq!(r1.try_recv().unwrap(), Ok(()));
        assert_eq!(r2.try_recv().unwrap(), Ok(()));
    }
}
