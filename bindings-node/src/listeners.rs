//! Pumps from core streams (status changes, background errors, the input stream behind
//! `client.inputs(name)`) into JavaScript callbacks.
//!
//! Each listener owns one *weak* ThreadsafeFunction (it never keeps Node's event loop
//! alive) and one task on napi's tokio runtime that forwards stream items to it in
//! non-blocking mode; JavaScript code therefore always runs on the main thread, never on a
//! tokio worker. The pump ends when the stream ends (client closed), when `close()` is
//! called, or when the `NativeListener` is garbage-collected.

use std::sync::Mutex;

use futures_util::{Stream, StreamExt};
use napi::bindgen_prelude::ToNapiValue;
use napi::threadsafe_function::{
    ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};
use napi::Status;
use napi_derive::napi;
use tokio::sync::oneshot;

/// A weak, non-blocking JavaScript callback taking one `T`.
pub type Callback<T> = ThreadsafeFunction<T, UnknownReturnValue, T, Status, false, true>;

/// A running listener; `close()` stops it.
#[napi]
pub struct NativeListener {
    stop: Mutex<Option<oneshot::Sender<()>>>,
}

#[napi]
impl NativeListener {
    /// Stops delivering events (idempotent).
    #[napi(catch_unwind)]
    pub fn close(&self) {
        let sender = match self.stop.lock() {
            Ok(mut guard) => guard.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(sender) = sender {
            let _ = sender.send(());
        }
    }
}

/// Starts forwarding `stream` to `callback`, converting each item with `map`.
pub fn spawn_pump<S, T, M>(stream: S, callback: Callback<T>, map: M) -> NativeListener
where
    S: Stream + Unpin + Send + 'static,
    S::Item: Send,
    T: ToNapiValue + Send + 'static,
    M: Fn(S::Item) -> T + Send + 'static,
{
    let (stop, mut stopped) = oneshot::channel::<()>();
    napi::bindgen_prelude::spawn(async move {
        let mut stream = stream;
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                item = stream.next() => {
                    let Some(item) = item else { break };
                    let status = callback.call(map(item), ThreadsafeFunctionCallMode::NonBlocking);
                    if status != Status::Ok {
                        // Node is shutting down: nobody is left to deliver to.
                        break;
                    }
                }
            }
        }
    });
    NativeListener {
        stop: Mutex::new(Some(stop)),
    }
}
