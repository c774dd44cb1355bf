//! Blocking waits from Python threads: the GIL is released while waiting, and the wait is
//! cut into slices so that a pending signal (Ctrl-C) is raised within one slice.

use std::time::Duration;

use pyo3::prelude::*;

/// Longest stretch spent waiting without checking for signals.
pub const SLICE: Duration = Duration::from_millis(50);

/// Calls `poll` (which may block up to about [`SLICE`]) with the GIL released until it
/// returns true. A signal handler raising (`KeyboardInterrupt`) ends the wait with its error.
pub fn until<F>(py: Python<'_>, mut poll: F) -> PyResult<()>
where
    F: FnMut() -> bool + Send,
{
    loop {
        if py.detach(&mut poll) {
            return Ok(());
        }
        py.check_signals()?;
    }
}
