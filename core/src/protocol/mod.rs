//! Pure protocol functions, no I/O: shared by the client and the hub (`edgemodule-hub`).
//! Every encoding here is pinned by a JSON vector in `tests/vectors/`.

pub mod connection_string;
pub mod environment;
pub mod mqtt_identity;
pub mod property_bag;
pub mod sas;
pub mod topics;

/// Largest message edgeHub accepts: body plus every property key and value (protocol.md §10).
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024;
