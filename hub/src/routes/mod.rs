//! routes (work in progress).
