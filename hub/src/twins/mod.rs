//! twins (work in progress).
