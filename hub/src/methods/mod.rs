//! Direct methods (protocol.md §6): the dispatcher that calls into modules over MQTT, and the
//! HTTPS module-to-module API (`POST /twins/{d}/modules/{m}/methods`).

mod dispatcher;
pub(crate) mod http_util;
mod https;
mod request;

pub use dispatcher::{parse_response_payload, MethodDispatcher, MAX_PAYLOAD_BYTES};
pub use https::{serve_https, HttpsState};
pub use request::{parse_method_request, MethodRequest, MAX_METHOD_NAME_CHARS};
