//! Store errors.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("store database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Creating the database directory failed.
    #[error("store I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// `storeAndForwardConfiguration.storeLimits.maxSizeBytes` would be exceeded.
    #[error("store is full: {used} bytes queued, {incoming} more would exceed the limit of {limit} bytes")]
    Full {
        /// Bytes queued now.
        used: u64,
        /// Bytes the refused request needed.
        incoming: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A stored row could not be decoded.
    #[error("store row is corrupt: {0}")]
    Corrupt(String),
    /// The writer thread is gone (the store is shutting down).
    #[error("store is closed")]
    Closed,
}
