//! workload (work in progress).
