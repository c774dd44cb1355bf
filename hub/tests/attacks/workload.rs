//! Workload caller checks: a module's socket acts for that module only; sockets, the state
//! directory and its secrets are closed to other users; errors are answered after the body.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::Tally;
use crate::hubproc::HubProc;
use crate::probe;

const GROUP: &str = "workload";

pub async fn run(hub: &HubProc, t: &mut Tally) {
    another_modules_identity(hub, t).await;
    file_modes(hub, t);
    unprivileged_process(hub, t);
    body_before_errors(hub, t).await;
}

/// Mallory's own socket, asked to act for other modules.
async fn another_modules_identity(hub: &HubProc, t: &mut Tally) {
    let socket = hub.socket("mallory");
    let genid = hub.generation_id("receiver");
    let sign = json!({"keyId": "primary", "algo": "HMACSHA256", "data": "aGVsbG8="}).to_string();
    let cases = [
        (
            "POST",
            format!("/modules/receiver/genid/{genid}/sign?api-version=2019-01-30"),
            sign.clone(),
        ),
        (
            "POST",
            format!(
                "/modules/sender/genid/{}/sign?api-version=2019-01-30",
                hub.generation_id("sender")
            ),
            sign.clone(),
        ),
        (
            "POST",
            format!("/modules/receiver/genid/{genid}/sign?api-version=2019-01-30"),
            json!({"keyId": "secondary", "data": "aGVsbG8="}).to_string(),
        ),
        (
            "POST",
            "/modules/receiver/certificate/identity?api-version=2019-01-30".to_string(),
            String::new(),
        ),
        (
            "POST",
            format!("/modules/receiver/genid/{genid}/certificate/server?api-version=2019-01-30"),
            json!({"commonName": "receiver"}).to_string(),
        ),
        (
            "POST",
            "/modules/%24edgeHub/certificate/identity?api-version=2019-01-30".to_string(),
            String::new(),
        ),
        (
            "POST",
            format!("/modules/Receiver/genid/{genid}/sign?api-version=1"),
            sign.clone(),
        ),
        (
            "POST",
            format!("/modules/%72eceiver/genid/{genid}/sign?api-version=1"),
            sign.clone(),
        ),
        (
            "POST",
            format!("//modules/receiver/genid/{genid}/sign?api-version=1"),
            sign.clone(),
        ),
        (
            "POST",
            format!("/modules/mallory/../receiver/genid/{genid}/sign?api-version=1"),
            sign.clone(),
        ),
        (
            "POST",
            format!("/modules/receiver/genid/{genid}/sign/?api-version=1"),
            sign.clone(),
        ),
    ];
    for (method, path, body) in cases {
        let (status, answer) = hub.workload(&socket, method, &path, &body).await;
        let refused = !(200..300).contains(&status);
        t.attack(
            GROUP,
            &format!("{method} {path} on mallory's socket"),
            refused,
            format!("{status} {answer}"),
        );
    }
    let shared = hub.state.join("workload.sock");
    t.attack(
        GROUP,
        "a shared workload socket exists",
        !shared.exists(),
        shared.display(),
    );
}

/// Sockets 0600, directories 0700, secrets and data 0600.
fn file_modes(hub: &HubProc, t: &mut Tally) {
    let mut paths: Vec<(String, u32)> = vec![
        (hub.state.display().to_string(), 0o700),
        (hub.workload_dir.display().to_string(), 0o700),
    ];
    for name in [
        "admin.token",
        "identities.json",
        "hub.db",
        "hub.db-wal",
        "hub.db-shm",
        "certs/ca.key.pem",
        "certs/server.key.pem",
        "certs/meta.json",
    ] {
        paths.push((hub.state.join(name).display().to_string(), 0o600));
    }
    for module in ["sender", "receiver", "mallory"] {
        paths.push((hub.socket(module).display().to_string(), 0o600));
    }
    for (path, expected) in paths {
        match std::fs::symlink_metadata(&path) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o777;
                t.attack(
                    GROUP,
                    &format!("{path} open to other users"),
                    mode & 0o077 == 0 && mode == expected,
                    format!("mode {mode:o}, expected {expected:o}"),
                );
            }
            Err(e) if path.ends_with("-wal") || path.ends_with("-shm") => {
                t.check(
                    GROUP,
                    &format!("{path} (created by SQLite on demand)"),
                    true,
                    format!("absent: {e}"),
                );
            }
            Err(e) => t.check(GROUP, &format!("{path} exists"), false, e),
        }
    }
}

/// The defect's attacker: a process of another user. It must not sign for, fetch the key
/// of, or read anything of any module.
fn unprivileged_process(hub: &HubProc, t: &mut Tally) {
    let mut probes: Vec<(&str, std::path::PathBuf)> = vec![
        ("list", hub.state.clone()),
        ("read", hub.state.join("admin.token")),
        ("read", hub.state.join("identities.json")),
        ("read", hub.state.join("hub.db")),
        ("read", hub.state.join("certs/ca.key.pem")),
    ];
    for module in ["sender", "receiver", "mallory"] {
        probes.push(("connect", hub.socket(module)));
    }
    for (kind, path) in probes {
        match probe::denied_to_nobody(kind, &path) {
            Some((denied, detail)) => t.attack(
                GROUP,
                &format!("uid {} {kind} {}", probe::NOBODY, path.display()),
                denied,
                detail,
            ),
            None => t.not_run(
                GROUP,
                &format!("{kind} {} as another user", path.display()),
                "cannot run a process as uid 65534 (the suite must run as root for this part)",
            ),
        }
    }
}

/// Defect 5: a client that writes the headers, then the body, gets the JSON error (20 tries).
async fn body_before_errors(hub: &HubProc, t: &mut Tally) {
    let socket = hub.socket("mallory");
    let body = json!({"keyId": "primary", "algo": "HMACSHA256", "data": "aGVsbG8="}).to_string();
    let mut answered = 0;
    let mut last = String::new();
    for i in 0..20 {
        let line = match i % 4 {
            0 => "POST /modules/receiver/genid/1/sign?api-version=1 HTTP/1.1",
            1 => "POST /nothing?api-version=1 HTTP/1.1",
            2 => "POST /modules/mallory/genid/1/sign HTTP/1.1",
            _ => "PUT /trust-bundle?api-version=1 HTTP/1.1",
        };
        match headers_then_body(&socket, line, &body).await {
            Ok(response)
                if response.starts_with("HTTP/1.1 4") && response.contains("{\"message\":") =>
            {
                answered += 1
            }
            Ok(response) => last = response,
            Err(e) => last = e,
        }
    }
    t.check(
        GROUP,
        "errors answered after reading the body (headers and body written separately)",
        answered == 20,
        format!("{answered}/20 answered; last failure: {last}"),
    );
}

async fn headers_then_body(socket: &Path, line: &str, body: &str) -> Result<String, String> {
    let mut stream = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|e| e.to_string())?;
    let head = format!(
        "{line}\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream
        .write_all(body.as_bytes())
        .await
        .map_err(|e| format!("writing the body: {e}"))?;
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .map_err(|_| "no answer".to_string())?
    .map_err(|e| e.to_string())?;
    Ok(response)
}

/// `--workload-owner sender=65534`: the sender's socket belongs to the user its process runs
/// as, who can use that socket and nothing else of the hub's.
pub async fn owners(t: &mut Tally) {
    const G: &str = "owners";
    println!(
        "[{G}] (own hub with --workload-owner sender={})",
        probe::NOBODY
    );
    if probe::denied_to_nobody("list", Path::new("/")).is_none() {
        t.not_run(
            G,
            "sockets owned by another user",
            "cannot run a process as uid 65534 (the suite must run as root)",
        );
        return;
    }
    let hub = HubProc::start_with(
        &crate::main_manifest(),
        None,
        &["--workload-owner", &format!("sender={}", probe::NOBODY)],
    );
    let owner = std::os::unix::fs::MetadataExt::uid(
        &std::fs::symlink_metadata(hub.socket("sender")).expect("sender socket"),
    );
    t.check(
        G,
        "the sender's socket belongs to its user",
        owner == probe::NOBODY,
        format!("uid {owner}"),
    );
    for (dir, expected) in [(&hub.state, 0o711), (&hub.workload_dir, 0o711)] {
        let mode = std::fs::metadata(dir)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        t.check(
            G,
            &format!("{} may be passed through, not listed", dir.display()),
            mode == expected,
            format!("{mode:o}"),
        );
    }
    match probe::denied_to_nobody("connect", &hub.socket("sender")) {
        Some((denied, detail)) => t.check(
            G,
            "the sender's user reaches its own socket",
            !denied,
            detail,
        ),
        None => t.not_run(G, "connect as the sender's user", "probe failed to run"),
    }
    let mut probes: Vec<(&str, std::path::PathBuf)> = vec![
        ("list", hub.state.clone()),
        ("list", hub.workload_dir.clone()),
        ("read", hub.state.join("identities.json")),
        ("read", hub.state.join("admin.token")),
        ("read", hub.state.join("hub.db")),
    ];
    for module in ["receiver", "mallory"] {
        probes.push(("connect", hub.socket(module)));
    }
    for (kind, path) in probes {
        match probe::denied_to_nobody(kind, &path) {
            Some((denied, detail)) => t.attack(
                G,
                &format!("the sender's user {kind}s {}", path.display()),
                denied,
                detail,
            ),
            None => t.not_run(
                G,
                &format!("{kind} {}", path.display()),
                "probe failed to run",
            ),
        }
    }
    // The sender's user signs for the sender, and only for it.
    let genid = hub.generation_id("receiver");
    let (status, _) = hub
        .workload(
            &hub.socket("sender"),
            "POST",
            &format!("/modules/receiver/genid/{genid}/sign?api-version=1"),
            &json!({"data": "aGVsbG8="}).to_string(),
        )
        .await;
    t.attack(
        G,
        "the sender's socket signs for the receiver",
        status == 403,
        status,
    );
    t.group_done(G);
}
