//! Module clients from the IoT Edge environment the driver wrote for each module
//! (`$BENCH_ENV_DIR/<module>.env`, the dotenv output of `edgemodule-hub env`), and the
//! process's memory figures.

use std::collections::HashMap;
use std::path::PathBuf;

use edgemodule::ModuleClient;

/// Reads `NAME=value` lines (comments and blanks skipped).
fn dotenv(module: &str) -> Result<HashMap<String, String>, String> {
    let dir = std::env::var("BENCH_ENV_DIR").map_err(|_| "BENCH_ENV_DIR is not set")?;
    let path = PathBuf::from(dir).join(format!("{module}.env"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

/// A connected client for `module`, with at most `max_inflight` unacknowledged sends.
pub async fn connect(module: &str, max_inflight: u16) -> Result<ModuleClient, String> {
    let env = dotenv(module)?;
    let client = ModuleClient::builder()
        .from_environment_lookup(move |name| env.get(name).cloned())
        .max_inflight(max_inflight)
        .build()
        .await
        .map_err(|e| e.to_string())?;
    client.connect().await.map_err(|e| e.to_string())?;
    Ok(client)
}

/// A `VmRSS`-style field of `/proc/self/status`, KiB.
fn status_kib(field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

/// Resident set size now, KiB.
pub fn rss_kib() -> Result<u64, String> {
    status_kib("VmRSS:")
}

/// Peak resident set size, KiB.
pub fn peak_rss_kib() -> Result<u64, String> {
    status_kib("VmHWM:")
}
