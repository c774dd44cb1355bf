//! Registering a forwarder with the core's handler API from a C call.

use edgemodule_core::{Result, Subscribed};
use edgemodule_ffi::runtime;
use futures_util::FutureExt;

/// The core's immediate answer to a registration: a refusal (a bad name, a closed client) is
/// the registration's error. A subscription still on its way is not waited for —
/// `edgemodule_client_connect` returns once it is confirmed.
pub(crate) fn accepted(subscribed: Subscribed) -> Result<()> {
    let handle = runtime::handle()?;
    // Polling may start the confirmation's timer, which needs the runtime's context.
    let _context = handle.enter();
    match subscribed.now_or_never() {
        Some(Err(e)) => Err(e),
        Some(Ok(())) | None => Ok(()),
    }
}
