//! The `edgemodule-hub` binary: `serve` on ports it picks (read from its ready line) in a
//! temporary directory,
//! then `env`, `twin --desired`, `invoke` (a rumqttc module answers), `monitor`, `--help`
//! of every subcommand, and the error when no hub is running.

#[path = "common/process.rs"]
#[allow(dead_code)]
mod process;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use edgemodule::protocol::{mqtt_identity, sas, topics};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use serde_json::{json, Value};

use process::{HubProcess, Ports, BIN};
const DEVICE: &str = "cli-device";
const HUB: &str = "clihub.azure-devices.net";

fn manifest() -> Value {
    let module = |image: &str| {
        json!({"type": "docker", "status": "running", "restartPolicy": "always",
               "settings": {"image": image, "createOptions": "{}"}})
    };
    json!({"modulesContent": {
        "$edgeAgent": {"properties.desired": {
            "schemaVersion": "1.1",
            "runtime": {"type": "docker", "settings": {}},
            "systemModules": {
                "edgeAgent": {"type": "docker", "settings": {"image": "agent"}},
                "edgeHub": {"type": "docker", "status": "running", "restartPolicy": "always", "settings": {"image": "hub"}}
            },
            "modules": {"sensor": module("sensor"), "filter": module("filter")}
        }},
        "$edgeHub": {"properties.desired": {
            "schemaVersion": "1.1",
            "routes": {"toCloud": "FROM /messages/modules/sensor/* INTO $upstream"},
            "storeAndForwardConfiguration": {"timeToLiveSecs": 7200}
        }},
        "filter": {"properties.desired": {"threshold": 10}}
    }})
}

/// A port nobody listens on (for the missing-hub error).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of a child's stdout, read on a thread.
fn line_reader(stdout: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

struct ServedHub {
    process: HubProcess,
    admin: String,
    mqtt_port: u16,
    /// The hub's state directory (holds admin.token).
    state: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn serve() -> ServedHub {
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("deployment.json");
    std::fs::write(&manifest_path, manifest().to_string()).unwrap();
    // A relative --state (from the hub's working directory) must still hand out absolute
    // paths: modules run from other directories.
    let mut command = Command::new(BIN);
    command
        .current_dir(dir.path())
        .args(["serve", "--manifest"])
        .arg(&manifest_path)
        .args(["--state", "state"])
        .args(["--device-id", DEVICE, "--iothub-hostname", HUB])
        .args(["--log-level", "warn", "--log-format", "json"]);
    // Ports 0: the ready line says which ones the hub took.
    let process = HubProcess::serve(command, Ports::default());
    let ready = &process.ready;
    let admin = process.addr("admin");
    let mqtt = process.addr("mqtt");
    assert!(admin.ip().is_loopback() && admin.port() != 0, "{ready:?}");
    assert!(mqtt.ip().is_loopback() && mqtt.port() != 0, "{ready:?}");
    assert_ne!(process.addr("https").port(), 0, "{ready:?}");
    assert_eq!(ready.get("device").map(String::as_str), Some(DEVICE));
    let state = dir.path().join("state");
    let workload = state.join("workload");
    assert_eq!(
        ready.get("workload").map(String::as_str),
        Some(workload.to_str().unwrap())
    );
    assert_eq!(
        ready.get("state").map(String::as_str),
        Some(state.to_str().unwrap())
    );
    ServedHub {
        process,
        admin: admin.to_string(),
        mqtt_port: mqtt.port(),
        state,
        _dir: dir,
    }
}

fn cli(args: &[&str]) -> Output {
    Command::new(BIN)
        .env_remove("EDGEMODULE_HUB_STATE")
        .args(args)
        .output()
        .unwrap()
}

/// A client subcommand of the hub with state directory `state` (contract 3: the token is
/// found through EDGEMODULE_HUB_STATE).
fn cli_in(state: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .env("EDGEMODULE_HUB_STATE", state)
        .args(args)
        .output()
        .unwrap()
}

/// The admin token of the hub in `state`.
fn token(state: &Path) -> String {
    std::fs::read_to_string(state.join("admin.token"))
        .unwrap()
        .trim()
        .to_string()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// `NAME` → value from `export NAME='value'` lines.
fn shell_var(text: &str, name: &str) -> Option<String> {
    let prefix = format!("export {name}='");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.trim_end_matches('\'').to_string())
}

/// A module connected over MQTT with its connection-string key and the hub CA file.
async fn connect_module(
    mqtt_port: u16,
    module: &str,
    key: &str,
    ca_file: &Path,
) -> (AsyncClient, rumqttc::EventLoop) {
    let expiry = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let uri = sas::resource_uri(HUB, DEVICE, Some(module));
    let signature = sas::sign(key, sas::string_to_sign(&uri, expiry).as_bytes()).unwrap();
    let token = sas::format_token(&uri, &signature, expiry);
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(ca_file).unwrap();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut options = MqttOptions::new(
        mqtt_identity::client_id(DEVICE, Some(module)),
        "localhost",
        mqtt_port,
    );
    options
        .set_credentials(
            mqtt_identity::username(HUB, DEVICE, Some(module), "edgemodule-test", None),
            token,
        )
        .set_keep_alive(Duration::from_secs(30))
        .set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            Arc::new(tls),
        )));
    AsyncClient::new(options, 16)
}

/// Polls until a SUBACK arrives.
async fn wait_suback(events: &mut rumqttc::EventLoop) {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Event::Incoming(Packet::SubAck(_)) = events.poll().await.unwrap() {
                return;
            }
        }
    })
    .await
    .expect("SUBACK in time");
}

/// A plain HTTP GET against the admin API with bearer `token`; (status line, JSON body).
fn admin_get(admin: &str, token: &str, path: &str) -> (String, Value) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(admin).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {admin}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.lines().next().unwrap().to_string();
    (status, serde_json::from_str(body).unwrap())
}

#[test]
fn help_of_every_subcommand() {
    for sub in ["serve", "env", "monitor", "invoke", "twin"] {
        let out = stdout(&cli(&[sub, "--help"]));
        assert!(out.contains("Usage: edgemodule-hub"), "{sub}: {out}");
    }
    let top = stdout(&cli(&["--help"]));
    for sub in ["serve", "env", "monitor", "invoke", "twin"] {
        assert!(top.contains(sub), "{top}");
    }
    let serve_help = stdout(&cli(&["serve", "--help"]));
    assert!(serve_help.contains("--manifest"));
    // MQTT and HTTPS listen on loopback unless told otherwise (docs/security.md).
    assert!(serve_help.contains("[default: 127.0.0.1]"), "{serve_help}");
    assert!(
        serve_help.contains("--insecure-shared-workload"),
        "{serve_help}"
    );
    assert!(stdout(&cli(&["twin", "--help"])).contains("--desired"));
    assert!(stdout(&cli(&["env", "--help"])).contains("--format"));
    assert!(!cli(&["no-such-command"]).status.success());
}

#[test]
fn client_commands_explain_a_missing_hub() {
    let port = free_port();
    let admin = format!("127.0.0.1:{port}");
    let out = cli(&["env", "filter", "--admin", &admin]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot reach the hub's admin API at {admin}")),
        "{err}"
    );
    assert!(err.contains("edgemodule-hub serve"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_env_twin_invoke_monitor() {
    let hub = serve();
    let admin = hub.admin.as_str();
    let state = hub.state.clone();
    let cli = |args: &[&str]| cli_in(&state, args);
    let token = token(&state);
    let token = token.as_str();

    // The admin API needs the token; the state directory and its secrets are private.
    let (status, refused) = admin_get(admin, "not-the-token", "/health");
    assert!(status.contains("401"), "{status}");
    assert!(refused["message"].as_str().unwrap().contains("admin.token"));
    for (path, mode) in [
        ("", 0o700),
        ("admin.token", 0o600),
        ("identities.json", 0o600),
        ("hub.db", 0o600),
        ("workload", 0o700),
        ("workload/filter.sock", 0o600),
    ] {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(state.join(path)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, mode, "{path}");
    }
    // Without the state directory the CLI explains where the token comes from.
    let out = cli_in(
        Path::new("/nonexistent-state"),
        &["env", "filter", "--admin", admin],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("EDGEMODULE_HUB_STATE"));

    // Plain admin API.
    let (status, health) = admin_get(admin, token, "/health");
    assert!(status.contains("200"), "{status}");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["deviceId"], DEVICE);
    assert_eq!(health["mqtt"], format!("127.0.0.1:{}", hub.mqtt_port));
    let (_, modules) = admin_get(admin, token, "/modules");
    assert_eq!(
        modules["modules"],
        json!([{"moduleId": "filter", "connected": false}, {"moduleId": "sensor", "connected": false}])
    );
    let (status, _) = admin_get(admin, token, "/modules/nosuch/twin");
    assert!(status.contains("404"), "{status}");

    // env: both forms, shell and dotenv syntax.
    let env = stdout(&cli(&["env", "filter", "--admin", admin]));
    assert_eq!(
        shell_var(&env, "IOTEDGE_MODULEID").as_deref(),
        Some("filter")
    );
    assert_eq!(shell_var(&env, "IOTEDGE_DEVICEID").as_deref(), Some(DEVICE));
    assert_eq!(
        shell_var(&env, "IOTEDGE_WORKLOADURI").unwrap(),
        format!(
            "unix://{}",
            state.join("workload").join("filter.sock").display()
        )
    );
    let connection_string = shell_var(&env, "EdgeHubConnectionString").unwrap();
    assert!(connection_string.contains(&format!("DeviceId={DEVICE};ModuleId=filter;")));
    let ca_file = shell_var(&env, "EdgeModuleCACertificateFile").unwrap();
    assert!(std::fs::read_to_string(&ca_file)
        .unwrap()
        .contains("BEGIN CERTIFICATE"));
    let dotenv = stdout(&cli(&[
        "env", "filter", "--format", "dotenv", "--admin", admin,
    ]));
    assert!(
        dotenv.lines().any(|l| l == "IOTEDGE_MODULEID=filter"),
        "{dotenv}"
    );
    let unknown = cli(&["env", "nosuchmodule", "--admin", admin]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("404"));

    // twin: manifest desired, then an update.
    let twin: Value =
        serde_json::from_str(&stdout(&cli(&["twin", "filter", "--admin", admin]))).unwrap();
    assert_eq!(twin["desired"], json!({"threshold": 10, "$version": 1}));
    let twin: Value = serde_json::from_str(&stdout(&cli(&[
        "twin",
        "filter",
        "--desired",
        r#"{"threshold": 20}"#,
        "--admin",
        admin,
    ])))
    .unwrap();
    assert_eq!(twin["desired"], json!({"threshold": 20, "$version": 2}));
    assert!(
        !cli(&["twin", "filter", "--desired", "{oops", "--admin", admin])
            .status
            .success()
    );

    // invoke: not connected → 404; then a module answers.
    let out = cli(&["invoke", "filter", "ping", "--admin", admin]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));

    let key = connection_string
        .split(';')
        .find_map(|p| p.strip_prefix("SharedAccessKey="))
        .unwrap()
        .to_string();
    let (filter, mut filter_events) =
        connect_module(hub.mqtt_port, "filter", &key, Path::new(&ca_file)).await;
    filter
        .subscribe(topics::METHODS_FILTER, QoS::AtLeastOnce)
        .await
        .unwrap();
    wait_suback(&mut filter_events).await;
    let admin_owned = admin.to_string();
    let token_owned = token.to_string();
    let (_, modules) =
        tokio::task::spawn_blocking(move || admin_get(&admin_owned, &token_owned, "/modules"))
            .await
            .unwrap();
    assert_eq!(
        modules["modules"][0],
        json!({"moduleId": "filter", "connected": true})
    );
    let responder = tokio::spawn(async move {
        loop {
            let Ok(event) = filter_events.poll().await else {
                return;
            };
            if let Event::Incoming(Packet::Publish(p)) = event {
                if let Some(request) = topics::parse_method_request(&p.topic) {
                    let asked: Value = serde_json::from_slice(&p.payload).unwrap_or(Value::Null);
                    let body = json!({"method": request.method_name, "asked": asked}).to_string();
                    filter
                        .publish(
                            topics::method_response_topic(200, &request.rid),
                            QoS::AtMostOnce,
                            false,
                            body,
                        )
                        .await
                        .unwrap();
                }
            }
        }
    });
    let admin_owned = admin.to_string();
    let state_owned = state.clone();
    let out = tokio::task::spawn_blocking(move || {
        cli_in(
            &state_owned,
            &[
                "invoke",
                "filter",
                "ping",
                r#"{"n": 1}"#,
                "--timeout",
                "10",
                "--admin",
                &admin_owned,
            ],
        )
    })
    .await
    .unwrap();
    let answer: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        answer,
        json!({"status": 200, "payload": {"method": "ping", "asked": {"n": 1}}})
    );
    responder.abort();

    // monitor: follows $upstream live.
    let mut monitor = Command::new(BIN)
        .env("EDGEMODULE_HUB_STATE", &state)
        .args(["monitor", "--admin", admin])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = line_reader(monitor.stdout.take().unwrap());
    let _monitor = Running(monitor);
    let sensor_key = {
        let env = stdout(&cli(&["env", "sensor", "--admin", admin]));
        let cs = shell_var(&env, "EdgeHubConnectionString").unwrap();
        cs.split(';')
            .find_map(|p| p.strip_prefix("SharedAccessKey="))
            .unwrap()
            .to_string()
    };
    let (sensor, mut sensor_events) =
        connect_module(hub.mqtt_port, "sensor", &sensor_key, Path::new(&ca_file)).await;
    let pump = tokio::spawn(async move { while sensor_events.poll().await.is_ok() {} });
    for i in 0..3 {
        let topic = topics::telemetry_topic(DEVICE, Some("sensor"), "%24.on=temperature&unit=C");
        sensor
            .publish(topic, QoS::AtLeastOnce, false, format!("{{\"t\":{i}}}"))
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = tokio::task::block_in_place(|| lines.recv_timeout(left)).expect("monitor line");
        seen.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    for (i, message) in seen.iter().enumerate() {
        assert_eq!(
            message["source"],
            "/messages/modules/sensor/outputs/temperature"
        );
        assert_eq!(message["body"], format!("{{\"t\":{i}}}"));
        assert_eq!(message["properties"]["unit"], "C");
        assert_eq!(message["systemProperties"]["connectionModuleId"], "sensor");
    }
    pump.abort();

    // SIGTERM → graceful exit.
    let mut process = hub.process;
    let pid = process.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let started = Instant::now();
    loop {
        if let Some(status) = process.try_wait() {
            assert!(status.success(), "serve exited with {status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "serve did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
