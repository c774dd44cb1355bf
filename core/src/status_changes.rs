//! [`StatusChanges`]: the connection status as a stream of changes, the one way every
//! binding feeds its status callback.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::watch;

use crate::status::{ConnectionState, ConnectionStatus};

type Changed = Pin<
    Box<dyn Future<Output = Option<(ConnectionStatus, watch::Receiver<ConnectionStatus>)>> + Send>,
>;

/// Every status change after the stream was created (not the status at that moment),
/// ending after the change to `Closed` or when the client is gone. Consecutive
/// identical statuses are never reported (the core does not publish them).
pub struct StatusChanges {
    rx: Option<watch::Receiver<ConnectionStatus>>,
    pending: Option<Changed>,
    finished: bool,
}

impl std::fmt::Debug for StatusChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusChanges")
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

async fn next_change(
    mut rx: watch::Receiver<ConnectionStatus>,
) -> Option<(ConnectionStatus, watch::Receiver<ConnectionStatus>)> {
    rx.changed().await.ok()?;
    let status = *rx.borrow_and_update();
    Some((status, rx))
}

impl StatusChanges {
    /// Follows `rx` from its current value on.
    pub fn new(mut rx: watch::Receiver<ConnectionStatus>) -> Self {
        rx.borrow_and_update();
        StatusChanges {
            rx: Some(rx),
            pending: None,
            finished: false,
        }
    }

    /// The next change, or `None` once the stream has ended.
    pub async fn next(&mut self) -> Option<ConnectionStatus> {
        std::future::poll_fn(|cx| self.poll_change(cx)).await
    }

    fn poll_change(&mut self, cx: &mut Context<'_>) -> Poll<Option<ConnectionStatus>> {
        if self.finished {
            return Poll::Ready(None);
        }
        if self.pending.is_none() {
            let Some(rx) = self.rx.take() else {
                self.finished = true;
                return Poll::Ready(None);
            };
            self.pending = Some(Box::pin(next_change(rx)));
        }
        let Some(pending) = self.pending.as_mut() else {
            return Poll::Ready(None);
        };
        let outcome = std::task::ready!(pending.as_mut().poll(cx));
        self.pending = None;
        match outcome {
            Some((status, rx)) => {
                if status.state == ConnectionState::Closed {
                    self.finished = true;
                } else {
                    self.rx = Some(rx);
                }
                Poll::Ready(Some(status))
            }
            None => {
                self.finished = true;
                Poll::Ready(None)
            }
        }
    }
}

impl futures_util::Stream for StatusChanges {
    type Item = ConnectionStatus;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ConnectionStatus>> {
        self.get_mut().poll_change(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::StatusReason;

    #[tokio::test]
    async fn reports_changes_from_now_and_ends_after_closed() {
        let (tx, rx) = watch::channel(ConnectionStatus::initial());
        let mut changes = StatusChanges::new(rx);
        let connected = ConnectionStatus::new(ConnectionState::Connected, StatusReason::Ok);
        tx.send_replace(connected);
        assert_eq!(changes.next().await, Some(connected));
        let closed = ConnectionStatus::new(ConnectionState::Closed, StatusReason::ClientClose);
        tx.send_replace(closed);
        assert_eq!(changes.next().await, Some(closed));
        assert_eq!(changes.next().await, None);
        tx.send_replace(connected);
        assert_eq!(changes.next().await, None, "nothing after Closed");
    }

    #[tokio::test]
    async fn ends_when_the_client_is_gone() {
        let (tx, rx) = watch::channel(ConnectionStatus::initial());
        let mut changes = StatusChanges::new(rx);
        drop(tx);
        assert_eq!(changes.next().await, None);
    }
}
