//! The hub under attack: the real `edgemodule-hub serve` binary in a subprocess on
//! 127.0.0.1 ephemeral ports, with what a well-behaved module needs to talk to it (keys,
//! CA, admin token, sockets) and its memory use from /proc.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use serde_json::Value;

use crate::common::{client_tls, Creds, Raw, DEVICE};

const BIN: &str = env!("CARGO_BIN_EXE_edgemodule-hub");
/// IoT Hub host name of every attacked hub (the default).
pub const HOST: &str = "localhub.azure-devices.net";

/// A hub process and its state directory (removed on drop, after the process is killed).
pub struct HubProc {
    child: Child,
    pub state: PathBuf,
    pub mqtt: SocketAddr,
    pub https: SocketAddr,
    pub admin: SocketAddr,
    pub workload_dir: PathBuf,
    pub ca_pem: String,
    pub token: String,
    _dir: tempfile::TempDir,
}

impl Drop for HubProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ready_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

impl HubProc {
    /// Starts `serve` with `manifest` (contract 2: ephemeral ports read from the ready
    /// line). `fd_limit` runs it under `ulimit -n`.
    pub fn start(manifest: &str, fd_limit: Option<u32>) -> HubProc {
        HubProc::start_with(manifest, fd_limit, &[])
    }

    /// `start` with extra `serve` arguments.
    pub fn start_with(manifest: &str, fd_limit: Option<u32>, extra: &[&str]) -> HubProc {
        let dir = tempfile::tempdir().expect("tempdir");
        // Open like a home directory, so that only the hub's own choices protect its state.
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
                .expect("chmod tempdir");
        }
        let manifest_path = dir.path().join("deployment.json");
        std::fs::write(&manifest_path, manifest).expect("manifest written");
        let state = dir.path().join("state");
        let log = std::fs::File::create(dir.path().join("hub.log")).expect("log file");
        let mut command = match fd_limit {
            Some(limit) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                    .arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        command
            .args(["serve", "--manifest"])
            .arg(&manifest_path)
            .arg("--state")
            .arg(&state)
            .args(["--bind-address", "127.0.0.1", "--mqtt-port", "0"])
            .args([
                "--https-port",
                "0",
                "--admin-port",
                "0",
                "--log-level",
                "warn",
            ])
            .args(extra)
            .env_remove("EDGEMODULE_HUB_STATE")
            .stdout(Stdio::piped())
            .stderr(log);
        let mut child = command.spawn().expect("edgemodule-hub starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if line.starts_with("edgemodule-hub ready:") && tx.send(line).is_err() {
                    return;
                }
            }
        });
        let ready = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                let log = std::fs::read_to_string(dir.path().join("hub.log")).unwrap_or_default();
                panic!("no ready line from the hub; its log:\n{log}")
            });
        let addr = |key: &str| -> SocketAddr {
            ready_value(&ready, key)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {key}= in {ready}"))
        };
        let (mqtt, https, admin) = (addr("mqtt"), addr("https"), addr("admin"));
        let workload_dir = PathBuf::from(ready_value(&ready, "workload").expect("workload="));
        let ca_pem = std::fs::read_to_string(state.join("certs").join("ca.pem")).expect("CA");
        let token = std::fs::read_to_string(state.join("admin.token"))
            .expect("admin token")
            .trim()
            .to_string();
        HubProc {
            child,
            state,
            mqtt,
            https,
            admin,
            workload_dir,
            ca_pem,
            token,
            _dir: dir,
        }
    }

    /// The hub's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `(VmRSS, VmHWM)` of the hub process in KiB.
    pub fn memory_kib(&self) -> (u64, u64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// The module's primary key, from the state directory (the test runs as the hub's user).
    pub fn key(&self, module: &str) -> String {
        let ids: Value = serde_json::from_str(
            &std::fs::read_to_string(self.state.join("identities.json")).expect("identities"),
        )
        .expect("identities JSON");
        ids["modules"][module]["primaryKey"]
            .as_str()
            .unwrap_or_else(|| panic!("no key for {module}"))
            .to_string()
    }

    /// The module's generation id.
    pub fn generation_id(&self, module: &str) -> String {
        let ids: Value = serde_json::from_str(
            &std::fs::read_to_string(self.state.join("identities.json")).expect("identities"),
        )
        .expect("identities JSON");
        ids["modules"][module]["generationId"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Valid credentials for `module`, expiring `ttl_secs` from now.
    pub fn creds(&self, module: &str, ttl_secs: i64) -> Creds {
        Creds::signed(HOST, DEVICE, module, &self.key(module), ttl_secs)
    }

    /// A connected module (CONNACK 0 asserted).
    pub async fn connect(&self, module: &str, clean_session: bool) -> Raw {
        let (raw, ack) = Raw::connect(
            self.mqtt,
            &self.ca_pem,
            &self.creds(module, 3600),
            clean_session,
            60,
        )
        .await;
        assert_eq!(
            ack.code,
            rumqttc::ConnectReturnCode::Success,
            "CONNACK for {module}"
        );
        raw
    }

    /// The workload socket of `module`.
    pub fn socket(&self, module: &str) -> PathBuf {
        self.workload_dir.join(format!("{module}.sock"))
    }

    /// One admin API request; `token` as given (None: no Authorization header).
    pub async fn admin_request(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: &str,
    ) -> (u16, Value) {
        let stream = tokio::net::TcpStream::connect(self.admin)
            .await
            .expect("admin connect");
        http_request(
            stream,
            "127.0.0.1",
            method,
            path,
            &headers(authorization),
            body,
        )
        .await
    }

    /// An admin request with the right token.
    pub async fn admin(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let bearer = format!("Bearer {}", self.token);
        self.admin_request(method, path, Some(&bearer), body).await
    }

    /// A workload API request on `socket`.
    pub async fn workload(
        &self,
        socket: &std::path::Path,
        method: &str,
        path: &str,
        body: &str,
    ) -> (u16, Value) {
        let stream = tokio::net::UnixStream::connect(socket)
            .await
            .expect("workload connect");
        http_request(stream, "workload", method, path, &[], body).await
    }
}

/// A direct-method call over HTTPS with `caller`'s SAS `token`.
pub async fn invoke_over_https(
    https: SocketAddr,
    ca_pem: &str,
    token: &str,
    caller: &str,
    target: &str,
    body: &Value,
) -> (u16, Value) {
    let tcp = tokio::net::TcpStream::connect(https)
        .await
        .expect("https connect");
    let connector = tokio_rustls::TlsConnector::from(client_tls(ca_pem));
    let name = ServerName::try_from("localhost").expect("name");
    let tls = connector
        .connect(name, tcp)
        .await
        .expect("TLS to the methods API");
    let headers = vec![
        ("authorization".to_string(), token.to_string()),
        (
            "x-ms-edge-moduleId".to_string(),
            format!("{DEVICE}/{caller}"),
        ),
        ("content-type".to_string(), "application/json".to_string()),
    ];
    let path = format!("/twins/{DEVICE}/modules/{target}/methods?api-version=2018-06-30");
    http_request(tls, "localhost", "POST", &path, &headers, &body.to_string()).await
}

fn headers(authorization: Option<&str>) -> Vec<(String, String)> {
    authorization
        .map(|a| vec![("authorization".to_string(), a.to_string())])
        .unwrap_or_default()
}

/// One HTTP/1.1 request on `io`; (status, JSON body or the body as a string).
pub async fn http_request<IO>(
    io: IO,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &str,
) -> (u16, Value)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let exchange = async {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .expect("HTTP handshake");
        tokio::spawn(conn);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", host);
        for (k, v) in headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("request");
        let response = sender.send_request(request).await.expect("response");
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    };
    tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .expect("HTTP request timed out")
}
