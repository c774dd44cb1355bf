//! Counting attacks and promises, and the well-behaved client every group runs after its
//! attacks: the hub must still serve it.

use std::fmt::Display;
use std::time::Duration;

use edgemodule::protocol::{property_bag, topics};
use rumqttc::QoS;
use serde_json::json;

use crate::common::{output_topic, Event, Raw, DEVICE};
use crate::hubproc::HubProc;

/// What the suite found.
#[derive(Default)]
pub struct Tally {
    tried: usize,
    wrongly_allowed: Vec<String>,
    broken: Vec<String>,
    not_run: Vec<String>,
    group_tried: usize,
}

impl Tally {
    /// One attack; `refused` is whether the hub refused it.
    pub fn attack(&mut self, group: &str, name: &str, refused: bool, detail: impl Display) {
        self.tried += 1;
        self.group_tried += 1;
        if !refused {
            println!("  WRONGLY ALLOWED  [{group}] {name}: {detail}");
            self.wrongly_allowed
                .push(format!("[{group}] {name}: {detail}"));
        }
    }

    /// A promise that is not an attack (e.g. "the hub still serves", "RSS stays bounded").
    pub fn check(&mut self, group: &str, what: &str, ok: bool, detail: impl Display) {
        if ok {
            println!("  ok  [{group}] {what}: {detail}");
        } else {
            println!("  FAILED  [{group}] {what}: {detail}");
            self.broken.push(format!("[{group}] {what}: {detail}"));
        }
    }

    /// Something that could not be run here (printed loudly, never silently skipped).
    pub fn not_run(&mut self, group: &str, what: &str, why: impl Display) {
        println!("  NOT RUN  [{group}] {what}: {why}");
        self.not_run.push(format!("[{group}] {what}: {why}"));
    }

    /// Runs the well-behaved client against `hub` and records the outcome.
    pub async fn still_serves(&mut self, group: &str, hub: &HubProc) {
        let outcome = tokio::time::timeout(Duration::from_secs(60), serves(hub)).await;
        let result = outcome.unwrap_or_else(|_| Err("timed out".to_string()));
        let attacks = std::mem::take(&mut self.group_tried);
        match result {
            Ok(()) => println!("  [{group}] {attacks} attacks; the hub still serves a well-behaved client (MQTT route, twin, HTTPS method, workload sign, admin)"),
            Err(e) => self.check(group, "the hub still serves a well-behaved client", false, e),
        }
    }

    /// Ends a group that has no well-behaved-client check of its own: prints its count.
    pub fn group_done(&mut self, group: &str) {
        let attacks = std::mem::take(&mut self.group_tried);
        println!("  [{group}] {attacks} attacks");
    }

    /// Adds another tally (from a group run on its own task).
    pub fn merge(&mut self, other: Tally) {
        self.tried += other.tried;
        self.wrongly_allowed.extend(other.wrongly_allowed);
        self.broken.extend(other.broken);
        self.not_run.extend(other.not_run);
    }

    /// Prints the summary line; failure if anything was allowed or a promise broken.
    pub fn report(self) -> std::process::ExitCode {
        println!(
            "attacks: {} tried, {} wrongly allowed",
            self.tried,
            self.wrongly_allowed.len()
        );
        for (label, items) in [
            ("wrongly allowed", &self.wrongly_allowed),
            ("broken promises", &self.broken),
            ("NOT RUN (said loudly; see above)", &self.not_run),
        ] {
            if !items.is_empty() {
                println!("{label}:");
                for item in items {
                    println!("  {item}");
                }
            }
        }
        // What could not run here was printed above and in the summary; it does not fail
        // the suite (e.g. the probes as another user need root).
        if self.wrongly_allowed.is_empty() && self.broken.is_empty() {
            std::process::ExitCode::SUCCESS
        } else {
            std::process::ExitCode::FAILURE
        }
    }
}

/// A well-behaved pair of modules, `sender` and `receiver`: a routed message, a twin read,
/// a direct method over HTTPS, a signature from the workload socket and an admin call.
pub async fn serves(hub: &HubProc) -> Result<(), String> {
    let mut receiver = mqtt_route(hub).await?;
    // Twin: the receiver reads its own twin.
    receiver
        .publish("$iothub/twin/GET/?$rid=health", b"", QoS::AtMostOnce)
        .await;
    let twin = receiver.next_publish(Duration::from_secs(10)).await;
    match twin {
        Some(p) if p.topic.starts_with("$iothub/twin/res/200/") => {}
        other => return Err(format!("twin GET answered {other:?}")),
    }
    https_method(hub, &mut receiver).await?;
    workload_sign(hub).await?;
    let (status, health) = hub.admin("GET", "/health", "").await;
    if status != 200 || health["status"] != "ok" {
        return Err(format!("admin /health answered {status} {health}"));
    }
    receiver.disconnect().await;
    Ok(())
}

/// MQTT: `sender`'s output out1 reaches `receiver`'s input in1. Returns the receiver,
/// subscribed to its inputs, methods and twin responses.
pub async fn mqtt_route(hub: &HubProc) -> Result<Raw, String> {
    let mut receiver = hub.connect("receiver", true).await;
    receiver.subscribe_inputs("receiver").await;
    let codes = receiver
        .subscribe(&[
            (topics::METHODS_FILTER, QoS::AtLeastOnce),
            (topics::TWIN_RESPONSE_FILTER, QoS::AtMostOnce),
        ])
        .await;
    if codes
        .iter()
        .any(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure))
    {
        return Err(format!("receiver's subscriptions refused: {codes:?}"));
    }
    let mut sender = hub.connect("sender", true).await;
    let marker = format!("still-serving-{}", uuid_like());
    sender
        .publish_acked(
            &output_topic("sender", "out1", &[("check", "1")]),
            marker.as_bytes(),
        )
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(p) = receiver.next_publish(left).await else {
            return Err("the routed message did not reach the receiver".into());
        };
        if p.qos == QoS::AtLeastOnce {
            receiver.puback(p.pkid).await;
        }
        if p.payload.as_ref() == marker.as_bytes() {
            break;
        }
    }
    sender.disconnect().await;
    Ok(receiver)
}

/// A direct method over HTTPS from `sender`, answered by `receiver` (subscribed to methods).
pub async fn https_method(hub: &HubProc, receiver: &mut Raw) -> Result<(), String> {
    let call = {
        let body =
            json!({"methodName": "health", "payload": {"n": 1}, "responseTimeoutInSeconds": 10});
        let https = hub.https;
        let ca = hub.ca_pem.clone();
        let token = hub.creds("sender", 3600).password;
        tokio::spawn(async move {
            crate::hubproc::invoke_over_https(https, &ca, &token, "sender", "receiver", &body).await
        })
    };
    let Some(request) = receiver.next_publish(Duration::from_secs(10)).await else {
        return Err("the method request did not reach the receiver".into());
    };
    let Some(parsed) = topics::parse_method_request(&request.topic) else {
        return Err(format!("not a method request: {}", request.topic));
    };
    if request.qos == QoS::AtLeastOnce {
        receiver.puback(request.pkid).await;
    }
    receiver
        .publish(
            &topics::method_response_topic(200, &parsed.rid),
            br#"{"ok":true}"#,
            QoS::AtMostOnce,
        )
        .await;
    let answer = call.await.map_err(|e| e.to_string())?;
    if answer != (200, json!({"status": 200, "payload": {"ok": true}})) {
        return Err(format!("HTTPS method call answered {answer:?}"));
    }
    Ok(())
}

/// Workload: the receiver's socket signs for the receiver.
pub async fn workload_sign(hub: &HubProc) -> Result<(), String> {
    let path = format!(
        "/modules/receiver/genid/{}/sign?api-version=2019-01-30",
        hub.generation_id("receiver")
    );
    let body = json!({"keyId": "primary", "algo": "HMACSHA256", "data": "aGVsbG8="}).to_string();
    let (status, signed) = hub
        .workload(&hub.socket("receiver"), "POST", &path, &body)
        .await;
    let expected = edgemodule::protocol::sas::sign(&hub.key("receiver"), b"hello")
        .map_err(|e| e.to_string())?;
    if status != 200 || signed["digest"] != expected {
        return Err(format!("workload sign answered {status} {signed}"));
    }
    Ok(())
}

/// The properties of an input delivery's topic (after `…/inputs/{input}/`).
pub fn delivery_properties(
    topic: &str,
    module: &str,
    input: &str,
) -> Vec<(String, Option<String>)> {
    let prefix = format!("devices/{DEVICE}/modules/{module}/inputs/{input}/");
    topic
        .strip_prefix(&prefix)
        .and_then(|bag| property_bag::decode(bag).ok())
        .unwrap_or_default()
}

/// The next PUBLISH for which `wanted` holds (others are acknowledged and skipped), within
/// `within`. Earlier attacks may have left stored messages behind.
pub async fn next_matching(
    raw: &mut Raw,
    within: Duration,
    wanted: impl Fn(&rumqttc::Publish) -> bool,
) -> Option<rumqttc::Publish> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let p = raw.next_publish(left).await?;
        if p.qos == QoS::AtLeastOnce {
            raw.puback(p.pkid).await;
        }
        if wanted(&p) {
            return Some(p);
        }
    }
}

/// A value that differs between calls.
pub fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{nanos}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Waits until the raw connection is closed by the hub; returns the packets before.
pub async fn closed_within(
    raw: &mut crate::common::Raw,
    within: Duration,
) -> Option<Vec<rumqttc::Packet>> {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match raw.recv(left).await {
            Event::Packet(p) => seen.push(p),
            Event::Closed => return Some(seen),
            Event::Timeout => return None,
        }
    }
}
