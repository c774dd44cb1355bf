//! authz (work in progress).
