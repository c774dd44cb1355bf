//! Bookkeeping of SUBSCRIBE packets: which request got which packet id, and who waits for
//! its SUBACK. Every connection starts with one SUBSCRIBE of every filter (the "initial"
//! one); its SUBACK makes the connection ready.

use std::collections::{HashMap, VecDeque};

use rumqttc::SubscribeReasonCode;
use tokio::sync::oneshot;

use crate::error::{Error, ErrorKind, Result};

/// A waiter for the hub's answer about one filter.
pub(crate) type FilterWaiter = (String, oneshot::Sender<Result<()>>);

/// One SUBSCRIBE request.
#[derive(Debug)]
pub(crate) struct SubscribeOp {
    /// The filters, in packet order.
    pub filters: Vec<String>,
    /// Who waits for which filter.
    pub waiters: Vec<FilterWaiter>,
    /// The connection's first SUBSCRIBE (its SUBACK means "ready").
    pub initial: bool,
}

impl SubscribeOp {
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

    /// A new connection's initial SUBSCRIBE, handed to rumqttc ahead of everything queued.
    pub(crate) fn push_initial(&mut self, filters: Vec<String>) {
        let waiters = std::mem::take(&mut self.carried);
        self.queued.push_front(SubscribeOp {
            filters,
            waiters,
            initial: true,
        });
    }

    /// rumqttc reported `Outgoing::Subscribe(pkid)`.
    pub(crate) fn on_outgoing(&mut self, pkid: u16) {
        match self.queued.pop_front() {
            Some(op) => {
                self.sent.insert(pkid, op);
            }
            None => tracing::warn!(pkid, "SUBSCRIBE reported that the client did not queue"),
        }
    }

    /// The SUBACK for `pkid` arrived.
    pub(crate) fn on_suback(&mut self, pkid: u16) -> Option<SubscribeOp> {
        self.sent.remove(&pkid)
    }

    /// The connection is gone: pending waiters move to the next initial SUBSCRIBE.
    pub(crate) fn on_connection_lost(&mut self) {
        let ops = self
            .queued
            .drain(..)
            .chain(self.sent.drain().map(|(_, op)| op));
        for op in ops {
            self.carried.extend(op.waiters);
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
            .chain(self.carried.drain(..));
        for (_, waiter) in waiters {
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
        q.push_back(SubscribeOp {
            filters: vec!["a/#".into(), "b".into()],
            waiters: vec![w1, w2],
            initial: false,
        });
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
        q.push_back(SubscribeOp {
            filters: vec!["t/+".into()],
            waiters: vec![w],
            initial: false,
        });
        q.on_outgoing(2);
        q.on_connection_lost();
        assert!(q.on_suback(2).is_none(), "old packet ids are forgotten");
        q.push_initial(vec!["inputs/#".into(), "t/+".into()]);
        q.on_outgoing(1);
        let op = q.on_suback(1).unwrap();
        assert!(op.initial);
        op.complete(&[
            SubscribeReasonCode::Success(QoS::AtLeastOnce),
            SubscribeReasonCode::Success(QoS::AtMostOnce),
        ]);
        assert_eq!(r.try_recv().unwrap(), Ok(()));
    }
}
