//! certs (work in progress).
