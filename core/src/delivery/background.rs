//! Errors that happen in the background, with no operation to return them to: a handler that
//! failed for good, a message dropped for lack of a handler, a handler slower than edgeHub's
//! acknowledgement timeout. One stream per client (`ModuleClient::background_errors`) that
//! every binding forwards to its error callback or event.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::broadcast;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

/// Most background errors buffered per stream; a stream that falls further behind skips the
/// oldest.
pub(crate) const BACKGROUND_BUFFER: usize = 256;

/// What went wrong in the background.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackgroundErrorKind {
    /// A handler failed on every attempt (or a method handler failed once): the message was
    /// acknowledged and dropped, or the method answered with the failure reply.
    HandlerFailed,
    /// Nothing handles this input or method: the message was acknowledged and dropped, or the
    /// method answered with the no-handler reply.
    NoHandler,
    /// A handler has been running longer than edgeHub waits for an acknowledgement (30 s):
    /// edgeHub will send the message again, and later messages wait. Still running.
    SlowHandler,
}

impl BackgroundErrorKind {
    /// The stable upper-case name, e.g. `HANDLER_FAILED`.
    pub fn name(self) -> &'static str {
        match self {
            BackgroundErrorKind::HandlerFailed => "HANDLER_FAILED",
            BackgroundErrorKind::NoHandler => "NO_HANDLER",
            BackgroundErrorKind::SlowHandler => "SLOW_HANDLER",
        }
    }
}

impl fmt::Display for BackgroundErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which kind of handler it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandlerFamily {
    /// An input message handler (`name` is the input).
    Input,
    /// A direct-method handler (`name` is the method).
    Method,
    /// The desired-properties handler (`name` is empty).
    Desired,
    /// A user-topic subscription handler (`name` is the topic).
    Topic,
}

impl HandlerFamily {
    /// The stable lower-case name, e.g. `input`.
    pub fn name(self) -> &'static str {
        match self {
            HandlerFamily::Input => "input",
            HandlerFamily::Method => "method",
            HandlerFamily::Desired => "desired",
            HandlerFamily::Topic => "topic",
        }
    }
}

impl fmt::Display for HandlerFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One background error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackgroundError {
    /// What went wrong.
    pub kind: BackgroundErrorKind,
    /// Which kind of handler it concerns.
    pub family: HandlerFamily,
    /// The input, method or topic name (empty for desired properties).
    pub name: String,
    /// What happened, for people (includes the handler's own error message if it had one).
    pub message: String,
}

impl fmt::Display for BackgroundError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} {:?}): {}",
            self.kind, self.family, self.name, self.message
        )
    }
}

/// Publishes a background error: logged as a warning, and sent to every open stream.
pub(crate) fn report(
    channel: Option<&broadcast::Sender<BackgroundError>>,
    kind: BackgroundErrorKind,
    family: HandlerFamily,
    name: &str,
    message: String,
) {
    tracing::warn!(
        kind = kind.name(),
        family = family.name(),
        name,
        "{message}"
    );
    let Some(channel) = channel else {
        return;
    };
    // No stream open: nobody to tell beyond the log.
    let _ = channel.send(BackgroundError {
        kind,
        family,
        name: name.to_string(),
        message,
    });
}

/// The stream of [`BackgroundError`]s (`ModuleClient::background_errors`). Every stream sees
/// every error reported after it was opened (a stream more than 256 errors behind skips the
/// oldest). Ends when the client closes.
pub struct BackgroundErrors {
    inner: BroadcastStream<BackgroundError>,
}

impl fmt::Debug for BackgroundErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackgroundErrors").finish_non_exhaustive()
    }
}

impl BackgroundErrors {
    pub(crate) fn new(rx: broadcast::Receiver<BackgroundError>) -> Self {
        BackgroundErrors {
            inner: BroadcastStream::new(rx),
        }
    }

    /// The next background error, or `None` once the client is closed.
    pub async fn next(&mut self) -> Option<BackgroundError> {
        std::future::poll_fn(|cx| self.poll_error(cx)).await
    }

    fn poll_error(&mut self, cx: &mut Context<'_>) -> Poll<Option<BackgroundError>> {
        loop {
            match std::task::ready!(Pin::new(&mut self.inner).poll_next(cx)) {
                Some(Ok(error)) => return Poll::Ready(Some(error)),
                Some(Err(BroadcastStreamRecvError::Lagged(missed))) => {
                    tracing::warn!(missed, "a background-error stream fell behind");
                }
                None => return Poll::Ready(None),
            }
        }
    }
}

impl Stream for BackgroundErrors {
    type Item = BackgroundError;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BackgroundError>> {
        self.get_mut().poll_error(cx)
    }
}
