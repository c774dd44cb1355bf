//! The admin API's bearer token: random, kept in `{state_dir}/admin.token` (mode 0600) so
//! that only the hub's user (and whoever it hands the file to) can drive the hub. A token
//! already in the file is reused, so a restarted hub keeps accepting the CLI's calls.

use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rand::RngCore;

/// File name inside the state directory.
pub const TOKEN_FILE: &str = "admin.token";

/// Random bytes in a new token (hex-encoded: 64 characters).
const TOKEN_BYTES: usize = 32;

/// The admin API's secret.
#[derive(Clone)]
pub struct AdminToken(String);

impl std::fmt::Debug for AdminToken {
    // A secret: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(…)")
    }
}

impl AdminToken {
    /// Reads the token in `path`, or writes a new random one there (mode 0600).
    pub fn load_or_create(path: &Path) -> io::Result<AdminToken> {
        match std::fs::read_to_string(path) {
            Ok(text) if is_well_formed(text.trim()) => {
                crate::state_dir::restrict_if_present(path)?;
                return Ok(AdminToken(text.trim().to_string()));
            }
            Ok(_) => {
                tracing::warn!(path = %path.display(), "admin token file is malformed; writing a new token")
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let token = AdminToken::random()?;
        token.write(path)?;
        Ok(token)
    }

    /// A token from its text (e.g. read by the CLI); `None` if it is not a token.
    pub fn from_text(text: &str) -> Option<AdminToken> {
        let text = text.trim();
        is_well_formed(text).then(|| AdminToken(text.to_string()))
    }

    /// The token text, for an `Authorization: Bearer` header.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `header` (an `Authorization` value) is `Bearer <this token>`. The
    /// comparison takes the same time wherever the first difference is.
    pub fn accepts(&self, header: Option<&[u8]>) -> bool {
        let Some(header) = header else { return false };
        let Some(given) = header
            .strip_prefix(b"Bearer ")
            .or_else(|| header.strip_prefix(b"bearer "))
        else {
            return false;
        };
        constant_time_eq(given, self.0.as_bytes())
    }

    fn random() -> io::Result<AdminToken> {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rngs::OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(io::Error::other)?;
        Ok(AdminToken(
            bytes.iter().map(|b| format!("{b:02x}")).collect(),
        ))
    }

    /// Writes atomically (temp file + rename), mode 0600.
    fn write(&self, path: &Path) -> io::Result<()> {
        let tmp = path.with_extension("token.tmp");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(crate::state_dir::PRIVATE_FILE)
            .open(&tmp)?;
        f.write_all(self.0.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        drop(f);
        crate::state_dir::set_mode(&tmp, crate::state_dir::PRIVATE_FILE)?;
        std::fs::rename(&tmp, path)
    }
}

/// At least 32 characters of `[A-Za-z0-9_-]` (hand-written tokens are allowed).
fn is_well_formed(text: &str) -> bool {
    text.len() >= 32
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn created_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE);
        let first = AdminToken::load_or_create(&path).unwrap();
        assert_eq!(first.as_str().len(), 64);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = AdminToken::load_or_create(&path).unwrap();
        assert_eq!(first.as_str(), again.as_str());
        std::fs::write(&path, "short").unwrap();
        let replaced = AdminToken::load_or_create(&path).unwrap();
        assert_ne!(replaced.as_str(), first.as_str());
    }

    #[test]
    fn accepts_only_the_exact_bearer_token() {
        let token = AdminToken::from_text("0123456789abcdef0123456789abcdef").unwrap();
        let ok = b"Bearer 0123456789abcdef0123456789abcdef".as_slice();
        assert!(token.accepts(Some(ok)));
        assert!(!token.accepts(None));
        assert!(!token.accepts(Some(b"0123456789abcdef0123456789abcdef")));
        assert!(!token.accepts(Some(b"Bearer 0123456789abcdef0123456789abcdeF")));
        assert!(!token.accepts(Some(b"Bearer 0123456789abcdef0123456789abcde")));
        assert!(!token.accepts(Some(b"Basic 0123456789abcdef0123456789abcdef")));
        assert!(AdminToken::from_text("not a token").is_none());
    }
}
