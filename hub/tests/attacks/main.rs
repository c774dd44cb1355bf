//! The attack suite of issue 14, run by `cargo test` (and so by `make test`): every attack
//! an adversarial tester used against `edgemodule-hub`, each asserting that the hub refused
//! it *and* that it still serves a well-behaved client afterwards. It ends with
//!
//! ```text
//! attacks: N tried, 0 wrongly allowed
//! ```
//!
//! and fails if any attack was allowed or any promise broken. A part that cannot run here
//! (the probes as another user need root) is reported as NOT RUN.
//! `cargo test -p edgemodule-hub --test attacks -- GROUP` runs the groups whose name
//! contains GROUP. docs/security.md maps each promise of the hub to the group checking it.

#[path = "../common/mod.rs"]
mod common;

mod admin;
mod connect;
mod expiry;
mod harness;
mod hubproc;
mod isolation;
mod malformed;
mod memory;
mod probe;
mod slowloris;
mod workload;

use harness::Tally;
use hubproc::HubProc;
use serde_json::json;

/// The deployment of the main attacked hub: `sender` → `receiver` (a well-behaved pair),
/// `mallory` (the attacker, with a route to the receiver so spoofed properties can be
/// observed), `expiring` (a connection whose token runs out), user topics `alerts/#` for sender (publish) and receiver (subscribe) only.
pub fn main_manifest() -> String {
    let module =
        |name: &str| json!({"type": "docker", "settings": {"image": format!("{name}:test")}});
    json!({"modulesContent": {
        "$edgeAgent": {"properties.desired": {"schemaVersion": "1.1", "modules": {
            "sender": module("sender"), "receiver": module("receiver"), "mallory": module("mallory"),
            "expiring": module("expiring")
        }}},
        "$edgeHub": {"properties.desired": {
            "schemaVersion": "1.2",
            "routes": {
                "toReceiver": "FROM /messages/modules/sender/outputs/out1 INTO BrokeredEndpoint(\"/modules/receiver/inputs/in1\")",
                "fromMallory": "FROM /messages/modules/mallory/* INTO BrokeredEndpoint(\"/modules/receiver/inputs/fromMallory\")",
                "up": "FROM /messages/modules/sender/outputs/up INTO $upstream"
            },
            "storeAndForwardConfiguration": {"timeToLiveSecs": 7200},
            "mqttBroker": {"authorizations": [
                {"identities": ["{{iot:identity}}"], "allow": [{"operations": ["mqtt:connect"]}]},
                {"identities": ["localhub.azure-devices.net/edge-device/sender"],
                 "allow": [{"operations": ["mqtt:publish"], "resources": ["alerts/#"]}]},
                {"identities": ["localhub.azure-devices.net/edge-device/receiver"],
                 "allow": [{"operations": ["mqtt:subscribe"], "resources": ["alerts/#"]}]}
            ]}
        }},
        "receiver": {"properties.desired": {"secret": "receiver-only"}}
    }})
    .to_string()
}

fn main() -> std::process::ExitCode {
    // Probe mode: this binary re-run as another user (workload::unprivileged_process).
    if let Some(code) = probe::run_if_probe() {
        return code;
    }
    let filter: &'static str = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map_or("", |f| Box::leak(f.into_boxed_str()));
    let wanted = move |group: &str| group.contains(filter);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let started = std::time::Instant::now();
    let tally = runtime.block_on(async {
        // Groups with a hub of their own run beside the ones sharing the main hub.
        let own_hubs = tokio::spawn(async move {
            let mut t = Tally::default();
            if wanted("memory") {
                memory::run(&mut t).await;
            }
            if wanted("fd-limit") {
                slowloris::fd_limit(&mut t).await;
            }
            if wanted("owners") {
                workload::owners(&mut t).await;
            }
            t
        });
        let mut t = Tally::default();
        let hub = HubProc::start(&main_manifest(), None);
        let expiry = wanted("expiry").then(|| expiry::start(&hub));
        for name in [
            "isolation",
            "connect",
            "workload",
            "admin",
            "malformed",
            "slowloris",
        ] {
            if !wanted(name) {
                continue;
            }
            println!("[{name}]");
            match name {
                "isolation" => isolation::run(&hub, &mut t).await,
                "connect" => connect::run(&hub, &mut t).await,
                "workload" => workload::run(&hub, &mut t).await,
                "admin" => admin::run(&hub, &mut t).await,
                "malformed" => malformed::run(&hub, &mut t).await,
                _ => slowloris::run(&hub, &mut t).await,
            }
            t.still_serves(name, &hub).await;
        }
        if let Some(expiry) = expiry {
            expiry::finish(expiry, &hub, &mut t).await;
        }
        match own_hubs.await {
            Ok(other) => t.merge(other),
            Err(e) => t.check("suite", "groups with their own hub", false, e),
        }
        t
    });
    println!("attack suite took {:.0} s", started.elapsed().as_secs_f64());
    tally.report()
}
