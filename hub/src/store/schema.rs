//! Opening the database: pragmas and schema.
//!
//! Durability: WAL journal + `synchronous=NORMAL`. A commit appends its pages to the WAL
//! with write() before returning, so it sits in the OS page cache: committed transactions
//! survive a crash or `kill -9` of the hub process. Only an OS crash or power loss can drop
//! the last few commits (the database is never corrupted). That is the guarantee the hub
//! needs; `synchronous=FULL` would add an fsync per commit for power-loss durability.
//!
//! Checkpoints (copying the log into the database file, with an fsync of each) are not the
//! writer's job: SQLite's default runs one inside the commit whenever the log holds 1000
//! pages, which at 16 KiB messages is every ~200 messages and took half of the writer
//! thread's time. The writer connection only checkpoints once the log reaches
//! [`WRITER_CHECKPOINT_PAGES`] (a bound on its size); a background connection copies the log
//! long before that (see `hub.rs`), so the writer's own checkpoint finds little or nothing left
//! to copy. Checkpoints never affect which commits are durable.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::StoreError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, so cursors (after_seq) stay valid
    endpoint TEXT NOT NULL,
    priority INTEGER NOT NULL,
    expires_at INTEGER,                    -- unix seconds; NULL = never
    size INTEGER NOT NULL,                 -- body + property bytes, for the size limit
    source TEXT NOT NULL,
    properties TEXT NOT NULL,              -- JSON object
    system_properties TEXT NOT NULL,       -- JSON object
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_endpoint_priority_seq ON queue (endpoint, priority, seq);
CREATE INDEX IF NOT EXISTS queue_expires_at ON queue (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS twins (
    module TEXT PRIMARY KEY,
    desired TEXT NOT NULL,
    desired_version INTEGER NOT NULL,
    reported TEXT NOT NULL,
    reported_version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS subscriptions (
    client_id TEXT NOT NULL,
    topic_filter TEXT NOT NULL,
    qos INTEGER NOT NULL,
    PRIMARY KEY (client_id, topic_filter)
);
";

/// Log pages after which the writer checkpoints inside a commit (SQLite's default is 1000).
pub const WRITER_CHECKPOINT_PAGES: u32 = 16_384;

/// Opens one connection with the hub's pragmas; `create` also creates the schema.
pub(crate) fn open(path: &Path, create: bool) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Io(std::io::Error::other(format!(
            "{}: could not enable the WAL journal (got '{mode}')",
            path.display()
        ))));
    }
    conn.execute_batch(
        "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16000;",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    if create {
        conn.execute_batch(SCHEMA)?;
    }
    Ok(conn)
}
