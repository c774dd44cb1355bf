//! Nested edge end to end: a three-level hierarchy on one machine, top ← middle ← two
//! leaves, every hub with its own ports and state directory, every link the edgemodule
//! core's `DeviceClient` over MQTT/TLS (`serve --parent`).
//!
//! A module on each leaf sends messages routed to `$upstream`; each leaf forwards to the
//! middle (a child device there), the middle forwards to the top. The middle is a real
//! `edgemodule-hub serve` process killed with SIGKILL mid-stream and restarted on the same
//! ports and state. Every message the leaf modules got a PUBACK for must reach the top's
//! `$upstream` with its properties (duplicates are allowed: the links are at least once).
//!
//! Size: `EDGEMODULE_NESTED_MESSAGES` per leaf (default 2,500) and
//! `EDGEMODULE_NESTED_KILLS` kills of the middle (default 1); `make bench` runs 20,000 and 2.
//! The levels benchmark (1, 2 and 3 hubs between the module and the top's `$upstream`)
//! sends `EDGEMODULE_NESTED_BENCH_MESSAGES` (default 2,000) per level and prints throughput
//! and p99 latency. With `EDGEMODULE_NESTED_BENCH_OUT=FILE` both tests append their figures
//! to FILE (`make bench`, bench/nested.sh).

mod common;
#[path = "common/process.rs"]
#[allow(dead_code)]
mod process;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::TestHub;
use edgemodule::{Message, ModuleClient};
use edgemodule_hub::certs::HubCertificates;
use edgemodule_hub::message::HubMessage;
use edgemodule_hub::upstream::ParentConfig;
use process::{HubProcess, Ports};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

const MIDDLE_KEY: &str = "bWlkZGxlLWtleS0wMTIzNDU2Nzg5YWJjZGVmMDEyMzQ=";
const LEAF_KEYS: [(&str, &str); 2] = [
    ("leaf1", "bGVhZjEta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2"),
    ("leaf2", "bGVhZjIta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2"),
];
/// Messages per `send_output_batch` call of a leaf module.
const BATCH: usize = 100;

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number")),
        Err(_) => default,
    }
}

/// A deployment routing every message to `$upstream`, with `modules` and `children`
/// (device id, key).
fn deployment(modules: &[&str], children: &[(&str, &str)]) -> String {
    let mut d: Value = serde_json::from_str(&common::deployment(
        modules,
        &[("up", "FROM /messages/* INTO $upstream")],
        None,
    ))
    .expect("json");
    let children: serde_json::Map<String, Value> = children
        .iter()
        .map(|(id, key)| (id.to_string(), json!({ "primaryKey": key })))
        .collect();
    d["edgemodule"] = json!({ "childDevices": children });
    d.to_string()
}

/// Appends `line` to `EDGEMODULE_NESTED_BENCH_OUT`, when set.
fn record(line: &str) {
    if let Ok(path) = std::env::var("EDGEMODULE_NESTED_BENCH_OUT") {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .expect("open the results file");
        writeln!(file, "{line}").expect("write the results");
    }
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The middle hub as a process: `serve --parent localhost:{top} --parent-ca …`, the key in
/// the environment.
struct Middle {
    manifest: PathBuf,
    state: PathBuf,
    top_port: u16,
    top_ca: PathBuf,
    process: Option<HubProcess>,
    ports: Ports,
}

impl Middle {
    fn start(dir: &Path, top: &TestHub) -> Middle {
        let manifest = dir.join("middle.json");
        std::fs::write(&manifest, deployment(&[], &LEAF_KEYS)).expect("manifest");
        let mut middle = Middle {
            manifest,
            state: dir.join("middle-state"),
            top_port: top.addr().port(),
            top_ca: HubCertificates::ca_cert_path(top.dir.path()),
            process: None,
            ports: Ports::default(),
        };
        middle.serve();
        middle.ports = middle.process().ports();
        middle
    }

    fn serve(&mut self) {
        let mut command = Command::new(process::BIN);
        command
            .arg("serve")
            .arg("--manifest")
            .arg(&self.manifest)
            .arg("--state")
            .arg(&self.state)
            .args(["--device-id", "middle", "--log-level", "warn"])
            .args(["--parent", &format!("localhost:{}", self.top_port)])
            .arg("--parent-ca")
            .arg(&self.top_ca)
            .env("EDGEMODULE_HUB_PARENT_KEY", MIDDLE_KEY);
        let process = HubProcess::serve(command, self.ports);
        assert_eq!(
            process.ready.get("parent").map(String::as_str),
            Some(format!("localhost:{}", self.top_port).as_str()),
            "the ready line names the parent"
        );
        self.process = Some(process);
    }

    fn process(&self) -> &HubProcess {
        self.process.as_ref().expect("middle running")
    }

    /// SIGKILL, then a restart on the same ports and state.
    fn kill_and_restart(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.kill();
        }
        self.serve();
    }

    fn ca_pem(&self) -> String {
        std::fs::read_to_string(HubCertificates::ca_cert_path(&self.state)).expect("middle CA")
    }
}

/// A hub whose `$upstream` goes to the parent at `localhost:{port}`, trusting `ca_pem`.
async fn child_hub(device: &str, key: &str, port: u16, ca_pem: String) -> TestHub {
    let parent = ParentConfig::from_key(&format!("localhost:{port}"), device, key, ca_pem)
        .expect("parent config");
    TestHub::start_with(&deployment(&["sensor"], &[]), |c| {
        c.device_id = device.to_string();
        c.parent = Some(parent);
    })
    .await
}

async fn module_client(hub: &TestHub, module: &str) -> ModuleClient {
    let cs = hub.hub.connection_string(module).expect("module");
    let client = ModuleClient::builder()
        .connection_string(cs)
        .trust_bundle_pem(hub.hub.trust_bundle_pem())
        .mqtt_port(hub.addr().port())
        .build()
        .await
        .expect("module client");
    client.connect().await.expect("module connects");
    client
}

/// What the top's `$upstream` received: (origin leaf, seq) → copies.
#[derive(Default)]
struct Received {
    copies: HashMap<(String, u64), u32>,
    latencies_us: Vec<u64>,
    last_arrival: Option<Instant>,
    problems: Vec<String>,
}

/// Collects every message the top's `$upstream` gets from now on, checking each one.
fn collect(top: &TestHub, expected_device: &'static str) -> Arc<Mutex<Received>> {
    let received = Arc::new(Mutex::new(Received::default()));
    let (_, mut live) = top.hub.subscribe_upstream();
    let sink = received.clone();
    tokio::spawn(async move {
        loop {
            let message: HubMessage = match live.recv().await {
                Ok(m) => m,
                Err(RecvError::Lagged(n)) => {
                    sink.lock()
                        .expect("lock")
                        .problems
                        .push(format!("the test's $upstream reader fell {n} behind"));
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            let arrived = now_micros();
            let mut r = sink.lock().expect("lock");
            r.last_arrival = Some(Instant::now());
            let (Some(origin), Some(seq), Some(sent)) = (
                message.properties.get("origin"),
                message
                    .properties
                    .get("seq")
                    .and_then(|s| s.parse::<u64>().ok()),
                message
                    .properties
                    .get("sentUs")
                    .and_then(|s| s.parse::<u64>().ok()),
            ) else {
                r.problems.push(format!(
                    "message without origin/seq/sentUs: {:?}",
                    message.properties
                ));
                continue;
            };
            let device = message.system_properties.get("connectionDeviceId");
            if device.map(String::as_str) != Some(expected_device) {
                r.problems.push(format!(
                    "connectionDeviceId {device:?}, expected {expected_device}"
                ));
            }
            let id = message.system_properties.get("messageId");
            if id != Some(&format!("{origin}-{seq}"))
                || message.body != seq.to_string().into_bytes()
            {
                r.problems
                    .push(format!("{origin}-{seq}: messageId {id:?} or body lost"));
            }
            let copies = r.copies.entry((origin.clone(), seq)).or_insert(0);
            *copies += 1;
            if *copies == 1 {
                r.latencies_us.push(arrived.saturating_sub(sent));
            }
        }
    });
    received
}

/// Sends `count` messages from `client` to output `up`, in batches; returns how many were
/// acknowledged (a failed batch is retried: the leaf hub is never killed).
async fn send_all(client: ModuleClient, origin: String, count: usize) -> usize {
    let mut acked = 0;
    while acked < count {
        let end = (acked + BATCH).min(count);
        let batch: Vec<Message> = (acked..end)
            .map(|seq| {
                let mut m = Message::new(seq.to_string())
                    .with_property("origin", origin.clone())
                    .with_property("seq", seq.to_string())
                    .with_property("sentUs", now_micros().to_string());
                m.message_id = Some(format!("{origin}-{seq}"));
                m.content_type = Some("text/plain".into());
                m
            })
            .collect();
        match client.send_output_batch("up", batch).await {
            Ok(()) => acked = end,
            Err(e) => eprintln!("{origin}: batch at {acked} failed ({e}); sending it again"),
        }
    }
    acked
}

/// Waits until `received` holds every (origin, seq < count), or `limit` passes.
async fn wait_for_all(
    received: &Mutex<Received>,
    origins: &[String],
    count: usize,
    limit: Duration,
) {
    let deadline = Instant::now() + limit;
    loop {
        let missing = {
            let r = received.lock().expect("lock");
            origins
                .iter()
                .map(|o| {
                    (0..count as u64)
                        .filter(|s| !r.copies.contains_key(&(o.clone(), *s)))
                        .count()
                })
                .sum::<usize>()
        };
        if missing == 0 {
            return;
        }
        if Instant::now() > deadline {
            let r = received.lock().expect("lock");
            panic!(
                "{missing} acknowledged messages never reached the top within {limit:?} \
                 (problems: {:?})",
                r.problems.iter().take(5).collect::<Vec<_>>()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn distinct(received: &Mutex<Received>) -> usize {
    received.lock().expect("lock").copies.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_levels_lose_nothing_when_the_middle_is_killed() {
    let per_leaf = env_usize("EDGEMODULE_NESTED_MESSAGES", 2_500);
    let kills = env_usize("EDGEMODULE_NESTED_KILLS", 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let top = TestHub::start(&deployment(&[], &[("middle", MIDDLE_KEY)])).await;
    let received = collect(&top, "middle");
    let mut middle = Middle::start(dir.path(), &top);
    let mut leaves = Vec::new();
    for (device, key) in LEAF_KEYS {
        leaves.push(child_hub(device, key, middle.ports.mqtt, middle.ca_pem()).await);
    }
    let started = Instant::now();
    let mut senders = Vec::new();
    let mut origins = Vec::new();
    for leaf in &leaves {
        let origin = leaf.hub.config().device_id.clone();
        let client = module_client(leaf, "sensor").await;
        origins.push(origin.clone());
        senders.push(tokio::spawn(send_all(client, origin, per_leaf)));
    }

    let total = per_leaf * LEAF_KEYS.len();
    for k in 1..=kills {
        // Kill while messages are still on their way: after (k / (kills + 1)) of them
        // reached the top.
        let threshold = total * k / (kills + 1);
        let deadline = Instant::now() + Duration::from_secs(120);
        while distinct(&received) < threshold {
            assert!(
                Instant::now() < deadline,
                "only {} of {total} messages reached the top before kill {k}",
                distinct(&received)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let at = distinct(&received);
        middle.kill_and_restart();
        eprintln!("kill -9 of the middle #{k} at {at}/{total} messages at the top; restarted");
    }
    let mut acked = 0;
    for s in senders {
        acked += s.await.expect("sender");
    }
    assert_eq!(
        acked, total,
        "the leaf modules got a PUBACK for every message"
    );
    wait_for_all(&received, &origins, per_leaf, Duration::from_secs(300)).await;
    let elapsed = started.elapsed();
    let duplicates = {
        let r = received.lock().expect("lock");
        assert!(
            r.problems.is_empty(),
            "{:?}",
            &r.problems[..r.problems.len().min(5)]
        );
        let copies: u32 = r.copies.values().sum();
        copies as usize - r.copies.len()
    };
    eprintln!(
        "three levels: {total} messages from 2 leaves at the top in {:.1} s with {kills} kill(s) \
         of the middle; {duplicates} duplicates (at least once)",
        elapsed.as_secs_f64(),
    );
    record(&format!(
        "chain messages={total} kills={kills} seconds={:.1} duplicates={duplicates} lost=0",
        elapsed.as_secs_f64()
    ));
    for leaf in &leaves {
        let (forwarded, _) = leaf.hub.upstream_forwarded().expect("leaf has a parent");
        assert!(forwarded >= per_leaf as u64, "leaf forwarded {forwarded}");
    }
    for leaf in leaves {
        leaf.stop().await;
    }
    drop(middle);
    top.stop().await;
}

/// One hop in the levels benchmark: a hub that forwards to `parent` (port, CA).
async fn hop(device: &str, key: &str, parent: &TestHub) -> TestHub {
    child_hub(
        device,
        key,
        parent.addr().port(),
        parent.hub.trust_bundle_pem().to_string(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn levels_benchmark_throughput_and_p99() {
    let count = env_usize("EDGEMODULE_NESTED_BENCH_MESSAGES", 2_000);
    for levels in 1..=3usize {
        // top (level 1) ← level 2 ← level 3; the module sits on the lowest hub.
        let (l2, l3) = ("level2", "level3");
        let top = TestHub::start(&deployment(&["sensor"], &[(l2, MIDDLE_KEY)])).await;
        let mut chain = vec![top];
        if levels >= 2 {
            let hub = TestHub::start_with(&deployment(&["sensor"], &[(l3, LEAF_KEYS[0].1)]), |c| {
                c.device_id = l2.to_string();
                c.parent = Some(
                    ParentConfig::from_key(
                        &format!("localhost:{}", chain[0].addr().port()),
                        l2,
                        MIDDLE_KEY,
                        chain[0].hub.trust_bundle_pem().to_string(),
                    )
                    .expect("parent"),
                );
            })
            .await;
            chain.push(hub);
        }
        if levels >= 3 {
            let hub = hop(l3, LEAF_KEYS[0].1, &chain[1]).await;
            chain.push(hub);
        }
        let expected_device = match levels {
            1 => "edge-device",
            _ => l2,
        };
        let received = collect(&chain[0], expected_device);
        let lowest = chain.last().expect("a hub");
        let client = module_client(lowest, "sensor").await;
        let started = Instant::now();
        let origin = lowest.hub.config().device_id.clone();
        send_all(client.clone(), origin.clone(), count).await;
        wait_for_all(&received, &[origin], count, Duration::from_secs(300)).await;
        let (span, mut lat) = {
            let r = received.lock().expect("lock");
            assert!(
                r.problems.is_empty(),
                "{:?}",
                &r.problems[..r.problems.len().min(5)]
            );
            let span = r
                .last_arrival
                .map_or(Duration::ZERO, |t| t.duration_since(started));
            (span, r.latencies_us.clone())
        };
        lat.sort_unstable();
        let p = |q: f64| lat[((lat.len() as f64 - 1.0) * q).round() as usize] as f64 / 1000.0;
        let row = format!(
            "levels={levels} messages={count} throughput_msg_s={:.0} p50_ms={:.2} p99_ms={:.2}",
            count as f64 / span.as_secs_f64(),
            p(0.5),
            p(0.99)
        );
        eprintln!("nested bench: {row}");
        record(&format!("levels {row}"));
        client.close().await.ok();
        for hub in chain.into_iter().rev() {
            hub.stop().await;
        }
    }
}
