//! The hub binary as a child process, as every suite launches it
//! (tests/conformance/README.md): bound to 127.0.0.1 on ports 0, the real addresses read
//! from the `edgemodule-hub ready:` line (never polled for), a restart on the addresses of
//! the first start, and `EDGEMODULE_HUB_STATE` for CLI calls.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_edgemodule-hub");
const READY: &str = "edgemodule-hub ready:";

/// The `key=value` pairs of a ready line; keys this code does not know are kept too.
pub fn parse_ready(line: &str) -> Option<HashMap<String, String>> {
    let pairs = line.strip_prefix(READY)?;
    Some(
        pairs
            .split_whitespace()
            .filter_map(|word| word.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// Ports to serve on; 0 lets the hub pick.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ports {
    /// MQTT over TLS.
    pub mqtt: u16,
    /// Module-to-module methods.
    pub https: u16,
    /// Admin API.
    pub admin: u16,
}

/// A running `edgemodule-hub serve`; killed when dropped so a failing test leaves nothing
/// behind.
pub struct HubProcess {
    child: Child,
    /// The ready line's pairs (device, mqtt, https, admin, workload, ...).
    pub ready: HashMap<String, String>,
}

impl HubProcess {
    /// Runs `serve` as `command` describes it (program, `serve`, manifest, state and any
    /// other options) on 127.0.0.1 and `ports`, and waits up to 30 s for the ready line.
    pub fn serve(mut command: Command, ports: Ports) -> HubProcess {
        let mut child = command
            .args(["--bind-address", "127.0.0.1"])
            .args(["--mqtt-port", &ports.mqtt.to_string()])
            .args(["--https-port", &ports.https.to_string()])
            .args(["--admin-port", &ports.admin.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the hub binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        // Keeps reading after the ready line so the hub never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(pairs) = parse_ready(&line) {
                    let _ = tx.send((line, pairs));
                }
            }
        });
        let mut process = HubProcess {
            child,
            ready: HashMap::new(),
        };
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok((_, pairs)) => process.ready = pairs,
            Err(_) => {
                process.kill();
                panic!("the hub printed no ready line within 30 s (exited or stuck)");
            }
        }
        process
    }

    /// The address the ready line gives for `key` (`mqtt`, `https`, `admin`).
    pub fn addr(&self, key: &str) -> SocketAddr {
        self.ready
            .get(key)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no {key} address in the ready line: {:?}", self.ready))
    }

    /// The ports of this start, to restart on the same addresses.
    pub fn ports(&self) -> Ports {
        Ports {
            mqtt: self.addr("mqtt").port(),
            https: self.addr("https").port(),
            admin: self.addr("admin").port(),
        }
    }

    /// The process id (to signal it).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The exit status once the hub has exited.
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().expect("the hub's status")
    }

    /// SIGKILL: no chance to flush or say goodbye.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `edgemodule-hub ARGS` as a CLI call against the hub whose state directory is `state`.
pub fn cli(state: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.env("EDGEMODULE_HUB_STATE", state);
    command
}
