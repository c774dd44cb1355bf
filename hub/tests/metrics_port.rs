//! The metrics port of `serve`: by default edgeHub's 9600 on loopback, or a free port when
//! another hub (or anything else) has 9600, so that test suites can run several hubs at
//! once without passing a metrics port; the ready line's `metrics=` is always the real
//! address. `--metrics-port` is exact, `--no-metrics` serves nothing.

#[path = "common/process.rs"]
#[allow(dead_code)]
mod process;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use process::{HubProcess, Ports};

const MANIFEST: &str = r#"{"modulesContent": {
  "$edgeAgent": {"properties.desired": {"schemaVersion": "1.1", "modules": {
    "sender": {"type": "docker", "settings": {"image": "sender:test"}}}}},
  "$edgeHub": {"properties.desired": {"schemaVersion": "1.1", "routes": {},
    "storeAndForwardConfiguration": {"timeToLiveSecs": 7200}}}}}"#;

fn serve(dir: &Path, name: &str, extra: &[&str]) -> HubProcess {
    let manifest = dir.join(format!("{name}.json"));
    std::fs::write(&manifest, MANIFEST).expect("manifest written");
    let mut command = Command::new(process::BIN);
    command
        .arg("serve")
        .arg("--manifest")
        .arg(&manifest)
        .arg("--state")
        .arg(dir.join(name))
        .args(["--device-id", name, "--log-level", "warn"])
        .args(extra);
    HubProcess::serve(command, Ports::default())
}

/// The body of `GET /metrics` at `addr` (HTTP/1.0: the server closes after answering).
fn scrape(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).expect("metrics port answers");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout set");
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\n\r\n")
        .expect("request sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    assert!(response.starts_with("HTTP/1.0 200"), "{response}");
    let (_, body) = response.split_once("\r\n\r\n").expect("a body");
    edgemodule_hub::metrics::text::parse(body).expect("Prometheus text");
    body.to_string()
}

#[test]
fn hubs_started_with_the_default_share_no_metrics_port() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Whoever has 9600 now (this test's listener, or a hub of another test): the hubs
    // below must still start, each on its own port.
    let _held = TcpListener::bind(("127.0.0.1", 9600));
    let a = serve(dir.path(), "device-a", &[]);
    let b = serve(dir.path(), "device-b", &[]);
    let (ma, mb) = (a.addr("metrics"), b.addr("metrics"));
    assert_ne!(ma, mb);
    for (addr, device) in [(ma, "device-a"), (mb, "device-b")] {
        assert!(addr.ip().is_loopback(), "{addr}");
        assert_ne!(addr.port(), 9600, "9600 was taken");
        let body = scrape(addr);
        assert!(
            body.contains(&format!("edge_device=\"{device}\"")),
            "{device} at {addr}: {body}"
        );
    }
}

#[test]
fn an_exact_port_is_used_as_given_and_no_metrics_serves_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exact = serve(dir.path(), "exact", &["--metrics-port", "0"]);
    scrape(exact.addr("metrics"));
    // Asked for a port in use: the start fails instead of serving elsewhere.
    let taken = exact.addr("metrics").port().to_string();
    let manifest = dir.path().join("exact.json");
    let refused = Command::new(process::BIN)
        .arg("serve")
        .arg("--manifest")
        .arg(&manifest)
        .arg("--state")
        .arg(dir.path().join("refused"))
        .args(["--bind-address", "127.0.0.1", "--mqtt-port", "0"])
        .args(["--https-port", "0", "--admin-port", "0"])
        .args(["--metrics-port", &taken, "--log-level", "warn"])
        .output()
        .expect("serve runs");
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("metrics port"), "{err}");

    let off = serve(dir.path(), "off", &["--no-metrics"]);
    assert!(!off.ready.contains_key("metrics"), "{:?}", off.ready);
    assert!(off.ready.contains_key("admin"));
}
