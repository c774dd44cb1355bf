//! JavaScript functions as the core's handlers (`ModuleClient::set_input_handler`, …).
//!
//! The core calls a handler on its runtime, one item at a time per registration. The
//! handler here calls the JavaScript function through a weak ThreadsafeFunction (so it runs
//! on Node's main thread and never keeps the process alive); what it returns completes the
//! core's future: the outcome itself when the application's function finished
//! synchronously (no Promise round trip), or a Promise of it. The JavaScript wrapper gives
//! `null` (handled) or a message (failed) — it never rejects and never decides what a
//! failure means: acknowledging, retrying, the method failure reply and the background
//! error are the core's.

use std::sync::Arc;

use edgemodule::{HandlerError, MethodResponse};
use napi::bindgen_prelude::{FromNapiValue, Promise, ToNapiValue};
use napi::threadsafe_function::ThreadsafeFunction;
use napi::{check_status, sys, Status};

use crate::events::NativeMethodAnswer;

/// A weak JavaScript function taking one `T` and returning `R` or a Promise of `R`.
pub type JsHandler<T, R> = ThreadsafeFunction<T, Returned<R>, T, Status, false, true>;

/// What a JavaScript function returned: its outcome, or a Promise of it.
///
/// Told apart with one `napi_is_promise`. napi-rs' `Either<Promise<R>, R>` instead creates,
/// for every value that is not a Promise, a rejected Promise holding an Error (stack trace
/// included) and attaches a `catch` to it: in a profile of the latency benchmark that was
/// 10 % of Node's main thread, and garbage for the next minor GC, on every message.
pub enum Returned<R: FromNapiValue + 'static> {
    /// The function returned its outcome.
    Now(R),
    /// The function returned a Promise.
    Later(Promise<R>),
}

impl<R: FromNapiValue + 'static> FromNapiValue for Returned<R> {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut is_promise = false;
        check_status!(
            unsafe { sys::napi_is_promise(env, value, &mut is_promise) },
            "cannot tell whether the handler returned a Promise"
        )?;
        if is_promise {
            unsafe { Promise::from_napi_value(env, value) }.map(Returned::Later)
        } else {
            unsafe { R::from_napi_value(env, value) }.map(Returned::Now)
        }
    }
}

/// A handler's JavaScript function, shared by the calls the core makes.
pub type Shared<T, R> = Arc<JsHandler<T, R>>;

/// Calls `handler` with `value` on Node's main thread and takes its outcome (waiting for
/// it when it is a Promise).
pub async fn call<T, R>(handler: &JsHandler<T, R>, value: T) -> Result<R, HandlerError>
where
    T: ToNapiValue + Send + 'static,
    R: FromNapiValue + Send + 'static,
{
    let returned = handler.call_async_catch(value).await.map_err(|e| {
        HandlerError::new(format!(
            "the JavaScript handler could not be called: {}",
            e.reason
        ))
    })?;
    match returned {
        Returned::Now(outcome) => Ok(outcome),
        Returned::Later(promise) => promise
            .await
            .map_err(|e| HandlerError::new(format!("the JavaScript handler failed: {}", e.reason))),
    }
}

/// What an input, desired or topic handler's Promise resolved with: `null` when handled,
/// the failure's message otherwise.
pub fn outcome(failure: Option<String>) -> Result<(), HandlerError> {
    match failure {
        None => Ok(()),
        Some(message) => Err(HandlerError::new(message)),
    }
}

/// What a method handler's Promise resolved with: the answer, or the failure's message.
pub fn method_outcome(answer: NativeMethodAnswer) -> Result<MethodResponse, HandlerError> {
    if let Some(message) = answer.error {
        return Err(HandlerError::new(message));
    }
    match answer.status {
        Some(status) => Ok(MethodResponse::new(
            status,
            answer.payload.unwrap_or(serde_json::Value::Null),
        )),
        None => Err(HandlerError::new(
            "the method handler answered without a status",
        )),
    }
}
