//! [`HandlerCall`]: one call of a Python handler, completed from Python with the handler's
//! result. The core waits for it (the handler API's future) and decides everything that
//! follows: acknowledgement, retries, the method reply, background errors.

use std::sync::Mutex;

use edgemodule::{HandlerError, MethodResponse};
use pyo3::prelude::*;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::errors::IntoPyResult;

/// What a handler call resolves to.
pub type Outcome<T> = Result<T, HandlerError>;

/// The failure reported when a call is released without a result (its `HandlerCall` was
/// garbage-collected unanswered, or the client closed before Python saw it).
const RELEASED: &str = "the handler call was released without a result";

enum Pending {
    /// Input, desired-properties and topic handlers: success or failure.
    Unit(oneshot::Sender<Outcome<()>>),
    /// Method handlers: the answer or a failure.
    Method(oneshot::Sender<Outcome<MethodResponse>>),
}

/// One call of a Python handler waiting for its result. Dropped without one (garbage
/// collected), the core counts it as a failure.
#[pyclass(frozen, weakref, module = "edgemodule._native")]
pub struct HandlerCall {
    pending: Mutex<Option<Pending>>,
}

impl HandlerCall {
    /// A call of an input, desired-properties or topic handler, and what the core awaits.
    pub fn unit() -> (HandlerCall, oneshot::Receiver<Outcome<()>>) {
        let (tx, rx) = oneshot::channel();
        (HandlerCall::new(Pending::Unit(tx)), rx)
    }

    /// A call of a method handler, and what the core awaits.
    pub fn method() -> (HandlerCall, oneshot::Receiver<Outcome<MethodResponse>>) {
        let (tx, rx) = oneshot::channel();
        (HandlerCall::new(Pending::Method(tx)), rx)
    }

    fn new(pending: Pending) -> HandlerCall {
        HandlerCall {
            pending: Mutex::new(Some(pending)),
        }
    }

    fn take(&self) -> Option<Pending> {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    fn put_back(&self, pending: Pending) {
        *self.pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(pending);
    }
}

/// What the core's handler future resolves to once Python completed (or released) the call.
pub async fn outcome<T>(rx: oneshot::Receiver<Outcome<T>>) -> Outcome<T> {
    rx.await
        .unwrap_or_else(|_| Err(HandlerError::new(RELEASED)))
}

#[pymethods]
impl HandlerCall {
    /// The handler succeeded. A method call also needs its answer: `status` and the JSON
    /// text `payload` (`None`: JSON null). False when the call was already completed.
    #[pyo3(signature = (status=None, payload=None))]
    fn ok(&self, py: Python<'_>, status: Option<i32>, payload: Option<&str>) -> PyResult<bool> {
        let Some(pending) = self.take() else {
            return Ok(false);
        };
        match pending {
            Pending::Unit(tx) => {
                let _ = tx.send(Ok(()));
            }
            Pending::Method(tx) => {
                let answer = status
                    .ok_or_else(|| {
                        edgemodule::Error::invalid_argument("a method call's answer needs a status")
                    })
                    .and_then(|status| {
                        let payload = match payload {
                            None => Value::Null,
                            Some(text) => serde_json::from_str(text).map_err(|e| {
                                edgemodule::Error::invalid_argument(format!(
                                    "the method response payload is not JSON: {e}"
                                ))
                            })?,
                        };
                        Ok(MethodResponse::new(status, payload))
                    });
                match answer {
                    Ok(response) => {
                        let _ = tx.send(Ok(response));
                    }
                    Err(e) => {
                        self.put_back(Pending::Method(tx));
                        return Err(e).into_py_result(py);
                    }
                }
            }
        }
        Ok(true)
    }

    /// The handler failed (`message` says how); the core retries or answers the caller with
    /// its failure reply. False when the call was already completed.
    fn fail(&self, message: &str) -> bool {
        let error = HandlerError::new(message);
        match self.take() {
            Some(Pending::Unit(tx)) => {
                let _ = tx.send(Err(error));
            }
            Some(Pending::Method(tx)) => {
                let _ = tx.send(Err(error));
            }
            None => return false,
        }
        true
    }

    /// True until the call is completed.
    fn pending(&self) -> bool {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }
}
