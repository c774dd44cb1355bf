//! Module twins (protocol.md §5, §10): state kept in the store, GET and reported PATCH over
//! MQTT, desired-property updates pushed to modules.

mod merge;
mod publisher;
mod service;
mod validate;

pub use merge::{merge_patch, with_version};
pub use publisher::{ClientPublisher, WaitFuture};
pub use service::{ChangeHook, TwinService};
pub use validate::{
    validate_patch, validate_section_size, MAX_DEPTH, MAX_INTEGER, MAX_KEY_BYTES,
    MAX_SECTION_BYTES, MAX_STRING_BYTES, MIN_INTEGER,
};
