//! A connection's outbound queue: publishes handed to it by other tasks (user-topic
//! messages of the 1.2 broker, method requests, desired-property patches). It is bounded in
//! messages *and* in bytes, so a subscriber that does not read holds at most
//! [`OUTBOUND_QUEUE_BYTES`] of the hub's memory, and the connection task takes at most
//! [`BURST_BYTES`] from it per write.

use std::sync::Arc;

use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::sessions::Outbound;

/// Messages a connection's outbound queue holds at most.
pub const OUTBOUND_QUEUE: usize = 1000;
/// Bytes (payload plus topic) a connection's outbound queue holds at most.
pub const OUTBOUND_QUEUE_BYTES: usize = 8 * 1024 * 1024;
/// Bytes taken from the queue in one go before the connection writes them out.
pub const BURST_BYTES: usize = 1024 * 1024;

/// A queued message and its share of the byte budget (released when it leaves the queue).
struct Queued {
    out: Outbound,
    _bytes: OwnedSemaphorePermit,
}

/// The sending side, held by the session handle.
#[derive(Clone)]
pub struct OutboundSender {
    tx: mpsc::Sender<Queued>,
    bytes: Arc<Semaphore>,
}

/// The receiving side, owned by the connection task.
pub struct OutboundReceiver {
    rx: mpsc::Receiver<Queued>,
    /// Bytes taken since the last blocking `recv`.
    burst: usize,
}

/// Why `try_recv` returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing queued, or this burst's bytes are used up (write, then `recv` again).
    Empty,
    /// Every sender is gone.
    Disconnected,
}

/// A new queue.
pub fn outbound_channel() -> (OutboundSender, OutboundReceiver) {
    let (tx, rx) = mpsc::channel(OUTBOUND_QUEUE);
    (
        OutboundSender {
            tx,
            bytes: Arc::new(Semaphore::new(OUTBOUND_QUEUE_BYTES)),
        },
        OutboundReceiver { rx, burst: 0 },
    )
}

/// The bytes a message counts for (capped, so that one message always fits an empty queue).
fn cost(out: &Outbound) -> u32 {
    let bytes = (out.payload.len() + out.topic.len()).clamp(1, OUTBOUND_QUEUE_BYTES);
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

impl OutboundSender {
    /// Queues `out` if both budgets allow it now; gives it back otherwise (queue full or
    /// connection gone).
    pub fn try_send(&self, out: Outbound) -> Result<(), Outbound> {
        let Ok(permit) = self.bytes.clone().try_acquire_many_owned(cost(&out)) else {
            return Err(out);
        };
        self.tx
            .try_send(Queued {
                out,
                _bytes: permit,
            })
            .map_err(|e| e.into_inner().out)
    }

    /// Queues `out`, waiting for room. Fails (giving it back) only when the connection is
    /// gone.
    pub async fn send(&self, out: Outbound) -> Result<(), Outbound> {
        let Ok(permit) = self.bytes.clone().acquire_many_owned(cost(&out)).await else {
            return Err(out);
        };
        let Ok(slot) = self.tx.reserve().await else {
            return Err(out);
        };
        slot.send(Queued {
            out,
            _bytes: permit,
        });
        Ok(())
    }

    /// True when the connection task stopped receiving.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl OutboundReceiver {
    /// The next message; starts a new burst.
    pub async fn recv(&mut self) -> Option<Outbound> {
        let queued = self.rx.recv().await?;
        self.burst = queued.out.payload.len() + queued.out.topic.len();
        Some(queued.out)
    }

    /// Another message of the current burst, if one is queued and the burst has bytes left.
    pub fn try_recv(&mut self) -> Result<Outbound, TryRecvError> {
        if self.burst >= BURST_BYTES {
            return Err(TryRecvError::Empty);
        }
        match self.rx.try_recv() {
            Ok(queued) => {
                self.burst += queued.out.payload.len() + queued.out.topic.len();
                Ok(queued.out)
            }
            Err(mpsc::error::TryRecvError::Empty) => Err(TryRecvError::Empty),
            Err(mpsc::error::TryRecvError::Disconnected) => Err(TryRecvError::Disconnected),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use rumqttc::QoS;

    fn message(size: usize) -> Outbound {
        Outbound {
            topic: "t".into(),
            payload: Bytes::from(vec![0u8; size]),
            qos: QoS::AtLeastOnce,
        }
    }

    #[tokio::test]
    async fn bounded_in_bytes_and_released_when_taken() {
        let (tx, mut rx) = outbound_channel();
        let big = 256 * 1024;
        let fits = OUTBOUND_QUEUE_BYTES / (big + 1);
        for _ in 0..fits {
            assert!(tx.try_send(message(big)).is_ok());
        }
        assert!(tx.try_send(message(big)).is_err(), "byte budget exceeded");
        // A waiting sender gets in once a message leaves the queue.
        let waiting = {
            let tx = tx.clone();
            tokio::spawn(async move { tx.send(message(big)).await.is_ok() })
        };
        assert!(rx.recv().await.is_some());
        assert!(waiting.await.unwrap());
        // A burst stops after BURST_BYTES even though more is queued.
        let mut taken = big;
        while rx.try_recv().is_ok() {
            taken += big;
        }
        assert!(taken >= BURST_BYTES && taken < BURST_BYTES + big, "{taken}");
        assert!(rx.recv().await.is_some(), "the next burst starts with recv");
    }

    #[tokio::test]
    async fn bounded_in_count() {
        let (tx, _rx) = outbound_channel();
        for _ in 0..OUTBOUND_QUEUE {
            assert!(tx.try_send(message(1)).is_ok());
        }
        assert!(tx.try_send(message(1)).is_err());
    }

    #[tokio::test]
    async fn send_fails_once_the_connection_is_gone() {
        let (tx, rx) = outbound_channel();
        drop(rx);
        assert!(tx.is_closed());
        assert!(tx.send(message(1)).await.is_err());
        assert!(tx.try_send(message(1)).is_err());
    }
}
