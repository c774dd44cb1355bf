//! methods (work in progress).
