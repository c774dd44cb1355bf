//! Embedding API: start/stop a hub in-process (work in progress).
