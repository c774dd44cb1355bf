//! The connection's traffic with the store: telemetry of one read stored as one batch
//! (PUBACKs after the commit), store reads while catching up with queued input messages,
//! and removal of delivered ones.

use std::future::Future;
use std::pin::Pin;

use super::codec::write_puback;
use super::connection::Conn;
use super::delivery::FetchRequest;
use super::routing::{fan_out, Routed};
use crate::store::QueuedMessage;

/// The publishes of one read, stored in one transaction; their PUBACKs follow the commit.
pub struct IngestDone {
    /// PUBACKs owed, in arrival order.
    pub pkids: Vec<u16>,
    /// The messages stored.
    pub routed: Vec<Routed>,
    /// Their store sequence numbers (per message, per target).
    pub result: Result<Vec<Vec<i64>>, String>,
}

/// A batch on its way into the store.
pub type IngestFuture = Pin<Box<dyn Future<Output = IngestDone> + Send>>;
/// A store read of queued input messages.
pub type FetchFuture =
    Pin<Box<dyn Future<Output = (FetchRequest, Result<Vec<QueuedMessage>, String>)> + Send>>;

impl Conn {
    /// Sends what the delivery window allows; returns a store read to start, if any.
    pub(super) fn pump(&mut self) -> Option<FetchRequest> {
        let d = self.delivery.as_mut()?;
        let request = d.pump(&mut self.inflight, &mut self.wbuf);
        self.acks.extend(d.take_acks());
        request
    }

    pub(super) fn on_fetched(
        &mut self,
        request: &FetchRequest,
        rows: Result<Vec<QueuedMessage>, String>,
    ) {
        let Some(d) = self.delivery.as_mut() else {
            return;
        };
        match rows {
            Ok(rows) => {
                let rows = rows
                    .into_iter()
                    .map(|q| (q.seq, q.priority, q.message))
                    .collect();
                d.on_fetched(request, rows);
            }
            Err(e) => {
                tracing::warn!(client_id = %self.client_id, error = %e, "reading queued messages failed");
                d.on_fetch_failed();
            }
        }
        self.acks.extend(d.take_acks());
    }

    /// A store read that starts once every earlier ack is committed (including those just
    /// taken from the delivery: a read started before their removal returns them again).
    pub(super) fn fetch_future(&mut self, request: FetchRequest) -> FetchFuture {
        self.flush_acks();
        let acks = std::mem::take(&mut self.ack_tasks);
        let store = self.shared.store.clone();
        Box::pin(async move {
            for a in acks {
                let _ = a.await;
            }
            let endpoint = request.endpoint_id.clone();
            let limit = request.limit;
            let rows = tokio::task::spawn_blocking(move || {
                store.pending(&endpoint, i64::MIN, limit, super::now_unix())
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
            (request, rows)
        })
    }

    /// Removes delivered messages from the store (grouped per endpoint, not awaited).
    pub(super) fn flush_acks(&mut self) {
        if self.acks.is_empty() {
            return;
        }
        self.ack_tasks.retain(|t| !t.is_finished());
        let mut acks = std::mem::take(&mut self.acks);
        acks.sort_unstable();
        let mut start = 0;
        while start < acks.len() {
            let endpoint = acks[start].0.clone();
            let end = start
                + acks[start..]
                    .iter()
                    .take_while(|(e, _)| *e == endpoint)
                    .count();
            let seqs: Vec<i64> = acks[start..end].iter().map(|(_, s)| *s).collect();
            let store = self.shared.store.clone();
            self.ack_tasks.push(tokio::spawn(async move {
                if let Err(e) = store.ack_async(&endpoint, &seqs).await {
                    tracing::warn!(%endpoint, error = %e, "removing delivered messages failed");
                }
            }));
            start = end;
        }
    }

    /// Turns the current read's publishes into one store batch. With nothing to store and
    /// nothing ahead of it, the PUBACKs are written at once.
    pub(super) fn take_batch(&mut self, nothing_pending: bool) -> Option<IngestFuture> {
        // User-topic copies that must reach their subscribers before the PUBACKs.
        let forwards = self.user_forwards.take(&self.shared);
        if self.batch_routed.is_empty() && forwards.is_none() {
            if self.batch_pkids.is_empty() {
                return None;
            }
            if nothing_pending {
                for pkid in self.batch_pkids.drain(..) {
                    write_puback(&mut self.wbuf, pkid);
                }
                return None;
            }
        }
        let pkids = std::mem::take(&mut self.batch_pkids);
        let routed = std::mem::take(&mut self.batch_routed);
        let store = self.shared.store.clone();
        Some(Box::pin(async move {
            let result = if routed.is_empty() {
                Ok(Vec::new())
            } else {
                let items: Vec<(&crate::message::HubMessage, &[crate::store::Target])> = routed
                    .iter()
                    .map(|r| (r.message.as_ref(), r.targets.as_slice()))
                    .collect();
                store
                    .enqueue_many_async(&items)
                    .await
                    .map_err(|e| e.to_string())
            };
            if let Some(forwards) = forwards {
                forwards.deliver().await;
            }
            IngestDone {
                pkids,
                routed,
                result,
            }
        }))
    }

    /// A store batch finished: hand the messages on, then PUBACK.
    pub(super) fn on_ingest_done(&mut self, done: IngestDone) -> Result<(), String> {
        let seqs = match done.result {
            Ok(seqs) => seqs,
            Err(e) => {
                tracing::error!(client_id = %self.client_id, error = %e, "storing messages failed");
                for routed in &done.routed {
                    self.sender_metrics.unacknowledged(
                        &self.shared.metrics,
                        &self.client_id,
                        &routed.message,
                    );
                }
                return Err(format!("store failure: {e}"));
            }
        };
        fan_out(
            &done.routed,
            &seqs,
            &self.shared.upstream,
            &self.shared.metrics,
        );
        for pkid in done.pkids {
            write_puback(&mut self.wbuf, pkid);
        }
        Ok(())
    }
}
