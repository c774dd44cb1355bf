//! External hub mode: `edgemodule-hub serve` as a child process (contracts 1 and 2 of
//! coord/common.md: ephemeral ports, the ready line), driven through its admin API. Chosen
//! by `EDGEMODULE_TEST_HUB_BIN`, so that test binaries cross-compiled for ARM and run under
//! qemu talk to the native x64 hub instead of emulating one in-process.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use edgemodule_hub::config::HubConfig;
use edgemodule_hub::mqtt::DeliveryMode;
use serde_json::Value;

/// The variable naming the hub binary (absolute, or relative to the workspace root).
pub const HUB_BIN_ENV: &str = "EDGEMODULE_TEST_HUB_BIN";

/// The hub binary of external mode, when `EDGEMODULE_TEST_HUB_BIN` is set.
pub fn hub_binary() -> Option<PathBuf> {
    let value = std::env::var_os(HUB_BIN_ENV).filter(|v| !v.is_empty())?;
    let path = PathBuf::from(value);
    if path.is_absolute() {
        return Some(path);
    }
    // cargo runs test binaries in the package directory; the variable is meant from the
    // workspace root (where `cargo test` is typed).
    Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path))
}

/// How to start (and restart) one hub process: the binary, its arguments but the ports.
#[derive(Debug, Clone)]
pub struct Launch {
    bin: PathBuf,
    /// The state directory (`--state`): kept across restarts.
    pub state: PathBuf,
    manifest: PathBuf,
    extra: Vec<String>,
}

impl Launch {
    /// The launch of `config` (a test configuration after the test's changes): the manifest
    /// is written to `manifest`, and the settings tests change become `serve` options.
    pub fn new(bin: PathBuf, manifest_json: &str, manifest: PathBuf, config: &HubConfig) -> Self {
        std::fs::write(&manifest, manifest_json).expect("write the test manifest");
        let defaults = HubConfig::for_tests(config.manifest.clone(), config.state_dir.clone());
        let mut extra = vec![
            "--device-id".to_string(),
            config.device_id.clone(),
            "--iothub-hostname".to_string(),
            config.iothub_host_name.clone(),
            "--gateway-hostname".to_string(),
            config.gateway_host_name.clone(),
            "--reauth-interval-ms".to_string(),
            config.reauth_interval.as_millis().max(1).to_string(),
            "--delivery".to_string(),
            match config.delivery.mode {
                DeliveryMode::Strict => "strict",
                DeliveryMode::Permissive => "permissive",
            }
            .to_string(),
            "--ack-timeout-secs".to_string(),
            config.delivery.ack_timeout.as_secs().max(1).to_string(),
            "--store-checkpoint".to_string(),
            config.store_checkpoint.as_str().to_string(),
        ];
        // What has no `serve` option must stay as the test defaults: say so loudly.
        assert!(
            config.parent.is_none()
                && config.insecure_shared_workload.is_none()
                && config.workload_owners.is_empty()
                && config.workload_dir == defaults.workload_dir,
            "external hub mode ({HUB_BIN_ENV}): this test changes a hub setting that \
             `edgemodule-hub serve` options do not carry here"
        );
        extra.extend(["--log-level".to_string(), "warn".to_string()]);
        Launch {
            bin,
            state: config.state_dir.clone(),
            manifest,
            extra,
        }
    }
}

/// One running hub process and what its ready line said.
pub struct ExternalHub {
    child: Child,
    launch: Launch,
    pub mqtt: SocketAddr,
    pub https: SocketAddr,
    pub admin: SocketAddr,
    token: String,
    trust_bundle: String,
}

/// The addresses to start on: `None` for ephemeral ports.
pub type Ports = Option<(SocketAddr, SocketAddr, SocketAddr)>;

impl ExternalHub {
    /// Starts `launch` on `ports` (ephemeral when `None`) and waits for its ready line.
    /// `tag` names its output files in the state directory's parent (`hub-<tag>.out`/`.log`).
    pub async fn start(launch: &Launch, ports: Ports, tag: &str) -> Result<ExternalHub, String> {
        let (mqtt, https, admin) = match ports {
            Some((m, h, a)) => (m.port(), h.port(), a.port()),
            None => (0, 0, 0),
        };
        let logs = launch
            .state
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        let out_path = logs.join(format!("hub-{tag}.out"));
        let log_path = logs.join(format!("hub-{tag}.log"));
        let out = std::fs::File::create(&out_path).map_err(|e| format!("hub output file: {e}"))?;
        let log = std::fs::File::create(&log_path).map_err(|e| format!("hub log file: {e}"))?;
        let mut command = Command::new(&launch.bin);
        command
            .arg("serve")
            .arg("--manifest")
            .arg(&launch.manifest)
            .arg("--state")
            .arg(&launch.state)
            .args(["--bind-address", "127.0.0.1", "--metrics-port", "0"])
            .args(["--mqtt-port", &mqtt.to_string()])
            .args(["--https-port", &https.to_string()])
            .args(["--admin-port", &admin.to_string()])
            .args(&launch.extra)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(log);
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", launch.bin.display()))?;
        let ready = loop {
            let text = std::fs::read_to_string(&out_path).unwrap_or_default();
            if let Some(line) = text
                .lines()
                .find(|l| l.starts_with("edgemodule-hub ready:"))
            {
                break line.to_string();
            }
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                return Err(format!(
                    "the hub exited ({status}) before it was ready:\n{log}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let field = |key: &str| -> Result<SocketAddr, String> {
            ready
                .split_whitespace()
                .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("no {key}=ADDR in the ready line: {ready}"))
        };
        let (mqtt, https, admin) = (field("mqtt")?, field("https")?, field("admin")?);
        let token = std::fs::read_to_string(launch.state.join(edgemodule_hub::admin::TOKEN_FILE))
            .map_err(|e| format!("admin token: {e}"))?
            .trim()
            .to_string();
        let mut hub = ExternalHub {
            child,
            launch: launch.clone(),
            mqtt,
            https,
            admin,
            token,
            trust_bundle: String::new(),
        };
        // The CA modules trust: the file the simulator variables name.
        let ca = hub
            .simulator_env("sender")
            .or_else(|| {
                let first = hub.modules().into_iter().next()?;
                hub.simulator_env(&first)
            })
            .and_then(|env| {
                env.into_iter()
                    .find(|(k, _)| k == "EdgeModuleCACertificateFile")
                    .map(|(_, v)| v)
            })
            .ok_or("the admin API names no CA file")?;
        hub.trust_bundle =
            std::fs::read_to_string(&ca).map_err(|e| format!("CA file {ca}: {e}"))?;
        Ok(hub)
    }

    /// The launch this process was started with (to restart it).
    pub fn launch(&self) -> &Launch {
        &self.launch
    }

    /// The PEM of the hub's CA.
    pub fn trust_bundle_pem(&self) -> &str {
        &self.trust_bundle
    }

    /// Stops the hub with SIGTERM (a graceful shutdown: sessions and the store are saved)
    /// and waits for it.
    pub async fn shutdown(mut self) {
        let pid = self.child.id().to_string();
        let signalled = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|s| s.success());
        if !signalled {
            let _ = self.child.kill();
        }
        while matches!(self.child.try_wait(), Ok(None)) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `GET /modules/{m}/env`: the workload form (`IOTEDGE_*`), `None` for unknown modules.
    pub fn module_env(&self, module: &str) -> Option<Vec<(String, String)>> {
        let env = self.get(&format!("/modules/{module}/env")).ok()?;
        Some(pairs(&env["workload"]))
    }

    /// The simulator form (`EdgeHubConnectionString`, `EdgeModuleCACertificateFile`).
    pub fn simulator_env(&self, module: &str) -> Option<Vec<(String, String)>> {
        let env = self.get(&format!("/modules/{module}/env")).ok()?;
        Some(pairs(&env["connectionString"]))
    }

    /// The module ids of the deployment.
    pub fn modules(&self) -> Vec<String> {
        self.get("/modules")
            .ok()
            .and_then(|v| v["modules"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|m| m["moduleId"].as_str().map(str::to_string))
            .collect()
    }

    /// True when `module` is connected over MQTT.
    pub fn is_connected(&self, module: &str) -> bool {
        let modules = self.get("/modules").expect("GET /modules");
        modules["modules"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["moduleId"] == module && m["connected"] == true)
    }

    /// Messages routed to `$upstream`, oldest first: `(source, body)`.
    pub fn upstream_messages(&self) -> Vec<(String, Vec<u8>)> {
        let text = self
            .request("GET", "/upstream", None, None)
            .expect("GET /upstream");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let v: Value = serde_json::from_str(line).expect("upstream JSON line");
                let body = v["body"].as_str().unwrap_or_default();
                let body = if v["bodyEncoding"] == "base64" {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD
                        .decode(body)
                        .expect("base64 body")
                } else {
                    body.as_bytes().to_vec()
                };
                (v["source"].as_str().unwrap_or_default().to_string(), body)
            })
            .collect()
    }

    /// `GET /modules/{m}/inspect` (contract 5).
    pub fn inspect(&self, module: &str) -> Result<Value, String> {
        self.get(&format!("/modules/{module}/inspect"))
    }

    /// A blocking JSON request on a separate thread, for async callers.
    pub async fn json_async(
        &self,
        method: &'static str,
        path: String,
        body: Option<Value>,
        timeout: Duration,
    ) -> Result<Value, String> {
        let (admin, token) = (self.admin, self.token.clone());
        tokio::task::spawn_blocking(move || {
            let text = request(admin, &token, method, &path, body.as_ref(), Some(timeout))?;
            serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON ({e}): {text}"))
        })
        .await
        .map_err(|e| format!("admin request task: {e}"))?
    }

    fn get(&self, path: &str) -> Result<Value, String> {
        let text = self.request("GET", path, None, None)?;
        serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON ({e}): {text}"))
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        timeout: Option<Duration>,
    ) -> Result<String, String> {
        request(self.admin, &self.token, method, path, body, timeout)
    }
}

impl Drop for ExternalHub {
    fn drop(&mut self) {
        // A test that panicked (or never stopped its hub) leaves no process behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `[{"name","value"}…]` as pairs.
fn pairs(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                p["name"].as_str()?.to_string(),
                p["value"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// One HTTP/1.1 request to the admin API (`Connection: close`), blocking; the body of a 2xx
/// answer, else an error with the hub's message. Blocking on purpose: the callers are the
/// synchronous accessors tests poll (`is_connected`, `inspect`), and the hub is another
/// process, so nothing in the test's runtime has to run meanwhile.
fn request(
    admin: SocketAddr,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Option<Duration>,
) -> Result<String, String> {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut stream = TcpStream::connect_timeout(&admin, Duration::from_secs(5))
        .map_err(|e| format!("admin API {admin}: {e}"))?;
    let wait = timeout.unwrap_or(Duration::ZERO) + Duration::from_secs(20);
    stream
        .set_read_timeout(Some(wait))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {admin}\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .map_err(|e| format!("admin API {path}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("admin API {path}: {e}"))?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("admin API {path}: no HTTP header in the answer"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut content = raw[split + 4..].to_vec();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("admin API {path}: bad status line: {head}"))?;
    if head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    }) {
        content = dechunk(&content).ok_or_else(|| format!("admin API {path}: bad chunking"))?;
    }
    let text = String::from_utf8_lossy(&content).to_string();
    if (200..300).contains(&status) {
        Ok(text)
    } else {
        Err(format!("hub answered {status} to {method} {path}: {text}"))
    }
}

/// Decodes a chunked HTTP body.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}
