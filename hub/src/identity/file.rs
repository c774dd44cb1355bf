//! `{state_dir}/identities.json`: the persisted module keys.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use base64::Engine;
use rand::RngCore;

/// File name inside the state directory.
pub(crate) const FILE_NAME: &str = "identities.json";

/// Offset between .NET ticks (100 ns since 0001-01-01) and the Unix epoch: IoT Hub
/// generation ids look like .NET tick counts, so ours do too.
const DOTNET_TICKS_AT_UNIX_EPOCH: u128 = 621_355_968_000_000_000;

/// Keys and generation id of one module.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ModuleKeys {
    pub primary_key: String,
    pub secondary_key: String,
    pub generation_id: String,
}

impl ModuleKeys {
    /// Two fresh 32-byte random keys and a new generation id.
    pub(crate) fn generate() -> io::Result<ModuleKeys> {
        Ok(ModuleKeys {
            primary_key: random_key()?,
            secondary_key: random_key()?,
            generation_id: new_generation_id()?,
        })
    }
}

/// The file's JSON shape.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct IdentityFile {
    pub modules: BTreeMap<String, ModuleKeys>,
}

impl IdentityFile {
    /// `None` when the file does not exist yet.
    pub(crate) fn read(path: &Path) -> io::Result<Option<IdentityFile>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })
    }

    /// Writes atomically (temp file + rename) with mode 0600: the keys are secrets.
    pub(crate) fn write(&self, path: &Path) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        let tmp = path.with_extension("json.tmp");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&json)?;
        f.sync_all()?;
        drop(f);
        restrict_permissions(&tmp)?;
        std::fs::rename(&tmp, path)
    }
}

/// Forces mode 0600 (a file created by hand, or before a umask change, may be wider).
pub(crate) fn restrict_permissions(path: &Path) -> io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

fn random_key() -> io::Result<String> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(io::Error::other)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn new_generation_id() -> io::Result<String> {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(io::Error::other)?;
    // Random low digits keep ids distinct when several modules are created at once.
    let mut jitter = [0u8; 2];
    rand::rngs::OsRng
        .try_fill_bytes(&mut jitter)
        .map_err(io::Error::other)?;
    let ticks = DOTNET_TICKS_AT_UNIX_EPOCH
        + since_epoch.as_nanos() / 100
        + u128::from(u16::from_le_bytes(jitter));
    Ok(ticks.to_string())
}
