//! Hub configuration (work in progress).
