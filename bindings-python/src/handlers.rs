//! The handlers this binding registers with the core's handler API
//! (`ModuleClient::set_input_handler` and friends). Each one turns a call into an [`Event`]
//! carrying a [`HandlerCall`] and returns the future the core awaits; the Python handler
//! completes it. Order, concurrency, acknowledgement, retries and the method failure reply
//! are the core's (docs/delivery.md): nothing here decides them.

use std::sync::Arc;

use edgemodule::delivery::HandlerFuture;
use edgemodule::{
    DesiredPatch, HandlerError, InputMessage, MethodRequest, MethodResponse, UserMessage,
};
use tokio::sync::oneshot;

use crate::calls::{self, HandlerCall, Outcome};
use crate::events::{Event, EventSink};

/// One registration as the core holds it: when the core lets go of it (replaced, cleared,
/// closed) the delivery thread learns that no event of it follows.
struct Registration {
    sink: Arc<EventSink>,
    reg: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.sink.send(Event::Released(self.reg));
    }
}

/// A handler for the core: every item becomes an event made by `wrap`; the future resolves
/// with what Python completes the call with.
fn handler<I, T>(
    sink: Arc<EventSink>,
    reg: u64,
    new_call: fn() -> (HandlerCall, oneshot::Receiver<Outcome<T>>),
    wrap: fn(u64, I, HandlerCall) -> Event,
) -> impl Fn(I) -> HandlerFuture<T> + Send + Sync + 'static
where
    I: Send + 'static,
    T: Send + 'static,
{
    let registration = Registration { sink, reg };
    move |item: I| {
        let (call, rx) = new_call();
        let queued = registration.sink.send(wrap(registration.reg, item, call));
        let future: HandlerFuture<T> = Box::pin(async move {
            if !queued {
                return Err(HandlerError::new("the client is closing"));
            }
            calls::outcome(rx).await
        });
        future
    }
}

/// An input handler for registration `reg`.
pub fn input(
    sink: Arc<EventSink>,
    reg: u64,
) -> impl Fn(InputMessage) -> HandlerFuture<()> + Send + Sync + 'static {
    handler(sink, reg, HandlerCall::unit, Event::Input)
}

/// A method handler for registration `reg`.
pub fn method(
    sink: Arc<EventSink>,
    reg: u64,
) -> impl Fn(MethodRequest) -> HandlerFuture<MethodResponse> + Send + Sync + 'static {
    handler(sink, reg, HandlerCall::method, Event::Method)
}

/// A desired-properties handler for registration `reg`.
pub fn desired(
    sink: Arc<EventSink>,
    reg: u64,
) -> impl Fn(DesiredPatch) -> HandlerFuture<()> + Send + Sync + 'static {
    handler(sink, reg, HandlerCall::unit, Event::Desired)
}

/// A user-topic handler for registration `reg`.
pub fn topic(
    sink: Arc<EventSink>,
    reg: u64,
) -> impl Fn(UserMessage) -> HandlerFuture<()> + Send + Sync + 'static {
    handler(sink, reg, HandlerCall::unit, Event::Topic)
}
