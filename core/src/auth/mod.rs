//! Authentication: SAS tokens signed with a local key or by the IoT Edge workload API, and
//! the TLS trust bundle.

pub(crate) mod signer;
pub(crate) mod tls;
pub(crate) mod workload;

pub(crate) use signer::{Signer, TokenSource};
pub(crate) use workload::WorkloadClient;
