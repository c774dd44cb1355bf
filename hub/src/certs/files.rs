//! The files under `{state_dir}/certs/`.

use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The CA certificate (the trust bundle; usable as `EdgeModuleCACertificateFile`).
pub(crate) const CA_CERT: &str = "ca.pem";
/// The CA private key (0600).
pub(crate) const CA_KEY: &str = "ca.key.pem";
/// Server certificate chain (server cert + CA).
pub(crate) const SERVER_CHAIN: &str = "server.pem";
/// Server private key (0600).
pub(crate) const SERVER_KEY: &str = "server.key.pem";
/// What the certificates were made for (SANs, expiry), so we know when to remake them.
pub(crate) const META: &str = "meta.json";

/// Facts about the persisted certificates that would otherwise need an X.509 parser.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CertMeta {
    /// `notAfter` of the CA, Unix seconds.
    pub ca_not_after: i64,
    /// `notAfter` of the server certificate, Unix seconds.
    pub server_not_after: i64,
    /// Subject alternative names of the server certificate.
    pub server_names: Vec<String>,
}

/// `{state_dir}/certs`.
pub(crate) fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join("certs")
}

/// Reads a file, `None` if it does not exist.
pub(crate) fn read_optional(path: &Path) -> io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads `meta.json`; a missing or unreadable file means "unknown" (→ regenerate).
pub(crate) fn read_meta(dir: &Path) -> Option<CertMeta> {
    let text = read_optional(&dir.join(META)).ok()??;
    serde_json::from_str(&text).ok()
}

/// Writes atomically via a temp file; `secret` files get mode 0600, others 0644.
pub(crate) fn write(path: &Path, contents: &[u8], secret: bool) -> io::Result<()> {
    let mode = if secret { 0o600 } else { 0o644 };
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)?;
    f.write_all(contents)?;
    f.sync_all()?;
    drop(f);
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
    std::fs::rename(&tmp, path)
}
