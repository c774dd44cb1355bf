//! mqtt (work in progress).
