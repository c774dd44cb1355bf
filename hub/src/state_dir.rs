//! File permissions of the state directory. Its files hold module keys, the CA key, the
//! admin token and every stored message, so only the hub's user may read them: files 0600
//! (public certificates 0644, readable only through directories that allow it), directories
//! 0700. A directory that must let module processes of other users reach their workload
//! socket gets 0711: others may pass through it but not list it.

use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Mode of private directories.
pub const PRIVATE_DIR: u32 = 0o700;
/// Mode of a directory other users may pass through (to reach their own socket) but not list.
pub const TRAVERSE_ONLY_DIR: u32 = 0o711;
/// Mode of private files.
pub const PRIVATE_FILE: u32 = 0o600;

/// Files of the state directory that hold secrets or data (made 0600 at every start, so a
/// state directory written by an older version or by hand is tightened too).
const PRIVATE_FILES: &[&str] = &[
    "identities.json",
    "admin.token",
    "hub.db",
    "hub.db-wal",
    "hub.db-shm",
    "certs/ca.key.pem",
    "certs/server.key.pem",
    "certs/meta.json",
];

/// Creates `state_dir` (and `certs/`) if needed and restricts it: 0700, or 0711 when
/// `traversable` (module processes of other users must reach sockets inside it).
pub fn prepare(state_dir: &Path, traversable: bool) -> io::Result<()> {
    std::fs::create_dir_all(state_dir)?;
    let mode = if traversable {
        TRAVERSE_ONLY_DIR
    } else {
        PRIVATE_DIR
    };
    set_mode(state_dir, mode)?;
    let certs = state_dir.join("certs");
    std::fs::create_dir_all(&certs)?;
    set_mode(&certs, PRIVATE_DIR)?;
    restrict_known_files(state_dir)
}

/// Makes every known private file of the state directory that exists mode 0600 (run again
/// once the hub has written its files).
pub fn restrict_known_files(state_dir: &Path) -> io::Result<()> {
    for name in PRIVATE_FILES {
        restrict_if_present(&state_dir.join(name))?;
    }
    // The store's message bodies (its segment files are created 0600).
    let payloads = state_dir.join("hub.db-payloads");
    if payloads.is_dir() {
        set_mode(&payloads, PRIVATE_DIR)?;
    }
    Ok(())
}

/// Creates (or restricts) the empty database file with mode 0600 before SQLite opens it:
/// SQLite gives its `-wal` and `-shm` files the database file's mode.
pub fn precreate_private_file(path: &Path) -> io::Result<()> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(PRIVATE_FILE)
        .open(path)?;
    set_mode(path, PRIVATE_FILE)
}

/// Makes `path` mode 0600 if it exists.
pub fn restrict_if_present(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => set_mode(path, PRIVATE_FILE),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sets the permission bits of `path`.
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot set mode {mode:o} on {}: {e}", path.display()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn tightens_directories_and_known_files() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir_all(&state).unwrap();
        set_mode(&state, 0o755).unwrap();
        std::fs::write(state.join("hub.db"), b"").unwrap();
        set_mode(&state.join("hub.db"), 0o644).unwrap();
        std::fs::create_dir(state.join("hub.db-payloads")).unwrap();
        set_mode(&state.join("hub.db-payloads"), 0o755).unwrap();
        prepare(&state, false).unwrap();
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&state.join("certs")), 0o700);
        assert_eq!(mode(&state.join("hub.db")), 0o600);
        assert_eq!(mode(&state.join("hub.db-payloads")), 0o700);
        prepare(&state, true).unwrap();
        assert_eq!(mode(&state), 0o711);
        let db = state.join("new.db");
        precreate_private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
    }
}
