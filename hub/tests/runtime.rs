//! The module runtime (`serve --run-modules=processes`), with host-process modules made of
//! shell commands: start, environment, exit codes, restarts by policy with edgeAgent's
//! doubling cool-off (unit 1 s here), the restart limit, the restart of a stopped module,
//! a killed module restarted, `ps`, `logs`, stopping everything on SIGTERM; and `new`
//! writing a module and manifest the hub serves. The container form is tested by
//! tests/containers/run.sh (`make test-containers`).

#[path = "common/process.rs"]
#[allow(dead_code)]
mod process;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use process::{cli, HubProcess, Ports, BIN};

fn module(policy: &str, command: &[&str]) -> Value {
    json!({"version": "1.0", "type": "docker", "status": "running", "restartPolicy": policy,
           "settings": {"image": "localhost/not-built:1", "createOptions": "{}"},
           "x-edgemodule": {"command": command}})
}

fn manifest() -> Value {
    json!({"modulesContent": {
        "$edgeAgent": {"properties.desired": {"schemaVersion": "1.1", "modules": {
            "crasher": module("on-failure", &["sh", "-c", "echo crasher ran; exit 3"]),
            "once": module("never", &["sh", "-c", "echo once ran"]),
            "clean": module("on-failure", &["sh", "-c", "echo clean ran"]),
            "sleeper": module("always", &["sh", "-c", "env | grep ^IOTEDGE_ | sort; exec sleep 600"]),
            "off": {"type": "docker", "status": "stopped", "restartPolicy": "always",
                    "x-edgemodule": {"command": ["sleep", "600"]}},
            "imageonly": {"type": "docker", "status": "running", "restartPolicy": "always",
                          "settings": {"image": "localhost/not-built:1"}},
            "worker": {"type": "docker", "status": "running", "restartPolicy": "always",
                       "env": {"GREETING": {"value": "hello"}},
                       "x-edgemodule": {"command": ["./work.sh"], "workingDir": "bin"}}
        }}},
        "$edgeHub": {"properties.desired": {"schemaVersion": "1.1", "routes": {}}}
    }})
}

/// `ps --json` of the hub.
fn reported(state: &Path, admin: &str) -> Value {
    let out = cli(state)
        .args(["ps", "--json", "--admin", admin])
        .output()
        .expect("ps runs");
    assert!(
        out.status.success(),
        "ps failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ps --json prints JSON")
}

/// Polls `ps --json` until `done` holds for module `name`, or fails after `within`.
fn wait_for(
    state: &Path,
    admin: &str,
    name: &str,
    within: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let all = reported(state, admin);
        let m = all["modules"][name].clone();
        if done(&m) {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "{name} did not get there in {within:?}: {m:#}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn logs(state: &Path, admin: &str, name: &str) -> String {
    let out = cli(state)
        .args(["logs", name, "--admin", admin])
        .output()
        .expect("logs runs");
    assert!(
        out.status.success(),
        "logs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pid_alive(pid: u64) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

#[test]
fn process_modules_run_restart_by_policy_and_report_like_edge_agent() {
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("deployment.json");
    std::fs::write(&manifest_path, manifest().to_string()).unwrap();
    std::fs::create_dir(dir.path().join("bin")).unwrap();
    let script = dir.path().join("bin/work.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"worker says $GREETING from $(pwd)\"\nexec sleep 600\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    let state = dir.path().join("state");

    let mut command = Command::new(BIN);
    command
        .arg("serve")
        .arg("--manifest")
        .arg(&manifest_path)
        .arg("--state")
        .arg(&state)
        .args(["--run-modules", "processes", "--cool-off-unit-secs", "1"])
        .args(["--max-restart-count", "2", "--stop-timeout-secs", "3"]);
    let mut hub = HubProcess::serve(command, Ports::default());
    assert_eq!(
        hub.ready.get("modules").map(String::as_str),
        Some("processes")
    );
    let admin = hub.addr("admin").to_string();
    let started = Instant::now();

    // never: ran once, exit 0, stopped for good.
    let once = wait_for(&state, &admin, "once", Duration::from_secs(20), |m| {
        m["runtimeStatus"] == "stopped"
    });
    assert_eq!(once["exitCode"], 0);
    assert_eq!(once["restartCount"], 0);
    assert_eq!(once["x-edgemodule"]["starts"], 1);
    assert!(
        once["lastExitTimeUtc"].as_str().unwrap() >= once["lastStartTimeUtc"].as_str().unwrap()
    );

    // on-failure + exit 3: restarted after 1 s, then 2 s; after 2 restarts it stays failed.
    let crasher = wait_for(&state, &admin, "crasher", Duration::from_secs(30), |m| {
        m["runtimeStatus"] == "failed"
    });
    assert_eq!(crasher["exitCode"], 3);
    assert_eq!(crasher["restartCount"], 2);
    assert_eq!(crasher["x-edgemodule"]["starts"], 3);
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "two cool-offs (1 s + 2 s) cannot end after {:?}",
        started.elapsed()
    );
    assert!(crasher["statusDescription"]
        .as_str()
        .unwrap()
        .contains("not restarted after 2 restarts"));
    assert_eq!(
        logs(&state, &admin, "crasher")
            .matches("crasher ran")
            .count(),
        3
    );

    // on-failure + exit 0: "stopped", and started again by the next reconcile (5 s), uncounted.
    let clean = wait_for(&state, &admin, "clean", Duration::from_secs(30), |m| {
        m["x-edgemodule"]["starts"].as_u64() >= Some(2)
    });
    assert_eq!(clean["restartCount"], 0);
    assert_eq!(clean["exitCode"], 0);

    // Desired status stopped: never started. An image-only module cannot run as a process.
    let all = reported(&state, &admin);
    assert_eq!(all["modules"]["off"]["runtimeStatus"], "stopped");
    assert_eq!(all["modules"]["off"]["x-edgemodule"]["starts"], 0);
    assert_eq!(all["modules"]["imageonly"]["runtimeStatus"], "failed");
    assert_eq!(all["lastDesiredStatus"]["code"], 500);
    assert!(all["lastDesiredStatus"]["description"]
        .as_str()
        .unwrap()
        .contains("imageonly"));
    assert_eq!(all["systemModules"]["edgeHub"]["runtimeStatus"], "running");
    assert_eq!(
        all["modules"]["sleeper"]["settings"]["image"],
        "localhost/not-built:1"
    );

    // The module environment, and the working directory and env of the manifest.
    let sleeper = wait_for(&state, &admin, "sleeper", Duration::from_secs(20), |m| {
        m["runtimeStatus"] == "running" && m["x-edgemodule"]["pid"].is_u64()
    });
    let env = {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = logs(&state, &admin, "sleeper");
            if text.contains("IOTEDGE_WORKLOADURI") || Instant::now() > deadline {
                break text;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    assert!(env.contains("IOTEDGE_MODULEID=sleeper"), "{env}");
    assert!(env.contains("IOTEDGE_WORKLOADURI=unix://"), "{env}");
    assert!(env.contains("IOTEDGE_APIVERSION="), "{env}");
    let worker = wait_for(&state, &admin, "worker", Duration::from_secs(20), |m| {
        m["runtimeStatus"] == "running"
    });
    let worker_pid = worker["x-edgemodule"]["pid"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !logs(&state, &admin, "worker").contains("worker says hello") {
        assert!(
            Instant::now() < deadline,
            "worker output: {}",
            logs(&state, &admin, "worker")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(logs(&state, &admin, "worker")
        .contains(&format!("from {}", dir.path().join("bin").display())));

    // logs --follow streams what the module writes after it started following.
    let mut follow = cli(&state)
        .args([
            "logs", "worker", "--follow", "--tail", "0", "--admin", &admin,
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let log_file = state.join("logs/worker.log");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&log_file)
        .unwrap();
    std::io::Write::write_all(&mut file, b"appended while following\n").unwrap();
    let mut stdout = follow.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(&mut stdout), &mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("logs --follow printed the new line");
    assert_eq!(line, "appended while following\n");
    let _ = follow.kill();
    let _ = follow.wait();

    // Killed: always → backoff, restarted after the 1 s cool-off, counted.
    let pid = sleeper["x-edgemodule"]["pid"].as_u64().unwrap();
    let killed_at = Instant::now();
    assert!(Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap()
        .success());
    let restarted = wait_for(&state, &admin, "sleeper", Duration::from_secs(20), |m| {
        m["runtimeStatus"] == "running" && m["restartCount"] == 1
    });
    assert!(
        killed_at.elapsed() >= Duration::from_secs(1),
        "restarted before the cool-off"
    );
    assert_eq!(restarted["exitCode"], 137);
    assert_eq!(restarted["x-edgemodule"]["starts"], 2);
    assert_ne!(restarted["x-edgemodule"]["pid"], pid);

    // ps as a table names every module with its state.
    let table = cli(&state)
        .args(["ps", "--admin", &admin])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    let crasher_row = table
        .lines()
        .find(|l| l.starts_with("crasher"))
        .unwrap_or_default();
    assert!(
        crasher_row.contains("process") && crasher_row.contains("failed"),
        "{table}"
    );
    assert!(table.lines().any(|l| l.starts_with("edgeHub")), "{table}");
    let tail = cli(&state)
        .args(["logs", "crasher", "--tail", "1", "--admin", &admin])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&tail.stdout), "crasher ran\n");
    let missing = cli(&state)
        .args(["logs", "nope", "--admin", &admin])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not found: module 'nope'"));

    // SIGTERM: every module is stopped before the hub exits.
    let sleeper_pid = restarted["x-edgemodule"]["pid"].as_u64().unwrap();
    assert!(pid_alive(sleeper_pid) && pid_alive(worker_pid));
    assert!(Command::new("kill")
        .args(["-TERM", &hub.id().to_string()])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = hub.try_wait() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the hub did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    assert!(!pid_alive(sleeper_pid), "sleeper survived the hub");
    assert!(!pid_alive(worker_pid), "worker survived the hub");
}

#[test]
fn a_hub_without_run_modules_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("deployment.json");
    std::fs::write(&manifest_path, manifest().to_string()).unwrap();
    let state = dir.path().join("state");
    let mut command = Command::new(BIN);
    command
        .arg("serve")
        .arg("--manifest")
        .arg(&manifest_path)
        .arg("--state")
        .arg(&state);
    let hub = HubProcess::serve(command, Ports::default());
    assert!(!hub.ready.contains_key("modules"));
    let admin = hub.addr("admin").to_string();
    let out = cli(&state)
        .args(["ps", "--admin", &admin])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--run-modules"),
        "{out:?}"
    );
}

#[test]
fn new_writes_a_module_and_a_manifest_the_hub_runs() {
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("deployment.json");
    for lang in ["python", "c", "node", "java", "csharp", "rust"] {
        let name = format!("{lang}mod");
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .args(["new", lang, &name])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "new {lang}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let module_dir = dir.path().join("modules").join(&name);
        for file in [
            "module.json",
            "Dockerfile.amd64",
            "Dockerfile.arm64v8",
            "Dockerfile.arm32v7",
        ] {
            assert!(module_dir.join(file).is_file(), "{lang}: {file}");
        }
    }
    let again = Command::new(BIN)
        .current_dir(dir.path())
        .args(["new", "python", "pythonmod"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    let bad = Command::new(BIN)
        .current_dir(dir.path())
        .args(["new", "python", "9lives"])
        .output()
        .unwrap();
    assert!(!bad.status.success());

    // The manifest the six calls made is one the hub serves, with every module and route.
    let state = dir.path().join("state");
    let mut command = Command::new(BIN);
    command
        .arg("serve")
        .arg("--manifest")
        .arg(&manifest_path)
        .arg("--state")
        .arg(&state);
    let hub = HubProcess::serve(command, Ports::default());
    let admin = hub.addr("admin").to_string();
    let twin = cli(&state)
        .args(["twin", "pythonmod", "--admin", &admin])
        .output()
        .unwrap();
    assert!(twin.status.success());
    let twin: Value = serde_json::from_slice(&twin.stdout).unwrap();
    assert_eq!(twin["desired"]["Enabled"], true);
    let text = std::fs::read_to_string(&manifest_path).unwrap();
    assert_eq!(text.matches("INTO $upstream").count(), 6);
}
