//! Direct methods (protocol.md §6): the dispatcher that calls into modules over MQTT, and the
//! HTTPS module-to-module API (`POST /twins/{d}/modules/{m}/methods`).

mod dispatcher;
mod request;

pub use dispatcher::{parse_response_payload, MethodDispatcher, MAX_PAYLOAD_BYTES};
pub use request::{parse_method_request, MethodRequest, MAX_METHOD_NAME_CHARS};
