//! The error type of the hub's embedding API and of the services behind it.

/// Errors of the hub's embedding API and of the services behind it.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The named module, method or resource does not exist (or is not connected).
    #[error("not found: {0}")]
    NotFound(String),
    /// An operation did not complete in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The request was malformed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// An I/O error (sockets, files).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Anything else, described.
    #[error("{0}")]
    Other(String),
}
