//! Probe mode: the suite re-runs its own binary as an unprivileged user (uid 65534) to try,
//! as any other local process could, to reach the hub's secrets and sockets.

use std::io::{Read, Write};
use std::process::ExitCode;

/// Environment variable carrying `kind:path` in probe mode.
pub const PROBE_ENV: &str = "EDGEMODULE_ATTACK_PROBE";
/// The unprivileged user.
pub const NOBODY: u32 = 65534;

/// In probe mode: tries the access, prints `ALLOWED …` or `DENIED …`, returns the exit code.
pub fn run_if_probe() -> Option<ExitCode> {
    let spec = std::env::var(PROBE_ENV).ok()?;
    let (kind, path) = spec.split_once(':')?;
    let outcome = match kind {
        "read" => std::fs::read(path).map(|b| format!("read {} bytes", b.len())),
        "list" => std::fs::read_dir(path).map(|d| format!("listed {} entries", d.count())),
        "connect" => connect_and_sign(path),
        _ => Ok("unknown probe".into()),
    };
    match outcome {
        Ok(detail) => println!("ALLOWED {detail}"),
        Err(e) => println!("DENIED {e}"),
    }
    Some(ExitCode::SUCCESS)
}

/// Connects to a workload socket and asks it to sign for the module it belongs to.
fn connect_and_sign(path: &str) -> std::io::Result<String> {
    let mut stream = std::os::unix::net::UnixStream::connect(path)?;
    let module = std::path::Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let body = r#"{"keyId":"primary","algo":"HMACSHA256","data":"aGVsbG8="}"#;
    write!(
        stream,
        "POST /modules/{module}/genid/0/sign?api-version=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if answer.is_empty() {
        return Err(std::io::Error::other("connection closed without an answer"));
    }
    Ok(answer.lines().next().unwrap_or_default().to_string())
}

/// Runs a probe as `NOBODY`; `Some(true)` if the access was denied, `None` if the probe
/// could not run (e.g. the suite is not running as root).
pub fn denied_to_nobody(kind: &str, path: &std::path::Path) -> Option<(bool, String)> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().ok()?;
    let output = std::process::Command::new(exe)
        .env(PROBE_ENV, format!("{kind}:{}", path.display()))
        .uid(NOBODY)
        .gid(NOBODY)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if text.starts_with("DENIED") {
        Some((true, text))
    } else if text.starts_with("ALLOWED") {
        Some((false, text))
    } else {
        None
    }
}
