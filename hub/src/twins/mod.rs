//! Module twins (protocol.md §5, §10): state kept in the store, GET and reported PATCH over
//! MQTT, desired-property updates pushed to modules.

mod merge;
mod publisher;
mod validate;

pub use merge::{merge_patch, with_version};
pub use publisher::{ClientPublisher, WaitFuture};
pub use validate::{validate_patch, validate_section_size};
mod service;
pub use service::{ChangeHook, TwinService};
