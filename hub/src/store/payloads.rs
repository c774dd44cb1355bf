//! Message bodies kept in append-only segment files beside the database
//! (`hub.db-payloads/0000000001.seg`, …) instead of inside SQLite.
//!
//! Why: a body stored in SQLite is written twice, into the write-ahead log by the commit and
//! into the database file by the checkpoint (with an fsync of each). With 16 KiB messages
//! that double write limited the whole hub (docs/hub.md, "Where the writer waits"). Here a
//! body is written once; its queue row holds only where it is (segment, offset, length) and
//! its CRC-32. Small bodies ([`INLINE_BELOW`]) stay in the row.
//!
//! Durability is the database's: the writer thread writes the body before the transaction
//! holding its row commits, so a committed row's body is in the OS page cache and survives
//! `kill -9` of the hub. The background checkpointer syncs the segments before each
//! checkpoint, so what SQLite makes durable on disk finds its bodies there too. After an OS
//! crash or power loss, a body that had not reached the disk fails its checksum: that
//! message is dropped with a warning instead of delivered damaged.
//!
//! Space: a segment is deleted once no row refers to it and it is no longer written to. A
//! message that stays queued keeps its whole segment (at most [`SEGMENT_BYTES`]) on disk.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use super::StoreError;

/// Bodies shorter than this stay in their queue row: for them the second write costs less
/// than the separate write() call and checksum (256 B messages measured ~8 % slower with
/// every body in a segment).
pub(crate) const INLINE_BELOW: usize = 2048;

/// A new segment is started once the current one would grow past this.
pub(crate) const SEGMENT_BYTES: u64 = 16 * 1024 * 1024;

const SEGMENT_SUFFIX: &str = ".seg";

/// Where a body is: the queue row's `payload_*` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PayloadRef {
    pub segment: u32,
    pub offset: u64,
    pub len: u32,
    pub crc: u32,
}

/// The directory of `database`'s segments: `{database}-payloads`, like SQLite's `-wal`.
pub(crate) fn directory_of(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-payloads");
    PathBuf::from(name)
}

/// CRC-32 of a body (computed by the caller's thread, not the writer's).
pub(crate) fn checksum(body: &[u8]) -> u32 {
    crc32fast::hash(body)
}

/// The open segments, shared by the writer (which adds and deletes them) and the readers.
#[derive(Debug)]
pub(crate) struct Segments {
    dir: PathBuf,
    open: RwLock<HashMap<u32, Arc<File>>>,
}

impl Segments {
    fn get(&self, segment: u32) -> Option<Arc<File>> {
        self.open
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&segment)
            .cloned()
    }

    fn insert(&self, segment: u32, file: Arc<File>) {
        self.open
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(segment, file);
    }

    fn remove(&self, segment: u32) {
        self.open
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&segment);
    }

    fn path(&self, segment: u32) -> PathBuf {
        self.dir.join(format!("{segment:010}{SEGMENT_SUFFIX}"))
    }

    /// The body `at` points to. `Ok(None)`: its segment was deleted, i.e. the row was
    /// deleted after the reader's snapshot was taken. A short or damaged body is `Corrupt`.
    pub(crate) fn read(&self, at: &PayloadRef) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(file) = self.get(at.segment) else {
            return Ok(None);
        };
        let mut body = vec![0u8; at.len as usize];
        file.read_exact_at(&mut body, at.offset).map_err(|e| {
            StoreError::Corrupt(format!(
                "body of {} bytes at {} in segment {}: {e}",
                at.len, at.offset, at.segment
            ))
        })?;
        if checksum(&body) != at.crc {
            return Err(StoreError::Corrupt(format!(
                "body of {} bytes at {} in segment {}: checksum mismatch",
                at.len, at.offset, at.segment
            )));
        }
        Ok(Some(body))
    }

    /// Flushes every segment to the disk (before a checkpoint).
    pub(crate) fn sync(&self) -> io::Result<()> {
        let files: Vec<Arc<File>> = self
            .open
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        files.iter().try_for_each(|f| f.sync_data())
    }
}

/// The writer thread's side: appends bodies and counts the rows that refer to each segment.
#[derive(Debug)]
pub(crate) struct PayloadLog {
    segments: Arc<Segments>,
    /// Segment being appended to, and its length.
    current: Option<(u32, Arc<File>, u64)>,
    next_segment: u32,
    /// Committed rows per segment.
    live: HashMap<u32, u64>,
    /// Row count changes of the transaction in progress, applied by [`commit`](Self::commit).
    changes: Vec<(u32, i64)>,
}

impl PayloadLog {
    /// Opens the segments of `dir`; `live` is the number of rows per segment. Segments no
    /// row refers to (left by a crash between a write and its commit) are deleted.
    pub(crate) fn open(dir: PathBuf, live: HashMap<u32, u64>) -> Result<PayloadLog, StoreError> {
        let segments = Arc::new(Segments {
            dir,
            open: RwLock::new(HashMap::new()),
        });
        let mut highest = live.keys().copied().max().unwrap_or(0);
        for segment in existing_segments(&segments.dir)? {
            highest = highest.max(segment);
            let path = segments.path(segment);
            if live.contains_key(&segment) {
                let file = OpenOptions::new().read(true).write(true).open(&path)?;
                segments.insert(segment, Arc::new(file));
            } else if let Err(e) = std::fs::remove_file(&path) {
                tracing::warn!(path = %path.display(), error = %e, "could not delete an unused payload segment");
            }
        }
        for segment in live.keys() {
            if segments.get(*segment).is_none() {
                tracing::warn!(
                    segment,
                    "payload segment missing: its queued messages will be dropped"
                );
            }
        }
        Ok(PayloadLog {
            segments,
            current: None,
            next_segment: highest.saturating_add(1),
            live,
            changes: Vec::new(),
        })
    }

    /// The readers' handle.
    pub(crate) fn segments(&self) -> Arc<Segments> {
        self.segments.clone()
    }

    /// Appends `body` (whose CRC-32 is `crc`) for `rows` queue rows. The bytes are written
    /// at once; the rows count only once [`commit`](Self::commit) is called.
    pub(crate) fn append(
        &mut self,
        body: &[u8],
        crc: u32,
        rows: usize,
    ) -> Result<PayloadRef, StoreError> {
        let len = u32::try_from(body.len())
            .map_err(|_| StoreError::Corrupt(format!("a body of {} bytes", body.len())))?;
        let full = match &self.current {
            Some((_, _, end)) => *end > 0 && end + u64::from(len) > SEGMENT_BYTES,
            None => true,
        };
        if full {
            self.start_segment()?;
        }
        let Some((segment, file, end)) = self.current.as_mut() else {
            return Err(StoreError::Closed);
        };
        let offset = *end;
        file.write_all_at(body, offset)?;
        *end += u64::from(len);
        self.changes.push((*segment, rows as i64));
        Ok(PayloadRef {
            segment: *segment,
            offset,
            len,
            crc,
        })
    }

    /// A row referring to `segment` was deleted (counts once committed).
    pub(crate) fn release(&mut self, segment: u32) {
        self.changes.push((segment, -1));
    }

    /// How many changes are pending: a mark for [`rollback_to`](Self::rollback_to).
    pub(crate) fn mark(&self) -> usize {
        self.changes.len()
    }

    /// Forgets the changes made after `mark` (their transaction rolled back). Bytes already
    /// appended stay in the segment, unreferenced.
    pub(crate) fn rollback_to(&mut self, mark: usize) {
        self.changes.truncate(mark);
    }

    /// The transaction committed: applies its changes and deletes the segments no row
    /// refers to any more.
    pub(crate) fn commit(&mut self) {
        if self.changes.is_empty() {
            return;
        }
        for (segment, change) in self.changes.drain(..) {
            let count = self.live.entry(segment).or_insert(0);
            *count = count.saturating_add_signed(change);
        }
        let current = self.current.as_ref().map(|(s, _, _)| *s);
        let unused: Vec<u32> = self
            .live
            .iter()
            .filter(|(segment, rows)| **rows == 0 && Some(**segment) != current)
            .map(|(segment, _)| *segment)
            .collect();
        for segment in unused {
            self.live.remove(&segment);
            self.segments.remove(segment);
            let path = self.segments.path(segment);
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), error = %e, "could not delete a payload segment");
                }
            }
        }
    }

    fn start_segment(&mut self) -> Result<(), StoreError> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.segments.dir)?;
        let segment = self.next_segment;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(self.segments.path(segment))?;
        let file = Arc::new(file);
        self.segments.insert(segment, file.clone());
        self.live.entry(segment).or_insert(0);
        self.next_segment = segment.saturating_add(1);
        // The previous segment is deleted by the next commit if nothing refers to it.
        self.current = Some((segment, file, 0));
        Ok(())
    }
}

/// Segment numbers found in `dir` (none if it does not exist).
fn existing_segments(dir: &Path) -> Result<Vec<u32>, StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut found = Vec::new();
    for entry in entries {
        let name = entry?.file_name();
        let number = name
            .to_str()
            .and_then(|n| n.strip_suffix(SEGMENT_SUFFIX))
            .and_then(|n| n.parse::<u32>().ok());
        if let Some(number) = number {
            found.push(number);
        }
    }
    Ok(found)
}
