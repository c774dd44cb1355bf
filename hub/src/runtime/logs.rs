//! Module output: stdout and stderr of each module, interleaved as they arrive, appended
//! to `{state}/logs/{module}.log`. At 10 MiB the file becomes `{module}.log.1` (replacing
//! the previous one) and a new file starts, so a chatty module costs at most 20 MiB.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Size at which a log file is rotated.
pub const ROTATE_BYTES: u64 = 10 * 1024 * 1024;

/// An append-only, rotating log file shared by a module's output readers.
#[derive(Clone)]
pub struct ModuleLog {
    inner: Arc<Mutex<Inner>>,
    path: PathBuf,
}

struct Inner {
    file: Option<File>,
    written: u64,
}

impl ModuleLog {
    /// Opens (creating) `path` for appending.
    pub fn open(path: PathBuf) -> io::Result<ModuleLog> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let written = file.metadata()?.len();
        Ok(ModuleLog {
            inner: Arc::new(Mutex::new(Inner {
                file: Some(file),
                written,
            })),
            path,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `bytes`, rotating first when the file is full. Errors are logged once per
    /// failure and the output dropped: a full disk must not stop the module.
    pub fn append(&self, bytes: &[u8]) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if inner.written >= ROTATE_BYTES {
            inner.file = None;
            let rotated = rotated_path(&self.path);
            let reopened = std::fs::rename(&self.path, &rotated).and_then(|()| {
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)
            });
            match reopened {
                Ok(file) => {
                    inner.file = Some(file);
                    inner.written = 0;
                }
                Err(e) => {
                    tracing::warn!(log = %self.path.display(), error = %e, "rotating a module log failed");
                    return;
                }
            }
        }
        if let Some(file) = inner.file.as_mut() {
            match file.write_all(bytes) {
                Ok(()) => inner.written += bytes.len() as u64,
                Err(e) => {
                    tracing::warn!(log = %self.path.display(), error = %e, "writing a module log failed")
                }
            }
        }
    }
}

/// `{module}.log.1`.
pub fn rotated_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".1");
    PathBuf::from(name)
}

/// The last `lines` lines of the log (all when `None`), across the rotated and the current
/// file, and the current file's length (where a follower continues).
pub fn tail(path: &Path, lines: Option<usize>) -> io::Result<(Vec<u8>, u64)> {
    let mut text = Vec::new();
    if let Ok(mut old) = File::open(rotated_path(path)) {
        old.read_to_end(&mut text)?;
    }
    let mut current = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((text, 0)),
        Err(e) => return Err(e),
    };
    current.read_to_end(&mut text)?;
    let end = current.stream_position()?;
    if let Some(lines) = lines {
        text = last_lines(&text, lines).to_vec();
    }
    Ok((text, end))
}

/// Reads what was appended to `path` after `offset`; a file shorter than `offset` was
/// rotated, and is read from its start.
pub fn read_from(path: &Path, offset: u64) -> io::Result<(Vec<u8>, u64)> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let start = if len < offset { 0 } else { offset };
    file.seek(SeekFrom::Start(start))?;
    let mut new = Vec::new();
    file.read_to_end(&mut new)?;
    let end = start + new.len() as u64;
    Ok((new, end))
}

/// The suffix of `text` holding its last `n` lines (a final line without newline counts).
fn last_lines(text: &[u8], n: usize) -> &[u8] {
    if n == 0 {
        return &[];
    }
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    let mut seen = 0;
    for (i, byte) in body.iter().enumerate().rev() {
        if *byte == b'\n' {
            seen += 1;
            if seen == n {
                return &text[i + 1..];
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_counts_from_the_end() {
        assert_eq!(last_lines(b"a\nb\nc\n", 2), b"b\nc\n");
        assert_eq!(last_lines(b"a\nb\nc", 2), b"b\nc");
        assert_eq!(last_lines(b"a\nb\n", 5), b"a\nb\n");
        assert_eq!(last_lines(b"a\n", 0), b"");
    }

    #[test]
    fn appends_rotates_and_tails_across_the_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/m.log");
        let log = ModuleLog::open(path.clone()).unwrap();
        log.append(b"one\ntwo\n");
        let (text, end) = tail(&path, Some(1)).unwrap();
        assert_eq!(text, b"two\n");
        assert_eq!(end, 8);
        // Pretend the file is full: the next write rotates it.
        log.inner.lock().unwrap().written = ROTATE_BYTES;
        log.append(b"three\n");
        assert_eq!(std::fs::read(rotated_path(&path)).unwrap(), b"one\ntwo\n");
        let (all, end) = tail(&path, None).unwrap();
        assert_eq!(all, b"one\ntwo\nthree\n");
        assert_eq!(end, 6);
        let (new, next) = read_from(&path, 100).unwrap();
        assert_eq!((new.as_slice(), next), (&b"three\n"[..], 6));
        log.append(b"four\n");
        let (new, next) = read_from(&path, next).unwrap();
        assert_eq!((new.as_slice(), next), (&b"four\n"[..], 11));
    }
}
