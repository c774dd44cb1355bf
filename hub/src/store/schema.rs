//! Opening the database: pragmas and schema.
//!
//! Durability: WAL journal + `synchronous=NORMAL`. A commit appends its pages to the WAL
//! with write() before returning, so it sits in the OS page cache: committed transactions
//! survive a crash or `kill -9` of the hub process. Only an OS crash or power loss can drop
//! the last few commits (the database is never corrupted). That is the guarantee the hub
//! needs; `synchronous=FULL` would add an fsync per commit for power-loss durability.
//! Bodies of 2 KiB and more are not in the database but in segment files beside it, written
//! before the commit of their row, with the same guarantee (`payloads.rs`).
//!
//! Checkpoints (copying the log into the database file, with an fsync of each) are not the
//! writer's job: SQLite's default runs one inside the commit whenever the log holds 1000
//! pages, which at 16 KiB messages is every ~200 messages and took half of the writer
//! thread's time. The writer connection only checkpoints once the log reaches
//! [`StoreTuning::writer_checkpoint_pages`] (a bound on its size); a background connection
//! copies the log long before that (see `hub.rs`), so the writer's own checkpoint finds little
//! or nothing left to copy. Checkpoints never affect which commits are durable.
//!
//! Pages of 16 KiB instead of SQLite's 4 KiB: the log is written one page at a time (two
//! write() calls per page, header and page), so a 16 KiB message took five pages and ten
//! calls; with 16 KiB pages it takes two. Measured on the hub's 16 KiB benchmark case: the
//! writer thread's CPU per message fell by a quarter, the checkpointer's by 40 %, and the
//! 256 B throughput and routed latency did not change.

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
    body BLOB NOT NULL,                    -- empty when the body is in a segment file:
    payload_segment INTEGER,               -- where (payloads.rs); NULL = in `body`
    payload_offset INTEGER,
    payload_len INTEGER,
    payload_crc INTEGER
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

/// Columns `queue` gained after the first release: added to databases created before.
const ADDED_QUEUE_COLUMNS: [&str; 4] = [
    "payload_segment INTEGER",
    "payload_offset INTEGER",
    "payload_len INTEGER",
    "payload_crc INTEGER",
];

/// How a new database file is laid out and when the writer checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreTuning {
    /// Page size of a new database; an existing file keeps the one it was created with.
    pub page_size: u32,
    /// Log pages after which the writer checkpoints inside a commit.
    pub writer_checkpoint_pages: u32,
    /// Message bodies go to segment files beside the database (`payloads.rs`), written
    /// once, instead of into SQLite (written to the log, then again by the checkpoint).
    pub payload_file: bool,
}

impl StoreTuning {
    /// The hub's: bodies in segment files, 16 KiB pages, and the writer checkpoints only
    /// once the log holds 64 MiB (a background thread is expected to copy it long before).
    pub const HUB: StoreTuning = StoreTuning {
        page_size: 16 * 1024,
        writer_checkpoint_pages: 4096,
        payload_file: true,
    };
    /// SQLite's defaults (4 KiB pages, the writer checkpoints every 1000 pages) with the
    /// bodies inside SQLite: the store before the hub's own tuning, kept as the benchmark's
    /// reference.
    pub const SQLITE_DEFAULTS: StoreTuning = StoreTuning {
        page_size: 4096,
        writer_checkpoint_pages: 1000,
        payload_file: false,
    };

    /// The log's size, in bytes, at which the writer checkpoints.
    pub fn writer_checkpoint_bytes(self) -> u64 {
        u64::from(self.page_size) * u64::from(self.writer_checkpoint_pages)
    }
}

/// Opens one connection with the hub's pragmas; `create` (with the page size of a new file)
/// also creates the schema.
pub(crate) fn open(path: &Path, create: Option<u32>) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    if let Some(page_size) = create {
        // Only a new file takes it, and only before the journal becomes WAL.
        conn.pragma_update(None, "page_size", page_size)?;
    }
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
    if create.is_some() {
        conn.execute_batch(SCHEMA)?;
        add_missing_columns(&conn)?;
    }
    Ok(conn)
}

/// Brings a database created by an earlier release up to [`SCHEMA`]; its rows keep their
/// bodies inline (the new columns are NULL) and stay readable.
fn add_missing_columns(conn: &Connection) -> Result<(), StoreError> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('queue')")?;
    let existing = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for column in ADDED_QUEUE_COLUMNS {
        let name = column.split(' ').next().unwrap_or(column);
        if !existing.iter().any(|c| c == name) {
            conn.execute_batch(&format!("ALTER TABLE queue ADD COLUMN {column}"))?;
        }
    }
    Ok(())
}
